"""Soft light: glows, washes and mist drawn at an eighth of the resolution.

Big radial gradients are the most expensive thing cairo does here (a full-frame
one costs 20-70 ms at 1080p), yet soft light has no detail worth those pixels.
Layers draw it onto a small additive buffer with the same coordinates as the
frame; `flush` upsamples it with OpenCV and adds it into the frame's pixels,
which costs a few milliseconds. The renderer flushes after every layer, so the
stacking order of layers is kept.

On a vector surface (PDF, SVG) soft light is not flushed: a print draws its
glows from the raster render underneath the vector strokes.
"""

from __future__ import annotations

import math

import cairo
import cv2
import numpy as np

FACTOR = 8
MIN_RADIUS = 4.0  # in buffer pixels: below this a glow is drawn sharp, on the frame itself


class SoftLight:
    def __init__(self, target: cairo.Surface, width: int, height: int) -> None:
        self.target = target if isinstance(target, cairo.ImageSurface) else None
        self.width, self.height = width, height
        self.sw, self.sh = math.ceil(width / FACTOR), math.ceil(height / FACTOR)
        self.surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, self.sw, self.sh)
        self.cr = cairo.Context(self.surface)
        self.dirty = False

    def context(self, like: cairo.Context | None = None) -> cairo.Context:
        """The buffer's context, transformed like `like` (the frame's context) if given."""
        self.dirty = True
        scale = cairo.Matrix(xx=1 / FACTOR, yy=1 / FACTOR)
        self.cr.set_matrix(like.get_matrix().multiply(scale) if like is not None else scale)
        self.cr.set_operator(cairo.OPERATOR_ADD)
        return self.cr

    def accepts(self, radius: float) -> bool:
        return radius / FACTOR >= MIN_RADIUS

    def flush(self) -> None:
        """Add the buffer into the frame and clear it."""
        if not self.dirty:
            return
        self.dirty = False
        if self.target is not None:
            self.surface.flush()
            small = np.ndarray(
                (self.sh, self.surface.get_stride() // 4, 4), np.uint8, self.surface.get_data()
            )[:, : self.sw]
            up = cv2.resize(
                small, (self.sw * FACTOR, self.sh * FACTOR), interpolation=cv2.INTER_LINEAR
            )[: self.height, : self.width]
            t = self.target
            t.flush()
            big = np.ndarray((t.get_height(), t.get_stride() // 4, 4), np.uint8, t.get_data())[
                :, : self.width
            ]
            cv2.add(big, up, dst=big)
            t.mark_dirty()
        self.cr.save()
        self.cr.set_operator(cairo.OPERATOR_CLEAR)
        self.cr.paint()
        self.cr.restore()
