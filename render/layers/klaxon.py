"""The klaxon: urgent red light flooding the chamber in rhythm, and rotating beacons."""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.color import mix
from render.draw import additive, neon_stroke, radial_glow
from render.params import colour, number, track
from render.scene import Frame, Layer

# (turning direction, x, y as fractions of the frame): high on the side walls, in from
# the corners so that the camera's push-in keeps them in view.
BEACONS = ((1, 0.05, 0.17), (-1, 0.95, 0.17))


def _dust(cr: cairo.Context, frame: Frame, colour, flash: float, rate: float) -> None:
    """Dust hanging in the air, seen only where a beam sweeps through it: motes on slow
    closed-form drifts, each lit by how near it lies to a beam's axis."""
    w, h = frame.scene.width, frame.scene.height
    rng = frame.scene.rng("klaxon-dust")
    n = 420
    bx, by = rng.uniform(0, 1, n), rng.uniform(0.05, 0.95, n)
    ph, size = rng.uniform(0, 2 * math.pi, n), rng.uniform(1.5, 3.5, n)
    # Periodic drifts (frame.cycles snaps them to whole turns over a loop).
    a, b = 2 * math.pi * frame.cycles(0.033), 2 * math.pi * frame.cycles(0.027)
    xs = (bx + 0.012 * np.sin(a + ph)) * w
    ys = (by + 0.01 * np.cos(b + 1.7 * ph)) * h
    lit = np.zeros(n)
    for side, ax, ay in BEACONS:
        ang = side * 2 * math.pi * frame.cycles(rate / 2)
        dx, dy = xs - ax * w, ys - ay * h
        off = np.angle(np.exp(1j * (np.arctan2(dy, dx) - ang)))
        lit += np.exp(-((off / 0.1) ** 2)) * np.clip(1.0 - np.hypot(dx, dy) / (1.2 * w), 0, 1)
    u = frame.unit
    mote = mix(colour, (1.0, 1.0, 1.0), 0.7)
    for k in np.flatnonzero(lit * flash > 0.05):
        cr.arc(float(xs[k]), float(ys[k]), float(size[k]) * u, 0, 2 * math.pi)
        cr.set_source_rgba(*mote, min(1.0, 1.4 * float(lit[k]) * flash))
        cr.fill()


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    flash = float(params["flash"])
    if flash <= 0.005:
        return
    w, h = frame.scene.width, frame.scene.height
    colour = params["colour"]
    # A hard attack and a slow decay each cycle: the shriek of an alarm, not a sine.
    # Half a cycle in, so that a loop wraps in a decay and not on the attack of a flash.
    phase = (frame.cycles(params["rate"]) + 0.5) % 1.0
    pulse = math.exp(-phase * 8.0)
    additive(cr)
    sharp, cr = cr, frame.soft(cr)  # all of it is soft light: draw it at low resolution
    # The flood only tints the room, strongest in a ring around the middle, and dies out
    # before the corners: the red is in the light sources (beacons, beams, the banner),
    # and the frame keeps a true black to flash against.
    g = cairo.RadialGradient(w / 2, h / 2, 0.1 * min(w, h), w / 2, h / 2, 0.52 * max(w, h))
    g.add_color_stop_rgba(0, *colour, 0.05 * flash * pulse)
    g.add_color_stop_rgba(0.55, *colour, 0.15 * flash * pulse)
    g.add_color_stop_rgba(1, *colour, 0.0)
    cr.set_source(g)
    cr.paint()
    # Two beacons high on the side walls sweep their beams around.
    for side, bx, by in BEACONS:
        x, y = bx * w, by * h
        ang = side * 2 * math.pi * frame.cycles(params["rate"] / 2)
        radial_glow(cr, x, y, 0.14 * min(w, h), colour, flash * (0.5 + 0.5 * pulse))
        reach = 1.3 * max(w, h)
        spread = 0.16
        # Nested wedges, widest faintest: a beam with soft edges and a bright heart.
        for k in range(4):
            beam = cairo.RadialGradient(x, y, 0, x, y, reach)
            heart = 0.26 if k < 2 else 0.16  # a brighter heart; the soft edges as they were
            beam.add_color_stop_rgba(0, *colour, heart * flash)
            beam.add_color_stop_rgba(0.6, *colour, 0.3 * heart * flash)
            beam.add_color_stop_rgba(1, *colour, 0.0)
            half = spread * (0.2 + 0.3 * k)
            cr.move_to(x, y)
            cr.arc(x, y, reach, ang - half, ang + half)
            cr.close_path()
            cr.set_source(beam)
            cr.fill()
    _dust(sharp, frame, colour, flash, params["rate"])
    # The lamps themselves: a red dome in a cage, and inside it the mirror that turns,
    # throwing the beam: a bright wedge pointing where the beam goes.
    u = frame.unit * params["size"]  # the lamps' own unit
    for side, bx, by in BEACONS:
        x, y = bx * w, by * h
        ang = side * 2 * math.pi * frame.cycles(params["rate"] / 2)
        sharp.new_path()
        dome = cairo.RadialGradient(x, y, 0, x, y, 44 * u)
        dome.add_color_stop_rgba(0, *colour, 0.7 * flash)
        dome.add_color_stop_rgba(1, *colour, 0.25 * flash)
        sharp.arc(x, y, 44 * u, 0, 2 * math.pi)
        sharp.set_source(dome)
        sharp.fill()
        sharp.move_to(x, y)
        sharp.arc(x, y, 40 * u, ang - 0.5, ang + 0.5)
        sharp.close_path()
        sharp.set_source_rgba(*mix(colour, (1.0, 1.0, 1.0), 0.35 + 0.4 * pulse), flash)
        sharp.fill()
        sharp.arc(x, y, 44 * u, 0, 2 * math.pi)
        neon_stroke(sharp, colour, 5 * u, alpha=flash * (0.5 + 0.5 * pulse), heat=0.3 + 0.6 * pulse)
        for k in range(-3, 4):  # the cage's bars
            sharp.move_to(x + 12 * k * u, y - 48 * u)
            sharp.line_to(x + 12 * k * u, y + 48 * u)
        sharp.set_source_rgba(*mix(colour, (0.0, 0.0, 0.0), 0.3), 0.6 * flash)
        sharp.set_line_width(2.5 * u)
        sharp.stroke()


LAYER = Layer(
    name="klaxon",
    draw=draw,
    params={
        "flash": track("flash", "strength of the flashes and beacons"),
        "colour": colour("colour", "alert", "the light's colour"),
        "rate": number("rate", 1.1, "flashes per second", 0, 10, "Hz"),
        "size": number("size", 1.0, "the beacon lamps' size (large, they read as lamps)", 0.2, 4),
    },
    doc="Red klaxon flashes in rhythm, with two rotating beacons.",
    order=70,
)
