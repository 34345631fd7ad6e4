"""Post effects on RGB uint8 frames of shape (H, W, 3).

Every function here is pure: it never writes to its input and returns a new array of the
same shape and dtype. Randomness comes only from an explicitly passed
``numpy.random.Generator``. Every spatial parameter is a fraction of the frame height, so
the same call on a 480x270 frame and on a 3840x2160 frame gives the same picture, scaled.
A strength or amount of 0 returns an equal copy of the frame, so a sequence can switch an
effect off by keyframing it to 0.

The work is done with OpenCV on uint8 arrays at full resolution and in float32 only on
small, downsampled arrays: a full-frame float32 round trip costs more than the whole bloom.
"""

from __future__ import annotations

import functools
import inspect
import math
import statistics
import threading
from collections.abc import Callable

import cv2
import numpy as np

from render.errors import RenderError, did_you_mean

__all__ = [
    "EFFECTS",
    "apply_effect",
    "bloom",
    "chromatic_aberration",
    "flicker",
    "grain",
    "scanlines",
    "vignette",
]

# --------------------------------------------------------------------------------------
# helpers


def _check_frame(rgb: np.ndarray) -> np.ndarray:
    """Validate an RGB uint8 frame and return it C-contiguous (a view when it already is)."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise TypeError(f"effects need a uint8 numpy frame, got {getattr(rgb, 'dtype', rgb)!r}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"effects need an (H, W, 3) frame, got shape {rgb.shape}")
    return np.ascontiguousarray(rgb)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


# Scratch buffers for full-frame-sized intermediates, per thread. A fresh multi-megabyte
# array costs page faults on first touch (glibc hands big blocks straight back to the OS),
# which here cost several times more than the arithmetic done in them, so intermediates
# are written into buffers reused from frame to frame. They never leave this module:
# every function still returns a newly allocated array.
_scratch = threading.local()
_SCRATCH_MAX = 48


def _buf(tag: str, shape: tuple[int, ...], dtype: type = np.uint8) -> np.ndarray:
    bufs: dict | None = getattr(_scratch, "bufs", None)
    if bufs is None:
        bufs = _scratch.bufs = {}
    key = (tag, shape, np.dtype(dtype).str)
    b = bufs.get(key)
    if b is None:
        if len(bufs) >= _SCRATCH_MAX:  # frame size changed a lot: drop the old ones
            bufs.clear()
        b = bufs[key] = np.empty(shape, dtype)
    return b


# --------------------------------------------------------------------------------------
# bloom

# Per-level blur, in pixels of the level it is applied at. Each pyramid level works at the
# resolution where its Gaussian is about this wide, so the cost does not grow with the
# frame size and a 90-row frame and a 2160-row frame get the same blur relative to height.
_LEVEL_SIGMA_PX = 2.5
# Level sigmas as multiples of `radius`: a tight glow hugging the strokes out to a wide
# haze around the brightest things ("bloom at several radii").
_LEVEL_SCALES = (0.5, 1.0, 2.0, 4.0, 8.0)
# Share of the glow's energy each level gets. Wider levels spread theirs over much more area,
# so the halo is bright next to the stroke and fades slowly into a faint wide haze.
_LEVEL_WEIGHTS = (0.30, 0.25, 0.20, 0.15, 0.10)
# Colour saturation of the glow relative to its source (1 = unchanged).
_BLOOM_SATURATION = 1.6
# Total glow energy relative to the energy of the bright part at strength 1.
_BLOOM_GAIN = 6.0
# The bright part is extracted after halving the frame (2x2 area averages) while it stays
# at least this many rows tall, i.e. on a grid of 540..1079 rows. Thresholding on a grid
# tied to the frame height keeps which strokes glow the same at every resolution (a hairline
# that is sub-pixel on the grid is dim there at 1080p and at 4K alike), and it is 4-16x
# cheaper than thresholding every full-frame pixel.
_THRESHOLD_ROWS = 540


@functools.lru_cache(maxsize=32)
def _knee_lut(threshold: float) -> np.ndarray:
    """uint8 LUT: brightness (max channel) -> weight*255 that scales the pixel's colour.

    Soft knee above the threshold: 0 up to ``t``, quadratic over a knee of width ``k``,
    then linear; normalised so a full-brightness pixel keeps its whole colour. Scaling the
    colour by a factor of its max channel keeps the hue, so saturated neon blue and red
    bloom as strongly as white (a luma threshold would barely let pure blue through).
    """
    t = float(np.clip(threshold, 0.0, 1.0))
    k = max(0.5 * (1.0 - t), 1e-3)
    b = np.arange(256, dtype=np.float64) / 255.0
    x = b - t
    f = np.where(x <= 0, 0.0, np.where(x < k, x * x / (2 * k), x - k / 2))
    f1 = max(1.0 - t - k / 2 if 1.0 - t >= k else (1.0 - t) ** 2 / (2 * k), 1e-6)
    w = np.divide(f / f1, b, out=np.zeros_like(b), where=b > 0)
    return _readonly(np.clip(np.rint(w * 255.0), 0, 255).astype(np.uint8))


def _bright_part(rgb: np.ndarray, threshold: float) -> np.ndarray:
    """Colour scaled by the soft-knee weight of its max channel (uint8 scratch buffer)."""
    h, w = rgb.shape[:2]
    m = _buf("bright.max", (h, w))
    chan = _buf("bright.chan", (h, w))
    cv2.extractChannel(rgb, 0, dst=m)
    for i in (1, 2):
        cv2.max(m, cv2.extractChannel(rgb, i, dst=chan), dst=m)
    wgt = cv2.LUT(m, _knee_lut(round(float(threshold), 4)), dst=m)
    wgt3 = cv2.cvtColor(wgt, cv2.COLOR_GRAY2RGB, dst=_buf("bright.w3", (h, w, 3)))
    return cv2.multiply(rgb, wgt3, dst=_buf("bright.out", (h, w, 3)), scale=1 / 255)


def _area_down(img: np.ndarray, w: int, h: int, tag: str | None = None) -> np.ndarray:
    size = (max(1, w), max(1, h))
    dst = None if tag is None else _buf(tag, (size[1], size[0], 3))
    return cv2.resize(img, size, dst=dst, interpolation=cv2.INTER_AREA)


def bloom(
    rgb: np.ndarray, strength: float = 1.0, radius: float = 0.03, threshold: float = 0.55
) -> np.ndarray:
    """Multi-radius glow around the bright parts of the frame, added with saturation.

    ``strength`` scales the glow (0 = off); ``radius`` is the Gaussian sigma of the main
    glow level as a fraction of frame height (levels at 0.5, 1, 2, 4 and 8 times it);
    ``threshold`` (0..1) is where a pixel's max channel starts to glow, with a soft knee
    above it. Bloom only adds light: no output pixel is darker than its input.
    """
    rgb = _check_frame(rgb)
    if strength <= 0 or threshold >= 1.0 or radius <= 0:
        return rgb.copy()
    h, w = rgb.shape[:2]

    # 1. Bright part, on the frame halved while it stays >= _THRESHOLD_ROWS rows. Exact
    #    halving (odd last row/column dropped) takes OpenCV's fast area path.
    src = rgb
    while src.shape[0] >= 2 * _THRESHOLD_ROWS and src.shape[1] >= 2:
        sh, sw = src.shape[0] // 2, src.shape[1] // 2
        src = _area_down(src[: 2 * sh, : 2 * sw], sw, sh, tag="bloom.half")
    f = h / src.shape[0]
    bright = _bright_part(src, threshold)
    # Accumulated blur (variance, in full-frame pixels^2) from area downsampling so far.
    var = (f * f - 1) / 12.0

    # 2. Pyramid: level i has sigma radius*_LEVEL_SCALES[i]*h full-frame pixels, computed
    #    at the resolution where that is about _LEVEL_SIGMA_PX pixels. Each level is
    #    built from the previous blurred level, so only the missing blur is added and the
    #    downsampling never aliases.
    levels: list[np.ndarray] = []
    cur, cur_scale = bright, 1.0 / f  # cur_scale: level pixels per full-frame pixel
    first = True
    for ls in _LEVEL_SCALES:
        sigma_full = radius * ls * h
        scale = min(1.0, _LEVEL_SIGMA_PX / sigma_full)
        if scale < cur_scale:
            ch, cw = cur.shape[:2]
            k = int(cur_scale / scale)  # integer area factors take OpenCV's fast path
            if first and k >= 2:
                cur = _area_down(cur, cw // k, ch // k)
            else:
                nw = max(1, round(w * scale))
                nh = max(1, round(h * scale))
                cur = _area_down(cur, nw, nh)
            new_scale = cur.shape[0] / h
            box = 1.0 / new_scale
            old_box = 1.0 / cur_scale
            var += max(box * box - old_box * old_box, 0.0) / 12.0
            cur_scale = new_scale
        if first:
            cur = cur.astype(np.float32)
            first = False
        need = sigma_full * sigma_full - var
        if need > 1e-6:
            s = math.sqrt(need) * cur_scale
            cur = cv2.GaussianBlur(cur, (0, 0), sigmaX=s, sigmaY=s, borderType=cv2.BORDER_REFLECT)
            var = sigma_full * sigma_full
        levels.append(cur)

    # 3. Upsample and sum, coarsest first, into the finest level's grid.
    acc = levels[-1] * _LEVEL_WEIGHTS[-1]
    for lvl, lw in zip(levels[-2::-1], _LEVEL_WEIGHTS[-2::-1], strict=True):
        lh, lwid = lvl.shape[:2]
        if acc.shape[:2] != (lh, lwid):
            acc = cv2.resize(acc, (lwid, lh), interpolation=cv2.INTER_LINEAR)
        acc = cv2.addWeighted(lvl, lw, acc, 1.0, 0.0)

    # 4. Keep the halo coloured: the white-hot cores of neon strokes bloom white and
    #    overlapping halos average toward grey, so push the glow's colours away from their
    #    grey level (cheap here, at low resolution).
    grey = acc.mean(axis=2, keepdims=True)
    acc = np.maximum(grey + _BLOOM_SATURATION * (acc - grey), 0.0)

    # 5. To uint8 at low resolution, upsample to the frame and add with saturation.
    glow = cv2.convertScaleAbs(acc, alpha=float(strength) * _BLOOM_GAIN)
    if glow.shape[:2] != (h, w):
        glow = cv2.resize(glow, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.add(rgb, glow, dst=glow)  # glow is a fresh array: the result goes in it


# --------------------------------------------------------------------------------------
# chromatic aberration


def chromatic_aberration(rgb: np.ndarray, amount: float = 0.003) -> np.ndarray:
    """Lateral colour fringing: red scaled out from the centre, blue scaled in.

    The shift grows linearly with distance from the frame centre, like a lens's lateral
    colour, and is ``amount*height`` pixels at the top and bottom edge midpoints (more at the
    sides and corners): red outward, blue inward, green in place. Subpixel, via
    ``cv2.warpAffine``. A negative amount swaps the directions.
    """
    rgb = _check_frame(rgb)
    amount = float(amount)
    if amount == 0:
        return rgb.copy()
    red, blue = aberrated_planes(rgb, amount)
    green = cv2.extractChannel(rgb, 1, dst=_buf("ca.plane", rgb.shape[:2]))
    return cv2.merge((red, green, blue))


def aberrated_planes(rgb: np.ndarray, amount: float) -> tuple[np.ndarray, np.ndarray]:
    """The red and blue planes `chromatic_aberration` puts in the frame (green stays):
    (H, W) uint8 scratch buffers, valid until the next call in this thread."""
    h, w = rgb.shape[:2]
    red = cv2.extractChannel(rgb, 0, dst=_buf("ca.r", (h, w)))
    blue = cv2.extractChannel(rgb, 2, dst=_buf("ca.b", (h, w)))
    return zoomed_planes(red, blue, amount)


def zoomed_planes(
    red: np.ndarray, blue: np.ndarray, amount: float
) -> tuple[np.ndarray, np.ndarray]:
    """A frame's red and blue planes, (H, W) uint8, as `chromatic_aberration` moves them:
    scratch buffers, valid until the next call in this thread."""
    h, w = red.shape[:2]
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    # A point at distance h/2 from the centre moves by amount*h: zoom factors 1 +- 2*amount.
    d = float(np.clip(2.0 * amount, -0.9, 0.9))

    def zoomed(plane: np.ndarray, z: float, tag: str) -> np.ndarray:
        # WARP_INVERSE_MAP: dst(p) = src(M p); sampling at c + (p - c)/z zooms by z.
        inv = 1.0 / z
        m = np.array([[inv, 0.0, cx * (1 - inv)], [0.0, inv, cy * (1 - inv)]])
        return cv2.warpAffine(
            plane,
            m,
            (w, h),
            dst=_buf(tag, (h, w)),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_REPLICATE,
        )

    return zoomed(red, 1.0 + d, "ca.red"), zoomed(blue, 1.0 - d, "ca.blue")


# --------------------------------------------------------------------------------------
# scanlines


@functools.lru_cache(maxsize=8)
def _scanline_mask(h: int, w: int, strength: float, period: float) -> np.ndarray:
    """(h, w, 3) uint8 multiplier (255 = 1.0): dark half-bands, antialiased per row."""
    p = max(2.0, period * h)
    y0 = np.arange(h, dtype=np.float64)
    y1 = y0 + 1.0

    def dark_until(y: np.ndarray) -> np.ndarray:
        # Length of dark band in [0, y): the second half [p/2, p) of every period is dark.
        n, rem = np.divmod(y, p)
        return n * (p / 2) + np.clip(rem - p / 2, 0.0, p / 2)

    coverage = dark_until(y1) - dark_until(y0)  # fraction of the row that is dark
    row = np.rint(255.0 * (1.0 - strength * coverage)).clip(0, 255).astype(np.uint8)
    return _readonly(np.ascontiguousarray(np.broadcast_to(row[:, None, None], (h, w, 3))))


def scanline_mask(
    h: int, w: int, strength: float = 0.15, period: float = 0.004
) -> np.ndarray | None:
    """What `scanlines` multiplies the frame by: (h, w, 3) uint8, 255 = 1 (read-only,
    cached), or None when it leaves the frame as it is."""
    if strength == 0:
        return None
    return _scanline_mask(h, w, float(np.clip(strength, 0.0, 1.0)), float(period))


def scanlines(rgb: np.ndarray, strength: float = 0.15, period: float = 0.004) -> np.ndarray:
    """Darken every other horizontal band by ``strength`` (0..1).

    ``period`` is one dark plus one light band as a fraction of frame height, at least
    2 pixels; fractional periods are antialiased row by row.
    """
    rgb = _check_frame(rgb)
    mask = scanline_mask(rgb.shape[0], rgb.shape[1], strength, period)
    if mask is None:
        return rgb.copy()
    return cv2.multiply(rgb, mask, scale=1 / 255)


# --------------------------------------------------------------------------------------
# vignette


@functools.lru_cache(maxsize=8)
def _vignette_mask(h: int, w: int, strength: float) -> np.ndarray:
    """(h, w, 3) uint8 multiplier (255 = 1.0): elliptical falloff toward the corners."""
    y = (np.arange(h, dtype=np.float32) + 0.5) / h * 2.0 - 1.0
    x = (np.arange(w, dtype=np.float32) + 0.5) / w * 2.0 - 1.0
    # Normalised elliptical radius: 0 at the centre, 1 at the edge midpoints, sqrt 2 in
    # the corners. Smooth falloff that starts gently and reaches `strength` in the corners.
    r2 = (x[None, :] ** 2 + y[:, None] ** 2) * 0.5
    fall = r2**1.25
    m = np.rint(255.0 * (1.0 - strength * fall)).clip(0, 255).astype(np.uint8)
    return _readonly(cv2.merge((m, m, m)))


def vignette_mask(h: int, w: int, strength: float = 0.35) -> np.ndarray | None:
    """What `vignette` multiplies the frame by: (h, w, 3) uint8, 255 = 1 (read-only,
    cached), or None when it leaves the frame as it is."""
    if strength == 0:
        return None
    return _vignette_mask(h, w, float(np.clip(strength, 0.0, 1.0)))


def vignette(rgb: np.ndarray, strength: float = 0.35) -> np.ndarray:
    """Elliptical darkening toward the corners; the corners lose ``strength`` (0..1)."""
    rgb = _check_frame(rgb)
    mask = vignette_mask(rgb.shape[0], rgb.shape[1], strength)
    if mask is None:
        return rgb.copy()
    return cv2.multiply(rgb, mask, scale=1 / 255)


# --------------------------------------------------------------------------------------
# grain

# Grain cells per frame height: the noise is drawn on a grid of this many rows, whatever the
# frame size, then resized to the frame, so grain is 2 px at 1080p and 4 px at 2160p (and a
# 270-row frame gets the average of the same grain, as if a 1080p frame were scaled down).
_GRAIN_ROWS = 540


@functools.lru_cache(maxsize=64)
def _grain_luts(amount: float) -> tuple[np.ndarray, np.ndarray]:
    """Uniform byte -> positive and negative parts of a Gaussian of sd ``amount*255``.

    Inverse-CDF through a 256-entry table: 256 quantiles of a normal distribution are
    plenty for grain, and random bytes are ~15x cheaper to draw than normal floats.
    """
    nd = statistics.NormalDist(0.0, amount * 255.0)
    q = np.array([nd.inv_cdf((i + 0.5) / 256.0) for i in range(256)])
    pos = np.clip(np.rint(q), 0, 255).astype(np.uint8)
    neg = np.clip(np.rint(-q), 0, 255).astype(np.uint8)
    return _readonly(pos), _readonly(neg)


def grain(rgb: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Monochrome film grain, standard deviation ``amount`` of full scale (0.04 is subtle).

    Always takes exactly one draw from ``rng`` (a seed for the noise), whatever the amount
    and frame size, so switching grain on or off does not change the random stream seen by
    anything after it. Negative amounts are treated as their magnitude.
    """
    rgb = _check_frame(rgb)
    seed = int(rng.integers(0, 2**63 - 1))
    amount = abs(float(amount))
    if amount == 0:
        return rgb.copy()
    h, w = rgb.shape[:2]
    gh = _GRAIN_ROWS
    gw = max(1, round(w * gh / h))
    u = np.frombuffer(np.random.default_rng(seed).bytes(gh * gw), np.uint8).reshape(gh, gw)
    lut_pos, lut_neg = _grain_luts(round(amount, 5))
    # Positive and negative parts as uint8: resizing is linear, so pos - neg after resizing
    # is the resized noise, and the saturating add/subtract clip at 0 and 255 exactly.
    interp = cv2.INTER_LINEAR if gh < h else cv2.INTER_AREA
    out = None
    for lut, op in ((lut_pos, cv2.add), (lut_neg, cv2.subtract)):
        part = cv2.resize(
            cv2.LUT(u, lut), (w, h), dst=_buf("grain.part", (h, w)), interpolation=interp
        )
        part3 = cv2.cvtColor(part, cv2.COLOR_GRAY2RGB, dst=_buf("grain.part3", (h, w, 3)))
        out = op(rgb, part3) if out is None else op(out, part3, dst=out)
    return out


# --------------------------------------------------------------------------------------
# flicker


def flicker(rgb: np.ndarray, amount: float, rng: np.random.Generator) -> np.ndarray:
    """Global brightness flicker: the frame times ``1 - amount * rng.random()``.

    Always takes exactly one draw from ``rng``, whatever the amount.
    """
    rgb = _check_frame(rgb)
    u = float(rng.random())
    if amount == 0:
        return rgb.copy()
    factor = max(0.0, 1.0 - float(amount) * u)
    return cv2.convertScaleAbs(rgb, alpha=factor)


# --------------------------------------------------------------------------------------
# registry

EFFECTS: dict[str, Callable[..., np.ndarray]] = {
    "bloom": bloom,
    "chromatic_aberration": chromatic_aberration,
    "scanlines": scanlines,
    "vignette": vignette,
    "grain": grain,
    "flicker": flicker,
}


@functools.cache
def _param_names(name: str) -> tuple[frozenset[str], bool]:
    params = inspect.signature(EFFECTS[name]).parameters
    names = frozenset(p for p in params if p not in ("rgb", "rng"))
    return names, "rng" in params


def apply_effect(
    name: str, rgb: np.ndarray, params: dict, rng: np.random.Generator | None
) -> np.ndarray:
    """Run the registered effect ``name`` on ``rgb`` with keyword ``params``.

    ``rng`` is passed only to effects that take one (grain, flicker). Unknown effect or
    parameter names raise ``RenderError`` with a did-you-mean hint.
    """
    if name not in EFFECTS:
        raise RenderError(f'unknown effect "{name}"{did_you_mean(name, EFFECTS)}')
    allowed, takes_rng = _param_names(name)
    for key in params:
        if key not in allowed:
            raise RenderError(
                f'effect "{name}" has no parameter "{key}"{did_you_mean(key, allowed)}'
                f" (it takes: {', '.join(sorted(allowed))})"
            )
    if takes_rng:
        if rng is None:
            raise RenderError(f'effect "{name}" needs a random generator')
        return EFFECTS[name](rgb, rng=rng, **params)
    return EFFECTS[name](rgb, **params)
