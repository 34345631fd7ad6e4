"""A frame with no background: the drawing and its light with an alpha channel.

`background = "transparent"` (or `--transparent`) leaves the palette's background
unpainted, so cairo's surface holds the layers as premultiplied RGBA: colour C and
coverage a, with C <= a. Premultiplied colour is the picture over black, so the rest of
the frame is made exactly as an opaque one is, on it: the soft light and the bloom are
added in linear light and tone-mapped and dithered by the same pass
(`render.tonemap.finish`). Light has no coverage of its own, so it takes the least that
holds its colour: a pixel's alpha is the larger of what was drawn there and the
tone-mapped colour's brightest channel. A glow over nothing is then as transparent as it
is dim (alpha 0.3 where its brightest channel is 0.3), with its full-strength hue, and
over black it is exactly the opaque render's glow.

Display effects then see premultiplied colour, as they would see the frame over black,
and the alpha follows what they do: the ones that multiply (scanlines, vignette,
flicker) multiply alpha alike; the ones that move pixels (chromatic aberration) move
alpha with them (each colour plane's alpha moves with that plane; a pixel keeps the
largest); the ones that add (grain) add to alpha as they add to colour, so grain shows
over any background. After each, alpha is raised where needed to hold the colour again.

Composited over a background B ("over": C + B (1 - a), in the sRGB-encoded values every
compositor uses) this matches the opaque render over B wherever the frame is opaque or
untouched by light, to the dither. Where light falls on the background it differs: the
opaque render adds light to B in linear light and through the tone map, the composite
adds it to B's encoded value, less B a; and where vignette or scanlines darken, the
opaque render darkened B too. On a dark palette background both are a few levels
(tests/test_transparent.py measures it on the dream).

The frame handed on is straight (unassociated) RGBA, as PNG, ffmpeg's rgba input,
ProRes 4444 and VP9's alpha store it: colour divided by alpha, 0 where alpha is 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cairo
import cv2
import numpy as np

from render.surface import pixels
from render.tonemap import finish as tone_map_finish


def premultiplied(surface: cairo.ImageSurface) -> tuple[np.ndarray, np.ndarray]:
    """A surface's premultiplied colour as (H, W, 3) RGB (the drawing over black) and its
    alpha, (H, W), both new C-contiguous uint8 arrays."""
    bgra = pixels(surface)
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGB), np.ascontiguousarray(bgra[..., 3])


def finish(
    base: np.ndarray,
    alpha: np.ndarray,
    light: np.ndarray | None,
    exposure: float,
    seed: int,
    effects: Sequence[tuple[Any, Any, dict[str, Any]]],
    rng: Callable[[str], np.random.Generator],
    *,
    factor: int | None = None,
) -> np.ndarray:
    """The frame as straight RGBA, (H, W, 4) uint8. `base`, `alpha`: `premultiplied`;
    `light`, `exposure`, `seed`: as `render.tonemap.finish` takes them; `effects`: the
    display effects, (spec, Effect, params) in order; `rng(name)` a fresh generator for
    an effect's randomness (the same each call, so colour and alpha see the same draw)."""
    rgb = tone_map_finish(base, light, exposure, seed, factor=factor)
    alpha = _holding(alpha, rgb)
    h, w = alpha.shape
    for spec, effect, params in effects:
        name = f"effect:{spec.type}"
        if effect.mask is not None:
            mask = effect.mask(h, w, **params)
            if mask is None:
                continue
            # cv2.multiply's rounding, as the effect itself (and the opaque frame) does
            rgb = cv2.multiply(rgb, mask, scale=1 / 255)
            moved = cv2.multiply(alpha, np.ascontiguousarray(mask[..., 0]), scale=1 / 255)
        else:
            rgb = np.ascontiguousarray(effect.apply(rgb, params, rng(name)))
            grey = cv2.cvtColor(alpha, cv2.COLOR_GRAY2RGB)
            moved = _max_channel(np.ascontiguousarray(effect.apply(grey, params, rng(name))))
        alpha = _holding(moved, rgb)
    return straight(rgb, alpha)


def _max_channel(rgb: np.ndarray) -> np.ndarray:
    return cv2.max(cv2.max(rgb[..., 0], rgb[..., 1]), rgb[..., 2])


def _holding(alpha: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """`alpha` raised where premultiplied `rgb` needs more (a channel above its alpha)."""
    return cv2.max(alpha, _max_channel(rgb))


def straight(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Premultiplied colour (each channel <= alpha) and its alpha as straight RGBA:
    colour x 255 / alpha, rounded; 0 where alpha is 0 (cv2.divide's rule: 3 ms at 1080p
    where numpy's float division and dstack took 50)."""
    colour = cv2.divide(rgb, cv2.merge((alpha, alpha, alpha)), scale=255.0)
    out = cv2.cvtColor(colour, cv2.COLOR_RGB2RGBA)
    out[..., 3] = alpha
    return out


def over(rgba: np.ndarray, background: tuple[float, float, float]) -> np.ndarray:
    """Straight RGBA composited over a colour (0..1 each), as any compositor does it in
    encoded values: C a + B (1 - a). Float64 levels, (H, W, 3), 0..255."""
    a = rgba[..., 3:4].astype(np.float64) / 255.0
    bg = np.asarray(background, np.float64) * 255.0
    return rgba[..., :3].astype(np.float64) * a + bg * (1.0 - a)


__all__ = ["finish", "over", "premultiplied", "straight"]
