"""Monospace neon lettering from the Hershey single-stroke font.

Hershey glyphs are centre-lines, which is exactly what a neon tube is, and the
font ships inside a Python package, so text renders the same on every machine
whatever fonts the system has. Glyph outlines are converted once into a cell of
cap-height 1 and cached; drawing a string is then only path building.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import cairo
from HersheyFonts import HersheyFonts

CELL = 0.92  # advance per character, in cap heights
Segment = tuple[tuple[float, float], tuple[float, float]]
Warp = Callable[[float, float], tuple[float, float]]


@cache
def _font() -> HersheyFonts:
    font = HersheyFonts()
    font.load_default_font("futural")
    font.normalize_rendering(1)
    return font


@cache
def glyph(ch: str) -> tuple[Segment, ...]:
    """Segments of one character in a cell: x in 0..CELL, y down from the cap line (0) to the
    baseline (1); descenders go below 1."""
    if ch == " ":
        return ()
    segs = list(_font().lines_for_text(ch))
    if not segs:
        segs = list(_font().lines_for_text("?"))
    xs = [p[0] for s in segs for p in s]
    mid = (min(xs) + max(xs)) / 2

    def place(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - mid) / 0.75 + CELL / 2, (1.0 - p[1]) / 0.75)

    return tuple((place(a), place(b)) for a, b in segs)


def text_width(text: str, size: float) -> float:
    return len(text) * CELL * size


_scratch = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))


@lru_cache(maxsize=8192)
def _string_path(text: str, size: float) -> cairo.Path:
    """The path of a whole string at the origin, built once: scrolling console lines reuse it."""
    _scratch.new_path()
    _build(_scratch, text, 0.0, 0.0, size, None)
    path = _scratch.copy_path()
    _scratch.new_path()
    return path


def text_path(cr, text: str, x: float, y: float, size: float, warp: Warp | None = None) -> float:
    """Append `text` to cr's path with its cap line at y; returns the advance width.

    `warp` maps each point (in pixels) to a new point: used for melting glyphs.
    """
    if warp is None:
        cr.save()
        cr.translate(x, y)
        cr.append_path(_string_path(text, size))
        cr.restore()  # the path stays; only the transform is undone
        return len(text) * CELL * size
    return _build(cr, text, x, y, size, warp)


def _build(cr, text: str, x: float, y: float, size: float, warp: Warp | None) -> float:
    cx = x
    for ch in text:
        for (ax, ay), (bx, by) in glyph(ch):
            p0 = (cx + ax * size, y + ay * size)
            p1 = (cx + bx * size, y + by * size)
            if warp is not None:
                p0, p1 = warp(*p0), warp(*p1)
            cr.move_to(*p0)
            cr.line_to(*p1)
        cx += CELL * size
    return cx - x
