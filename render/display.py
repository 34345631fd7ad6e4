"""Display effects done in the frame's last pass instead of a pass each.

A frame's display effects run in list order on the tone-mapped bytes, each a full pass
over the frame (about 2 ms each at 1080p, 8 at 4K). The ones that multiply every pixel by
a cached mask (scanlines, vignette: `render.post.Effect.mask`) are applied inside the
tone map's own pass (`render.tonemap.finish`) when they come first; after a chromatic
aberration, in the pass that puts its warped red and blue planes back with the green
(the tone map's pass hands those planes out as it writes the frame).
The arithmetic and the rounding are the ones each effect uses alone, so the bytes are
the same. What follows the first effect that is neither runs as before.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from render import effects as fx
from render.tonemap import finish as tone_map_finish, mask_stack


@dataclass(frozen=True)
class Fused:
    """The leading display effects taken into the last pass: a chromatic aberration's
    amount (None: none, or first), then the masks to multiply by, in order."""

    aberration: float | None = None
    masks: tuple[np.ndarray, ...] = ()
    count: int = 0  # how many effects of the list this covers


def fuse(height: int, width: int, effects: Sequence[tuple[Any, Any, Mapping[str, Any]]]) -> Fused:
    """What of `effects` ((spec, Effect, params), in order) the last pass can do."""
    aberration: float | None = None
    masks: list[np.ndarray] = []
    count = 0
    for k, (_, effect, params) in enumerate(effects):
        if k == 0 and inspect.unwrap(effect.fn) is fx.chromatic_aberration:
            amount = float(params["amount"])
            aberration = amount if amount != 0 else None
        elif effect.mask is not None:
            mask = effect.mask(height, width, **params)
            if mask is not None:
                masks.append(mask)
        else:
            break
        count = k + 1
    return Fused(aberration, tuple(masks), count)


def finish(
    base: np.ndarray,
    light: np.ndarray | None,
    exposure: float,
    seed: int,
    fused: Fused,
    *,
    factor: int | None = None,
) -> np.ndarray:
    """`render.tonemap.finish`, then the fused display effects."""
    if fused.aberration is None:
        return tone_map_finish(base, light, exposure, seed, factor=factor, masks=fused.masks)
    h, w = base.shape[:2]
    # Red and blue come out of the tone map's pass as planes too, read from the row it
    # has just written, in cache: a pass over the frame less than extracting them after.
    planes = fx._buf("display.planes", (2, h, w))
    rgb = tone_map_finish(base, light, exposure, seed, factor=factor, planes=planes)
    red, blue = fx.zoomed_planes(planes[0], planes[1], fused.aberration)
    _compile()
    _compose(red, blue, *mask_stack(fused.masks, h, w), rgb.reshape(h, 3 * w))
    return rgb


# The kernels are compiled, or loaded from numba's disk cache, by `_compile` on first use
# (as render/tonemap.py's): importing numba costs about half a second that commands which
# never render should not pay.
prange = range
_compiled = False


def _compile() -> None:
    global _by, _compose, prange, _compiled
    if _compiled:
        return
    import numba

    prange = numba.prange
    _by = numba.njit(cache=True, inline="always")(_by)
    _compose = numba.njit(cache=True, parallel=True)(_compose)
    _compiled = True


def _by(value, factor):  # pragma: no cover - compiled
    """value times factor / 255 (int32, bytes), rounded as cv2.multiply with scale 1/255
    rounds (exact: no ties occur)."""
    return (value * np.int32(factor) + 127) // 255


def _compose(red, blue, fulls, rows, which, rgb):  # pragma: no cover - compiled
    """rgb's red and blue replaced by these planes, then rgb times each mask in turn
    (`render.tonemap.mask_stack`: fulls[which[k]], or the byte rows[k, y] along row y
    where which[k] is -1), rounded as cv2.multiply with scale 1/255 rounds. red, blue:
    (H, W); rgb and each of fulls: (H, 3W).

    The planes go in and the first two masks are applied in one loop over pixels that
    writes all three bytes of each: it vectorises, where storing red and blue alone
    (every third byte) does not. Without masks, the loop multiplies by 255 / 255 (the
    same bytes) for the same reason. One loop for each kind of mask, so that none holds a
    branch."""
    k = which.shape[0]
    for y in prange(red.shape[0]):
        dst, r, b = rgb[y], red[y], blue[y]
        w0 = which[0] if k > 0 else -1
        s0 = rows[0, y] if k > 0 else np.uint8(255)
        if k < 2 and w0 < 0:
            for x in range(r.shape[0]):
                j = 3 * x
                dst[j] = np.uint8(_by(np.int32(r[x]), s0))
                dst[j + 1] = np.uint8(_by(np.int32(dst[j + 1]), s0))
                dst[j + 2] = np.uint8(_by(np.int32(b[x]), s0))
        elif k < 2:
            m0 = fulls[w0, y]
            for x in range(r.shape[0]):
                j = 3 * x
                dst[j] = np.uint8(_by(np.int32(r[x]), m0[j]))
                dst[j + 1] = np.uint8(_by(np.int32(dst[j + 1]), m0[j + 1]))
                dst[j + 2] = np.uint8(_by(np.int32(b[x]), m0[j + 2]))
        else:
            w1, s1 = which[1], rows[1, y]
            if w0 < 0 and w1 < 0:
                for x in range(r.shape[0]):
                    j = 3 * x
                    dst[j] = np.uint8(_by(_by(np.int32(r[x]), s0), s1))
                    dst[j + 1] = np.uint8(_by(_by(np.int32(dst[j + 1]), s0), s1))
                    dst[j + 2] = np.uint8(_by(_by(np.int32(b[x]), s0), s1))
            elif w0 < 0:
                m1 = fulls[w1, y]
                for x in range(r.shape[0]):
                    j = 3 * x
                    dst[j] = np.uint8(_by(_by(np.int32(r[x]), s0), m1[j]))
                    dst[j + 1] = np.uint8(_by(_by(np.int32(dst[j + 1]), s0), m1[j + 1]))
                    dst[j + 2] = np.uint8(_by(_by(np.int32(b[x]), s0), m1[j + 2]))
            elif w1 < 0:
                m0 = fulls[w0, y]
                for x in range(r.shape[0]):
                    j = 3 * x
                    dst[j] = np.uint8(_by(_by(np.int32(r[x]), m0[j]), s1))
                    dst[j + 1] = np.uint8(_by(_by(np.int32(dst[j + 1]), m0[j + 1]), s1))
                    dst[j + 2] = np.uint8(_by(_by(np.int32(b[x]), m0[j + 2]), s1))
            else:
                m0, m1 = fulls[w0, y], fulls[w1, y]
                for x in range(r.shape[0]):
                    j = 3 * x
                    dst[j] = np.uint8(_by(_by(np.int32(r[x]), m0[j]), m1[j]))
                    dst[j + 1] = np.uint8(_by(_by(np.int32(dst[j + 1]), m0[j + 1]), m1[j + 1]))
                    dst[j + 2] = np.uint8(_by(_by(np.int32(b[x]), m0[j + 2]), m1[j + 2]))
        # Any further masks, a loop over the row's bytes each.
        for i in range(2, k):
            if which[i] < 0:
                s = rows[i, y]
                for j in range(dst.shape[0]):
                    dst[j] = np.uint8(_by(np.int32(dst[j]), s))
            else:
                m = fulls[which[i], y]
                for j in range(dst.shape[0]):
                    dst[j] = np.uint8(_by(np.int32(dst[j]), m[j]))


def warm_up() -> None:
    """Compile the passes that take an aberrated frame apart and put it back together (or
    load them from numba's disk cache)."""
    _compile()
    plane, rgb = np.zeros((1, 1), np.uint8), np.zeros((1, 3), np.uint8)
    _compose(plane, plane, *mask_stack((), 1, 1), rgb)


__all__ = ["Fused", "finish", "fuse", "warm_up"]
