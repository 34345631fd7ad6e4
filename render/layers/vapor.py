"""Vapor from the burst pipe, and the blank-faced phantoms standing in it.

The mist is domain-warped 4-D opensimplex noise sampled on a coarse grid
(GRID cells along the frame's shorter side) and upsampled by cairo's bilinear
filter, so it costs the same at 480p and 4K and has no per-pixel Python. Time
enters as a point on a circle for loops, so the mist repeats seamlessly.
"""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.camera import to_plane
from render.color import mix
from render.draw import additive, band_path, paint_resampled, radial_glow
from render.jit import kernel
from render.layers.chamber import LAYER as CHAMBER, burst_point, steam
from render.noise import warped_noise
from render.params import colour, track
from render.scene import Frame, Layer, Scene
from render.story import smoothstep
from render.surface import pixels

# Cells along the shorter side. 72 cells looked the same as 54 in the 1/8-resolution soft
# light (mean difference 1/255) for twice the noise; the strands, also painted sharp, are
# a few cells wide, so 54 still draws them smooth.
GRID = 54
PLANE = 0.85  # the mist's depth: in front of the panels, behind the hands
CHAMBER_PLANE = CHAMBER.plane


def build(scene: Scene) -> dict:
    rng = scene.rng("phantoms")
    w, h = scene.width, scene.height
    cx, cy, r = scene.layout.core
    figures = []
    # Five figures at different depths: the far ones smaller and standing higher on the
    # floor, none in the middle where the core is, no two alike.
    slots = (
        [(0.12, 1.0), (0.27, 0.72), (0.36, 0.55), (0.74, 1.6), (0.9, 0.8)]
        if not scene.layout.portrait
        else [(0.15, 1.0), (0.35, 0.7), (0.62, 0.8), (0.85, 0.95)]
    )
    for k, (sx, near) in enumerate(slots):
        tall = (0.44 if not scene.layout.portrait else 0.26) * h * near
        figures.append(
            {
                "x": sx * w + float(rng.normal(0, 0.015 * w)),
                "y": (0.9 + 0.09 * near) * h,
                "height": float(rng.uniform(0.9, 1.08)) * tall,
                "broad": float(rng.uniform(0.85, 1.2)),
                "turner": k == 3,
                "phase": float(rng.random()),
                "delay": 0.1 + 0.5 * float(rng.random()),
                "near": near,
            }
        )
    return {"figures": figures, "noise": scene.noise("vapor"), "warp": scene.noise("vapor-warp")}


def mist_field(
    frame: Frame, built: dict, gw: int, gh: int, where: np.ndarray | None = None
) -> np.ndarray:
    """Mist density in 0..1 on a gw x gh grid: domain-warped noise, so it curls; with
    `where` (a boolean (gh, gw) mask), only there (elsewhere as if the noise were 0)."""
    scale = 4.5 / max(gw, gh)  # broad curls: fingers of vapor, not a fine haze
    xs = np.arange(gw) * scale
    ys = np.arange(gh) * scale
    field = warped_noise(
        built["noise"], built["warp"], xs, ys, frame.time_point(0.12), warp=1.1, where=where
    )
    # Ridged: bright where the noise crosses zero, so it gathers into curling strands
    # (fingers of vapor) over a fainter body of mist.
    strands = np.clip(1.0 - 4.0 * np.abs(field), 0.0, 1.0) ** 2
    body = np.clip(0.4 + 1.2 * field, 0.0, 1.0) ** 1.5
    return np.clip(0.2 * body + 0.85 * strands, 0.0, 1.0)


def _mist(
    cr: cairo.Context, frame: Frame, built: dict, fog: float, colour
) -> tuple[cairo.Pattern, np.ndarray]:
    """The mist as a cairo pattern in frame coordinates (a coarse grid, smoothly scaled)."""
    scene = frame.scene
    w, h = scene.width, scene.height
    cell = min(w, h) / GRID
    gw, gh = int(math.ceil(w / cell)) + 1, int(math.ceil(h / cell)) + 1
    # The vapor spreads from the burst pipe across the floor and up the room.
    bx, by = burst_point(scene)
    yy, xx = np.mgrid[0:gh, 0:gw] * cell
    reach = fog * 0.95 * max(w, h)  # it rolls out from the pipe; it does not fill the room
    dist = np.hypot((xx - bx) * 0.8, (yy - by) * 1.4)
    spread = np.clip(1.0 - dist / max(reach, 1e-6), 0.0, 1.0) ** 0.7
    density = mist_field(frame, built, gw, gh, where=spread > 0.0)  # (none beyond its reach)
    floor = np.clip((yy / h - 0.35) / 0.65, 0.0, 1.0) ** 0.8
    a = density**1.4 * spread * (0.5 + 0.5 * floor) * fog
    a = np.clip(a * 1.3, 0.0, 0.8)
    # Premultiplied BGRA for cairo.
    img = np.empty((gh, gw, 4), np.uint8)
    for i, c in enumerate((colour[2], colour[1], colour[0])):
        img[..., i] = (a * c * 255).astype(np.uint8)
    img[..., 3] = (a * 255).astype(np.uint8)
    surf = cairo.ImageSurface.create_for_data(memoryview(img), cairo.FORMAT_ARGB32, gw, gh, gw * 4)
    pat = cairo.SurfacePattern(surf)
    pat.set_filter(cairo.FILTER_GOOD)
    pat.set_extend(cairo.EXTEND_PAD)
    pat.set_matrix(cairo.Matrix(xx=1 / cell, yy=1 / cell))
    return pat, img  # the caller holds the pixels while cairo reads them


def _body_path(cr: cairo.Context, x: float, base: float, H: float, broad: float) -> None:
    """Squared shoulders, a neck, a long uniform coat: the dreamer's own uniform."""
    top = base - H
    b = broad
    cr.move_to(x - 0.15 * b * H, base)
    cr.line_to(x - 0.175 * b * H, top + 0.55 * H)
    cr.curve_to(
        x - 0.2 * b * H, top + 0.3 * H, x - 0.215 * b * H, top + 0.22 * H,
        x - 0.12 * b * H, top + 0.2 * H,
    )  # fmt: skip
    cr.line_to(x - 0.045 * H, top + 0.19 * H)
    cr.line_to(x - 0.04 * H, top + 0.14 * H)
    cr.line_to(x + 0.04 * H, top + 0.14 * H)
    cr.line_to(x + 0.045 * H, top + 0.19 * H)
    cr.line_to(x + 0.12 * b * H, top + 0.2 * H)
    cr.curve_to(
        x + 0.215 * b * H, top + 0.22 * H, x + 0.2 * b * H, top + 0.3 * H,
        x + 0.175 * b * H, top + 0.55 * H,
    )  # fmt: skip
    cr.line_to(x + 0.15 * b * H, base)
    cr.close_path()


# The profile of a smooth blank head, as bumps on its outline at angles from straight
# ahead (radians, down positive): brow, nose, lips, chin; smooth, nothing notched.
_PROFILE = ((-0.5, 0.1, 0.25), (-0.02, 0.24, 0.17), (0.3, 0.06, 0.14), (0.62, 0.1, 0.2))
_HEAD_ANGLES = np.linspace(-math.pi, math.pi, 73)[:-1]


def _head_outline(hx: float, hy: float, hr: float, facing: float, turn: float) -> np.ndarray:
    """The head's outline: in profile (turn 0) a long skull with brow, nose and chin
    standing out toward `facing`; turned to us (turn 1) a smooth oval. The bumps sink
    into the outline as it turns, as a nose does when a head comes round."""
    th = _HEAD_ANGLES
    side = 1.0 - turn
    rx = hr * (0.8 + 0.12 * side)
    radius = np.ones_like(th)
    for at, size, width in _PROFILE:
        d = (th - at + math.pi) % (2 * math.pi) - math.pi
        radius = radius + side * size * np.exp(-((d / width) ** 2))
    xs = hx + facing * np.cos(th) * rx * radius
    ys = hy + np.sin(th) * hr * radius
    return np.stack([xs, ys], axis=1)


def _turner_head(
    cr: cairo.Context, frame: Frame, hx, hy, hr, facing: float, alpha, lit, turn: float
) -> None:
    """The phantom that turns: held in profile toward the core, its brow and nose lit along
    the edge; then it turns its blank, smooth, featureless face full on us and stares,
    the face catching the core's light."""
    u = frame.unit
    pts = _head_outline(hx, hy, hr, facing, turn)
    xs, ys = pts[:, 0].tolist(), pts[:, 1].tolist()

    def outline() -> None:
        cr.move_to(xs[0], ys[0])
        for px, py in zip(xs[1:], ys[1:], strict=True):
            cr.line_to(px, py)
        cr.close_path()

    # A dark solid head: a clear silhouette against the mist.
    outline()
    frame.cover(cr, 0.8 * alpha)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.8 * alpha)
    cr.fill()
    # The face: the lit part of the head, a sliver along the profile that widens and
    # swings to the middle as the head comes round, pale and smooth, no features at all.
    cr.save()
    outline()
    cr.clip()
    additive(cr)
    centre = hx + facing * (1.0 - turn) * 0.85 * hr
    half = (0.3 + 0.35 * turn) * hr
    pale = mix(lit, (1.0, 1.0, 1.0), 0.55 + 0.2 * turn)
    g = cairo.RadialGradient(centre, hy - 0.15 * hr, 0, centre, hy, 1.1 * hr)
    g.add_color_stop_rgba(0, *pale, (0.75 + 0.15 * turn) * alpha)
    g.add_color_stop_rgba(0.6, *pale, (0.5 + 0.15 * turn) * alpha)
    g.add_color_stop_rgba(1, *lit, 0.05 * alpha)
    cr.save()
    cr.translate(centre, hy + 0.05 * hr)
    cr.scale(half / hr, 0.9)
    cr.arc(0, 0, hr, 0, 2 * math.pi)
    cr.restore()
    cr.set_source(g)
    cr.fill()
    # Turned to us, the smooth face has only the faint relief of a nose's ridge and a
    # brow: enough to show it faces out, nothing to see by.
    if turn > 0.3:
        f = smoothstep(0.3, 1.0, turn) * alpha
        cr.set_operator(cairo.OPERATOR_OVER)
        # Blank and smooth, as the story has it: no eyes, no nose, only the faintest
        # shading of a brow (audiences read hollows and a ridge as a face).
        for ox, oy, sx, sy, shade in ((0.0, -0.12, 0.6, 0.2, (0, 0, 0, 0.12 * f)),):
            px, py, sx, sy = centre + ox * hr, hy + oy * hr, sx * hr, sy * hr
            cr.save()
            cr.translate(px, py)
            cr.scale(sx, sy)
            cr.arc(0, 0, 1, 0, 2 * math.pi)
            cr.restore()
            soft = cairo.RadialGradient(0, 0, 0, 0, 0, 1)
            soft.add_color_stop_rgba(0, *shade)
            soft.add_color_stop_rgba(1, *shade[:3], 0.0)
            soft.set_matrix(cairo.Matrix(xx=1 / sx, yy=1 / sy, x0=-px / sx, y0=-py / sy))
            cr.set_source(soft)
            cr.fill()
    cr.restore()
    # Its outline, lit on the side toward the light: the profile's brow and nose stand out.
    outline()
    additive(cr)
    edge = cairo.LinearGradient(hx - facing * hr, 0, hx + facing * hr, 0)
    edge.add_color_stop_rgba(0, *lit, 0.3 * alpha)
    edge.add_color_stop_rgba(1, *mix(lit, (1.0, 1.0, 1.0), 0.4), 0.95 * alpha)
    cr.set_source(edge)
    cr.set_line_width(1.8 * u)
    cr.stroke()
    # Staring: the face glows in the mist.
    radial_glow(cr, hx, hy, 3.2 * hr, lit, (0.12 + 0.3 * turn) * alpha, frame.light)


def _rim(x: float, H: float, facing: float, lit, alpha: float) -> cairo.LinearGradient:
    """Light on a phantom's outline, none on the side away from the core, full on the side
    toward it: soft light in the mist, kept in the raster where the camera's focus blurs
    it (never crisp vector strokes in print)."""
    g = cairo.LinearGradient(x - facing * 0.25 * H, 0, x + facing * 0.25 * H, 0)
    g.add_color_stop_rgba(0, *lit, 0.0)
    g.add_color_stop_rgba(1, *lit, alpha)
    return g


def _stroke_rim(cr: cairo.Context, rim: cairo.LinearGradient) -> None:
    """``cr.set_source(rim); cr.stroke()`` with cr's operator (ADD). Pixman shades a
    gradient stroke over the stroke's whole box (a phantom's outline: ~210x460 pixels,
    0.55-0.6 ms at 1080p, against 0.15 solid); on a raster target the outline is stroked
    solid into a mask instead, and the gradient worked out, as pixman makes its bytes,
    only on the pixels the stroke covers."""
    target = cr.get_group_target()
    stops = rim.get_color_stops_rgba()
    if (
        not isinstance(target, cairo.ImageSurface)
        or target.get_format() != cairo.FORMAT_ARGB32
        or target.get_device_scale() != (1.0, 1.0)
        or cr.get_operator() != cairo.OPERATOR_ADD
        or rim.get_extend() != cairo.EXTEND_PAD
        or len(stops) != 2
        or stops[0][0] != 0.0
        or stops[1][0] != 1.0
        or stops[0][1:4] != stops[1][1:4]
    ):
        cr.set_source(rim)
        cr.stroke()
        return
    m = cr.get_matrix()
    # The path's box, grown by as far as a stroke can reach beyond it: half the width, or a
    # mitred corner's point (cheaper than stroke_extents, which strokes the path).
    ux0, uy0, ux1, uy1 = cr.path_extents()
    reach = 0.5 * cr.get_line_width() * max(cr.get_miter_limit(), 1.0) + 1.0
    ux0, uy0, ux1, uy1 = ux0 - reach, uy0 - reach, ux1 + reach, uy1 + reach
    corners = [cr.user_to_device(u, v) for u in (ux0, ux1) for v in (uy0, uy1)]
    ox, oy = target.get_device_offset()
    x0 = max(math.floor(min(p[0] for p in corners)) - 1, math.floor(-ox))
    y0 = max(math.floor(min(p[1] for p in corners)) - 1, math.floor(-oy))
    x1 = min(math.ceil(max(p[0] for p in corners)) + 1, math.ceil(target.get_width() - ox))
    y1 = min(math.ceil(max(p[1] for p in corners)) + 1, math.ceil(target.get_height() - oy))
    if x1 <= x0 or y1 <= y0:
        cr.new_path()
        return
    w, h = x1 - x0, y1 - y0
    mask = cairo.ImageSurface(cairo.FORMAT_A8, w, h)
    mc = cairo.Context(mask)
    mc.set_matrix(m.multiply(cairo.Matrix(x0=-x0, y0=-y0)))
    mc.set_line_width(cr.get_line_width())
    mc.set_line_cap(cr.get_line_cap())
    mc.set_line_join(cr.get_line_join())
    mc.set_miter_limit(cr.get_miter_limit())
    mc.set_tolerance(cr.get_tolerance())
    mc.set_antialias(cr.get_antialias())
    mc.append_path(cr.copy_path())
    cr.new_path()
    mc.stroke()
    mask.flush()
    stride = mask.get_stride()
    cover = np.ndarray((h, stride), np.uint8, mask.get_data())  # (stride >= w)
    # t along the gradient at the pixels' centres (device -> user -> pattern): t = a x + b y
    # + c at mask pixel (x, y).
    to_pattern = cairo.Matrix(*m)
    to_pattern.invert()
    to_pattern = to_pattern.multiply(rim.get_matrix())
    px0, py0, px1, py1 = rim.get_linear_points()
    dx, dy = px1 - px0, py1 - py0
    norm = dx * dx + dy * dy  # (the rim's is never 0: its ends are half a figure apart)

    def t_at(x: float, y: float) -> float:
        u, v = to_pattern.transform_point(x, y)
        return ((u - px0) * dx + (v - py0) * dy) / norm

    c = t_at(x0 + 0.5, y0 + 0.5)
    a, b = t_at(x0 + 1.5, y0 + 0.5) - c, t_at(x0 + 0.5, y0 + 1.5) - c
    # The stops as cairo hands them to pixman: 16-bit alphas and colour.
    alphas = np.array([round(st[4] * 65535.0) for st in stops], np.float64)
    colour = np.array([round(ch * 65535.0) for ch in stops[0][3:0:-1]], np.float64)  # B, G, R
    px, py = x0 + round(ox), y0 + round(oy)  # the box in the target's pixels
    if _unclipped(cr, x0, y0, x1, y1) and (ox, oy) == (round(ox), round(oy)):
        # Added straight into the target's pixels (what an ADD of them does), saturating.
        frame_pixels = pixels(target)
        _shade_rim(frame_pixels[py : py + h, px : px + w], cover, a, b, c, alphas, colour, True)
        target.mark_dirty_rectangle(px, py, w, h)
        return
    out = np.zeros((h, w, 4), np.uint8)
    _shade_rim(out, cover, a, b, c, alphas, colour, False)
    picture = cairo.ImageSurface.create_for_data(memoryview(out), cairo.FORMAT_ARGB32, w, h, w * 4)
    cr.save()
    cr.identity_matrix()
    cr.set_source_surface(picture, x0, y0)
    cr.rectangle(x0, y0, w, h)
    cr.fill()
    cr.restore()


def _unclipped(cr: cairo.Context, x0: int, y0: int, x1: int, y1: int) -> bool:
    """Whether cr's clip lets all of the device box (x0, y0)-(x1, y1) through."""
    cr.save()
    cr.identity_matrix()
    try:
        rects = cr.copy_clip_rectangle_list()
    except cairo.Error:
        rects = []
    finally:
        cr.restore()
    return any(
        r.x <= x0 and r.y <= y0 and r.x + r.width >= x1 and r.y + r.height >= y1 for r in rects
    )


@kernel()
def _shade_rim(out, cover, a, b, c, alphas, colour, add):  # pragma: no cover - compiled
    """Premultiplied BGRA bytes into `out` (H, W, 4), added to what is there, saturating,
    if `add`, else written (over zeros where nothing is covered): a two-stop padded linear
    gradient of one colour, t = a x + b y + c at pixel (x, y), through the coverage
    `cover` (H rows of whole 4-byte words, W bytes or more: an A8 surface's), as pixman
    composites a gradient through a stroke's mask: t in 16.16 fixed point, the stops'
    16-bit alphas (`alphas`) and colour (B, G, R, `colour`) blended in floats and
    rounded to bytes, then multiplied by the coverage byte, rounded."""
    to_byte, to_unit = np.float32(1.0 / 257.0), np.float32(1.0 / 255.0)
    a0 = np.float32(alphas[0]) * to_byte
    slope = np.float32(alphas[1]) * to_byte - a0
    blue = np.float32(colour[0]) * to_byte * to_unit
    green = np.float32(colour[1]) * to_byte * to_unit
    red = np.float32(colour[2]) * to_byte * to_unit
    half = np.float32(0.5)
    words = cover.view(np.uint32)  # four mask bytes at a time: most of the box is bare
    for y in range(out.shape[0]):
        for q in range(words.shape[1]):
            if words[y, q] == 0:
                continue
            for x in range(4 * q, min(4 * q + 4, out.shape[1])):
                m = np.uint32(cover[y, x])
                if m == 0:
                    continue
                t = min(max(a * x + b * y + c, 0.0), 1.0)
                f = np.float32(np.int64(t * 65536.0)) * np.float32(1.0 / 65536.0)
                al = slope * f + a0
                for k, v in enumerate((al * blue, al * green, al * red, al)):
                    p = np.uint32(v + half) * m + np.uint32(128)
                    p = (p + (p >> np.uint32(8))) >> np.uint32(8)
                    if add:
                        p = min(p + np.uint32(out[y, x, k]), np.uint32(255))
                    out[y, x, k] = p


def _figure(
    cr: cairo.Context, frame: Frame, fig: dict, alpha: float, lit, turning: float
) -> None:
    """A phantom: a dark figure standing in the lit mist, seen as a shape against it, its
    edge lit on the side facing the core and a glow of mist around it; it drifts and
    wavers like heat haze. One turns its head and shows a smooth blank face."""
    scene = frame.scene
    x, base, H = fig["x"], fig["y"], fig["height"]
    head_r = 0.085 * H
    top = base - H
    u = frame.unit
    # They drift slowly and waver: a shear and a sway that breathe with their own phase.
    t = frame.cycles(0.05) + fig["phase"]
    # The one that turns stands still, against the core's light.
    drift = 0.25 if fig["turner"] else 1.0
    x += 0.03 * scene.width * math.sin(2 * math.pi * t) * fig["near"] * drift
    shear = 0.06 * math.sin(2 * math.pi * (frame.cycles(0.3) + fig["phase"]))
    cx = scene.layout.core[0]
    facing = 1.0 if cx > x else -1.0
    hx, hy = x, top + 0.08 * H
    cr.save()
    cr.translate(x, base)
    cr.transform(cairo.Matrix(1.0, 0.0, shear, 1.0, 0.0, 0.0))
    cr.translate(-x, -base)
    # The mist glowing behind and around it, so the dark shape stands out from it.
    soft = frame.soft(cr)
    gy, reach = top + 0.35 * H, 0.75 * H
    glow = cairo.RadialGradient(x, gy, 0, x, gy, reach)
    glow.add_color_stop_rgba(0, *lit, 0.5 * alpha)
    glow.add_color_stop_rgba(1, *lit, 0.0)
    additive(soft)
    soft.set_source(glow)
    # Only around its disc (beyond it the gradient adds nothing): a paint of the whole
    # buffer shaded every pixel of it.
    reach += 0.1 * H
    soft.rectangle(x - reach, gy - reach, 2 * reach, 2 * reach)
    soft.fill()
    # The body and head: a dark shape, nearly opaque, hiding the light behind it.
    _body_path(cr, x, base, H, fig["broad"])
    if not fig["turner"]:
        cr.new_sub_path()
        cr.save()
        cr.translate(hx, hy)
        cr.scale(0.8, 1.0)
        cr.arc(0, 0, head_r, 0, 2 * math.pi)
        cr.restore()
    path = cr.copy_path()
    frame.cover(cr, 0.9 * alpha)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.9 * alpha)
    cr.fill()
    # Its edge, lit on the side toward the core: a thin line of light, none on the far side.
    cr.append_path(path)
    additive(cr)
    bright = 1.6 if fig["turner"] else 1.0
    cr.set_line_width(1.6 * u * bright)
    _stroke_rim(cr, _rim(x, H, facing, lit, 0.55 * alpha * bright))
    if frame.raster:  # (a print has them from the raster: the vapor adds no vectors)
        _uniform(cr, frame, x, top, H, fig["broad"], facing, alpha * bright, lit)
    if fig["turner"]:
        _turner_head(cr, frame, hx, hy, head_r * 1.15, facing, alpha, lit, turning)
    cr.restore()


def _uniform(cr, frame: Frame, x: float, top: float, H: float, broad: float, facing: float,
             alpha: float, lit) -> None:  # fmt: skip
    """What makes the dark shape a uniform: a standing collar, shoulder boards catching the
    light, the coat's closure down its front, and on each a small lit badge in the alert
    colour at the chest, the same on every one of them."""
    u = frame.unit
    b = broad * H
    for s in (-1, 1):  # shoulder boards, from the collar out along each shoulder
        cr.move_to(x + s * 0.05 * H, top + 0.185 * H)
        cr.line_to(x + s * 0.115 * b, top + 0.2 * H)
    cr.move_to(x - 0.045 * H, top + 0.19 * H)  # the collar's lower edge
    cr.line_to(x, top + 0.235 * H)
    cr.line_to(x + 0.045 * H, top + 0.19 * H)
    cr.move_to(x, top + 0.235 * H)  # the closure
    cr.line_to(x + 0.01 * H, top + 0.95 * H)
    cr.set_source_rgba(*lit, 0.35 * alpha)
    cr.set_line_width(1.4 * u)
    cr.stroke()
    bx, by = x + facing * 0.075 * b, top + 0.3 * H  # the badge, on the side toward the core
    cr.rectangle(bx - 0.022 * H, by - 0.008 * H, 0.044 * H, 0.016 * H)
    cr.set_source_rgba(*frame.colour("alert"), min(1.0, 0.9 * alpha))
    cr.fill()
    radial_glow(cr, bx, by, 0.05 * H, frame.colour("alert"), 0.4 * alpha, frame.light)


# Mist reaching for the dreamer: a hand of fingers rising out of the fog on each side,
# (base x, base y as fractions of the frame; the fan's middle angle, radians; the side its
# fingers curl toward, 1 clockwise; length as a fraction of the height).
GRASPS = ((-0.02, 0.8, -0.3, 1.0, 0.5), (1.02, 0.74, -2.85, -1.0, 0.44))
_FINGER_STEPS = 24
_FINGER_WIDTHS, _FINGER_ALPHAS = (1.7, 1.0, 0.45), (0.12, 0.16, 0.16)


def _grasp(cr: cairo.Context, frame: Frame, fog: float, colour) -> None:
    """Fingers of mist: each a tapering curl of vapor rising from the fog, swaying, its tip
    curling in as the fingers close and opening again, slowly, like a hand grasping."""
    reach = smoothstep(0.15, 0.7, fog)
    if reach <= 0.01:
        return
    w, h, u = frame.scene.width, frame.scene.height, frame.unit
    noise = frame.scene.noise("vapor-fingers")
    additive(cr)
    s = np.linspace(0.0, 1.0, _FINGER_STEPS + 1)
    lit = mix(colour, (1.0, 1.0, 1.0), 0.25)
    fingers = []  # each finger's centre line, its unit normals and its half-width
    wisps = []
    for g, (bx, by, mid, turn, length) in enumerate(GRASPS):
        close = 0.5 - 0.5 * math.cos(2 * math.pi * (frame.cycles(0.22) + 0.5 * g))
        for k in range(4):
            sway = noise.noise3(3.0 * g + k, *frame.time_point(0.3))
            start = mid + turn * (k - 1.5) * 0.38 + 0.2 * sway
            bend = turn * (0.5 + 2.6 * close * (0.7 + 0.1 * k)) * s**2
            angle = start + bend + 0.15 * sway * np.sin(3 * s)
            step = (0.8 + 0.12 * (k % 2)) * length * h * reach / _FINGER_STEPS
            run = step * np.cumsum(np.stack([np.cos(angle[:-1]), np.sin(angle[:-1])], axis=1), 0)
            centre = np.vstack([np.zeros((1, 2)), run])
            centre += (bx * w, by * h + turn * 0.05 * (k - 1.5) * h)
            half = 0.026 * h * (1.0 - s) ** 0.8 + 1.5 * u
            normal = np.hstack([-np.sin(angle)[:, None], np.cos(angle)[:, None]])
            fingers.append((centre, normal, half))
            wisps += [(centre + off * half[:, None] * normal)[:-3].tolist() for off in (-0.45, 0.2)]
    # Their bodies: nested fills, densest along the middle, so each edge is soft (in the
    # low-resolution light a finger this thin would alias at small sizes); one fill each
    # for all the fingers, where two cross no brighter than one.
    for width, alpha in zip(_FINGER_WIDTHS, _FINGER_ALPHAS, strict=True):
        for centre, normal, half in fingers:
            band_path(cr, centre, normal, half, width, -width)
        cr.set_source_rgba(*colour, alpha * reach)
        cr.fill()
    # Wisps along them: strands of the vapor, sharp.
    for pts in wisps:
        cr.move_to(*pts[0])
        for q in pts[1:]:
            cr.line_to(*q)
    cr.set_source_rgba(*lit, 0.5 * reach)
    cr.set_line_width(1.3 * u)
    cr.stroke()


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    fog = float(params["fog"])
    phantoms = float(params["phantoms"])
    if fog <= 0.005 and phantoms <= 0.005:
        return
    colour = params["colour"]
    # Mist behind the figures silhouettes them; a thinner veil in front sets them in it.
    mist, _pixels = _mist(cr, frame, built, fog, colour) if fog > 0.005 else (None, None)
    soft = frame.soft(cr)
    if mist is not None:
        additive(soft)
        soft.set_source(mist)
        soft.paint_with_alpha(0.5)
        if frame.raster:
            # Its strands drawn sharp as well: at the light buffer's eighth of the frame
            # they smeared into a haze, and the vapor's fingers are its whole point.
            cell = min(frame.scene.width, frame.scene.height) / GRID
            additive(cr)
            paint_resampled(cr, (_pixels * 0.45).astype(np.uint8), cairo.Matrix(cell, 0, 0, cell))
        # The burst pipe's steam billows into the room in front of everything, from where
        # the gash is on screen (the pipe is on the back wall's plane, this on the mist's).
        bx, by = to_plane(frame, *burst_point(frame.scene), CHAMBER_PLANE, PLANE)
        steam(cr, frame, bx, by, float(params["vent"]))
    if phantoms > 0.005:
        flick = frame.rng("phantom-flicker")
        lit = mix(colour, frame.colour("primary"), 0.5)
        for fig in built["figures"]:
            # They appear one by one as the phantoms come, and flicker.
            shown = min(1.0, max(0.0, (phantoms - fig["delay"] * 0.6) / 0.4))
            a = shown * (0.8 + 0.2 * flick.random())
            if a > 0.005:
                _figure(cr, frame, fig, a, lit, float(params["turn"]))
    if mist is not None:
        # A veil in front, and the fog rolling along the floor, thickest low down, where
        # the figures stand in it to their knees.
        h = frame.scene.height
        soft = frame.soft(cr)
        additive(soft)
        soft.set_source(mist)
        low = cairo.LinearGradient(0, 0.55 * h, 0, h)
        low.add_color_stop_rgba(0, 0, 0, 0, 0.3)
        low.add_color_stop_rgba(1, 0, 0, 0, 0.3 + 0.9 * min(1.0, 1.5 * fog))
        soft.mask(low)
        if frame.raster:  # (a print's vector pass adds no vapor strokes)
            _grasp(cr, frame, fog, colour)
        # Light scattering in the vapor around the core.
        cx, cy, r = frame.scene.layout.core
        radial_glow(cr, cx, cy, 2.2 * r, colour, 0.1 * fog, frame.light)


LAYER = Layer(
    name="vapor",
    draw=draw,
    build=build,
    params={
        "fog": track("fog", "density of the mist"),
        "vent": track("vent", "the burst pipe's blast of steam"),
        "phantoms": track("phantoms", "presence of the figures in it"),
        "turn": track("turn", "one figure turning its head to stare out", "phantom_turn"),
        "colour": colour("colour", "glow", "the mist and the figures' rims"),
    },
    doc="Noise-driven mist venting from the burst pipe; blank-faced phantoms standing in it.",
    order=50,
    plane=PLANE,
)
