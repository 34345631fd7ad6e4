"""The core: a great sphere that breathes, fractures like a struck shell, bleeds light, splits
and stares.

The fracture is grown once from the seed, from one impact point: a few jagged main cracks
of uneven angle and length run out from it, forking as they go and thinning from a wide
fissure at the impact to hairlines; short broken cross-cracks join some neighbouring
mains, and the cells they close off are chipped facets, each tilted to catch the light
its own way. One main crack runs up and down through the impact along the seam the
sphere later splits on. Every point of every crack has a birth in 0..1; the `cracks`
value reveals each crack up to that birth, so the fracture grows with escalation
without any state carried between frames.
"""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.color import RGB, mix
from render.draw import (
    additive,
    fill_smooth,
    low_res,
    neon_ellipses,
    neon_stroke,
    paint_group,
    radial_glow,
)
from render.glyphs import text_path, text_width
from render.layers.chamber import (
    beats,
    electrocardiogram,
    failing_heartbeat,
    heartbeat_phase,
    heartbeat_trace,
)
from render.params import colour, number, track
from render.particles import Burst, draw_sparks
from render.scene import Frame, Layer, Scene, derive_seed
from render.story import smoothstep, window

WHITE: RGB = (1.0, 1.0, 1.0)
# Embers thrown off where the fracture forks, flying for about a tenth of its growth.
EMBERS = Burst(count=9, speed=0.22, spread=0.5, gravity=0.9, drag=3.0, life=1.0)


def _project(x: float, y: float) -> tuple[float, float]:
    """Flat crack space (an angle from the sphere's centre of view) onto the visible disc,
    so cracks bunch up toward the rim as they would on a ball."""
    d = math.hypot(x, y)
    if d < 1e-9:
        return x, y
    k = math.sin(min(d, 1.0) * math.pi / 2) / d
    return x * k, y * k


def _unproject(x: float, y: float) -> tuple[float, float]:
    d = math.hypot(x, y)
    if d < 1e-9:
        return x, y
    k = math.asin(min(d, 1.0)) * 2 / math.pi / d
    return x * k, y * k


def _run(rng, noise, x: float, y: float, course: float, length: float, key: float) -> np.ndarray:
    """A fracture from (x, y) in flat space: straight runs broken by kinks, bent slowly by
    noise, stopping at `length` or the rim."""
    pts = [(x, y)]
    s = 0.0
    while s < length:
        step = float(rng.uniform(0.03, 0.075))
        if rng.random() < 0.08:
            course += float(rng.normal(0, 0.22))  # a kink the crack keeps
        heading = course + 0.15 * noise.noise2(s * 1.5, key) + float(rng.normal(0, 0.12))
        nx, ny = x + math.cos(heading) * step, y + math.sin(heading) * step
        d = math.hypot(nx, ny)
        if d > 0.995:
            pts.append((nx * 0.995 / d, ny * 0.995 / d))
            break
        pts.append((nx, ny))
        x, y, s = nx, ny, s + step
    return np.array(pts)


def _crack(flat: np.ndarray, birth: float, speed: float, w0: float, w1: float, depth: int) -> dict:
    """A crack's points, with the birth of each (it grows from its first point at `speed`)
    and its width in units, tapering from `w0` to a hairline `w1`."""
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(flat, axis=0).T))])
    frac = cum / max(cum[-1], 1e-9)
    return {
        "flat": flat,
        "births": birth + cum / speed,
        "widths": w1 + (w0 - w1) * (1 - frac) ** 1.4,
        "depth": depth,
    }


def build(scene: Scene) -> dict:
    rng = scene.rng("core-fracture")
    noise = scene.noise("cracks")
    # The impact, a little off the vertical through the centre and above the middle.
    ix = float(rng.choice((-1, 1)) * rng.uniform(0.04, 0.1))
    iy = float(rng.uniform(-0.28, -0.1))
    pix, piy = _project(ix, iy)
    # The split runs top to bottom through the sphere along a jagged seam, and it is the
    # fracture through the impact: the seam bends to pass through it.
    srng = scene.rng("core-split")
    ys = np.linspace(-1.05, 1.05, 23)
    jag = np.cumsum(srng.normal(0, 0.045, len(ys)))
    jag -= np.linspace(jag[0], jag[-1], len(ys))
    at = int(np.argmin(np.abs(ys - piy)))
    ys[at] = piy
    bend = np.cos(np.pi / 2 * np.minimum(1.0, np.abs(ys - piy) / 1.1)) ** 2
    jag += (pix - jag[at]) * bend
    seam = list(zip(jag.tolist(), ys.tolist(), strict=True))
    cracks: list[dict] = []
    spokes: list[dict] = []  # the main cracks from the impact, the seam's two among them
    for rows in (range(at, -1, -1), range(at, len(ys))):
        pts = [_unproject(jag[i], ys[i]) for i in rows if jag[i] ** 2 + ys[i] ** 2 < 0.995**2]
        spoke = _crack(np.array(pts), 0.1, 1.0, 8.0, 2.0, 0)
        spoke["seam"] = True
        spokes.append(spoke)
    # The other main cracks: all round, at uneven angles and of uneven lengths.
    slots = int(rng.integers(8, 11))
    for k in range(slots):
        a = -math.pi / 2 + 2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / slots
        if min(abs((a - b + math.pi) % (2 * math.pi) - math.pi) for b in (-1.57, 1.57)) < 0.4:
            continue  # the seam's crack runs there
        length = float(rng.choice((rng.uniform(0.3, 0.7), 2.0), p=(0.3, 0.7)))
        flat = _run(rng, noise, ix, iy, a, length, 5.1 * k)
        spokes.append(_crack(flat, float(rng.uniform(0.0, 0.25)), 1.0, rng.uniform(6, 10), 0.7, 0))
    # The seam's crack reaches the rim last of all: the sphere gives way along it.
    last = max(float(s["births"][-1]) for s in spokes if "seam" not in s)
    for s in spokes[:2]:
        s["births"] = 0.1 + (s["births"] - 0.1) / (s["births"][-1] - 0.1) * (last - 0.1)
    for s in spokes:
        d = s["flat"] - (ix, iy)
        s["dist"] = np.hypot(d[:, 0], d[:, 1])
        s["ang"] = math.atan2(d[1, 1], d[1, 0])
    cracks += spokes
    # Forks: branches off the main cracks, and now and then a branch off a branch.
    forks = []
    queue = [(s, 0) for s in spokes]
    while queue:
        parent, depth = queue.pop()
        flat = parent["flat"]
        made = 0
        for i in range(2, len(flat) - 1):
            if made >= 2 - depth or rng.random() > 0.07 - 0.03 * depth:
                continue
            made += 1
            tx, ty = flat[i + 1] - flat[i - 1]
            course = math.atan2(ty, tx) + float(rng.choice((-1, 1)) * rng.uniform(0.3, 0.7))
            length = float(rng.uniform(0.15, 0.5) / (1 + 1.5 * depth))
            sub = _run(rng, noise, *flat[i], course, length, 31.7 * len(cracks))
            if len(sub) < 3:
                continue
            birth = float(parent["births"][i]) + 0.02
            w0 = float(parent["widths"][i]) * rng.uniform(0.45, 0.7)
            branch = _crack(sub, birth, 0.8, w0, 0.5, depth + 1)
            cracks.append(branch)
            forks.append((*flat[i], birth))
            if depth == 0:
                queue.append((branch, 1))
    # Broken cross-cracks: between some neighbouring mains, each at its own distance, some
    # stopping short; they close off the cells that chip.
    spokes.sort(key=lambda s: s["ang"])
    facets = []
    for k, a in enumerate(spokes):
        b = spokes[(k + 1) % len(spokes)]
        gap = (b["ang"] - a["ang"]) % (2 * math.pi)
        if not 0.3 < gap < 2.2:
            continue
        reach = min(float(a["dist"][-1]), float(b["dist"][-1])) - 0.03
        count = int(rng.choice((1, 2, 2, 3, 3)))
        ring = [0.06 + 0.7 * float(rng.random()) ** 1.5 for _ in range(count)]
        if rng.random() < 0.65:  # the shell crushed round the impact: a short cross-crack
            ring.append(float(rng.uniform(0.05, 0.16)))
        ring.sort()
        prev = None  # (index on a, index on b, the cross-crack's points a to b)
        for dist in ring:
            if dist > reach:
                break
            ia = int(np.argmax(a["dist"] >= dist))
            ib = int(np.argmax(b["dist"] >= dist * rng.uniform(0.8, 1.25)))
            if ia < 1 or ib < 1 or (prev and (ia <= prev[0] or ib <= prev[1])):
                continue
            pa, pb = a["flat"][ia], b["flat"][ib]
            chord = float(np.hypot(*(pb - pa)))
            m = max(3, int(chord / 0.045))
            s = np.linspace(0, 1, m + 1)[:, None]
            mid = (pa + pb) / 2 - (ix, iy)
            out = mid / max(float(np.hypot(*mid)), 1e-9)
            pts = pa + s * (pb - pa) + out * rng.uniform(-0.08, 0.18) * chord * np.sin(np.pi * s)
            pts[1:-1] += rng.normal(0, 0.014, (m - 1, 2))
            start = max(float(a["births"][ia]), float(b["births"][ib])) + rng.uniform(0.05, 0.2)
            broken = rng.random() < 0.3  # stops short: no cell closes here
            run = pts if rng.random() < 0.5 else pts[::-1]
            if broken:
                run = run[: max(2, int(len(run) * rng.uniform(0.4, 0.8)))]
            cross = _crack(run, start, 0.7, rng.uniform(3.0, 5.0), 0.8, 1)
            cracks.append(cross)
            if broken:
                continue
            poly = [a["flat"][(prev[0] if prev else 0) : ia + 1], pts[1:-1]]
            poly.append(b["flat"][(prev[1] if prev else 0) : ib + 1][::-1])
            if prev is not None:
                poly.append(prev[2][1:-1][::-1])
            if rng.random() < 0.9:
                shift = 0.0
                if rng.random() < 0.35:  # knocked loose: pushed out a little from the impact
                    shift = float(rng.uniform(0.015, 0.03))
                facets.append(
                    {
                        "flat": np.vstack(poly),
                        "birth": float(cross["births"][-1]),
                        "tone": float(rng.uniform(-1, 1)),
                        "tilt": float(rng.uniform(0, 2 * math.pi)),
                        "shift": (shift * out[0], shift * out[1]),
                    }
                )
            prev = (ia, ib, pts)
    # The impact crushed: short splinters all round it.
    for k in range(9):
        a = 2 * math.pi * (k + rng.uniform(0, 0.8)) / 9
        flat = _run(rng, noise, ix, iy, a, float(rng.uniform(0.03, 0.09)), 77.0 + k)
        cracks.append(_crack(flat, float(rng.uniform(0.0, 0.05)), 1.0, 3.0, 0.5, 2))
    # Births into 0.01..0.97, positions onto the disc.
    top = max(float(c["births"][-1]) for c in cracks)
    for c in cracks:
        c["births"] = c["births"] / top * 0.96 + 0.01
        c["pts"] = np.array([_project(*p) for p in c["flat"]])
        del c["flat"]
        c.pop("dist", None)
    for f in facets:
        f["birth"] = f["birth"] / top * 0.96 + 0.01
        f["pts"] = np.array([_project(*p) for p in f.pop("flat")])
    embers = [(*_project(ix, iy), 0.01)]
    for k in rng.permutation(len(forks))[:6]:
        x, y, b = forks[int(k)]
        embers.append((*_project(x, y), b / top * 0.96 + 0.01))
    # Drips of liquid light run down from points on the main cracks.
    drips = []
    mains = [c for c in cracks if c["depth"] == 0 and len(c["pts"]) > 4]
    for k in rng.permutation(len(mains))[:12]:
        s = mains[int(k)]
        i = int(rng.integers(1, len(s["pts"]) - 1))
        drips.append(
            (
                float(s["pts"][i, 0]),
                float(s["pts"][i, 1]),
                float(s["births"][i]) + 0.05,
                float(rng.random()),
                float(rng.uniform(0.35, 0.7)),  # Hz
                float(rng.uniform(0.6, 1.4)),  # how far it runs and falls, in radii
            )
        )
    return {
        "cracks": cracks,
        "first": min(float(c["births"][0]) for c in cracks),
        "facets": facets,
        "impact": (pix, piy),
        "embers": embers,
        "drips": drips,
        "split": seam,
        "tilt": float(srng.uniform(0.25, 0.5)),
    }


def _body(
    cr: cairo.Context, frame: Frame, params, core: dict, cx, cy, r, heat, pulse, light,
    seep: float = 1.0, stall: float = 0.0,
) -> None:  # fmt: skip
    """The sphere with its surface lines and cracks, drawn around (cx, cy). `stall` (0..1)
    all but puts out the light at its heart: a beat that did not come.

    `light` is the soft-light buffer, or None when the halves of a split sphere are
    drawn: soft light is not clipped, and the opening between them must stay dark."""
    u = frame.unit
    # Heat whitens the light (rim, cracks, seeping glow); the shell itself stays dark so
    # the cracks read against it, only warming toward the alert colour.
    primary = mix(params["colour"], frame.colour("alert"), 0.35 * heat)
    # Heat reddens the light toward the alert colour, not toward white: a white-hot
    # heart tones to grey, and the climax's highlights are to keep a hue.
    glow = mix(frame.colour("glow"), frame.colour("alert"), 0.5 * heat)
    bg = frame.colour("background")
    shell = mix(params["colour"], frame.colour("alert"), 0.7 * heat)
    # Solid dark globe, lit from within and from the rim.
    cr.set_operator(cairo.OPERATOR_OVER)
    g = cairo.RadialGradient(cx - 0.25 * r, cy - 0.3 * r, 0.05 * r, cx, cy, r)
    g.add_color_stop_rgb(0, *mix(bg, shell, 0.26 + 0.08 * pulse))
    g.add_color_stop_rgb(0.7, *mix(bg, shell, 0.09))
    g.add_color_stop_rgb(1, *mix(bg, shell, 0.3))
    # A fresnel sheen round the rim: on raster frames it comes in the shell's small image
    # (one fill of the disc instead of two; what is added between commutes with it).
    fres = cairo.RadialGradient(cx, cy, 0.78 * r, cx, cy, r)
    fres.add_color_stop_rgba(0, *glow, 0.0)
    fres.add_color_stop_rgba(1, *glow, 0.16 + 0.1 * pulse)
    raster = isinstance(cr.get_group_target(), cairo.ImageSurface)
    cr.arc(cx, cy, r, 0, 2 * math.pi)
    fill_smooth(cr, low_res(cr, g, cx - r, cy - r, 2 * r, 2 * r, add=(fres,)), opaque=True)
    additive(cr)
    # The heart of it glows through the glass, swelling with each beat.
    out = 1.0 - 0.85 * stall
    glow_a = 0.1 * out + 0.3 * pulse + 0.08 * heat
    heart, _ = _leak_colours(frame, glow, heat)  # ice-blue, then molten: never grey
    radial_glow(cr, cx, cy, r * 0.85, mix(heart, shell, 0.5), glow_a, light)
    radial_glow(cr, cx, cy + 0.05 * r, r * 0.4, heart, 0.12 * out + 0.3 * pulse, light)
    # A glassy shell: the room's light caught high on its left, a sheen round the rim.
    hx, hy = cx - 0.38 * r, cy - 0.42 * r
    spec = cairo.RadialGradient(hx, hy, 0, hx, hy, 0.32 * r)
    spec.add_color_stop_rgba(0, *mix(glow, (1.0, 1.0, 1.0), 0.6), 0.35 * (1 - 0.5 * heat))
    spec.add_color_stop_rgba(1, *glow, 0.0)
    cr.save()
    cr.translate(hx, hy)
    cr.rotate(-0.7)
    cr.scale(1.0, 0.55)
    cr.arc(0, 0, 0.32 * r, 0, 2 * math.pi)
    cr.restore()
    cr.set_source(spec)
    cr.fill()
    if not raster:
        cr.arc(cx, cy, r, 0, 2 * math.pi)
        cr.set_source(fres)
        cr.fill()
    # Holographic latitude and longitude lines, turning slowly. Each is the projection of
    # a circle on the sphere, so it lies inside the disc and needs no clip (stroking
    # through a round clip cost cairo about 15 ms a 1080p frame).
    spin = frame.cycles(0.04)
    squash = core["tilt"] * 0.5  # sine of the angle the poles are tipped toward us
    lift = math.sqrt(1 - squash * squash)
    lines = []  # (centre x, centre y, radius across, radius up)
    for k in range(9):
        lon = (k / 9 + spin) % 1.0 * math.pi  # meridians across the visible face
        lines.append((cx, cy, max(abs(r * math.cos(lon)), 0.01 * r), r))
    for k in range(1, 6):
        lat = -math.pi / 2 + k * math.pi / 6
        rx = r * math.cos(lat)
        lines.append((cx, cy + r * math.sin(lat) * lift, rx, rx * squash))
    # Faint lines over a large area: cairo's cost goes with the rows times the edges
    # crossing them, not with the ink; on raster frames neon_ellipses rasterises them
    # itself. Stroked by cairo (vector surfaces, the split's halves), the fast
    # antialiasing (4x4 samples instead of 15x17) halves the cost; at this brightness its
    # coarser coverage steps are 3 levels of 255.
    cr.save()
    cr.set_antialias(cairo.ANTIALIAS_FAST)
    a = 0.14 * params["intensity"]
    neon_ellipses(cr, lines, primary, 1.2 * u, alpha=a, heat=0.1, light=light)
    cr.restore()
    # Rim light.
    cr.arc(cx, cy, r, 0, 2 * math.pi)
    neon_stroke(
        cr,
        primary,
        3.5 * u,
        alpha=(0.6 + 0.4 * min(pulse, 1.0)) * params["intensity"],
        heat=0.4,
        light=light,
    )
    # Cracks: revealed up to `cracks`, thicker near the trunk, glowing hot.
    cracks = float(params["cracks"])
    if cracks <= core["first"]:  # births start above 0: nothing is revealed yet
        return
    _ice(cr, frame, core, cx, cy, r, cracks, glow, heat, light, seep)


def _outlines(shown) -> tuple | None:
    """The shown cracks' points, widths and unit tangents, all cracks in one numpy pass (as
    np.gradient would each crack's tangents: central differences, one-sided at its ends),
    with each crack's (depth, first index, end index); once a frame for all its ribbons (a
    few dozen cracks one by one cost a millisecond a call in numpy's overhead)."""
    if not shown:
        return None
    pts = np.concatenate([p for _, p, _ in shown])
    widths = np.concatenate(
        [w if np.shape(w) == (len(p),) else np.broadcast_to(w, len(p)) for _, p, w in shown]
    )
    sizes = np.array([len(p) for _, p, _ in shown])
    ends = np.cumsum(sizes)
    starts = ends - sizes
    idx = np.arange(len(pts))
    ahead, behind = np.minimum(idx + 1, len(pts) - 1), np.maximum(idx - 1, 0)
    ahead[ends - 1], behind[starts] = ends - 1, starts  # one-sided at each crack's ends
    t = pts[ahead] - pts[behind]
    central = np.ones(len(pts), bool)
    central[ends - 1] = central[starts] = False
    t[central] /= 2.0
    t /= np.maximum(np.hypot(t[:, 0], t[:, 1]), 1e-9)[:, None]
    spans = list(zip([d for d, _, _ in shown], starts.tolist(), ends.tolist(), strict=True))
    return pts, widths, t, spans


def _ribbons(cr: cairo.Context, outlines, scale: float, extra: float, depths=None) -> None:
    """Each crack of `outlines` (`_outlines`) as a filled ribbon `scale` times its width plus
    `extra` px: a tapered fissure, one subpath each; only those of `depths` if given."""
    if outlines is None:
        return
    pts, widths, t, spans = outlines
    half = (widths * scale + extra) / 2
    nx, ny = -t[:, 1] * half, t[:, 0] * half
    left = np.stack([pts[:, 0] + nx, pts[:, 1] + ny], axis=1).tolist()
    right = np.stack([pts[:, 0] - nx, pts[:, 1] - ny], axis=1).tolist()
    line_to = cr.line_to
    for depth, a, b in spans:
        if depths is not None and depth not in depths:
            continue
        cr.move_to(*left[a])
        for x, y in left[a + 1 : b]:
            line_to(x, y)
        for x, y in reversed(right[a:b]):
            line_to(x, y)
        cr.close_path()


def _polyline(cr: cairo.Context, pts: np.ndarray) -> None:
    xs, ys = pts[:, 0].tolist(), pts[:, 1].tolist()
    cr.move_to(xs[0], ys[0])
    for x, y in zip(xs[1:], ys[1:], strict=True):
        cr.line_to(x, y)


def _leak_colours(frame: Frame, glow: RGB, heat: float) -> tuple[RGB, RGB]:
    """The light leaking through the cracks, and its white-hot core."""
    # Saturated: ice-blue (the electric primary) while the shell cracks, then molten red
    # as it overheats, switching quickly. The shell's whitened `glow` toned the cracks
    # grey-white, and so does a long blend of cyan and red (complements meet in grey); a
    # colour with one channel low keeps its hue when its strokes add up and clip
    # (bench_light's climax highlight saturation). Violet between read as plasma.
    del glow
    f = smoothstep(0.3, 0.5, heat)
    primary, molten = frame.colour("primary"), mix(frame.colour("alert"), frame.colour("hot"), 0.2)
    leak = tuple(x + (y - x) * f for x, y in zip(primary, molten, strict=True))
    # Searing but coloured: a white core would tone to grey, a hue reads as heat.
    return leak, mix(leak, WHITE, 0.25)


def _revealed(core: dict, cracks: float, cx, cy, r, u) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The cracks as far as `cracks` has grown them: (depth, points in pixels, widths)."""
    centre = np.array((cx, cy))
    shown = []
    for c in core["cracks"]:
        births = c["births"]
        if cracks <= births[0]:
            continue
        n = int(np.searchsorted(births, cracks))
        pts, w = c["pts"][:n], c["widths"][:n]
        if n < len(births):  # the growing tip: part of the next step, pointed
            f = (cracks - births[n - 1]) / (births[n] - births[n - 1])
            pts = np.vstack([pts, pts[-1] + f * (c["pts"][n] - pts[-1])])
            w = np.append(w, c["widths"][n]) * np.minimum(1.0, 0.15 + 0.35 * np.arange(n, -1, -1))
        if len(pts) > 1:
            shown.append((c["depth"], pts * r + centre, w * u))
    return shown


def _seep(
    cr: cairo.Context, frame: Frame, core: dict, shown, cx, cy, r, leak: RGB, heat, grown, light,
    scale: float,
) -> None:  # fmt: skip
    """Light leaking through the wide cracks, soft and wide (on the light buffer when there
    is one), and the glow of the impact: `scale` times as bright."""
    if scale <= 0.005:
        return
    u = frame.unit
    soft = light.context(cr) if light is not None else cr
    soft.save()
    additive(soft)
    soft.set_line_join(cairo.LINE_JOIN_ROUND)
    # Sharp, on the halves of the split sphere, it is narrower: a wide stroke at full
    # resolution costs cairo several ms.
    narrow = 1.0 if light is not None else 0.5
    for depth, width, alpha in ((0, 16, 0.13), (1, 7, 0.08)):
        for d, pts, _w in shown:
            if d == depth:
                _polyline(soft, pts)
        soft.set_source_rgba(*leak, (alpha + 0.14 * heat) * scale)
        soft.set_line_width(width * u * narrow)
        soft.stroke()
    soft.restore()
    ix, iy = core["impact"]
    px, py = cx + ix * r, cy + iy * r
    radial_glow(cr, px, py, r * (0.08 + 0.16 * grown), leak, (0.35 + 0.35 * grown) * scale, light)


def _ice(
    cr, frame: Frame, core: dict, cx, cy, r, cracks: float, glow: RGB, heat, light, seep: float
) -> None:
    """The fracture: molten light leaking through jagged fissures that are wide and white-hot
    at the impact and thin to hairlines, their broken edges dark; chipped facets between
    them tilted to the light, a few knocked loose; embers and drips of liquid light.
    `seep` scales the soft light leaking out (the halves of the split sphere take less)."""
    u = frame.unit
    leak, white = _leak_colours(frame, glow, heat)
    centre = np.array((cx, cy))
    shown = _revealed(core, cracks, cx, cy, r, u)
    # No clip to the disc (filling through a round clip costs cairo a mask a fill): the
    # cracks end inside the rim and the facets are polygons between them.
    cr.save()
    # As it fractures the shell goes dark, its light pouring out through the cracks alone.
    grown = smoothstep(core["first"], 1.0, cracks)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.arc(cx, cy, r * 0.97, 0, 2 * math.pi)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.45 * grown)
    cr.fill()
    # Chipped facets: each cell between cracks a shard tilted its own way, lit across by a
    # gradient or shadowed; the loose ones pushed out, a sliver of light in the gap.
    shell = mix(frame.colour("background"), mix(glow, leak, 0.5), 0.22)
    for f in core["facets"]:
        shown_f = smoothstep(f["birth"], f["birth"] + 0.06, cracks)
        if shown_f <= 0:
            continue
        pts = f["pts"] * r + centre
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        ext = 0.5 * max(x1 - x0, y1 - y0)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = math.cos(f["tilt"]) * ext, math.sin(f["tilt"]) * ext
        g = cairo.LinearGradient(mx - dx, my - dy, mx + dx, my + dy)
        tone = f["tone"]
        if f["shift"] != (0.0, 0.0):
            _polyline(cr, pts)
            cr.close_path()
            additive(cr)
            cr.set_source_rgba(*leak, 0.5 * shown_f)
            cr.fill()
            sx, sy = f["shift"]
            pts = pts + np.array((sx, sy)) * r * shown_f
            cr.set_operator(cairo.OPERATOR_OVER)
            _polyline(cr, pts)
            cr.close_path()
            cr.set_source_rgba(*shell, 0.92)
            cr.fill_preserve()
            additive(cr)
            cr.set_source_rgba(*white, 0.35 * shown_f)
            cr.set_line_width(0.8 * u)
            cr.stroke()
            tone = abs(tone)
        _polyline(cr, pts)
        cr.close_path()
        if tone >= 0:  # turned to the light
            additive(cr)
            lit = mix(glow, WHITE, 0.3)
            g.add_color_stop_rgba(0, *lit, (0.06 + 0.34 * tone) * shown_f)
            g.add_color_stop_rgba(1, *lit, 0.03 * shown_f)
        else:  # turned away
            cr.set_operator(cairo.OPERATOR_OVER)
            g.add_color_stop_rgba(0, 0, 0, 0, 0.6 * -tone * shown_f)
            g.add_color_stop_rgba(1, 0, 0, 0, 0.2 * -tone * shown_f)
        cr.set_source(g)
        if tone < 0.25:
            cr.fill()
            continue
        # A shard turned to the light glints along its broken edges.
        cr.fill_preserve()
        additive(cr)
        cr.set_source_rgba(*mix(lit, WHITE, 0.5), 0.28 * tone * shown_f)
        cr.set_line_width(1.0 * u)
        cr.stroke()
    _seep(cr, frame, core, shown, cx, cy, r, leak, heat, grown, light, seep)
    # The fissures: broken dark edges, the molten light inside, white-hot where widest.
    cr.set_operator(cairo.OPERATOR_OVER)
    outlines = _outlines(shown)
    _ribbons(cr, outlines, 1.8, 1.6 * u)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.6)
    cr.fill()
    additive(cr)
    _ribbons(cr, outlines, 1.0, 0.3 * u)
    cr.set_source_rgba(*leak, 0.95)
    cr.fill()
    # The widest run brighter still, but in the leak's own colour: white added on top
    # clipped the 8-bit drawing to grey, and the climax's highlights are to keep a hue.
    _ribbons(cr, outlines, 0.4, 0.0, depths=(0,))
    cr.set_source_rgba(*leak, 0.35)
    cr.fill()
    # The impact: a white-hot star where the shell was struck.
    ix, iy = core["impact"]
    radial_glow(cr, cx + ix * r, cy + iy * r, r * (0.035 + 0.03 * heat), white, 0.8)
    cr.restore()
    # Embers thrown off as the fracture forks, and liquid light dripping from the cracks.
    for k, (ex, ey, birth) in enumerate(core["embers"]):
        age = (cracks - birth) / 0.1
        if 0 <= age <= EMBERS.life:
            draw_sparks(
                cr, frame, cx + ex * r, cy + ey * r, EMBERS, f"crack-{k}", age, leak, white,
                width=1.6,
            )  # fmt: skip
    additive(cr)
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    for x, y, birth, phase, rate, fall in core["drips"]:
        if cracks <= birth:
            continue
        # A bead swells on the crack, lets go and falls, stretching a thread behind it.
        age = (frame.cycles(rate) + phase) % 1.0
        fall_t = max(0.0, age - 0.3) / 0.7
        drop = cy + (y + fall * fall_t * fall_t) * r
        a = smoothstep(birth, birth + 0.05, cracks) * (1 - fall_t) ** 0.6
        px = cx + x * r
        bead = (3.0 + 5.0 * min(1.0, age / 0.3)) * u
        if fall_t > 0:  # the run it leaves, thick at the crack and thinning as it goes
            cr.move_to(px, cy + y * r)
            cr.line_to(px, drop)
            cr.set_source_rgba(*leak, 0.35 * a)
            cr.set_line_width(3.5 * u)
            cr.stroke()
            cr.move_to(px, cy + y * r + 0.5 * (drop - cy - y * r))
            cr.line_to(px, drop)
            cr.set_source_rgba(*leak, 0.6 * a)  # coloured: white runs grey the highlights
            cr.set_line_width(1.8 * u)
            cr.stroke()
        cr.arc(px, drop, bead, 0, 2 * math.pi)
        cr.set_source_rgba(*leak, 0.9 * a)
        cr.fill()
        radial_glow(cr, px, drop, 5 * bead, leak, 0.6 * a)


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
    ew, eh = 0.6 * r, 0.33 * r * opening * max(blink, 0.04)
    # It searches left and right, then turns to us: the iris comes to the middle and grows.
    search = 0.16 * r * math.sin(2 * math.pi * frame.cycles(0.45))
    turn = smoothstep(0.55, 0.75, gaze)
    look = search * (1 - turn)
    lift = -0.03 * r * (1 - turn)
    iris_r = 0.25 * r * (1 + 0.12 * turn)
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
    for hx, hy, hr, a in ((-0.35, -0.4, 0.2, 0.9), (0.3, 0.35, 0.07, 0.55)):
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


# The arteries feeding the core: (angle where each meets the sphere, degrees clockwise
# from its right; the far end and the two control points, in radii from its centre;
# thickness in radii). Two each side, rising out of the floor below it and arching in
# (clear of the panels either side, whose glass they would show through).
FEEDS = (
    (145.0, (-2.9, 3.6), (-2.4, 1.5), (-1.6, 0.9), 0.19),
    (118.0, (-1.0, 3.6), (-1.1, 2.2), (-0.75, 1.5), 0.14),
)
# Standing upright, the panels are below the core: its arteries sweep out to the walls.
FEEDS_PORTRAIT = (
    (150.0, (-1.95, 0.95), (-1.5, 1.0), (-1.1, 0.8), 0.16),
    (122.0, (-1.95, 1.35), (-1.3, 1.4), (-0.8, 1.15), 0.12),
)
_FEED_STEPS = 32


def _feeds(cr: cairo.Context, frame: Frame, params, cx, cy, r, heat: float, phase: float):
    """Arteries that feed the core: dark vessels sweeping in from the floor and the walls
    to the sphere, each beat of its heart (at the failing heartbeat's `phase`) a swelling
    of blood running along them into it, arriving as it beats; when the rhythm fails, so
    does the blood."""
    colour = params["vessels"]
    if params["intensity"] <= 0.01:
        return
    bg = frame.colour("background")
    erratic = float(params["erratic"])
    # The swelling leaves the wall 0.7 of a cycle before the beat and reaches the core on it.
    to_beat = (0.42 - phase) % 1.0
    s = 1.0 - to_beat / 0.7
    strength = beats(phase + to_beat, erratic) * params["intensity"]
    t = np.linspace(0.0, 1.0, _FEED_STEPS + 1)[:, None]
    shine = mix(colour, (1.0, 1.0, 1.0), 0.35 * (1.0 - heat))  # white rims grey a hot climax
    steel = mix(bg, (0.55, 0.6, 0.7), 0.3)
    tubes = []
    feeds = FEEDS_PORTRAIT if frame.scene.layout.portrait else FEEDS
    for angle, far, c1, c2, thick in feeds:
        for side in (-1, 1):
            th = math.radians(angle if side < 0 else 180.0 - angle)
            p3 = np.array([cx + 0.98 * r * math.cos(th), cy + 0.98 * r * math.sin(th)])
            p0, p1, p2 = (np.array([cx - side * q[0] * r, cy + q[1] * r]) for q in (far, c2, c1))
            pts = ((1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2
                   + t**3 * p3)  # fmt: skip
            d = np.gradient(pts, axis=0)
            d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-9)[:, None]
            normals = np.stack([d[:, 1], -d[:, 0]], axis=1)
            if normals[_FEED_STEPS // 2, 1] > 0:  # -1 on the upper side
                normals = -normals
            blood = np.exp(-(((t[:, 0] - s) / 0.07) ** 2)) * strength if s > 0 else 0 * t[:, 0]
            tubes.append((pts, normals, thick * r * (1.0 + 0.75 * blood), blood, thick * r))

    # Each band's sides are lines offset from the tubes' centre lines, each line worked out
    # once for all four tubes as band_path would (numpy's overhead for each band of each
    # tube cost ~1.3 ms a frame) and kept as lists of points for the path.
    centres = np.stack([tube[0] for tube in tubes])
    normals_all = np.stack([tube[1] for tube in tubes])
    radii = np.stack([tube[2] for tube in tubes])[:, :, None]
    offsets: dict[tuple[float, float], list] = {}

    def offset(f: float, grow: float) -> list:
        if (f, grow) not in offsets:  # as band_path: centre + normal * f * (grow * radius)
            offsets[f, grow] = (centres + normals_all * f * (grow * radii)).tolist()
        return offsets[f, grow]

    def band(a: list, b: list) -> None:
        """One tube's band as band_path draws it: along side `a`, back along side `b`."""
        line_to = cr.line_to
        cr.move_to(*a[0])
        for x, y in a[1:]:
            line_to(x, y)
        for x, y in reversed(b):
            line_to(x, y)
        cr.close_path()

    def bands(lo: float, hi: float, grow: float = 1.0, span: slice = slice(None)) -> None:
        for a, b in zip(offset(lo, grow), offset(hi, grow), strict=True):  # one fill for all
            band(a[span], b[span])

    # Dark vessels, lit from above, with steel collars at their joints.
    cr.set_operator(cairo.OPERATOR_OVER)
    bands(-1.0, 1.0)
    frame.cover(cr)
    cr.set_source_rgb(*mix(bg, colour, 0.26))
    cr.fill()
    for lo, hi, tone in ((-0.9, 0.2, 0.46), (-0.75, -0.25, 0.7)):
        bands(lo, hi)
        cr.set_source_rgb(*mix(bg, colour, tone * (1.0 - 0.7 * heat)))
        cr.fill()
    for k in (8, 20):  # none where it meets the sphere: grey against the rim greyed it
        bands(-1.0, 1.0, 1.25, slice(k, k + 2))
    cr.set_source_rgb(*steel)
    cr.fill()
    additive(cr)
    if s > 0:  # the blood, lighting each vessel from inside where it runs
        i = round(s * _FEED_STEPS)
        a, b = max(0, i - 5), min(_FEED_STEPS, i + 5)
        for n, (pts, _normals, _radius, blood, thick) in enumerate(tubes):
            band(offset(-0.9, 1.0)[n][a : b + 1], offset(0.8, 1.0)[n][a : b + 1])
            light = cairo.LinearGradient(*pts[a], *pts[b])
            for k in range(a, b + 1):
                light.add_color_stop_rgba((k - a) / max(1, b - a), *colour,
                                          min(1.0, 0.9 * float(blood[k])))  # fmt: skip
            cr.set_source(light)
            cr.fill()
            x, y = pts[min(i, _FEED_STEPS)]
            radial_glow(cr, x, y, 5.0 * thick, colour, 0.5 * strength, frame.light)
    # Their outlines catch the light: a rim on top, a specular line, light bounced below.
    for lo, hi, alpha in ((-1.0, -0.88, 0.5), (-0.55, -0.43, 0.7), (0.86, 0.97, 0.25)):
        bands(lo, hi)
        cr.set_source_rgba(*shine, alpha * (1.0 - 0.6 * heat) * params["intensity"])
        cr.fill()


def _mounts(cr: cairo.Context, frame: Frame, cx: float, cy: float, r: float, heat: float) -> None:
    """What the sphere hangs in: a heavy arm down from the ceiling to a collar at its top,
    and a pedestal widening from its foot to the floor; dark metal, its sides lit by the
    sphere."""
    h, u = frame.scene.height, frame.unit
    bg = frame.colour("background")
    metal = mix(bg, frame.colour("secondary"), 0.1)
    lit = mix(frame.colour("glow"), frame.colour("alert"), 0.6 * heat)
    top, foot = cy - 0.96 * r, cy + 0.96 * r
    floor = max(h * 1.02, foot + 0.5 * r)
    arm = [(cx - 0.07 * r, -0.02 * h), (cx + 0.07 * r, -0.02 * h),
           (cx + 0.1 * r, top), (cx - 0.1 * r, top)]  # fmt: skip
    # Two cables slung from the ceiling to the collar, either side of the arm.
    stays = [[(cx + s * 0.75 * r, -0.02 * h), (cx + s * 0.72 * r, -0.02 * h),
              (cx + s * 0.16 * r, top), (cx + s * 0.2 * r, top)] for s in (-1, 1)]  # fmt: skip
    # Below it nothing but two thin cables to the floor, pulled taut: it hangs.
    base = [(cx - 0.03 * r, foot), (cx + 0.03 * r, foot),
            (cx + 0.05 * r, floor), (cx - 0.05 * r, floor)]  # fmt: skip
    collar = [(cx - 0.2 * r, top - 0.06 * r), (cx + 0.2 * r, top - 0.06 * r),
              (cx + 0.26 * r, top + 0.05 * r), (cx - 0.26 * r, top + 0.05 * r)]  # fmt: skip
    clamp = [(cx - 0.24 * r, foot - 0.05 * r), (cx + 0.24 * r, foot - 0.05 * r),
             (cx + 0.2 * r, foot + 0.07 * r), (cx - 0.2 * r, foot + 0.07 * r)]  # fmt: skip
    shapes = (arm, *stays, base, collar, clamp)
    for shape in shapes:
        cr.move_to(*shape[0])
        for p in shape[1:]:
            cr.line_to(*p)
        cr.close_path()
    frame.cover(cr)
    cr.set_operator(cairo.OPERATOR_OVER)
    for shape in shapes:  # one fill: dark metal (a gradient each cost 1.5 ms a frame)
        cr.move_to(*shape[0])
        for p in shape[1:]:
            cr.line_to(*p)
        cr.close_path()
    cr.set_source_rgb(*mix(metal, lit, 0.12))
    cr.fill()
    additive(cr)
    # A sheen of the sphere's light down the middle of the arm and the pedestal.
    for (ax, ay), (bx, by) in (((cx - 0.01 * r, -0.02 * h), (cx - 0.015 * r, top)),):
        cr.move_to(ax, ay)
        cr.line_to(bx, by)
    cr.set_line_width(0.05 * r)
    cr.set_source_rgba(*lit, 0.22)
    cr.stroke()
    # Bands where the sections are bolted, catching the light.
    for y0, y1, w0, w1 in ((-0.02 * h, top, 0.07, 0.1), (foot, floor, 0.12, 0.4)):
        for f in (0.3, 0.6):
            y = y0 + f * (y1 - y0)
            half = (w0 + f * (w1 - w0)) * r
            cr.move_to(cx - half, y)
            cr.line_to(cx + half, y)
    cr.set_line_width(1.5 * u)
    cr.set_source_rgba(*lit, 0.35)
    cr.stroke()


def _pings(cr, frame: Frame, params, cx, cy, r, erratic: float, cracks: float, phase: float):
    """Each heartbeat of the core sends a ring of light out across the room, so its pulse
    shows in a still; as the rhythm fails the rings come unevenly and wobble."""
    fade = (1.0 - cracks) * params["intensity"]
    if fade <= 0.01 or frame.light is None:  # soft light: a print has it from the raster
        return
    soft = frame.soft(cr)
    additive(soft)
    rate = params["rate"]
    # On the failing heartbeat's own phase (the beat's peak at 0.42 of a cycle): as it
    # fails, skipped beats send no ring and the rings live longer, so a still shows
    # several at once, unevenly spaced.
    c = phase - 0.42
    colour = mix(params["colour"], frame.colour("glow"), 0.4)
    life = 1.1 + 1.2 * erratic
    for k in range(3):
        n = math.floor(c) - k
        age = (c - n) / rate  # seconds since that beat
        if age > life or beats(n + 0.5, erratic) < 1.0:
            continue
        f = age / life
        wob = 1.0 + erratic * 0.15 * math.sin(7.0 * n)
        # Soft light only, on the low-resolution buffer: a ring this size stroked at full
        # resolution cost 1.2 ms a 1080p frame.
        soft.arc(cx, cy, r * (1.02 + 1.3 * f**0.7) * wob, 0, 2 * math.pi)
        # Failing, each beat is a shock: a brighter, wider ring.
        soft.set_source_rgba(*colour, min(1.0, 0.7 * (1 - f) ** 2 * fade * (1 + 0.5 * erratic)))
        soft.set_line_width((9.0 - 5.0 * f) * (1 + erratic) * frame.unit)
        soft.stroke()


FLARE_DECAY = 1.0  # seconds: a flare lingers into most stills taken between two beats
RHYTHM_SPAN = 3.0  # seconds of heartbeat the ring around the failing core traces
_RHYTHM_SAMPLES = 240
_RHYTHM_SEGMENTS = 6


def _rhythm(cr, frame: Frame, params, cx, cy, r, erratic: float, phase: float, fade: float) -> None:
    """A failing core's heartbeat traced around it, as a heart monitor traces one: a ring
    of light whose writing head sweeps once round every few seconds, each beat a spike
    outward. Its rhythm stays on screen, so a still shows the beats coming unevenly and
    the gaps where one was skipped, as the flares alone could not (a still between two of
    them shows none). The trail fades behind the head."""
    show = smoothstep(0.2, 0.6, erratic) * fade * params["intensity"]
    show *= 1.0 - smoothstep(0.6, 0.95, float(params["heat"]))  # the glare takes over
    if show <= 0.01:
        return
    n = _RHYTHM_SAMPLES
    trace = heartbeat_trace(frame, params["rate"], erratic, RHYTHM_SPAN, n, electrocardiogram)
    head = -0.5 * math.pi + 2 * math.pi * frame.cycles(1.0 / RHYTHM_SPAN)  # seamless in loops
    # The last twentieth of a turn stays dark: the gap between where the trace is being
    # written and where it was written a turn ago.
    angle = head - 0.95 * 2 * math.pi * (1.0 - np.arange(n) / (n - 1))
    radius = r * (1.12 + 0.42 * trace)
    xs = (cx + radius * np.cos(angle)).tolist()
    ys = (cy + radius * np.sin(angle)).tolist()
    colour = mix(params["colour"], frame.colour("alert"), min(1.0, 1.3 * erratic))
    step = (n - 1) / _RHYTHM_SEGMENTS
    for k in range(_RHYTHM_SEGMENTS):
        lo, hi = round(k * step), round((k + 1) * step)
        cr.move_to(xs[lo], ys[lo])
        for i in range(lo + 1, hi + 1):
            cr.line_to(xs[i], ys[i])
        age = 1.0 - (k + 1) / _RHYTHM_SEGMENTS
        neon_stroke(
            cr,
            colour,
            6.5 * frame.unit,
            alpha=show * (1.0 - 0.75 * age),
            heat=0.25,  # a coloured line: a white-hot one greys the climax's highlights
            light=frame.light,
        )
    cr.arc(xs[-1], ys[-1], 5.0 * frame.unit, 0, 2 * math.pi)  # the writing head
    cr.set_source_rgba(*mix(colour, WHITE, 0.6), show)
    cr.fill()
    _readout(cr, frame, params, cx, cy, r, erratic, phase, colour, show)


def _readout(
    cr, frame: Frame, params, cx, cy, r, erratic: float, phase: float, colour, show: float
) -> None:
    """The monitor's readout beside the trace, as on a ward's heart monitor: the rate of the
    beat just gone, jumping about as the rhythm fails ('---' for one that did not come),
    and ARRHYTHMIA blinking under it. `phase` is the failing heartbeat's (the core's)."""
    n = math.floor(phase - 0.42)
    steady = 60.0 * params["rate"]
    if beats(n + 0.5, erratic) < 1.0:
        bpm = "---"
    else:
        jump = np.random.default_rng(derive_seed(frame.scene.seed, "core-bpm", n)).uniform(-1, 1)
        bpm = str(round(steady * 2.0 ** (1.2 * erratic * jump)))
    right = cx - 1.02 * r  # clear of the trace, and in frame as the camera goes in
    lines = (
        ("CORE PULSE", 0.075 * r, 0.8),
        (f"BPM {bpm}", 0.13 * r, 1.0),
        ("ARRHYTHMIA", 0.085 * r, 1.0 if frame.wave(1.5) > 0.4 else 0.25),
    )
    y = cy - 0.95 * r
    for text, size, a in lines:
        # Stroked, not painted from draw.neon_text's cached masks: text this large under
        # the push-in's changing zoom costs more through the masks (3.2 against 2.0 ms).
        text_path(cr, text, right - text_width(text, size), y, size)
        neon_stroke(cr, colour, 0.12 * size, alpha=show * a, heat=0.3, light=frame.light)
        y += 1.6 * size


def draw(cr: cairo.Context, frame: Frame, params, core) -> None:
    cx, cy, r = frame.scene.layout.core
    r *= params["size"]
    heat = float(params["heat"])
    erratic = float(params["erratic"])
    # Breathing: a steady heartbeat that loses its rhythm as the machine fails: beats come
    # early and late (the beat's phase pushed about by slow noise), some are skipped, the
    # rest come harder; and the sphere visibly swells with each.
    beat, jitter = failing_heartbeat(frame, params["rate"], erratic)
    pulse = min(1.0, max(0.0, beat * (1 + 0.4 * erratic) + 0.25 * erratic * jitter))
    # Failing, each beat that comes is a flare: the heart blazes and the sphere lurches
    # outward, then dies down over FLARE_DECAY (a beat itself is a twentieth of
    # a cycle: most stills would miss it), so that frames a beat apart differ at a
    # glance. Hot, the core is bright already, and a flare would only whiten it.
    phase = heartbeat_phase(frame, params["rate"], erratic)
    # A skipped beat stalls it: the light at its heart all but goes out until the next.
    flare = stall = 0.0
    if erratic > 0:
        since = ((phase - 0.42) % 1.0) / max(params["rate"], 1e-6)  # seconds since a beat
        came = beats(math.floor(phase - 0.42) + 0.5, erratic)
        flare = erratic * math.exp(-since / FLARE_DECAY) * came * (1.0 - heat)
        stall = erratic * (1.0 - came) / 0.85 * (1.0 - heat)
    r *= 1 + 0.045 * pulse + 0.08 * flare + 0.02 * erratic * jitter
    split = float(params["split"])
    _mounts(cr, frame, cx, cy, r, heat)
    _feeds(cr, frame, params, cx, cy, r, heat, phase)
    if split <= 0.001:
        _pings(cr, frame, params, cx, cy, r, erratic, float(params["cracks"]), phase)
    _rhythm(cr, frame, params, cx, cy, r, erratic, phase, 1.0 - smoothstep(0.0, 0.3, split))
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
    # The chamber glows around the core. A flare widens the glow more than it brightens
    # it: at 0.3 a flare lit the close shot's darkest corners past bench_light's target.
    halo = mix(params["colour"], frame.colour("hot"), heat)
    radial_glow(
        cr,
        cx,
        cy,
        r * (1.6 + 0.15 * pulse + 0.8 * flare + 0.4 * heat),
        halo,
        (0.15 + 0.1 * pulse + 0.18 * flare + 0.12 * heat) * params["intensity"],
        frame.light,
    )
    if split <= 0.001:
        # Failing, it smoulders between its flares and blazes on them.
        glow = pulse * (1.0 - 0.6 * erratic * (1.0 - heat)) + 2.5 * flare
        _body(cr, frame, params, core, cx, cy, r, heat, glow, frame.light, stall=stall)
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
    fill_smooth(cr, low_res(cr, g, cx - 1.01 * r, cy - 1.01 * r, 2.02 * r, 2.02 * r), opaque=True)
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
    # The light seeping from the cracks was soft light on the whole sphere; on the halves
    # it is drawn sharp (the soft buffer is not clipped), so it fades in there as the halves
    # part, while soft light moving with each half fades out: no jump at the split.
    onset = 1.0 - smoothstep(0.0, 0.25, split) if frame.light is not None else 0.0
    _body(cr, frame, params, core, cx, cy, r, heat, pulse, None, 0.5 * (1.0 - onset))
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
        paint_group(cr, body, within=cr.copy_path_flat())  # clipped to the path
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
            mix(frame.colour("alert"), hot, 0.15),
            5 * frame.unit * (0.5 + split),
            alpha=min(0.9, 2 * split),  # more would clip to white in the 8-bit drawing
            heat=0.0,  # no white core: the lips glow red-hot
            light=frame.light,
        )
        cr.restore()
    radial_glow(
        cr, cx, cy, r * 1.3, mix(frame.colour("alert"), hot, 0.4), 0.25 * split, frame.light
    )
    if onset > 0.005 and float(params["cracks"]) > core["first"]:
        cracks = float(params["cracks"])
        glow = mix(frame.colour("glow"), frame.colour("hot"), 0.45 * heat)
        leak, _white = _leak_colours(frame, glow, heat)
        shown = _revealed(core, cracks, cx, cy, r, frame.unit)
        grown = smoothstep(core["first"], 1.0, cracks)
        for side in (-1, 1):
            cr.save()
            cr.transform(_half(side, cx, cy, r, gap, swing))
            _seep(cr, frame, core, shown, cx, cy, r, leak, heat, grown, frame.light, 0.5 * onset)
            cr.restore()
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
        "vessels": colour("vessels", "secondary", "the arteries feeding it, and their blood"),
        "intensity": number("intensity", 1.0, "brightness of the sphere and its halo", 0, 4),
        "rate": number("rate", 0.8, "heartbeat", 0, 10, "Hz"),
        "size": number("size", 1.0, "radius relative to the layout's", 0.05, 3),
    },
    doc="The core: breathing sphere, noise-driven spiderweb cracks, liquid light, split, the eye.",
    order=30,
    plane=0.5,
)
