"""Track curves: every track of a sequence sampled over its duration, with its keyframes
and the story's beats, as plain data (the preview's timeline draws it in the browser) and
as a picture (`render check SEQUENCE --plot curves.png`).

Both views read the same `Curves`, so the page and the PNG cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cairo

from render.color import RGB, to_hex
from render.errors import InputError
from render.sequence import Sequence
from render.story import BEATS

SAMPLES = 512  # points per curve: enough for an elastic or bounce easing at any width


@dataclass(frozen=True)
class KeyPoint:
    """One keyframe as the timeline shows it: where it is and which line of the file set it."""

    time: float
    value: float | RGB
    ease: str
    line: int | None
    source: str  # that line of the file, stripped (empty when unknown)


@dataclass(frozen=True)
class Curve:
    name: str
    is_colour: bool
    lo: float  # value range drawn from the bottom to the top of the curve's row
    hi: float
    samples: tuple[float | RGB, ...]  # at SAMPLES evenly spaced times over 0..duration
    keys: tuple[KeyPoint, ...]


@dataclass(frozen=True)
class Beat:
    """Where the story's beat starts: the first frame escalation reaches it."""

    name: str
    time: float
    frame: int


@dataclass(frozen=True)
class Curves:
    duration: float
    fps: float
    frames: int
    loop: bool
    beats: tuple[Beat, ...]
    curves: tuple[Curve, ...]


def beats_of(seq: Sequence) -> tuple[Beat, ...]:
    """The beats escalation reaches, each at the first frame it gets there (render.story)."""
    track = seq.tracks.get("escalation")
    levels = [
        float(track.sample(seq.time_of(i), seq.duration, seq.loop)) if track else 0.0
        for i in range(seq.frames)
    ]
    beats = []
    for name, start in BEATS:
        frame = next((i for i, e in enumerate(levels) if e >= start - 1e-9), None)
        if frame is not None:
            beats.append(Beat(name, seq.time_of(frame), frame))
    return tuple(beats)


def curves_of(seq: Sequence, samples: int = SAMPLES) -> Curves:
    lines = seq.text.splitlines()
    times = [seq.duration * k / (samples - 1) for k in range(samples)]
    curves = []
    for name, track in seq.tracks.items():
        values = tuple(track.sample(t, seq.duration, seq.loop) for t in times)
        keys = tuple(
            KeyPoint(
                k.time,
                k.value,
                k.ease_name,
                k.line,
                lines[k.line - 1].strip()[:160] if k.line and k.line <= len(lines) else "",
            )
            for k in track.keys
        )
        if track.is_colour:
            lo, hi = 0.0, 1.0
        else:
            numbers = [float(v) for v in values] + [float(k.value) for k in keys]
            lo, hi = min(numbers), max(numbers)
            if hi - lo < 1e-12:  # a flat track: centre it
                lo, hi = lo - 0.5, hi + 0.5
        curves.append(Curve(name, track.is_colour, lo, hi, values, keys))
    return Curves(seq.duration, seq.fps, seq.frames, seq.loop, beats_of(seq), tuple(curves))


def _plain(value: float | RGB) -> float | str:
    return to_hex(value) if isinstance(value, tuple) else round(float(value), 6)


def as_json(curves: Curves) -> dict[str, Any]:
    """`curves` as JSON-ready data: colours as "#rrggbb", numbers rounded to 6 places."""
    return {
        "duration": curves.duration,
        "fps": curves.fps,
        "frames": curves.frames,
        "loop": curves.loop,
        "beats": [{"name": b.name, "time": b.time, "frame": b.frame} for b in curves.beats],
        "tracks": [
            {
                "name": c.name,
                "colour": c.is_colour,
                "lo": c.lo,
                "hi": c.hi,
                "samples": [_plain(v) for v in c.samples],
                "keys": [
                    {
                        "time": k.time,
                        "value": _plain(k.value),
                        "ease": k.ease,
                        "line": k.line,
                        "source": k.source,
                    }
                    for k in c.keys
                ],
            }
            for c in curves.curves
        ],
    }


# --------------------------------------------------------------------------- the picture

_BACKGROUND = (0.055, 0.055, 0.075)
_GRID = (0.22, 0.22, 0.28)
_LABEL = (0.8, 0.8, 0.86)
_RANGE = (0.5, 0.5, 0.58)
_ROW, _TOP, _BOTTOM, _LEFT, _RIGHT = 96, 44, 34, 150, 24


def plot_size(curves: Curves, width: int = 1200) -> tuple[int, int]:
    rows = max(1, len(curves.curves))
    return width, _TOP + rows * _ROW + _BOTTOM


def draw_curves(seq: Sequence, width: int = 1200) -> cairo.ImageSurface:
    """The timeline as the preview page draws it: beats on top, a row per track with its
    curve (in the palette's colours), its keyframes as diamonds, and a time axis."""
    from render.glyphs import text_path

    curves = curves_of(seq)
    w, h = plot_size(curves, width)
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    cr = cairo.Context(surface)
    cr.set_source_rgb(*_BACKGROUND)
    cr.paint()
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    cr.set_line_join(cairo.LINE_JOIN_ROUND)
    x0, x1 = _LEFT, w - _RIGHT
    bottom = h - _BOTTOM

    def x_of(t: float) -> float:
        return x0 + (x1 - x0) * (t / curves.duration if curves.duration else 0.0)

    def label(text: str, x: float, y: float, size: float, rgb=_LABEL) -> None:
        text_path(cr, text, x, y, size)
        cr.set_source_rgb(*rgb)
        cr.set_line_width(max(1.0, size * 0.12))
        cr.stroke()

    for t in _ticks(curves.duration):
        cr.move_to(x_of(t), _TOP)
        cr.line_to(x_of(t), bottom + 4)
        cr.set_source_rgb(*_GRID)
        cr.set_line_width(1)
        cr.stroke()
        label(f"{t:g}s", x_of(t) - 8, bottom + 12, 9)
    for beat in curves.beats:
        bx = x_of(beat.time)
        cr.move_to(bx, _TOP - 8)
        cr.line_to(bx, bottom)
        cr.set_dash([4, 4])
        cr.set_source_rgb(0.95, 0.45, 0.75)
        cr.set_line_width(1)
        cr.stroke()
        cr.set_dash([])
        label(beat.name, bx + 3, 10, 11, (0.95, 0.55, 0.8))
    colours = _curve_colours(seq)
    for row, curve in enumerate(curves.curves):
        top = _TOP + row * _ROW + 10
        height = _ROW - 24
        label(curve.name, 12, top + 4, 12)
        if not curve.is_colour:
            label(f"{curve.hi:.4g}", 12, top + 22, 8, _RANGE)
            label(f"{curve.lo:.4g}", 12, top + height - 6, 8, _RANGE)
        _draw_curve(cr, curve, x_of, top, height, colours[row % len(colours)], curves.duration)
    return surface


def _draw_curve(cr, curve: Curve, x_of, top: float, height: float, rgb, duration: float):
    n = len(curve.samples)

    def y_of(value: float) -> float:
        return top + height - (value - curve.lo) / (curve.hi - curve.lo) * height

    if curve.is_colour:
        band = cairo.LinearGradient(x_of(0), 0, x_of(duration), 0)
        for k, value in enumerate(curve.samples):
            band.add_color_stop_rgb(k / (n - 1), *value)  # type: ignore[misc]
        cr.rectangle(x_of(0), top + height * 0.25, x_of(duration) - x_of(0), height * 0.5)
        cr.set_source(band)
        cr.fill()
        ys = [top + height * 0.5] * len(curve.keys)
    else:
        cr.new_path()
        for k, value in enumerate(curve.samples):
            cr.line_to(x_of(duration * k / (n - 1)), y_of(float(value)))  # type: ignore[arg-type]
        cr.set_source_rgb(*rgb)
        cr.set_line_width(2)
        cr.stroke()
        ys = [y_of(float(key.value)) for key in curve.keys]  # type: ignore[arg-type]
    for key, y in zip(curve.keys, ys, strict=True):
        x = x_of(key.time)
        cr.move_to(x, y - 6)
        cr.line_to(x + 6, y)
        cr.line_to(x, y + 6)
        cr.line_to(x - 6, y)
        cr.close_path()
        cr.set_source_rgb(0.97, 0.97, 1.0)
        cr.fill_preserve()
        cr.set_source_rgb(*_BACKGROUND)
        cr.set_line_width(1.5)
        cr.stroke()


def _curve_colours(seq: Sequence) -> list[RGB]:
    roles = ("primary", "secondary", "glow", "hot", "alert")
    found = [seq.palette.colors[r] for r in roles if r in seq.palette.colors]
    return found or [(0.3, 0.9, 1.0)]


def _ticks(duration: float) -> list[float]:
    """Round times for the axis: about ten of them, steps of 1, 2 or 5 times a power of ten."""
    if duration <= 0:
        return [0.0]
    raw = duration / 10
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    return [k * step for k in range(int(duration / step + 1e-9) + 1)]


def plot_curves(seq: Sequence, out: str | Path, width: int = 1200) -> Path:
    """Write the curves of `seq` to the PNG `out` (InputError for another suffix)."""
    from render.encode import write_png
    from render.frame import argb_to_rgb

    out = Path(out)
    if out.suffix.lower() != ".png":
        raise InputError(f"--plot {out}: curves are written as .png")
    write_png(out, argb_to_rgb(draw_curves(seq, width)).copy())
    return out
