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

from render.color import mix
from render.draw import additive, radial_glow
from render.layers.chamber import burst_point
from render.noise import warped_noise
from render.params import colour, track
from render.scene import Frame, Layer, Scene

# Cells along the shorter side. The mist goes through the 1/8-resolution soft light, and
# 72 cells looked the same as 54 there (mean difference 1/255) for twice the noise.
GRID = 54


def build(scene: Scene) -> dict:
    rng = scene.rng("phantoms")
    w, h = scene.width, scene.height
    cx, cy, r = scene.layout.core
    figures = []
    slots = [0.14, 0.27, 0.73, 0.86] if not scene.layout.portrait else [0.15, 0.38, 0.62, 0.85]
    for k, sx in enumerate(slots):
        tall = 0.42 * h if not scene.layout.portrait else 0.25 * h
        scale = float(rng.uniform(0.85, 1.1)) * tall
        figures.append(
            {
                "x": sx * w + float(rng.normal(0, 0.015 * w)),
                "y": 0.98 * h,
                "height": scale,
                "turner": k == 1,
                "phase": float(rng.random()),
            }
        )
    return {"figures": figures, "noise": scene.noise("vapor"), "warp": scene.noise("vapor-warp")}


def mist_field(frame: Frame, built: dict, gw: int, gh: int) -> np.ndarray:
    """Mist density in 0..1 on a gw x gh grid: domain-warped noise, so it curls."""
    scale = 7.0 / max(gw, gh)
    xs = np.arange(gw) * scale
    ys = np.arange(gh) * scale
    field = warped_noise(built["noise"], built["warp"], xs, ys, frame.time_point(0.12), warp=1.1)
    return np.clip(0.45 + 1.2 * field, 0.0, 1.0) ** 1.5


def _mist(
    cr: cairo.Context, frame: Frame, built: dict, fog: float, colour
) -> tuple[cairo.Pattern, np.ndarray]:
    """The mist as a cairo pattern in frame coordinates (a coarse grid, smoothly scaled)."""
    scene = frame.scene
    w, h = scene.width, scene.height
    cell = min(w, h) / GRID
    gw, gh = int(math.ceil(w / cell)) + 1, int(math.ceil(h / cell)) + 1
    density = mist_field(frame, built, gw, gh)
    # The vapor spreads from the burst pipe across the floor and up the room.
    bx, by = burst_point(scene)
    yy, xx = np.mgrid[0:gh, 0:gw] * cell
    reach = fog * 1.6 * max(w, h)
    dist = np.hypot((xx - bx) * 0.8, (yy - by) * 1.4)
    spread = np.clip(1.0 - dist / max(reach, 1e-6), 0.0, 1.0) ** 0.7
    floor = np.clip((yy / h - 0.35) / 0.65, 0.0, 1.0) ** 0.8
    a = density**1.4 * spread * (0.5 + 0.5 * floor) * fog
    a = np.clip(a * 0.9, 0.0, 0.7)
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


def _figure(cr: cairo.Context, frame: Frame, fig: dict, alpha: float, rim) -> None:
    """A standing figure in a uniform like the dreamer's; a smooth blank oval for a face."""
    x, base, H = fig["x"], fig["y"], fig["height"]
    head_r = 0.07 * H
    top = base - H
    u = frame.unit
    sway = 0.01 * H * math.sin(2 * math.pi * (frame.cycles(0.15) + fig["phase"]))
    x += sway
    cr.save()
    cr.set_operator(cairo.OPERATOR_OVER)
    # Body: squared shoulders, a neck, a long uniform coat; no detail, dark against the mist.
    cr.move_to(x - 0.15 * H, base)
    cr.line_to(x - 0.175 * H, top + 0.55 * H)
    cr.curve_to(
        x - 0.2 * H, top + 0.3 * H, x - 0.215 * H, top + 0.22 * H, x - 0.12 * H, top + 0.2 * H
    )
    cr.line_to(x - 0.045 * H, top + 0.19 * H)
    cr.line_to(x - 0.04 * H, top + 0.14 * H)
    cr.line_to(x + 0.04 * H, top + 0.14 * H)
    cr.line_to(x + 0.045 * H, top + 0.19 * H)
    cr.line_to(x + 0.12 * H, top + 0.2 * H)
    cr.curve_to(
        x + 0.215 * H, top + 0.22 * H, x + 0.2 * H, top + 0.3 * H, x + 0.175 * H, top + 0.55 * H
    )
    cr.line_to(x + 0.15 * H, base)
    cr.close_path()
    # the figure hides the light behind it, mist included
    frame.cover(cr, 0.75 * alpha)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.75 * alpha)
    cr.fill_preserve()
    additive(cr)
    cr.set_source_rgba(*rim, 0.35 * alpha)
    cr.set_line_width(1.5 * u)
    cr.stroke()
    # Head; the one that turns shows its blank face.
    hx, hy = x, top + 0.08 * H
    turn = 0.0
    if fig["turner"]:
        turn = min(1.0, max(0.0, frame.wave(0.08, fig["phase"]) * 1.6 - 0.3))
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.save()
    cr.translate(hx, hy)
    cr.scale(0.8, 1.0)
    cr.arc(0, 0, head_r, 0, 2 * math.pi)
    cr.restore()
    frame.cover(cr, 0.8 * alpha)
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.8 * alpha)
    cr.fill()
    if turn > 0:
        # The face: smooth, featureless, catching the light.
        cr.save()
        cr.translate(hx + (1 - turn) * 0.3 * head_r, hy)
        cr.scale(0.55 * (0.3 + 0.7 * turn), 0.85)
        g = cairo.RadialGradient(0, -0.2 * head_r, 0, 0, 0, head_r)
        g.add_color_stop_rgba(0, *mix(rim, (1, 1, 1), 0.6), 0.7 * alpha * turn)
        g.add_color_stop_rgba(1, *rim, 0.1 * alpha * turn)
        cr.arc(0, 0, head_r, 0, 2 * math.pi)
        cr.set_source(g)
        cr.fill()
        cr.restore()
    cr.restore()
    cr.save()
    cr.translate(hx, hy)
    cr.scale(0.8, 1.0)
    cr.arc(0, 0, head_r, 0, 2 * math.pi)
    cr.restore()
    additive(cr)
    cr.set_source_rgba(*rim, 0.45 * alpha)
    cr.set_line_width(1.5 * u)
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
        soft.paint_with_alpha(0.8)
    if phantoms > 0.005:
        flick = frame.rng("phantom-flicker")
        for fig in built["figures"]:
            a = phantoms * (0.75 + 0.25 * flick.random())
            _figure(cr, frame, fig, a, colour)
    if mist is not None:
        soft = frame.soft(cr)
        additive(soft)
        soft.set_source(mist)
        soft.paint_with_alpha(0.3)
        # Light scattering in the vapor around the core.
        cx, cy, r = frame.scene.layout.core
        radial_glow(cr, cx, cy, 2.2 * r, colour, 0.1 * fog, frame.light)


LAYER = Layer(
    name="vapor",
    draw=draw,
    build=build,
    params={
        "fog": track("fog", "density of the mist"),
        "phantoms": track("phantoms", "presence of the figures in it"),
        "colour": colour("colour", "glow", "the mist and the figures' rims"),
    },
    doc="Noise-driven mist venting from the burst pipe; blank-faced phantoms standing in it.",
    order=50,
    plane=0.85,
)
