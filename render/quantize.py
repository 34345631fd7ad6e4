"""Colour quantisation for GIF: a palette for each frame from libimagequant, and a remap
that keeps what is already on screen wherever that is (almost) as good as redrawing it.

A GIF frame is drawn over the last one. So frame k need only carry the pixels whose
colour moved: every other pixel is written with the transparent index and the viewer
keeps showing what it had. `remap` decides that pixel by pixel against what is shown
(not against the previous *source* frame), which bounds the error everywhere and makes
static areas stay put: their indices never crawl, whatever the palette or the dither.

- The palette (`palette_for`) comes from libimagequant (the `imagequant` package, a
  wheel on PyPI: the quantiser pngquant and gifski use). It is built from the pixels
  that changed since the previous frame, subsampled, since only those will be redrawn.
- The dither is ordered (an 8x8 Bayer matrix): a pixel's offset depends only on its
  position, so where the colour stands still the dithered index stands still too.
  Error diffusion would carry changes from moving areas into static ones.
- Nearest colours are cached in a 6-bit-per-channel table reset with each palette; a
  miss searches the palette sorted by green, stopping once green alone is too far.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

# Ordered-dither thresholds in -0.5..0.5, one per position modulo 8.
_BAYER_8 = (
    np.array(
        [
            [0, 32, 8, 40, 2, 34, 10, 42],
            [48, 16, 56, 24, 50, 18, 58, 26],
            [12, 44, 4, 36, 14, 46, 6, 38],
            [60, 28, 52, 20, 62, 30, 54, 22],
            [3, 35, 11, 43, 1, 33, 9, 41],
            [51, 19, 59, 27, 49, 17, 57, 25],
            [15, 47, 7, 39, 13, 45, 5, 37],
            [63, 31, 55, 23, 61, 29, 53, 21],
        ],
        dtype=np.float64,
    )
    + 0.5
) / 64 - 0.5

LUT_BITS = 6  # cache cells of 4x4x4 levels: nearest-to-centre costs ~0.05 dB, misses stay rare
_LUT_SIZE = 1 << (3 * LUT_BITS)
# Pixels that moved by no more than this (max over channels) since the previous source
# frame are left out of the next palette's histogram: they are probably kept as shown.
_STILL = 2
_PALETTE_SAMPLES = 10_000  # enough for 255 colours; libimagequant's time grows with it


@dataclass(frozen=True)
class Palette:
    """`colors` (n, 3) int32 sorted by green, and `order` mapping back to output indices
    (the colour table is written in output order, `table`)."""

    colors: np.ndarray
    order: np.ndarray
    table: np.ndarray  # (n, 3) uint8, the GIF colour table

    @classmethod
    def of(cls, rgb: np.ndarray) -> Palette:
        table = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(-1, 3)
        order = np.argsort(table[:, 1], kind="stable").astype(np.int32)
        return cls(table[order].astype(np.int32), order, table)


def palette_for(
    frame: np.ndarray, previous: np.ndarray | None, colors: int = 255, speed: int = 10
) -> Palette:
    """A palette of at most `colors` for the pixels of `frame` that moved since `previous`
    (the whole frame when there is none, or when almost nothing moved)."""
    from imagequant._libimagequant import ffi, lib

    sample = _moved_sample(frame, frame if previous is None else previous, _PALETTE_SAMPLES)
    width = 256 if len(sample) >= 256 else len(sample)
    height = len(sample) // width
    rgba = np.full((height, width, 4), 255, np.uint8)
    rgba[..., :3] = sample[: width * height].reshape(height, width, 3)
    attr = lib.liq_attr_create()
    image = result = None
    try:
        lib.liq_set_max_colors(attr, int(colors))
        lib.liq_set_speed(attr, int(speed))
        image = lib.liq_image_create_rgba(attr, ffi.from_buffer(rgba), width, height, 0)
        out = ffi.new("liq_result**")
        code = lib.liq_image_quantize(image, attr, out)
        if code != lib.LIQ_OK:
            raise RuntimeError(f"libimagequant failed (code {code})")
        result = out[0]
        pal = lib.liq_get_palette(result)
        rgb = np.array(
            [(pal.entries[i].r, pal.entries[i].g, pal.entries[i].b) for i in range(pal.count)],
            dtype=np.uint8,
        )
    finally:
        if result is not None:
            lib.liq_result_destroy(result)
        if image is not None:
            lib.liq_image_destroy(image)
        lib.liq_attr_destroy(attr)
    return Palette.of(rgb)


@numba.njit(cache=True, nogil=True)
def _moved_sample(frame, previous, samples):
    """About `samples` evenly spaced pixels among those that moved by more than _STILL
    from `previous` (all of them when fewer than 64 moved, or `previous` is `frame`)."""
    h, w, _ = frame.shape
    moved = np.zeros(h * w, np.bool_)
    count = 0
    if previous is not frame:
        for y in range(h):
            for x in range(w):
                for c in range(3):
                    if abs(np.int32(frame[y, x, c]) - np.int32(previous[y, x, c])) > _STILL:
                        moved[y * w + x] = True
                        count += 1
                        break
    if count < 64:
        moved[:] = True
        count = h * w
    step = max(1, count // samples)
    out = np.empty((count // step + 1, 3), np.uint8)
    n = seen = 0
    flat = frame.reshape(h * w, 3)
    for i in range(h * w):
        if moved[i]:
            if seen % step == 0:
                out[n] = flat[i]
                n += 1
            seen += 1
    return out[:n]


def new_lut() -> np.ndarray:
    return np.full(_LUT_SIZE, -1, np.int16)


@numba.njit(cache=True, nogil=True)
def _nearest(colors, order, r, g, b):
    n = colors.shape[0]
    lo, hi = 0, n
    while lo < hi:  # first colour with green >= g
        mid = (lo + hi) // 2
        if colors[mid, 1] < g:
            lo = mid + 1
        else:
            hi = mid
    best = 1 << 30
    found = 0
    up, down = lo, lo - 1
    while up < n or down >= 0:
        if up < n:
            dg = colors[up, 1] - g
            if dg * dg >= best:
                up = n
            else:
                dr = colors[up, 0] - r
                db = colors[up, 2] - b
                d = dr * dr + dg * dg + db * db
                if d < best:
                    best, found = d, up
                up += 1
        if down >= 0:
            dg = g - colors[down, 1]
            if dg * dg >= best:
                down = -1
            else:
                dr = colors[down, 0] - r
                db = colors[down, 2] - b
                d = dr * dr + dg * dg + db * db
                if d < best:
                    best, found = d, down
                down -= 1
    return order[found]


@numba.njit(cache=True, nogil=True)
def _remap(src, shown, first, colors, order, table, lut, keep, bayer, dither, out, clear):
    h, w, _ = src.shape
    shift = 8 - LUT_BITS
    half = 1 << (shift - 1)
    y0, y1, x0, x1 = h, -1, w, -1
    for y in range(h):
        for x in range(w):
            r = np.int32(src[y, x, 0])
            g = np.int32(src[y, x, 1])
            b = np.int32(src[y, x, 2])
            old = np.int32(1 << 30)
            if not first:
                sr = r - shown[y, x, 0]
                sg = g - shown[y, x, 1]
                sb = b - shown[y, x, 2]
                old = sr * sr + sg * sg + sb * sb
                if old <= keep:
                    out[y, x] = clear
                    continue
            o = np.int32(bayer[y & 7, x & 7] * dither)
            rr = min(255, max(0, r + o)) >> shift
            gg = min(255, max(0, g + o)) >> shift
            bb = min(255, max(0, b + o)) >> shift
            key = (rr << (2 * LUT_BITS)) | (gg << LUT_BITS) | bb
            k = np.int32(lut[key])
            if k < 0:
                k = _nearest(colors, order, (rr << shift) + half, (gg << shift) + half,
                             (bb << shift) + half)  # fmt: skip
                lut[key] = k
            dr = r - table[k, 0]
            dg = g - table[k, 1]
            db = b - table[k, 2]
            if old <= dr * dr + dg * dg + db * db + keep:
                out[y, x] = clear
                continue
            out[y, x] = k
            shown[y, x, 0] = table[k, 0]
            shown[y, x, 1] = table[k, 1]
            shown[y, x, 2] = table[k, 2]
            y0 = min(y0, y)
            y1 = max(y1, y)
            x0 = min(x0, x)
            x1 = max(x1, x)
    return y0, y1 + 1, x0, x1 + 1


def remap(
    frame: np.ndarray,
    shown: np.ndarray,
    palette: Palette,
    lut: np.ndarray,
    out: np.ndarray,
    *,
    first: bool,
    keep: int,
    dither: float,
    clear: int,
) -> tuple[int, int, int, int]:
    """Indices of `frame` into `out`: `clear` where what is `shown` is within `keep`
    (squared RGB distance) of the new colour's error, else the nearest palette colour
    after an ordered dither of `dither` levels. `shown` is updated to what a viewer sees.
    Returns the bounding box (y0, y1, x0, x1) of the indices that are not `clear`; empty
    (y1 <= y0) when nothing needs redrawing."""
    table = palette.table.astype(np.int32)
    return _remap(
        frame, shown, first, palette.colors, palette.order, table, lut, int(keep), _BAYER_8,
        float(dither), out, int(clear),
    )  # fmt: skip
