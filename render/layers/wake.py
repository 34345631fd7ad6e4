"""The wake-up: 'Then-', a cut to white, and 'I wake up.'"""

from __future__ import annotations

import cairo

from render.draw import additive, neon_stroke
from render.glyphs import text_path, text_width
from render.scene import Frame, Layer, TrackRef
from render.story import smoothstep


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    wake = float(params["wake"])
    if wake <= 0.001:
        return
    w, h = frame.scene.width, frame.scene.height
    # Progress inside the wake beat: from escalation when it drives the story, else the track.
    e = float(frame["escalation"])
    p = smoothstep(0.95, 1.0, e) if e > 0.95 else wake
    size = 0.06 * min(w, h)
    if p < 0.4:
        # Darkness falls over everything; only 'Then-' remains.
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(0, 0, 0, min(1.0, wake * 1.5))
        cr.paint()
        if frame.light is not None:  # darkness falls over the light too
            frame.light.cover(cr, min(1.0, wake * 1.5), everywhere=True)
        additive(cr)
        text = "Then-"
        x = (w - text_width(text, size)) / 2
        text_path(cr, text, x, h / 2 - size / 2, size)
        neon_stroke(cr, frame.colour("text"), 0.1 * size, alpha=min(1.0, p * 6), heat=0.5)
        return
    # The cut to white, and the line in dark ink.
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source_rgb(0.97, 0.97, 0.96)
    cr.paint()
    if frame.light is not None:
        frame.light.cover(cr, everywhere=True)
    text = "I wake up."
    x = (w - text_width(text, size)) / 2
    text_path(cr, text, x, h / 2 - size / 2, size)
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    cr.set_source_rgba(0.08, 0.08, 0.1, min(1.0, (p - 0.45) * 5))
    cr.set_line_width(0.08 * size)
    cr.stroke()


LAYER = Layer(
    name="wake",
    draw=draw,
    params={"wake": TrackRef("wake")},
    doc="'Then-' on black, a cut to white, 'I wake up.'",
)
