"""Outputs that appear whole or not at all: temporaries beside the target, held under a
lock while a render lives, renamed into place when complete, swept when abandoned.

Used by every writer (render.encode) and by prints (render.printing).
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from render.errors import RenderError

# Every temporary we create is named with our process id and held under an exclusive
# flock (on our own file descriptor) until it is removed or renamed into place. The kernel
# drops the lock when the process dies, however it dies (kill -9 included), so a temporary
# nobody holds a lock on, whose process is gone, was provably abandoned, and the next render
# of the same output removes it. The id covers the instant between creating a temporary and
# locking it, when another render sweeping the same folder would see it unlocked.
_HELD: dict[Path, int] = {}
# What follows a temporary's stem: "<pid>-<8 hex>" (names from before the pid: "<8 hex>").
TOKEN = r"(?:\d+-)?[0-9a-f]{8}"
_PID = re.compile(r"\.(\d+)-[0-9a-f]{8}\.")


def token() -> str:
    """The unique part of a new temporary's name: this process's id and 32 random bits."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # ours: held (see _HELD) or about to be
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's process
        return True
    return True


def hold(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    _HELD[path] = fd


def release_gone() -> None:
    """Drop the locks of our temporaries that are gone from their names (renamed into place
    or removed), so a long-lived process doesn't collect descriptors."""
    for path in [p for p in _HELD if not os.path.lexists(p)]:
        os.close(_HELD.pop(path))


def is_abandoned(path: Path) -> bool:
    """Whether `path` (one of our temporaries) is held by no living render: its process
    is gone (if its name says which) and nobody holds its lock."""
    if path in _HELD:
        return False
    pid = _PID.search(path.name)
    if pid is not None and _alive(int(pid.group(1))):
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a living render holds it
    finally:
        os.close(fd)
    return True


def sweep_abandoned(path: Path) -> list[Path]:
    """Remove the temporaries beside `path` that a killed render of the same output left
    (``.NAME.<pid>-<8 hex>.part*``, held by nobody); returns what was removed. ``.old``
    folders of an interrupted swap are never touched: they may hold the only copy of old
    frames."""
    stem_re = re.compile(
        rf"\.(?:{re.escape(path.stem)}|{re.escape(path.name)})\.{TOKEN}\.part(?:\.\w+)?"
    )
    removed = []
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return removed
    for sibling in siblings:
        if stem_re.fullmatch(sibling.name) and is_abandoned(sibling):
            remove(sibling)
            removed.append(sibling)
    return removed


def temp_sibling(path: Path, tag: str, suffix: str = "", *, make_dir: bool = False) -> Path:
    """Create a new hidden file/dir beside *path*: ``.dream.<pid>-<random>.part.mp4``,
    held (see _HELD) until it is removed or renamed into place.

    Created with O_EXCL (or mkdir) so two renders can't collide, and with the normal
    0o666/0o777 mode so the umask applies -- mkstemp's 0o600 would survive the rename and
    leave a video nobody else can read. Abandoned temporaries of the same output (a render
    killed outright) are removed first.
    """
    release_gone()
    sweep_abandoned(path)
    stem = path.stem if not make_dir else path.name
    return create_held(path.parent, f".{stem}.", f".{tag}{suffix}", make_dir=make_dir)


def create_held(folder: Path, prefix: str, suffix: str, *, make_dir: bool = False) -> Path:
    """A new file (or folder) ``folder/<prefix><pid>-<random><suffix>``, created with
    O_EXCL (or mkdir) and held (see _HELD) until it is removed or renamed into place."""
    for _ in range(100):
        candidate = folder / f"{prefix}{token()}{suffix}"
        with signals_deferred():  # created and held, or neither: a Ctrl-C lands after
            made = _create_and_hold(candidate, make_dir)
        if made:
            return candidate
    raise RenderError(f"{folder / prefix}: could not create a temporary file beside it")


def _create_and_hold(candidate: Path, make_dir: bool) -> bool:
    try:
        if make_dir:
            os.mkdir(candidate, 0o777)
        else:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except FileExistsError:
        return False
    try:
        hold(candidate)
    except BaseException:
        remove(candidate)
        raise
    return True


def remove(path: Path | None) -> None:
    """Best-effort cleanup; never raises, so it can't mask the exception being handled."""
    if path is None:
        return
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass
    fd = _HELD.pop(path, None)
    if fd is not None:
        os.close(fd)


def make_parents(path: Path) -> list[Path]:
    """Create the missing folders above `path`; returns the ones made, deepest first, for
    :func:`remove_made` to take away again when the render fails."""
    made = []
    folder = path.parent
    while not folder.exists():
        made.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    return made


def remove_made(folders: list[Path]) -> None:
    """Remove folders made by :func:`make_parents`, deepest first, while they are empty
    (something else may have been put there meanwhile); never raises."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while cleaning up, so a second Ctrl-C can't strand temporaries;
    a signal that arrived meanwhile goes to its handler (which may raise) when the block
    ends. Python handlers run in the main thread only, so elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    old = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if caught:
            handler = old[caught[0]]
            if callable(handler):
                handler(caught[0], None)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(caught[0])


__all__ = [
    "TOKEN",
    "create_held",
    "hold",
    "make_parents",
    "remove",
    "remove_made",
    "signals_deferred",
    "sweep_abandoned",
    "temp_sibling",
    "token",
]
