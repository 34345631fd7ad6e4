"""The camera: how the drawn scene is placed in the frame.

Its inputs are declared like a layer's (`CAMERA`) and set in a sequence's
``[camera]`` table or by tracks of the same names; by default they follow the story.
`place` applies them to the cairo context before any layer draws, so every layer
(and the vector pass of a print) sees the same transform.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import cairo

from render.params import table, track
from render.scene import Frame

CAMERA = table(
    [
        track("shake", "camera shake: a jolt in rhythm with the klaxon, plus tremor"),
    ]
)


def place(cr: cairo.Context, frame: Frame, params: Mapping[str, Any]) -> None:
    """Transform `cr` for this frame's camera."""
    w, h = frame.scene.width, frame.scene.height
    shake = float(params["shake"])
    if shake > 0:
        rng = frame.rng("shake")
        amp = shake * 0.012 * min(w, h)
        dx, dy = rng.normal(0, 1, 2) * amp * (0.6 + 0.4 * frame.wave(2.0))
        cr.translate(float(dx), float(dy))
        # Overscan slightly so shaking never shows the frame edge.
        s = 1 + 2.2 * amp / min(w, h)
        cr.translate(w / 2, h / 2)
        cr.scale(s, s)
        cr.translate(-w / 2, -h / 2)


__all__ = ["CAMERA", "place"]
