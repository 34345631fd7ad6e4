"""The console's melting text, warped band by band, must be the one remap it was."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from render.layers import console


def _melt_layer(seed: int, w: int = 640, h: int = 360) -> np.ndarray:
    """A layer lit like melting console text: short bright lines with dark gaps."""
    rng = np.random.default_rng(seed)
    src = np.zeros((h, w, 4), np.uint8)
    for _ in range(40):
        y, x = int(rng.integers(0, h - 4)), int(rng.integers(0, w - 8))
        length = int(rng.integers(4, 160))
        src[y : y + 3, x : x + length] = rng.integers(0, 256, (3, min(length, w - x), 4))
    src[int(h * 0.6) :, int(w * 0.45) : int(w * 0.55)] = 0  # a gap between panels
    return src


def _one_remap(dst, src, dx, dy, box) -> None:
    """The whole box in one remap, as before the bands."""
    x0, y0, x1, y1 = box
    map_x = np.add.outer(-dx[y0:y1], np.arange(x0, x1, dtype=np.float32))
    map_y = np.subtract.outer(np.arange(y0, y1, dtype=np.float32), dy[x0:x1])
    melted = cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    region = dst[y0:y1, x0:x1]
    cv2.add(region, melted, dst=region)


@pytest.mark.parametrize("seed", range(6))
def test_banded_melt_remap_matches_one_remap(seed):
    src = _melt_layer(seed)
    h, w = src.shape[:2]
    rng = np.random.default_rng(100 + seed)
    # Drips down (and, for the test, a little up) and sideways drift, in pixels.
    dy = (rng.random(w) ** 2 * (70 if seed % 2 else 8) - (3 if seed == 3 else 0)).astype(np.float32)
    dy = np.convolve(dy, np.ones(9) / 9, mode="same").astype(np.float32)
    dx = (np.sin(np.arange(h) / 17.0 + seed) * 6.3).astype(np.float32)
    lit = src.view(np.uint32)[..., 0] != 0
    side = math.ceil(float(np.abs(dx).max())) + 1
    reach = math.ceil(float(dy.max())) + 1
    base = np.random.default_rng(seed).integers(0, 200, (h, w, 4)).astype(np.uint8)
    box = (0, 0, w, h)
    expected, actual = base.copy(), base.copy()
    _one_remap(expected, src, dx, dy, box)
    console._remap_bands(actual, src, lit, dx, dy, box, side, reach)
    assert np.array_equal(actual, expected)
