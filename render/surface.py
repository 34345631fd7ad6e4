"""Cairo image surfaces as numpy arrays, without copying."""

from __future__ import annotations

import cairo
import numpy as np


def pixels(surface: cairo.ImageSurface) -> np.ndarray:
    """An ARGB32 surface's pixels as an (H, W, 4) uint8 view: premultiplied B, G, R, A on
    little-endian machines. The surface is flushed first; mark it dirty after writing."""
    surface.flush()
    h, stride = surface.get_height(), surface.get_stride()
    return np.ndarray((h, stride // 4, 4), np.uint8, surface.get_data())[:, : surface.get_width()]
