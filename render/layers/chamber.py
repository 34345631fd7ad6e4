"""The chamber: a dark room lit by the core, pipes along the edges throbbing like arteries.

One pipe bursts when the fog rolls in; the vapor layer vents from its break.
"""

from __future__ import annotations

import math

import cairo

from render.color import RGB, mix
from render.draw import additive, fill_gradient, neon_stroke, radial_glow
from render.params import colour, number, track
from render.particles import Burst, draw_sparks
from render.scene import Frame, Layer, Scene


def heartbeat(phase: float) -> float:
    """Lub-dub: a strong beat and a softer echo, in 0..1, periodic in `phase`.

    The beat sits mid-cycle so that a loop, which wraps at phase 0, wraps in the quiet
    between beats and not on the jolt of one."""
    p = phase % 1.0
    return math.exp(-(((p - 0.42) / 0.05) ** 2)) + 0.6 * math.exp(-(((p - 0.6) / 0.06) ** 2))


def burst_point(scene: Scene) -> tuple[float, float]:
    """Where the pipe breaks: the innermost pipe on the left wall, above the console where
    it can be seen; the vapor layer starts here too."""
    inset = 0.095 if scene.layout.portrait else 0.09
    return inset * scene.width, 0.42 * scene.height


def _machines(scene: Scene) -> list[dict]:
    """Cabinets of the machine standing along the back wall, each with its status lights."""
    w, h = scene.width, scene.height
    rng = scene.rng("chamber-machines")
    floor = 0.9 * h
    out = []
    x = 0.07 * w
    n = 0
    while x < 0.93 * w:
        mw = float(rng.uniform(0.05, 0.1)) * w
        # Lower in the middle, where the core stands, taller toward the walls: a skyline.
        side = abs((x + mw / 2) / w - 0.5) * 2
        mh = float(rng.uniform(0.18, 0.3) + 0.25 * side) * h
        rows = int(rng.integers(5, 11))
        leds = [
            (float(rng.uniform(0.15, 0.85)), 0.12 + 0.8 * k / rows, float(rng.uniform(0.3, 1.4)))
            for k in range(rows)
        ]
        out.append({"x": x, "y": floor - mh, "w": mw, "h": mh, "leds": leds, "id": n})
        x += mw + float(rng.uniform(0.006, 0.025)) * w
        n += 1
    return out


def _cables(scene: Scene) -> list[tuple[float, float, float, float]]:
    """Cables slung from the ceiling: (x0, x1, height of the ends, sag), as fractions."""
    rng = scene.rng("chamber-cables")
    out = []
    for _ in range(7):
        x0 = float(rng.uniform(-0.1, 0.9))
        out.append(
            (
                x0,
                x0 + float(rng.uniform(0.12, 0.35)),
                float(rng.uniform(0.0, 0.04)),
                float(rng.uniform(0.05, 0.16)),
            )
        )
    return out


def build(scene: Scene) -> dict:
    return {"pipes": _pipes(scene), "machines": _machines(scene), "cables": _cables(scene)}


def _led_on(cabinet: int, led: int, cycle: int) -> bool:
    """Whether a status light is lit in this blink cycle: a fixed hash, no state."""
    x = (cabinet * 73856093) ^ (led * 19349663) ^ (cycle * 83492791)
    x = (x ^ (x >> 13)) * 1274126177 & 0xFFFFFFFF
    return (x >> 8) % 100 < 62


def _room(
    cr: cairo.Context, frame: Frame, built: dict, lit: RGB, level: float, alarm: float
) -> None:
    """The back of the room: cables from the ceiling, then the machine's cabinets against
    the wall, dark shapes rimmed by the core's light, their status lights blinking."""
    scene = frame.scene
    w, h, u = scene.width, scene.height, scene.unit
    bg = frame.colour("background")
    body = mix(bg, frame.colour("secondary"), 0.07)
    for x0, x1, top, sag in built["cables"]:
        ax, bx, y = x0 * w, x1 * w, top * h
        cr.move_to(ax, y)
        cr.curve_to(
            ax + 0.3 * (bx - ax), y + sag * h * 1.3, bx - 0.3 * (bx - ax), y + sag * h * 1.3, bx, y
        )
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_line_width(2.5 * u)
        cr.set_source_rgba(*body, 1.0)
        cr.stroke_preserve()
        additive(cr)
        cr.set_line_width(1.0 * u)
        cr.set_source_rgba(*lit, 0.3 * level)
        cr.stroke()
    cycle = int(frame.cycles(0.9))
    period = frame.period_cycles(0.9)
    if period:
        cycle %= period
    leds: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for m in built["machines"]:
        x, y, mw, mh = m["x"], m["y"], m["w"], m["h"]
        cr.rectangle(x, y, mw, mh)
        frame.cover(cr)  # the cabinet hides the soft light behind it
        cr.set_operator(cairo.OPERATOR_OVER)
        # Its face catches the room's light, more toward the core's side.
        facing = x + mw if x + mw / 2 < w / 2 else x
        face = cairo.LinearGradient(x + mw - facing + x, 0, facing, 0)
        face.add_color_stop_rgb(0, *body)
        face.add_color_stop_rgb(1, *mix(body, lit, 0.45 * min(level, 1.5)))
        fill_gradient(cr, face)
        additive(cr)
        # Rim light along the top and the side that faces the core.
        cr.move_to(x, y)
        cr.line_to(x + mw, y)
        cr.move_to(facing, y)
        cr.line_to(facing, y + mh)
        cr.set_line_width(1.6 * u)
        cr.set_source_rgba(*lit, min(1.0, 0.85 * level))
        cr.stroke()
        # A pool of its light on the floor in front of it.
        radial_glow(cr, x + mw / 2, y + mh, 0.6 * mw, lit, 0.12 * level, frame.light)
        # Vents: faint slots down the cabinet.
        for k in range(1, 6):
            yy = y + mh * k / 6
            cr.move_to(x + 0.15 * mw, yy)
            cr.line_to(x + 0.85 * mw, yy)
        cr.set_line_width(0.8 * u)
        cr.set_source_rgba(*lit, 0.14 * level)
        cr.stroke()
        for k, (fx, fy, rate) in enumerate(m["leds"]):
            if not _led_on(m["id"], k, cycle + int(rate * 3)):
                continue
            red = (m["id"] + k) % 5 == 0 or alarm > 0.5
            lx, ly = x + fx * mw, y + fy * mh
            leds[red].append((lx, ly))
    # Status lights: one fill per colour (a fill each cost a quarter of the room).
    for red, points in leds.items():
        colour = frame.colour("alert") if red else frame.colour("primary")
        for lx, ly in points:
            cr.rectangle(lx - 3 * u, ly - 1.6 * u, 6 * u, 3.2 * u)
        cr.set_source_rgba(*colour, 0.95)
        cr.fill()
        for lx, ly in points:
            radial_glow(cr, lx, ly, 22 * u, colour, 0.6, frame.light)


# The vapor jet: a burst of droplets every JET_EVERY seconds, each living JET_LIFE seconds,
# blasting out of the gash across the room and sagging: closed-form, so any frame alone.
JET = Burst(count=14, speed=0.9, spread=0.12, direction=-0.15, gravity=0.25, drag=1.2, life=1.0)
JET_EVERY = 0.08


def _jet(cr: cairo.Context, frame: Frame, x: float, y: float, fog: float) -> None:
    """Steam blasting from the burst pipe: a bright plume on the soft light, and streaks of
    droplets from bursts born at a steady rate (each one's age is known from the time)."""
    h = frame.scene.height
    # It blasts in gusts, the pressure behind it surging and falling back.
    gust = 0.3 + 0.7 * frame.wave(0.23) * (0.6 + 0.4 * frame.wave(0.71, 0.3))
    strength = min(1.0, fog * 2.5) * gust
    soft = frame.soft(cr)
    steam = mix(frame.colour("glow"), (1.0, 1.0, 1.0), 0.5)  # dense and white at the gash
    plume = cairo.LinearGradient(x, y, x + 0.45 * h, y - 0.05 * h)
    plume.add_color_stop_rgba(0, *steam, 0.9 * strength)
    plume.add_color_stop_rgba(0.4, *frame.colour("glow"), 0.35 * strength)
    plume.add_color_stop_rgba(1, *frame.colour("glow"), 0.0)
    soft.move_to(x, y - 0.01 * h)
    soft.line_to(x + 0.5 * h, y - 0.12 * h)
    soft.line_to(x + 0.5 * h, y + 0.06 * h)
    soft.line_to(x, y + 0.01 * h)
    soft.close_path()
    soft.set_source(plume)
    soft.fill()
    latest = math.floor(frame.t / JET_EVERY)
    for k in range(int(JET.life / JET_EVERY)):
        born = latest - k
        draw_sparks(
            cr, frame, x, y, JET, f"jet-{born}", frame.t - born * JET_EVERY,
            frame.colour("glow"), frame.colour("glow"), streak=0.12, width=0.8 * strength,
        )  # fmt: skip


def _pipes(scene: Scene) -> list[dict]:
    w, h = scene.width, scene.height
    u = scene.unit
    rng = scene.rng("chamber")
    pipes = []
    # Vertical runs hugging each wall, bending into the floor: arteries of the machine.
    for side in (-1, 1):
        for k in range(3):
            inset = (0.02 + 0.035 * k) * w if not scene.layout.portrait else (0.025 + 0.035 * k) * w
            x = inset if side < 0 else w - inset
            top = (0.02 + 0.1 * k + 0.05 * rng.random()) * h
            floor = h * (0.985 - 0.012 * k)
            bend = x - side * (0.04 + 0.03 * k) * w
            pts = [
                (x, top),
                (x, floor - 0.03 * h),
                (x - side * 0.012 * w, floor),
                (bend - side * 0.2 * w, floor),
            ]
            pipes.append(
                {
                    "points": pts,
                    "width": (24 + 9 * (2 - k)) * u,
                    "phase": float(rng.random()),
                    "burst": side < 0 and k == 2,
                }
            )
    return pipes


def _polyline(cr: cairo.Context, pts) -> float:
    cr.move_to(*pts[0])
    length = 0.0
    for a, b in zip(pts, pts[1:], strict=False):
        cr.line_to(*b)
        length += math.dist(a, b)
    return length


def _point_along(pts, s: float) -> tuple[float, float]:
    for a, b in zip(pts, pts[1:], strict=False):
        seg = math.dist(a, b)
        if s <= seg:
            f = s / seg if seg else 0
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        s -= seg
    return pts[-1]


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    pipes = built["pipes"]
    scene = frame.scene
    w, h, u = scene.width, scene.height, scene.unit
    cx, cy, r = scene.layout.core
    bg = frame.colour("background")
    heat = float(params["heat"])
    # Ambient light from the core fills the room; it reddens with the alarm.
    ambient = mix(frame.colour("secondary"), frame.colour("alert"), 0.5 * float(params["flash"]))
    # The core's heat reddens it further (not whitens: white light would grey the room).
    ambient = mix(ambient, frame.colour("alert"), 0.45 * heat)
    breath = heartbeat(frame.cycles(params["rate"]))
    # It lights the room around the core and fades out before the walls: the corners keep
    # the palette's black, so the frame has a real black to set the light against.
    g = cairo.RadialGradient(cx, cy, r * 0.5, cx, cy, max(w, h) * 0.5)
    a = 0.16 + 0.05 * breath + 0.05 * heat
    g.add_color_stop_rgba(0, *ambient, a)
    g.add_color_stop_rgba(0.5, *ambient, 0.35 * a)
    g.add_color_stop_rgba(1, *ambient, 0.0)
    soft = frame.soft(cr)
    soft.set_source(g)
    soft.paint()
    # Floor line and a faint grid of the chamber's panelling.
    additive(cr)
    grid = frame.colour("secondary")
    cr.set_line_width(1.2 * u)
    step = 0.08 * h
    n = int(w / step) + 2
    for i in range(n):
        x = w / 2 + (i - n // 2) * step
        cr.move_to(x, 0.9 * h)
        cr.line_to(w / 2 + (x - w / 2) * 2.2, h)
    cr.move_to(0, 0.9 * h)
    cr.line_to(w, 0.9 * h)
    cr.set_source_rgba(*grid, 0.12 * params["intensity"])
    cr.stroke()
    # The core's pulse and the alarm light the machines.
    _room(
        cr,
        frame,
        built,
        ambient,
        params["intensity"] * (0.6 + 0.4 * breath + 0.6 * heat),
        float(params["flash"]),
    )

    fog = float(params["fog"])
    colour = params["colour"]
    for pipe in pipes:
        pts = pipe["points"]
        pw = pipe["width"]
        # The dark body of the pipe, then a lit rim.
        cr.set_operator(cairo.OPERATOR_OVER)
        # Each heartbeat swells the artery a little, and its lit core throbs.
        beat = heartbeat(frame.cycles(params["rate"]) + pipe["phase"] * 0.15)
        swell = 1 + 0.25 * beat
        cr.set_line_join(cairo.LINE_JOIN_ROUND)
        cr.set_line_cap(cairo.LINE_CAP_BUTT)
        for width, shade in ((1.0, 0.12), (0.6, 0.24)):  # shading that makes a tube round
            length = _polyline(cr, pts)
            cr.set_line_width(pw * width * swell)
            cr.set_source_rgba(*mix(bg, colour, shade), 1.0)
            cr.stroke()
        additive(cr)
        _polyline(cr, pts)
        neon_stroke(
            cr,
            colour,
            pw * 0.4 * swell,
            alpha=(0.45 + 0.55 * beat) * params["intensity"],
            heat=0.2,
            light=frame.light,
        )
        # Pulses of energy travel along the artery, one per heartbeat, each a swelling of
        # the pipe that glows from inside as it passes.
        phase = frame.cycles(params["rate"]) + pipe["phase"]
        for k in range(3):
            s = ((phase + k / 3) % 1.0) * length
            px, py = _point_along(pts, s)
            cr.set_operator(cairo.OPERATOR_OVER)
            cr.arc(px, py, 0.5 * pw * swell * (1.25 + 0.25 * beat), 0, 2 * math.pi)
            cr.set_source_rgba(*mix(bg, colour, 0.3), 1.0)
            cr.fill()
            additive(cr)
            radial_glow(
                cr, px, py, pw * 2.2, colour, 0.6 * params["intensity"] * (0.5 + beat), frame.light
            )
            cr.arc(px, py, 0.2 * pw * swell, 0, 2 * math.pi)
            cr.set_source_rgba(*colour, 0.5 * params["intensity"] * (0.5 + beat))
            cr.fill()
        if pipe["burst"] and fog > 0.01:
            bx, by = burst_point(scene)
            # A ragged gash in the pipe, glowing hot, venting.
            radial_glow(
                cr,
                bx,
                by,
                pw * (3 + 5 * fog),
                frame.colour("glow"),
                0.6 * min(1, fog * 3),
                frame.light,
            )
            rng = frame.rng("burst")
            cr.set_source_rgba(*frame.colour("hot"), 0.8 * min(1, fog * 3))
            cr.set_line_width(1.5 * u)
            for _ in range(10):
                a = rng.uniform(-0.9, 0.9)
                ln = pw * rng.uniform(1, 5) * (0.5 + fog)
                cr.move_to(bx, by)
                cr.line_to(bx + math.cos(a) * ln, by + math.sin(a) * ln)
            cr.stroke()
            _jet(cr, frame, bx, by, fog)


LAYER = Layer(
    name="chamber",
    draw=draw,
    build=build,
    params={
        "colour": colour("colour", "secondary", "the pipes and their pulses"),
        "intensity": number("intensity", 1.0, "brightness of the grid, pipes and pulses", 0, 4),
        "rate": number("rate", 0.9, "heartbeat of the pipes", 0, 10, "Hz"),
        "heat": track("heat", "the core's heat warming the ambient light"),
        "flash": track("flash", "the klaxon reddening the ambient light"),
        "fog": track("fog", "the burst pipe venting"),
    },
    doc="Dark chamber, ambient core light, pipes throbbing like arteries, one that bursts.",
    order=10,
    plane=0.0,
)
