"""Soft light: glows, washes and mist drawn at an eighth of the resolution (a sixteenth
from 4K up: `factor_for`).

Big radial gradients are the most expensive thing cairo does here (a full-frame
one costs 20-70 ms at 1080p), yet soft light has no detail worth those pixels.
Layers draw it onto a small additive buffer with the same coordinates as the
frame; `flush` upsamples it with OpenCV and adds it into the frame's pixels,
which costs a few milliseconds. Light adds up in any order, so the renderer
flushes once, at the end; a layer that paints something opaque first takes the
light it hides out of the buffer (`cover`), or flushes it before (the split
core).

On a vector surface (PDF, SVG) soft light is not flushed: a print draws its
glows from the raster render underneath the vector strokes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cairo
import cv2
import numpy as np

from render.surface import pixels

FACTOR = 8
MIN_RADIUS = 4.0  # in buffer pixels: below this a glow is drawn sharp, on the frame itself


def factor_for(width: int, height: int) -> int:
    """The buffer's reduction for a frame: FACTOR, doubled from a shorter side of 2160
    (4K and up). Soft light then has the same resolution relative to the frame as at
    1080p, so the same glows count as soft (MIN_RADIUS is in buffer pixels) and the
    picture is the same at both sizes; at 4K a finer buffer only cost more (its glows,
    the bloom's join and the tone map's upsampling: about 7% of a 4K frame)."""
    return FACTOR * 2 if min(width, height) >= 2160 else FACTOR


_upsampled: dict = {}  # one buffer per process (a render draws its frames one at a time)
_decode: dict = {}  # sRGB byte -> linear float32, made on first use (render.tonemap's)


class SoftLight:
    def __init__(
        self, target: cairo.Surface, width: int, height: int, factor: int = FACTOR
    ) -> None:
        self.target = target if isinstance(target, cairo.ImageSurface) else None
        self.width, self.height = width, height
        self.factor = factor  # the buffer is the frame reduced by this (see factor_for)
        self.sw, self.sh = math.ceil(width / factor), math.ceil(height / factor)
        self.surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, self.sw, self.sh)
        self.cr = cairo.Context(self.surface)
        self.dirty = False

    def context(self, like: cairo.Context | None = None) -> cairo.Context:
        """The buffer's context, transformed like `like` (the frame's context) if given."""
        self.dirty = True
        scale = cairo.Matrix(xx=1 / self.factor, yy=1 / self.factor)
        self.cr.set_matrix(like.get_matrix().multiply(scale) if like is not None else scale)
        self.cr.set_operator(cairo.OPERATOR_ADD)
        return self.cr

    def accepts(self, radius: float) -> bool:
        return radius / self.factor >= MIN_RADIUS

    def cover(
        self,
        like: cairo.Context | None,
        alpha: float = 1.0,
        source: cairo.Pattern | None = None,
        everywhere: bool = False,
    ) -> None:
        """Take out the light that an opaque paint on `like` hides: under its current path
        (kept on `like`, to be filled), or `everywhere`, by `alpha` or by the alpha of
        `source` (a pattern in `like`'s user space). The same as flushing the buffer into
        the frame before painting OVER it, without the full-frame upsample a flush costs;
        the cut is made at the buffer's resolution, so its edge is as soft as the light."""
        soft = self.context(like)
        soft.save()
        soft.new_path()
        soft.set_operator(cairo.OPERATOR_DEST_OUT)
        if source is not None:
            soft.set_source(source)
        else:
            soft.set_source_rgba(0, 0, 0, min(max(alpha, 0.0), 1.0))
        if everywhere:
            soft.paint()
        else:
            soft.append_path(like.copy_path())
            soft.fill()
        soft.restore()

    def add_pixels(self, add: Callable[[np.ndarray], None]) -> None:
        """Let `add` add premultiplied BGRA light straight into the buffer's pixels."""
        self.dirty = True
        add(pixels(self.surface))
        self.surface.mark_dirty()

    def collect(self) -> np.ndarray:
        """The light drawn since the last flush as linear float32 RGB on the buffer's grid
        (ceil(h/factor), ceil(w/factor)), and the buffer cleared: the frame's end, where
        the renderer adds it in linear light and tone-maps (render.light). Its bytes are
        read as sRGB-encoded, as a flush would have added them to the frame."""
        from render.tonemap import srgb_to_linear

        small = pixels(self.surface)
        # BGRA (premultiplied: light adds) -> RGB bytes, then decoded by cv2.LUT with the
        # float32 table srgb_to_linear looks bytes up in: the same floats, in a third of
        # the time of numpy's indexing of the strided channels.
        if _decode.get("lut") is None:
            _decode["lut"] = srgb_to_linear(np.arange(256, dtype=np.uint8)).reshape(1, 256)
        rgb = cv2.LUT(cv2.cvtColor(small, cv2.COLOR_BGRA2RGB), _decode["lut"])
        # The buffer holds 8-bit levels: a faint wide glow is a staircase of them, which
        # upsampling would show as rings. A blur of under a buffer pixel turns the steps
        # back into a slope (the dither at the end then hides the output's own levels).
        rgb = cv2.GaussianBlur(rgb, (0, 0), sigmaX=0.8, borderType=cv2.BORDER_REPLICATE)
        self.dirty = False
        self.cr.save()
        self.cr.set_operator(cairo.OPERATOR_CLEAR)
        self.cr.paint()
        self.cr.restore()
        return rgb

    def flush(self) -> None:
        """Add the buffer into the frame and clear it.

        Only the rectangle the buffer lit (plus a pixel of its dark margin, so bilinear
        upsampling sees the same neighbours) is upsampled and added: upsampling a crop by
        a whole factor lands on the same pixels as upsampling the whole buffer."""
        if not self.dirty:
            return
        self.dirty = False
        if self.target is not None:
            small = pixels(self.surface)
            lit = small.view(np.uint32)[..., 0] != 0
            rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
            if len(rows):
                y0, y1 = max(0, rows[0] - 1), min(self.sh, rows[-1] + 2)
                x0, x1 = max(0, cols[0] - 1), min(self.sw, cols[-1] + 2)
                self._add(small, x0, y0, x1, y1)
        self.cr.save()
        self.cr.set_operator(cairo.OPERATOR_CLEAR)
        self.cr.paint()
        self.cr.restore()

    def _add(self, small: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
        t = self.target
        if t.get_device_scale() != (1.0, 1.0):  # a plane drawn small (render.camera)
            tw, th = t.get_width(), t.get_height()
            size = (
                round(self.sw * self.factor * tw / self.width),
                round(self.sh * self.factor * th / self.height),
            )
            whole = cv2.resize(small, size, interpolation=cv2.INTER_LINEAR)[:th, :tw]
            big = pixels(t)
            cv2.add(big, whole, dst=big)
            t.mark_dirty()
            return
        # At the buffer's own edges cv2's replicated border matches the full resize's.
        f = self.factor
        shape = ((y1 - y0) * f, (x1 - x0) * f, 4)
        full = (self.sh * f, self.sw * f, 4)
        if _upsampled.get("shape") != full:  # a fresh 8 MB array costs page faults each frame
            _upsampled.update(shape=full, array=np.empty(full, np.uint8))
        up = _upsampled["array"][: shape[0], : shape[1]]
        cv2.resize(
            small[y0:y1, x0:x1], (shape[1], shape[0]), dst=up, interpolation=cv2.INTER_LINEAR
        )
        t = self.target
        big = pixels(t)
        bx, by = x0 * f, y0 * f
        region = big[by : min(by + shape[0], self.height), bx : min(bx + shape[1], self.width)]
        cv2.add(region, up[: region.shape[0], : region.shape[1]], dst=region)
        t.mark_dirty()
