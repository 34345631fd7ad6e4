"""The control desk: the near edge of the immense panel the dreamer stands at.

A dark desk runs the width of the frame below the holographic panels, curving toward
the dreamer at its ends, its top crowded with rows of keys, sliders and toggles, some
lit, some blinking: the labyrinth of switches under the displays. Its layout is built
once from the seed; which lights are on is a fixed hash of the key and the moment, so
any frame renders alone.
"""

from __future__ import annotations

import cairo

from render.color import mix
from render.draw import additive, fill_gradient, radial_glow
from render.params import colour, track
from render.scene import Frame, Layer, Scene

ROWS = (0.1, 0.3, 0.52, 0.78)  # the rows of keys, from the desk's back edge (0) to its front (1)
BACK, FRONT = 0.83, 1.04  # the desk's back edge and front edge, as fractions of the height
BACK_PORTRAIT = 0.95
SAG = 0.035  # how much lower its ends are than its middle: it curves toward the dreamer


def _edge(scene: Scene, x: float, depth: float) -> float:
    """Y of the desk's surface at `x` and `depth` (0 its back edge, 1 its front)."""
    w, h = scene.width, scene.height
    d = (x - 0.5 * w) / (0.5 * w)
    # Upright, the panels stand low in the frame: the desk runs below them.
    back = ((BACK_PORTRAIT if scene.layout.portrait else BACK) + SAG * d * d) * h
    return back + depth * (FRONT * h - back)


def build(scene: Scene) -> dict:
    """The desk's controls: (x, row, width, kind, colour index, blink rate) for each."""
    rng = scene.rng("deck")
    w = scene.width
    controls = []
    for row, depth in enumerate(ROWS):
        size = (0.014 + 0.014 * depth) * w
        x = -0.02 * w + float(rng.uniform(0.0, size))
        while x < 1.02 * w:
            kind = str(rng.choice(["key", "key", "key", "toggle", "slider"]))
            span = size * (3.5 if kind == "slider" else 1.0)
            y = _edge(scene, x + 0.5 * span, depth)
            under = any(px - size < x < px + pw and py < y < py + ph
                        for px, py, pw, ph in scene.layout.panels)  # fmt: skip
            if under:  # nothing under the displays, whose text would cross it
                x += span + 0.35 * size
                continue
            controls.append(
                {"x": x, "row": row, "size": size, "span": span, "kind": kind,
                 "tint": int(rng.integers(0, 6)), "rate": float(rng.uniform(0.3, 2.0)),
                 "id": len(controls), "pos": float(rng.random())}
            )  # fmt: skip
            x += span + size * float(rng.choice([0.35, 0.35, 0.35, 1.6]))
    return {"controls": controls}


def _lit(control: dict, cycle: int) -> bool:
    """Whether a control's light is on in this blink cycle: a fixed hash, no state."""
    x = (control["id"] * 73856093) ^ (cycle * 19349663)
    x = (x ^ (x >> 13)) * 1274126177 & 0xFFFFFFFF
    return (x >> 8) % 100 < 45


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    level = float(params["intensity"])
    if level <= 0.005:
        return
    scene = frame.scene
    w, h, u = scene.width, scene.height, frame.unit
    bg = frame.colour("background")
    trim = params["colour"]
    alarm = float(params["flash"])
    # The desk: its top from the back edge to below the frame, dark metal catching a
    # little of the room's light toward the back.
    xs = [w * k / 24 for k in range(-1, 26)]
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.move_to(xs[0], _edge(scene, xs[0], 0.0))
    for x in xs[1:]:
        cr.line_to(x, _edge(scene, x, 0.0))
    cr.line_to(xs[-1], FRONT * h + 0.2 * h)
    cr.line_to(xs[0], FRONT * h + 0.2 * h)
    cr.close_path()
    path = cr.copy_path()
    frame.cover(cr)
    cr.append_path(path)
    top = cairo.LinearGradient(0, _edge(scene, 0.5 * w, 0.0), 0, h)
    top.add_color_stop_rgb(0, *mix(bg, trim, 0.1))
    top.add_color_stop_rgb(1, *mix(bg, (0.0, 0.0, 0.0), 0.7))  # the darkest of the frame
    fill_gradient(cr, top)
    additive(cr)
    # The back edge's lit trim: the desk's outline against the room.
    cr.move_to(xs[0], _edge(scene, xs[0], 0.0))
    for x in xs[1:]:
        cr.line_to(x, _edge(scene, x, 0.0))
    cr.set_source_rgba(*trim, 0.75 * level)
    cr.set_line_width(2.0 * u)
    cr.stroke()
    # The controls: caps with a rim, the lit ones glowing in the panel's colours.
    tints = (trim, trim, frame.colour("glow"), frame.colour("alert"), (1.0, 0.72, 0.25), trim)
    cycle = int(frame.cycles(1.3))
    period = frame.period_cycles(1.3)
    if period:
        cycle %= period
    lights = []
    for c in built["controls"]:
        depth = ROWS[c["row"]]
        x, s = c["x"], c["size"]
        y = _edge(scene, x + 0.5 * c["span"], depth)
        hh = s * (0.32 + 0.25 * depth)  # foreshortened: the desk is seen from above
        if c["kind"] == "slider":
            cr.rectangle(x, y - 0.12 * hh, c["span"], 0.24 * hh)  # the slot
            knob = x + c["span"] * (0.15 + 0.7 * c["pos"])
            cr.rectangle(knob - 0.2 * s, y - 0.6 * hh, 0.4 * s, 1.2 * hh)
        elif c["kind"] == "toggle":
            cr.rectangle(x + 0.2 * s, y - 0.3 * hh, 0.6 * s, 0.6 * hh)
            cr.move_to(x + 0.5 * s, y)
            cr.line_to(x + 0.5 * s + 0.25 * s, y - 1.1 * hh)
        else:
            cr.rectangle(x, y - 0.5 * hh, s, hh)
        on = _lit(c, cycle + int(c["rate"] * 3)) or (alarm > 0.5 and c["tint"] == 3)
        if on:
            lights.append((x + 0.5 * (s if c["kind"] != "slider" else c["span"]), y, s, hh, c))
    cr.set_source_rgba(*mix(trim, (1.0, 1.0, 1.0), 0.2), 0.3 * level)
    cr.set_line_width(1.0 * u)
    cr.stroke()
    for k, tint in enumerate(tints):  # one fill per colour
        for lx, ly, s, hh, c in lights:
            if c["tint"] == k:
                cr.rectangle(lx - 0.3 * s, ly - 0.25 * hh, 0.6 * s, 0.5 * hh)
        cr.set_source_rgba(*tint, 0.85 * level)
        cr.fill()
    for lx, ly, s, _, c in lights:
        radial_glow(cr, lx, ly, 1.6 * s, tints[c["tint"]], 0.35 * level, frame.light)


LAYER = Layer(
    name="deck",
    draw=draw,
    build=build,
    params={
        "intensity": track(
            "intensity", "brightness of the desk's lights (dims while the eye stares)", "hud",
            lo=0, hi=4,
        ),  # fmt: skip
        "flash": track("flash", "the klaxon: the red keys all light"),
        "colour": colour("colour", "primary", "the desk's trim and most of its keys"),
    },
    doc="The control desk below the panels: rows of keys, sliders and toggles, some lit.",
    order=25,  # before the core: the arteries feeding it cross the desk
    plane=0.75,
)
