"""Holding Ctrl-C and SIGTERM for the instant a process is being started.

A signal handled in the parent while it starts a child lands in the middle of the start:
in a worker's start it leaves the new process reading its instructions from a closed
pipe; in a start with a `preexec_fn` (ffmpeg's) it lands inside Python's after-fork
hooks, whose exception cannot propagate and is printed as "Exception ignored" with a
traceback. Held, the signal arrives a moment later, once the child is up, and the parent
stops everything as usual.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HELD = frozenset({signal.SIGINT, signal.SIGTERM})


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Block SIGINT and SIGTERM in this thread for the duration (main thread only: the
    handlers run there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def unblock() -> None:
    """In a child before exec: a blocked signal stays blocked across exec, so let the
    child hear them again."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
