"""The last step of a frame: linear light in, dithered sRGB bytes out.

Light adds up in linear float (cairo's bytes are sRGB-encoded; adding those adds the
wrong thing and clips highlights to grey-white). `finish` turns base + light into the
final uint8 frame in one fused, parallel numba pass; `tone_map` is its numpy reference.

The curve: a hue-preserving shoulder on the max channel, with a separate path to white.
Let m = max(r, g, b) of the exposed linear colour.

* Below ``KNEE`` (0.6, sRGB byte 203) the curve is the identity, so a frame without HDR
  light looks as before up to there, and black stays exactly black.
* Above it the max channel follows an exponential shoulder that meets the identity with
  slope 1 (C1) and approaches 1 without ever reaching it, so nothing hard-clips:
  ``f(m) = 1 - (1 - KNEE) * exp(-(m - KNEE) / (1 - KNEE))`` (f(1) = 0.85, f(2) = 0.99).
  The colour is scaled by f(m) / m, the same for every channel: ratios, hence hue and
  saturation, are kept (a per-channel curve would skew hue and flatten colour to grey).
* The path to white then blends the colour toward the neutral of the same max channel by
  ``w(m) = 1 - exp(-(log2(m) / WHITE_STOPS) ** 3)`` for m > 1 (0 below, C1 at 1): with
  WHITE_STOPS = 3, w = 0.04 at 2x over range, 0.26 at 4x, 0.63 at 8x, 0.91 at 16x. A
  saturated red at 2-4x stays clearly red (HSV S of the encoded result 0.8-0.46), light
  8x over range turns whitish, and pure white needs about 40x. Blending toward a neutral
  with the same maximum leaves HSV hue exactly unchanged, and every channel is
  f(m) * (r_i + w * (1 - r_i)) with r_i = c_i / m fixed along a ray: a product of
  non-decreasing factors, so the curve is monotonic in intensity channel by channel.

This is AgX's idea (highlights travel through the hue to white instead of clipping) with
hue kept exactly and no fitted matrices: cheap enough to run per pixel in the kernel, and
every constant has a meaning. A fitted ACES curve skews hue (its per-channel RRT+ODT turns
bright blue purple and saturated red orange) and lifts nothing we need.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "KNEE",
    "WHITE_STOPS",
    "finish",
    "finish_reference",
    "linear_to_srgb",
    "srgb_to_linear",
    "tone_map",
    "warm_up",
]

KNEE = 0.6
"""Linear max-channel value up to which the tone map is the identity."""

WHITE_STOPS = 3.0
"""Stops over the display range at which the path to white is 63% of the way (w = 1 - 1/e)."""

_ENCODE_STEPS = 16384  # entries of the encoding table over sqrt(linear): see _level


# --------------------------------------------------------------------------- transfer


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded values to linear light: uint8 (0..255) through a table, giving float32,
    or floats in 0..1 (same float dtype back). Sign-symmetric, so never NaN."""
    a = np.asarray(values)
    if a.dtype == np.uint8:
        return _DECODE32[a]
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"srgb_to_linear takes uint8 or float arrays, got {a.dtype}")
    x = np.abs(a)
    out = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    return np.copysign(out, a).astype(a.dtype, copy=False)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light to sRGB-encoded floats (0..1 for 0..1; sign-symmetric; same dtype)."""
    a = np.asarray(values)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    x = np.abs(a)
    out = np.where(
        x <= 0.0031308, 12.92 * x, 1.055 * np.maximum(x, 0.0031308) ** (1.0 / 2.4) - 0.055
    )
    return np.copysign(out, a).astype(a.dtype, copy=False)


_DECODE = srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)
_DECODE32 = _DECODE.astype(np.float32)
_DECODE32.flags.writeable = False
# The largest byte whose linear value the tone map leaves alone.
_KNEE_BYTE = int(np.flatnonzero(_DECODE <= KNEE)[-1])
# Encoded levels (0..255) at evenly spaced values of sqrt(linear).
_ENCODE = (linear_to_srgb(np.linspace(0.0, 1.0, _ENCODE_STEPS + 1) ** 2) * 255.0).astype(np.float32)
_ENCODE.flags.writeable = False


# --------------------------------------------------------------------------- reference


def tone_map(linear: np.ndarray, exposure: float = 1.0) -> np.ndarray:
    """Exposed linear RGB (..., 3), any non-negative range, to display-linear float32 in
    0..1 (encode with `linear_to_srgb`). Negative light counts as none. See the module
    docstring for the curve."""
    c = np.maximum(np.asarray(linear, dtype=np.float64) * float(exposure), 0.0)
    m = c.max(axis=-1, keepdims=True)
    over = m > KNEE
    fm = np.where(over, 1.0 - (1.0 - KNEE) * np.exp(-(m - KNEE) / (1.0 - KNEE)), m)
    scale = np.where(over, fm / np.where(over, m, 1.0), 1.0)
    stops = np.log2(np.maximum(m, 1.0)) / WHITE_STOPS
    white = 1.0 - np.exp(-(stops**3))
    return (c * scale * (1.0 - white) + fm * white).astype(np.float32)


def _upsample_reference(light: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling by an integer factor with pixel centres aligned and edges
    replicated (OpenCV's INTER_LINEAR), cropped to (height, width)."""
    factor = _factor(light.shape, height, width)

    def taps(n: int, size: int):
        s = (np.arange(n) + 0.5) / factor - 0.5
        i0 = np.floor(s).astype(np.int64)
        frac = (s - i0)[:, None]
        return np.clip(i0, 0, size - 1), np.clip(i0 + 1, 0, size - 1), frac

    y0, y1, fy = taps(height, light.shape[0])
    x0, x1, fx = taps(width, light.shape[1])
    lo = light.astype(np.float64)
    rows = lo[y0] * (1 - fy[..., None]) + lo[y1] * fy[..., None]
    return rows[:, x0] * (1 - fx) + rows[:, x1] * fx


def finish_reference(base: np.ndarray, light: np.ndarray | None, exposure: float) -> np.ndarray:
    """What `finish` computes before dither and quantisation, in plain numpy: sRGB-encoded
    float32 in 0..1. Slow; for tests and documentation."""
    base, light = _check(base, light)
    linear = _DECODE[base]
    if light is not None:
        linear = linear + _upsample_reference(light, base.shape[0], base.shape[1])
    return linear_to_srgb(tone_map(linear, exposure)).astype(np.float32)


# --------------------------------------------------------------------------- kernel


@njit(cache=True, inline="always")
def _dither(x, y, seed):  # pragma: no cover - compiled
    """Triangular noise in (-1, 1) from a hash of (x, y, seed): splitmix64's finaliser,
    its top and bottom 24 bits taken as two uniform numbers and subtracted."""
    z = seed + ((np.uint64(y) << np.uint64(32)) | np.uint64(x)) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (float(z >> np.uint64(40)) - float(z & np.uint64(0xFFFFFF))) * (1.0 / 16777216.0)


@njit(cache=True, inline="always")
def _level(v, d, encode, steps):  # pragma: no cover - compiled
    """Display-linear v in 0..1 -> sRGB level, dithered by d (-1..1) and rounded.

    The table is indexed by sqrt(v), where the sRGB curve is nearly straight, so the
    nearest entry is within 0.012 of a level. The dither's amplitude shrinks to the
    distance from 0 and from 255: it never lifts black, never dims white, and never
    needs clipping (which would bias the mean)."""
    x = encode[int(math.sqrt(v) * steps + 0.5)]
    return np.uint8(int(x + min(1.0, x, 255.0 - x) * d + 0.5))


@njit(cache=True, parallel=True)
def _finish(  # pragma: no cover - compiled
    base, light, factor, has_light, exposure, seed, dithered, decode, encode, knee_byte, out
):
    height, width = base.shape[0], base.shape[1]
    lh, lw = light.shape[0], light.shape[1]
    steps = encode.shape[0] - 1
    # Horizontal taps are the same on every row: once per call.
    x0s = np.empty(width, np.int64)
    x1s = np.empty(width, np.int64)
    fxs = np.empty(width, np.float64)
    for x in range(width):
        s = (x + 0.5) / factor - 0.5
        i = int(math.floor(s))
        fxs[x] = s - i
        x0s[x] = 3 * min(max(i, 0), lw - 1)
        x1s[x] = 3 * min(max(i + 1, 0), lw - 1)
    plain = exposure == 1.0
    shoulder = 1.0 - KNEE
    for y in prange(height):
        # The light's row at this height, interpolated between its two nearest rows.
        row = np.zeros(3 * lw, np.float64)
        if has_light:
            s = (y + 0.5) / factor - 0.5
            i = int(math.floor(s))
            fy = s - i
            y0 = min(max(i, 0), lh - 1)
            y1 = min(max(i + 1, 0), lh - 1)
            for k in range(lw):
                for c in range(3):
                    top = light[y0, k, c]
                    row[3 * k + c] = top + (light[y1, k, c] - top) * fy
        for x in range(width):
            b0, b1, b2 = base[y, x, 0], base[y, x, 1], base[y, x, 2]
            l0 = l1 = l2 = 0.0
            if has_light:
                xa, xb, fx = x0s[x], x1s[x], fxs[x]
                l0 = row[xa] + (row[xb] - row[xa]) * fx
                l1 = row[xa + 1] + (row[xb + 1] - row[xa + 1]) * fx
                l2 = row[xa + 2] + (row[xb + 2] - row[xa + 2]) * fx
            # Untouched pixels below the knee are exact levels already: copied, not
            # dithered (there is no error to hide, and noise costs bits in H.264).
            if plain and l0 == 0.0 and l1 == 0.0 and l2 == 0.0 and max(b0, b1, b2) <= knee_byte:
                out[y, x, 0], out[y, x, 1], out[y, x, 2] = b0, b1, b2
                continue
            r = max((decode[b0] + l0) * exposure, 0.0)
            g = max((decode[b1] + l1) * exposure, 0.0)
            b = max((decode[b2] + l2) * exposure, 0.0)
            m = max(r, g, b)
            keep, lift = 1.0, 0.0
            if m > KNEE:
                fm = 1.0 - shoulder * math.exp(-(m - KNEE) / shoulder)
                white = 0.0
                if m > 1.0:
                    t = math.log2(m) / WHITE_STOPS
                    white = 1.0 - math.exp(-(t * t * t))
                keep = fm / m * (1.0 - white)
                lift = fm * white
            d = _dither(x, y, seed) if dithered else 0.0
            out[y, x, 0] = _level(r * keep + lift, d, encode, steps)
            out[y, x, 1] = _level(g * keep + lift, d, encode, steps)
            out[y, x, 2] = _level(b * keep + lift, d, encode, steps)


# --------------------------------------------------------------------------- entry points


def _factor(light_shape: tuple[int, ...], height: int, width: int) -> int:
    """The integer factor by which light (ceil(height / f), ceil(width / f)) was reduced."""
    lh, lw = light_shape[:2]
    if lh < 1 or lw < 1:
        raise ValueError(f"light has no pixels: shape {light_shape}")
    f = -(-height // lh)
    if -(-height // f) != lh or -(-width // f) != lw:
        raise ValueError(
            f"light of shape {tuple(light_shape[:2])} is not the frame ({height}, {width}) "
            "reduced by an integer factor (ceil(size / factor) on both axes)"
        )
    return f


def _check(base: np.ndarray, light: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    if not isinstance(base, np.ndarray) or base.dtype != np.uint8:
        raise TypeError(f"base must be a uint8 array, got {getattr(base, 'dtype', base)!r}")
    if base.ndim != 3 or base.shape[2] != 3 or base.shape[0] < 1 or base.shape[1] < 1:
        raise ValueError(f"base must be (H, W, 3), got shape {base.shape}")
    if light is None:
        return np.ascontiguousarray(base), None
    light = np.ascontiguousarray(light, dtype=np.float32)
    if light.ndim != 3 or light.shape[2] != 3:
        raise ValueError(f"light must be (h, w, 3), got shape {light.shape}")
    _factor(light.shape, base.shape[0], base.shape[1])
    return np.ascontiguousarray(base), light


def _seed_key(seed: int) -> np.uint64:
    """The seed spread over 64 bits (nearby seeds give unrelated dither)."""
    z = (int(seed) * 0xD1B54A32D192ED03 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 29
    return np.uint64(z)


def finish(
    base: np.ndarray,
    light: np.ndarray | None,
    exposure: float,
    seed: int,
    *,
    dither: bool = True,
) -> np.ndarray:
    """The final frame: (H, W, 3) uint8 sRGB.

    `base` is the drawn frame, (H, W, 3) uint8 sRGB; `light` is linear float light to add,
    either (H, W, 3) or reduced by an integer factor f to (ceil(H / f), ceil(W / f), 3),
    upsampled bilinearly (pixel centres aligned, edges replicated, as OpenCV's
    INTER_LINEAR) on the fly. The sum is multiplied by `exposure`, tone mapped
    (`tone_map`), encoded, and dithered with triangular noise of +-1 level from a hash of
    (x, y, seed): the same inputs give the same bytes on any number of threads. Pixels the
    light and exposure leave untouched below the knee come back unchanged. Inputs are
    never written to."""
    base, light = _check(base, light)
    exposure = float(exposure)
    if not math.isfinite(exposure) or exposure < 0:
        raise ValueError(f"exposure must be a finite number >= 0, got {exposure}")
    height, width = base.shape[:2]
    if light is None:
        factor, has_light, light = 1, False, np.zeros((1, 1, 3), np.float32)
    else:
        factor, has_light = _factor(light.shape, height, width), True
    out = np.empty((height, width, 3), np.uint8)
    _finish(
        base,
        light,
        factor,
        has_light,
        exposure,
        _seed_key(seed),
        bool(dither),
        _DECODE,
        _ENCODE,
        _KNEE_BYTE,
        out,
    )
    return out


def warm_up() -> None:
    """Compile (or load from numba's disk cache) the kernel, for a worker before its first
    frame."""
    base = np.zeros((2, 2, 3), np.uint8)
    finish(base, np.zeros((1, 1, 3), np.float32), 1.0, 0)
