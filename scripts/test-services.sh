#!/usr/bin/env bash
# Run a command against real PostgreSQL and Redis, with the test environment exported.
#
#   scripts/test-services.sh CMD [ARGS...]   # e.g. scripts/test-services.sh .venv/bin/python -m pytest
#   scripts/test-services.sh --clean         # stop throwaway servers left by a killed run
#
# Where the services come from, first match wins:
#   1. DATABASE_URL / REDIS_URL when set in the environment (each on its own);
#   2. the local servers on 127.0.0.1:5432 (user postgres, no password) / 127.0.0.1:6379,
#      when they answer (skipped with NUANXIN_FORCE_THROWAWAY=1);
#   3. throwaway servers started here from the installed binaries on free ports (from 55432 /
#      56379) and stopped again when CMD ends, however it ends. Missing binaries are installed
#      with apt-get when running as root; otherwise the script stops and prints the command.
#
# CMD then sees DATABASE_URL, REDIS_URL, NUANXIN_TESTING=1, DEBUG=0 (with SECURE_SSL_REDIRECT=0 so
# the test client is not redirected to https), a throwaway SECRET_KEY, and
# PLAYWRIGHT_CHROMIUM_EXECUTABLE=/usr/bin/chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${VENV_PY:-$ROOT/.venv/bin/python}
STATE_ROOT=$ROOT/var/test-services     # one sub-folder per run that started throwaway servers
APT_PACKAGES=(postgresql redis-server gettext)

log() { echo "==> $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# --- helpers -----------------------------------------------------------------------------------

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

free_port() {
    local port=$1
    while port_open "$port"; do port=$((port + 1)); done
    echo "$port"
}

redis_answers() { # host port
    # shellcheck disable=SC2016  # the inner script expands $0/$1/$line itself
    timeout 3 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3
        [[ $line == +PONG* ]]' "$1" "$2" 2>/dev/null
}

# Connect with psycopg2 (from the venv, so psql is not needed) to the maintenance database of the
# server in the URL. Exit 0 if it answers; exit 3 if the role may not create databases.
# With "ensure", also create the URL's own database if missing (makemigrations --check reads it).
pg_check() { # url [ensure]
    "$PY" - "$@" <<'PYEOF'
import sys

import environ
import psycopg2
from psycopg2 import sql

url, ensure = sys.argv[1], len(sys.argv) > 2
cfg = environ.Env.db_url_config(url)
if not cfg["ENGINE"].endswith("postgresql"):
    sys.exit(0)  # not PostgreSQL (e.g. sqlite://): nothing to check
kwargs = dict(host=cfg.get("HOST") or None, port=cfg.get("PORT") or None, user=cfg.get("USER") or None,
              password=cfg.get("PASSWORD") or None, connect_timeout=3)
try:
    conn = psycopg2.connect(dbname="postgres", **kwargs)
except psycopg2.Error as exc:
    print(f"   PostgreSQL at {url!r} does not answer: {str(exc).strip()}", file=sys.stderr)
    sys.exit(1)
conn.autocommit = True
with conn.cursor() as cur:
    cur.execute("SELECT rolsuper OR rolcreatedb, current_user FROM pg_roles WHERE rolname = current_user")
    may_create, user = cur.fetchone()
    if not may_create:
        print(f"ERROR: role {user!r} may not create databases; pytest-django needs to create test_{cfg['NAME']}.\n"
              f"       As a superuser run:  ALTER ROLE \"{user}\" CREATEDB;", file=sys.stderr)
        sys.exit(3)
    if ensure:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))
PYEOF
}

# Another apt-get (unattended-upgrades on a fresh machine, a provisioning script) may hold the dpkg or
# lists lock: wait for it (apt's own Lock::Timeout, and a retry loop for apt versions or locks it does not
# cover) instead of failing the run. APT_LOCK_WAIT seconds in all, 15 minutes by default.
APT_LOCK_WAIT=${APT_LOCK_WAIT:-900}
apt_get() { # apt-get arguments…
    local waited=0 out
    while true; do
        if out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@" 2>&1); then
            return 0
        fi
        if grep -qiE 'could not get lock|unable to acquire|lock-frontend|is another process using it' <<<"$out" \
            && ((waited < APT_LOCK_WAIT)); then
            ((waited == 0)) && log "apt-get: another package manager holds the lock; waiting (up to ${APT_LOCK_WAIT}s)"
            sleep 5
            waited=$((waited + 5))
            continue
        fi
        echo "$out" | tail -20 >&2
        return 1
    done
}

APT_UPDATED=
apt_install() {
    if [[ -z $APT_UPDATED ]]; then
        log "apt-get update"
        apt_get update -qq
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    apt_get install -y -qq "$@"
}

# Debian keeps initdb/pg_ctl out of PATH, under /usr/lib/postgresql/<version>/bin.
pg_bindir() {
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v pg_ctl)"
        return 0
    fi
    local d
    # shellcheck disable=SC2012  # version directories are plain numbers
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] && echo "$d"
}

ensure_server_binaries() {
    if pg_bindir >/dev/null && command -v redis-server >/dev/null 2>&1; then return 0; fi
    if is_root; then
        apt_install "${APT_PACKAGES[@]}"
        if ! pg_bindir >/dev/null || ! command -v redis-server >/dev/null 2>&1; then
            die "apt-get installed ${APT_PACKAGES[*]} but initdb/pg_ctl/redis-server are still missing"
        fi
    else
        die "PostgreSQL/Redis are not reachable and their binaries are missing. Install them with:
       sudo apt-get update && sudo apt-get install -y ${APT_PACKAGES[*]}
   or point DATABASE_URL / REDIS_URL at running servers."
    fi
}

# Browser tests use Debian's chromium through Playwright (never `playwright install`: no downloads).
ensure_chromium() {
    export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/usr/bin/chromium
    [[ -x /usr/bin/chromium ]] && return 0
    if is_root; then
        apt_install chromium
    else
        echo "WARNING: /usr/bin/chromium is missing; browser tests will fail. Install it with:" >&2
        echo "       sudo apt-get update && sudo apt-get install -y chromium" >&2
    fi
}

# --- throwaway servers -------------------------------------------------------------------------

RUN_DIR=        # var/test-services/run-<pid>, set once this run starts a throwaway server
PG_DATA=
PG_BIN=

# PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user and lives
# in /tmp (the checkout may not be reachable for that user). Otherwise it runs as the caller.
as_pg_owner() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

new_run_dir() {
    [[ -n $RUN_DIR ]] && return 0
    RUN_DIR=$STATE_ROOT/run-$$
    mkdir -p "$RUN_DIR"
}

start_throwaway_pg() {
    PG_BIN=$(pg_bindir)
    new_run_dir
    local port
    port=$(free_port 55432)
    if is_root; then
        id postgres >/dev/null 2>&1 || die "user 'postgres' is missing (apt-get install -y postgresql creates it)"
        PG_DATA=$(mktemp -d /tmp/nuanxin-test-pg.XXXXXX)
        chown postgres: "$PG_DATA"
    else
        PG_DATA=$RUN_DIR/pg
        mkdir -p "$PG_DATA"
    fi
    echo "$PG_DATA" >"$RUN_DIR/pg-datadir"
    echo "$PG_BIN" >"$RUN_DIR/pg-bindir"
    log "starting throwaway PostgreSQL on 127.0.0.1:$port (data in $PG_DATA)"
    as_pg_owner "$PG_BIN/initdb" -D "$PG_DATA/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$RUN_DIR/initdb.log" 2>&1 || { cat "$RUN_DIR/initdb.log" >&2; die "initdb failed"; }
    # Durability is pointless for a throwaway test server; the socket goes into the data dir
    # because /var/run/postgresql may not be writable.
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $PG_DATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { cat "$PG_DATA/server.log" >&2; die "pg_ctl start failed"; }
    PG_URL_BASE="postgres://postgres@127.0.0.1:$port"
}

start_throwaway_redis() {
    new_run_dir
    local port
    port=$(free_port 56379)
    log "starting throwaway Redis on 127.0.0.1:$port"
    redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
        --dir "$RUN_DIR" --pidfile "$RUN_DIR/redis.pid" --logfile "$RUN_DIR/redis.log" >/dev/null
    local _
    for _ in $(seq 50); do redis_answers 127.0.0.1 "$port" && break; sleep 0.1; done
    redis_answers 127.0.0.1 "$port" || { cat "$RUN_DIR/redis.log" >&2; die "redis-server did not start"; }
    REDIS_URL_FOUND="redis://127.0.0.1:$port/0"
}

# Stop what one run directory records and remove it.
stop_run_dir() { # dir
    local dir=$1 data bindir pid
    if [[ -f $dir/pg-datadir ]]; then
        data=$(cat "$dir/pg-datadir")
        bindir=$(cat "$dir/pg-bindir" 2>/dev/null || pg_bindir || true)
        if [[ -f $data/data/postmaster.pid ]]; then
            log "stopping throwaway PostgreSQL ($data)"
            as_pg_owner "$bindir/pg_ctl" -D "$data/data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
        # Only ever delete what this script created.
        case $data in /tmp/nuanxin-test-pg.* | "$STATE_ROOT"/*) rm -rf "$data" ;; esac
    fi
    if [[ -f $dir/redis.pid ]]; then
        pid=$(cat "$dir/redis.pid")
        if kill -0 "$pid" 2>/dev/null; then
            log "stopping throwaway Redis (pid $pid)"
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        fi
    fi
    rm -rf "$dir"
}

cleanup() {
    if [[ -n $RUN_DIR && -d $RUN_DIR ]]; then
        stop_run_dir "$RUN_DIR"
        rmdir "$STATE_ROOT" 2>/dev/null || true
    fi
    return 0
}

clean_all() {
    local dir owner
    shopt -s nullglob
    for dir in "$STATE_ROOT"/run-*; do
        owner=${dir##*/run-}
        if kill -0 "$owner" 2>/dev/null && [[ $owner != "$$" ]]; then
            log "skipping $dir: its run (pid $owner) is still going"
            continue
        fi
        stop_run_dir "$dir"
    done
    rmdir "$STATE_ROOT" 2>/dev/null || true
    log "no throwaway test services left"
}

# --- main --------------------------------------------------------------------------------------

if [[ ${1:-} == --clean ]]; then
    clean_all
    exit 0
fi
[[ $# -gt 0 ]] || die "usage: $0 CMD [ARGS...] | --clean"
[[ -x $PY ]] || die "$PY is missing; run 'make venv-dev' first"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One database name per checkout, so several checkouts can share a server without their
# test_<name> databases colliding.
DB_NAME=nuanxin_$(printf '%s' "$ROOT" | sha256sum | cut -c1-8)
force_throwaway=${NUANXIN_FORCE_THROWAWAY:-0}
[[ $force_throwaway == 1 ]] && log "NUANXIN_FORCE_THROWAWAY=1: not probing the local servers"

# PostgreSQL
if [[ -n ${DATABASE_URL:-} ]]; then
    log "PostgreSQL: using DATABASE_URL from the environment"
    pg_check "$DATABASE_URL" ensure || die "DATABASE_URL is set but not usable (see above)"
else
    if [[ $force_throwaway != 1 ]] && pg_check "postgres://postgres@127.0.0.1:5432/postgres" 2>/dev/null; then
        log "PostgreSQL: using the local server on 127.0.0.1:5432"
        PG_URL_BASE="postgres://postgres@127.0.0.1:5432"
    else
        ensure_server_binaries
        start_throwaway_pg
    fi
    export DATABASE_URL="$PG_URL_BASE/$DB_NAME"
    pg_check "$DATABASE_URL" ensure || die "could not prepare database $DB_NAME"
fi

# Redis
if [[ -n ${REDIS_URL:-} ]]; then
    log "Redis: using REDIS_URL from the environment"
elif [[ $force_throwaway != 1 ]] && redis_answers 127.0.0.1 6379; then
    # Database 1, so tests that clear the cache never touch a developer's data in database 0.
    log "Redis: using the local server on 127.0.0.1:6379 (database 1)"
    export REDIS_URL=redis://127.0.0.1:6379/1
else
    ensure_server_binaries
    start_throwaway_redis
    export REDIS_URL=$REDIS_URL_FOUND
fi

# Browser tests need Debian's chromium only once Playwright is part of the dev requirements.
if "$PY" -c 'import playwright' >/dev/null 2>&1; then
    ensure_chromium
else
    export PLAYWRIGHT_CHROMIUM_EXECUTABLE=/usr/bin/chromium
fi

# The translation test extracts messages with GNU gettext's xgettext.
if ! command -v xgettext >/dev/null 2>&1; then
    if is_root; then
        apt_install gettext
    else
        die "GNU gettext is missing (the translation test needs xgettext). Install it with:
       sudo apt-get update && sudo apt-get install -y gettext"
    fi
fi

# The test environment. DEBUG=0 so tests see production-like settings; SECURE_SSL_REDIRECT=0 or
# every test-client request would get a 301 to https.
export NUANXIN_TESTING=1
export DEBUG=0
export SECURE_SSL_REDIRECT=0
export SECRET_KEY=test-only-secret-key-not-for-production-0123456789abcdef
export ALLOWED_HOSTS=localhost,127.0.0.1,testserver
export DJANGO_SETTINGS_MODULE=portal.settings
# With DEBUG off WhiteNoise warns on every request when STATIC_ROOT does not exist yet.
mkdir -p "${STATIC_ROOT:-$ROOT/var/staticfiles}"

log "DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"
# Not exec: the EXIT trap must still stop the throwaway servers afterwards.
"$@"
