"""The dreamer's hands: dark shapes in the foreground darting across the controls, rimmed
by the panels' light, until the controls melt under them into slick flesh.

Seen from behind, palm down, each hand reaches up from the bottom of the frame toward
one console panel. It darts to a control, holds there tapping, darts to the next: a
closed-form function of time (the dart index is a whole number of cycles), so any frame
renders alone and a loop wraps. As `melt` rises the buttons under them swell into flesh:
a field of Gaussian lumps (one per button, tumours between, a lobe over the panel's
edge, threads with heavy bulbs running down to a pool) shaded in numpy as wet skin on a
grid a fraction of the frame's resolution, their neon rims stretched over it and the
fingertips sunk in it. The hands stay hands (their fingers only droop a little), and
the flesh stays when they have gone.
"""

from __future__ import annotations

import math

import cairo
import cv2
import numpy as np

from render.color import RGB, mix
from render.draw import Patch, additive, neon_stroke, paint_resampled, radial_glow
from render.params import colour, number, track
from render.scene import Frame, Layer, Scene
from render.story import smoothstep

Point = tuple[float, float]
# A right hand seen from behind, in units of its length (wrist 0,0 to the middle
# fingertip at 0,-1): knuckle (x, y), splay (radians, 0 = straight up), length, width.
_FINGERS = (
    (-0.15, -0.5, -0.08, 0.44, 0.1),  # index
    (-0.05, -0.53, -0.02, 0.48, 0.105),  # middle
    (0.05, -0.51, 0.04, 0.45, 0.098),  # ring
    (0.145, -0.47, 0.1, 0.36, 0.085),  # little
)
_THUMB = (-0.19, -0.26, -0.75, 0.27, 0.11)
_DARTS = 6  # targets in one hand's cycle of darts (then it starts over)


def _rot(x: float, y: float, a: float) -> Point:
    c, s = math.cos(a), math.sin(a)
    return x * c - y * s, x * s + y * c


def _finger(b: Point, angle: float, length: float, width: float, bend: float) -> list[Point]:
    """Outline of one finger, base-left to tip to base-right: two segments, the outer one
    turned by `bend`. Returns the outline points (the tip as a rounded fan)."""
    d0 = (math.sin(angle), -math.cos(angle))
    j = (b[0] + d0[0] * 0.55 * length, b[1] + d0[1] * 0.55 * length)
    a1 = angle + bend
    d1 = (math.sin(a1), -math.cos(a1))
    tip = (j[0] + d1[0] * 0.45 * length, j[1] + d1[1] * 0.45 * length)
    r0, r1 = width / 2, 0.44 * width
    n0 = (math.cos(angle), math.sin(angle))
    nj = (math.cos(angle + bend / 2), math.sin(angle + bend / 2))
    n1 = (math.cos(a1), math.sin(a1))
    pts = [(b[0] - n0[0] * r0, b[1] - n0[1] * r0), (j[0] - nj[0] * r0, j[1] - nj[1] * r0)]
    for k in range(7):  # round fingertip: a half circle from the left side to the right
        t = math.pi * k / 6
        c, s = math.cos(t), math.sin(t)
        pts.append(
            (tip[0] - n1[0] * r1 * c + d1[0] * r1 * s, tip[1] - n1[1] * r1 * c + d1[1] * r1 * s)
        )
    pts += [(j[0] + nj[0] * r0, j[1] + nj[1] * r0), (b[0] + n0[0] * r0, b[1] + n0[1] * r0)]
    return pts


def hand_outline(curl: tuple[float, ...], melt: float) -> tuple[list[Point], list[Point]]:
    """A right hand's outline (closed, the forearm running off below the wrist) and its
    fingertips, in hand units. `curl` per finger (thumb first) shortens it as it presses;
    `melt` sags the outer joints like wax and stretches them."""
    tips: list[Point] = []

    def finger(spec, c: float, k: int) -> list[Point]:
        x, y, splay, length, width = spec
        sag = melt * (0.9 + 0.25 * k % 3) * (1 if splay >= -0.5 else -1)
        length *= (1 - 0.85 * c) * (1 + 0.45 * melt)  # curled: folded back, knuckles only
        pts = _finger((x, y), splay, length, width * (1 + 0.2 * melt), sag)
        tips.append(pts[5])
        return pts

    out = [(-0.26, 1.2), (-0.19, 0.05), (-0.21, -0.1)]
    out += finger(_THUMB, curl[0], 0)
    out.append((-0.2, -0.36))
    for k, spec in enumerate(_FINGERS):
        out += finger(spec, curl[k + 1], k + 1)
    out += [(0.2, -0.36), (0.19, 0.05), (0.26, 1.2)]
    return out, tips


def _targets(scene: Scene, side: int) -> list[Point]:
    """Where one hand's fingertips go, dart after dart: controls on its panel."""
    rng = scene.rng(f"hands-{side}")
    panels = scene.layout.panels
    px, py, pw, ph = panels[0] if side < 0 else panels[-1]
    # A row of buttons on the panel, two deep; the hand visits them in a shuffled order.
    slots = [(px + fx * pw, py + fy * ph) for fy in (0.38, 0.52) for fx in (0.3, 0.5, 0.7)]
    order = rng.permutation(len(slots))[:_DARTS]
    return [slots[int(k)] for k in order]


def build(scene: Scene) -> dict:
    targets = {-1: _targets(scene, -1), 1: _targets(scene, 1)}
    return {
        **targets,
        "flesh": {side: _mass(scene, side, targets[side]) for side in (-1, 1)},
        "texture": np.ascontiguousarray(np.tile(_noise_texture(scene), (4, 4, 1))),
    }


def _where(
    frame: Frame, targets: list[Point], rate: float, offset: float, lag: float = 0.0
) -> tuple[Point, float, int]:
    """The fingertips' point now (or `lag` cycles ago), how far into the hold (0 darting ..
    1 resting), and which target they are going to."""
    c = frame.cycles(rate) + offset - lag
    k = math.floor(c)
    u = c - k
    period = frame.period_cycles(rate)
    if period:  # a loop: the darts wrap with it
        k %= period
    n = len(targets)
    a, b = targets[(k - 1) % n], targets[k % n]
    dart = smoothstep(0.0, 0.4, u)
    at = (a[0] + (b[0] - a[0]) * dart, a[1] + (b[1] - a[1]) * dart)
    return at, smoothstep(0.3, 0.5, u), k % n


# --------------------------------------------------------------------------- the flesh

_TEX = 128  # side of the tileable noise texture the flesh's lumps, folds and veins use


def _noise_texture(scene: Scene) -> np.ndarray:
    """Two tileable fields of smooth noise in 0..1, (128, 128, 2) float32: low-passed
    white noise (filtered in the Fourier domain, so it wraps without a seam)."""
    rng = scene.rng("hands-flesh")
    f = np.fft.fftfreq(_TEX)
    r2 = f[:, None] ** 2 + f[None, :] ** 2
    out = []
    for cut in (0.045, 0.07):
        spec = np.fft.fft2(rng.normal(size=(_TEX, _TEX))) * np.exp(-r2 / (2 * cut * cut))
        n = np.real(np.fft.ifft2(spec))
        n = (n - n.mean()) / (4 * n.std()) + 0.5
        out.append(np.clip(n, 0.0, 1.0))
    return np.ascontiguousarray(np.dstack(out).astype(np.float32))


def _mass(scene: Scene, side: int, targets: list[Point]) -> dict:
    """One panel's flesh to be: a lump per button (the buttons the hand works), a few
    tumours bulging between and around them, the lobe that spills over the panel's inner
    edge, and the drips that run from the mass to a pool on the panel's lower edge."""
    rng = scene.rng(f"hands-flesh-{side}")
    px, py, pw, ph = scene.layout.panels[0] if side < 0 else scene.layout.panels[-1]
    xs = sorted({round(x, 3) for x, _ in targets})
    ys = sorted({round(y, 3) for _, y in targets})
    lumps = [(x, y, float(rng.uniform(0.8, 1.25)), float(rng.uniform(0, 1))) for x, y in targets]
    inward = (0.08, 0.24) if side < 0 else (0.24, 0.08)  # more toward the core, in view
    for _ in range(6):  # tumours, anywhere around the grid
        x = float(rng.uniform(xs[0] - inward[0] * pw, xs[-1] + inward[1] * pw))
        y = float(rng.uniform(ys[0] - 0.09 * ph, ys[-1] + 0.05 * ph))
        lumps.append((x, y, float(rng.uniform(0.5, 0.95)), float(rng.uniform(0, 1))))
    edge = px + pw if side < 0 else px  # the inner edge, toward the core
    drips = []
    for j in range(6):
        f = (j + 0.5 + float(rng.uniform(-0.3, 0.3))) / 6
        drips.append((xs[0] + f * (xs[-1] - xs[0]) * 1.15 - 0.07 * (xs[-1] - xs[0]),
                      float(rng.uniform(0.55, 1.0)), float(rng.uniform(0, 1)),
                      float(rng.uniform(0.09, 0.16))))  # fmt: skip
    drips.append((edge, 1.1, float(rng.uniform(0, 1)), 0.08))  # down the inner edge
    return {
        "lumps": lumps,
        "edge": (edge, ys[-1] + 0.02 * ph),
        "drips": drips,
        "bottom": ys[-1],
        "pool": py + 0.95 * ph,
        "box": (
            min(xs[0], edge) - 0.3 * pw,
            ys[0] - 0.25 * ph,
            max(xs[-1], edge) + 0.3 * pw,
            py + ph,
        ),  # fmt: skip
    }


def _lump(frame: Frame, lump: tuple, melt: float, r: float) -> tuple[float, float, float]:
    """One lump now: where its middle has sagged to, and its size (a Gaussian's width)."""
    x, y, big, ph = lump
    beat = 1.0 + 0.07 * math.sin(2 * math.pi * (frame.cycles(0.9) + ph))  # it throbs
    s = r * big * (0.55 + 2.3 * melt**0.7) * beat
    return x, y + 0.55 * melt * s, s


def _gauss(v: np.ndarray, c: float, s: float) -> np.ndarray:
    return np.exp(-(((v - c) / s) ** 2))


def _field(mass: dict, frame: Frame, melt: float, r: float, gx, gy) -> np.ndarray:
    """The flesh's density on the grid (gx, gy: the cells' user coordinates, 1-D): a sum
    of separable Gaussian lumps, threads and bulbs; the flesh is where it passes 0.5."""
    F = np.zeros((len(gy), len(gx)), np.float32)
    grow = melt**0.7

    def add(cx: float, cy: float, sx: float, sy_up: float, sy_down: float, a: float = 1.0):
        i0, i1 = np.searchsorted(gx, (cx - 2.0 * sx, cx + 2.0 * sx))  # exp(-4): nothing
        j0, j1 = np.searchsorted(gy, (cy - 2.0 * sy_up, cy + 2.0 * sy_down))
        if i1 <= i0 or j1 <= j0:
            return
        dy = gy[j0:j1] - cy
        ey = np.exp(-((dy / np.where(dy > 0, sy_down, sy_up)) ** 2))
        F[j0:j1, i0:i1] += a * np.outer(ey, _gauss(gx[i0:i1], cx, sx))

    for k, lump in enumerate(mass["lumps"]):
        x, y, s = _lump(frame, lump, melt, r)
        if k >= 6:  # the tumours come later, out of the mass
            s *= smoothstep(0.15, 0.6, melt)
            if s <= 0.05 * r:
                continue
        add(x, y, s, 0.85 * s, s * (1.0 + 0.6 * melt))
    spill = smoothstep(0.3, 0.75, melt)
    if spill > 0:  # a lobe hanging over the panel's edge
        ex, ey = mass["edge"]
        add(ex, ey + 0.8 * r * spill, 1.5 * r * spill + 0.1 * r, r * spill, 3.0 * r * spill)
    run = smoothstep(0.12, 0.6, melt)
    pool = mass["pool"]
    if run > 0:
        for x, big, ph, rate in mass["drips"]:
            p = (frame.cycles(rate) + ph) % 1.0
            if x == mass["edge"][0]:
                top = mass["edge"][1] + r
            else:
                top = mass["bottom"] + r * (1.0 + 2.0 * grow)
            span = max(pool - top, r)
            end = top + span * run * (0.15 + 0.85 * p**1.6) * min(1.0, big + 0.2)
            # The thread: thick where it leaves the mass, thinning as it stretches.
            j0, j1 = np.searchsorted(gy, (top, end))
            if j1 > j0:
                s = (gy[j0:j1] - top) / max(end - top, 1e-6)
                w = r * (0.3 * (1 - s) ** 3 * (1 - 0.5 * p) + 0.08 + 0.05 * big)
                xc = x + 0.25 * r * np.sin(3.0 * s + 6.0 * ph) * s
                i0, i1 = np.searchsorted(gx, (x - 1.5 * r, x + 1.5 * r))
                F[j0:j1, i0:i1] += np.exp(-(((gx[None, i0:i1] - xc[:, None]) / w[:, None]) ** 2))
            b = r * big * (0.45 + 0.4 * p) * run  # the bulb at its end, heavy
            if b > 0.05 * r:
                add(x + 0.25 * r * math.sin(3.0 + 6.0 * ph), end, b, b, 1.35 * b)
        spread = r * (1.0 + 3.5 * run)
        box = mass["box"]
        add((box[0] + box[2]) / 2, pool + 0.25 * r, spread * 1.7, 0.35 * r * run, 0.5 * r)
    return F


def _skin_ramp() -> np.ndarray:
    """The flesh's colour by thickness, 256 steps: thin edges flushed, bruised red-purple,
    through raw red to a pale, sickly pink where it is thickest."""
    t = np.linspace(0.0, 1.0, 256, dtype=np.float32)[:, None]
    rim = np.array((0.22, 0.02, 0.08), np.float32)
    mid = np.array((0.55, 0.10, 0.17), np.float32)
    pale = np.array((0.68, 0.27, 0.37), np.float32)
    lo = rim + (mid - rim) * np.clip(t / 0.4, 0.0, 1.0)
    return np.where(t < 0.4, lo, mid + (pale - mid) * np.clip((t - 0.4) / 0.6, 0.0, 1.0))


_SKIN = _skin_ramp()
_VEIN = np.array((0.18, 0.04, 0.30), np.float32)
_BRUISE = np.array((0.45, 0.25, 0.7), np.float32)  # what a bruise leaves of each channel
_INNER = np.array((0.7, 0.08, 0.16), np.float32)  # the warm light inside it
_WET: RGB = (0.95, 0.55, 0.6)  # a wet rim of flesh catching the light


def _flesh_image(
    F: np.ndarray, tex: np.ndarray, cell: float, side: int, glow: float, lit: float = 1.0
) -> np.ndarray:
    """Shade the density `F` (and `tex`, the noise on the same grid) as wet flesh:
    premultiplied BGRA uint8. Thin edges flush dark red-purple, the thick middles go pale
    pink and glow warm from inside; folds follow its contours, veins wander under the
    skin, and the light from the core leaves a sharp, wet highlight on every bulge.
    Only the cells inside the flesh are shaded (as flat arrays)."""
    h, w = F.shape
    F = F * (0.65 + 0.7 * tex[..., 0])  # lumpy, never quite round
    depth = np.sqrt(np.maximum(F - 0.5, 0.0))  # a dome over the flesh
    k = 0.8 * cell  # central differences per cell to slopes per `r` (`cell`: cells in r)
    sx = cv2.Sobel(depth, cv2.CV_32F, 1, 0, ksize=1, scale=k).ravel()
    sy = cv2.Sobel(depth, cv2.CV_32F, 0, 1, ksize=1, scale=k).ravel()
    idx = np.flatnonzero(F.ravel() > 0.5)
    out = np.zeros((h * w, 4), np.uint8)
    if not len(idx):
        return out.reshape(h, w, 4)
    f = F.ravel()[idx]
    lumps, veins = tex[..., 0].ravel()[idx], tex[..., 1].ravel()[idx]
    nx, ny = -sx[idx], -sy[idx]
    nz = 1.0 / np.sqrt(nx * nx + ny * ny + 1.0)
    nx *= nz
    ny *= nz
    lx, ly, lz = -0.45 * side, -0.6, 0.66  # the core's light, from above and inward
    lam = np.clip(nx * lx + ny * ly + nz * lz, 0.0, 1.0)
    hn = math.sqrt(lx * lx + ly * ly + (lz + 1.0) ** 2)
    spec = np.clip((nx * lx + ny * ly + nz * (lz + 1.0)) * (1.0 / hn), 0.0, 1.0)
    for _ in range(6):  # to the 64th power: a small, sharp, wet highlight
        spec *= spec
    thick = np.clip((f - 0.5) * 1.6, 0.0, 1.0)
    edge = np.clip(thick * 4.0, 0.0, 1.0)
    # Folds along the contours, bent by the lumps; veins where the second field crosses 0.5.
    fold = np.abs(np.sin(3.5 * f + 2.5 * lumps))
    for _ in range(4):  # to the 16th
        fold *= fold
    fold *= edge
    vein = np.clip(1.5 - np.abs(veins - 0.5) * 40.0, 0.0, 1.0) * np.clip(thick * 3.0, 0.0, 1.0)
    base = _SKIN[(thick * 255).astype(np.int32)]
    base *= (1.0 - 0.55 * fold)[:, None]
    # Bruised patches: the lumps' low places go purple-dark.
    base *= _BRUISE + (1.0 - _BRUISE) * np.clip(lumps * 2.2 - 0.3, 0.0, 1.0)[:, None]
    base += (_VEIN - base) * (0.7 * vein)[:, None]
    base *= (0.08 + 0.95 * lam)[:, None]
    base += (0.95 * spec * (1.0 - 0.7 * fold))[:, None]
    # The room's light dims it; the light inside it does not, so dimmed it stays a living
    # red (dimmed through, it went a muddy brown).
    base *= lit
    base += _INNER * (glow * thick * np.sqrt(thick))[:, None]
    alpha = np.clip((f - 0.5) * 14.0, 0.0, 1.0)
    base = np.clip(base, 0.0, 1.0) * (255 * alpha)[:, None]
    out[idx, 0] = base[:, 2]
    out[idx, 1] = base[:, 1]
    out[idx, 2] = base[:, 0]
    out[idx, 3] = 255 * alpha
    return out.reshape(h, w, 4)


def _flesh(
    cr: cairo.Context, frame: Frame, mass: dict, tex: np.ndarray, melt: float, r: float, side: int
) -> Patch | None:
    """Paint one panel's melting flesh: its density on a grid in user space (a third of the
    frame's resolution at 1080p: it is smooth, and the grid's cost grows with its area),
    shaded as wet skin, opaque over what is behind it, glowing a little into the room."""
    m = cr.get_matrix()
    scale = math.sqrt(abs(m.xx * m.yy - m.xy * m.yx))
    cell = max(1.0, frame.scene.height / 300) / scale
    x0, y0, x1, y1 = mass["box"]
    gx = x0 + cell * (np.arange(int((x1 - x0) / cell) + 1) + 0.5)
    gy = y0 + cell * (np.arange(int((y1 - y0) / cell) + 1) + 0.5)
    F = _field(mass, frame, melt, r, gx, gy)
    rows = np.flatnonzero((F > 0.35).any(axis=1))
    cols = np.flatnonzero((F > 0.35).any(axis=0))
    if not len(rows):
        return None
    j0, j1 = max(0, rows[0] - 2), min(len(gy), rows[-1] + 3)
    i0, i1 = max(0, cols[0] - 2), min(len(gx), cols[-1] + 3)
    F = np.ascontiguousarray(F[j0:j1, i0:i1])
    h, w = F.shape
    # The noise sticks to the flesh (texels of 0.1 r) and creeps slowly down with it; `tex`
    # is the tile repeated 4 x 4, so the grid samples it without wrapping.
    texel = 0.15 * r
    u0 = ((gx[i0] - x0) / texel) % _TEX
    v0 = ((gy[j0] - y0) / texel - (frame.cycles(0.02) % 1.0) * _TEX) % _TEX
    warp = np.array([[cell / texel, 0.0, u0], [0.0, cell / texel, v0]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    noise = cv2.warpAffine(tex, warp, (w, h), flags=flags, borderMode=cv2.BORDER_REPLICATE)
    glow = 0.35 + 0.25 * frame.wave(0.9)
    lit = min(1.0, mass["lit"])  # the room's light on it (it dims while the eye stares)
    img = _flesh_image(F, noise, r / cell, side, glow * smoothstep(0.1, 0.6, melt), lit)
    surface = cairo.ImageSurface.create_for_data(img, cairo.FORMAT_ARGB32, w, h, w * 4)
    pattern = cairo.SurfacePattern(surface)
    pattern.set_filter(cairo.FILTER_BILINEAR)
    ox, oy = gx[i0] - 0.5 * cell, gy[j0] - 0.5 * cell
    pattern.set_matrix(cairo.Matrix(xx=1 / cell, yy=1 / cell, x0=-ox / cell, y0=-oy / cell))
    cr.rectangle(ox, oy, w * cell, h * cell)
    frame.cover(cr, source=pattern)
    cr.set_operator(cairo.OPERATOR_OVER)
    patch = None
    if frame.raster:
        patch = paint_resampled(cr, img, cairo.Matrix(cell, 0, 0, cell, ox, oy))
    else:
        cr.set_source(pattern)
        cr.fill()
    cr.new_path()
    # Warm light bleeding from it into the room.
    cx, cy = (x0 + x1) / 2, mass["bottom"]
    radial_glow(cr, cx, cy, 7 * r, mass["light"], 0.12 * glow * melt * lit, frame.light)
    return patch


def _sink(
    cr: cairo.Context, patch: Patch, tips: list[Point], radius: float, depth: float,
    lip: RGB | None = None,
) -> None:  # fmt: skip
    """Paint the flesh again over the fingertips at `tips` (user space): they have sunk
    into it, `depth` deep (0..1), the flesh closing over them where there is flesh; with
    `lip`, a wet rim of that colour swells round the finger where it goes in."""
    _, surface, dx0, dy0 = patch
    points = [cr.user_to_device(x, y) for x, y in tips]
    rd = radius * math.sqrt(abs(cr.get_matrix().xx * cr.get_matrix().yy))
    cr.save()
    cr.identity_matrix()
    cr.set_operator(cairo.OPERATOR_OVER)
    for x, y in points:
        g = cairo.RadialGradient(x, y, 0.0, x, y, rd)
        g.add_color_stop_rgba(0.0, 0, 0, 0, depth)
        g.add_color_stop_rgba(0.55, 0, 0, 0, depth)
        g.add_color_stop_rgba(1.0, 0, 0, 0, 0.0)
        cr.save()
        cr.rectangle(x - rd, y - rd, 2 * rd, 2 * rd)
        cr.clip()
        cr.set_source_surface(surface, dx0, dy0)
        cr.mask(g)
        cr.restore()
        if lip is not None:
            cr.new_path()
            cr.arc(x, y + 0.1 * rd, 0.6 * rd, 0.2 * math.pi, 0.8 * math.pi)
            cr.set_source_rgba(*lip, 0.55 * depth)
            cr.set_line_width(0.12 * rd)
            cr.set_line_cap(cairo.LINE_CAP_ROUND)
            cr.stroke()
    cr.restore()


def _controls(
    cr: cairo.Context,
    frame: Frame,
    targets: list[Point],
    size: float,
    melt: float,
    flesh: dict,
    pressed: tuple[int, float],
) -> Patch | None:
    """The buttons the hands go to; the one being pressed (`pressed`: its index, how hard)
    lights up. Melting, they swell into lumps of flesh that fuse, sag and run down the
    panel (`flesh`: this panel's mass and the noise texture)."""
    u = frame.unit
    r = 0.07 * size
    lit = frame.colour("primary")
    patch = None
    if melt > 0.01:
        patch = _flesh(cr, frame, flesh["mass"], flesh["texture"], melt, r, flesh["side"])
    solid = 1.0 - smoothstep(0.02, 0.3, melt)  # the buttons, until the flesh has them
    # Their neon rims stay, stretched by the flesh swelling under them: squares going
    # round and lopsided, sagging with it, sunk into it and glowing through.
    additive(cr)
    rim = mix(lit, (1.0, 0.45, 0.55), smoothstep(0.1, 0.5, melt))
    rim = tuple(c * min(1.0, flesh["mass"]["lit"]) for c in rim)  # dimming with the room
    square = 8.0 - 6.0 * smoothstep(0.0, 0.5, melt)  # a superellipse's exponent
    outlines = []
    for k in range(len(targets)):
        cx, cy, s = _lump(frame, flesh["mass"]["lumps"][k], melt, r)
        cy += 0.25 * r * (1 - melt)
        size = r + (0.65 * s - r) * smoothstep(0.0, 0.6, melt)
        ph = flesh["mass"]["lumps"][k][3]
        pts = []
        for j in range(24):
            a = 2 * math.pi * j / 24
            c, sn = math.cos(a), math.sin(a)
            rr = size / (abs(c) ** square + abs(sn) ** square) ** (1 / square)
            rr *= 1 + 0.12 * melt * math.sin(3 * a + 6.3 * ph + frame.cycles(0.4))
            pts.append((cx + rr * c, cy + rr * sn * (1 + 0.6 * melt * (sn > 0))))
        outlines.append(pts)
    k, press = pressed
    if press > 0.01 and solid > 0.01:  # it lights under the finger
        _path(cr, outlines[k])
        cr.set_source_rgba(*lit, 0.45 * press * solid)
        cr.fill()
    for pts in outlines:  # stroked at once: one neon stroke, not six
        _path(cr, pts)
    alpha = 0.8 - 0.45 * smoothstep(0.3, 0.9, melt)
    if melt < 0.5:
        neon_stroke(cr, rim, 1.5 * u, alpha=alpha, light=frame.light)
    else:  # faint by now, on the flesh: a plain line of light is enough (and cheaper)
        cr.set_source_rgba(*rim, alpha)
        cr.set_line_width(1.5 * u)
        cr.stroke()
    return patch


def _path(cr: cairo.Context, pts: list[Point]) -> None:
    cr.move_to(*pts[0])
    for p in pts[1:]:
        cr.line_to(*p)
    cr.close_path()


def hand_path(cr: cairo.Context, outline: list[Point], to_user: cairo.Matrix) -> None:
    """Append a hand's outline (hand units, see `hand_outline`) placed by `to_user`; the
    path stays in user space, so its stroke is not stretched by the hand's scale."""
    cr.save()
    cr.transform(to_user)
    _path(cr, outline)
    cr.restore()


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    level, melt = float(params["level"]), float(params["melt"])
    if level <= 0.005 and melt <= 0.01:  # the flesh stays when the hands have gone
        return
    scene = frame.scene
    w, h = scene.width, scene.height
    flesh = mix(params["flesh"], frame.colour("hot"), 0.3)  # the light it gives the room
    urgency = float(params["urgency"])
    size = params["size"] * min(w, h)
    rate = params["rate"] * (0.5 + urgency)
    rim_colour = params["colour"]
    body = mix(frame.colour("background"), (0.0, 0.0, 0.0), 0.5)
    where = {
        side: _where(frame, built[side], rate, offset) for side, offset in ((-1, 0.0), (1, 0.5))
    }
    patches = {}
    for side in (-1, 1):
        _, hold, k = where[side]
        mass = {
            "mass": {**built["flesh"][side], "light": flesh, "lit": float(params["intensity"])},
            "texture": built["texture"],
        }
        mass["side"] = side
        patches[side] = _controls(cr, frame, built[side], size, melt, mass, (k, hold * level))
    if level <= 0.005:
        return
    for side in (-1, 1):
        (tx, ty), hold, _ = where[side]
        tx0, ty0 = tx, ty
        # Never quite still: a working hand hovers and shifts while it presses.
        tx += 0.03 * size * math.sin(2 * math.pi * frame.cycles(0.7) + side)
        ty += 0.02 * size * math.sin(2 * math.pi * frame.cycles(1.1) + 2 * side)
        # The wrist sits below and outward of the fingertips: the arm comes from the dreamer.
        # Coming and going, they rise into view and sink out of it rather than fade.
        ty += (1.0 - smoothstep(0.0, 1.0, level)) * 1.1 * size
        wx, wy = tx - side * 0.5 * size, ty + 0.8 * size  # reaching in from either side
        angle = math.atan2(tx - wx, wy - ty)
        # The fingers work the controls in turn, each curling to press and lifting again.
        # The fingers work the controls, never flat: each jabs down to press and lifts,
        # one after another, quicker as the machine fails.
        # A working hand points: the index finger out and jabbing, the others curled
        # under, the thumb tucked (an open, splayed hand read as pressing on glass).
        jab = frame.cycles(rate * 3.0)
        press = max(0.0, math.sin(2 * math.pi * (jab + 0.4 * side))) ** 3
        curl = [0.6, 0.05 + 0.5 * (0.4 + 0.6 * hold) * press] + [
            0.78 + 0.08 * math.sin(2 * math.pi * (jab + 0.3 * k)) for k in range(3)
        ]
        if hold < 0.95:  # darting: faint after-images along the way it came
            for lag, a in ((0.05, 0.35), (0.1, 0.18)):
                (gx, gy), _, _ = _where(frame, built[side], rate, 0.0 if side < 0 else 0.5, lag)
                gx, gy = gx - tx0 + tx, gy - ty0 + ty
                g = cairo.Matrix()
                g.translate(gx - side * 0.5 * size, gy + 0.8 * size)
                g.rotate(angle)
                g.scale(side * size, 0.85 * size)
                ghost, _ = hand_outline(tuple(curl), 0.3 * melt)
                hand_path(cr, ghost, g)
                neon_stroke(cr, rim_colour, 2.0 * frame.unit, alpha=a * (1 - hold) * level)
        # The hands stay hands: it is the controls that melt (a little sag, no claws).
        outline, tips = hand_outline(tuple(curl), 0.3 * melt)
        m = cairo.Matrix()  # hand units to the layer's own (the camera's is on cr)
        m.translate(wx, wy)
        m.rotate(angle)
        m.scale(side * size, 0.85 * size)  # the left hand is the right one mirrored
        hand_path(cr, outline, m)
        path = cr.copy_path()
        # Opaque: it hides the light behind it, then its rim catches the panels' glow.
        frame.cover(cr)
        cr.new_path()
        cr.append_path(path)
        cr.set_operator(cairo.OPERATOR_OVER)
        # Lit from the panels ahead: the fingers catch a little of their colour.
        x0, y0 = m.transform_point(0.0, 0.3)
        x1, y1 = m.transform_point(0.0, -1.0)
        fill = cairo.LinearGradient(x0, y0, x1, y1)
        fill.add_color_stop_rgba(0, *body, 1.0)
        fill.add_color_stop_rgba(1, *mix(body, rim_colour, 0.06), 1.0)
        cr.set_source(fill)
        cr.fill_preserve()
        neon_stroke(
            cr, rim_colour, 3.0 * frame.unit, alpha=0.9 * level, heat=0.3, light=frame.light
        )
        if press > 0.15 and hold > 0.3 and melt < 0.25:
            # The press lands: the control under the fingertip flashes and rings, so a
            # still shows a finger pushing a button, not a hand hovering.
            px, py = m.transform_point(*tips[1])
            f = min(1.0, (press - 0.15) / 0.6) * hold * level
            radial_glow(cr, px, py, 0.12 * size, frame.colour("glow"), 0.7 * f, frame.light)
            cr.new_path()
            cr.arc(px, py, 0.05 * size * (1.6 - 0.6 * press), 0, 2 * math.pi)
            neon_stroke(cr, frame.colour("glow"), 2.0 * frame.unit, alpha=f, heat=0.6)
        patch = patches[side]
        if patch is not None and melt > 0.25:  # the fingers sink into it
            # The tips of the fingers that are down, where they press (not the thumb),
            # and the pointing finger's, pressed deepest: it sank into the key it was on
            # (audiences saw a hand held over the flesh, not fingers in it).
            down = [m.transform_point(*tips[k]) for k in range(2, 5) if curl[k] > 0.45]
            _sink(cr, patch, down, 0.11 * size, smoothstep(0.25, 0.6, melt))
            deep = smoothstep(0.25, 0.5, melt)
            _sink(cr, patch, [m.transform_point(*tips[1])], 0.16 * size, deep, lip=_WET)


LAYER = Layer(
    name="hands",
    draw=draw,
    build=build,
    params={
        "level": track("level", "the dreamer's hands on the controls", "hands"),
        "urgency": track(
            "urgency", "how fast the hands dart from control to control", "escalation"
        ),
        "melt": track("melt", "the controls melting into flesh under the fingers"),
        "colour": colour("colour", "primary", "the panels' light on the hands' rims"),
        "flesh": colour("flesh", "alert", "the light melting flesh gives (warmed toward hot)"),
        "size": number(
            "size", 0.34, "length of a hand, wrist to fingertip", 0.05, 1, "of the shorter side"
        ),
        "rate": number(
            "rate", 1.0, "darts from control to control per second, when calm", 0, 10, "Hz"
        ),
        "intensity": track(
            "intensity", "the melted controls' light (dims while the eye stares)", "hud", 0, 4
        ),
    },
    doc="The dreamer's hands darting across the controls, which melt into flesh under them.",
    default=False,  # the dream's own: sequences/dream.toml lists it
    order=80,  # nearest of all: drawn after the klaxon, its silhouettes stay black
    plane=0.95,
)
