"""The neural web on the overhead screen: glowing threads between nodes, carrying pulses.

Topology and the order in which threads snap are built once from the seed;
the `breaks` value (0..1, the fraction of threads broken) only reveals it, so
any frame can be drawn alone. A thread snaps when `breaks` passes its rank:
a spark at the break, then the two loose ends recoil toward their nodes and fade.
"""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.color import mix
from render.draw import (
    HALO_WIDTH,
    additive,
    fill_gradient,
    neon_stroke,
    paint_picture,
    radial_glows,
)
from render.params import colour, track
from render.particles import Burst, draw_sparks
from render.scene import Frame, Layer, Scene, derive_seed
from render.softlight import SoftLight, factor_for

CALM_ALPHA = 0.55  # an intact thread's brightness
# The sparks of a snap, in units of the snap's own progress (0..1 over RECOIL of breaks):
# a shower falling from the break, as from a shorting cable, not a firework's sphere.
SNAP = Burst(count=44, speed=0.75, spread=0.6, direction=math.pi / 2, gravity=1.2, drag=2.5,
             life=0.8)  # fmt: skip
# Molten droplets thrown by the short, as from a welder's arc: incandescent whatever the
# palette (the arcs above them keep the web's blue-white).
MOLTEN_HOT = (1.0, 0.93, 0.72)
MOLTEN = (1.0, 0.5, 0.14)
RECOIL = 0.07  # how far (in `breaks` units) a snapped thread takes to recoil and fade


ARC_AGE = 0.6  # the arcs across a snap's gap last this much of the sparks' life
ARC_RATE = 15.0  # Hz: how often an arc jumps to a new path


BOLT_HALVINGS = 4  # 16 segments a bolt
_BOLT_TS = np.linspace(0.0, 1.0, 2**BOLT_HALVINGS + 1)  # the joints along a bolt


def _bolt_draws(rng: np.random.Generator) -> np.ndarray:
    """The displacements of one bolt, in the units of its first one's spread: one standard
    normal draw for each new joint, the first halving's first (as drawing them halving by
    halving with `rng.normal(0, scale, n)`, which is `scale` times the same draws)."""
    return rng.standard_normal(2**BOLT_HALVINGS - 1)


def _bolts(cr: cairo.Context, bolts) -> None:
    """Jagged paths as lightning takes, each bolt (a, b, jag, draws) from a to b: midpoint
    displacement, each halving pushing the new joints aside by half as much as the last
    (`jag` of the length first; `draws` from `_bolt_draws`). All an arc's bolts are worked
    out together (one bolt at a time, numpy's overhead cost ~45 us a bolt, 1.7 ms a frame
    as the web breaks); each joint is the same arithmetic as one bolt alone."""
    rows = []
    for (ax, ay), (bx, by), jag, _ in bolts:
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy) or 1.0
        rows.append((ax, ay, dx, dy, -dy / length, dx / length, jag * length))
    ax, ay, dx, dy, nx, ny, scale = (np.array(c)[:, None] for c in zip(*rows, strict=True))
    draws = np.stack([d for _, _, _, d in bolts])
    offsets = np.zeros((len(bolts), 2))
    for _ in range(BOLT_HALVINGS):
        n = offsets.shape[1] - 1  # new joints, their draws the next n
        mid = 0.5 * (offsets[:, :-1] + offsets[:, 1:]) + scale * draws[:, n - 1 : 2 * n - 1]
        both = np.empty((len(bolts), 2 * n + 1))
        both[:, 0::2], both[:, 1::2] = offsets, mid
        offsets, scale = both, 0.5 * scale
    xs = (ax + dx * _BOLT_TS + nx * offsets).tolist()
    ys = (ay + dy * _BOLT_TS + ny * offsets).tolist()
    line_to = cr.line_to
    for bx, by in zip(xs, ys, strict=True):
        cr.move_to(bx[0], by[0])
        for x, y in zip(bx[1:], by[1:], strict=True):
            line_to(x, y)


def _arcs(cr: cairo.Context, frame: Frame, thread: int, ends, at, colour, alpha: float) -> None:
    """Electric arcs at a snap: one across the gap between the loose ends and short forks
    crackling off each end; a new path ARC_RATE times a second, and now and then none (a
    fixed hash of the thread and the moment, so any frame renders alone)."""
    step = math.floor(frame.cycles(ARC_RATE))
    rng = np.random.default_rng(derive_seed(frame.scene.seed, "web-arc", thread, step))
    if rng.random() < 0.25:  # the current drops out for a moment: it flickers
        return
    u = frame.unit
    a, b = ends
    if math.dist(a, b) < 2 * u:  # just snapped: the arc leaps from the break itself
        b = (at[0] + 40 * u * (rng.random() - 0.5), at[1] + 40 * u * (rng.random() - 0.5))
    bolts = [(a, b, 0.22, _bolt_draws(rng))]
    for end in ends:  # forks: short bolts off each end into the air
        for _ in range(3):
            ang = rng.uniform(0, 2 * math.pi)
            reach = rng.uniform(20, 70) * u
            tip = (end[0] + reach * math.cos(ang), end[1] + reach * math.sin(ang))
            bolts.append((end, tip, 0.3, _bolt_draws(rng)))
    _bolts(cr, bolts)
    hot = mix(colour, (1.0, 1.0, 1.0), 0.75)
    neon_stroke(cr, hot, 3.4 * u, alpha=min(1.0, alpha), heat=0.9, light=frame.light)


def build(scene: Scene) -> dict:
    x0, y0, ww, wh = scene.layout.web
    rng = scene.rng("web")
    # Jittered grid of nodes, denser near the middle, thinned where the core sits.
    cols = max(4, int(round(ww / wh * 6)))
    rows = 6
    nodes = []
    for i in range(cols):
        for j in range(rows):
            x = x0 + (i + 0.5 + rng.uniform(-0.38, 0.38)) / cols * ww
            y = y0 + (j + 0.5 + rng.uniform(-0.38, 0.38)) / rows * wh
            nodes.append((x, y))
    pts = np.array(nodes)
    n = len(pts)
    # Each node links to its nearest few: a plausible net without long crossings.
    d = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    np.fill_diagonal(d, np.inf)
    edges = set()
    for a in range(n):
        for b in np.argsort(d[a])[: 3 + int(rng.integers(0, 2))]:
            edges.add((min(a, int(b)), max(a, int(b))))
    edges = sorted(edges)
    m = len(edges)
    # Every thread has recoiled and gone by breaks = 1, so a finished web leaves no loose
    # end sputtering on.
    ranks = rng.permutation(m) / max(1, m - 1) * (0.97 - RECOIL) + 0.015
    threads = []
    for k, (a, b) in enumerate(edges):
        pa, pb = pts[a], pts[b]
        mid = (pa + pb) / 2
        normal = np.array([-(pb - pa)[1], (pb - pa)[0]])
        normal /= np.linalg.norm(normal) + 1e-9
        bow = normal * rng.normal(0, 0.08) * np.linalg.norm(pb - pa)
        threads.append(
            {
                "a": a,
                "b": b,
                "ctrl": tuple(mid + bow),
                "rank": float(ranks[k]),
                "cut": float(rng.uniform(0.3, 0.7)),
                "speed": float(rng.uniform(0.25, 0.6)) * (1 if rng.random() < 0.5 else -1),
                "phase": float(rng.random()),
                "curl": float(rng.normal(0, 1)),
            }
        )
    return {
        "nodes": [tuple(p) for p in pts],
        "threads": threads,
        "degree": np.bincount(np.array(edges).ravel(), minlength=n),
    }


def _bezier(p0, c, p1, s):
    u = 1 - s
    return (
        u * u * p0[0] + 2 * u * s * c[0] + s * s * p1[0],
        u * u * p0[1] + 2 * u * s * c[1] + s * s * p1[1],
    )


def _curve(cr, p0, c, p1, s0, s1, steps=8, curl=(0.0, 0.0)):
    """Path along the quadratic thread from s0 to s1, optionally curled at the loose end."""
    for i in range(steps + 1):
        s = s0 + (s1 - s0) * i / steps
        x, y = _bezier(p0, c, p1, s)
        f = (i / steps) ** 2
        x, y = x + curl[0] * f, y + curl[1] * f
        if i == 0:
            cr.move_to(x, y)
        else:
            cr.line_to(x, y)


PULSE_STEPS = 4  # segments of a pulse's path


def _pulse_paths(cr: cairo.Context, pulses) -> None:
    """Each pulse (p0, c, p1, s0, s1) as `_curve` adds it with PULSE_STEPS steps, all worked
    out in one numpy pass (a hundred pulses one by one cost ~1 ms a frame in Python): the
    same arithmetic for every point, so the same path."""
    if not pulses:
        return
    cols = [np.array(c, dtype=float) for c in zip(*pulses, strict=True)]
    (p0x, p0y), (cx, cy), (p1x, p1y) = ([v[:, None] for v in col.T] for col in cols[:3])
    s0, s1 = cols[3][:, None], cols[4][:, None]
    s = s0 + (s1 - s0) * np.arange(PULSE_STEPS + 1) / PULSE_STEPS
    u = 1 - s
    xs = (u * u * p0x + 2 * u * s * cx + s * s * p1x).tolist()
    ys = (u * u * p0y + 2 * u * s * cy + s * s * p1y).tolist()
    line_to = cr.line_to
    for px, py in zip(xs, ys, strict=True):
        cr.move_to(px[0], py[0])
        for x, y in zip(px[1:], py[1:], strict=True):
            line_to(x, y)


def _memo(web: dict, key: str, colour, make):
    """Per-render pictures of the threads in one colour; only the latest colours are kept,
    so a keyframed colour cannot grow the cache without bound."""
    cache = web.setdefault(key, {})
    if colour not in cache:
        if len(cache) >= 2:
            cache.clear()
        cache[colour] = make()
    return cache[colour]


def _calm_threads(scene: Scene, web: dict, colour, width: float):
    """Every thread intact at full intensity, as (frame-sized surface, soft-light surface);
    built once per render and colour."""

    def make():
        main = cairo.ImageSurface(cairo.FORMAT_ARGB32, scene.width, scene.height)
        cr = cairo.Context(main)
        additive(cr)
        light = SoftLight(None, scene.width, scene.height, factor_for(scene.width, scene.height))
        nodes = web["nodes"]
        for th in web["threads"]:
            _curve(cr, nodes[th["a"]], th["ctrl"], nodes[th["b"]], 0.0, 1.0)
            neon_stroke(cr, colour, width, alpha=CALM_ALPHA, heat=0.2, light=light)
        main.flush()
        light.surface.flush()
        return main, light.surface

    return _memo(web, "calm", colour, make)


def _each_thread(scene: Scene, web: dict, colour, width: float):
    """Each thread alone, as (x, y, surface, soft surface) with x and y on the soft-light
    grid, so both paint at whole-pixel offsets: while the web fails every intact thread
    flickers on its own, and painting a cached thread costs far less than stroking it."""

    factor = factor_for(scene.width, scene.height)  # the frame's soft light's

    def make():
        nodes = web["nodes"]
        pad = width * HALO_WIDTH / 2 + 2  # the halo's edge
        out = []
        for th in web["threads"]:
            p0, c, p1 = nodes[th["a"]], th["ctrl"], nodes[th["b"]]
            pts = np.array([_bezier(p0, c, p1, k / 8) for k in range(9)])
            lo, hi = pts.min(axis=0) - pad, pts.max(axis=0) + pad
            x, y = (int(v // factor * factor) for v in lo)
            w, h = (int(math.ceil(v)) for v in (hi[0] - x, hi[1] - y))
            main = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
            cr = cairo.Context(main)
            additive(cr)
            cr.translate(-x, -y)
            light = SoftLight(None, w, h, factor)
            _curve(cr, p0, c, p1, 0.0, 1.0)
            neon_stroke(cr, colour, width, alpha=CALM_ALPHA, heat=0.2, light=light)
            main.flush()
            light.surface.flush()
            out.append((x, y, main, light.surface))
        return out

    return _memo(web, "each", colour, make)


def _paint_cached(
    cr: cairo.Context, frame: Frame, surfaces, alpha: float, x=0, y=0, boxes=(None, None)
) -> None:
    main, soft_surface = surfaces
    paint_picture(cr, main, x, y, alpha, box=boxes[0])
    if frame.light is not None:
        soft = frame.light.context(cr)
        soft.save()
        f = frame.light.factor
        soft.scale(f, f)
        paint_picture(soft, soft_surface, x / f, y / f, alpha, box=boxes[1])
        soft.restore()


class _Board:
    """The intact threads of a failing web, each at its own flicker, added up in the
    scene's pixels and then painted through the camera once. Each thread's pictures sit
    at whole pixels of the board (and of its soft light), so adding one is a plain paint;
    painted one by one, every thread's two pictures were resampled through the camera's
    zoom and shake on their own: 140 resamplings a frame, about 10 ms at 1080p. Light
    adds, so the sum is the same picture (to a level's rounding)."""

    def __init__(self, each, factor: int) -> None:
        self.x = min(x for x, _, _, _ in each)  # on the soft light's grid, as each thread
        self.y = min(y for _, y, _, _ in each)
        w = max(x + main.get_width() for x, _, main, _ in each) - self.x
        h = max(y + main.get_height() for _, y, main, _ in each) - self.y
        self.factor = factor
        self.main = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
        self.soft = cairo.ImageSurface(
            cairo.FORMAT_ARGB32, math.ceil(w / factor), math.ceil(h / factor)
        )
        self.box = self.soft_box = None

    def clear(self) -> None:
        for surface in (self.main, self.soft):
            cr = cairo.Context(surface)
            cr.set_operator(cairo.OPERATOR_CLEAR)
            cr.paint()
        self.box = self.soft_box = None

    def add(self, x: int, y: int, main, soft, alpha: float) -> None:
        f = self.factor
        for board, picture, px, py, tag in (
            (self.main, main, x - self.x, y - self.y, "box"),
            (self.soft, soft, (x - self.x) // f, (y - self.y) // f, "soft_box"),
        ):
            cr = cairo.Context(board)
            additive(cr)
            cr.set_source_surface(picture, px, py)
            cr.paint_with_alpha(alpha)
            w, h = picture.get_width(), picture.get_height()
            box, grown = getattr(self, tag), (px, py, px + w, py + h)
            if box is not None:
                grown = (min(box[0], px), min(box[1], py), max(box[2], px + w),
                         max(box[3], py + h))  # fmt: skip
            setattr(self, tag, grown)

    def paint(self, cr: cairo.Context, frame: Frame) -> None:
        if self.box is None:
            return
        self.main.flush()
        self.soft.flush()
        _paint_cached(cr, frame, (self.main, self.soft), 1.0, self.x, self.y,
                      (self.box, self.soft_box))  # fmt: skip


def _screen(cr: cairo.Context, frame: Frame, rect, colour, intensity: float) -> None:
    """The screen the web is shown on, hung from the ceiling: struts up out of the frame,
    a heavy dark bezel rim-lit from below, and dark glass that hides the room behind it
    (the threads glow on the glass)."""
    x0, y0, ww, wh = rect
    u = frame.scene.unit
    bg = frame.colour("background")
    metal = mix(bg, frame.colour("secondary"), 0.12)
    rim = 0.022 * wh + 6 * u
    cr.set_operator(cairo.OPERATOR_OVER)
    for fx in (0.18, 0.82):  # struts up to the ceiling
        sx = x0 + fx * ww
        cr.rectangle(sx - 5 * u, 0, 10 * u, y0)
    cr.rectangle(x0 - rim, y0 - rim, ww + 2 * rim, wh + 2 * rim)
    frame.cover(cr)
    cr.set_source_rgb(*metal)
    for fx in (0.18, 0.82):
        sx = x0 + fx * ww
        cr.rectangle(sx - 5 * u, 0, 10 * u, y0)
    cr.rectangle(x0 - rim, y0 - rim, ww + 2 * rim, wh + 2 * rim)
    cr.fill()
    glass = cairo.LinearGradient(0, y0, 0, y0 + wh)
    glass.add_color_stop_rgb(0, *mix(bg, colour, 0.05))
    glass.add_color_stop_rgb(1, *mix(bg, colour, 0.1))
    cr.rectangle(x0, y0, ww, wh)
    fill_gradient(cr, glass)
    additive(cr)
    # The bezel's lower edge catches the core's light from below.
    cr.move_to(x0 - rim, y0 + wh + rim)
    cr.line_to(x0 + ww + rim, y0 + wh + rim)
    cr.set_line_width(2.0 * u)
    cr.set_source_rgba(*frame.colour("secondary"), 0.5 * min(1.0, intensity))
    cr.stroke()


def draw(cr: cairo.Context, frame: Frame, params, web) -> None:
    scene = frame.scene
    u = scene.unit
    x0, y0, ww, wh = scene.layout.web
    breaks = float(params["breaks"])
    intensity = float(params["intensity"])
    colour, pulse_colour = params["colour"], params["pulse"]
    _screen(cr, frame, (x0, y0, ww, wh), colour, intensity)
    additive(cr)
    # The screen itself: a frame with corner brackets, like a holographic display.
    cr.set_line_width(1.6 * u)
    cr.set_source_rgba(*colour, 0.3 * intensity)
    cr.rectangle(x0, y0, ww, wh)
    cr.stroke()
    bracket = 0.04 * wh
    for bx, by, sx, sy in (
        (x0, y0, 1, 1),
        (x0 + ww, y0, -1, 1),
        (x0, y0 + wh, 1, -1),
        (x0 + ww, y0 + wh, -1, -1),
    ):
        cr.move_to(bx + sx * bracket, by)
        cr.line_to(bx, by)
        cr.line_to(bx, by + sy * bracket)
    neon_stroke(cr, colour, 2.0 * u, alpha=0.5 * intensity, light=frame.light)

    nodes, threads = web["nodes"], web["threads"]
    alive = np.zeros(len(nodes))
    width = 1.9 * u
    dying = min(1.0, breaks * 1.4)
    flick = frame.rng("web-flicker")
    pulses = []
    # While nothing has broken the threads look the same every frame: draw them once per
    # render and reuse the picture (only the pulses and nodes move); while the web fails,
    # each intact thread is a picture of its own. A print (vector surface) strokes every
    # thread instead, so the threads stay vectors there.
    pictures = isinstance(cr.get_group_target(), cairo.ImageSurface)
    calm = breaks <= 0 and pictures
    if calm:
        _paint_cached(cr, frame, _calm_threads(scene, web, colour, width), intensity)
    elif pictures:
        each = _each_thread(scene, web, colour, width)
        factor = factor_for(scene.width, scene.height)
        board = _memo(web, "board", colour, lambda: _Board(each, factor))
        board.clear()
    for i, th in enumerate(threads):
        p0, p1, c = nodes[th["a"]], nodes[th["b"]], th["ctrl"]
        since = (breaks - th["rank"]) / RECOIL
        if since < 0:
            # Intact: a steady thread that flickers more as the web sickens.
            alive[th["a"]] += 1
            alive[th["b"]] += 1
            if not calm:
                a = intensity * (1 - 0.6 * dying * flick.random())
                if pictures:
                    board.add(*each[i], a)
                else:
                    _curve(cr, p0, c, p1, 0.0, 1.0)
                    neon_stroke(cr, colour, width, CALM_ALPHA * a, heat=0.2, light=frame.light)
            # A pulse of light travelling along the thread (all stroked together below).
            s = (frame.cycles(abs(th["speed"])) + th["phase"]) % 1.0
            s = s if th["speed"] > 0 else 1 - s
            pulses.append((p0, c, p1, max(0.0, s - 0.12), min(1.0, s + 0.02)))
        elif since < 1:
            # Snapped: each loose end recoils toward its node, curling, and fades.
            k = 1 - (1 - since) ** 3
            fade = (1 - since) ** 1.5
            cut = th["cut"]
            curl = th["curl"] * 0.05 * ww * k
            _curve(cr, p0, c, p1, 0.0, cut * (1 - 0.8 * k), curl=(curl * 0.3, curl))
            neon_stroke(cr, colour, width, alpha=0.6 * fade * intensity, light=frame.light)
            _curve(cr, p1, c, p0, 0.0, (1 - cut) * (1 - 0.8 * k), curl=(-curl * 0.3, -curl))
            neon_stroke(cr, colour, width, alpha=0.6 * fade * intensity, light=frame.light)
            # The snap: a burst of sparks streaking out and falling, and a flash. The age
            # of a snap is measured in `breaks`, which stands still between beats; so a
            # loose end also sputters on its own clock, a fresh burst each cycle that
            # fades once it is older than the snap, and nothing hangs frozen in the air.
            bx, by = _bezier(p0, c, p1, cut)
            again = ((frame.cycles(0.7 + 0.5 * th["phase"]) + th["cut"]) % 1.0) * SNAP.life
            age = min(since * SNAP.life, again)
            fade = max(0.0, 1.0 - (again - since * SNAP.life) / 0.15) if again > age else 1.0
            # Current still jumps the gap: a jagged arc between the loose ends, crackling
            # afresh many times a second, while the snap is young and as each end sputters.
            if age < ARC_AGE * SNAP.life and fade > 0.05:
                ends = (_bezier(p0, c, p1, cut * (1 - 0.8 * k)),
                        _bezier(p0, c, p1, 1 - (1 - cut) * (1 - 0.8 * k)))  # fmt: skip
                left = 1.0 - age / (ARC_AGE * SNAP.life)  # fading out to none as they stop
                _arcs(cr, frame, i, ends, (bx, by), colour, fade * intensity * left)
            draw_sparks(
                cr,
                frame,
                bx,
                by,
                SNAP,
                f"web-snap-{i}",
                age,
                MOLTEN,  # cooling from white-yellow to amber as they fall
                MOLTEN_HOT,
                streak=0.08,
                width=3.2,
                flash=intensity * fade,
                alpha=fade,
                flash_size=0.1,
            )
    if pictures and not calm:
        board.paint(cr, frame)
    # One stroke for every pulse instead of one each: the pulses are short and rarely
    # meet, and cairo's per-stroke cost dominated (9 ms a 1080p frame for ~100 pulses).
    cr.new_path()
    _pulse_paths(cr, pulses)
    # Short dashes of light on the move, bloomed: cairo's fast antialiasing (4x4 samples,
    # not 15x17) is enough for their edges, and halves the cost of stroking them all.
    cr.save()
    cr.set_antialias(cairo.ANTIALIAS_FAST)
    neon_stroke(cr, pulse_colour, width * 1.6, alpha=0.9 * intensity, heat=0.6, light=frame.light)
    cr.restore()
    # Nodes: bright where connected, ember-dim where every thread has gone.
    degree = web["degree"]
    lives: dict[float, list[tuple[float, float]]] = {}
    glows = []
    for i, (x, y) in enumerate(nodes):
        life = alive[i] / max(1, degree[i])
        node_colour = mix(frame.colour("alert"), pulse_colour, life)
        glows.append((x, y, node_colour, (0.25 + 0.6 * life) * intensity))
        lives.setdefault(life, []).append((x, y))
    radial_glows(cr, 9 * u, glows)
    # Their white-hot centres, one fill for the nodes alike (they never overlap).
    for life, points in lives.items():
        node_colour = mix(frame.colour("alert"), pulse_colour, life)
        for x, y in points:
            cr.new_sub_path()
            cr.arc(x, y, 2.2 * u, 0, 2 * math.pi)
        cr.set_source_rgba(*mix(node_colour, (1, 1, 1), 0.6), (0.3 + 0.7 * life) * intensity)
        cr.fill()


LAYER = Layer(
    name="web",
    draw=draw,
    build=build,
    params={
        "breaks": track("breaks", "fraction of threads snapped"),
        "intensity": track(
            "intensity",
            "brightness of threads and pulses (dims while the eye stares)",
            "hud",
            lo=0,
            hi=4,
        ),
        "colour": colour("colour", "primary", "the threads"),
        "pulse": colour("pulse", "glow", "the pulses running along them"),
    },
    doc="Neural web: threads carrying pulses that snap with sparks as breaks rises.",
    order=20,
    plane=0.3,
)
