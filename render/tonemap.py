"""The last step of a frame: linear light in, dithered sRGB bytes out.

Light adds up in linear float (cairo's bytes are sRGB-encoded; adding those adds the
wrong thing and clips highlights to grey-white). `finish` turns base + light into the
final uint8 frame in one fused, parallel numba pass; `tone_map` and `finish_reference`
are its plain numpy reference.

The curve: a hue-preserving shoulder on the max channel, then a separate path to white.
Let m = max(r, g, b) of the exposed linear colour.

* Up to ``KNEE`` (0.6, sRGB byte 203) the curve is the identity: a frame without HDR
  light looks as before up to there, and black stays exactly black.
* Above it the max channel follows an algebraic shoulder, ``f(m) = K + (1 - K) * u /
  sqrt(1 + u^2)`` with ``u = (m - K) / (1 - K)``: it leaves the identity with slope 1
  (C1) and approaches 1 without reaching it, so nothing hard-clips (f(1) = 0.88,
  f(2) = 0.98, f(4) = 0.997). Every channel is scaled by the same f(m) / m, so channel
  ratios, hence hue and saturation, are kept; a per-channel curve skews hue and flattens
  bright colour to grey, which is the defect being fixed.
* The path to white then blends the colour toward the neutral with the same maximum by
  ``w(m) = t^2 / (1 + t^2)`` with ``t = max(m - 1, 0) / WHITE_SCALE`` (0 inside the
  display range, C1 at m = 1). With WHITE_SCALE = 5.2, w = 0.04 at 2x over range, 0.25
  at 4x, 0.5 at 6.2x, 0.64 at 8x, 0.89 at 16x: a saturated red at 2-4x stays clearly red
  (HSV saturation of the encoded result 0.80-0.46), light 8x over range has turned
  whitish (0.17) and all channels reach 250 only at about 25x.

Blending toward a neutral with the same maximum leaves HSV hue exactly unchanged, and
along a ray c * k each channel is f(m) * (r_i + w * (1 - r_i)) with r_i = c_i / m fixed:
a product of non-decreasing factors, so the map is monotonic channel by channel. This is
AgX's path to white with hue kept exactly and no fitted matrices. A fitted ACES curve was
not chosen: its per-channel tone scale turns bright blue purple and saturated red orange.
No exp or log appears, so the kernel's inner loops vectorise (AVX2 / AVX-512).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import polynomial as _poly

__all__ = [
    "KNEE",
    "WHITE_SCALE",
    "dither_noise",
    "finish",
    "finish_reference",
    "linear_to_srgb",
    "mask_stack",
    "srgb_to_linear",
    "tone_map",
    "warm_up",
]

KNEE = 0.6
"""Linear max-channel value up to which the tone map is the identity."""

WHITE_SCALE = 5.2
"""Linear light over the display range (m - 1) at which the path to white is half-way."""

# --------------------------------------------------------------------------- transfer


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded values to linear light: uint8 (0..255) through a table, giving float32,
    or floats in 0..1 (the same float dtype back). Sign-symmetric, so never NaN."""
    a = np.asarray(values)
    if a.dtype == np.uint8:
        return _DECODE32[a]
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError(f"srgb_to_linear takes uint8 or float arrays, got {a.dtype}")
    x = np.abs(a)
    out = np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)
    return np.copysign(out, a).astype(a.dtype, copy=False)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light to sRGB-encoded floats (0..1 for 0..1; sign-symmetric; float dtype
    kept, anything else becomes float64)."""
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

# The kernel computes both transfers with polynomials rather than tables: a table lookup
# is a gather, which the compiler leaves scalar, and the whole pass then costs 5-10x more.
# Decoding: bytes above the linear toe (11..255), degree 8 in b / 255, fitted for relative
# error (worst 0.002 of a level after re-encoding).
_TOE_BYTE = 10
_b = np.arange(_TOE_BYTE + 1, 256) / 255.0
_DECODE_POLY = _poly.polyfit(_b, _DECODE[_TOE_BYTE + 1 :], 8, w=1.0 / _DECODE[_TOE_BYTE + 1 :])
# Encoding: above the toe (v > 0.0031308) sRGB is 1.055 v^(1/2.4) - 0.055, a smooth
# function of q = v^(1/4) on [0.2365, 1]; degree 6 in q, in levels (worst 0.001 of a level).
_q = np.linspace(0.0031308**0.25, 1.0, 4001)
_ENCODE_POLY = _poly.polyfit(_q, (1.055 * _q ** (5.0 / 3.0) - 0.055) * 255.0, 6)
del _b, _q


# --------------------------------------------------------------------------- reference


def tone_map(linear: np.ndarray, exposure: float = 1.0) -> np.ndarray:
    """Linear RGB (..., 3), any non-negative range, times `exposure`, to display-linear
    float32 in 0..1 (encode with `linear_to_srgb`). Negative light counts as none. The
    curve is described in the module docstring."""
    c = np.maximum(np.asarray(linear, dtype=np.float64) * float(exposure), 0.0)
    m = c.max(axis=-1, keepdims=True)
    u = np.maximum(m - KNEE, 0.0) / (1.0 - KNEE)
    fm = np.where(m > KNEE, KNEE + (1.0 - KNEE) * u / np.sqrt(1.0 + u * u), m)
    t = np.maximum(m - 1.0, 0.0) / WHITE_SCALE
    white = t * t / (1.0 + t * t)
    scale = np.where(m > KNEE, fm / np.where(m > KNEE, m, 1.0), 1.0)
    return (c * scale * (1.0 - white) + fm * white).astype(np.float32)


def _upsample_reference(light: np.ndarray, factor: int, height: int, width: int) -> np.ndarray:
    """Bilinear upsampling by an integer factor with pixel centres aligned and edges
    replicated (OpenCV's INTER_LINEAR), cropped to (height, width)."""

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


def finish_reference(
    base: np.ndarray, light: np.ndarray | None, exposure: float, *, factor: int | None = None
) -> np.ndarray:
    """What `finish` computes before dither and rounding, in plain numpy: sRGB levels as
    float64 in 0..255. Slow; for tests and documentation."""
    base, light, factor = _check(base, light, factor)
    linear = _DECODE[base]
    if light is not None:
        linear = linear + _upsample_reference(light, factor, base.shape[0], base.shape[1])
    return linear_to_srgb(tone_map(linear, exposure).astype(np.float64)) * 255.0


_M32 = 0xFFFFFFFF


def _hash32(v: np.ndarray | int) -> np.ndarray:
    """Chris Wellons' lowbias32 integer hash, on uint64 holding 32-bit values."""
    h = np.asarray(v, dtype=np.uint64) & np.uint64(_M32)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x7FEB352D)) & np.uint64(_M32)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x846CA68B)) & np.uint64(_M32)
    h ^= h >> np.uint64(16)
    return h


def _seed_key(seed: int) -> int:
    """Any integer seed folded into 32 bits (nearby seeds give unrelated dither)."""
    s = int(seed) & 0xFFFFFFFFFFFFFFFF
    return int(_hash32((s & _M32) ^ int(_hash32(s >> 32))))


def dither_noise(height: int, width: int, seed: int) -> np.ndarray:
    """The triangular noise in (-1, 1) that `finish` adds at each pixel (before scaling
    its amplitude down near 0 and 255): the difference of the two 16-bit halves of a hash
    of (x, y, seed). Numpy reference of the kernel's own."""
    key = np.uint64(_seed_key(seed))
    rows = _hash32(key ^ _hash32(np.arange(height, dtype=np.uint64)))
    h = _hash32(rows[:, None] + np.arange(width, dtype=np.uint64)[None, :])
    hi = (h >> np.uint64(16)).astype(np.float64)
    lo = (h & np.uint64(0xFFFF)).astype(np.float64)
    return ((hi - lo) / 65536.0).astype(np.float32)


# --------------------------------------------------------------------------- kernel

# No NaN or infinity reaches the kernel's float maths (validated light, finite exposure);
# saying so lets min/max vectorise. No reassociation: every row computes alike anyway.
_FAST = {"nnan", "ninf", "nsz", "contract"}


# The kernels are compiled, or loaded from numba's disk cache, by `_compile` on first use:
# importing numba costs about half a second that commands which never render (`render
# check`, `--help`) should not pay. Until then `prange` is only a name for the kernels.
prange = range
_compiled = False


def _compile() -> None:
    global _hash32_jit, _multiply, _scale, _spread, _dark_spans, _finish, prange, _compiled
    if _compiled:
        return
    import numba

    prange = numba.prange  # read as the kernels compile: their rows run in parallel
    # NumPy's error model: no check for a zero divisor before each division (none can be
    # zero here: constants, the factor, a max channel above the knee), which left the
    # pass's loops less to vectorise: 4-6% faster, the same bytes.
    fast = {"error_model": "numpy"}
    _hash32_jit = numba.njit(cache=True, inline="always")(_hash32_jit)
    _multiply = numba.njit(cache=True, inline="always", **fast)(_multiply)
    _scale = numba.njit(cache=True, inline="always", **fast)(_scale)
    _spread = numba.njit(cache=True, parallel=True, fastmath=_FAST, **fast)(_spread)
    _dark_spans = numba.njit(cache=True, parallel=True, fastmath=_FAST)(_dark_spans)
    _finish = numba.njit(cache=True, parallel=True, fastmath=_FAST, **fast)(_finish)
    _compiled = True


def _hash32_jit(v):  # pragma: no cover - compiled
    h = v & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x7FEB352D)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x846CA68B)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    return h


def _spread(light, width, factor, out):  # pragma: no cover - compiled
    """Each row of the small light buffer upsampled horizontally to the frame's width,
    interleaved RGB: an eighth of the work when done before the vertical step."""
    lw = light.shape[1]
    for k in prange(light.shape[0]):
        for x in range(width):
            s = (x + 0.5) / factor - 0.5
            i = int(math.floor(s))
            fx = np.float32(s - i)
            a = min(max(i, 0), lw - 1)
            b = min(max(i + 1, 0), lw - 1)
            for c in range(3):
                out[k, 3 * x + c] = light[k, a, c] + (light[k, b, c] - light[k, a, c]) * fx


def _dark_spans(wide, spans):  # pragma: no cover - compiled
    """For each light row, the first pixel with no light at all and one past the last:
    the only stretch where `_finish` may find pixels to copy unchanged."""
    width = wide.shape[1] // 3
    for r in prange(wide.shape[0]):
        row = wide[r]
        lo, hi = width, 0
        for x in range(width):
            if row[3 * x] == 0 and row[3 * x + 1] == 0 and row[3 * x + 2] == 0:
                lo = min(lo, x)
                hi = x + 1
        spans[r, 0], spans[r, 1] = lo, hi


def _finish(  # pragma: no cover - compiled
    base,
    wide,
    spans,
    factor,
    exposure,
    seed,
    dithered,
    dpoly,
    epoly,
    knee_byte,
    fulls,
    rows,
    which,
    planes,
    out,
):
    """base, out: (H, 3W) uint8; wide: light rows at full width, (h, 3W) float32; spans:
    `_dark_spans` of wide; fulls, rows, which: the masks (`mask_stack`), applied in turn
    at the end; planes: (2, H, W) uint8 for red and blue, or (0, 1, 1) for none."""
    height, n = base.shape
    width = n // 3
    lh = wide.shape[0]
    one, zero = np.float32(1.0), np.float32(0.0)
    e = np.float32(exposure)
    knee, shoulder = np.float32(KNEE), np.float32(1.0 - KNEE)
    inv_white = np.float32(1.0 / WHITE_SCALE)
    d0, d1, d2, d3, d4 = dpoly[0], dpoly[1], dpoly[2], dpoly[3], dpoly[4]
    d5, d6, d7, d8 = dpoly[5], dpoly[6], dpoly[7], dpoly[8]
    e0, e1, e2, e3 = epoly[0], epoly[1], epoly[2], epoly[3]
    e4, e5, e6 = epoly[4], epoly[5], epoly[6]
    plain = exposure == 1.0
    for y in prange(height):
        s = (y + 0.5) / factor - 0.5
        i = int(math.floor(s))
        fy = np.float32(s - i)
        above, below = min(max(i, 0), lh - 1), min(max(i + 1, 0), lh - 1)
        top = wide[above]
        bottom = wide[below]
        src = base[y]
        dst = out[y]
        lin = np.empty(n, np.float32)
        noise = np.empty(n, np.float32)
        # Each stage is a plain loop over the row so that it vectorises.
        # 1. Decode, add the light (vertical step of the bilinear upsampling), expose.
        for j in range(n):
            b = src[j]
            x = np.float32(b) * np.float32(1.0 / 255.0)
            p = (((d8 * x + d7) * x + d6) * x + d5) * x + d4
            p = (((p * x + d3) * x + d2) * x + d1) * x + d0
            p = x * np.float32(1.0 / 12.92) if b <= _TOE_BYTE else p
            light = top[j] + (bottom[j] - top[j]) * fy
            lin[j] = max((p + light) * e, zero)
        # 2. The tone curve, per pixel from its max channel; the identity up to the knee
        #    (where it is k = 1, lift = 0). Computed for every pixel and selected, with no
        #    branch: then the loop vectorises, and costs a third of skipping the few
        #    pixels above the knee one by one (the same bytes).
        for x in range(width):
            j = 3 * x
            m = max(lin[j], lin[j + 1], lin[j + 2])
            u = max(m - knee, zero) / shoulder
            fm = knee + shoulder * u / math.sqrt(one + u * u)
            t = max(m - one, zero) * inv_white
            w = t * t / (one + t * t)
            bright = m > knee
            k = (fm / max(m, knee)) * (one - w) if bright else one
            lf = fm * w if bright else zero
            lin[j] = min(lin[j] * k + lf, one)
            lin[j + 1] = min(lin[j + 1] * k + lf, one)
            lin[j + 2] = min(lin[j + 2] * k + lf, one)
        # 3. Triangular dither from a hash of (x, y, seed); see dither_noise.
        row_key = _hash32_jit(np.uint64(seed) ^ _hash32_jit(np.uint64(y)))
        for x in range(width):
            h = _hash32_jit(row_key + np.uint64(x))
            d = np.float32(h >> np.uint64(16)) - np.float32(h & np.uint64(0xFFFF))
            d = d * np.float32(1.0 / 65536.0) if dithered else zero
            noise[3 * x] = noise[3 * x + 1] = noise[3 * x + 2] = d
        # 4. Encode, dither, round. The dither's amplitude shrinks to the distance from
        #    0 and 255: it never lifts black or dims white, and needs no clipping (which
        #    would bias the mean).
        for j in range(n):
            v = lin[j]
            q = math.sqrt(math.sqrt(v))
            level = (((((e6 * q + e5) * q + e4) * q + e3) * q + e2) * q + e1) * q + e0
            level = v * np.float32(12.92 * 255.0) if v <= np.float32(0.0031308) else level
            amplitude = min(one, level, np.float32(255.0) - level)
            # Truncated through int32, not int (int64): one vector conversion where int64
            # takes two and a repack (the values are 0..255.5: the same bytes).
            dst[j] = np.uint8(np.int32(level + amplitude * noise[j] + np.float32(0.5)))
        # 5. Pixels the light and exposure leave untouched below the knee are exact levels
        #    already: copied, not dithered (no error to hide; noise costs bits in H.264).
        if plain:
            for x in range(
                max(spans[above, 0], spans[below, 0]), min(spans[above, 1], spans[below, 1])
            ):
                j = 3 * x
                dark = max(src[j], src[j + 1], src[j + 2]) <= knee_byte
                if dark and top[j] == 0 and top[j + 1] == 0 and top[j + 2] == 0:
                    if bottom[j] == 0 and bottom[j + 1] == 0 and bottom[j + 2] == 0:
                        dst[j], dst[j + 1], dst[j + 2] = src[j], src[j + 1], src[j + 2]
        # 6. Red and blue as planes, for a caller that moves them (render.display).
        if planes.shape[0] != 0:
            red, blue = planes[0, y], planes[1, y]
            for x in range(width):
                red[x] = dst[3 * x]
                blue[x] = dst[3 * x + 2]
        # 7. Display effects that multiply each pixel (render.display), rounded as
        #    cv2.multiply with scale 1/255 rounds: the same bytes as their own passes. A
        #    mask constant along the row (scanlines) is one byte for the row, not read.
        for k in range(which.shape[0]):
            if which[k] < 0:
                _scale(dst, np.int32(rows[k, y]))
            else:
                _multiply(dst, fulls[which[k], y])


def _multiply(row, mask):  # pragma: no cover - compiled
    """row times mask / 255, rounded to the nearest byte (exact: no ties occur)."""
    for j in range(row.shape[0]):
        row[j] = np.uint8((np.int32(row[j]) * np.int32(mask[j]) + 127) // 255)


def _scale(row, factor):  # pragma: no cover - compiled
    """`_multiply` by a mask whose every byte is `factor`."""
    for j in range(row.shape[0]):
        row[j] = np.uint8((np.int32(row[j]) * factor + 127) // 255)


# --------------------------------------------------------------------------- entry points


def _factor(light_shape: tuple[int, ...], height: int, width: int, given: int | None) -> int:
    """The integer factor f by which light was reduced to (ceil(height/f), ceil(width/f)):
    `given`, checked, or else the only one that fits (a small frame may fit several)."""
    lh, lw = light_shape[:2]
    if lh < 1 or lw < 1:
        raise ValueError(f"light has no pixels: shape {light_shape}")
    if given is not None:
        fits = [int(given)] if int(given) >= 1 else []
    else:
        lo = -(-height // lh)  # ceil(height / f) == lh holds for f in [lo, ceil(height/(lh-1)))
        hi = max(height, width) if lh == 1 else -(-height // (lh - 1)) - 1
        fits = list(range(lo, max(lo, hi) + 1))
    fits = [f for f in fits if -(-height // f) == lh and -(-width // f) == lw]
    if len(fits) == 1:
        return fits[0]
    shape = tuple(light_shape[:2])
    if not fits:
        raise ValueError(
            f"light of shape {shape} is not the frame ({height}, {width}) reduced by "
            + (f"factor {given}" if given is not None else "an integer factor")
            + " (ceil(size / factor) on both axes)"
        )
    raise ValueError(
        f"light of shape {shape} fits the frame ({height}, {width}) reduced by any of "
        f"{fits}: pass factor="
    )


def _check(
    base: np.ndarray, light: np.ndarray | None, factor: int | None
) -> tuple[np.ndarray, np.ndarray | None, int]:
    if not isinstance(base, np.ndarray) or base.dtype != np.uint8:
        raise TypeError(f"base must be a uint8 array, got {getattr(base, 'dtype', base)!r}")
    if base.ndim != 3 or base.shape[2] != 3 or base.shape[0] < 1 or base.shape[1] < 1:
        raise ValueError(f"base must be (H, W, 3), got shape {base.shape}")
    base = np.ascontiguousarray(base)
    if light is None:
        return base, None, 1
    light = np.ascontiguousarray(light, dtype=np.float32)
    if light.ndim != 3 or light.shape[2] != 3:
        raise ValueError(f"light must be (h, w, 3), got shape {light.shape}")
    return base, light, _factor(light.shape, base.shape[0], base.shape[1], factor)


_NO_PLANES = np.zeros((0, 1, 1), np.uint8)
_DPOLY32 = _DECODE_POLY.astype(np.float32)
_EPOLY32 = _ENCODE_POLY.astype(np.float32)


def finish(
    base: np.ndarray,
    light: np.ndarray | None,
    exposure: float,
    seed: int,
    *,
    factor: int | None = None,
    dither: bool = True,
    masks: tuple[np.ndarray, ...] = (),
    planes: np.ndarray | None = None,
) -> np.ndarray:
    """The final frame: (H, W, 3) uint8 sRGB.

    `base` is the drawn frame, (H, W, 3) uint8 sRGB; `light` is finite linear light to add,
    either (H, W, 3) or reduced by an integer factor f to (ceil(H / f), ceil(W / f), 3), in
    which case it is upsampled bilinearly (pixel centres aligned, edges replicated, as
    OpenCV's INTER_LINEAR) inside the pass; `factor` says which f where the shapes alone
    leave a choice (small frames). The sum is multiplied by `exposure`, tone
    mapped (`tone_map`), encoded and dithered with triangular noise of +-1 level
    (`dither_noise`): the same inputs give the same bytes on any number of threads. Where
    light and exposure leave a pixel below the knee untouched, its bytes come back as
    they were. Within +-1 level (the dither) of `finish_reference` rounded. `masks`,
    (H, W, 3) uint8 multipliers (255 = 1), are then applied in turn as
    ``cv2.multiply(frame, mask, scale=1 / 255)`` would, to the same bytes: display effects
    done in the same pass (render.display). `planes`, a (2, H, W) uint8 array, receives
    the frame's red and blue bytes before any mask: for a caller that moves them
    (render.display's chromatic aberration), read from each row as it is written rather
    than in a pass of their own. Inputs are never written to."""
    _compile()
    base, light, factor = _check(base, light, factor)
    exposure = float(exposure)
    if not math.isfinite(exposure) or exposure < 0:
        raise ValueError(f"exposure must be a finite number >= 0, got {exposure}")
    height, width = base.shape[:2]
    if light is None:
        wide = np.zeros((1, 3 * width), np.float32)
    else:
        if not np.isfinite(light).all():
            raise ValueError("light must be finite (no NaN or infinity)")
        if factor == 1:
            wide = light.reshape(height, 3 * width)
        elif light.shape[1] * factor == width:
            # OpenCV's INTER_LINEAR samples at the same points when the width is an exact
            # multiple, to the same floats, in a third of the time of `_spread`.
            import cv2

            size = (width, light.shape[0])
            wide = cv2.resize(light, size, interpolation=cv2.INTER_LINEAR).reshape(-1, 3 * width)
        else:
            wide = np.empty((light.shape[0], 3 * width), np.float32)
            _spread(light, width, factor, wide)
    spans = np.empty((wide.shape[0], 2), np.int64)
    _dark_spans(wide, spans)
    out = np.empty((height, 3 * width), np.uint8)
    for m in masks:
        if m.shape != base.shape or m.dtype != np.uint8:
            raise ValueError(f"masks must be uint8 of the frame's shape {base.shape}")
    if planes is not None and (
        planes.shape != (2, height, width)
        or planes.dtype != np.uint8
        or not planes.flags.c_contiguous
        or not planes.flags.writeable
    ):
        raise ValueError(f"planes must be writable, contiguous uint8 (2, {height}, {width})")
    _finish(
        base.reshape(height, 3 * width),
        wide,
        spans,
        factor,
        exposure,
        _seed_key(seed),
        bool(dither),
        _DPOLY32,
        _EPOLY32,
        _KNEE_BYTE,
        *mask_stack(masks, height, width),
        _NO_PLANES if planes is None else planes,
        out,
    )
    return out.reshape(height, width, 3)


MaskStack = tuple[np.ndarray, np.ndarray, np.ndarray]
_stacked: dict[tuple[int, ...], tuple[tuple[np.ndarray, ...], MaskStack]] = {}


def mask_stack(masks: tuple[np.ndarray, ...], height: int, width: int) -> MaskStack:
    """The masks for the kernels, in turn: (fulls, rows, which). Mask k is the whole array
    fulls[which[k]], (H, 3W), or, where which[k] is -1, constant along each row (as
    scanlines): rows[k], one byte per row (H,), multiplied without reading a mask.
    Read-only masks are cached arrays (the same objects frame after frame), so their stack
    is kept too, and only they are looked at for constant rows (a writable mask may change
    and is taken whole)."""
    if not masks:
        return (
            np.zeros((0, height, 3 * width), np.uint8),
            np.zeros((0, height), np.uint8),
            np.zeros(0, np.int64),
        )
    if any(m.flags.writeable for m in masks):  # not a cached mask: it may change
        return _stack(masks, height, width, flat_rows=False)
    key = tuple(id(m) for m in masks)
    hit = _stacked.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], masks, strict=True)):
        if len(_stacked) >= 4:
            _stacked.clear()
        hit = _stacked[key] = (tuple(masks), _stack(masks, height, width, flat_rows=True))
    return hit[1]


def _stack(masks: tuple[np.ndarray, ...], height: int, width: int, *, flat_rows: bool) -> MaskStack:
    flat = [np.ascontiguousarray(m).reshape(height, 3 * width) for m in masks]
    rows = np.zeros((len(flat), height), np.uint8)
    which = np.zeros(len(flat), np.int64)
    fulls = []
    for k, m in enumerate(flat):
        if flat_rows and np.array_equal(m, np.broadcast_to(m[:, :1], m.shape)):
            rows[k], which[k] = m[:, 0], -1
        else:
            which[k] = len(fulls)
            fulls.append(m)
    stack = np.stack(fulls) if fulls else np.zeros((0, height, 3 * width), np.uint8)
    return stack, rows, which


def warm_up() -> None:
    """Compile the kernels (or load them from numba's disk cache): for a worker, before
    its first frame."""
    base = np.zeros((2, 2, 3), np.uint8)
    finish(base, np.zeros((1, 1, 3), np.float32), 1.0, 0)
    finish(base, None, 1.0, 0)
