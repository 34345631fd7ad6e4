"""Contact sheets: a grid of evenly spaced frames, each labelled with its time."""

from __future__ import annotations

import math
from collections.abc import Callable

import cairo
import numpy as np

from render.frame import argb_to_rgb
from render.glyphs import text_path, text_width
from render.pipeline import render_frames
from render.sequence import Sequence
from render.story import on_screen
from render.units import MAX_SIDE, LimitError


def sheet_indices(sequence: Sequence, count: int) -> list[int]:
    n = sequence.frames
    if count <= 1:
        return [0]
    return sorted({round(k * (n - 1) / (count - 1)) for k in range(count)})


def sheet_layout(
    sequence: Sequence, count: int, columns: int, thumb_width: int
) -> tuple[int, int, int, int, int, int]:
    """(sheet width, sheet height, thumb width, thumb height, gap, label height), refused
    with a LimitError up front when the sheet would be wider or taller than the renderer's
    side limit (cairo itself fails past 32767)."""
    w, h = sequence.size
    tw = min(thumb_width, w)
    th = max(2, round(tw * h / w))
    shown = len(sheet_indices(sequence, count))
    columns = max(1, min(columns, shown))
    rows = math.ceil(shown / columns)
    gap, label_h = max(4, tw // 60), max(14, tw // 18)
    width = columns * tw + (columns + 1) * gap
    height = rows * (th + label_h) + (rows + 1) * gap
    if max(width, height) > MAX_SIDE:
        raise LimitError(
            f"contact sheet of {width}x{height} pixels ({columns} columns of {tw}-pixel "
            f"thumbnails, {rows} rows): sides above {MAX_SIDE} are not supported; use fewer "
            "--columns or a smaller --thumb"
        )
    return width, height, tw, th, gap, label_h


def contact_sheet(
    sequence: Sequence,
    count: int = 12,
    columns: int = 4,
    thumb_width: int = 480,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Render `count` evenly spaced frames at thumbnail size and lay them out in a grid."""
    W, H, tw, th, gap, label_h = sheet_layout(sequence, count, columns, thumb_width)
    thumb_seq = sequence.replace(size=(tw, th), transparent=False)  # laid out on a page
    indices = sheet_indices(sequence, count)
    frames = list(render_frames(thumb_seq, indices, workers=workers, progress=progress))
    columns = max(1, min(columns, len(frames)))
    drawn = sequence.drawn_tracks()
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, W, H)
    cr = cairo.Context(surface)
    cr.set_source_rgb(0.06, 0.06, 0.07)
    cr.paint()
    for k, (index, rgb) in enumerate(zip(indices, frames, strict=True)):
        x = gap + (k % columns) * (tw + gap)
        y = gap + (k // columns) * (th + label_h + gap)
        bgra = np.empty((th, tw, 4), np.uint8)
        bgra[..., :3] = rgb[..., ::-1]
        bgra[..., 3] = 255
        img = cairo.ImageSurface.create_for_data(
            memoryview(bgra), cairo.FORMAT_ARGB32, tw, th, tw * 4
        )
        cr.set_source_surface(img, x, y)
        cr.paint()
        t = sequence.time_of(index)
        label = f"{t:6.2f}s  #{index}"
        label += "  " + ", ".join(on_screen(sequence.sample(t), drawn=drawn))
        # Smaller when the label is wider than its thumbnail: it would run into the next.
        size = min(label_h * 0.5, (tw - 4) / max(1.0, text_width(label, 1.0)))
        text_path(cr, label, x + 2, y + th + label_h * 0.25, size)
        cr.set_source_rgb(0.85, 0.85, 0.85)
        cr.set_line_width(max(1.0, label_h * 0.06))
        cr.set_line_cap(cairo.LINE_CAP_ROUND)
        cr.stroke()
    return argb_to_rgb(surface).copy()
