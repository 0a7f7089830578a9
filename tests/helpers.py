"""Small helpers shared by test modules (tests/ is on sys.path under pytest)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def time_limit(seconds: int, what: str = "reading") -> Iterator[None]:
    """Fail with TimeoutError instead of hanging (SIGALRM: tests run in the main thread)."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def drop_postgres_database(conn: Any, name: str) -> None:
    """Drop a test database, first ending the sessions a failed test left open in it (DROP
    would wait for them forever). Our own sessions only, then a plain DROP: that stops an
    autovacuum worker busy there itself, which DROP … WITH (FORCE) is not allowed to do."""
    import sqlalchemy as sa

    conn.execute(
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
        ),
        {"name": name},
    )
    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
