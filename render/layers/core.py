"""The core: a great sphere that breathes, cracks like ice, bleeds light, splits and stares.

The crack tree is grown once from the seed: main cracks run out from an
impact point, wandering where opensimplex noise steers them, branching as they
go, and rings of cross-cracks join them into a spiderweb. Every segment has a
birth in 0..1; the `cracks` value reveals the tree up to that birth, so the
spiderweb grows with escalation without any state carried between frames.
"""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.color import RGB, mix
from render.draw import additive, low_res, neon_stroke, radial_glow
from render.layers.chamber import heartbeat
from render.params import colour, number, track
from render.scene import Frame, Layer, Scene
from render.story import smoothstep, window

WHITE: RGB = (1.0, 1.0, 1.0)


def _project(x: float, y: float) -> tuple[float, float]:
    """Flat crack space (an angle from the sphere's centre of view) onto the visible disc,
    so cracks bunch up toward the rim as they would on a ball."""
    d = math.hypot(x, y)
    if d < 1e-9:
        return x, y
    k = math.sin(min(d, 1.0) * math.pi / 2) / d
    return x * k, y * k


def build(scene: Scene) -> dict:
    rng = scene.rng("core")
    noise = scene.noise("cracks")
    impact = (float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.35, 0.05)))
    segs: list[tuple[float, float, float, float, float, int]] = []
    mains: list[list[tuple[float, float, float]]] = []  # (x, y, birth) along each main crack
    n_main = int(rng.integers(7, 10))
    queue = []
    for k in range(n_main):
        heading = 2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / n_main
        queue.append((impact[0], impact[1], heading, 0.0, 0, k))
    while queue:
        x, y, course, birth, depth, main_id = queue.pop()
        step = 0.04 / (1 + 0.3 * depth)
        max_steps = int(50 / (1 + 1.5 * depth))
        trace = [(x, y, birth)] if depth == 0 else None
        for i in range(max_steps):
            # Glass cracks run nearly straight: noise bends the course slowly, jitter makes
            # the jags. Neither accumulates, so a crack never curls back on itself.
            wander = 0.16 * noise.noise2(i * 0.12, 7.3 * main_id + 3.1 * depth)
            heading = course + wander + rng.normal(0, 0.07)
            nx, ny = x + math.cos(heading) * step, y + math.sin(heading) * step
            if nx * nx + ny * ny > 0.97:
                break
            nb = birth + step * (1 + 0.6 * depth)
            segs.append((x, y, nx, ny, birth, depth))
            if trace is not None:
                trace.append((nx, ny, nb))
            if depth < 2 and i > 3 and rng.random() < 0.07 - 0.025 * depth:
                turn = rng.choice((-1, 1)) * rng.uniform(0.35, 0.8)
                queue.append((nx, ny, course + turn, nb + 0.02, depth + 1, main_id))
            x, y, birth = nx, ny, nb
        if trace is not None:
            mains.append(trace)
    # Spiderweb rings: sagging cross-cracks between neighbouring main cracks.
    rings: list[list] = []
    for ring_r in (0.1, 0.2, 0.32, 0.46, 0.62, 0.8):
        hits = []
        for trace in mains:
            for px, py, pb in trace:
                if math.hypot(px - impact[0], py - impact[1]) >= ring_r:
                    hits.append((px, py, pb))
                    break
            else:
                hits.append(None)
        rings.append(hits)
        for a, b in zip(hits, hits[1:] + hits[:1], strict=False):
            if a is None or b is None or math.dist(a[:2], b[:2]) > 0.6:
                continue
            birth = max(a[2], b[2]) + 0.05 + rng.uniform(0, 0.1)
            mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
            sag = 0.06 * rng.uniform(0.4, 1.2)  # ice rings run nearly straight across
            mx += (impact[0] - mx) * sag
            my += (impact[1] - my) * sag
            pts = [a[:2]]
            for s in (0.25, 0.5, 0.75):
                qx = (1 - s) ** 2 * a[0] + 2 * (1 - s) * s * mx + s * s * b[0]
                qy = (1 - s) ** 2 * a[1] + 2 * (1 - s) * s * my + s * s * b[1]
                pts.append((qx + rng.normal(0, 0.005), qy + rng.normal(0, 0.005)))
            pts.append(b[:2])
            for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
                segs.append((x0, y0, x1, y1, birth, 2))
                birth += 0.01
    # Chipped facets: the wedges between neighbouring main cracks inside the first rings,
    # where the ice is shattered and catches the light, each its own shade.
    facets = []
    for inner, outer in ((None, rings[0]), (rings[0], rings[1]), (rings[1], rings[2])):
        for j in range(len(outer)):
            a, b = outer[j], outer[(j + 1) % len(outer)]
            if a is None or b is None or math.dist(a[:2], b[:2]) > 0.6:
                continue
            if inner is None:
                poly = [impact, a[:2], b[:2]]
            else:
                ia, ib = inner[j], inner[(j + 1) % len(inner)]
                if ia is None or ib is None:
                    continue
                poly = [ia[:2], a[:2], b[:2], ib[:2]]
            facets.append(([_project(*p) for p in poly], max(a[2], b[2]), float(rng.random())))
    scale = max(s[4] for s in segs)
    arr = np.array(segs, dtype=float)
    arr[:, 4] /= scale
    arr[:, 4] = arr[:, 4] * 0.97 + 0.01
    facets = [(poly, birth / scale * 0.97 + 0.01, tone) for poly, birth, tone in facets]
    for i in range(len(arr)):
        arr[i, 0], arr[i, 1] = _project(arr[i, 0], arr[i, 1])
        arr[i, 2], arr[i, 3] = _project(arr[i, 2], arr[i, 3])
    order = np.argsort(arr[:, 4])
    arr = arr[order]
    # Drips of liquid light hang from points on the main cracks.
    main_idx = np.flatnonzero(arr[:, 5] == 0)
    drip_src = rng.choice(main_idx, size=min(22, len(main_idx)), replace=False)
    drips = [(arr[i, 2], arr[i, 3], arr[i, 4], float(rng.uniform(0.15, 0.45))) for i in drip_src]
    # The split runs top to bottom through the sphere, jagged.
    ys = np.linspace(-1.05, 1.05, 23)
    jag = np.cumsum(rng.normal(0, 0.045, len(ys)))
    jag -= np.linspace(jag[0], jag[-1], len(ys))
    return {
        "segs": arr,
        "chains": _chains(arr),
        "facets": facets,
        "impact": _project(*impact),
        "drips": drips,
        "split": list(zip(jag.tolist(), ys.tolist(), strict=True)),
        "tilt": float(rng.uniform(0.25, 0.5)),
    }


def _chains(segs: np.ndarray) -> dict[int, list[tuple[np.ndarray, np.ndarray]]]:
    """The crack segments joined into polylines, per depth: (points (k+1, 2), births (k,)).

    Births grow along a crack, so what `cracks` reveals of one is a prefix of its points;
    stroking polylines instead of loose segments spares cairo two round caps a joint."""
    by_depth: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    ends: dict[tuple[float, float, int], list[int]] = {}  # open chain ending at a point
    chains: list[list[int]] = []
    for i, (x0, y0, x1, y1, _birth, depth) in enumerate(segs.tolist()):
        chain = ends.pop((x0, y0, int(depth)), None)
        if chain is None:
            chain = []
            chains.append(chain)
        chain.append(i)
        ends[(x1, y1, int(depth))] = chain
    for chain in chains:
        rows = segs[chain]
        pts = np.vstack([rows[:1, 0:2], rows[:, 2:4]])
        by_depth.setdefault(int(rows[0, 5]), []).append((pts, rows[:, 4].copy()))
    return by_depth


def _body(
    cr: cairo.Context, frame: Frame, params, core: dict, cx, cy, r, heat, pulse, light
) -> None:
    """The sphere with its surface lines and cracks, drawn around (cx, cy).

    `light` is the soft-light buffer, or None when the halves of a split sphere are
    drawn: soft light is not clipped, and the opening between them must stay dark."""
    u = frame.unit
    # Heat whitens the light (rim, cracks, seeping glow); the shell itself stays dark so
    # the cracks read against it, only warming toward the alert colour.
    primary = mix(params["colour"], frame.colour("alert"), 0.35 * heat)
    glow = mix(frame.colour("glow"), frame.colour("hot"), 0.45 * heat)
    bg = frame.colour("background")
    shell = mix(params["colour"], frame.colour("alert"), 0.7 * heat)
    # Solid dark globe, lit from within and from the rim.
    cr.set_operator(cairo.OPERATOR_OVER)
    g = cairo.RadialGradient(cx - 0.25 * r, cy - 0.3 * r, 0.05 * r, cx, cy, r)
    g.add_color_stop_rgb(0, *mix(bg, shell, 0.26 + 0.08 * pulse))
    g.add_color_stop_rgb(0.7, *mix(bg, shell, 0.09))
    g.add_color_stop_rgb(1, *mix(bg, shell, 0.3))
    cr.arc(cx, cy, r, 0, 2 * math.pi)
    cr.set_source(low_res(cr, g, cx - r, cy - r, 2 * r, 2 * r))
    cr.fill()
    additive(cr)
    glow_a = 0.1 + 0.12 * pulse + 0.08 * heat
    radial_glow(cr, cx, cy, r * 0.85, mix(glow, shell, 0.5), glow_a, light)
    # Holographic latitude and longitude lines, turning slowly. Each is the projection of
    # a circle on the sphere, so it lies inside the disc and needs no clip (stroking
    # through a round clip cost cairo about 15 ms a 1080p frame).
    spin = frame.cycles(0.04)
    squash = core["tilt"] * 0.5  # sine of the angle the poles are tipped toward us
    lift = math.sqrt(1 - squash * squash)
    for k in range(9):
        lon = (k / 9 + spin) % 1.0 * math.pi  # meridians across the visible face
        rx = r * math.cos(lon)
        cr.save()
        cr.translate(cx, cy)
        cr.scale(max(abs(rx), 0.01 * r) / r, 1)
        cr.arc(0, 0, r, 0, 2 * math.pi)
        cr.restore()
    for k in range(1, 6):
        lat = -math.pi / 2 + k * math.pi / 6
        rx = r * math.cos(lat)
        cr.save()
        cr.translate(cx, cy + r * math.sin(lat) * lift)
        cr.scale(1, squash)
        cr.arc(0, 0, rx, 0, 2 * math.pi)
        cr.restore()
    # Faint lines over a large area: cairo's cost goes with the rows times the edges
    # crossing them, not with the ink, and the fast antialiasing (4x4 samples instead of
    # 15x17) halves it. At this brightness its coarser coverage steps are 3 levels of 255.
    cr.save()
    cr.set_antialias(cairo.ANTIALIAS_FAST)
    neon_stroke(cr, primary, 1.2 * u, alpha=0.22 * params["intensity"], heat=0.1, light=light)
    cr.restore()
    # Rim light.
    cr.arc(cx, cy, r, 0, 2 * math.pi)
    neon_stroke(
        cr,
        primary,
        3.5 * u,
        alpha=(0.6 + 0.4 * pulse) * params["intensity"],
        heat=0.4,
        light=light,
    )
    # Cracks: revealed up to `cracks`, thicker near the trunk, glowing hot.
    cracks = float(params["cracks"])
    if cracks <= core["segs"][0, 4]:  # births start above 0: nothing is revealed yet
        return
    _ice(cr, frame, core, cx, cy, r, cracks, glow, heat, light)


def _ice(cr, frame: Frame, core: dict, cx, cy, r, cracks: float, glow: RGB, heat, light) -> None:
    """The cracks as fractured ice: the core's light leaking through each fissure, the
    fissure itself a dark line with a bright refracted edge beside it, shattered facets
    near the impact catching the light, and a star of light at the impact point."""
    u = frame.unit
    # Saturated, not white: the tone map takes light through the hue toward white only
    # where there is a great deal of it.
    leak = mix(glow, mix(frame.colour("alert"), frame.colour("hot"), 0.3), min(1.0, 1.3 * heat))
    edge = mix(glow, leak, 0.7)
    cr.save()
    cr.arc(cx, cy, r * 0.995, 0, 2 * math.pi)
    cr.clip()
    additive(cr)
    for poly, birth, tone in core["facets"]:
        shown = smoothstep(birth, birth + 0.08, cracks)
        if shown <= 0:
            continue
        cr.move_to(cx + poly[0][0] * r, cy + poly[0][1] * r)
        for px, py in poly[1:]:
            cr.line_to(cx + px * r, cy + py * r)
        cr.close_path()
        cr.set_source_rgba(*mix(glow, WHITE, 0.2 * tone), (0.05 + 0.16 * tone) * shown)
        cr.fill()
    paths = []
    for depth, width in ((0, 2.2), (1, 1.6), (2, 1.1), (3, 0.9)):
        for pts, births in core["chains"].get(depth, ()):
            n = int(np.searchsorted(births, cracks))
            if n:
                paths.append(
                    (
                        width,
                        (cx + pts[: n + 1, 0] * r).tolist(),
                        (cy + pts[: n + 1, 1] * r).tolist(),
                    )
                )

    def trace(dx: float = 0.0, dy: float = 0.0, target=None) -> None:
        c = target or cr
        for _w, xs, ys in paths:
            c.move_to(xs[0] + dx, ys[0] + dy)
            for x, y in zip(xs[1:], ys[1:], strict=True):
                c.line_to(x + dx, y + dy)

    # Light leaking through: soft, wide, coloured, on the light buffer when there is one.
    soft = light.context(cr) if light is not None else cr
    soft.save()
    trace(target=soft)
    soft.set_source_rgba(*leak, 0.1 + 0.14 * heat)
    soft.set_line_width(7 * u)
    soft.set_line_join(cairo.LINE_JOIN_ROUND)
    soft.stroke()
    soft.restore()
    # The fissures: dark lines through the glassy shell.
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_line_join(cairo.LINE_JOIN_MITER)
    for width, xs, ys in paths:
        cr.move_to(xs[0], ys[0])
        for x, y in zip(xs[1:], ys[1:], strict=True):
            cr.line_to(x, y)
        cr.set_line_width(width * u * 1.2)
        cr.set_source_rgba(0.0, 0.0, 0.0, 0.7)
        cr.stroke()
    # Refracted edges: a bright hairline on the lit side of each fissure, and the leaking
    # light's bright core on the other.
    additive(cr)
    trace(-0.9 * u, -0.9 * u)
    cr.set_source_rgba(*edge, 0.85)
    cr.set_line_width(0.9 * u)
    cr.stroke()
    trace(0.8 * u, 0.8 * u)
    cr.set_source_rgba(*leak, 0.5 + 0.4 * heat)
    cr.set_line_width(1.1 * u)
    cr.stroke()
    # The impact: a star of light where the ice was struck.
    ix, iy = core["impact"]
    px, py = cx + ix * r, cy + iy * r
    radial_glow(cr, px, py, r * (0.08 + 0.12 * cracks), leak, 0.3 + 0.25 * cracks, light)
    radial_glow(cr, px, py, r * 0.03, mix(edge, leak, 0.6), 0.6)
    cr.restore()


def _half(side: int, cx: float, cy: float, r: float, gap: float, split: float) -> cairo.Matrix:
    """Where one half of the split sphere has moved: out by half the gap, swung on a hinge
    low on its outer rim."""
    px, py = cx + side * r, cy + 0.55 * r
    m = cairo.Matrix()
    m.translate(side * gap / 2 + px, py)
    m.rotate(side * math.radians(9.0) * split)
    m.translate(-px, -py)
    return m


def _seam_path(cr: cairo.Context, seam: list[tuple[float, float]]) -> None:
    cr.move_to(*seam[0])
    for x, y in seam[1:]:
        cr.line_to(x, y)


def _lids(cr: cairo.Context, cx: float, cy: float, ew: float, eh: float) -> None:
    cr.move_to(cx - ew, cy)
    cr.curve_to(cx - ew * 0.4, cy - eh * 1.3, cx + ew * 0.4, cy - eh * 1.3, cx + ew, cy)
    cr.curve_to(cx + ew * 0.4, cy + eh * 1.3, cx - ew * 0.4, cy + eh * 1.3, cx - ew, cy)
    cr.close_path()


def _eye(cr: cairo.Context, frame: Frame, cx, cy, r, opening: float, gaze: float) -> None:
    """Something in the opening, staring back: lids part (`opening`), then over `gaze`
    (0..1) it searches, blinks once, turns to look straight out, and its pupil dilates."""
    if opening <= 0.01:
        return
    u = frame.unit
    hot, alert = frame.colour("hot"), frame.colour("alert")
    # The blink: lids close and open again a little before the stare.
    blink = 1.0 - window(0.38, 0.43, 0.46, 0.52, gaze)
    ew, eh = 0.56 * r, 0.28 * r * opening * max(blink, 0.04)
    # It searches left and right, then turns to us: the iris comes to the middle and grows.
    search = 0.16 * r * math.sin(2 * math.pi * frame.cycles(0.45))
    turn = smoothstep(0.55, 0.75, gaze)
    look = search * (1 - turn)
    lift = -0.03 * r * (1 - turn)
    iris_r = 0.23 * r * (1 + 0.12 * turn)
    ix, iy = cx + look, cy + lift
    cr.save()
    _lids(cr, cx, cy, ew, eh)
    frame.cover(cr)
    cr.set_operator(cairo.OPERATOR_OVER)
    # The white of the eye is dark, veined with the alert colour toward the corners.
    sclera = cairo.RadialGradient(ix, iy, iris_r, cx, cy, ew)
    sclera.add_color_stop_rgb(0, *mix(alert, (0.0, 0.0, 0.0), 0.72))
    sclera.add_color_stop_rgb(1, *mix(alert, (0.0, 0.0, 0.0), 0.9))
    cr.set_source(sclera)
    cr.fill_preserve()
    cr.clip()
    additive(cr)
    rng = frame.scene.rng("eye")
    for _ in range(14):  # veins from the corners toward the iris
        side = 1 if rng.random() < 0.5 else -1
        y0 = cy + rng.uniform(-0.5, 0.5) * eh
        cr.move_to(cx + side * ew, y0)
        cr.curve_to(
            cx + side * ew * 0.7, y0 + rng.uniform(-0.4, 0.4) * eh,
            ix + side * iris_r * 1.6, iy + rng.uniform(-0.6, 0.6) * eh,
            ix + side * iris_r * 1.05, iy + rng.uniform(-0.5, 0.5) * iris_r,
        )  # fmt: skip
    cr.set_line_width(0.9 * u)
    cr.set_source_rgba(*alert, 0.35)
    cr.stroke()
    # The iris: a burning ring of fibres around the pupil, darker at its rim.
    cr.set_operator(cairo.OPERATOR_OVER)
    g = cairo.RadialGradient(ix, iy, 0, ix, iy, iris_r)
    g.add_color_stop_rgb(0, *mix(alert, hot, 0.5))
    g.add_color_stop_rgb(0.6, *alert)
    g.add_color_stop_rgb(0.92, *mix(alert, (0, 0, 0), 0.5))
    g.add_color_stop_rgb(1, *mix(alert, (0, 0, 0), 0.85))
    cr.arc(ix, iy, iris_r, 0, 2 * math.pi)
    cr.set_source(g)
    cr.fill()
    additive(cr)
    dilate = 0.28 + 0.42 * smoothstep(0.6, 0.95, gaze)  # the pupil opens as it stares
    pupil_w, pupil_h = iris_r * 0.85 * dilate, iris_r * 0.8
    fibres = rng.random((72, 3))
    for k, (jitter, reach, tone) in enumerate(fibres):
        ang = 2 * math.pi * (k + 0.6 * jitter) / len(fibres)
        ca, sa = math.cos(ang), math.sin(ang)
        inner = min(pupil_w / max(abs(ca), 1e-3), pupil_h / max(abs(sa), 1e-3), iris_r) * 1.05
        outer = iris_r * (0.7 + 0.28 * reach)
        cr.move_to(ix + ca * inner, iy + sa * inner)
        cr.line_to(ix + ca * outer, iy + sa * outer)
        cr.set_source_rgba(*mix(alert, hot, 0.6 * tone), 0.35 + 0.35 * tone)
        cr.set_line_width((0.8 + 1.2 * tone) * u)
        cr.stroke()
    # The pupil: an upright slit that widens toward round. Not a human eye.
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.save()
    cr.translate(ix, iy)
    cr.scale(max(dilate, 0.05), 1)
    cr.arc(0, 0, iris_r * 0.85, 0, 2 * math.pi)
    cr.restore()
    cr.set_source_rgb(0.0, 0.0, 0.0)
    cr.fill()
    # A wet highlight: the light of the opening caught on its surface.
    additive(cr)
    for hx, hy, hr, a in ((-0.35, -0.4, 0.16, 0.85), (0.3, 0.35, 0.06, 0.5)):
        cr.save()
        cr.translate(ix + hx * iris_r, iy + hy * iris_r)
        cr.scale(1.0, 0.7)
        cr.arc(0, 0, hr * iris_r, 0, 2 * math.pi)
        cr.restore()
        cr.set_source_rgba(1.0, 0.78, 0.72, a)  # it reflects the red-hot lips
        cr.fill()
    cr.restore()
    _lids(cr, cx, cy, ew, eh)
    additive(cr)
    neon_stroke(cr, alert, 3 * u, alpha=0.9, heat=0.5, light=frame.light)
    radial_glow(cr, ix, iy, iris_r * 2.2, alert, 0.18 * opening * blink, frame.light)


def draw(cr: cairo.Context, frame: Frame, params, core) -> None:
    cx, cy, r = frame.scene.layout.core
    r *= params["size"]
    heat = float(params["heat"])
    erratic = float(params["erratic"])
    # Breathing: a steady heartbeat that stutters as the machine fails.
    noise = frame.scene.noise("core-pulse")
    beat = heartbeat(frame.cycles(params["rate"]))
    jitter = noise.noise2(*frame.time_point(3.0)) if erratic > 0 else 0.0
    pulse = min(1.0, max(0.0, (1 - erratic) * beat + erratic * (0.5 + 0.9 * jitter)))
    r *= 1 + 0.018 * pulse + 0.02 * erratic * jitter
    split = float(params["split"])
    # The sphere covers the soft light of the layers beneath it. Whole, it is a disc:
    # cut that out of the buffer (at its resolution) instead of flushing the buffer
    # into the frame first, which costs a full-frame upsample (2 ms at 1080p, 18 at 4K).
    if split <= 0.001:
        cr.arc(cx, cy, r, 0, 2 * math.pi)
        frame.cover(cr)
        cr.new_path()
    else:
        frame.flush_light()  # split, the halves and the opening cover more than a disc
    additive(cr)
    # The chamber glows around the core.
    halo = mix(params["colour"], frame.colour("hot"), heat)
    radial_glow(
        cr,
        cx,
        cy,
        r * (1.6 + 0.15 * pulse + 0.4 * heat),
        halo,
        (0.15 + 0.1 * pulse + 0.12 * heat) * params["intensity"],
        frame.light,
    )
    if split <= 0.001:
        _body(cr, frame, params, core, cx, cy, r, heat, pulse, frame.light)
        return
    # Split: two halves pull apart along a jagged seam; light floods out between them.
    # The body is drawn once, into a group no bigger than the sphere and its drips, and
    # painted twice, each half clipped and shifted: half the cost of drawing it twice.
    # While the eye stares the halves keep easing apart, and swing a little further.
    gaze = float(params["gaze"])
    gap = split * 1.15 * r * (1.0 + 0.12 * gaze)
    swing = split + 0.4 * gaze
    seam = [(cx + jx * r, cy + jy * r) for jx, jy in core["split"]]
    hot = frame.colour("hot")
    inside = mix(frame.colour("alert"), hot, 0.5)
    frame.flush_light()  # what glowed so far goes under the opening
    # The opening: a dark hollow inside, light leaking in from its molten lips; the thing
    # inside sits in that dark and the halves close over the corners of its eye.
    pour = smoothstep(0.0, 0.4, split) * (1.0 - 0.85 * float(params["eye"]))
    cr.save()
    cr.arc(cx, cy, r * 1.01, 0, 2 * math.pi)
    cr.clip()
    # The hollow is the globe's whole inside: the halves, drawn after, cover all of it but
    # the gap, whatever their swing (a seam-shaped hollow left notches where they turned).
    cr.arc(cx, cy, r, 0, 2 * math.pi)
    opening = cr.copy_path()
    frame.cover(cr)
    cr.append_path(opening)
    cr.set_operator(cairo.OPERATOR_OVER)
    g = cairo.RadialGradient(cx, cy, 0, cx, cy, r)
    g.add_color_stop_rgb(0, *mix(mix(frame.colour("alert"), (0, 0, 0), 0.9), inside, pour))
    g.add_color_stop_rgb(1, *mix(mix(frame.colour("alert"), (0, 0, 0), 0.98), inside, 0.6 * pour))
    cr.set_source(low_res(cr, g, cx - 1.01 * r, cy - 1.01 * r, 2.02 * r, 2.02 * r))
    cr.fill()
    # The hollow has depth: the inner walls of the globe, curving away in faint rings.
    additive(cr)
    cr.append_path(opening)
    cr.clip()
    for k in range(1, 5):
        cr.save()
        cr.translate(cx, cy)
        cr.scale(0.35 + 0.15 * k, 1.0)
        cr.arc(0, 0, r * (0.35 + 0.16 * k), 0, 2 * math.pi)
        cr.restore()
        cr.set_source_rgba(*frame.colour("alert"), 0.1 + 0.05 * k)
        cr.set_line_width(1.2 * frame.unit)
        cr.stroke()
    cr.restore()
    # Light spilling off each lip into the hollow, on the soft buffer.
    soft = frame.soft(cr)
    additive(soft)
    soft.set_line_join(cairo.LINE_JOIN_ROUND)
    for side in (-1, 1):
        soft.save()
        soft.transform(_half(side, cx, cy, r, gap, swing))
        soft.arc(cx, cy, r, 0, 2 * math.pi)
        soft.clip()
        _seam_path(soft, seam)
        soft.set_source_rgba(*inside, 0.5 * min(1.0, 2 * split))
        soft.set_line_width(0.22 * r)
        soft.stroke()
        soft.restore()
    _eye(cr, frame, cx, cy, r, float(params["eye"]), float(params["gaze"]))
    # The halves, drawn over the eye's corners: it is inside.
    cr.save()
    cr.rectangle(cx - 1.1 * r, cy - 1.1 * r, 2.2 * r, 2.8 * r)
    cr.clip()
    cr.push_group()
    _body(cr, frame, params, core, cx, cy, r, heat, pulse, None)
    body = cr.pop_group()
    cr.restore()
    cr.set_operator(cairo.OPERATOR_OVER)
    for side in (-1, 1):
        cr.save()
        # Each half slides out and swings on a hinge, like a mechanism opening; it is cut
        # along the seam in its own, moved, frame, so none of the other half comes along.
        cr.transform(_half(side, cx, cy, r, gap, swing))
        edge = 2 * r
        _seam_path(cr, seam)
        cr.line_to(cx + side * edge, seam[-1][1])
        cr.line_to(cx + side * edge, seam[0][1])
        cr.close_path()
        cr.clip()
        cr.set_source(body)
        cr.paint()
        cr.restore()
        # Its molten lip: hot but coloured.
        cr.save()
        cr.transform(_half(side, cx, cy, r, gap, swing))
        cr.arc(cx, cy, r, 0, 2 * math.pi)
        cr.clip()
        _seam_path(cr, seam)
        additive(cr)
        neon_stroke(
            cr,
            mix(frame.colour("alert"), hot, 0.3),
            5 * frame.unit * (0.5 + split),
            alpha=min(0.9, 2 * split),  # more would clip to white in the 8-bit drawing
            heat=0.3,
            light=frame.light,
        )
        cr.restore()
    radial_glow(cr, cx, cy, r * 1.3, hot, 0.25 * split, frame.light)
    if pour > 0.01:
        # Shafts of light thrown up and down out of the gap, through the room's haze.
        soft = frame.soft(cr)
        for sign in (-1, 1):
            tip = cy + sign * 2.5 * r
            beam = cairo.LinearGradient(cx, cy, cx, tip)
            beam.add_color_stop_rgba(0, *inside, 0.45 * pour)
            beam.add_color_stop_rgba(1, *inside, 0.0)
            soft.move_to(cx - 0.6 * gap, cy)
            soft.line_to(cx - 1.6 * gap - 0.3 * r, tip)
            soft.line_to(cx + 1.6 * gap + 0.3 * r, tip)
            soft.line_to(cx + 0.6 * gap, cy)
            soft.close_path()
            soft.set_source(beam)
            soft.fill()


LAYER = Layer(
    name="core",
    draw=draw,
    build=build,
    params={
        "cracks": track("cracks", "how far the cracks have spread over the sphere"),
        "heat": track("heat", "colours pushed toward white-hot"),
        "erratic": track("erratic", "the pulse losing its rhythm"),
        "split": track("split", "the sphere splitting open"),
        "eye": track("eye", "the eye opening inside it"),
        "gaze": track("gaze", "the eye's stare: it searches, blinks, turns to us, dilates"),
        "colour": colour("colour", "primary", "the sphere's light"),
        "intensity": number("intensity", 1.0, "brightness of the sphere and its halo", 0, 4),
        "rate": number("rate", 0.8, "heartbeat", 0, 10, "Hz"),
        "size": number("size", 1.0, "radius relative to the layout's", 0.05, 3),
    },
    doc="The core: breathing sphere, noise-driven spiderweb cracks, liquid light, split, the eye.",
    order=30,
    plane=0.5,
)
