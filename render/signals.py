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
import sys
import threading
from collections.abc import Iterator
from typing import NoReturn

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


# A signal's exception raised while Python runs a finalizer or a weakref callback (an
# import lock's, say) cannot propagate: Python prints it as "Exception ignored" with a
# traceback and carries on, and the render would run to the end. So the exception a
# handler raises is remembered, kept quiet if it is swallowed, and raised again at the
# render's next frame (`check`).
_pending: BaseException | None = None


def deliver(exc: BaseException) -> NoReturn:
    """Raise `exc` from a signal handler, remembering it until it is `settled`."""
    global _pending
    _pending = exc
    raise exc


def check() -> None:
    """Raise again a delivered exception that was swallowed on its way out."""
    global _pending
    if _pending is not None:
        exc, _pending = _pending, None
        raise exc


def settled() -> None:
    """The delivered exception reached its handler: nothing to raise again."""
    global _pending
    _pending = None


def quiet_when_swallowed(unraisable) -> None:
    """sys.unraisablehook: a delivered exception that was swallowed is not printed (it
    will be raised again); anything else goes to Python's own hook."""
    if _pending is not None and unraisable.exc_value is _pending:
        return
    sys.__unraisablehook__(unraisable)
