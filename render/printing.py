"""Stills for print: physical sizes and DPI, vector PDF/SVG, memory and gamut checks.

A print still is the ordinary frame rendered at the pixel size its paper needs
(``round(inches * dpi)`` per side). PNG output is that raster with the DPI in its pHYs
chunk. PDF and SVG output stack two things on one page of the paper's size:

1. the full raster frame -- every layer plus the post effects (bloom, grain, mist,
   chromatic aberration, scanlines, vignette) -- embedded once, losslessly, at the DPI;
2. on top of it, the neon strokes replayed as vector paths by ``Renderer.draw`` through
   :class:`LightStrokes`, so tubes, lettering and cracks stay sharp at any zoom.

Only *light* is replayed: strokes drawn with cairo's ADD operator whose solid colour is
at least ``MIN_STROKE_ALPHA`` opaque. ADD itself can't be used: PDF and SVG have no
additive blend mode, so cairo would rasterise the page into fallback images, and adding
light onto a raster that already holds it would double it. The strokes are blended with
*Lighten* (per channel, the brighter of stroke and raster) instead: where the raster is
already as bright as the stroke -- its own saturated core, a blown-out white core --
nothing changes, and where the raster is dimmer (the stroke's soft antialiased edge) the
stroke lifts it to its colour with a crisp edge. No light is ever added twice. When the
frame has chromatic aberration, each stroke is drawn as a red, a green and a blue stroke,
red and blue zoomed about the centre exactly as ``effects.chromatic_aberration`` moves
those planes; Lighten works channel by channel, so the three recombine where they meet.

In a PDF each plane's strokes go into a transparency group laid over the raster with
Lighten (a blend mode per stroke would be simpler, but cairo 1.16 does not restate the
blend mode after resetting the clip, so strokes after a clip change came out Normal).
cairo's SVG output has no blend modes at all (it would rasterise the page), so SVG
strokes are written plainly and then given ``mix-blend-mode:lighten`` (browsers,
Inkscape and librsvg honour it; older viewers draw them plainly over the raster).

Shapes drawn with OVER hide what was drawn before them (the dark globe, the opening in
the core, phantoms' bodies, the cut to white); the vector pass paints those shapes again
from the raster, so strokes they cover stay covered. Everything else -- fills, glows,
washes, the mist image, faint halos -- exists only in the raster. The post effects are
raster only (but for the aberration above): the vector strokes carry no grain,
scanlines or vignette, which shows most toward the darkened corners.

Output is atomic like every other output: a hidden temporary beside the target, renamed
into place when complete, removed on any failure.

Why no 16-bit PNG or TIFF: cairo draws into 8-bit ARGB32 and every post effect works on
uint8 frames, so a 16-bit file would only hold the same 8-bit values scaled by 257 --
twice the size, no more tonal precision. An 8-bit PNG with its DPI is lossless and
accepted by print services; convert it if a shop insists on TIFF.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import cairo
import numpy as np

from render.atomic import (
    make_parents,
    remove as _remove,
    remove_made,
    signals_deferred,
    temp_sibling as _temp_sibling,
)
from render.color import LMS_TO_OKLAB, srgb_to_oklab, to_hex
from render.encode import write_png
from render.errors import InputError, RenderError
from render.palette import Palette
from render.sequence import Sequence
from render.units import (
    LimitError,
    SizeLimitError,
    available_memory,
    estimate_frame_bytes,
    paper_size,
    print_pixels,
    to_inches,
)

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
DEFAULT_DPI = 300.0
MIN_STROKE_ALPHA = 0.3
"""Weaker strokes (halos, faint grid lines, pooled light) stay in the raster only."""

_SVG_UNITS = {"mm": cairo.SVGUnit.MM, "cm": cairo.SVGUnit.CM, "in": cairo.SVGUnit.IN}
_SVG_NS = "urn:neon-dream-render:provenance"


# --------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class PrintJob:
    """How a still is written: format, pixel size, and for print output the page and DPI."""

    format: str
    pixels: tuple[int, int]
    dpi: float | None = None
    page: tuple[float, float, str] | None = None  # width, height, unit (mm, cm or in)
    paper: str | None = None

    @property
    def is_print(self) -> bool:
        return self.dpi is not None

    @property
    def inches(self) -> tuple[float, float]:
        assert self.page is not None
        return to_inches(*self.page)

    @property
    def points(self) -> tuple[float, float]:
        w, h = self.inches
        return w * 72.0, h * 72.0

    def describe(self) -> str:
        w, h = self.pixels
        if not self.is_print or self.page is None:
            return f"{w}x{h}"
        pw, ph, unit = self.page
        name = f"{self.paper} {'portrait' if ph > pw else 'landscape'}, " if self.paper else ""
        return f"{name}{pw:.4g}x{ph:.4g}{unit}, {w}x{h} px at {self.dpi:g} dpi"


def still_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: stills are written as .png, .pdf or .svg")
    return fmt


def plan_still(
    path: Path,
    frame_size: tuple[int, int],
    size: tuple | None = None,
    paper: str | None = None,
    portrait: bool = False,
    dpi: float | None = None,
) -> PrintJob:
    """Resolve the still options into a job.

    ``size`` is a pixel size (w, h) or a physical size (w, h, unit); ``frame_size`` is the
    sequence's pixel size (already overridden by a pixel ``size``). Print output (a PDF or
    SVG, a paper, a physical size or a DPI) gets a DPI, 300 unless given; without a
    physical size the page is the pixel size at that DPI.
    """
    fmt = still_format(path)
    physical = size if size is not None and len(size) == 3 else None
    if paper is not None:
        if size is not None:
            raise InputError("--paper and --size both set the size; give only one")
        try:
            physical = paper_size(paper, portrait)
        except ValueError as exc:
            raise InputError(f"--paper: {exc}") from None
    elif portrait:
        if physical is None:
            raise InputError("--portrait needs --paper or a physical --size like 30x20cm")
        w, h, unit = physical
        physical = (min(w, h), max(w, h), unit)
    if physical is None and dpi is None and fmt == "png":
        return PrintJob(fmt, tuple(frame_size))
    dpi = float(dpi) if dpi is not None else DEFAULT_DPI
    if physical is not None:
        option = "--paper" if paper is not None else "--size"
        try:
            pixels = print_pixels(*physical, dpi)
        except SizeLimitError as exc:
            raise LimitError(f"{option}: {exc}") from None
        except ValueError as exc:
            raise InputError(f"{option}: {exc}") from None
        page = (float(physical[0]), float(physical[1]), physical[2])
    else:
        pixels = tuple(frame_size)
        page = (pixels[0] / dpi, pixels[1] / dpi, "in")
    return PrintJob(fmt, pixels, dpi, page, paper.upper() if paper and paper[0] in "aA" else paper)


# --------------------------------------------------------------------------- memory

# Peak memory of a still, measured with /usr/bin/time -v on the dream at 88%: 753 MB for
# A3 and 1.31 GB for A2 at 300 dpi, the same for PNG, PDF and SVG (the peak is in the post
# effects, before the output is written), i.e. about 32 bytes a pixel over ~200 MB of
# interpreter, numpy, numba, OpenCV and cairo. units.estimate_frame_bytes covers the
# cairo surface and the effects' buffers (28 bytes a pixel); a still adds one more
# 4-byte-a-pixel copy (the RGB24 surface embedded in a PDF/SVG, or the PNG encoder's).
_OUTPUT_BYTES_PER_PIXEL = 4
_BASE_BYTES = 300 * 2**20


def estimate_bytes(width: int, height: int) -> int:
    """Peak bytes to render and write one still of width x height pixels."""
    pixels = width * height
    return estimate_frame_bytes(width, height) + pixels * _OUTPUT_BYTES_PER_PIXEL + _BASE_BYTES


def check_memory(width: int, height: int, available: int | None = None) -> None:
    """Refuse up front (LimitError), with a clear message, a still that would not fit."""
    need = estimate_bytes(width, height)
    avail = available if available is not None else available_memory()
    if avail is not None and need > avail:
        gib = 2**30
        raise LimitError(
            f"a {width}x{height} still needs about {need / gib:.1f} GiB of memory but only "
            f"{avail / gib:.1f} GiB is available; lower --dpi or the size"
        )


# --------------------------------------------------------------------------- gamut

# Out-of-gamut heuristic. The gamut of coated offset print (ISO 12647-2, FOGRA39) is
# approximated in OKLab by its 8 solid colours: paper white, black and the six ink
# corners C, M, Y and the overprints R = M+Y, G = C+Y, B = C+M (CIELAB D50 values).
# At a given hue the printable slice is taken as the triangle black - cusp - paper white,
# the cusp interpolated between the two neighbouring ink corners; a colour whose OKLab
# chroma exceeds that triangle's by more than GAMUT_TOLERANCE is flagged. The triangle
# is a little smaller than the real (bulging) gamut, which the tolerance absorbs. Neon
# light -- electric cyan, violet-blue, klaxon red, anything brighter and more saturated
# than ink on paper -- falls far outside; palettes/print.toml stays inside.
_FOGRA39_LAB = {
    "paper": (95.0, 0.0, -2.0),
    "black": (12.0, 0.0, 0.0),
    "C": (55.0, -37.0, -50.0),
    "M": (48.0, 74.0, -3.0),
    "Y": (89.0, -5.0, 93.0),
    "R": (47.0, 68.0, 48.0),
    "G": (50.0, -65.0, 27.0),
    "B": (24.0, 22.0, -46.0),
}
GAMUT_TOLERANCE = 0.05  # OKLab chroma; a clearly visible loss of saturation
GAMUT_ROLES = ("primary", "secondary", "alert", "glow", "text", "hot")

# CIE XYZ (D65) -> LMS and cube-rooted LMS -> OKLab (Ottosson); Bradford D50 -> D65.
_XYZ_TO_LMS = np.array(
    [
        [0.8189330101, 0.3618667424, -0.1288597137],
        [0.0329845436, 0.9293118715, 0.0361456387],
        [0.0482003018, 0.2643662691, 0.6338517070],
    ]
)
_BRADFORD_D50_TO_D65 = np.array(
    [
        [0.9555766, -0.0230393, 0.0631636],
        [-0.0282895, 1.0099416, 0.0210077],
        [0.0122982, -0.0204830, 1.3299098],
    ]
)
_D50 = np.array([0.96422, 1.0, 0.82521])


def lab_d50_to_oklab(lab: tuple[float, float, float]) -> tuple[float, float, float]:
    L, a, b = lab
    fy = (L + 16.0) / 116.0
    f = np.array([fy + a / 500.0, fy, fy - b / 200.0])
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    xyz = np.where(f**3 > eps, f**3, (116.0 * f - 16.0) / kappa) * _D50
    lms = np.cbrt(_XYZ_TO_LMS @ (_BRADFORD_D50_TO_D65 @ xyz))
    ok = LMS_TO_OKLAB @ lms
    return float(ok[0]), float(ok[1]), float(ok[2])


def _lch(lab: tuple[float, float, float]) -> tuple[float, float, float]:
    L, a, b = lab
    return L, math.hypot(a, b), math.atan2(b, a) % (2 * math.pi)


_PAPER_L = lab_d50_to_oklab(_FOGRA39_LAB["paper"])[0]
_BLACK_L = lab_d50_to_oklab(_FOGRA39_LAB["black"])[0]
_CUSPS = sorted(
    (h, L, C) for L, C, h in (_lch(lab_d50_to_oklab(_FOGRA39_LAB[k])) for k in "CMYRGB")
)


def print_chroma_limit(L: float, hue: float) -> float:
    """Largest OKLab chroma the heuristic print gamut holds at lightness L and hue (radians)."""
    n = len(_CUSPS)
    Lc, Cc = _CUSPS[0][1], _CUSPS[0][2]
    for i in range(n):
        h0, L0, C0 = _CUSPS[i]
        h1, L1, C1 = _CUSPS[(i + 1) % n]
        span = (h1 - h0) % (2 * math.pi)
        d = (hue - h0) % (2 * math.pi)
        if d <= span:
            t = d / span
            Lc, Cc = L0 + t * (L1 - L0), C0 + t * (C1 - C0)
            break
    if L >= Lc:
        return max(0.0, Cc * (_PAPER_L - L) / (_PAPER_L - Lc))
    return max(0.0, Cc * (L - _BLACK_L) / (Lc - _BLACK_L))


def gamut_excess(rgb: tuple[float, float, float]) -> float:
    """OKLab chroma beyond the heuristic print gamut (negative: inside by that much)."""
    L, C, h = _lch(srgb_to_oklab(rgb))
    return C - print_chroma_limit(L, h)


def out_of_gamut(palette: Palette) -> list[tuple[str, str, float]]:
    """(role, hex, excess) of the palette's light colours that won't print, worst first."""
    found = []
    for role in GAMUT_ROLES:
        excess = gamut_excess(palette[role])
        if excess > GAMUT_TOLERANCE:
            found.append((role, to_hex(palette[role]), excess))
    return sorted(found, key=lambda r: -r[2])


def gamut_warning(palette: Palette) -> str | None:
    """One line for stderr when the palette's neon won't survive CMYK printing."""
    bad = out_of_gamut(palette)
    if not bad:
        return None
    colours = ", ".join(f"{role} {hexa}" for role, hexa, _ in bad)
    return (
        f'warning: palette "{palette.name}" will print dull: {colours} lie outside a typical'
        ' CMYK gamut; palette = "print" is made for paper'
    )


# --------------------------------------------------------------------------- vector pass


Planes = list[tuple["cairo.Matrix | None", tuple[float, float, float]]]
"""Colour planes of a light stroke: (zoom in frame pixels or None, channel mask) each."""
WHOLE: Planes = [(None, (1.0, 1.0, 1.0))]


class LightStrokes:
    """A stand-in for the ``cairo.Context`` a renderer draws on, for the vector pass.

    Every call goes to the real context except drawing:

    - light -- a stroke with operator ADD and a solid source at least ``min_alpha``
      opaque -- is stroked as a vector path with ``operator``, once per colour plane of
      ``planes`` (see :func:`colour_planes`);
    - anything drawn with OVER (the dark globe, the opening in the core, phantoms' bodies,
      the cut to white) hides what was drawn before it, so the same shape is painted
      again from the raster frame at the same opacity: vector strokes it covers in the
      raster are covered here too, and the raster (with the light drawn later on top)
      shows through;
    - other drawing (ADD fills and paints: glows, washes, the mist image, faint strokes)
      is dropped, the raster already holds it. Paths are consumed as cairo would.

    ``base`` is the context's matrix in which the raster ``image`` covers the frame at
    (0, 0) one pixel per unit -- the frame's pixel space. The default ``operator`` (Lighten)
    suits drawing straight onto the raster; the PDF writer draws OVER into a group instead
    and lays the group over the raster with Lighten.
    """

    _DROPPED = frozenset({"mask", "mask_surface", "show_text", "show_glyphs"})

    def __init__(
        self,
        cr: cairo.Context,
        image: cairo.ImageSurface,
        base: cairo.Matrix,
        min_alpha: float = MIN_STROKE_ALPHA,
        operator: cairo.Operator = cairo.OPERATOR_LIGHTEN,
        planes: Planes | None = None,
    ) -> None:
        self._cr = cr
        self._operator = operator
        self._image = image
        self._base = cairo.Matrix(*base)
        self._base_inverse = cairo.Matrix(*base)
        self._base_inverse.invert()
        self._planes = planes or WHOLE
        self._min_alpha = min_alpha
        self.kept = 0  # light strokes drawn as vectors
        self.covered = 0  # shapes painted again from the raster
        self.dropped = 0

    def __getattr__(self, name: str) -> Any:
        if name in LightStrokes._DROPPED:
            return self._drop
        return getattr(self._cr, name)

    def _drop(self, *args: Any, **kwargs: Any) -> None:
        self.dropped += 1

    def _source_alpha(self) -> float:
        source = self._cr.get_source()
        if isinstance(source, cairo.SolidPattern):
            return source.get_rgba()[3]
        if isinstance(source, cairo.Gradient):
            return max((stop[4] for stop in source.get_color_stops_rgba()), default=0.0)
        return 1.0

    def _occludes(self) -> float:
        """Opacity of an OVER drawing that may hide vector strokes already drawn, else 0."""
        if self._cr.get_operator() != cairo.OPERATOR_OVER or self.kept == 0:
            return 0.0
        return self._source_alpha()

    def _raster(self) -> cairo.SurfacePattern:
        """The raster frame as a source lined up with the current user space."""
        pattern = cairo.SurfacePattern(self._image)
        pattern.set_matrix(self._cr.get_matrix().multiply(self._base_inverse))
        return pattern

    def _cover(self, draw: str, alpha: float) -> None:
        """Do `draw` ("fill", "fill_preserve", "stroke_preserve", "paint") with the raster
        as source at opacity `alpha`."""
        cr = self._cr
        self.covered += 1
        cr.save()
        cr.set_source(self._raster())
        if draw == "paint":
            cr.paint_with_alpha(alpha)
        elif draw in ("fill", "fill_preserve"):
            getattr(cr, "clip" if draw == "fill" else "clip_preserve")()
            cr.paint_with_alpha(alpha)
        elif alpha >= 0.999:
            cr.stroke_preserve()
        else:
            cr.push_group()
            cr.stroke_preserve()
            cr.pop_group_to_source()
            cr.paint_with_alpha(alpha)
        cr.restore()

    def stroke_preserve(self) -> None:
        cr = self._cr
        alpha = self._occludes()
        if alpha > 0:
            self._cover("stroke_preserve", alpha)
            return
        source = cr.get_source()
        light = (
            cr.get_operator() == cairo.OPERATOR_ADD
            and isinstance(source, cairo.SolidPattern)
            and source.get_rgba()[3] >= self._min_alpha
        )
        if not light:
            self.dropped += 1
            return
        self.kept += 1
        # One stroke per colour plane, each moved as the aberration moves it in the raster.
        # Lighten works channel by channel, so a red-only stroke lifts only the red plane.
        r, g, b, a = source.get_rgba()
        user = cr.get_matrix()
        path = None
        for zoom, mask in self._planes:
            cr.save()
            if zoom is not None:
                path = path or cr.copy_path()
                # user -> device -> frame pixels -> zoomed about the centre -> device
                cr.set_matrix(user.multiply(self._base_inverse).multiply(zoom).multiply(self._base))
                cr.new_path()
                cr.append_path(path)
            cr.set_operator(self._operator)
            if mask != (1.0, 1.0, 1.0):
                cr.set_source_rgba(r * mask[0], g * mask[1], b * mask[2], a)
            cr.stroke_preserve()
            cr.restore()
            if zoom is not None:
                cr.new_path()
                cr.append_path(path)

    def stroke(self) -> None:
        self.stroke_preserve()
        self._cr.new_path()

    def fill_preserve(self) -> None:
        alpha = self._occludes()
        if alpha > 0:
            self._cover("fill_preserve", alpha)
        else:
            self.dropped += 1

    def fill(self) -> None:
        alpha = self._occludes()
        if alpha > 0:
            self._cover("fill", alpha)
        else:
            self.dropped += 1
            self._cr.new_path()

    def paint(self) -> None:
        self.paint_with_alpha(1.0)

    def paint_with_alpha(self, alpha: float) -> None:
        cover = self._occludes() * alpha
        if cover > 0:
            self._cover("paint", cover)
        else:
            self.dropped += 1


def _zoom_about(cx: float, cy: float, z: float) -> cairo.Matrix:
    return cairo.Matrix(z, 0.0, 0.0, z, cx * (1.0 - z), cy * (1.0 - z))


def colour_planes(width: int, height: int, zooms: tuple[float, float] | None) -> Planes:
    """The planes light strokes are drawn in: the whole colour, or with chromatic aberration
    red, green and blue apart, red and blue zoomed about the frame centre as in the raster."""
    if zooms is None:
        return WHOLE
    return [
        (_zoom_about(width / 2, height / 2, zooms[0]), (1.0, 0.0, 0.0)),
        (None, (0.0, 1.0, 0.0)),
        (_zoom_about(width / 2, height / 2, zooms[1]), (0.0, 0.0, 1.0)),
    ]


def aberration_zooms(renderer: Any, index: int) -> tuple[float, float] | None:
    """(red zoom, blue zoom) of the frame's chromatic aberration, as effects.py applies it
    (red scaled by 1 + 2*amount about the centre, blue by 1 - 2*amount), or None when it
    moves nothing by as much as half a pixel."""
    sequence = getattr(renderer, "sequence", None)
    if sequence is None:
        return None
    values = renderer.values(index)
    red = blue = 1.0
    for spec in sequence.effects:
        if spec.enabled and spec.type == "chromatic_aberration":
            declared = sequence.effect(spec.type).params
            amount = renderer.params(spec.params, declared, values)["amount"]
            d = float(np.clip(2.0 * float(amount), -0.9, 0.9))
            red, blue = red * (1.0 + d), blue * (1.0 - d)
    reach = math.hypot(sequence.width, sequence.height) / 2
    if max(abs(red - 1.0), abs(blue - 1.0)) * reach < 0.5:
        return None
    return red, blue


def _image_surface(rgb: np.ndarray) -> cairo.ImageSurface:
    """An RGB24 cairo surface holding the (H, W, 3) uint8 frame (BGRx in memory)."""
    h, w = rgb.shape[:2]
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
    buf = np.ndarray((h, surface.get_stride() // 4, 4), np.uint8, surface.get_data())
    for i in range(3):
        buf[:, :w, i] = rgb[:, :, 2 - i]
    buf[:, :w, 3] = 255
    surface.mark_dirty()
    return surface


def _draw_page(
    cr: cairo.Context, renderer: Any, index: int, rgb: np.ndarray, page_w: float, page_h: float
) -> list[LightStrokes]:
    """The raster frame, then the light strokes over it, on a PDF or SVG page."""
    h, w = rgb.shape[:2]
    cr.scale(page_w / w, page_h / h)
    cr.rectangle(0, 0, w, h)
    cr.clip()
    image = _image_surface(rgb)
    cr.set_source_surface(image, 0, 0)
    cr.paint()
    cr.set_source_rgb(0, 0, 0)
    base = cr.get_matrix()
    planes = colour_planes(w, h, aberration_zooms(renderer, index))
    if isinstance(cr.get_target(), cairo.SVGSurface):
        # cairo's SVG output has no blend modes (it would rasterise the page): strokes are
        # drawn plainly and marked mix-blend-mode:lighten afterwards (see _finish_svg).
        light = LightStrokes(cr, image, base, operator=cairo.OPERATOR_OVER, planes=planes)
        renderer.draw(light, index)
        passes = [light]
    else:
        # PDF: the strokes of each colour plane drawn plainly into a group, the group laid
        # over the raster with Lighten. (Per-stroke blend modes would be simpler, but
        # cairo 1.16 forgets to restate the blend mode after it resets the clip, so every
        # stroke after a clip change would be drawn Normal.)
        passes = []
        for plane in planes:
            cr.push_group()
            light = LightStrokes(cr, image, base, operator=cairo.OPERATOR_OVER, planes=[plane])
            renderer.draw(light, index)
            cr.pop_group_to_source()
            cr.set_operator(cairo.OPERATOR_LIGHTEN)
            cr.paint()
            cr.set_operator(cairo.OPERATOR_OVER)
            passes.append(light)
    cr.show_page()
    return passes


def _pdf_metadata(surface: cairo.PDFSurface, meta: Mapping[str, str]) -> None:
    record = {k: v for k, v in meta.items() if k not in ("comment", "title")}
    keywords = (
        f"seed {meta.get('Seed', '')}; sequence sha256 {meta.get('SequenceSHA256', '')}; "
        f"{meta.get('Software', '')}; command: {meta.get('Command', '')}"
    )
    surface.set_metadata(cairo.PDFMetadata.TITLE, meta.get("Title", ""))
    surface.set_metadata(cairo.PDFMetadata.CREATOR, meta.get("Software", ""))
    surface.set_metadata(cairo.PDFMetadata.SUBJECT, json.dumps(record, sort_keys=True))
    surface.set_metadata(cairo.PDFMetadata.KEYWORDS, keywords)


def _svg_metadata(meta: Mapping[str, str]) -> str:
    record = {k: v for k, v in meta.items() if k not in ("comment", "title")}
    return (
        f"<title>{escape(meta.get('Title', ''))}</title>\n"
        f"<desc>{escape(meta.get('Software', ''))}, seed {escape(meta.get('Seed', ''))}</desc>\n"
        f'<metadata><provenance xmlns="{_SVG_NS}">'
        f"{escape(json.dumps(record, sort_keys=True))}</provenance></metadata>\n"
    )


def _finish_svg(src: Path, dst: Path, head: str) -> None:
    """Copy cairo's SVG `src` to `dst`, adding `head` (title, provenance) after the <svg>
    tag and ``mix-blend-mode:lighten`` to the light strokes.

    cairo writes one element per line; its light strokes are the only paths stroked with a
    plain colour (``fill:none;...stroke:rgb(``) -- the raster covers use ``url(#pattern)``.
    Viewers without CSS blending draw those strokes normally (OVER).
    """
    inserted = False
    prefix = b'<path style="fill:none;'
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        for line in fin:
            if not inserted and line.startswith(b"<svg"):
                fout.write(line)
                fout.write(head.encode("utf-8"))
                inserted = True
                continue
            if line.startswith(prefix) and b"stroke:rgb(" in line:
                line = b'<path style="mix-blend-mode:lighten;fill:none;' + line[len(prefix) :]
            fout.write(line)
    if not inserted:
        raise RenderError(f"{dst}: cairo wrote no <svg> element")


def write_vector(
    path: Path, job: PrintJob, renderer: Any, index: int, rgb: np.ndarray, meta: Mapping[str, str]
) -> list[LightStrokes]:
    """Write a PDF or SVG page: the raster frame `rgb` with the light strokes on top."""
    assert job.format in ("pdf", "svg") and job.page is not None
    temps: list[Path] = []
    made: list[Path] = []
    try:
        made = make_parents(path)
        tmp = _temp_sibling(path, "part", path.suffix)
        temps.append(tmp)
        if job.format == "pdf":
            page_w, page_h = job.points
            surface: cairo.Surface = cairo.PDFSurface(str(tmp), page_w, page_h)
            _pdf_metadata(surface, meta)
        else:
            # SVG coordinates in the page's own unit: width="420mm", viewBox 0 0 420 297.
            page_w, page_h, unit = job.page
            surface = cairo.SVGSurface(str(tmp), page_w, page_h)
            surface.set_document_unit(_SVG_UNITS[unit])
        light = _draw_page(cairo.Context(surface), renderer, index, rgb, page_w, page_h)
        surface.finish()
        if job.format == "svg":
            final = _temp_sibling(path, "part", path.suffix)
            temps.append(final)
            _finish_svg(tmp, final, _svg_metadata(meta))
        os.replace(temps[-1], path)
        temps.pop()
        made = []
        return light
    except (OSError, cairo.Error) as exc:
        raise RenderError(f"{path}: can't write {job.format.upper()}: {exc}") from exc
    finally:
        with signals_deferred():
            for tmp in temps:
                _remove(tmp)
            remove_made(made)


# --------------------------------------------------------------------------- the still


def write_still(
    path: Path, job: PrintJob, seq: Sequence, index: int, meta: Mapping[str, str]
) -> list[LightStrokes] | None:
    """Render frame `index` of `seq` (already at ``job.pixels``) and write it per `job`."""
    from render.frame import Renderer

    check_memory(*job.pixels)
    renderer = Renderer(seq)
    rgb = renderer.render(index)
    if job.format == "png":
        write_png(path, rgb, metadata=meta, dpi=job.dpi)
        return None
    return write_vector(path, job, renderer, index, rgb, meta)
