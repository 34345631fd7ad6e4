"""Light in linear floating point: the soft-light buffer's last light and the bloom.

A frame's sharp drawing is cairo's sRGB bytes; its soft light (glows, washes, mist)
accumulates at an eighth of the resolution, a sixteenth from 4K (render/softlight.py).
At the end of a frame both meet here in linear light, the bloom spreads the bright
parts of their sum (also in linear light, so a saturated glow stays saturated), and
`render.tonemap.finish` tone-maps and dithers the total into the final bytes. Everything
soft stays at low resolution; only the final pass touches every pixel.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

from render import tonemap
from render.surface import halved, shrink
from render.tonemap import srgb_to_linear

_DECODE = srgb_to_linear(np.arange(256, dtype=np.uint8))

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


# The kernels are compiled, or loaded from numba's disk cache, by `_compile` on first use
# (as render/tonemap.py's): importing numba costs about half a second that commands which
# never render should not pay.
prange = range
_compiled = False


def _compile() -> None:
    global _bright, _bright_area, prange, _compiled
    if _compiled:
        return
    import numba

    prange = numba.prange
    _bright = numba.njit(cache=True, parallel=True)(_bright)
    _bright_area = numba.njit(cache=True, parallel=True)(_bright_area)
    _compiled = True


def _bright(small, knee, decode, out):  # pragma: no cover - compiled
    """The bright part of sRGB bytes in linear light: each pixel's colour scaled by the
    knee's weight of its max channel (rounded to a byte, as cv2.multiply with scale 1/255
    rounds), then decoded. One pass instead of six OpenCV ones with their temporaries."""
    for y in prange(small.shape[0]):
        for x in range(small.shape[1]):
            r, g, b = np.int32(small[y, x, 0]), np.int32(small[y, x, 1]), np.int32(small[y, x, 2])
            w = np.int32(knee[max(r, g, b)])
            if w == 0:  # below the threshold, as most of a frame is: no light
                out[y, x, 0] = out[y, x, 1] = out[y, x, 2] = 0.0
                continue
            out[y, x, 0] = decode[(r * w + 127) // 255]
            out[y, x, 1] = decode[(g * w + 127) // 255]
            out[y, x, 2] = decode[(b * w + 127) // 255]


def _bright_area(big, knee, decode, lo, f, out):  # pragma: no cover - compiled
    """What `bloom` did in three passes, in one: big, (2 gh, 6 gw) uint8, the frame at
    twice the grid, halved (2 x 2 averages rounded as cv2.resize's INTER_AREA rounds);
    the bright part of that (`_bright`); averaged over f x f blocks into out, (gh / f,
    gw / f, 3) float32, with the float sums of cv2's INTER_AREA for an integer factor
    (row by row through the block, ((a + b) + c) + d added to the sum four at a time,
    the rest one by one). The same floats, without writing the grid and the bright part
    at the grid's size and reading them back. lo: the smallest max channel whose knee
    weight is not 0; a block with no byte that bright is 0 (most of a frame)."""
    oh, ow = out.shape[0], out.shape[1]
    n = big.shape[1]
    area = f * f
    scale = np.float32(1.0) / np.float32(area)
    zero = np.float32(0.0)
    for oy in prange(oh):
        y0 = 2 * f * oy
        top = big[y0].copy()  # the brightest byte of each column of the block row
        for dy in range(1, 2 * f):
            row = big[y0 + dy]
            for j in range(n):
                top[j] = max(top[j], row[j])
        brightest = np.uint8(0)
        for j in range(n):
            brightest = max(brightest, top[j])
        if brightest < lo:
            for ox in range(ow):
                out[oy, ox, 0] = out[oy, ox, 1] = out[oy, ox, 2] = zero
            continue
        vals = np.empty((3, area), np.float32)
        for ox in range(ow):
            m = np.uint8(0)
            for j in range(6 * f * ox, 6 * f * (ox + 1)):
                m = max(m, top[j])
            if m < lo:
                out[oy, ox, 0] = out[oy, ox, 1] = out[oy, ox, 2] = zero
                continue
            k = 0
            for dy in range(f):
                r0, r1 = big[y0 + 2 * dy], big[y0 + 2 * dy + 1]
                for dx in range(f):
                    j = 6 * (f * ox + dx)
                    r = np.int32(r0[j]) + np.int32(r0[j + 3])
                    r += np.int32(r1[j]) + np.int32(r1[j + 3])
                    g = np.int32(r0[j + 1]) + np.int32(r0[j + 4])
                    g += np.int32(r1[j + 1]) + np.int32(r1[j + 4])
                    b = np.int32(r0[j + 2]) + np.int32(r0[j + 5])
                    b += np.int32(r1[j + 2]) + np.int32(r1[j + 5])
                    r, g, b = (r + 2) >> 2, (g + 2) >> 2, (b + 2) >> 2
                    w = np.int32(knee[max(r, g, b)])
                    if w == 0:
                        vals[0, k] = vals[1, k] = vals[2, k] = zero
                    else:
                        vals[0, k] = decode[(r * w + 127) // 255]
                        vals[1, k] = decode[(g * w + 127) // 255]
                        vals[2, k] = decode[(b * w + 127) // 255]
                    k += 1
            for c in range(3):
                v = vals[c]
                total = zero
                k = 0
                while k <= area - 4:
                    total += ((v[k] + v[k + 1]) + v[k + 2]) + v[k + 3]
                    k += 4
                while k < area:
                    total += v[k]
                    k += 1
                out[oy, ox, c] = total * scale


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
    _compile()
    knee = _knee_lut(round(float(threshold), 4))
    # The first level's factor f0. When the frame is a power of two (2 or more) times
    # the grid and f0 divides the grid, the frame's last halving to the grid, the knee
    # and the first level's averaging are one pass (`_bright_area`): the same floats.
    f0 = max(1, int(radius * _LEVEL_SCALES[0] * gh / _SIGMA_PX))
    times = base.shape[1] // gw
    if (
        f0 >= 2
        and gh % f0 == 0
        and gw % f0 == 0
        and times >= 2
        and times & (times - 1) == 0
        and base.shape[1] == times * gw
        and h == times * gh
    ):
        big = halved(base, times.bit_length() - 2)  # to twice the grid, as `shrink` does
        bright = np.empty((gh // f0, gw // f0, 3), np.float32)
        lo = int(np.flatnonzero(knee)[0]) if knee.any() else 256
        big = np.ascontiguousarray(big).reshape(2 * gh, 6 * gw)
        _bright_area(big, knee, _DECODE, lo, f0, bright)
        first = f0
    else:
        if h >= gh:
            small = shrink(base, gw, gh)
        else:
            small = cv2.resize(base, (gw, gh), interpolation=cv2.INTER_LINEAR)
        # The knee on the sharp drawing's bytes, then the bright part to linear light:
        # one pass at the grid's size.
        bright = np.empty((gh, gw, 3), np.float32)
        _bright(small, knee, _DECODE, bright)
        first = 1
    # The soft light's own bright part, on its grid (it is smooth: no detail is lost).
    lt = float(srgb_to_linear(np.float64(np.clip(threshold, 0.0, 1.0))))
    lm = np.maximum(np.maximum(light[..., 0], light[..., 1]), light[..., 2])
    lw = np.clip((lm - lt) / np.maximum(lm, 1e-6), 0.0, 1.0)
    soft = light * cv2.merge((lw, lw, lw))
    glow = np.zeros_like(light)
    # Each level is cut down from the one before (sigma doubles, so the grid halves): the
    # full grid is read once. The soft light joins at the first level's resolution (all
    # of this is linear, and it is smoother than any level), not upsampled to the grid.
    src, sf, joined = bright, first, False
    for ls, lw in zip(_LEVEL_SCALES, _LEVEL_WEIGHTS, strict=True):
        sigma = radius * ls * gh  # in grid pixels
        f = max(1, int(sigma / _SIGMA_PX))
        if f >= 2 * sf:
            src = cv2.resize(src, (max(1, gw // f), max(1, gh // f)), interpolation=cv2.INTER_AREA)
            sf = f
        if not joined:
            size = (src.shape[1], src.shape[0])
            src = cv2.add(src, cv2.resize(soft, size, interpolation=cv2.INTER_LINEAR))
            joined = True
        s = math.sqrt(max((sigma * sigma - (sf * sf - 1) / 12.0) / (sf * sf), 0.25))
        blurred = cv2.GaussianBlur(src, (0, 0), sigmaX=s, borderType=cv2.BORDER_REFLECT)
        up = cv2.resize(blurred, (sw, sh), interpolation=cv2.INTER_LINEAR)
        cv2.scaleAdd(up, lw, glow, dst=glow)
    # Saturation (each channel pushed away from the pixel's grey) and gain as one 3x3
    # matrix. The widest levels spread a faint veil over the whole frame; in linear light
    # a veil of a few thousandths lifts sRGB black from 4 to 12 levels. Taking that floor
    # off keeps every real glow and gives the frame its blacks back.
    k = amount * _GAIN
    mix = np.full((3, 3), (1.0 - _SATURATION) / 3.0 * k) + np.eye(3) * (_SATURATION * k)
    glow = cv2.transform(glow, mix)
    return cv2.add(light, np.maximum(glow - _VEIL, 0.0))


def warm_up() -> None:
    """Compile the light's kernels (or load them from numba's disk cache): the bloom's
    and the final pass's, for a worker before its first frame."""
    _compile()
    _bright(np.zeros((1, 1, 3), np.uint8), _knee_lut(0.5), _DECODE, np.empty((1, 1, 3), np.float32))
    out = np.empty((1, 1, 3), np.float32)
    _bright_area(np.zeros((4, 12), np.uint8), _knee_lut(0.5), _DECODE, 0, 2, out)
    tonemap.warm_up()


__all__ = ["bloom", "warm_up"]
