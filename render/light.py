"""Light in linear floating point: the soft-light buffer's last light and the bloom.

A frame's sharp drawing is cairo's sRGB bytes; its soft light (glows, washes, mist)
accumulates at an eighth of the resolution (render/softlight.py). At the end of a frame
both meet here in linear light, the bloom spreads the bright parts of their sum (also
in linear light, so a saturated glow stays saturated), and `render.tonemap.finish`
tone-maps and dithers the total into the final bytes. Everything soft stays at low
resolution; only the final pass touches every pixel.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from render.tonemap import srgb_to_linear

_DECODE_LUT = srgb_to_linear(np.arange(256, dtype=np.uint8)).reshape(256, 1)

# Bloom levels as multiples of `radius` and their share of the glow's energy: a tight
# glow hugging the strokes out to a wide haze around the brightest things.
_LEVEL_SCALES = (0.5, 1.0, 2.0, 4.0, 8.0)
_LEVEL_WEIGHTS = (0.30, 0.25, 0.20, 0.15, 0.10)
# Glow saturation relative to its source: overlapping halos average toward grey; this
# keeps them coloured.
_SATURATION = 1.5
# Glow energy relative to the bright part's, at strength 1.
_GAIN = 5.0
_GRID_ROWS = 540
_VEIL = 0.006  # linear light: the glow below this is veil, not glow
# Blur kernels work at the resolution where they are about this many pixels wide.
_SIGMA_PX = 2.5


@functools.lru_cache(maxsize=32)
def _knee_lut(threshold: float) -> np.ndarray:
    """uint8 LUT: a pixel's max channel (sRGB byte) -> 255 x the share of its colour in the
    bright part: nothing up to the threshold, a quadratic soft knee, then all of it (the
    knee measured in linear light, so it is the same curve for every hue)."""
    m = srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)
    t = float(srgb_to_linear(np.float64(np.clip(threshold, 0.0, 1.0))))
    k = max(0.5 * t, 1e-4)
    x = m - t
    f = np.where(x <= 0, 0.0, np.where(x < k, x * x / (2 * k), x - k / 2))
    w = np.divide(f, m, out=np.zeros_like(m), where=m > 1e-6)
    lut = np.clip(np.rint(w * 255.0), 0, 255).astype(np.uint8)
    lut.flags.writeable = False
    return lut


def bloom(
    base: np.ndarray,
    light: np.ndarray,
    strength: float = 1.0,
    radius: float = 0.03,
    threshold: float = 0.55,
    scale: float = 1.0,
) -> np.ndarray:
    """`light` (linear float32 at the soft-light grid) plus the glow of everything bright
    in `base` (sRGB uint8, full size) and `light` together. `radius` is the main level's
    blur as a fraction of the height, `threshold` (0..1, sRGB-encoded like a colour) where
    a pixel's max channel starts to glow. Only adds light. The bright part is found on a
    540-row grid, so from 540 rows up the glow is the same picture at every size; smaller
    frames draw their thinnest strokes below a pixel, and those glow about a quarter less."""
    amount = float(strength) * float(scale)
    if amount <= 0 or radius <= 0 or threshold >= 1:
        return light
    h = base.shape[0]
    sh, sw = light.shape[:2]
    # The bright part is found on a grid of _GRID_ROWS rows whatever the frame's size, so
    # which strokes glow does not change with resolution.
    gh = _GRID_ROWS
    gw = max(1, round(base.shape[1] * gh / h))
    shrink = cv2.INTER_AREA if h >= gh else cv2.INTER_LINEAR
    small = cv2.resize(base, (gw, gh), interpolation=shrink)
    # The knee on the sharp drawing's bytes (a LUT on the max channel, in uint8), then the
    # bright part to linear light: one float pass at the grid's size.
    m = cv2.max(cv2.max(small[..., 0], small[..., 1]), small[..., 2])
    weight = cv2.LUT(m, _knee_lut(round(float(threshold), 4)))
    bright = cv2.multiply(small, cv2.cvtColor(weight, cv2.COLOR_GRAY2RGB), scale=1 / 255)
    bright = cv2.LUT(bright, _DECODE_LUT)  # to linear light, float32
    # The soft light's own bright part, on its grid (it is smooth: no detail is lost).
    lm = light.max(axis=2)
    lt = float(srgb_to_linear(np.float64(np.clip(threshold, 0.0, 1.0))))
    lw = np.clip((lm - lt) / np.maximum(lm, 1e-6), 0.0, 1.0)[..., None]
    bright += cv2.resize(light * lw, (gw, gh), interpolation=cv2.INTER_LINEAR)
    glow = np.zeros_like(light)
    # Each level is cut down from the one before (sigma doubles, so the grid halves): the
    # full grid is read once.
    src, sf = bright, 1
    for ls, lw in zip(_LEVEL_SCALES, _LEVEL_WEIGHTS, strict=True):
        sigma = radius * ls * gh  # in grid pixels
        f = max(1, int(sigma / _SIGMA_PX))
        if f >= 2 * sf:
            src = cv2.resize(src, (max(1, gw // f), max(1, gh // f)), interpolation=cv2.INTER_AREA)
            sf = f
        s = math.sqrt(max((sigma * sigma - (sf * sf - 1) / 12.0) / (sf * sf), 0.25))
        blurred = cv2.GaussianBlur(src, (0, 0), sigmaX=s, borderType=cv2.BORDER_REFLECT)
        glow += lw * cv2.resize(blurred, (sw, sh), interpolation=cv2.INTER_LINEAR)
    grey = glow.mean(axis=2, keepdims=True)
    glow = np.maximum(grey + _SATURATION * (glow - grey), 0.0) * (amount * _GAIN)
    # The widest levels spread a faint veil over the whole frame; in linear light a veil
    # of a few thousandths lifts sRGB black from 4 to 12 levels. Taking that floor off
    # keeps every real glow and gives the frame its blacks back.
    return light + np.maximum(glow - _VEIL, 0.0)


__all__ = ["bloom"]
