"""Post effects as the sequence sees them: each registered with its declared parameters.

`effects.py` stays a set of plain ndarray -> ndarray functions a script can call
directly; an `Effect` here names one, declares every parameter a sequence may set
(validation and the docs table read these), and applies it to a frame. Parameters the
function takes with a default keep that default; the declaration gives range and doc.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from render import effects as fx, light
from render.params import Param, number, table, track


@dataclass(frozen=True)
class Effect:
    """A registered post effect. `fn(rgb, **params)` (plus `rng=` when it takes one)
    returns a new frame; `params` declares what a sequence may set."""

    name: str
    fn: Callable[..., np.ndarray]
    params: Mapping[str, Param] = field(default_factory=dict)
    doc: str = ""
    # "display": fn(rgb uint8, **params) -> rgb, after the tone map, in list order.
    # "light": fn(base uint8, light float32 linear at the soft-light grid, **params) -> light,
    # before the tone map (render/light.py): light adds up there without clipping.
    stage: str = "display"
    # A display effect that multiplies every pixel by a mask may say which:
    # mask(height, width, **params) -> (H, W, 3) uint8 (255 = 1, rounded as cv2.multiply
    # with scale 1/255 rounds), or None where it changes nothing. The renderer then
    # applies it inside the frame's last pass (render.display); `fn` does the same alone.
    mask: Callable[..., np.ndarray | None] | None = None

    @property
    def takes_rng(self) -> bool:
        return "rng" in inspect.signature(self.fn).parameters

    def apply(
        self, rgb: np.ndarray, values: Mapping[str, Any], rng: np.random.Generator | None
    ) -> np.ndarray:
        if self.takes_rng:
            return self.fn(rgb, rng=rng, **values)
        return self.fn(rgb, **values)


def declare(fn: Callable[..., np.ndarray], *params: Param) -> Mapping[str, Param]:
    """Declarations for `fn`'s parameters: a parameter the function gives a default gets
    that default (so the default is written once, in the function)."""
    sig = inspect.signature(fn).parameters
    out = []
    for p in params:
        given = sig.get(p.name)
        has_default = given is not None and given.default is not inspect.Parameter.empty
        if p.kind == "number" and has_default:
            p = Param(p.name, p.kind, float(given.default), p.doc, p.lo, p.hi, p.unit)
        out.append(p)
    return table(out)


def _scanlines(rgb: np.ndarray, strength: float, period: float, scale: float) -> np.ndarray:
    return fx.scanlines(rgb, strength * scale, period)


def _scanline_mask(
    h: int, w: int, strength: float, period: float, scale: float
) -> np.ndarray | None:
    return fx.scanline_mask(h, w, strength * scale, period)


BUILTIN: tuple[Effect, ...] = (
    Effect(
        "bloom",
        light.bloom,
        declare(
            light.bloom,
            number("strength", 0, "how much light the glow adds (0 = off)", 0, 8),
            number("radius", 0, "main glow radius", 0, 0.5, "of the height"),
            number("threshold", 0, "brightness where glowing starts (max channel)", 0, 1),
            track(
                "scale",
                "multiplies strength; the story fades it before the cut to white",
                "bloom",
                lo=0,
                hi=8,
            ),
        ),
        "Glow at several radii around bright light, in linear light before the tone map.",
        stage="light",
    ),
    Effect(
        "chromatic_aberration",
        fx.chromatic_aberration,
        declare(
            fx.chromatic_aberration,
            number("amount", 0, "colour fringe at the frame's edges", -0.05, 0.05, "of the height"),
        ),
        "Lateral colour fringing: red out, blue in.",
    ),
    Effect(
        "scanlines",
        _scanlines,
        declare(
            fx.scanlines,
            number("strength", 0, "how dark the lines are", 0, 1),
            number("period", 0, "line spacing", 0.0005, 0.1, "of the height"),
            track("scale", "multiplies strength; the story ends the screen on waking", "screen"),
        ),
        "CRT scanlines.",
        mask=_scanline_mask,
    ),
    Effect(
        "vignette",
        fx.vignette,
        declare(fx.vignette, number("strength", 0, "darkening toward the corners", 0, 1)),
        "Darkened corners.",
        mask=fx.vignette_mask,
    ),
    Effect(
        "grain",
        fx.grain,
        declare(fx.grain, number("amount", 0.04, "film grain, per frame", 0, 1)),
        "Film grain, new every frame.",
    ),
    Effect(
        "flicker",
        fx.flicker,
        declare(fx.flicker, number("amount", 0.04, "brightness flicker, per frame", 0, 1)),
        "Whole-frame brightness flicker.",
    ),
)

__all__ = ["BUILTIN", "Effect", "declare"]
