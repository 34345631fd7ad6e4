"""The chamber: a dark room lit by the core, pipes along the edges throbbing like arteries.

One pipe bursts when the fog rolls in; the vapor layer vents from its break.
"""

from __future__ import annotations

import math

import cairo

from render.color import mix
from render.draw import additive, neon_stroke, radial_glow
from render.params import colour, number, track
from render.scene import Frame, Layer, Scene


def heartbeat(phase: float) -> float:
    """Lub-dub: a strong beat and a softer echo, in 0..1, periodic in `phase`.

    The beat sits mid-cycle so that a loop, which wraps at phase 0, wraps in the quiet
    between beats and not on the jolt of one."""
    p = phase % 1.0
    return math.exp(-(((p - 0.42) / 0.05) ** 2)) + 0.6 * math.exp(-(((p - 0.6) / 0.06) ** 2))


def burst_point(scene: Scene) -> tuple[float, float]:
    """Where the pipe breaks: low on the left wall; the vapor layer starts here too."""
    return 0.035 * scene.width, 0.7 * scene.height


def build(scene: Scene) -> list[dict]:
    w, h = scene.width, scene.height
    u = scene.unit
    rng = scene.rng("chamber")
    pipes = []
    # Vertical runs hugging each wall, bending into the floor: arteries of the machine.
    for side in (-1, 1):
        for k in range(3):
            inset = (0.012 + 0.02 * k) * w if not scene.layout.portrait else (0.025 + 0.035 * k) * w
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
                    "width": (13 + 6 * (2 - k)) * u,
                    "phase": float(rng.random()),
                    "burst": side < 0 and k == 0,
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


def draw(cr: cairo.Context, frame: Frame, params, pipes) -> None:
    scene = frame.scene
    w, h, u = scene.width, scene.height, scene.unit
    cx, cy, r = scene.layout.core
    bg = frame.colour("background")
    heat = float(params["heat"])
    # Ambient light from the core fills the room; it reddens with the alarm.
    ambient = mix(frame.colour("secondary"), frame.colour("alert"), 0.5 * float(params["flash"]))
    ambient = mix(ambient, frame.colour("hot"), 0.5 * heat)
    breath = heartbeat(frame.cycles(params["rate"]))
    # It lights the room around the core and fades out before the walls: the corners keep
    # the palette's black, so the frame has a real black to set the light against.
    g = cairo.RadialGradient(cx, cy, r * 0.5, cx, cy, max(w, h) * 0.5)
    a = 0.16 + 0.05 * breath + 0.15 * heat
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
    cr.set_source_rgba(*grid, 0.07 * params["intensity"])
    cr.stroke()

    fog = float(params["fog"])
    colour = params["colour"]
    for pipe in pipes:
        pts = pipe["points"]
        pw = pipe["width"]
        # The dark body of the pipe, then a lit rim.
        cr.set_operator(cairo.OPERATOR_OVER)
        # Each heartbeat swells the artery a little, and its lit core throbs.
        beat = heartbeat(frame.cycles(params["rate"]) + pipe["phase"] * 0.15)
        swell = 1 + 0.12 * beat
        cr.set_line_join(cairo.LINE_JOIN_ROUND)
        cr.set_line_cap(cairo.LINE_CAP_BUTT)
        for width, shade in ((1.0, 0.14), (0.55, 0.26)):  # shading that makes a tube round
            length = _polyline(cr, pts)
            cr.set_line_width(pw * width * swell)
            cr.set_source_rgba(*mix(bg, colour, shade), 1.0)
            cr.stroke()
        additive(cr)
        _polyline(cr, pts)
        neon_stroke(
            cr,
            colour,
            pw * 0.28 * swell,
            alpha=(0.4 + 0.5 * beat) * params["intensity"],
            heat=0.2,
            light=frame.light,
        )
        # Pulses of energy travel along the artery, one per heartbeat.
        phase = frame.cycles(params["rate"]) + pipe["phase"]
        for k in range(3):
            s = ((phase + k / 3) % 1.0) * length
            px, py = _point_along(pts, s)
            radial_glow(
                cr, px, py, pw * 2.2, colour, 0.35 * params["intensity"] * (0.5 + beat), frame.light
            )
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
