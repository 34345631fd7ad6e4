"""Tests for render.light: the bloom's one-pass bright part is the three passes it
replaces (halving to the grid, the knee, the first level's averaging), to the float."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from render import light


def _three_passes(big, knee, decode, lo, f, out):
    """`light._bright_area` as cv2 and `light._bright` compute it, one pass each."""
    h, w = big.shape[0], big.shape[1] // 3
    small = cv2.resize(big.reshape(h, w, 3), (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    bright = np.empty(small.shape, np.float32)
    light._bright(small, knee, decode, bright)
    size = (small.shape[1] // f, small.shape[0] // f)
    out[...] = cv2.resize(bright, size, interpolation=cv2.INTER_AREA)


def _strokes(height: int, width: int, seed: int) -> np.ndarray:
    """Dark noise with bright lines and dots of every hue: all the knee's range."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 90, (height, width, 3), dtype=np.uint8)
    for _ in range(40):
        p, q = rng.integers(0, [width, height], 2), rng.integers(0, [width, height], 2)
        colour = rng.integers(60, 256, 3)
        colour[rng.integers(0, 3)] = 255  # neon: one channel full
        colour = tuple(int(c) for c in colour)
        cv2.line(base, tuple(map(int, p)), tuple(map(int, q)), colour, int(rng.integers(1, 4)))
    return base


@pytest.mark.parametrize("height", [1080, 2160])
@pytest.mark.parametrize(("radius", "threshold"), [(0.03, 0.6), (0.02, 0.3), (0.05, 0.7)])
def test_bright_part_in_one_pass_is_the_three_passes(monkeypatch, height, radius, threshold):
    # 2 x 120 columns on the grid: the first level's factor (2, 3, 5) divides it
    width = height * 2 // 9
    base = _strokes(height, width, height + int(radius * 100))
    soft = np.random.default_rng(2).random((height // 8, width // 8, 3), np.float32) * 0.3
    light.warm_up()
    got = light.bloom(base, soft, 0.85, radius, threshold)
    monkeypatch.setattr(light, "_bright_area", _three_passes)
    want = light.bloom(base, soft, 0.85, radius, threshold)
    assert np.array_equal(got, want)
    assert (got > soft).mean() > 0.05  # the strokes do glow
