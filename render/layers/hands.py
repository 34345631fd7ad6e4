"""The dreamer's hands: dark shapes in the foreground darting across the controls, rimmed
by the panels' light, until the controls melt under them into slick flesh.

Seen from behind, palm down, each hand reaches up from the bottom of the frame toward
one console panel. It darts to a control, holds there tapping, darts to the next: a
closed-form function of time (the dart index is a whole number of cycles), so any frame
renders alone and a loop wraps. As `melt` rises the buttons under them sag into glossy
flesh and run down the panel; the hands stay hands (their fingers only droop a little).
"""

from __future__ import annotations

import math

import cairo

from render.color import RGB, mix
from render.draw import additive, neon_stroke
from render.params import colour, number, track
from render.scene import Frame, Layer, Scene
from render.story import smoothstep

Point = tuple[float, float]

# A right hand seen from behind, in units of its length (wrist 0,0 to the middle
# fingertip at 0,-1): knuckle (x, y), splay (radians, 0 = straight up), length, width.
_FINGERS = (
    (-0.15, -0.5, -0.08, 0.44, 0.1),  # index
    (-0.05, -0.53, -0.02, 0.48, 0.105),  # middle
    (0.05, -0.51, 0.04, 0.45, 0.098),  # ring
    (0.145, -0.47, 0.1, 0.36, 0.085),  # little
)
_THUMB = (-0.19, -0.26, -0.75, 0.27, 0.11)
_DARTS = 6  # targets in one hand's cycle of darts (then it starts over)


def _rot(x: float, y: float, a: float) -> Point:
    c, s = math.cos(a), math.sin(a)
    return x * c - y * s, x * s + y * c


def _finger(b: Point, angle: float, length: float, width: float, bend: float) -> list[Point]:
    """Outline of one finger, base-left to tip to base-right: two segments, the outer one
    turned by `bend`. Returns the outline points (the tip as a rounded fan)."""
    d0 = (math.sin(angle), -math.cos(angle))
    j = (b[0] + d0[0] * 0.55 * length, b[1] + d0[1] * 0.55 * length)
    a1 = angle + bend
    d1 = (math.sin(a1), -math.cos(a1))
    tip = (j[0] + d1[0] * 0.45 * length, j[1] + d1[1] * 0.45 * length)
    r0, r1 = width / 2, 0.44 * width
    n0 = (math.cos(angle), math.sin(angle))
    nj = (math.cos(angle + bend / 2), math.sin(angle + bend / 2))
    n1 = (math.cos(a1), math.sin(a1))
    pts = [(b[0] - n0[0] * r0, b[1] - n0[1] * r0), (j[0] - nj[0] * r0, j[1] - nj[1] * r0)]
    for k in range(7):  # round fingertip: a half circle from the left side to the right
        t = math.pi * k / 6
        c, s = math.cos(t), math.sin(t)
        pts.append(
            (tip[0] - n1[0] * r1 * c + d1[0] * r1 * s, tip[1] - n1[1] * r1 * c + d1[1] * r1 * s)
        )
    pts += [(j[0] + nj[0] * r0, j[1] + nj[1] * r0), (b[0] + n0[0] * r0, b[1] + n0[1] * r0)]
    return pts


def hand_outline(curl: tuple[float, ...], melt: float) -> tuple[list[Point], list[Point]]:
    """A right hand's outline (closed, the forearm running off below the wrist) and its
    fingertips, in hand units. `curl` per finger (thumb first) shortens it as it presses;
    `melt` sags the outer joints like wax and stretches them."""
    tips: list[Point] = []

    def finger(spec, c: float, k: int) -> list[Point]:
        x, y, splay, length, width = spec
        sag = melt * (0.9 + 0.25 * k % 3) * (1 if splay >= -0.5 else -1)
        length *= (1 - 0.35 * c) * (1 + 0.45 * melt)
        pts = _finger((x, y), splay, length, width * (1 + 0.2 * melt), sag)
        tips.append(pts[5])
        return pts

    out = [(-0.26, 1.2), (-0.19, 0.05), (-0.21, -0.1)]
    out += finger(_THUMB, curl[0], 0)
    out.append((-0.2, -0.36))
    for k, spec in enumerate(_FINGERS):
        out += finger(spec, curl[k + 1], k + 1)
    out += [(0.2, -0.36), (0.19, 0.05), (0.26, 1.2)]
    return out, tips


def _targets(scene: Scene, side: int) -> list[Point]:
    """Where one hand's fingertips go, dart after dart: controls on its panel."""
    rng = scene.rng(f"hands-{side}")
    panels = scene.layout.panels
    px, py, pw, ph = panels[0] if side < 0 else panels[-1]
    # A row of buttons on the panel, two deep; the hand visits them in a shuffled order.
    slots = [(px + fx * pw, py + fy * ph) for fy in (0.38, 0.52) for fx in (0.3, 0.5, 0.7)]
    order = rng.permutation(len(slots))[:_DARTS]
    return [slots[int(k)] for k in order]


def build(scene: Scene) -> dict:
    return {-1: _targets(scene, -1), 1: _targets(scene, 1)}


def _where(
    frame: Frame, targets: list[Point], rate: float, offset: float
) -> tuple[Point, float, int]:
    """The fingertips' point now, how far into the hold (0 darting .. 1 resting), and
    which target they are going to."""
    c = frame.cycles(rate) + offset
    k = math.floor(c)
    u = c - k
    period = frame.period_cycles(rate)
    if period:  # a loop: the darts wrap with it
        k %= period
    n = len(targets)
    a, b = targets[(k - 1) % n], targets[k % n]
    dart = smoothstep(0.0, 0.4, u)
    at = (a[0] + (b[0] - a[0]) * dart, a[1] + (b[1] - a[1]) * dart)
    return at, smoothstep(0.3, 0.5, u), k % n


def _controls(
    cr: cairo.Context,
    frame: Frame,
    targets: list[Point],
    size: float,
    melt: float,
    flesh: RGB,
    pressed: tuple[int, float],
) -> None:
    """The buttons the hands go to; the one being pressed (`pressed`: its index, how hard)
    lights up. Melting, each sags into a glossy lump of flesh that runs down the panel,
    the pressed one most."""
    u = frame.unit
    r = 0.07 * size
    lit = frame.colour("primary")
    for k, (x, y) in enumerate(targets):
        press = pressed[1] if k == pressed[0] else 0.0
        sag = melt * r * (2.6 + 1.0 * math.sin(k * 2.3) + 0.5 * frame.wave(0.3, 0.17 * k))
        sag *= 1.0 + 1.5 * press
        y0 = y + 0.25 * r
        cr.move_to(x - r, y0 - r)
        cr.line_to(x + r, y0 - r)
        cr.line_to(x + r, y0 + 0.7 * r)
        cr.curve_to(x + r, y0 + r + 0.5 * sag, x + 0.4 * r, y0 + r + sag, x, y0 + r + sag)
        cr.curve_to(x - 0.4 * r, y0 + r + sag, x - r, y0 + r + 0.3 * sag, x - r, y0 + 0.7 * r)
        cr.close_path()
        path = cr.copy_path()
        if melt > 0.02:
            frame.cover(cr, min(1.0, 2 * melt))
            cr.set_operator(cairo.OPERATOR_OVER)
            g = cairo.LinearGradient(x, y0 - r, x, y0 + r + sag)
            pink = mix(frame.colour("alert"), (0.95, 0.7, 0.68), 0.6)  # raw, wet flesh
            g.add_color_stop_rgba(0, *mix(pink, (0.0, 0.0, 0.0), 0.2), min(1.0, 2 * melt))
            g.add_color_stop_rgba(1, *mix(pink, (0.0, 0.0, 0.0), 0.6), min(1.0, 2 * melt))
            cr.set_source(g)
            cr.fill()
            cr.append_path(path)
        additive(cr)
        if press > 0.01 and melt < 0.5:  # it lights under the finger
            cr.set_source_rgba(*lit, 0.45 * press * (1 - 2 * melt))
            cr.fill_preserve()
        neon_stroke(cr, mix(lit, flesh, smoothstep(0.05, 0.4, melt)), 1.5 * u, alpha=0.8)
        if melt > 0.05:  # flesh running off its lower edge, in a long drop
            drop = sag * (1.2 + 0.8 * frame.wave(0.25, 0.31 * k))
            bx, by = x + 0.3 * r * math.sin(k * 1.7), y0 + r + 0.8 * sag
            cr.move_to(bx - 0.22 * r, by)
            cr.curve_to(bx - 0.2 * r, by + drop, bx - 0.3 * r, by + 1.3 * drop, bx, by + 1.4 * drop)
            cr.curve_to(bx + 0.3 * r, by + 1.3 * drop, bx + 0.2 * r, by + drop, bx + 0.22 * r, by)
            cr.close_path()
            cr.set_operator(cairo.OPERATOR_OVER)
            cr.set_source_rgba(*mix(flesh, (0.0, 0.0, 0.0), 0.25), min(1.0, 2 * melt))
            cr.fill()
            additive(cr)
        if melt > 0.02:  # a wet highlight
            cr.move_to(x - 0.55 * r, y0 - 0.5 * r)
            cr.curve_to(
                x - 0.2 * r, y0 - 0.75 * r, x + 0.3 * r, y0 - 0.7 * r, x + 0.5 * r, y0 - 0.45 * r
            )
            cr.set_source_rgba(1.0, 0.95, 0.92, min(0.9, 1.2 * melt))
            cr.set_line_width(0.24 * r)
            cr.stroke()


def _path(cr: cairo.Context, pts: list[Point]) -> None:
    cr.move_to(*pts[0])
    for p in pts[1:]:
        cr.line_to(*p)
    cr.close_path()


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    level = float(params["level"])
    if level <= 0.005:
        return
    scene = frame.scene
    w, h = scene.width, scene.height
    melt = float(params["melt"])
    flesh = mix(mix(params["flesh"], frame.colour("hot"), 0.3), (0.0, 0.0, 0.0), 0.2)
    urgency = float(params["urgency"])
    size = params["size"] * min(w, h)
    rate = params["rate"] * (0.5 + urgency)
    rim_colour = params["colour"]
    body = mix(frame.colour("background"), (0.0, 0.0, 0.0), 0.5)
    where = {
        side: _where(frame, built[side], rate, offset) for side, offset in ((-1, 0.0), (1, 0.5))
    }
    for side in (-1, 1):
        _, hold, k = where[side]
        _controls(cr, frame, built[side], size, melt, flesh, (k, hold * level))
    for side in (-1, 1):
        (tx, ty), hold, _ = where[side]
        # Never quite still: a working hand hovers and shifts while it presses.
        tx += 0.03 * size * math.sin(2 * math.pi * frame.cycles(0.7) + side)
        ty += 0.02 * size * math.sin(2 * math.pi * frame.cycles(1.1) + 2 * side)
        # The wrist sits below and outward of the fingertips: the arm comes from the dreamer.
        # Coming and going, they rise into view and sink out of it rather than fade.
        ty += (1.0 - smoothstep(0.0, 1.0, level)) * 1.1 * size
        wx, wy = tx - side * 0.5 * size, ty + 0.8 * size  # reaching in from either side
        angle = math.atan2(tx - wx, wy - ty)
        # The fingers work the controls in turn, each curling to press and lifting again.
        # The fingers work the controls, never flat: each jabs down to press and lifts,
        # one after another, quicker as the machine fails.
        jab = frame.cycles(rate * 3.0)
        curl = [0.35] + [
            0.3 + 0.55 * (0.4 + 0.6 * hold)
            * max(0.0, math.sin(2 * math.pi * (jab + 0.27 * k + 0.4 * side))) ** 3
            for k in range(4)
        ]  # fmt: skip
        # The hands stay hands: it is the controls that melt (a little sag, no claws).
        outline, _tips = hand_outline(tuple(curl), 0.3 * melt)
        m = cairo.Matrix()  # hand units to the layer's own (the camera's is on cr)
        m.translate(wx, wy)
        m.rotate(angle)
        m.scale(side * size, 0.85 * size)  # the left hand is the right one mirrored
        cr.save()
        cr.transform(m)
        _path(cr, outline)
        cr.restore()
        path = cr.copy_path()
        # Opaque: it hides the light behind it, then its rim catches the panels' glow.
        frame.cover(cr)
        cr.new_path()
        cr.append_path(path)
        cr.set_operator(cairo.OPERATOR_OVER)
        # Lit from the panels ahead: the fingers catch a little of their colour.
        x0, y0 = m.transform_point(0.0, 0.3)
        x1, y1 = m.transform_point(0.0, -1.0)
        fill = cairo.LinearGradient(x0, y0, x1, y1)
        fill.add_color_stop_rgba(0, *body, 1.0)
        fill.add_color_stop_rgba(1, *mix(body, rim_colour, 0.06), 1.0)
        cr.set_source(fill)
        cr.fill_preserve()
        neon_stroke(
            cr, rim_colour, 3.0 * frame.unit, alpha=0.9 * level, heat=0.3, light=frame.light
        )


LAYER = Layer(
    name="hands",
    draw=draw,
    build=build,
    params={
        "level": track("level", "the dreamer's hands on the controls", "hands"),
        "urgency": track(
            "urgency", "how fast the hands dart from control to control", "escalation"
        ),
        "melt": track("melt", "the controls melting into flesh under the fingers"),
        "colour": colour("colour", "primary", "the panels' light on the hands' rims"),
        "flesh": colour("flesh", "alert", "melting flesh (warmed toward the palette's hot)"),
        "size": number(
            "size", 0.34, "length of a hand, wrist to fingertip", 0.05, 1, "of the shorter side"
        ),
        "rate": number(
            "rate", 1.0, "darts from control to control per second, when calm", 0, 10, "Hz"
        ),
    },
    doc="The dreamer's hands darting across the controls, which melt into flesh under them.",
    default=False,  # the dream's own: sequences/dream.toml lists it
    order=80,  # nearest of all: drawn after the klaxon, its silhouettes stay black
    plane=0.95,
)
