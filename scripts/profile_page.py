"""Where a page spends its time: request it N times through the Django test client under cProfile.

A benchmark aid, not a test. Runs with DEBUG off and the cached template loader, as gunicorn does in
`make bench`, against a database filled by `manage.py seed_scale` (the bench_* personas):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nuanxin_bench_10k \
        .venv/bin/python scripts/profile_page.py station /counseling/queue/?status=new [-n 50] [--top 30]

Prints the wall time per request (after 5 warm-up requests), the share spent in SQL (cursor execution), and
the cProfile functions sorted by cumulative and by own time. Everything the requests write (sessions, audit
events) is rolled back.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "ZGV2LW9ubHktbnVhbnhpbi1rZXktMDEyMzQ1Njc4OWE=")
os.environ.setdefault("EMAIL_URL", "dummymail://")
# The manifest of `make bench` (scripts/bench.py runs collectstatic into it).
os.environ.setdefault("STATIC_ROOT", str(BASE_DIR / "var" / "bench-static"))


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("persona", help="student, station, counselor, aidreviewer, aidofficer, visitor, admin")
    parser.add_argument("path")
    parser.add_argument("-n", type=int, default=50, help="profiled requests")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--language", default="en")
    parser.add_argument("--time-only", action="store_true", help="no cProfile: the median wall time of n requests")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from portal.models import User

    user = User.objects.get(username=f"bench_{args.persona}")
    sql_time = [0.0]
    by_statement: dict[str, float] = {}

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            sql_time[0] += spent
            by_statement[sql] = by_statement.get(sql, 0.0) + spent

    try:
        with transaction.atomic(), connection.execute_wrapper(timed):
            client = Client(HTTP_ACCEPT_LANGUAGE=args.language)
            client.force_login(user)
            for _ in range(5):
                response = client.get(args.path)
            if response.status_code != 200:
                print(f"HTTP {response.status_code} for {args.path}")
                return 1
            sql_time[0] = 0.0
            by_statement.clear()
            if args.time_only:
                timings = []
                for _ in range(args.n):
                    started = time.perf_counter()
                    client.get(args.path)
                    timings.append(time.perf_counter() - started)
                timings.sort()
                print(
                    f"{args.path} as {user.username}: median {timings[len(timings) // 2] * 1000:.1f} ms, "
                    f"min {timings[0] * 1000:.1f} ms, SQL {sql_time[0] / args.n * 1000:.1f} ms per request"
                )
                raise _Rollback
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(args.n):
                client.get(args.path)
            profile.disable()
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    if args.time_only:
        return 0
    print(
        f"{args.path} as {user.username}: {elapsed / args.n * 1000:.1f} ms per request under cProfile, "
        f"SQL {sql_time[0] / args.n * 1000:.1f} ms, {len(response.content):,} bytes"
    )
    print("slowest statements (ms per request):")
    for sql, spent in sorted(by_statement.items(), key=lambda item: -item[1])[:5]:
        print(f"  {spent / args.n * 1000:6.2f}  {sql[:300]}")
    print()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
