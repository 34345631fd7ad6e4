"""What the preview knows about the sequence it shows: the last version that loaded, and
the error of the newest one if it did not.

A reload that fails keeps the last good `Snapshot`, so the page keeps its picture and its
timeline and shows the one-line error beside them; a later good save clears the error.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import math
import os
import shlex
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from render.errors import RenderError
from render.sequence import Sequence, one_line


@dataclass(frozen=True)
class Snapshot:
    """One version of the sequence that loaded: the frozen sequence and what the page
    draws from it, computed once."""

    seq: Sequence
    version: int
    token: str  # names this version in caches and worker processes (unique per server)
    loaded_at: float
    timeline: dict[str, Any] = field(repr=False)


def _load(path: str) -> Sequence:
    from render.api import load

    return load(path)


class Session:
    """The sequence file at `path` (as the user typed it), reloaded on demand."""

    def __init__(self, path: str, load: Callable[[str], Sequence] = _load) -> None:
        self.path = path
        self._load = load
        self._prefix = uuid.uuid4().hex[:8]
        self.snapshot: Snapshot | None = None
        self.error: str | None = None
        self.warnings: list[str] = []  # what render.lint says of the last good load
        self.version = 0

    def reload(self) -> bool:
        """Load the file again; True when it loaded. Never raises for bad input: the error
        becomes `self.error` (one line) and the last good snapshot stays."""
        from render.curves import as_json, curves_of
        from render.lint import lint

        try:
            seq = self._load(self.path)
            timeline = as_json(curves_of(seq))
            warnings = [one_line(str(w)) for w in lint(seq)]
        except RenderError as exc:
            self.error = one_line(str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 -- a loader bug must not stop the server
            self.error = one_line(f"{self.path}: could not load: {type(exc).__name__}: {exc}")
            return False
        self.version += 1
        self.snapshot = Snapshot(
            seq, self.version, f"{self._prefix}-{self.version}", time.time(), timeline
        )
        self.error = None
        self.warnings = warnings
        return True

    def watched_files(self) -> frozenset[Path]:
        """The files whose saving reloads the preview: the sequence and its palette file."""
        files = {Path(os.path.abspath(self.path))}
        if self.snapshot is not None:
            palette = getattr(self.snapshot.seq.palette, "source", "") or ""
            if palette and Path(palette).is_file():
                files.add(Path(os.path.abspath(palette)))
        return frozenset(files)

    def state(self) -> dict[str, Any]:
        """What the page needs to draw everything but the frame."""
        snap = self.snapshot
        info: dict[str, Any] = {
            "version": self.version,
            "error": self.error,
            "warnings": self.warnings,
            "file": self.path,
        }
        if snap is not None:
            seq = snap.seq
            info.update(
                title=seq.title,
                size=list(seq.size),
                palette=seq.palette.name,
                loaded_at=snap.loaded_at,
                timeline=snap.timeline,
            )
        return info

    def still_command(self, index: int) -> dict[str, str]:
        """The `render still` command that writes frame `index` as the preview shows it."""
        seq = self._current()
        stem = Path(self.path).stem or "frame"
        out = f"{stem}-{index:04d}.png"
        args = ["render", "still", self.path, "--at", still_time(seq, index), "-o", out]
        return {"command": shlex.join(args), "file": out}

    def _current(self) -> Sequence:
        if self.snapshot is None:
            raise RenderError(self.error or f"{self.path}: not loaded")
        return self.snapshot.seq


def still_time(seq: Sequence, index: int) -> str:
    """The shortest time in seconds, as `--at` reads it, that shows frame `index`.

    `render still --at` takes seconds or a percentage but not frames, and frame i starts
    at i / fps, which rarely prints short: this takes the fewest decimals that still land
    on the frame, so frame 121 at 30 fps is "4.04" rather than "4.033333333333333"."""
    index = min(max(int(index), 0), seq.frames - 1)
    start = index / seq.fps
    for decimals in range(10):
        scale = 10**decimals
        t = math.ceil(start * scale - 1e-9) / scale
        if seq.index_at(t) == index and t <= seq.duration:
            return f"{t:.{decimals}f}"
    return repr((index + 0.5) / seq.fps)
