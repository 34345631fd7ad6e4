"""Small pycairo idioms shared by the layers: neon strokes, additive light, glows."""

from __future__ import annotations

import math
from collections import OrderedDict
from functools import lru_cache

import cairo
import cv2
import numpy as np

from render.color import RGB, mix
from render.glyphs import Warp, snap, text_masks, text_path
from render.softlight import SoftLight
from render.surface import pixels

WHITE: RGB = (1.0, 1.0, 1.0)
FAINT_CORE = 0.03  # a neon core's alpha times its width (px) below which it is folded in
# A neon tube's light (neon_stroke, neon_text, neon_ellipses): a halo HALO_WIDTH times the
# tube's width at HALO_ALPHA of its alpha, the tube at TUBE_ALPHA, and inside it a white-hot
# core CORE_WIDTH as wide, brighter with heat (_core_alpha).
HALO_WIDTH, HALO_ALPHA, TUBE_ALPHA, CORE_WIDTH = 3.2, 0.16, 0.85, 0.35


def _core_alpha(alpha: float, heat: float) -> float:
    return min(1.0, heat * 2.0) * alpha


def _folds(core: float, width: float) -> bool:
    """Whether a core this faint is folded into its tube (its light added to the tube's
    alpha) instead of stroked."""
    return core * width * CORE_WIDTH < FAINT_CORE


def _folded_alpha(alpha: float, core: float) -> float:
    """The tube's alpha with a folded core's light in it."""
    return min(1.0, TUBE_ALPHA * alpha + CORE_WIDTH * core)


def additive(cr: cairo.Context) -> None:
    """Light adds up: overlapping strokes get brighter, as neon does."""
    cr.set_operator(cairo.OPERATOR_ADD)


def neon_stroke(
    cr: cairo.Context,
    colour: RGB,
    width: float,
    alpha: float = 1.0,
    heat: float = 0.35,
    light: SoftLight | None = None,
) -> None:
    """Stroke the current path as a neon tube: a soft coloured halo, the tube, a white-hot core.

    Bloom (a post effect) spreads the light further; these strokes give it a
    coloured body and a bright centre to spread. With `light` (the frame's soft-light
    buffer) the halo is drawn there at low resolution: the same light, spread a
    little wider, for a fraction of the cost of a wide stroke at full resolution.
    """
    if alpha <= 0.003 or width <= 0:
        cr.new_path()
        return
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    cr.set_line_join(cairo.LINE_JOIN_ROUND)
    if light is not None:
        path = cr.copy_path()
        soft = light.context(cr)
        soft.append_path(path)
        soft.set_source_rgba(*colour, HALO_ALPHA * alpha)
        soft.set_line_width(width * HALO_WIDTH)
        soft.set_line_cap(cairo.LINE_CAP_ROUND)
        soft.stroke()
    else:
        cr.set_source_rgba(*colour, HALO_ALPHA * alpha)
        cr.set_line_width(width * HALO_WIDTH)
        cr.stroke_preserve()
    core = _core_alpha(alpha, heat)
    if _folds(core, width):
        # A core this faint adds a few levels of light at most: fold that light into the
        # tube and save the stroke (a quarter of a frame's stroking in the sphere's lines).
        cr.set_source_rgba(*colour, _folded_alpha(alpha, core))
        cr.set_line_width(width)
        cr.stroke()
        return
    cr.set_source_rgba(*colour, TUBE_ALPHA * alpha)
    cr.set_line_width(width)
    cr.stroke_preserve()
    cr.set_source_rgba(*_hot(tuple(colour)), core)
    cr.set_line_width(width * CORE_WIDTH)
    # The core lies inside the tube, whose own antialiased edge is what shows: its edge
    # needs no more than cairo's fast antialiasing (4x4 samples, not 15x17), which takes
    # 2 ms a 1080p frame off the neon strokes; side by side at 6x no difference shows.
    aa = cr.get_antialias()
    cr.set_antialias(cairo.ANTIALIAS_FAST)
    cr.stroke()
    cr.set_antialias(aa)


def neon_ellipses(
    cr: cairo.Context,
    ellipses: list[tuple[float, float, float, float]],
    colour: RGB,
    width: float,
    alpha: float = 1.0,
    heat: float = 0.35,
    light: SoftLight | None = None,
) -> None:
    """Thin ellipse outlines, each (cx, cy, rx, ry) in user space, as neon tubes: the same
    light as adding them to a path and `neon_stroke`. On raster frames (soft light given,
    no device scale) a tube faint enough to fold its core is drawn by a compiled
    rasteriser into one mask, and its halo into another at the soft light's size:
    cairo's cost goes with rows times the edges crossing them, and the sphere's fourteen
    lines with their halo cost 3.0-4.3 ms a 1080p frame stroked, 2.6 ms here."""

    def path(ctx: cairo.Context) -> None:
        for cx, cy, rx, ry in ellipses:
            ctx.save()
            ctx.translate(cx, cy)
            ctx.scale(max(abs(rx), 1e-6), max(abs(ry), 1e-6))
            ctx.new_sub_path()
            ctx.arc(0, 0, 1, 0, 2 * math.pi)
            ctx.restore()

    target = cr.get_group_target()
    m = cr.get_matrix()
    core = _core_alpha(alpha, heat)
    folded = _folds(core, width)
    if (
        light is None
        or not folded
        or not isinstance(target, cairo.ImageSurface)
        or target.get_device_scale() != (1.0, 1.0)
        or alpha <= 0.003
        or width <= 0
    ):
        cr.new_path()
        path(cr)
        neon_stroke(cr, colour, width, alpha=alpha, heat=heat, light=light)
        return
    # The halo in the soft-light buffer and the tube on the frame, each one mask.
    soft = light.context(cr)
    halo = _ellipse_mask(soft.get_matrix(), ellipses, width * HALO_WIDTH, light.surface)
    if halo is not None:
        soft.save()
        soft.identity_matrix()
        soft.set_source_rgba(*colour, HALO_ALPHA * alpha)
        soft.mask_surface(*halo)
        soft.restore()
    tube = _ellipse_mask(m, ellipses, width, target)
    if tube is not None:
        cr.save()
        cr.identity_matrix()
        cr.set_source_rgba(*colour, _folded_alpha(alpha, core))
        cr.mask_surface(*tube)
        cr.restore()
    cr.new_path()


def _ellipse_mask(
    m: cairo.Matrix, ellipses, width: float, target: cairo.ImageSurface
) -> tuple[cairo.ImageSurface, float, float] | None:
    """An A8 mask of the ellipses' outlines `width` wide (user units) under the transform
    `m` on `target`, and where it goes in device space; None if none of it is there."""
    conics, boxes = [], []
    ox, oy = target.get_device_offset()
    for cx, cy, rx, ry in ellipses:
        ell = cairo.Matrix(xx=max(abs(rx), 1e-6), yy=max(abs(ry), 1e-6), x0=cx, y0=cy)
        full = ell.multiply(m)  # the unit circle to device pixels
        # Each ellipse as a conic about its centre: q = B (p - c), |q| = 1.
        inv = cairo.Matrix(full.xx, full.yx, full.xy, full.yy, 0.0, 0.0)
        inv.invert()
        b11, b21, b12, b22 = inv.xx, inv.yx, inv.xy, inv.yy
        a, b, c = b11 * b11 + b21 * b21, b11 * b12 + b21 * b22, b12 * b12 + b22 * b22
        dx, dy = full.x0 + ox, full.y0 + oy
        det = a * c - b * b
        conics.append((dx, dy, a, b, c))
        boxes.append((dx, dy, math.sqrt(c / det), math.sqrt(a / det)))
    lw = width * math.sqrt(abs(m.xx * m.yy - m.xy * m.yx))
    pad = lw / 2 + 3
    x0 = max(0, math.floor(min(bx - ex for bx, _, ex, _ in boxes) - pad))
    y0 = max(0, math.floor(min(by - ey for _, by, _, ey in boxes) - pad))
    x1 = min(target.get_width(), math.ceil(max(bx + ex for bx, _, ex, _ in boxes) + pad))
    y1 = min(target.get_height(), math.ceil(max(by + ey for _, by, _, ey in boxes) + pad))
    if x1 <= x0 or y1 <= y0:
        return None
    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, x1 - x0)
    buf = np.zeros((y1 - y0, stride), np.uint8)
    params = np.array(conics, np.float64)
    params[:, 0] -= x0
    params[:, 1] -= y0
    _compile()
    _ellipse_lines(buf[:, : x1 - x0], params, lw / 2)
    mask = cairo.ImageSurface.create_for_data(
        memoryview(buf), cairo.FORMAT_A8, x1 - x0, y1 - y0, stride
    )
    return mask, x0 - ox, y0 - oy


@lru_cache(maxsize=1024)
def _hot(colour: RGB) -> RGB:
    """A tube's white-hot core colour (the same few colours, thousands of times a frame)."""
    return mix(colour, WHITE, 0.75)


def neon_text(
    cr: cairo.Context,
    text: str,
    x: float,
    y: float,
    size: float,
    colour: RGB,
    width: float,
    alpha: float = 1.0,
    heat: float = 0.35,
    light: SoftLight | None = None,
    warp: Warp | None = None,
    face: str = "futural",
) -> None:
    """`text` with its cap line at y, as neon tubes: the same light as `text_path` followed
    by `neon_stroke`, but painted from cached masks on raster frames (see glyphs.py).
    Warped text and vector surfaces (print) are stroked as paths."""
    raster = isinstance(cr.get_group_target(), cairo.ImageSurface)
    if warp is not None or not raster or not text.strip():
        text_path(cr, text, x, y, size, warp, face)
        neon_stroke(cr, colour, width, alpha=alpha, heat=heat, light=light)
        return
    if alpha <= 0.003 or width <= 0:
        return
    cr.new_path()
    paints = [
        ((*colour, TUBE_ALPHA * alpha), width),
        ((*_hot(tuple(colour)), _core_alpha(alpha, heat)), width * CORE_WIDTH),
    ]
    if light is not None:  # the halo goes to the soft-light buffer, at its resolution
        halo = text_masks(text, size, (width * HALO_WIDTH,), scale=1.0 / light.factor, face=face)
        soft = light.context(cr)
        hx, hy = soft.user_to_device(x, y)
        soft.save()
        soft.identity_matrix()
        soft.set_source_rgba(*colour, HALO_ALPHA * alpha)
        soft.mask_surface(halo.masks[0], hx - halo.ox, hy - halo.oy)
        soft.restore()
    else:
        paints.insert(0, ((*colour, HALO_ALPHA * alpha), width * HALO_WIDTH))
    _paint_masks(cr, text, x, y, size, paints, face)


def text_stroke(
    cr: cairo.Context,
    text: str,
    x: float,
    y: float,
    size: float,
    rgba: tuple[float, float, float, float],
    width: float,
    warp: Warp | None = None,
    face: str = "futural",
) -> None:
    """`text` stroked once in one colour (round caps and joins), from a cached mask on
    raster frames; warped text and vector surfaces are stroked as paths."""
    if warp is not None or not isinstance(cr.get_group_target(), cairo.ImageSurface):
        text_path(cr, text, x, y, size, warp, face)
        cr.set_line_cap(cairo.LINE_CAP_ROUND)
        cr.set_line_join(cairo.LINE_JOIN_ROUND)
        cr.set_source_rgba(*rgba)
        cr.set_line_width(width)
        cr.stroke()
    elif text.strip() and rgba[3] > 0.003 and width > 0:
        _paint_masks(cr, text, x, y, size, [(rgba, width)], face)


def _paint_masks(
    cr: cairo.Context, text: str, x: float, y: float, size: float, paints, face: str = "futural"
) -> None:
    """Paint `text` from its masks, one (rgba, stroke width) after another."""
    widths = tuple(w for _, w in paints)
    m = cr.get_matrix()
    cr.save()
    if m.xy == 0.0 and m.yx == 0.0 and m.xx == 1.0 and m.yy == 1.0:
        # A translation: paint at a whole device pixel from the masks of its phase.
        (ix, fx), (iy, fy) = (snap(v) for v in cr.user_to_device(x, y))
        masks = text_masks(text, size, widths, fx, fy, face=face)
        cr.identity_matrix()
        px, py = ix - (masks.ox - fx), iy - (masks.oy - fy)
    else:
        # Anything else (camera zoom and shake, roll) resamples the phase-0 masks through
        # the transform. Masks stroked at the zoom itself were tried: a zoom that drifts
        # every frame made them all new, each string's characters stroked again (about
        # 0.4 ms a string against 0.04 ms to resample it; console 21.6 -> 18.7 ms a frame
        # on bench_frame_cost's frames).
        masks = text_masks(text, size, widths, face=face)
        resampled = _resampled(cr, [_a8(m) for m in masks.masks], x - masks.ox, y - masks.oy)
        if resampled is not None:
            cr.identity_matrix()
            warped, px, py = resampled
            for (rgba, _), mask in zip(paints, warped, strict=False):  # none: off the frame
                cr.set_source_rgba(*rgba)
                cr.mask_surface(mask, px, py)
            cr.restore()
            return
        cr.translate(x, y)
        px, py = -masks.ox, -masks.oy
    for (rgba, _), mask in zip(paints, masks.masks, strict=True):
        cr.set_source_rgba(*rgba)
        cr.mask_surface(mask, px, py)
    cr.restore()


def _device_box(
    cr: cairo.Context, target: cairo.ImageSurface, ux0: float, uy0: float, ux1: float, uy1: float
) -> tuple[int, int, int, int]:
    """The device pixels (x0, y0, x1, y1, in device space) that the user-space box
    (ux0, uy0)-(ux1, uy1) can touch under `cr`'s transform, a pixel of margin included,
    cut to the target surface."""
    corners = [cr.user_to_device(u, v) for u in (ux0, ux1) for v in (uy0, uy1)]
    ox, oy = target.get_device_offset()
    w, h = target.get_width(), target.get_height()
    return _pixel_box(
        corners, math.floor(-ox), math.floor(-oy), math.ceil(w - ox), math.ceil(h - oy)
    )


def _pixel_box(points, lo_x: int, lo_y: int, hi_x: int, hi_y: int) -> tuple[int, int, int, int]:
    """The whole pixels (x0, y0, x1, y1) around `points`, a pixel of margin included, cut
    to [lo_x, hi_x) x [lo_y, hi_y)."""
    x0 = max(math.floor(min(p[0] for p in points)) - 1, lo_x)
    y0 = max(math.floor(min(p[1] for p in points)) - 1, lo_y)
    x1 = min(math.ceil(max(p[0] for p in points)) + 1, hi_x)
    y1 = min(math.ceil(max(p[1] for p in points)) + 1, hi_y)
    return x0, y0, x1, y1


def _resampled(
    cr: cairo.Context,
    images: list[np.ndarray],
    x: float,
    y: float,
    region: np.ndarray | None = None,
) -> tuple[list[cairo.ImageSurface], int, int] | None:
    """`images` (alike in size: A8 pixels (H, W) or premultiplied ARGB32 ones (H, W, 4))
    placed with their origin at user point (x, y), resampled by OpenCV onto the device
    pixel grid: new surfaces and the whole device pixel where they go, to paint with an
    identity transform. None where cairo should do it (a vector target, a device scale,
    or a scale that cairo filters with more than bilinear taps).

    Pixman resamples through a rotation or a zoom on a slow general path (a 30-character
    mask about 0.25 ms; a whole picture tens of ms); cv2.warpAffine does the same bilinear
    sampling, about 1/32 pixel and 1/256 of a level apart, for a fraction of that.

    `region`: the edges (x0, y0, x1, y1 rows, device space) of polygons outside which
    nothing will be painted (the caller's clip): only the pixels near them are resampled,
    band by band of rows, the rest left clear."""
    target = cr.get_group_target()
    if not isinstance(target, cairo.ImageSurface) or target.get_device_scale() != (1.0, 1.0):
        return None
    m = cr.get_matrix()
    if min(math.hypot(m.xx, m.yx), math.hypot(m.xy, m.yy)) < 0.8:
        return None
    sh, sw = images[0].shape[:2]
    x0, y0, x1, y1 = _device_box(cr, target, x, y, x + sw, y + sh)
    # Only the pixels a clip lets through are resampled (half the split sphere's picture).
    kx0, ky0, kx1, ky1 = _device_box(cr, target, *cr.clip_extents())
    x0, y0, x1, y1 = max(x0, kx0), max(y0, ky0), min(x1, kx1), min(y1, ky1)
    if x1 <= x0 or y1 <= y0:
        return [], 0, 0
    runs = None if region is None else _runs(region, x0, y0, x1, y1)
    inv = cairo.Matrix(*m)
    inv.invert()
    # Device pixel (i, j) of the box has its centre at (x0 + i + 0.5, y0 + j + 0.5); its
    # user point less (x, y) is where it samples the surface, whose pixel k is centred at
    # k + 0.5 for cairo and at k for OpenCV.
    a, b, c, d = inv.xx, inv.xy, inv.yx, inv.yy
    cx, cy = inv.transform_point(x0 + 0.5, y0 + 0.5)
    warp = np.array([[a, b, cx - x - 0.5], [c, d, cy - y - 0.5]])
    fmt = cairo.FORMAT_A8 if images[0].ndim == 2 else cairo.FORMAT_ARGB32
    w, h = x1 - x0, y1 - y0
    stride = cairo.ImageSurface.format_stride_for_width(fmt, w)
    out = []
    shape = (h, stride) if fmt == cairo.FORMAT_A8 else (h, stride // 4, 4)
    for src in images:
        if runs is None:
            buf = np.empty(shape, np.uint8)
            _warp(src, warp, buf)
        else:
            # Band by band, each warped where the region reaches: OpenCV works out each
            # pixel's sample from its own position in the destination, so these are the
            # bytes of warping the whole box there.
            buf = np.zeros(shape, np.uint8)
            for r0, r1, c0, c1 in runs:
                shifted = warp.copy()
                shifted[:, 2] += warp[:, 0] * c0 + warp[:, 1] * r0
                _warp(src, shifted, buf[r0:r1, c0:c1])
        out.append(cairo.ImageSurface.create_for_data(memoryview(buf), fmt, w, h, stride))
    return out, x0, y0


def _warp(src: np.ndarray, warp: np.ndarray, dst: np.ndarray) -> None:
    """cv2.warpAffine of `src` into the whole of `dst` (a view), `warp` taking dst's pixels
    to src's, bilinear, clear outside."""
    cv2.warpAffine(
        src, warp, (dst.shape[1], dst.shape[0]), dst=dst,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_CONSTANT,
    )  # fmt: skip


RUN_ROWS = 32  # rows a band of `_runs`


def _runs(edges: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> list[tuple[int, int, int, int]]:
    """The box (x0, y0)-(x1, y1) of device pixels cut into bands of RUN_ROWS rows, each
    narrowed to the columns where polygons with these `edges` (rows x0, y0, x1, y1 in
    device space) reach within it, two pixels of margin (antialiasing of the clip, the
    bilinear sample) included: (row0, row1, col0, col1) relative to the box, empty bands
    left out. A polygon's extent across a band of rows is its edges' extent within it
    (a band inside it meets its edges either side)."""
    tops = np.arange(y0, y1, RUN_ROWS)
    lo = (tops - 2.0)[:, None]  # each band's rows with their margin
    hi = (np.minimum(tops + RUN_ROWS, y1) + 2.0)[:, None]
    ex0, ey0, ex1, ey1 = edges[:, 0], edges[:, 1], edges[:, 2], edges[:, 3]
    elo, ehi = np.minimum(ey0, ey1), np.maximum(ey0, ey1)
    a, b = np.clip(lo, elo, ehi), np.clip(hi, elo, ehi)  # each edge's stretch in each band
    dy = np.where(ey1 != ey0, ey1 - ey0, 1.0)
    slope = np.where(ey1 != ey0, (ex1 - ex0) / dy, 0.0)
    xa, xb = ex0 + (a - ey0) * slope, ex0 + (b - ey0) * slope
    flat = ey1 == ey0  # a level edge reaches its whole length
    xa, xb = np.where(flat, ex0, xa), np.where(flat, ex1, xb)
    meets = (ehi >= lo) & (elo <= hi)
    left = np.where(meets, np.minimum(xa, xb), np.inf).min(axis=1)
    right = np.where(meets, np.maximum(xa, xb), -np.inf).max(axis=1)
    runs = []
    for top, lo_x, hi_x in zip(tops.tolist(), left.tolist(), right.tolist(), strict=True):
        if lo_x > hi_x:
            continue
        c0, c1 = max(math.floor(lo_x) - 2, x0), min(math.ceil(hi_x) + 2, x1)
        if c1 > c0:
            runs.append((top - y0, min(top + RUN_ROWS, y1) - y0, c0 - x0, c1 - x0))
    return runs


def _edges(cr: cairo.Context, path: cairo.Path) -> np.ndarray:
    """The edges (x0, y0, x1, y1 rows, in device space) of `path` (in cr's user space, of
    straight lines: cr.copy_path_flat), each of its sub-paths closed."""
    points, edges = [], []

    def close() -> None:
        if len(points) > 1:
            edges.extend((*p, *q) for p, q in zip(points, points[1:] + points[:1], strict=True))
        points.clear()

    for kind, coords in path:
        if kind == cairo.PATH_MOVE_TO:
            close()
            points.append(cr.user_to_device(*coords))
        elif kind == cairo.PATH_LINE_TO:
            points.append(cr.user_to_device(*coords))
        elif kind == cairo.PATH_CLOSE_PATH:
            start = points[0] if points else None
            close()
            if start is not None:
                points.append(start)
        else:
            raise ValueError("a path of straight lines (copy_path_flat) is needed")
    close()
    return np.array(edges, np.float64).reshape(-1, 4)


def paint_group(cr: cairo.Context, group: cairo.Pattern, within: cairo.Path | None = None) -> None:
    """Paint `group` (what cr.pop_group() returned) through cr's transform, within its clip:
    ``cr.set_source(group); cr.paint()``. On raster frames the group's picture is first
    resampled onto the pixel grid by OpenCV (see `_resampled`): pixman turns a picture
    on a slow general path, 6-7 ms a frame for the split sphere's two halves at 1080p.

    `within`: a path of straight lines (cr.copy_path_flat(), in cr's user space) to paint
    within, as if clipped to it first; only the pixels it reaches are then resampled (a
    split sphere's half: about half of its box, 3.5 -> 2 ms a half at 1080p)."""
    if within is not None:
        cr.save()
        cr.new_path()
        cr.append_path(within)
        region = _edges(cr, within)
        cr.clip()
        _paint_group(cr, group, region)
        cr.restore()
    else:
        _paint_group(cr, group, None)


def _paint_group(cr: cairo.Context, group: cairo.Pattern, region: np.ndarray | None) -> None:
    surface = group.get_surface() if isinstance(group, cairo.SurfacePattern) else None
    if isinstance(surface, cairo.ImageSurface) and surface.get_device_scale() == (1.0, 1.0):
        ox, oy = surface.get_device_offset()
        # User space at pop_group -> the group's pixels; user units made its pixels.
        to_pixels = group.get_matrix().multiply(cairo.Matrix(x0=ox, y0=oy))
        back = cairo.Matrix(*to_pixels)
        back.invert()
        cr.save()
        cr.transform(back)
        placed = _resampled(cr, [pixels(surface)], 0.0, 0.0, region)
        if placed is not None:
            warped, px, py = placed
            cr.identity_matrix()
            for picture in warped:  # none: nothing of it within the clip
                cr.set_source_surface(picture, px, py)
                cr.paint()
            cr.restore()
            return
        cr.restore()
    cr.set_source(group)
    cr.paint()


def _a8(surface: cairo.ImageSurface) -> np.ndarray:
    """An A8 surface's pixels as an (H, W) uint8 view."""
    surface.flush()
    h, stride = surface.get_height(), surface.get_stride()
    return np.ndarray((h, stride), np.uint8, surface.get_data())[:, : surface.get_width()]


def radial_glow(
    cr: cairo.Context,
    x: float,
    y: float,
    radius: float,
    colour: RGB,
    alpha: float,
    light: SoftLight | None = None,
) -> None:
    """A soft disc of light falling off to nothing at `radius`.

    With `light` (the frame's soft-light buffer) a large glow is drawn there, cheaply,
    instead of on `cr`; small ones stay on `cr` where their shape needs the pixels, and
    on raster frames are stamped from a cached mask of the falloff.
    """
    if alpha <= 0.003 or radius <= 0:
        return
    gradient = _glow_gradient(x, y, radius, colour, alpha)
    if light is not None and light.accepts(radius):
        cr = light.context(cr)
    elif _stamp(cr, x, y, radius, colour, alpha):
        return
    elif radius * math.sqrt(abs(_det(cr.get_matrix()))) >= 32:
        # A large glow drawn sharp (no soft light: inside a group that is clipped) is
        # shaded at a quarter of the resolution and scaled up: it has no detail to lose,
        # and pixman's radial gradient cost ~2.5 ms for one the sphere's size at 1080p.
        # Filled through fill_smooth: 3.0 -> 1.4 ms for the split sphere's heart at 1080p.
        picture = low_res(cr, gradient, x - radius, y - radius, 2 * radius, 2 * radius)
        cr.arc(x, y, radius, 0, 2 * math.pi)
        fill_smooth(cr, picture)
        return
    cr.set_source(gradient)
    cr.arc(x, y, radius, 0, 2 * math.pi)
    cr.fill()


def _det(m: cairo.Matrix) -> float:
    return m.xx * m.yy - m.xy * m.yx


def _glow_gradient(x: float, y: float, radius: float, colour, alpha: float) -> cairo.Pattern:
    g = cairo.RadialGradient(x, y, 0, x, y, radius)
    g.add_color_stop_rgba(0.0, *colour, alpha)
    g.add_color_stop_rgba(0.35, *colour, alpha * 0.35)
    g.add_color_stop_rgba(1.0, *colour, 0.0)
    return g


GLOW_PHASES = 2  # glows are soft: half-pixel positions are plenty


def _stamped_radius(cr: cairo.Context, radius: float) -> float | None:
    """The device radius (to a quarter pixel) at which a glow of `radius` is stamped from a
    cached mask under cr's transform, None where it cannot be."""
    if radius > 64 or not isinstance(cr.get_group_target(), cairo.ImageSurface):
        return None
    m = cr.get_matrix()
    if m.xx != m.yy or m.xy != -m.yx:  # not a uniform scale (and rotation)
        return None
    scale = math.hypot(m.xx, m.yx)
    if m.xy != 0.0 and radius * scale < 8:
        # A glow is round, so a rotation leaves it a glow; but a small one stamped at a
        # half-pixel phase moves visibly from where the rotated gradient would draw it.
        return None
    return round(radius * scale * 4) / 4


def radial_glows(cr: cairo.Context, radius: float, glows) -> None:
    """`radial_glow(cr, x, y, radius, colour, alpha)` (no soft light) for each (x, y,
    colour, alpha) of `glows`: where they can be stamped, all of them with one look at the
    transform, the same masks at the same pixels (the web's 102 node glows one by one
    cost ~1 ms a frame, mostly Python)."""
    rq = _stamped_radius(cr, radius) if radius > 0 else None
    if rq is None:
        for x, y, colour, alpha in glows:
            radial_glow(cr, x, y, radius, colour, alpha)
        return
    m = cr.get_matrix()
    cr.save()
    cr.identity_matrix()
    for x, y, colour, alpha in glows:
        if alpha <= 0.003:
            continue
        (ix, fx), (iy, fy) = (snap(v, GLOW_PHASES) for v in m.transform_point(x, y))
        mask, pad = _glow_mask(rq, fx, fy)
        cr.set_source_rgba(*colour, alpha)
        cr.mask_surface(mask, ix - pad, iy - pad)
    cr.restore()


def _stamp(cr: cairo.Context, x: float, y: float, radius: float, colour, alpha: float) -> bool:
    """Paint a small glow from a cached A8 mask of its falloff; False if it cannot be."""
    rq = _stamped_radius(cr, radius)
    if rq is None:
        return False
    (ix, fx), (iy, fy) = (snap(v, GLOW_PHASES) for v in cr.user_to_device(x, y))
    mask, pad = _glow_mask(rq, fx, fy)
    cr.save()
    cr.identity_matrix()
    cr.set_source_rgba(*colour, alpha)
    cr.mask_surface(mask, ix - pad, iy - pad)
    cr.restore()
    return True


@lru_cache(maxsize=512)
def _glow_mask(radius: float, fx: float, fy: float) -> tuple[cairo.ImageSurface, int]:
    pad = math.ceil(radius) + 1
    mask = cairo.ImageSurface(cairo.FORMAT_A8, 2 * pad + 1, 2 * pad + 1)
    mc = cairo.Context(mask)
    cx, cy = pad + fx, pad + fy
    mc.set_source(_glow_gradient(cx, cy, radius, (0.0, 0.0, 0.0), 1.0))
    mc.arc(cx, cy, radius, 0, 2 * math.pi)
    mc.fill()
    mask.flush()
    return mask, pad


SMOOTH = 4  # smooth gradients are drawn at 1/SMOOTH of the resolution, then upsampled


def low_res(
    cr: cairo.Context,
    pattern: cairo.Pattern,
    x: float,
    y: float,
    w: float,
    h: float,
    add: tuple[cairo.Pattern, ...] = (),
):
    """`pattern` over the box (x, y, w, h), rendered at 1/SMOOTH resolution and scaled up
    bilinearly: the same smooth shading for about 2/5 of the cost (3.4 vs 8.5 ms for the
    sphere at 1080p). On vector surfaces the pattern itself is returned.

    `add`: smooth light to add over the shading, put in the same small image (one fill of
    the box at full size instead of one each: light adds up in any order, so this is the
    same as adding each later). Vector surfaces get `pattern` alone: the caller adds them.

    Under a camera roll the small image of a large box is laid on the device's pixel grid,
    not the user's: it is then only scaled, which pixman does on a fast path (resampling
    it through a rotation cost several ms a 1080p frame). A small box is cheap either way,
    and on it the coarser grid's new phase would show."""
    if not isinstance(cr.get_group_target(), cairo.ImageSurface):
        return pattern
    m = cr.get_matrix()
    corners = [cr.user_to_device(x + u, y + v) for u in (0, w) for v in (0, h)]
    span = max(max(p[0] for p in corners) - min(p[0] for p in corners), 0.0)
    if (m.xy == 0.0 and m.yx == 0.0) or span < 256:
        x0, y0 = x - SMOOTH, y - SMOOTH  # a margin, so the edge samples real shading
        small = cairo.ImageSurface(
            cairo.FORMAT_ARGB32, math.ceil(w / SMOOTH) + 3, math.ceil(h / SMOOTH) + 3
        )
        to_small = cairo.Matrix(xx=1 / SMOOTH, yy=1 / SMOOTH, x0=-x0 / SMOOTH, y0=-y0 / SMOOTH)
    else:
        x0 = math.floor(min(p[0] for p in corners)) - SMOOTH
        y0 = math.floor(min(p[1] for p in corners)) - SMOOTH
        x1 = math.ceil(max(p[0] for p in corners))
        y1 = math.ceil(max(p[1] for p in corners))
        small = cairo.ImageSurface(
            cairo.FORMAT_ARGB32,
            math.ceil((x1 - x0) / SMOOTH) + 3,
            math.ceil((y1 - y0) / SMOOTH) + 3,
        )
        device = cairo.Matrix(xx=1 / SMOOTH, yy=1 / SMOOTH, x0=-x0 / SMOOTH, y0=-y0 / SMOOTH)
        to_small = m.multiply(device)  # user space, through the device, to the image
    sc = cairo.Context(small)
    sc.set_matrix(to_small)
    sc.set_source(pattern)
    sc.paint()
    if add:
        sc.set_operator(cairo.OPERATOR_ADD)
        for light in add:
            sc.set_source(light)
            sc.paint()
    # Scaled up by OpenCV onto the device's pixels (the small image lies on an axis-aligned
    # grid, so the warp takes its fast path): pixman then only copies, where scaling it
    # bilinearly cost ~3x as much (the sphere's shell 1.0 -> 0.4 ms at 1080p).
    cr.save()
    back = cairo.Matrix(*to_small)
    back.invert()
    cr.transform(back)  # user units are now the small image's pixels
    placed = _resampled(cr, [pixels(small)], 0.0, 0.0)
    cr.restore()
    if placed is not None and placed[0]:
        (picture,), px, py = placed
        out = cairo.SurfacePattern(picture)
        out.set_matrix(cr.get_matrix().multiply(cairo.Matrix(x0=-px, y0=-py)))
        out.set_filter(cairo.FILTER_NEAREST)  # on the pixel grid: nothing to filter
        return out
    out = cairo.SurfacePattern(small)
    out.set_matrix(to_small)
    out.set_filter(cairo.FILTER_BILINEAR)
    return out


def _on_grid(cr: cairo.Context, pattern: cairo.Pattern) -> cairo.SurfacePattern | None:
    """`pattern` as low_res gives it on raster frames (a picture on the device's pixel grid,
    to be sampled at whole pixels), remade for an identity transform; None if it is not one.

    Its matrix composed with the inverse of the camera's comes out a hair off a whole-pixel
    shift under a roll (0.9999999999999999, 7e-18), and pixman then samples the picture on
    a general path: 1.7 ms for the sphere's disc at 1080p, where the exact shift costs
    0.37 ms (and half as much for a large glow added sharp)."""
    target = cr.get_group_target()
    surface = pattern.get_surface() if isinstance(pattern, cairo.SurfacePattern) else None
    if (
        not isinstance(target, cairo.ImageSurface)
        or target.get_device_scale() != (1.0, 1.0)
        or not isinstance(surface, cairo.ImageSurface)
        or surface.get_format() != cairo.FORMAT_ARGB32
        or pattern.get_filter() != cairo.FILTER_NEAREST
        or pattern.get_extend() != cairo.EXTEND_NONE
    ):
        return None
    to_user = cr.get_matrix()
    to_user.invert()
    xx, yx, xy, yy, x0, y0 = to_user.multiply(pattern.get_matrix())  # device -> picture
    tx, ty = round(x0), round(y0)
    if max(abs(xx - 1), abs(yy - 1), abs(xy), abs(yx), abs(x0 - tx), abs(y0 - ty)) > 1e-9:
        return None
    exact = cairo.SurfacePattern(surface)
    exact.set_matrix(cairo.Matrix(x0=tx, y0=ty))
    exact.set_filter(cairo.FILTER_NEAREST)
    return exact


def fill_smooth(cr: cairo.Context, pattern: cairo.Pattern, opaque: bool = False) -> None:
    """Fill the current path with `pattern` (what low_res returned) with cr's operator:
    ``cr.set_source(pattern); cr.fill()``, its picture sampled at exact whole pixels
    (`_on_grid`). `opaque`: the picture is opaque wherever the path covers it, and the
    operator OVER; it is then filled as SOURCE, the same blend for an opaque source, for
    which cairo copies whole runs of it (0.37 -> 0.2 ms for the sphere's disc)."""
    exact = _on_grid(cr, pattern)
    if exact is None:
        cr.set_source(pattern)
        cr.fill()
        return
    cr.save()
    cr.identity_matrix()  # the path stays where it was drawn: cairo keeps it in device space
    cr.set_source(exact)
    if opaque:
        cr.set_operator(cairo.OPERATOR_SOURCE)
    cr.fill()
    cr.restore()


# --------------------------------------------------------------------------- pictures

_EXTENTS: OrderedDict[int, tuple[cairo.ImageSurface, tuple[int, int, int, int] | None]] = (
    OrderedDict()
)
_EXTENTS_MAX = 4096


def _extent(picture: cairo.ImageSurface) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) of a picture's non-transparent pixels, None if it has
    none; found once per picture (kept with it, least recently used first out)."""
    key = id(picture)
    hit = _EXTENTS.get(key)
    if hit is not None and hit[0] is picture:
        _EXTENTS.move_to_end(key)
        return hit[1]
    lit = pixels(picture).view(np.uint32)[..., 0] != 0  # premultiplied: clear is all zero
    rows, cols = np.flatnonzero(lit.any(axis=1)), np.flatnonzero(lit.any(axis=0))
    box = None
    if len(rows):
        box = (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)
    _EXTENTS[key] = (picture, box)
    if len(_EXTENTS) > _EXTENTS_MAX:
        _EXTENTS.popitem(last=False)
    return box


def paint_picture(
    cr: cairo.Context,
    picture: cairo.ImageSurface,
    x: float = 0.0,
    y: float = 0.0,
    alpha=1.0,
    box: tuple[int, int, int, int] | None = None,
) -> None:
    """Paint `picture` (an ARGB32 surface that is no longer drawn on: a cached drawing)
    with its origin at (x, y), times `alpha`, with cr's operator.

    The same pixels as `set_source_surface` and `paint_with_alpha`, for a fraction of the
    cost under a camera's transform: on a raster target the paint is clipped to the whole
    device pixels the picture's drawn part can reach. Pixman resamples a transformed
    picture fast only where every pixel it paints samples inside the picture; a paint over
    the whole frame samples outside it near the edges and takes the slow path (20-30 ms
    for a 1080p picture, about 2 ms clipped).

    `box` (x0, y0, x1, y1): the picture's pixels that may be drawn, where the caller
    knows them; else they are found once per picture and kept, for a picture drawn
    once (one drawn afresh for each frame must say its box)."""
    cr.save()
    cr.set_source_surface(picture, x, y)
    raster = isinstance(cr.get_group_target(), cairo.ImageSurface)
    if raster and picture.get_format() == cairo.FORMAT_ARGB32 and not cr.has_current_point():
        box = _extent(picture) if box is None else box
        if box is None:
            cr.restore()
            return
        m = cr.get_matrix()
        if m.xy != 0.0 or m.yx != 0.0:  # a rotation: pixman has no fast path for it at all
            x0, y0, x1, y1 = box
            drawn = pixels(picture)[y0:y1, x0:x1]
            resampled = _resampled(cr, [drawn], x + x0, y + y0)
            if resampled is not None:
                warped, px, py = resampled
                if warped:
                    cr.identity_matrix()
                    cr.set_source_surface(warped[0], px, py)
                    cr.paint_with_alpha(alpha)
                cr.restore()
                return
        # Resampling reaches a pixel beyond the drawn part, more when shrinking (cairo's
        # filter then widens to the scale): grow the box by that before transforming it.
        shrink = min(math.hypot(m.xx, m.yx), math.hypot(m.xy, m.yy))
        grow = 2 + math.ceil(1.0 / max(shrink, 1e-3))
        x0, y0, x1, y1 = box
        corners = [
            cr.user_to_device(x + u, y + v)
            for u in (x0 - grow, x1 + grow)
            for v in (y0 - grow, y1 + grow)
        ]
        dx0 = math.floor(min(p[0] for p in corners))
        dy0 = math.floor(min(p[1] for p in corners))
        dx1 = math.ceil(max(p[0] for p in corners))
        dy1 = math.ceil(max(p[1] for p in corners))
        cr.identity_matrix()
        cr.rectangle(dx0, dy0, dx1 - dx0, dy1 - dy0)
        cr.set_matrix(m)
        cr.clip()
    cr.paint_with_alpha(alpha)
    cr.restore()


# --------------------------------------------------------------------------- gradients


def fill_gradient(cr: cairo.Context, gradient: cairo.LinearGradient) -> None:
    """Fill the current path with a linear gradient of opaque stops (the path is used up).

    The same as ``cr.set_source(gradient); cr.fill()``. Under a camera roll pixman
    evaluates a gradient that is not axis-aligned pixel by pixel on a slow path (about
    1 ms for a 140x400 panel at 1080p); on a raster target the gradient is then computed
    here over the path's device box, as pixman computes it (stops at cairo's 16 bits, a
    float blend rounded to bytes), and the path filled from that picture (0.1 ms)."""
    m = cr.get_matrix()
    target = cr.get_group_target()
    stops = gradient.get_color_stops_rgba()
    scaled = isinstance(target, cairo.ImageSurface) and target.get_device_scale() != (1.0, 1.0)
    if (
        (m.xy == 0.0 and m.yx == 0.0)
        or not isinstance(target, cairo.ImageSurface)
        or (scaled and target.get_device_offset() != (0.0, 0.0))
        or gradient.get_extend() != cairo.EXTEND_PAD
        or len(stops) < 2
        or any(a < 1.0 for *_, a in stops)
    ):
        cr.set_source(gradient)
        cr.fill()
        return
    # On a plane drawn small (camera.blurred_surface) the device scale takes cairo's
    # device units to the surface's pixels, which the picture is made in.
    sx, sy = target.get_device_scale()
    to_pixels = m.multiply(cairo.Matrix(xx=sx, yy=sy))
    ux0, uy0, ux1, uy1 = cr.fill_extents()
    if scaled:
        corners = [to_pixels.transform_point(u, v) for u in (ux0, ux1) for v in (uy0, uy1)]
        x0, y0, x1, y1 = _pixel_box(corners, 0, 0, target.get_width(), target.get_height())
    else:
        x0, y0, x1, y1 = _device_box(cr, target, ux0, uy0, ux1, uy1)
    if x1 <= x0 or y1 <= y0:
        cr.new_path()
        return
    # t along the gradient as an affine function of the pixel's centre.
    px0, py0, px1, py1 = gradient.get_linear_points()
    dx, dy = px1 - px0, py1 - py0
    norm = dx * dx + dy * dy
    to_pattern = cairo.Matrix(*to_pixels)
    to_pattern.invert()
    to_pattern = to_pattern.multiply(gradient.get_matrix())  # pixels -> user -> pattern

    def t_at(x: float, y: float) -> float:
        u, v = to_pattern.transform_point(x, y)
        return ((u - px0) * dx + (v - py0) * dy) / norm if norm > 0 else 0.0

    c = t_at(x0 + 0.5, y0 + 0.5)
    a, b = t_at(x0 + 1.5, y0 + 0.5) - c, t_at(x0 + 0.5, y0 + 1.5) - c
    offsets = np.array([o for o, *_ in stops])
    # cairo hands pixman its colours as 16-bit; pixman blends them in 0..255 floats.
    levels = np.array(
        [[round(ch * 65535.0) / 257.0 for ch in (bb, g, r)] for _, r, g, bb, _ in stops]
    )
    w, h = x1 - x0, y1 - y0
    stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_ARGB32, w)
    buf = np.empty((h, stride // 4), np.uint32)
    _compile()
    _linear_bgra(buf, w, a, b, c, offsets, levels)
    picture = cairo.ImageSurface.create_for_data(memoryview(buf), cairo.FORMAT_ARGB32, w, h, stride)
    cr.save()
    cr.identity_matrix()  # the path is already in device space; the picture lies on it
    source = cairo.SurfacePattern(picture)
    source.set_matrix(cairo.Matrix(xx=sx, yy=sy, x0=-x0, y0=-y0))  # its pixels on the target's
    cr.set_source(source)
    cr.fill()
    cr.restore()


# The kernels are compiled, or loaded from numba's disk cache, by `_compile` on first use
# (as render/tonemap.py's): importing numba costs about half a second that commands which
# never render should not pay.
_compiled = False


def _compile() -> None:
    global _linear_bgra, _ellipse_lines, _line_level, _segment_lines, _compiled
    if _compiled:
        return
    import numba

    _linear_bgra = numba.njit(cache=True, fastmath={"nnan", "ninf", "nsz"})(_linear_bgra)
    # (fast maths: a quarter faster; its square roots and divisions are of positive
    # finite numbers)
    _line_level = numba.njit(cache=True, fastmath=True, error_model="numpy", inline="always")(
        _line_level
    )
    _ellipse_lines = numba.njit(cache=True, fastmath=True, error_model="numpy")(_ellipse_lines)
    _segment_lines = numba.njit(cache=True, fastmath=True, error_model="numpy")(_segment_lines)
    _compiled = True


def _linear_bgra(out, width, a, b, c, offsets, levels):  # pragma: no cover - compiled
    """Opaque ARGB32 pixels (uint32, as cairo keeps them) of a padded linear gradient:
    t = a x + b y + c at pixel (x, y); stops at `offsets`, colours `levels` (B, G, R in
    0..255)."""
    n = offsets.shape[0]
    for y in range(out.shape[0]):
        row = out[y]
        ty = b * y + c
        for k in range(n - 1):  # each stretch between two stops, a loop that vectorises
            lo = -np.inf if k == 0 else offsets[k]
            hi = np.inf if k == n - 2 else offsets[k + 1]
            o = offsets[k]
            span = offsets[k + 1] - o if offsets[k + 1] > o else 1.0
            b0, g0, r0 = levels[k, 0], levels[k, 1], levels[k, 2]
            db, dg, dr = levels[k + 1, 0] - b0, levels[k + 1, 1] - g0, levels[k + 1, 2] - r0
            for x in range(width):
                t = a * x + ty
                if lo <= t <= hi:
                    f = min(max((t - o) / span, 0.0), 1.0)
                    bb = np.uint32(b0 + db * f + 0.5)
                    gg = np.uint32(g0 + dg * f + 0.5)
                    rr = np.uint32(r0 + dr * f + 0.5)
                    row[x] = (
                        np.uint32(0xFF000000) | (rr << np.uint32(16)) | (gg << np.uint32(8)) | bb
                    )


def _ellipse_lines(out, conics, half):  # pragma: no cover - compiled
    """Antialiased outlines of ellipses, `half` pixels either side of each, as the maximum
    of each pixel's coverage into `out` (H, W) uint8. conics: rows (cx, cy, a, b, c) in
    `out`'s pixels: the curve a x^2 + 2 b x y + c y^2 = 1 about (cx, cy).

    A pixel's coverage comes from its distance d to the curve, to first order Q / |grad Q|:
    the share of the pixel's width that the band [d - half, d + half] covers (a thinner
    line than a pixel covers less of it). The pixels near the curve are found row by row
    where it is steep (the curve's x where it crosses the row's centre) and column by
    column where it is flat, a few pixels either side: between them they reach every
    pixel within `half` + 1 of the curve."""
    h, w = out.shape
    for k in range(conics.shape[0]):
        cx, cy, a, b, c = conics[k, 0], conics[k, 1], conics[k, 2], conics[k, 3], conics[k, 4]
        # The curve's extent: |x'| <= sqrt(c / det), |y'| <= sqrt(a / det).
        det = a * c - b * b
        if det <= 0.0:
            continue
        ex, ey = math.sqrt(c / det), math.sqrt(a / det)
        for axis in range(2):
            # axis 0: rows, solving for x; axis 1: columns, solving for y.
            if axis == 0:
                lo, hi = int(math.floor(cy - ey - 1.0)), int(math.ceil(cy + ey + 1.0))
                lo, hi = max(lo, 0), min(hi, h - 1)
            else:
                lo, hi = int(math.floor(cx - ex - 1.0)), int(math.ceil(cx + ex + 1.0))
                lo, hi = max(lo, 0), min(hi, w - 1)
            for i in range(lo, hi + 1):
                if axis == 0:
                    v = i + 0.5 - cy  # y' of the row's centre: a x'^2 + 2 b v x' + (c v^2 - 1)
                    qa, qb, qc = a, b * v, c * v * v - 1.0
                else:
                    v = i + 0.5 - cx
                    qa, qb, qc = c, b * v, a * v * v - 1.0
                disc = qb * qb - qa * qc
                if disc < 0.0:
                    disc = 0.0  # past the extent: the nearest point, the tangent's
                root = math.sqrt(disc)
                for sign in range(2):
                    t = (-qb + root) / qa if sign == 0 else (-qb - root) / qa
                    # Where the curve runs along this pass's direction (beyond 55 degrees
                    # from across it) the other pass finds its pixels; between 35 and 55
                    # degrees both do, so that none falls between them.
                    if axis == 0:
                        ga, gb = abs(a * t + b * v), abs(b * t + c * v)
                    else:
                        ga, gb = abs(c * t + b * v), abs(b * t + a * v)
                    if ga < 0.7 * gb:
                        continue
                    # Pixels within half + 1 of the curve lie this far along the row (or
                    # column): the distance over the cosine of the curve's slant.
                    span = (half + 1.0) * math.sqrt(ga * ga + gb * gb) / ga
                    centre = (cx if axis == 0 else cy) + t
                    j0 = int(math.floor(centre - 0.5 - span))
                    j1 = int(math.ceil(centre - 0.5 + span))
                    # The pixels along the row (or column) within `out`, without branches
                    # (a clamped coverage, a maximum): the same levels as testing each
                    # pixel, a quarter faster.
                    if axis == 0:
                        j0, j1 = max(j0, 0), min(j1, w - 1)
                        py = i + 0.5 - cy
                        for j in range(j0, j1 + 1):
                            px = j + 0.5 - cx
                            out[i, j] = max(out[i, j], _line_level(a, b, c, px, py, half))
                    else:
                        j0, j1 = max(j0, 0), min(j1, h - 1)
                        px = i + 0.5 - cx
                        for j in range(j0, j1 + 1):
                            py = j + 0.5 - cy
                            out[j, i] = max(out[j, i], _line_level(a, b, c, px, py, half))


def _line_level(a, b, c, px, py, half):  # pragma: no cover - compiled
    """The coverage level (0-255) of the pixel centred at (px, py) from the curve
    a x^2 + 2 b x y + c y^2 = 1 drawn `half` either side (see `_ellipse_lines`)."""
    q = a * px * px + 2.0 * b * px * py + c * py * py - 1.0
    gx, gy = 2.0 * (a * px + b * py), 2.0 * (b * px + c * py)
    g = max(math.sqrt(gx * gx + gy * gy), 1e-30)  # zero only at the centre, far off
    dist = abs(q) / g  # the band [dist - half, dist + half] across a pixel
    cov = min(dist + half, 0.5) - max(dist - half, -0.5)
    return np.uint8(int(min(max(cov, 0.0), 1.0) * 255.0 + 0.5))


def _segment_lines(out, segs):  # pragma: no cover - compiled
    """Antialiased round-capped lines added into `out` (H, W) uint16 (saturating at
    65535), each row of `segs` (x0, y0, x1, y1, half, alpha) in `out`'s pixels: a pixel
    gets 255 `alpha` times the share of its width that the band [d - half, d + half]
    covers, rounded, d its centre's distance to the segment (as `_ellipse_lines`
    measures coverage). Not capped at 255: where lines cross, their light adds past one
    (see `additive_lines`)."""
    h, w = out.shape
    for k in range(segs.shape[0]):
        x0, y0, x1, y1 = segs[k, 0], segs[k, 1], segs[k, 2], segs[k, 3]
        half, alpha = segs[k, 4], segs[k, 5]
        reach = half + 1.0
        c0 = max(int(math.floor(min(x0, x1) - reach)), 0)
        c1 = min(int(math.ceil(max(x0, x1) + reach)), w)
        r0 = max(int(math.floor(min(y0, y1) - reach)), 0)
        r1 = min(int(math.ceil(max(y0, y1) + reach)), h)
        dx, dy = x1 - x0, y1 - y0
        length2 = dx * dx + dy * dy
        inv = 1.0 / length2 if length2 > 1e-12 else 0.0
        for y in range(r0, r1):
            py = y + 0.5 - y0
            for x in range(c0, c1):
                px = x + 0.5 - x0
                t = min(max((px * dx + py * dy) * inv, 0.0), 1.0)
                ex, ey = px - t * dx, py - t * dy
                d = math.sqrt(ex * ex + ey * ey)
                cov = min(d + half, 0.5) - max(d - half, -0.5)
                if cov > 0.0:
                    v = int(out[y, x]) + int(min(cov, 1.0) * alpha * 255.0 + 0.5)
                    out[y, x] = min(v, 65535)


def additive_lines(cr: cairo.Context, lines: np.ndarray, colour: RGB) -> None:
    """Short straight lines of light in one colour, added (OPERATOR_ADD, as `cr` is set):
    `lines` rows (x0, y0, x1, y1, width, alpha) in user units, round caps. The same light
    as stroking each with `set_source_rgba(*colour, alpha)`; on raster frames (no device
    scale) they are rasterised together into one mask and painted once: stroked one by
    one, a burst of sparks (44 lines, ~350 a frame as the web breaks) cost ~10 us of
    cairo's and Python's time each."""
    target = cr.get_group_target()
    if (
        len(lines) == 0
        or not isinstance(target, cairo.ImageSurface)
        or target.get_device_scale() != (1.0, 1.0)
    ):
        cr.save()
        cr.set_line_cap(cairo.LINE_CAP_ROUND)
        for x0, y0, x1, y1, width, alpha in np.asarray(lines, float).tolist():
            cr.move_to(x0, y0)
            cr.line_to(x1, y1)
            cr.set_line_width(width)
            cr.set_source_rgba(*colour, alpha)
            cr.stroke()
        cr.restore()
        return
    m = cr.get_matrix()
    ox, oy = target.get_device_offset()
    segs = np.array(lines, np.float64)
    # User points to the target's pixels; widths to half-widths.
    ends = segs[:, :4].reshape(-1, 2) @ np.array([[m.xx, m.yx], [m.xy, m.yy]])
    ends += (m.x0 + ox, m.y0 + oy)
    segs[:, 4] *= 0.5 * math.sqrt(abs(m.xx * m.yy - m.xy * m.yx))
    # The pixels they can touch, cut to the target and the clip.
    kx0, ky0, kx1, ky1 = _device_box(cr, target, *cr.clip_extents())
    reach = float(segs[:, 4].max()) + 2.0
    (lx, ly), (hx, hy) = ends.min(axis=0).tolist(), ends.max(axis=0).tolist()
    x0 = max(math.floor(max(lx - reach, kx0 + ox)), 0)
    y0 = max(math.floor(max(ly - reach, ky0 + oy)), 0)
    x1 = min(math.ceil(min(hx + reach, kx1 + ox)), target.get_width())
    y1 = min(math.ceil(min(hy + reach, ky1 + oy)), target.get_height())
    if x1 <= x0 or y1 <= y0:
        return
    segs[:, :4] = (ends - (x0, y0)).reshape(-1, 4)
    light = np.zeros((y1 - y0, x1 - x0), np.uint16)
    _compile()
    _segment_lines(light, segs)
    # Stroked one by one, crossing lines add their colour past full alpha, and a channel
    # saturates on its own: three orange sparks over each other go yellow-white. A mask
    # holds alpha up to one, so what is over one (a burst's crossing, a few pixels) is
    # painted again in layers of one mask's worth each, within the box where it is.
    cr.save()
    cr.identity_matrix()
    cr.set_source_rgba(*colour, 1.0)
    level, px, py = light, x0 - ox, y0 - oy
    while True:
        h, w = level.shape
        stride = cairo.ImageSurface.format_stride_for_width(cairo.FORMAT_A8, w)
        buf = np.empty((h, stride), np.uint8)
        np.minimum(level, 255, out=buf[:, :w], casting="unsafe")
        cr.mask_surface(cairo.ImageSurface.create_for_data(memoryview(buf), cairo.FORMAT_A8,
                                                           w, h, stride), px, py)  # fmt: skip
        over = level > 255
        if not over.any():
            break
        rows, cols = np.flatnonzero(over.any(axis=1)), np.flatnonzero(over.any(axis=0))
        a, b, c, d = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        level = level[a:b, c:d] - np.minimum(level[a:b, c:d], 255)
        px, py = px + int(c), py + int(a)
    cr.restore()


def warm_up() -> None:
    """Compile the gradient and outline kernels (or load them from numba's disk cache)."""
    _compile()
    _linear_bgra(
        np.empty((1, 1), np.uint32), 1, 0.0, 0.0, 0.0, np.array([0.0, 1.0]), np.zeros((2, 3))
    )
    _ellipse_lines(np.zeros((4, 4), np.uint8), np.array([[2.0, 2.0, 1.0, 0.0, 1.0]]), 0.6)
    _segment_lines(np.zeros((4, 4), np.uint16), np.array([[1.0, 1.0, 3.0, 2.0, 0.7, 0.5]]))


def band_path(
    cr: cairo.Context, pts: np.ndarray, normals: np.ndarray, radius, lo: float, hi: float,
    span: slice = slice(None),
) -> None:  # fmt: skip
    """Append the band between `lo` and `hi` (fractions of `radius` along `normals`) of a
    tube whose centre line is `pts` (N x 2) as a closed path: one side out, the other
    back. `radius` is a number or one per point; `span` takes a stretch of the tube."""
    p, n = pts[span], normals[span]
    rad = np.broadcast_to(np.asarray(radius, dtype=float), (len(pts),))[span, None]
    a = (p + n * lo * rad).tolist()
    b = (p + n * hi * rad).tolist()
    cr.move_to(*a[0])
    for q in a[1:]:
        cr.line_to(*q)
    for q in reversed(b):
        cr.line_to(*q)
    cr.close_path()


Patch = tuple[np.ndarray, cairo.ImageSurface, int, int]  # pixels, their surface, where

# A coarse image turned onto the pixel grid is first resampled to 1/_STEP of the device's
# resolution, then scaled up: OpenCV's bilinear warp is 3-4x slower with any rotation
# than without (a whole 1080p frame 4-5 against 1.3 ms), and the small turned image
# costs a sixteenth of that. Only where an image pixel covers at least 4 * _STEP device
# pixels: its bilinear ramp is smooth over that span, and the second step rounds the ramp's
# kinks over _STEP pixels (a few levels on the mist; at most 16 between random 0-160
# neighbours, see tests/test_camera.py).
_STEP = 4


def _warp_up(img: np.ndarray, fwd: np.ndarray, w: int, h: int) -> np.ndarray:
    """`img` taken by the affine map `fwd` (OpenCV's convention) onto a (h, w) patch,
    bilinearly, zero outside it."""
    a = fwd[:, :2]
    turned = a[0, 1] != 0.0 or a[1, 0] != 0.0
    if not turned or min(np.hypot(a[0], a[1])) < 4 * _STEP or min(w, h) < 4 * _STEP:
        flags = cv2.INTER_LINEAR
        return cv2.warpAffine(img, fwd, (w, h), flags=flags, borderMode=cv2.BORDER_CONSTANT)
    k, o = _STEP, (_STEP - 1) / 2.0  # patch pixel p = k * u + o for small-grid pixel u
    small = cv2.warpAffine(
        img, np.hstack([a / k, (fwd[:, 2:] - o) / k]), (w // k + 2, h // k + 2),
        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
    )  # fmt: skip
    up = np.array([[1.0 / k, 0.0, -o / k], [0.0, 1.0 / k, -o / k]])
    return cv2.warpAffine(
        small, up, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )  # fmt: skip


def paint_resampled(cr: cairo.Context, img: np.ndarray, to_user: cairo.Matrix) -> Patch | None:
    """Paint `img` (premultiplied BGRA, its pixel (i, j) covering the unit square at (i, j)
    that `to_user` takes to user space) onto the raster target with cr's operator (OVER, or
    ADD for light), resampled by OpenCV straight to device pixels: under the camera's roll
    cairo's bilinear resampling of it cost several times as much. Returns what it painted,
    to paint again (the hands' flesh closing over the fingertips)."""
    h, w = img.shape[:2]
    target = cr.get_group_target()
    if target.get_device_scale() != (1.0, 1.0):  # a plane drawn small: cairo resamples it
        cr.save()
        cr.transform(to_user)
        surface = cairo.ImageSurface.create_for_data(img, cairo.FORMAT_ARGB32, w, h, w * 4)
        cr.set_source_surface(surface, 0, 0)
        cr.get_source().set_filter(cairo.FILTER_BILINEAR)
        cr.rectangle(0, 0, w, h)
        cr.fill()
        cr.restore()
        return None
    full = to_user.multiply(cr.get_matrix())  # image pixels to device pixels
    corners = [full.transform_point(x, y) for x in (0, w) for y in (0, h)]
    tw, th = target.get_width(), target.get_height()
    dx0 = max(0, math.floor(min(p[0] for p in corners)) - 1)
    dy0 = max(0, math.floor(min(p[1] for p in corners)) - 1)
    dx1 = min(tw, math.ceil(max(p[0] for p in corners)) + 1)
    dy1 = min(th, math.ceil(max(p[1] for p in corners)) + 1)
    if dx1 <= dx0 or dy1 <= dy0:
        return None
    # Pixel centres sit at +0.5 in both cairo's spaces and at the integers in OpenCV's.
    xx, yx, xy, yy, x0, y0 = full
    c = (xx * 0.5 + xy * 0.5 + x0 - 0.5 - dx0, yx * 0.5 + yy * 0.5 + y0 - 0.5 - dy0)
    fwd = np.array([[xx, xy, c[0]], [yx, yy, c[1]]])
    patch = _warp_up(img, fwd, dx1 - dx0, dy1 - dy0)
    surface = cairo.ImageSurface.create_for_data(
        patch, cairo.FORMAT_ARGB32, dx1 - dx0, dy1 - dy0, (dx1 - dx0) * 4
    )
    cr.save()
    cr.identity_matrix()
    cr.set_source_surface(surface, dx0, dy0)
    cr.rectangle(dx0, dy0, dx1 - dx0, dy1 - dy0)
    cr.fill()
    cr.restore()
    return patch, surface, dx0, dy0
