"""The chamber: a dark room lit by the core, pipes along the edges throbbing like arteries.

One pipe bursts when the fog rolls in; the vapor layer vents from its break.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace
from itertools import islice, starmap

import cairo
import numpy as np

from render.color import RGB, mix
from render.draw import additive, fill_gradient, paint_resampled, radial_glow
from render.jit import kernel
from render.noise import warped_noise
from render.params import colour, number, track
from render.particles import Burst, draw_sparks
from render.scene import Frame, Layer, Scene
from render.softlight import SoftLight


def heartbeat(phase):
    """Lub-dub: a strong beat and a softer echo, in 0..1, periodic in `phase` (a number,
    or an array of them).

    The beat sits mid-cycle so that a loop, which wraps at phase 0, wraps in the quiet
    between beats and not on the jolt of one."""
    p = phase % 1.0
    return np.exp(-(((p - 0.42) / 0.05) ** 2)) + 0.6 * np.exp(-(((p - 0.6) / 0.06) ** 2))


def heartbeat_phase(frame: Frame, rate: float, erratic: float) -> float:
    """The heartbeat's phase in cycles (a beat peaks at 0.42 of each): steady, then pushed
    early and late by slow noise as `erratic` rises."""
    phase = frame.cycles(rate)
    if erratic > 0:
        phase += 0.9 * erratic * frame.scene.noise("core-pulse").noise2(*frame.time_point(0.35))
    return phase


def beats(phase: float, erratic: float) -> float:
    """How strongly the beat of the cycle `phase` falls in comes (1, or 0.15 if skipped)."""
    return 0.15 if erratic > 0 and _skipped(math.floor(phase - 0.1), erratic) else 1.0


def electrocardiogram(phase):
    """A heart monitor's trace of one beat per cycle, periodic in `phase` (arrays too): a
    small dip, a sharp spike up as the beat peaks (at 0.42, as `heartbeat`'s does), a dip
    below the line, then the slow bump of the beat's echo."""
    p = phase % 1.0

    def g(at, width):
        return np.exp(-(((p - at) / width) ** 2))

    return -0.12 * g(0.39, 0.016) + g(0.42, 0.016) - 0.3 * g(0.45, 0.016) + 0.12 * g(0.6, 0.05)


def heartbeat_trace(
    frame: Frame, rate: float, erratic: float, span: float, n: int, shape=heartbeat
) -> np.ndarray:
    """The heartbeat's strength at `n` moments over the last `span` seconds up to this
    frame, as a monitor would trace it: the phase (whose noise is slow) is taken at a few
    moments and interpolated, each beat then evaluated exactly (as `shape` of the phase)
    and skipped beats dropped."""
    ts = frame.t - span + span * np.arange(n) / (n - 1)
    coarse = np.linspace(ts[0], ts[-1], 13)
    phases = [heartbeat_phase(replace(frame, t=float(t)), rate, erratic) for t in coarse]
    phase = np.interp(ts, coarse, phases)
    beat = shape(phase)
    numbers = np.floor(phase - 0.1).astype(int)
    kept = {k: beats(k + 0.5, erratic) for k in np.unique(numbers).tolist()}
    return beat * np.array([kept[k] for k in numbers.tolist()])


def failing_heartbeat(frame: Frame, rate: float, erratic: float) -> tuple[float, float]:
    """The machine's heartbeat as `erratic` rises: beats early and late (the phase pushed
    about by slow noise), some skipped; and a fast jitter in -1..1. The same for every layer
    at the same rate, so the core, the room's light and the pipes throb together."""
    phase = heartbeat_phase(frame, rate, erratic)
    jitter = 0.0
    if erratic > 0:
        jitter = frame.scene.noise("core-pulse").noise2(*frame.time_point(3.0))
    return float(heartbeat(phase)) * beats(phase, erratic), jitter


def _skipped(beat: int, erratic: float) -> bool:
    """Whether heartbeat number `beat` is skipped: more of them as the pulse grows erratic
    (a fixed hash of the beat's number, so any frame renders alone)."""
    x = (beat * 2654435761) & 0xFFFFFFFF
    x = ((x ^ (x >> 15)) * 2246822519) & 0xFFFFFFFF
    return (x >> 8) % 1000 < 350 * erratic


@dataclass(frozen=True)
class Room:
    """The chamber in one-point perspective: a box whose far wall stands behind the core,
    seen from its open front. A point (X, Y) at depth z (1 = the frame's edge, larger is
    farther) is drawn at the vanishing point plus (X, Y) / z, so the side walls, their pipes
    and the machines along them all run toward the core."""

    vx: float
    vy: float
    half: float  # X of the side walls
    ceiling: float  # Y of the ceiling (negative: above the vanishing point)
    floor: float  # Y of the floor
    back: float  # z of the far wall

    def at(self, x: float, y: float, z: float) -> tuple[float, float]:
        return self.vx + x / z, self.vy + y / z


def room_of(scene: Scene) -> Room:
    w, h = scene.width, scene.height
    vy = (0.4 if scene.layout.portrait else 0.44) * h
    return Room(0.5 * w, vy, 0.56 * w, -vy - 0.04 * h, h - vy + 0.04 * h, 2.8)


# The pipes lining each wall above the machines: (Y as a fraction of the height, radius
# as a fraction of the height at the frame's edge). The widest on the left wall is the one
# that bursts.
PIPES = ((-0.44, 0.04), (-0.3, 0.055), (-0.15, 0.045))
BURST_PIPE = 1
BURST_DEPTH = 1.3
# The depth the room is drawn from: well in front of the frame's edge (z = 1), so that a
# camera turned toward a wall still finds the wall there.
NEAR = 0.6
FLANGES = (0.8, 1.05, 1.7, 2.6)  # depths where the pipes' sections join
RISERS = (1.3, 1.95, 2.3)  # depths where pipes drop from the runs to the floor


def burst_point(scene: Scene) -> tuple[float, float]:
    """Where the pipe breaks: the lowest pipe on the left wall, a little way into the room,
    above the console where it can be seen; the vapor layer starts here too."""
    room = room_of(scene)
    return room.at(-room.half, PIPES[BURST_PIPE][0] * scene.height, BURST_DEPTH)


def _machines(scene: Scene) -> list[dict]:
    """Cabinets of the machine standing along both side walls, boxes that stand out from
    the wall, each with its status lights: (side, near z, far z, depth out from the wall,
    top Y)."""
    h = scene.height
    room = room_of(scene)
    rng = scene.rng("chamber-machines")
    out = []
    n = 0
    for side in (-1, 1):
        z = 1.08 + float(rng.uniform(0.0, 0.06))
        while z < room.back - 0.15:
            length = float(rng.uniform(0.16, 0.38))
            far = min(z + length, room.back)
            depth = float(rng.uniform(0.05, 0.11)) * scene.width
            top = room.floor - float(rng.uniform(0.5, 0.8)) * (room.floor - room.ceiling)
            top = max(top, -0.2 * h)  # below the pipes
            rows = int(rng.integers(4, 9))
            leds = [
                (float(rng.uniform(0.15, 0.85)), 0.1 + 0.6 * k / rows, float(rng.uniform(0.3, 1.4)))
                for k in range(rows)
            ]
            out.append(
                {"side": side, "near": z, "far": far, "depth": depth, "top": top,
                 "leds": leds, "id": n}
            )  # fmt: skip
            z = far + float(rng.uniform(0.03, 0.1))
            n += 1
    # Far ones first: nearer cabinets are drawn over them.
    out.sort(key=lambda m: -m["near"])
    return out


def build(scene: Scene) -> dict:
    return {"pipes": _pipes(scene), "machines": _machines(scene)}


def _led_on(cabinet: int, led: int, cycle: int) -> bool:
    """Whether a status light is lit in this blink cycle: a fixed hash, no state."""
    x = (cabinet * 73856093) ^ (led * 19349663) ^ (cycle * 83492791)
    x = (x ^ (x >> 13)) * 1274126177 & 0xFFFFFFFF
    return (x >> 8) % 100 < 62


def _quad(cr: cairo.Context, pts) -> None:
    cr.move_to(*pts[0])
    for p in pts[1:]:
        cr.line_to(*p)
    cr.close_path()


def _shell(cr: cairo.Context, frame: Frame, room: Room, body: RGB, lit: RGB, level: float) -> None:
    """The box of the room: side walls, ceiling and floor running toward the far wall, the
    far wall darkest; ribs where the wall's sections meet, and the floor's grid."""
    u = frame.scene.unit
    near, far = NEAR, room.back
    x0, y0, y1 = room.half, room.ceiling, room.floor
    # The side walls are the palette's dark (a fill across a third of the frame each cost
    # more than the rest of the room); the ribs and the machines give them their shape.
    cr.set_operator(cairo.OPERATOR_OVER)
    _quad(cr, [room.at(-x0, y0, far), room.at(x0, y0, far),
               room.at(x0, y1, far), room.at(-x0, y1, far)])  # fmt: skip
    cr.set_source_rgb(*mix(body, (0, 0, 0), 0.3))
    cr.fill()
    additive(cr)
    # Ribs: the wall's sections, a frame at each depth, lit along their inner edges.
    for z in (1.18, 1.45, 1.8, 2.25):
        for side in (-1, 1):
            cr.move_to(*room.at(side * x0, y1, z))
            cr.line_to(*room.at(side * x0, y0, z))
        cr.line_to(*room.at(-x0, y0, z))
    cr.move_to(*room.at(-x0, y1, far))
    cr.line_to(*room.at(-x0, y0, far))
    cr.line_to(*room.at(x0, y0, far))
    cr.line_to(*room.at(x0, y1, far))
    cr.set_line_width(1.6 * u)
    cr.set_source_rgba(*lit, 0.22 * min(level, 1.5))
    cr.stroke()
    # The floor's panelling, running away toward the core.
    for k in range(-6, 7):
        cr.move_to(*room.at(k / 6 * x0, y1, near))
        cr.line_to(*room.at(k / 6 * x0, y1, far))
    for z in (1.25, 1.6, 2.1):
        cr.move_to(*room.at(-x0, y1, z))
        cr.line_to(*room.at(x0, y1, z))
    cr.set_line_width(1.1 * u)
    cr.set_source_rgba(*frame.colour("secondary"), 0.14 * min(level, 1.5))
    cr.stroke()


def _room(
    cr: cairo.Context, frame: Frame, built: dict, lit: RGB, level: float, alarm: float
) -> None:
    """The machines along the walls: cabinets standing out from each side wall, far ones
    first, their inner faces lit by the core, their status lights blinking."""
    scene = frame.scene
    u = scene.unit
    room = room_of(scene)
    bg = frame.colour("background")
    body = mix(bg, frame.colour("secondary"), 0.07)
    cycle = int(frame.cycles(0.9))
    period = frame.period_cycles(0.9)
    if period:
        cycle %= period
    leds: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    for m in built["machines"]:
        side, zn, zf, d, top = m["side"], m["near"], m["far"], m["depth"], m["top"]
        wall, inner = side * room.half, side * (room.half - d)
        # The face toward the room (a trapezoid running into depth) and the face toward us.
        face = [room.at(inner, top, zn), room.at(inner, top, zf),
                room.at(inner, room.floor, zf), room.at(inner, room.floor, zn)]  # fmt: skip
        front = [room.at(wall, top, zn), room.at(inner, top, zn),
                 room.at(inner, room.floor, zn), room.at(wall, room.floor, zn)]  # fmt: skip
        lid = [room.at(wall, top, zn), room.at(wall, top, zf),
               room.at(inner, top, zf), room.at(inner, top, zn)]  # fmt: skip
        for quad in (face, front, lid):
            _quad(cr, quad)
        frame.cover(cr)  # the cabinet hides the soft light behind it
        cr.set_operator(cairo.OPERATOR_OVER)
        _quad(cr, face)
        grad = cairo.LinearGradient(face[0][0], 0, face[1][0], 0)
        grad.add_color_stop_rgb(0, *mix(body, lit, 0.08 * min(level, 1.5)))
        grad.add_color_stop_rgb(1, *mix(body, lit, 0.24 * min(level, 1.5)))
        fill_gradient(cr, grad)
        _quad(cr, front)
        cr.set_source_rgb(*mix(body, (0, 0, 0), 0.45))
        cr.fill()
        _quad(cr, lid)
        cr.set_source_rgb(*mix(body, lit, 0.2 * min(level, 1.5)))
        cr.fill()
        additive(cr)
        # Rim light along the top edge and the near edge that faces the core.
        cr.move_to(*front[0])
        cr.line_to(*front[1])
        cr.line_to(*face[1])
        cr.move_to(*front[1])
        cr.line_to(*front[2])
        cr.set_line_width(1.6 * u)
        cr.set_source_rgba(*lit, min(1.0, 0.85 * level))
        cr.stroke()
        # Vents: slots running along the face, into depth.
        span = room.floor - top
        for k in range(1, 6):
            yy = top + span * (0.72 + 0.05 * k)
            cr.move_to(*room.at(inner, yy, zn + 0.1 * (zf - zn)))
            cr.line_to(*room.at(inner, yy, zf - 0.1 * (zf - zn)))
        cr.set_line_width(0.8 * u)
        cr.set_source_rgba(*lit, 0.14 * level)
        cr.stroke()
        for k, (fz, fy, rate) in enumerate(m["leds"]):
            if not _led_on(m["id"], k, cycle + int(rate * 3)):
                continue
            red = (m["id"] + k) % 5 == 0 or alarm > 0.5
            z = zn + fz * (zf - zn)
            lx, ly = room.at(inner, top + fy * span, z)
            leds[red].append((lx, ly, 1.0 / z))
    # Status lights: one fill per colour (a fill each cost a quarter of the room).
    for red, points in leds.items():
        colour = frame.colour("alert") if red else frame.colour("primary")
        for lx, ly, near in points:
            cr.rectangle(lx - 3.5 * u * near, ly - 2 * u * near, 7 * u * near, 4 * u * near)
        cr.set_source_rgba(*colour, 0.95)
        cr.fill()
        for lx, ly, near in points:
            radial_glow(cr, lx, ly, 26 * u * near, colour, 0.6, frame.light)


# The vapor jet: a burst of droplets every JET_EVERY seconds, each living JET_LIFE seconds,
# blasting out of the gash across the room and sagging: closed-form, so any frame alone.
JET = Burst(count=14, speed=0.9, spread=0.12, direction=0.45, gravity=0.25, drag=1.2, life=1.0)
JET_EVERY = 0.08
# Puffs of steam: one born every PUFF_EVERY seconds, billowing out and up for PUFF_LIFE.
PUFF_EVERY, PUFF_LIFE = 0.06, 1.6


def _hash01(n: int, salt: int) -> float:
    """A repeatable number in [0, 1) for puff `n`: no state, no generator to build."""
    x = (n * 2654435761 + salt * 40503) & 0xFFFFFFFF
    x = ((x ^ (x >> 15)) * 2246822519) & 0xFFFFFFFF
    x = ((x ^ (x >> 13)) * 3266489917) & 0xFFFFFFFF
    return ((x ^ (x >> 16)) & 0xFFFFFF) / float(1 << 24)


def _petals(cr: cairo.Context, frame: Frame, x: float, y: float, r: float, open_: float) -> None:
    """The pipe's wall torn open at the gash: jagged petals of metal peeled outward, dark
    against the steam, their torn edges hot."""
    rng = frame.scene.rng("burst-petals")
    u = frame.scene.unit
    body = mix(frame.colour("background"), frame.colour("secondary"), 0.25)
    for k in range(6):
        a = -1.9 + 3.8 * k / 5 + float(rng.uniform(-0.25, 0.25))
        ln = r * float(rng.uniform(1.3, 2.6)) * (0.4 + 0.6 * open_)
        half = float(rng.uniform(0.22, 0.4))
        tip = (x + math.cos(a) * ln, y + math.sin(a) * ln)
        cr.move_to(x + math.cos(a - half) * r * 0.7, y + math.sin(a - half) * r * 0.7)
        cr.line_to(*tip)
        cr.line_to(x + math.cos(a + half) * r * 0.7, y + math.sin(a + half) * r * 0.7)
        cr.close_path()
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source_rgb(*body)
    cr.fill_preserve()
    additive(cr)
    cr.set_line_width(2.2 * u)
    cr.set_line_join(cairo.LINE_JOIN_MITER)
    cr.set_source_rgba(*mix(frame.colour("alert"), (1.0, 0.75, 0.4), 0.5), 0.8)
    cr.stroke()


def burst_radius(scene: Scene) -> float:
    """The burst pipe's radius where it breaks."""
    return PIPES[BURST_PIPE][1] * scene.height / BURST_DEPTH


def steam(cr: cairo.Context, frame: Frame, x: float, y: float, vent: float) -> None:
    """Steam blasting from the burst pipe's gash at (x, y): puffs born at a steady rate that
    shoot out, slow, swell and rise as they cool (a billowing column, each puff's age known
    from the time). The vapor layer draws it, in front of the room, from the gash's place
    on screen; the pipe's torn metal is drawn again over the jet's root, dark against it,
    so the rupture reads through the steam (under it, the glare washed it out)."""
    if not frame.raster or vent <= 0.005:
        return  # soft light only: a print takes it from the raster render beneath
    h = frame.scene.height
    strength = vent
    steam = mix(frame.colour("glow"), (0.9, 0.93, 0.95), 0.7)  # white vapor, cool light
    additive(cr)
    # The jet itself: a dense white tongue from the gash, flaring as it goes.
    gust = 0.3 + 0.7 * frame.wave(0.23) * (0.6 + 0.4 * frame.wave(0.71, 0.3))
    a, reach = 0.5, 0.16 * h * (0.6 + 0.4 * gust)
    ex, ey = x + math.cos(a) * reach, y + math.sin(a) * reach
    nx, ny = -math.sin(a), math.cos(a)
    tongue = cairo.LinearGradient(x, y, ex, ey)
    tongue.add_color_stop_rgba(0, *steam, 0.75 * strength)
    tongue.add_color_stop_rgba(1, *steam, 0.0)
    cr.move_to(x + nx * 0.004 * h, y + ny * 0.004 * h)
    cr.line_to(ex + nx * 0.05 * h, ey + ny * 0.05 * h)
    cr.line_to(ex - nx * 0.05 * h, ey - ny * 0.05 * h)
    cr.line_to(x - nx * 0.004 * h, y - ny * 0.004 * h)
    cr.close_path()
    cr.set_source(tongue)
    cr.fill()
    _plume(cr, frame, x, y, 0.5, strength)
    _petals(cr, frame, x, y, burst_radius(frame.scene), 1.0)
    additive(cr)
    # The puffs' glows go into the soft light all at once (`_glows`).
    soft: list[tuple[float, ...]] = []

    def glow(gx: float, gy: float, radius: float, colour: RGB, alpha: float) -> None:
        _glow(cr, frame, soft, gx, gy, radius, colour, alpha)

    latest = math.floor(frame.t / PUFF_EVERY)
    for k in range(int(PUFF_LIFE / PUFF_EVERY)):
        n = latest - k
        age = frame.t - n * PUFF_EVERY
        if age < 0:
            continue
        f = age / PUFF_LIFE
        # Shot out fast, slowed by the air (1 - e^-kt), drifting up as it cools.
        a = 0.5 + 0.5 * (_hash01(n, 1) - 0.5)  # down into the room, under the screen
        reach = (0.32 + 0.25 * _hash01(n, 2)) * h * (1 - math.exp(-3.2 * age))
        px = x + math.cos(a) * reach
        py = y + math.sin(a) * reach - 0.05 * h * age * age
        radius = (0.03 + 0.14 * f**0.7) * h * (0.7 + 0.6 * _hash01(n, 3))
        # Each puff's push follows the gust that was blowing when it was born.
        born = 0.3 + 0.7 * (0.5 + 0.5 * math.sin(2 * math.pi * 0.23 * (n * PUFF_EVERY)))
        alpha = 0.45 * strength * born * (1 - f) ** 1.3
        colour = mix(steam, frame.colour("glow"), f)
        # Billows: a body and smaller lobes around it, each turning with the puff's age.
        spin = 2 * math.pi * (_hash01(n, 4) + 0.3 * f)
        glow(px, py, radius, colour, 0.6 * alpha)
        if f > 0.25 and n % 3 == 0:
            _fingers(cr, frame, n, px, py, radius, f, colour, alpha)
        for j in range(4):
            ang = spin + j * math.pi / 2
            lob = 0.45 + 0.3 * _hash01(n, 10 + j)
            glow(
                px + math.cos(ang) * 0.6 * radius, py + math.sin(ang) * 0.5 * radius,
                lob * radius, colour, 0.35 * alpha,
            )  # fmt: skip
    if soft:
        _glows(cr, frame.light, soft)


def _glow(
    cr: cairo.Context, frame: Frame, soft: list, x: float, y: float, radius: float, colour: RGB,
    alpha: float,
) -> None:  # fmt: skip
    """`radial_glow(cr, x, y, radius, colour, alpha, frame.light)`, except that a glow for
    the soft light is put in `soft`, for `_glows` to add with the others (under the same
    transform as now, before anything takes light out of the buffer)."""
    if frame.light is not None and frame.light.accepts(radius):
        if alpha > 0.003:
            soft.append((x, y, radius, alpha, *colour))
    else:
        radial_glow(cr, x, y, radius, colour, alpha, frame.light)


def _glows(cr: cairo.Context, light: SoftLight, glows: list[tuple[float, ...]]) -> None:
    """Add glows, each (x, y, radius, alpha, r, g, b) in `cr`'s user space, into the soft
    light: the light of `radial_glow` for each (its falloff, the bytes pixman makes of it,
    a level apart on a few pixels), worked out for all of them in one compiled pass. Light
    adds up in any order, so they are added together. The steam's 130 glows a frame cost
    3.8 ms drawn one by one at 1080p (6-8 ms in the dream's zoomed shot of the burst)."""
    soft = light.context(cr)
    m = soft.get_matrix()  # user space to the buffer's pixels
    inv = cairo.Matrix(*m)
    inv.invert()
    rows = np.array(glows, np.float64)
    cx, cy = rows[:, 0].copy(), rows[:, 1].copy()
    rows[:, 0] = m.xx * cx + m.xy * cy + m.x0
    rows[:, 1] = m.yx * cx + m.yy * cy + m.y0
    linear = np.array([inv.xx, inv.xy, inv.yx, inv.yy, m.xx, m.xy, m.yx, m.yy])
    light.add_pixels(lambda px: _add_glows(px, rows, linear))


@kernel()
def _add_glows(buf, glows, linear):  # pragma: no cover - compiled
    """Add `glows` (x, y in buffer pixels, radius in user units, alpha, r, g, b) into
    `buf` (premultiplied BGRA bytes, saturating), as cairo fills each glow's disc with
    radial_glow's gradient and adds it: the gradient's stops (0, 0.35, 1 at alpha, 0.35
    alpha, 0) at cairo's 16 bits, pixman's float interpolation at t in 16.16 fixed point,
    rounded to bytes. `linear`: the buffer's pixels to user space (a, b, c, d) and back."""
    h, w = buf.shape[0], buf.shape[1]
    acc = np.zeros((4, h, w), np.int32)
    alpha_row = np.empty(w, np.float32)
    ia, ib, ic, id_ = linear[0], linear[1], linear[2], linear[3]
    fc, fd = linear[6], linear[7]
    # |user offset|^2 = qa dx^2 + 2 qb dx dy + qc dy^2 for a pixel (dx, dy) from the centre.
    qa, qb, qc = ia * ia + ic * ic, ia * ib + ic * id_, ib * ib + id_ * id_
    mid = np.float32(22938.0 / 65536.0)  # the stop at 0.35, in 16.16 fixed point
    one, half = np.float32(1.0), np.float32(0.5)
    to_byte, to_unit = np.float32(1.0 / 257.0), np.float32(1.0 / 255.0)
    y_lo, y_hi, x_lo, x_hi = h, 0, w, 0
    for k in range(glows.shape[0]):
        cx, cy, r = glows[k, 0], glows[k, 1], glows[k, 2]
        a16 = round(glows[k, 3] * 65535.0)
        if a16 <= 255 or r <= 0.0:
            continue  # cairo takes a gradient whose stops are all this faint for clear
        a0 = np.float32(a16) * to_byte
        a1 = np.float32(round(glows[k, 3] * 0.35 * 65535.0)) * to_byte
        blue = np.float32(round(glows[k, 6] * 65535.0)) * to_byte * to_unit
        green = np.float32(round(glows[k, 5] * 65535.0)) * to_byte * to_unit
        red = np.float32(round(glows[k, 4] * 65535.0)) * to_byte * to_unit
        # pixman's walker: alpha = slope * t + base on each side of the middle stop.
        w0, w1 = one / mid, one / (one - mid)
        base0, slope0 = a0 * mid * w0, (a1 - a0) * w0
        base1, slope1 = a1 * w1, -a1 * w1
        reach = r * math.sqrt(fc * fc + fd * fd)
        j0 = max(0, int(math.floor(cy - reach)) - 1)
        j1 = min(h, int(math.ceil(cy + reach)) + 1)
        inv_r = 1.0 / r
        for j in range(j0, j1):
            dy = j + 0.5 - cy
            b = qb * dy
            disc = b * b - qa * (qc * dy * dy - r * r)
            if disc <= 0.0:
                continue
            root = math.sqrt(disc)
            i0 = max(0, int(math.floor(cx + (-b - root) / qa - 0.5)) - 1)
            i1 = min(w, int(math.ceil(cx + (-b + root) / qa - 0.5)) + 2)
            n = i1 - i0
            if n <= 0:
                continue
            y_lo, y_hi = min(y_lo, j), max(y_hi, j + 1)
            x_lo, x_hi = min(x_lo, i0), max(x_hi, i1)
            for i in range(i0, i1):
                dx = i + 0.5 - cx
                ux = ia * dx + ib * dy
                uy = ic * dx + id_ * dy
                t = np.int32(min(math.sqrt(ux * ux + uy * uy) * inv_r, 1.0) * 65536.0)
                y = np.float32(t) * np.float32(1.0 / 65536.0)
                alpha_row[i - i0] = slope0 * y + base0 if t < 22938 else slope1 * y + base1
            # One channel at a time: plain loops the compiler vectorises.
            row = acc[3, j, i0:i1]
            for i in range(n):
                row[i] += np.int32(alpha_row[i] + half)
            row = acc[0, j, i0:i1]
            for i in range(n):
                row[i] += np.int32(alpha_row[i] * blue + half)
            row = acc[1, j, i0:i1]
            for i in range(n):
                row[i] += np.int32(alpha_row[i] * green + half)
            row = acc[2, j, i0:i1]
            for i in range(n):
                row[i] += np.int32(alpha_row[i] * red + half)
    for j in range(y_lo, y_hi):
        for i in range(x_lo, x_hi):
            for c in range(4):
                v = acc[c, j, i] + buf[j, i, c]
                buf[j, i, c] = 255 if v > 255 else v


# The steam plume's texture: cells along its length and across it, and how fast its
# curls travel out of the gash (noise units a second).
PLUME_CELLS = (112, 72)
PLUME_FLOW = 1.6


def _plume(cr: cairo.Context, frame: Frame, x: float, y: float, a: float, vent: float) -> None:
    """Thick vapor pouring from the gash at (x, y) in direction `a`: a cone that widens and
    slows, textured by ridged, domain-warped noise that streams out of the gash, so it
    curls into strands and reaching fingers instead of a soft blob."""
    h = frame.scene.height
    length, start_w, spread = 0.62 * h, 0.012 * h, 0.55
    n_s, n_q = PLUME_CELLS
    half_q = start_w + spread * length
    s = np.linspace(0.0, length, n_s)
    q = np.linspace(-half_q, half_q, n_q)
    scale = 7.0 / length  # noise units per pixel: a handful of curls along the plume
    # Sampled along the plume's length with the flow subtracted: the texture travels out.
    # A slower flow far out (the vapor slows as it spreads): s -> s^0.8.
    xs = (s / length) ** 0.8 * length * scale - PLUME_FLOW * frame.t
    ys = q * scale
    ss, qq = np.meshgrid(s, q)
    width = start_w + spread * ss * (0.6 + 0.4 * np.clip(ss / (0.3 * length), 0, 1))
    edge = np.clip(1.0 - np.abs(qq) / width, 0.0, 1.0) ** 0.6
    fade = np.clip(1.0 - ss / length, 0.0, 1.0) ** 1.2
    # The noise only inside the cone: outside it (about half the grid) nothing shows.
    field = warped_noise(frame.scene.noise("steam"), frame.scene.noise("steam-warp"), xs, ys,
                         frame.time_point(0.35), warp=1.4, where=edge * fade > 0.0)  # fmt: skip
    strands = np.clip(1.0 - 2.6 * np.abs(field), 0.0, 1.0) ** 1.5
    body = np.clip(0.55 + field, 0.0, 1.0)
    dense = np.clip(1.0 - ss / (0.25 * length), 0.0, 1.0)  # thick at the gash
    a_ = np.clip((0.45 * body + 0.75 * strands) * edge * fade + 0.5 * dense * edge, 0.0, 1.0)
    a_ = np.clip(1.5 * a_, 0.0, 1.0) * min(1.0, 1.2 * vent)
    steam_c = mix(frame.colour("glow"), (0.92, 0.95, 0.97), 0.65)
    img = np.empty((n_q, n_s, 4), np.uint8)
    for i, c in enumerate((steam_c[2], steam_c[1], steam_c[0])):
        img[..., i] = (a_ * c * 255).astype(np.uint8)
    img[..., 3] = (a_ * 255).astype(np.uint8)
    # Image pixels to the plume's place: from the gash, turned along `a`. Resampled by
    # OpenCV straight to device pixels (cairo's bilinear resampling of a turned picture
    # cost 20 ms a frame in the zoomed shot of the burst).
    m = cairo.Matrix()
    m.translate(x, y)
    m.rotate(a)
    m.translate(0, -half_q)
    m.scale(length / n_s, 2 * half_q / n_q)
    additive(cr)
    paint_resampled(cr, img, m)


def _fingers(cr, frame: Frame, n: int, px, py, radius, f: float, colour, alpha) -> None:
    """Tendrils reaching out of an older puff and curling as they go, like grasping
    fingers: curves that bend more the further they reach, a soft body and a fine edge."""
    soft = frame.soft(cr)
    u = frame.unit
    for j in range(3):
        ang = 2 * math.pi * _hash01(n, 20 + j)
        curl = (1.0 if _hash01(n, 30 + j) > 0.5 else -1.0) * (0.8 + 1.6 * f)
        reach = radius * (0.9 + 0.8 * f)
        pts = []
        for i in range(7):  # a spiral arm: turning faster toward its tip
            s = i / 6
            a = ang + curl * s * s
            pts.append((px + math.cos(a) * reach * (0.3 + s), py + math.sin(a) * reach * (0.3 + s)))
        for target, width, a in ((soft, 0.28 * radius, 0.5 * alpha), (cr, 1.3 * u, 0.45 * alpha)):
            target.move_to(*pts[0])
            for p0, p1 in zip(pts[1::2], pts[2::2], strict=False):
                target.curve_to(*p0, *p0, *p1)
            target.set_source_rgba(*colour, min(1.0, a))
            target.set_line_width(width)
            target.set_line_cap(cairo.LINE_CAP_ROUND)
            target.stroke()


def _jet(
    cr: cairo.Context, frame: Frame, x: float, y: float, r: float, fog: float, vent: float
) -> None:
    """The gash in the burst pipe: torn metal around it once it has burst (`fog`), white-hot
    where the steam leaves it and streaks of droplets while it blasts (`vent`); the steam
    itself is the vapor layer's (`steam`)."""
    gust = 0.3 + 0.7 * frame.wave(0.23) * (0.6 + 0.4 * frame.wave(0.71, 0.3))
    strength = vent
    hot = mix(frame.colour("glow"), (1.0, 1.0, 1.0), 0.55)
    radial_glow(cr, x, y, 2.2 * r, hot, 0.6 * strength * gust, frame.light)
    _petals(cr, frame, x, y, r, min(1.0, fog * 2.5))
    latest = math.floor(frame.t / JET_EVERY)
    for k in range(int(JET.life / JET_EVERY)):
        born = latest - k
        draw_sparks(
            cr, frame, x, y, JET, f"jet-{born}", frame.t - born * JET_EVERY,
            frame.colour("glow"), frame.colour("glow"), streak=0.12, width=0.8 * strength * gust,
        )  # fmt: skip


def _pipes(scene: Scene) -> list[dict]:
    """Arteries of the machine: runs along the top of each wall, from beyond the frame's
    edge to the far wall, and risers joining them."""
    rng = scene.rng("chamber")
    h = scene.height
    pipes = []
    for side in (-1, 1):
        for k, (y, r) in enumerate(PIPES):
            pipes.append(
                {"side": side, "y": y * h, "r": r * h, "phase": float(rng.random()),
                 "burst": side < 0 and k == BURST_PIPE}
            )  # fmt: skip
    return pipes


# Depths the arteries' outlines are sampled at, even on screen (1/z steps evenly) from the
# near end to the far wall: enough that a travelling swelling is round, not faceted.
_STEPS = 28


_US = 1.0 - np.arange(_STEPS + 1) / _STEPS  # along the vessel: 1 its near end, 0 the far wall


def _depths(near: float, far: float) -> np.ndarray:
    return 1.0 / (1.0 / far + _US * (1.0 / near - 1.0 / far))


def _blood(pulses: list[float]) -> np.ndarray:
    """How much blood is in an artery along it (at _US), around each pulse running along
    it: it swells there and glows from inside."""
    return sum(np.exp(-(((_US - p) / 0.045) ** 2)) for p in pulses)


def _lines(cr: cairo.Context, xs: list, ys: list) -> None:
    """A closed polygon through the points (xs, ys), a cairo call each (no Python loop)."""
    cr.move_to(xs[0], ys[0])
    deque(starmap(cr.line_to, zip(islice(xs, 1, None), islice(ys, 1, None), strict=True)), 0)
    cr.close_path()


def _bands(room: Room, x: float, zs: np.ndarray, y: float, radius, bands) -> tuple[list, list]:
    """The outlines of bands (lo, hi) of a pipe along the wall, worked out at once: the
    points' xs, along the top edge (lo) from the near end then back along the bottom edge
    (hi), and each band's ys."""
    fr = np.array(bands, np.float64)  # (bands, 2)
    xs = room.vx + x / zs
    edges = room.vy + (y + fr[:, :, None] * radius) / zs  # (bands, 2, n)
    return np.concatenate([xs, xs[::-1]]).tolist(), np.concatenate(
        [edges[:, 0], edges[:, 1, ::-1]], axis=1
    ).tolist()


def _upright(cr, x: float, top: float, bottom: float, width: float, inward: int, tones) -> None:
    """A pipe standing up the wall on screen at `x`, from `top` to `bottom`: the bands of
    `tones` ((from, to, colour) across its width, -0.5..0.5 toward the room's centre,
    which `inward` says the direction of), the first the body with a dark edge."""
    for k, (lo, hi, tone) in enumerate(tones):
        a, b = sorted((x + inward * lo * width, x + inward * hi * width))
        cr.rectangle(a, top, b - a, bottom - top)
        cr.set_source_rgb(*tone)
        if k == 0:
            cr.fill_preserve()
            cr.set_source_rgba(0.0, 0.0, 0.0, 0.7)
            cr.stroke()
        else:
            cr.fill()


# The bands of an artery (lo, hi: fractions of its radius, -1 its top edge, 1 its bottom)
# with their tones: its body, darkest below, and two bands lit from above (a fraction of
# the way from the background to its colour); where its blood shows; its rims (alphas).
_BODY = (((-1.0, 1.0), 0.16), ((-0.9, 0.2), 0.34), ((-0.75, -0.25), 0.55))
_BLOOD = (-0.95, 0.7)
_RIMS = (((-1.0, -0.9), 0.55), ((-0.52, -0.42), 0.75), ((0.86, 0.96), 0.3))
_BANDS = tuple(b for b, _ in _BODY) + (_BLOOD,) + tuple(b for b, _ in _RIMS)


def _arteries(
    cr: cairo.Context, frame: Frame, params, pipes: list[dict], fog: float, vent: float,
    breath: float,
) -> None:  # fmt: skip
    """The pipes: round tubes of dark metal lit from above, a specular line along each,
    steel collars where their sections join; risers drop from the runs to the floor, a tee
    where each crosses a run. Blood runs along them, a swelling glowing from inside."""
    scene = frame.scene
    u = scene.unit
    room = room_of(scene)
    bg = frame.colour("background")
    colour = params["colour"]
    intensity = params["intensity"]
    near, far = NEAR, room.back
    zs = _depths(near, far)
    n = len(zs)
    beat_phase = frame.cycles(params["rate"])
    beat = breath  # every vessel throbs with the core's heartbeat
    lit = min(1.0, intensity * (0.75 + 0.25 * beat))
    shine = mix(colour, (1.0, 1.0, 1.0), 0.35)  # whiter greys the climax's highlights
    steel = (0.55, 0.6, 0.7)
    soft: list[tuple[float, ...]] = []  # the glows for the soft light (`_glow`)
    cr.set_line_width(1.5 * u)
    # Risers: uprights from above the top run down to the floor, behind the runs, lit on
    # the side toward the core; the blood runs down them too.
    riser = ((-0.5, 0.5, mix(bg, colour, 0.18)), (-0.1, 0.42, mix(bg, colour, 0.4 * lit)),
             (0.1, 0.28, mix(bg, colour, 0.68 * lit)))  # fmt: skip
    for side in (-1, 1):
        for j, z in enumerate(RISERS):
            x, top = room.at(side * room.half, room.ceiling, z)
            _, bottom = room.at(side * room.half, room.floor, z)
            width = 0.055 * scene.height / z
            cr.set_operator(cairo.OPERATOR_OVER)
            _upright(cr, x, top, bottom, width, -side, riser)
            additive(cr)
            f = (beat_phase + 0.37 * j + (0.5 if side > 0 else 0.0)) % 1.0
            py = top + f * (bottom - top)
            glow = 0.45 * intensity * (0.5 + beat)
            _glow(cr, frame, soft, x, py, 2.0 * width, colour, glow)
            cr.save()
            cr.translate(x, py)
            cr.scale(1.0, 2.4)
            cr.arc(0, 0, 0.38 * width, 0, 2 * math.pi)
            cr.restore()
            cr.set_source_rgba(*shine, min(1.0, 0.8 * glow))
            cr.fill()
    body = [mix(bg, colour, tone * (1.0 if k == 0 else lit)) for k, (_, tone) in enumerate(_BODY)]
    collars = np.array(FLANGES + RISERS)
    for pipe in pipes:
        x, y, r = pipe["side"] * room.half, pipe["y"], pipe["r"]
        # Blood runs toward us, one pulse per heartbeat, each a swelling of the vessel that
        # glows from inside as it passes.
        phase = beat_phase + pipe["phase"]
        pulses = [(phase + k / 3) % 1.0 for k in range(3)]
        blood = _blood(pulses)
        radius = r * (1.0 + 0.2 * beat + 0.8 * blood)
        # All its bands' outlines at once: the points' xs, and each band's ys.
        xs, bands = _bands(room, x, zs, y, radius, _BANDS)
        cr.set_operator(cairo.OPERATOR_OVER)
        for ys, tone in zip(bands, body, strict=False):  # the body, then lit from above
            _lines(cr, xs, ys)
            cr.set_source_rgb(*tone)
            cr.fill()
        # Steel collars: its sections' joints and the tees.
        top, bottom = y - 1.25 * r, y + 1.25 * r
        z0, z1 = collars, collars + 0.04
        cx0, cx1 = (room.vx + x / z0).tolist(), (room.vx + x / z1).tolist()
        t0, t1 = (room.vy + top / z0).tolist(), (room.vy + top / z1).tolist()
        b0, b1 = (room.vy + bottom / z0).tolist(), (room.vy + bottom / z1).tolist()
        for k in range(len(cx0)):
            _lines(cr, (cx0[k], cx1[k], cx1[k], cx0[k]), (t0[k], t1[k], b1[k], b0[k]))
        cr.set_source_rgb(*mix(bg, steel, 0.32))
        cr.fill()
        additive(cr)
        # The blood in each swelling, lighting the vessel from inside as it passes.
        a, b = room.at(x, y, near), room.at(x, y, far)
        light = cairo.LinearGradient(*a, *b)
        for along, v in zip(_US.tolist(), blood.tolist(), strict=True):
            light.add_color_stop_rgba(1.0 - along, *colour, min(1.0, 0.85 * v * (0.6 + beat)))
        ys = bands[len(_BODY)]
        for f in pulses:  # only where the blood is (a fill the pipe's length cost 2 ms)
            i = round((1.0 - f) * _STEPS)
            i0, i1 = max(0, i - 3), min(n, i + 4)  # the samples i0..i1-1, there and back
            _lines(cr, xs[i0:i1] + xs[2 * n - i1 : 2 * n - i0],
                   ys[i0:i1] + ys[2 * n - i1 : 2 * n - i0])  # fmt: skip
        cr.set_source(light)
        cr.fill()
        # Its outline catches the light: a rim along the top, a specular line, and the
        # light bounced up from below along the bottom: a round tube, not a ribbon.
        for ys, (_, alpha) in zip(bands[len(_BODY) + 1 :], _RIMS, strict=True):
            _lines(cr, xs, ys)
            cr.set_source_rgba(*shine, min(1.0, alpha * lit))
            cr.fill()
        for z in FLANGES + RISERS:  # each collar's rims
            for d in (0.0, 0.04):
                cr.move_to(*room.at(x, y - 1.25 * r, z + d))
                cr.line_to(*room.at(x, y + 1.25 * r, z + d))
        cr.set_source_rgba(*mix(steel, (1.0, 1.0, 1.0), 0.3), 0.5 * intensity)
        cr.stroke()
        for f in pulses:  # the blood's light spilling into the room
            z = 1.0 / (1.0 / far + f * (1.0 / near - 1.0 / far))
            px, py = room.at(x, y, z)
            _glow(cr, frame, soft, px, py, 2.2 * r / z, colour,
                  0.35 * intensity * (0.5 + beat))  # fmt: skip
        if pipe["burst"] and fog > 0.01:
            bx, by = burst_point(scene)
            _jet(cr, frame, bx, by, burst_radius(scene), fog, vent)
    if soft:  # their light, all at once (the room's cabinets then cover some of it)
        _glows(cr, frame.light, soft)


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    pipes = built["pipes"]
    scene = frame.scene
    w, h = scene.width, scene.height
    cx, cy, r = scene.layout.core
    bg = frame.colour("background")
    heat = float(params["heat"])
    # Ambient light from the core fills the room; it reddens with the alarm.
    ambient = mix(frame.colour("secondary"), frame.colour("alert"), 0.5 * float(params["flash"]))
    # The core's heat reddens it further (not whitens: white light would grey the room).
    ambient = mix(ambient, frame.colour("alert"), 0.45 * heat)
    erratic = float(params["erratic"])
    breath, _ = failing_heartbeat(frame, params["rate"], erratic)
    # It lights the room around the core and fades out before the walls: the corners keep
    # the palette's black, so the frame has a real black to set the light against.
    g = cairo.RadialGradient(cx, cy, r * 0.5, cx, cy, max(w, h) * 0.5)
    a = 0.16 + (0.06 + 0.1 * erratic) * breath + 0.05 * heat  # the room lit by each beat
    g.add_color_stop_rgba(0, *ambient, a)
    g.add_color_stop_rgba(0.5, *ambient, 0.35 * a)
    g.add_color_stop_rgba(1, *ambient, 0.0)
    soft = frame.soft(cr)
    soft.set_source(g)
    soft.paint()
    # The core's pulse and the alarm light the room and its machines; the pipes run along
    # the walls above the machines, their risers behind them.
    level = params["intensity"] * (0.6 + 0.4 * breath + 0.6 * heat)
    body = mix(bg, frame.colour("secondary"), 0.07)
    _shell(cr, frame, room_of(scene), body, ambient, level)
    _arteries(cr, frame, params, pipes, float(params["fog"]), float(params["vent"]), breath)
    _room(cr, frame, built, ambient, level, float(params["flash"]))


LAYER = Layer(
    name="chamber",
    draw=draw,
    build=build,
    params={
        "colour": colour("colour", "secondary", "the pipes and their pulses"),
        "intensity": number("intensity", 1.0, "brightness of the grid, pipes and pulses", 0, 4),
        "rate": number("rate", 0.8, "heartbeat of the pipes and the room", 0, 10, "Hz"),
        "erratic": track("erratic", "the heartbeat losing its rhythm, as the core's does"),
        "heat": track("heat", "the core's heat warming the ambient light"),
        "flash": track("flash", "the klaxon reddening the ambient light"),
        "fog": track("fog", "the burst pipe venting"),
        "vent": track("vent", "the burst pipe's blast of steam"),
    },
    doc="Dark chamber, ambient core light, pipes throbbing like arteries, one that bursts.",
    order=10,
    plane=0.0,
)
