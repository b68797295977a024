"""Bounded time for work on user input: a clean LimitError instead of a hang."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import LimitError

#: the time limit of checking one claim (symgrad.check, review), in seconds
CHECK_SECONDS = 12


@contextmanager

def time_limit(seconds: float, what: str = "the work") -> Iterator[None]:
    """Raise LimitError in the block after ``seconds`` (main thread with SIGALRM only;
    elsewhere the block runs unbounded, relying on the input limits)."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise LimitError(f"{what} took longer than {seconds:g} s and was stopped; "
                         f"simplify the input")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
