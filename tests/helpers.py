"""Small helpers shared by test modules (tests/ is on sys.path under pytest)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


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
