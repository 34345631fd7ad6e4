"""Static bursts from forgotten speakers, carrying the whispers."""

from __future__ import annotations

import math

import cairo

from render.draw import additive, low_res, neon_text
from render.glyphs import text_width
from render.params import colour, track
from render.scene import Frame, Layer
from render.story import smoothstep

WHISPERS = ("You missed a step.", "It's already too late.", "Join us.")


def which(frame: Frame, line: float) -> tuple[int, float]:
    """The whisper heard now and how far through it we are (0..1): from the `line`
    parameter, or taking turns every 2.5 s when it is below 0."""
    p = line if line >= 0 else frame.cycles(0.4)
    k = int(p) % len(WHISPERS)
    return k, p % 1.0


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    level = float(params["whisper"])
    if level <= 0.01:
        return
    w, h, u = frame.scene.width, frame.scene.height, frame.unit
    k, p = which(frame, float(params["line"]))
    rng = frame.rng("static")
    burst = level * (smoothstep(0.0, 0.1, p) * (1 - smoothstep(0.8, 1.0, p)))
    additive(cr)
    # Static: bands of scratchy horizontal noise.
    for _ in range(int(40 * level)):
        y = rng.uniform(0, h)
        x0 = rng.uniform(-0.2, 1.0) * w
        ln = rng.uniform(0.05, 0.5) * w
        cr.move_to(x0, y)
        cr.line_to(x0 + ln, y)
        cr.set_line_width(rng.uniform(0.5, 3.0) * u)
        g = rng.uniform(0.3, 1.0)
        cr.set_source_rgba(g, g, g, 0.25 * level * rng.random())
        cr.stroke()
    # The whisper itself, shivering.
    text = WHISPERS[k]
    size = 0.045 * min(w, h)
    x = (w - text_width(text, size)) / 2
    y = 0.83 * h if not frame.scene.layout.portrait else 0.62 * h
    # A shadow behind the words so bright vapor cannot swallow them.
    tw = text_width(text, size)
    shade = cairo.RadialGradient(w / 2, y + size / 2, 0, w / 2, y + size / 2, 0.7 * tw)
    shade.add_color_stop_rgba(0, 0, 0, 0, 0.6 * burst)
    shade.add_color_stop_rgba(1, 0, 0, 0, 0)
    cr.save()
    cr.translate(w / 2, y + size / 2)
    cr.scale(1.0, 0.25)
    cr.translate(-w / 2, -(y + size / 2))
    cr.set_operator(cairo.OPERATOR_OVER)
    box = (w / 2 - 0.7 * tw, y + size / 2 - 0.7 * tw, 1.4 * tw, 1.4 * tw)  # the shade only
    cr.rectangle(*box)
    frame.cover(cr, source=shade)  # the shadow darkens the light beneath it too
    cr.set_source(low_res(cr, shade, *box))
    cr.fill()
    cr.restore()
    additive(cr)
    for ghost, off in ((0.3, -3.0), (0.3, 3.0), (1.0, 0.0)):
        jx = off * u + rng.normal(0, 1.5) * u * (1 + 2 * (1 - burst))
        ty = y + math.sin(2 * math.pi * frame.cycles(6.0)) * u
        colour = params["colour"] if ghost == 1.0 else frame.colour("alert")
        a = burst * ghost * (0.7 + 0.3 * rng.random())
        neon_text(cr, text, x + jx, ty, size, colour, 0.08 * size, alpha=a, heat=0.4)


LAYER = Layer(
    name="whispers",
    draw=draw,
    params={
        "whisper": track("whisper", "loudness of the static and the words"),
        "line": track(
            "line",
            "which whisper and how far through it; below 0 they take turns",
            "whisper_line",
            lo=-1,
            hi=3,
        ),
        "colour": colour("colour", "text", "the words"),
    },
    doc="Static bursts and the whispers: You missed a step. It's already too late. Join us.",
    order=60,
)
