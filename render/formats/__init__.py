"""Output formats, one module each, registered by name and suffix.

A format module describes itself with an `OutputFormat` and calls `register` at its
bottom, as Pillow's image plugins do; `render.encode` owns only the writers and asks
this registry what a format needs (its suffixes, the sizes and frame rates it can hold,
the ffmpeg arguments that encode it, and any step after the frames are in). A new
ffmpeg-encoded format is one new module here; so is a format that encodes frames itself
(GIF): it gives a `sink` instead of ffmpeg arguments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# encode(input_args, metadata, preset, crf, dest[, options]) -> ffmpeg arguments
EncodeArgs = Callable[..., list[str]]
After = Callable[[Path, Path, Path, Callable[[str], Path], Mapping[str, str]], Path]


class Sink(Protocol):
    """A format that encodes frames itself, into one file at a temporary path."""

    def write(self, frame: np.ndarray) -> None: ...  # uint8 RGB (H, W, 3); may keep it

    def finish(self) -> None: ...  # the file is complete and closed

    def abort(self) -> None: ...  # stop now and close; must never raise


# sink(dest, width, height, fps, metadata, options) -> Sink writing `dest`
OpenSink = Callable[[Path, int, int, Fraction, Mapping[str, str], Mapping[str, Any]], Sink]


@dataclass(frozen=True)
class OutputFormat:
    """What one output format is and needs.

    `encode(input_args, metadata, preset, crf, dest[, options])` gives the ffmpeg arguments
    that turn the piped raw frames into `dest` (None: not an ffmpeg format, e.g. a PNG
    folder); `options`, the format's own settings, only if it takes a parameter so named.
    `sink(dest, width, height, fps, metadata, options)` instead opens a `Sink` that
    encodes the frames into `dest` itself. With `after`, `dest` is an intermediate and
    `after(stage, out, target, temp, metadata)` makes the final file from it, returning
    the path to rename into place."""

    name: str
    label: str  # as messages name it: "MP4"
    suffixes: tuple[str, ...] = ()
    even_size: bool = False  # yuv420p: chroma at half resolution both ways
    max_side: int | None = None
    max_fps: float | None = None
    fps_hint: str = ""
    encode: EncodeArgs | None = None
    stage_suffix: str = ""
    after: After | None = None
    pinned_threads: bool = True  # whether -threads applies to its encoder
    sink: OpenSink | None = None
    x264: bool = False  # whether --preset and --crf apply
    # Whether it can hold an alpha channel (--transparent): its `encode` then gets
    # options["alpha"] = True and frames arrive as rgba.
    alpha: bool = False


FORMATS: dict[str, OutputFormat] = {}
BY_SUFFIX: dict[str, OutputFormat] = {}


def register(fmt: OutputFormat) -> OutputFormat:
    FORMATS[fmt.name] = fmt
    for suffix in fmt.suffixes:
        BY_SUFFIX[suffix.lower()] = fmt
    return fmt


def alpha_suffixes() -> str:
    """'.webm, .mov, ...' of the formats that hold alpha, for messages."""
    names = [s for s, f in BY_SUFFIX.items() if f.alpha]
    return ", ".join(sorted(names, key=lambda s: list(FORMATS).index(BY_SUFFIX[s].name)))


def suffix_list() -> str:
    """'.mp4, .gif, .webm' for messages."""
    return ", ".join(sorted(BY_SUFFIX, key=lambda s: list(FORMATS).index(BY_SUFFIX[s].name)))


def _builtins() -> None:
    """The built-in formats register themselves on import, in the order messages list them."""
    import importlib

    for name in ("mp4", "gif", "webm", "mov", "apng", "webp", "png"):
        importlib.import_module(f"render.formats.{name}")


_builtins()

__all__ = [
    "BY_SUFFIX", "FORMATS", "OutputFormat", "Sink", "alpha_suffixes", "register", "suffix_list",
]  # fmt: skip
