"""Races for concurrency tests: real PostgreSQL transactions from several threads, each on its own connection,
released together by a barrier (tests that use it need `django_db(transaction=True)`)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection
from django.utils import translation


def race(calls: list[Callable[[], object]]) -> tuple[list, list]:
    """Run every call at once, each in its own thread; returns (results, exceptions) in finishing order."""
    barrier = threading.Barrier(len(calls))
    results: list = []
    errors: list = []
    lock = threading.Lock()

    def run(fn: Callable[[], object]) -> None:
        try:
            with translation.override("en"):
                barrier.wait(timeout=20)
                outcome = fn()
            with lock:
                results.append(outcome)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(fn,)) for fn in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors
