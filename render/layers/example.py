"""An example layer, complete and small: rings of light rippling out from a point.

It is here to be copied (docs/layers.md walks through it). It declares every input
once, reads the story only through those declarations, draws its soft glow with
`frame.soft` and its sharp rings with `neon_stroke`, and uses only `frame` for time so
that it loops seamlessly. Sequences draw it only when they list it (`default=False`):

    [[layers]]
    type = "ripple"
    x = 0.5
    level = "flash"
"""

from __future__ import annotations

import math

import cairo

from render.draw import additive, neon_stroke, radial_glow
from render.params import colour, number, track
from render.scene import Frame, Layer


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    level = float(params["level"])
    if level <= 0.001:
        return
    w, h, u = frame.scene.width, frame.scene.height, frame.unit
    x, y = params["x"] * w, params["y"] * h
    reach = params["reach"] * min(w, h)
    # A soft glow at the source, on the low-resolution light buffer when there is one.
    radial_glow(cr, x, y, 0.3 * reach, params["colour"], 0.5 * level, frame.light)
    additive(cr)
    rings = 3
    for k in range(rings):
        # frame.cycles snaps the rate to whole cycles per loop: seamless in loops.
        age = (frame.cycles(params["rate"]) + k / rings) % 1.0
        cr.new_path()
        cr.arc(x, y, max(age * reach, u), 0, 2 * math.pi)
        neon_stroke(cr, params["colour"], 2.0 * u, alpha=level * (1 - age), light=frame.light)


LAYER = Layer(
    name="ripple",
    draw=draw,
    params={
        "level": track("level", "brightness of the rings", "flash"),
        "colour": colour("colour", "glow", "the rings' light"),
        "x": number("x", 0.5, "centre, across the frame", 0, 1, "of the width"),
        "y": number("y", 0.5, "centre, down the frame", 0, 1, "of the height"),
        "reach": number("reach", 0.3, "radius a ring reaches", 0, 2, "of the shorter side"),
        "rate": number("rate", 0.5, "rings born per second, per ring", 0, 10, "Hz"),
    },
    doc="Example layer: rings of light rippling out from a point (not drawn by default).",
    default=False,
    order=100,
    plane=0.5,
)
