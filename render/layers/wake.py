"""The wake-up: 'Then-' on black, a cut to warm daylight, 'I wake up.' coming into focus
while the after-image of the eye fades."""

from __future__ import annotations

import math

import cairo

from render.draw import additive, neon_stroke, radial_glow
from render.glyphs import text_path, text_width
from render.layers.hands import hand_outline, hand_path
from render.params import text, track
from render.scene import Frame, Layer
from render.story import smoothstep


def _blinds(cr: cairo.Context, w: float, h: float, focus: float, drift: float) -> None:
    """Morning sun through the slats of a blind, slanting across the wall: soft while the
    eyes are still closing on the dream, sharp once they focus; the sun climbs a little,
    so the slats slide slowly down the wall and the room keeps living after the words."""
    sun = (1.0, 0.86, 0.62)
    cr.save()
    cr.translate(0.3 * w + 0.04 * w * drift, 0.08 * h + 0.06 * h * drift)
    # A parallelogram thrown down and to the right of the window: the sun is high, at the left.
    cr.transform(cairo.Matrix(1, 0.0, 0.55, 1, 0, 0))
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


def _window(cr: cairo.Context, frame: Frame, w: float, h: float, focus: float) -> None:
    """The window the sun comes through, at the left: a blind of bright slats glowing in
    its frame, its light spilling onto the wall."""
    x0, y0, ww, wh = 0.05 * w, 0.1 * h, 0.2 * w, 0.46 * h
    sun = (1.0, 0.93, 0.8)
    # Its glow on the wall around it (soft light: it spreads past the frame).
    radial_glow(cr, x0 + ww / 2, y0 + wh / 2, 0.55 * wh, (1.0, 0.85, 0.6), 0.35, frame.light)
    cr.set_operator(cairo.OPERATOR_OVER)
    slats = 14
    edge = 0.002 * h + 0.012 * h * (1 - focus)
    for k in range(slats):
        sy = y0 + wh * k / slats
        g = cairo.LinearGradient(0, sy, 0, sy + wh / slats)
        g.add_color_stop_rgb(0, *(0.98 * c for c in sun))
        g.add_color_stop_rgb(0.75, *(0.8 * c for c in sun))
        g.add_color_stop_rgb(1, *(0.55 * c for c in sun))
        cr.rectangle(x0, sy, ww, wh / slats + 0.5)
        cr.set_source(g)
        cr.fill()
    # The frame and the blind's cords, darker than the wall against the light.
    frame_rgb = (0.42, 0.34, 0.27)
    cr.rectangle(x0, y0, ww, wh)
    cr.move_to(x0 + 0.3 * ww, y0)
    cr.line_to(x0 + 0.3 * ww, y0 + wh)
    cr.move_to(x0 + 0.7 * ww, y0)
    cr.line_to(x0 + 0.7 * ww, y0 + wh)
    cr.set_source_rgba(*frame_rgb, 0.9)
    cr.set_line_width(0.006 * h + edge)
    cr.stroke()
    cr.rectangle(x0 - 0.015 * h, y0 - 0.015 * h, ww + 0.03 * h, wh + 0.03 * h)
    cr.set_line_width(0.014 * h + edge)
    cr.stroke()


def _hand(cr: cairo.Context, w: float, h: float, ease: float) -> None:
    """The dreamer's own hand, at last: flesh in daylight, clenched on the duvet's edge,
    its grip easing as the room comes into focus."""
    fist = 0.9 - 0.35 * ease
    outline, _ = hand_outline((0.5, fist, fist, fist, fist), 0.0)
    m = cairo.Matrix()
    m.translate(0.1 * w, 0.93 * h)  # the arm from the corner, the hand on the duvet
    m.rotate(1.15)
    m.scale(0.2 * h, 0.18 * h)
    hand_path(cr, outline, m)
    skin = cairo.LinearGradient(0.3 * w, 0.78 * h, 0.05 * w, 1.0 * h)
    skin.add_color_stop_rgb(0, 0.72, 0.55, 0.45)  # lit by the window
    skin.add_color_stop_rgb(1, 0.45, 0.32, 0.27)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source(skin)
    cr.fill_preserve()
    cr.set_source_rgba(0.25, 0.16, 0.13, 0.8)
    cr.set_line_width(0.003 * h)
    cr.stroke()


def _bed(cr: cairo.Context, w: float, h: float) -> None:
    """The edge of the bed along the bottom: a rumpled duvet in the morning light."""
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.move_to(-0.02 * w, 0.8 * h)
    cr.curve_to(0.2 * w, 0.72 * h, 0.45 * w, 0.79 * h, 0.62 * w, 0.76 * h)
    cr.curve_to(0.8 * w, 0.73 * h, 0.95 * w, 0.8 * h, 1.02 * w, 0.77 * h)
    cr.line_to(1.02 * w, 1.02 * h)
    cr.line_to(-0.02 * w, 1.02 * h)
    cr.close_path()
    g = cairo.LinearGradient(0, 0.72 * h, 0, h)
    g.add_color_stop_rgb(0, 0.78, 0.74, 0.68)
    g.add_color_stop_rgb(1, 0.5, 0.46, 0.42)
    cr.set_source(g)
    cr.fill()
    # Folds: soft shadows running across it.
    for a, b, c, d in ((0.1, 0.86, 0.35, 0.82), (0.5, 0.9, 0.78, 0.85), (0.3, 0.95, 0.6, 0.93)):
        cr.move_to(a * w, b * h)
        cr.curve_to((a + 0.08) * w, (b - 0.04) * h, (c - 0.08) * w, (d + 0.03) * h, c * w, d * h)
    cr.set_source_rgba(0.3, 0.26, 0.24, 0.25)
    cr.set_line_width(0.012 * h)
    cr.stroke()


def _clock(cr: cairo.Context, frame: Frame, w: float, h: float, glow: float) -> None:
    """A nightstand at the bed's head with an alarm clock on it, its red digits the same
    red as the eye: 06:47, the colon blinking."""
    cr.set_operator(cairo.OPERATOR_OVER)
    x0, top = 0.76 * w, 0.6 * h
    cr.rectangle(x0, top, 0.2 * w, h - top)  # the nightstand, in the shade
    g = cairo.LinearGradient(x0, 0, x0 + 0.2 * w, 0)
    g.add_color_stop_rgb(0, 0.36, 0.29, 0.23)
    g.add_color_stop_rgb(1, 0.24, 0.19, 0.15)
    cr.set_source(g)
    cr.fill()
    cr.rectangle(x0 - 0.01 * w, top - 0.012 * h, 0.22 * w, 0.02 * h)  # its top
    cr.set_source_rgb(0.44, 0.36, 0.29)
    cr.fill()
    cx, cy, cw, ch = x0 + 0.03 * w, top - 0.11 * h, 0.12 * w, 0.1 * h
    cr.rectangle(cx, cy, cw, ch)  # the clock
    cr.set_source_rgb(0.12, 0.1, 0.1)
    cr.fill()
    red = frame.colour("alert")
    size = 0.4 * ch
    digits = "06:47" if frame.wave(0.5) > 0.5 else "06 47"
    tx = cx + (cw - text_width(digits, size)) / 2
    radial_glow(cr, cx + cw / 2, cy + ch / 2, 0.6 * cw, red, 0.35 * glow, frame.light)
    text_path(cr, digits, tx, cy + (ch - size) / 2, size)
    cr.set_source_rgba(*red, 0.95 * glow)
    cr.set_line_width(0.12 * size)
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    cr.stroke()


def _dust(cr: cairo.Context, frame: Frame, w: float, h: float, alpha: float) -> None:
    """Dust turning slowly in the sunbeam: motes on closed-form drifts, twinkling as they
    turn through the light."""
    rng = frame.scene.rng("wake-dust")
    n = 60
    bx = rng.uniform(0.22, 0.75, n)
    by = rng.uniform(0.12, 0.7, n)
    ph = rng.uniform(0, 1, n)
    size = rng.uniform(0.6, 1.8, n)
    # Periodic drifts (frame.cycles snaps them to whole turns over a loop).
    a, b, c = (2 * math.pi * frame.cycles(r) for r in (0.05, 0.037, 0.27))
    cr.set_operator(cairo.OPERATOR_ADD)
    for k in range(n):
        x = (bx[k] + 0.015 * math.sin(a + 6.3 * ph[k])) * w
        y = (by[k] + 0.03 * math.sin(b + 4.1 * ph[k]) + 0.012 * math.cos(a + 9 * ph[k])) * h
        glint = 0.5 + 0.5 * math.sin(c + 20 * ph[k])
        cr.arc(x, y, size[k] * frame.unit, 0, 2 * math.pi)
        cr.set_source_rgba(1.0, 0.92, 0.75, alpha * (0.25 + 0.6 * glint))
        cr.fill()
    cr.set_operator(cairo.OPERATOR_OVER)


def _after_image(cr: cairo.Context, w: float, h: float, after: float, drift: float) -> None:
    """The after-image of the eye: where the red eye burned, its shape in the opposite
    colour, pale cyan, drifting as the eyes move and fading."""
    ew, eh = 0.3 * min(w, h), 0.12 * min(w, h)
    cx, cy = w / 2 - 0.08 * w * drift, h / 2 - 0.03 * h * drift
    cyan = (0.45, 0.85, 0.88)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.move_to(cx - ew, cy)
    cr.curve_to(cx - 0.4 * ew, cy - 1.5 * eh, cx + 0.4 * ew, cy - 1.5 * eh, cx + ew, cy)
    cr.curve_to(cx + 0.4 * ew, cy + 1.5 * eh, cx - 0.4 * ew, cy + 1.5 * eh, cx - ew, cy)
    cr.close_path()
    g = cairo.RadialGradient(cx, cy, 0, cx, cy, ew)
    g.add_color_stop_rgba(0, *cyan, 0.22 * after)
    g.add_color_stop_rgba(1, *cyan, 0.08 * after)
    cr.set_source(g)
    cr.fill()
    cr.arc(cx, cy, 0.95 * eh, 0, 2 * math.pi)  # the iris' ring, and the pupil
    cr.set_source_rgba(*cyan, 0.25 * after)
    cr.set_line_width(0.18 * eh)
    cr.stroke()
    cr.arc(cx, cy, 0.35 * eh, 0, 2 * math.pi)
    cr.set_source_rgba(0.85, 0.98, 1.0, 0.3 * after)
    cr.fill()


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
        # 'Then-' larger than the words of the day, and bright: the last light of the dream.
        text, big = params["before"], 1.5 * size
        x = (w - text_width(text, big)) / 2
        text_path(cr, text, x, h / 2 - big / 2, big)
        neon_stroke(cr, frame.colour("text"), 0.11 * big, alpha=min(1.0, p * 12), heat=0.8)
        return
    # The cut to daylight: a bedroom wall, warm, a little dimmer away from the window.
    day = (1.0, 0.9, 0.76)
    # The jolt of waking: the room swings into view, tilted and too close, and settles
    # (a sitting-up, damped), while a hand still grips the duvet.
    settle = smoothstep(0.4, 0.56, p)
    cr.save()
    cr.translate(w / 2, h / 2 + 0.05 * h * (1 - settle))
    cr.rotate(math.radians(6.0) * (1 - settle) * math.cos(3 * math.pi * settle))
    cr.scale(1 + 0.05 * (1 - settle), 1 + 0.05 * (1 - settle))
    cr.translate(-w / 2, -h / 2)
    light = cairo.RadialGradient(0.7 * w, 0.1 * h, 0.05 * max(w, h), 0.6 * w, 0.3 * h, max(w, h))
    light.add_color_stop_rgb(0, *(0.62 * c for c in day))
    light.add_color_stop_rgb(1, *(0.44 * c for c in day))
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source(light)
    cr.paint()
    frame.cover(cr, everywhere=True)
    focus_room = smoothstep(0.42, 0.7, p)
    _window(cr, frame, w, h, focus_room)
    _blinds(cr, w, h, focus_room, smoothstep(0.4, 1.0, p))
    _bed(cr, w, h)
    _hand(cr, w, h, smoothstep(0.5, 0.85, p))
    _clock(cr, frame, w, h, smoothstep(0.45, 0.6, p))
    _dust(cr, frame, w, h, smoothstep(0.5, 0.7, p))
    # The after-image of the eye: fading over the first seconds of the day.
    after = 1.0 - smoothstep(0.4, 0.8, p)
    if after > 0.01:
        _after_image(cr, w, h, after, smoothstep(0.4, 0.8, p))
    cr.restore()
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
