"""The dreamer's reflection in a panel's glass: faint, and wrong. Its eyes are too wide,
its smile too sharp, and it shifts between glances, as if it moved when no one looked.
"""

from __future__ import annotations

import math

import cairo

from render.color import mix
from render.draw import additive, neon_stroke
from render.params import colour, track
from render.scene import Frame, Layer
from render.story import smoothstep


def _face(cr: cairo.Context, wrong: float) -> list[tuple[float, float, float, float]]:
    """The face's outline in units of its height (centre 0,0); returns the eyes.
    `wrong` widens the eyes and stretches and sharpens the grin."""
    cr.save()
    cr.scale(0.36, 0.5)
    cr.arc(0, 0, 1, 0, 2 * math.pi)  # the head
    cr.restore()
    for side in (-1, 1):  # ears
        cr.move_to(side * 0.35, -0.12)
        cr.curve_to(side * 0.45, -0.16, side * 0.46, 0.06, side * 0.34, 0.08)
    cr.move_to(-0.34, -0.18)  # the hairline
    cr.curve_to(-0.2, -0.3, 0.2, -0.36, 0.34, -0.2)
    cr.move_to(-0.3, 0.52)  # the neck and the collar of a uniform like yours
    cr.line_to(-0.28, 0.68)
    cr.line_to(-0.6, 0.8)
    cr.move_to(0.3, 0.52)
    cr.line_to(0.28, 0.68)
    cr.line_to(0.6, 0.8)
    # The eyes: almonds opened too wide, white all round a small iris. They are drawn
    # (and lit) by the caller, which needs their size: (x, y, half width, half height).
    eyes = []
    ew, eh = 0.085 + 0.02 * wrong, 0.03 + 0.045 * wrong
    for x in (-0.15, 0.15):
        cr.move_to(x - ew, -0.08)
        cr.curve_to(x - 0.4 * ew, -0.08 - 1.3 * eh, x + 0.4 * ew, -0.08 - 1.3 * eh, x + ew, -0.08)
        cr.curve_to(x + 0.4 * ew, -0.08 + 1.3 * eh, x - 0.4 * ew, -0.08 + 1.3 * eh, x - ew, -0.08)
        cr.close_path()
        eyes.append((x, -0.08, ew, eh))
    cr.move_to(0.0, -0.02)  # the nose
    cr.line_to(-0.03, 0.09)
    cr.line_to(0.01, 0.1)
    # The grin: wider than a mouth can be, its teeth a row of points.
    half = 0.16 + 0.14 * wrong
    y0, lift = 0.2, 0.06 + 0.1 * wrong
    teeth = 9

    def smile(x: float) -> float:  # the corners pulled up, too far
        return y0 - lift * (x / half) ** 2

    cr.move_to(-half, smile(-half))
    for k in range(1, 2 * teeth + 1):
        x = -half + half * k / teeth
        tip = (0.02 + 0.035 * wrong) * (1 - abs(x / half)) if k % 2 else 0.0
        cr.line_to(x, smile(x) + tip)
    cr.move_to(-half, smile(-half))
    cr.curve_to(-0.5 * half, y0 + 0.1, 0.5 * half, y0 + 0.1, half, smile(half))
    return eyes


def _steel(
    cr: cairo.Context, frame: Frame, x: float, y: float, w: float, h: float, level: float
) -> None:
    """A polished steel plate on the console: dark, with a cold sheen across it."""
    r = 0.04 * min(w, h)
    cr.new_sub_path()
    cr.arc(x + w - r, y + r, r, -math.pi / 2, 0)
    cr.arc(x + w - r, y + h - r, r, 0, math.pi / 2)
    cr.arc(x + r, y + h - r, r, math.pi / 2, math.pi)
    cr.arc(x + r, y + r, r, math.pi, 1.5 * math.pi)
    cr.close_path()
    plate = cr.copy_path()
    frame.cover(cr, 0.9 * level)
    cr.set_operator(cairo.OPERATOR_OVER)
    g = cairo.LinearGradient(x, y, x + w, y + h)
    g.add_color_stop_rgba(0.0, 0.06, 0.07, 0.09, 0.9 * level)
    g.add_color_stop_rgba(0.45, 0.15, 0.16, 0.19, 0.9 * level)
    g.add_color_stop_rgba(0.55, 0.09, 0.1, 0.12, 0.9 * level)
    g.add_color_stop_rgba(1.0, 0.04, 0.05, 0.06, 0.9 * level)
    cr.set_source(g)
    cr.fill()
    additive(cr)
    cr.save()
    cr.append_path(plate)
    cr.clip()
    for k, (off, width) in enumerate(((0.3, 0.08), (0.42, 0.03))):  # the sheen
        cr.move_to(x + off * w, y + h)
        cr.line_to(x + (off + 0.25) * w, y)
        cr.set_line_width(width * w)
        cr.set_source_rgba(0.7, 0.8, 0.9, (0.05 - 0.015 * k) * level)
        cr.stroke()
    cr.restore()
    cr.append_path(plate)
    cr.set_source_rgba(0.6, 0.7, 0.8, 0.35 * level)
    cr.set_line_width(1.5 * frame.unit)
    cr.stroke()


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    level = float(params["level"])
    if level <= 0.005:
        return
    scene = frame.scene
    px, py, pw, ph = scene.layout.panels[-1]
    size = 0.5 * ph
    # Where it stands in the glass: each glance (about one a second) it is somewhere else,
    # a little off from where it was, as if it moved while no one was looking.
    glance = math.floor(frame.cycles(0.8))
    period = frame.period_cycles(0.8)
    if period:
        glance %= period
    rng = scene.rng(f"reflection-{glance}")
    dx, dy = rng.uniform(-0.06, 0.06, 2) * size
    tilt = float(rng.uniform(-0.12, 0.12))
    wrong = float(params["wrong"])
    cx, cy = px + 0.55 * pw + dx, py + 0.2 * ph + dy
    _steel(cr, frame, px + 0.16 * pw, py - 0.1 * ph, 0.8 * pw, 0.6 * ph, level)
    m = cairo.Matrix()  # face units to the layer's own (the camera's transform is on cr)
    m.translate(cx, cy)
    m.rotate(tilt)
    m.scale(size, size)
    cr.save()
    cr.transform(m)
    eyes = _face(cr, wrong)
    cr.restore()
    glass = mix(params["colour"], (1.0, 1.0, 1.0), 0.3)
    additive(cr)
    neon_stroke(cr, glass, 1.8 * frame.unit, alpha=0.5 * level, heat=0.2, light=frame.light)
    # The whites glow, too wide open, round a small iris with a pinprick of a pupil.
    stare = level * smoothstep(0.05, 0.4, wrong)
    cr.save()
    cr.transform(m)
    for x, y, ew, eh in eyes:
        cr.move_to(x - ew, y)
        cr.curve_to(x - 0.4 * ew, y - 1.3 * eh, x + 0.4 * ew, y - 1.3 * eh, x + ew, y)
        cr.curve_to(x + 0.4 * ew, y + 1.3 * eh, x - 0.4 * ew, y + 1.3 * eh, x - ew, y)
        cr.close_path()
    cr.set_source_rgba(*glass, 0.3 * stare)
    cr.fill()
    cr.set_operator(cairo.OPERATOR_OVER)
    for x, y, _ew, eh in eyes:
        cr.new_sub_path()
        cr.arc(x, y, 0.55 * eh, 0, 2 * math.pi)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.6 * stare)
    cr.fill()
    additive(cr)
    for x, y, _ew, eh in eyes:
        cr.new_sub_path()
        cr.arc(x, y, 0.55 * eh, 0, 2 * math.pi)
    cr.set_line_width(0.006)
    cr.set_source_rgba(*glass, 0.5 * stare)
    cr.stroke()
    cr.restore()


LAYER = Layer(
    name="reflection",
    draw=draw,
    params={
        "level": track("level", "the reflection in the panel's glass", "reflection"),
        "wrong": track(
            "wrong", "how wrong it is: eyes too wide, smile too sharp", "reflection_wrong"
        ),
        "colour": colour("colour", "text", "the light the glass reflects"),
    },
    doc="The dreamer's reflection in a panel: eyes too wide, smile too sharp, shifting.",
    default=False,  # the dream's own: sequences/dream.toml lists it
    order=42,
    plane=0.7,
)
