"""The wake-up: 'Then-' on black, a cut to warm daylight, 'I wake up.' coming into focus
while the after-image of the eye fades."""

from __future__ import annotations

import cairo

from render.draw import additive, neon_stroke
from render.glyphs import text_path, text_width
from render.params import text, track
from render.scene import Frame, Layer
from render.story import smoothstep


def _blinds(cr: cairo.Context, w: float, h: float, focus: float, drift: float) -> None:
    """Morning sun through the slats of a blind, slanting across the wall: soft while the
    eyes are still closing on the dream, sharp once they focus; the sun climbs a little,
    so the slats slide slowly down the wall and the room keeps living after the words."""
    sun = (1.0, 0.86, 0.62)
    cr.save()
    cr.translate(0.62 * w - 0.04 * w * drift, -0.08 * h + 0.06 * h * drift)
    cr.transform(cairo.Matrix(1, 0.0, -0.55, 1, 0, 0))  # a parallelogram: sun from above left
    slat = 0.075 * h
    edge = 0.004 * h + 0.05 * h * (1 - focus)  # soft edges sharpen as the eyes focus
    for k in range(9):
        y0 = k * slat
        g = cairo.LinearGradient(0, y0 - edge, 0, y0 + 0.62 * slat + edge)
        g.add_color_stop_rgba(0, *sun, 0.0)
        g.add_color_stop_rgba(edge / (0.62 * slat + 2 * edge), *sun, 0.55)
        g.add_color_stop_rgba(1 - edge / (0.62 * slat + 2 * edge), *sun, 0.55)
        g.add_color_stop_rgba(1, *sun, 0.0)
        cr.rectangle(-edge, y0 - edge, 0.42 * w + 2 * edge, 0.62 * slat + 2 * edge)
        cr.set_source(g)
        cr.fill()
    cr.restore()


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    p = float(params["wake"])  # progress through the beat
    if p <= 0.001:
        return
    w, h = frame.scene.width, frame.scene.height
    size = 0.06 * min(w, h)
    if p < 0.01:
        # The cut: one flash of the core's light burning out, as if the eye were too much.
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(*frame.colour("hot"), 0.85)
        cr.paint()
        frame.cover(cr, everywhere=True)
        return
    # Then darkness falls, within a few hundredths of the beat.
    dark = smoothstep(0.01, 0.02, p)
    if p < 0.4:
        # Darkness falls over everything; only 'Then-' remains.
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(0, 0, 0, dark)
        cr.paint()
        # darkness falls over the light too
        frame.cover(cr, dark, everywhere=True)
        additive(cr)
        text = params["before"]
        x = (w - text_width(text, size)) / 2
        text_path(cr, text, x, h / 2 - size / 2, size)
        neon_stroke(cr, frame.colour("text"), 0.1 * size, alpha=min(1.0, p * 6), heat=0.5)
        return
    # The cut to daylight: a bedroom wall, warm, a little dimmer away from the window.
    day = (1.0, 0.9, 0.76)
    light = cairo.RadialGradient(0.7 * w, 0.1 * h, 0.05 * max(w, h), 0.6 * w, 0.3 * h, max(w, h))
    light.add_color_stop_rgb(0, *(0.62 * c for c in day))
    light.add_color_stop_rgb(1, *(0.44 * c for c in day))
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source(light)
    cr.paint()
    frame.cover(cr, everywhere=True)
    _blinds(cr, w, h, smoothstep(0.42, 0.7, p), smoothstep(0.4, 1.0, p))
    # The after-image of the eye: a faint cyan almond where the red eye burned, fading.
    after = 1.0 - smoothstep(0.4, 0.75, p)
    if after > 0.01:
        ew, eh = 0.3 * min(w, h), 0.13 * min(w, h)
        cx, cy = w / 2, h / 2
        cr.save()
        cr.translate(cx, cy)
        cr.scale(ew, eh)
        cr.arc(0, 0, 1, 0, 2 * 3.141592653589793)
        cr.restore()
        g = cairo.RadialGradient(cx, cy, 0, cx, cy, ew)
        g.add_color_stop_rgba(0, 0.55, 0.85, 0.85, 0.35 * after)
        g.add_color_stop_rgba(1, 0.55, 0.85, 0.85, 0.0)
        cr.set_source(g)
        cr.fill()
    # 'I wake up.' comes into focus: first soft (on the light buffer), then sharp.
    text = params["after"]
    ink = (0.1, 0.08, 0.08)
    focus = smoothstep(0.5, 0.7, p)
    appear = smoothstep(0.45, 0.55, p)
    x = (w - text_width(text, size)) / 2
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    if focus < 1:
        # Out of focus: a wide, faint stroke of ink.
        text_path(cr, text, x, h / 2 - size / 2, size)
        cr.set_source_rgba(*ink, 0.18 * appear * (1 - focus))
        cr.set_line_width(0.45 * size * (1 - focus) + 0.08 * size)
        cr.stroke()
    text_path(cr, text, x, h / 2 - size / 2, size)
    cr.set_source_rgba(*ink, appear * focus)
    cr.set_line_width(0.11 * size)
    cr.stroke()


LAYER = Layer(
    name="wake",
    draw=draw,
    params={
        "wake": track("wake", "progress through the beat: 'Then-' below 0.4, daylight above"),
        "before": text("before", "Then-", "the words on black"),
        "after": text("after", "I wake up.", "the words in the daylight"),
    },
    doc="'Then-' on black, a cut to white, 'I wake up.'",
    order=90,
)
