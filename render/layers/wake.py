"""The wake-up: 'Then-', a cut to white, and 'I wake up.'"""

from __future__ import annotations

import cairo

from render.draw import additive, neon_stroke
from render.glyphs import text_path, text_width
from render.params import track
from render.scene import Frame, Layer
from render.story import smoothstep


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    p = float(params["wake"])  # progress through the beat
    if p <= 0.001:
        return
    w, h = frame.scene.width, frame.scene.height
    # Darkness falls within the first few hundredths of the beat.
    dark = smoothstep(0.0, 0.02, p)
    size = 0.06 * min(w, h)
    if p < 0.4:
        # Darkness falls over everything; only 'Then-' remains.
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(0, 0, 0, dark)
        cr.paint()
        # darkness falls over the light too
        frame.cover(cr, dark, everywhere=True)
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
    frame.cover(cr, everywhere=True)
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
    params={"wake": track("wake", "progress through the beat: 'Then-' below 0.4, white above")},
    doc="'Then-' on black, a cut to white, 'I wake up.'",
    order=90,
)
