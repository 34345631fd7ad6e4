"""Monospace neon lettering from the Hershey single-stroke font.

Hershey glyphs are centre-lines, which is exactly what a neon tube is, and the
font ships inside a Python package, so text renders the same on every machine
whatever fonts the system has. Glyph outlines are converted once into a cell of
cap-height 1 and cached, a string's path is built once, and on raster frames a
string is painted from masks stroked once (see "text masks" below).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

import cairo
import numpy as np
from HersheyFonts import HersheyFonts

from render.jit import kernel

CELL = 0.92  # advance per character, in cap heights
Segment = tuple[tuple[float, float], tuple[float, float]]
Warp = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


# Faces for a typographic hierarchy, all Hershey single-stroke fonts: the console's log
# face, a heavier double-stroke face for alerts, a script for the whispers.
FACES = ("futural", "futuram", "scripts", "timesr")


@cache
def _font(face: str = "futural") -> HersheyFonts:
    face = face if face in FACES else "futural"
    font = HersheyFonts()
    lines = _face_lines().get(face)
    if lines is None:
        font.load_default_font(face)
    else:
        font.read_from_string_lines(lines)
    font.normalize_rendering(1)
    return font


@cache
def _face_lines() -> dict[str, list[bytes]]:
    """Every face's lines from the package's archive, read once: `load_default_font`
    decompresses the whole archive twice per face (about 40 ms each). Empty if the
    package keeps its archive elsewhere than this version does (then each face is loaded
    as the package loads it)."""
    import base64
    import io
    import tarfile

    packed = getattr(HersheyFonts, "_HersheyFonts__compressed_fonts_base64", None)
    if not isinstance(packed, bytes | str):
        return {}
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(packed)), mode="r") as tar:
        out = {}
        for member in tar.getmembers():
            if member.name in FACES:
                data = tar.extractfile(member)
                if data is not None:
                    out[member.name] = data.read().splitlines(keepends=True)
        return out


@cache
def glyph(ch: str, face: str = "futural") -> tuple[Segment, ...]:
    """Segments of one character in a cell: x in 0..CELL, y down from the cap line (0) to the
    baseline (1); descenders go below 1."""
    if ch == " ":
        return ()
    segs = list(_font(face).lines_for_text(ch))
    if not segs:
        segs = list(_font(face).lines_for_text("?"))
    xs = [p[0] for s in segs for p in s]
    mid = (min(xs) + max(xs)) / 2

    def place(p: tuple[float, float]) -> tuple[float, float]:
        return ((p[0] - mid) / 0.75 + CELL / 2, (1.0 - p[1]) / 0.75)

    return tuple((place(a), place(b)) for a, b in segs)


def text_width(text: str, size: float) -> float:
    return len(text) * CELL * size


_scratch = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 1, 1))


@cache
def _glyph_polylines(ch: str, face: str = "futural") -> tuple[np.ndarray, np.ndarray]:
    """One character's segments joined into polylines, in cell units: points (n, 2) and a
    flag per point that starts a new subpath. Hershey strokes come as separate segments;
    joining the ones that meet halves the points and saves cairo two round caps a joint."""
    pts: list[tuple[float, float]] = []
    starts: list[bool] = []
    last = None
    for a, b in glyph(ch, face):
        if last is None or a != last:
            pts.append(a)
            starts.append(True)
        pts.append(b)
        starts.append(False)
        last = b
    return np.array(pts, dtype=float).reshape(-1, 2), np.array(starts, dtype=bool)


@lru_cache(maxsize=8192)
def _polylines(text: str, size: float, face: str = "futural") -> tuple[np.ndarray, np.ndarray]:
    """A whole string at the origin as polylines (see `_glyph_polylines`), each character
    advanced by CELL * size: the cached characters put together with numpy, the same
    numbers as scaling and adding each point in turn."""
    shapes = [_glyph_polylines(ch, face) for ch in text]
    if not shapes:
        return np.zeros((0, 2)), np.zeros(0, dtype=bool)
    step = CELL * size
    cx = 0.0
    lefts = []
    for _ in text:  # the advance summed one character at a time, as the pen moves
        lefts.append(cx)
        cx += step
    counts = [len(p) for p, _ in shapes]
    cell = np.concatenate([p for p, _ in shapes])
    pts = cell * size
    pts[:, 0] += np.repeat(lefts, counts)
    return pts, np.concatenate([f for _, f in shapes])


def _emit(cr, xs: Iterable[float], ys: Iterable[float], starts: Iterable[bool]) -> None:
    for px, py, start in zip(xs, ys, starts, strict=True):
        if start:
            cr.move_to(px, py)
        else:
            cr.line_to(px, py)


@lru_cache(maxsize=8192)
def _string_path(text: str, size: float, face: str = "futural") -> cairo.Path:
    """The path of a whole string at the origin, built once: scrolling console lines reuse it."""
    pts, starts = _polylines(text, size, face)
    _scratch.new_path()
    _emit(_scratch, pts[:, 0].tolist(), pts[:, 1].tolist(), starts.tolist())
    path = _scratch.copy_path()
    _scratch.new_path()
    return path


def text_path(
    cr, text: str, x: float, y: float, size: float, warp: Warp | None = None,
    face: str = "futural",
) -> float:  # fmt: skip
    """Append `text` to cr's path with its cap line at y; returns the advance width.

    `warp` maps arrays of point coordinates (in pixels) to new ones: used for melting.
    """
    if warp is None:
        cr.save()
        cr.translate(x, y)
        cr.append_path(_string_path(text, size, face))
        cr.restore()  # the path stays; only the transform is undone
    elif text:
        pts, starts = _polylines(text, size, face)
        wx, wy = warp(pts[:, 0] + x, pts[:, 1] + y)
        _emit(cr, np.asarray(wx).tolist(), np.asarray(wy).tolist(), starts.tolist())
    return len(text) * CELL * size


# --------------------------------------------------------------------------- text masks
#
# Stroking a 30-character line costs cairo about 0.7-0.9 ms a pass at 1080p; painting the
# same line from an A8 mask costs 15 us at a whole-pixel offset. Console text is mostly
# the same few hundred strings frame after frame, so each is stroked once into masks
# (tube, white-hot core, and the low-resolution halo) and then painted. Positions are
# snapped to a quarter pixel, and a mask is kept per quarter-pixel phase, so scrolling
# stays smooth. Any other transform (the camera's zoom and shake, roll) resamples the
# phase-0 masks through it (see draw._paint_masks).

PHASES = 4


@dataclass(frozen=True)
class TextMasks:
    masks: tuple[cairo.ImageSurface, ...]  # one per stroke width asked for
    ox: float  # where the string's origin (cap line, left edge) lies in the masks
    oy: float
    nbytes: int


def _geometry(text: str, size: float, widest: float, scale: float):
    """Mask size and the string origin's place in it; whole pixels, so a phase stays exact."""
    pad = math.ceil(widest * scale + 2)
    top = pad + math.ceil(0.45 * size * scale)  # room for tall glyphs above the cap line
    w = math.ceil(len(text) * CELL * size * scale) + 2 * pad + 1
    h = math.ceil(1.45 * size * scale) + top + pad + 1  # and for descenders below it
    return w, h, pad, top


def _glyph_mask(
    ch: str, size: float, width: float, phase: float, oy: float, pad: int, height: int,
    scale: float, face: str,
) -> np.ndarray:  # fmt: skip
    """One character stroked alone into an A8 array `height` high, its cell's left edge at
    `pad + phase` pixels: strings are put together from these (see `_composed_mask`)."""
    w = math.ceil(CELL * size * scale) + 2 * pad + 2
    surf = _stroke_mask(ch, size, width, (pad + phase, oy), (w, height), scale, face)
    return np.ndarray((height, surf.get_stride()), np.uint8, surf.get_data())[:, :w]


class _Atlas:
    """The masks of the characters of one size, width and face (all one shape), kept in
    one array: a string's pieces are then indices into it, and the compiled pass reads
    them where they lie (stacking a string's pieces into an array of their own, 18 copies
    a string, cost more than the pass itself: 2.7 -> 2.0 ms a frame of strings)."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.masks = np.zeros((8, *shape), np.uint8)
        self.slots: dict[tuple[str, float], int] = {}

    @property
    def nbytes(self) -> int:
        return self.masks.nbytes

    def add(self, key: tuple[str, float], mask: np.ndarray) -> int:
        """Keep `mask` under `key`; its slot."""
        n = len(self.slots)
        if n == len(self.masks):  # full: twice the room
            grown = np.zeros((2 * n, *self.masks.shape[1:]), np.uint8)
            grown[:n] = self.masks
            self.masks = grown
        self.masks[n] = mask
        self.slots[key] = n
        return n


class _Atlases:
    """Atlases by family, least recently used dropped past a budget in bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.items: OrderedDict[tuple, _Atlas] = OrderedDict()

    def get(self, family: tuple, shape: tuple[int, int]) -> _Atlas:
        atlas = self.items.get(family)
        if atlas is not None:
            self.items.move_to_end(family)
            return atlas
        # A new family: the oldest go first while the others (grown since) are over budget.
        while self.items and sum(a.nbytes for a in self.items.values()) > self.budget:
            self.items.popitem(last=False)
        atlas = self.items[family] = _Atlas(shape)
        return atlas


ATLASES = _Atlases(48 << 20)


# A character's cell is placed at the nearest 1/16 of a pixel: off by at most 1/32 (a few
# levels at a tube's edge), and its masks are small, so sixteen phases cost little.
_GLYPH_PHASES = 16


def _composed_mask(text: str, size: float, width: float, origin, shape, scale: float, face: str):
    """`text`'s mask put together from its characters' masks (each kept, a character's
    cell at a sixteenth-pixel phase): stroking a whole new string cost about 0.3 ms a pass,
    and readouts change every frame, while their characters repeat. A stroke never
    reaches past a character's pad, so the union of the pieces (their maximum, where
    neighbours' antialiased edges meet) is the string; each character sits within 1/32
    of a pixel of where the whole string would put it. The pieces (all one shape) are
    laid in one compiled pass: numpy's maximum, slice by slice, cost 0.1 ms a string."""
    w, h = shape
    surf = cairo.ImageSurface(cairo.FORMAT_A8, w, h)
    out = np.ndarray((h, surf.get_stride()), np.uint8, surf.get_data())
    ox, oy = origin
    pad = math.ceil(0.6 * size * scale + width * scale + 2)
    step = CELL * size * scale
    piece_w = math.ceil(CELL * size * scale) + 2 * pad + 2
    atlas = ATLASES.get((size, width, oy, pad, h, scale, face), (h, piece_w))
    slots, wholes = [], []
    for i, ch in enumerate(text):
        if ch == " ":
            continue
        left = ox + i * step - pad
        whole = math.floor(left)
        phase = round((left - whole) * _GLYPH_PHASES) / _GLYPH_PHASES
        slot = atlas.slots.get((ch, phase))
        if slot is None:
            mask = _glyph_mask(ch, size, width, phase, oy, pad, h, scale, face)
            slot = atlas.add((ch, phase), mask)
        slots.append(slot)
        wholes.append(whole)
    if slots:
        _lay_max(out, atlas.masks, np.array(slots, np.int64), np.array(wholes, np.int64), w)
    surf.mark_dirty()
    return surf


@kernel()
def _lay_max(out, atlas, slots, wholes, width):  # pragma: no cover - compiled
    """out[:, x] = max(out[:, x], atlas[slot][:, x - whole]) for each (slot, whole), within
    width."""
    _, h, pw = atlas.shape
    for k in range(slots.shape[0]):
        x0, piece = wholes[k], atlas[slots[k]]
        lo, hi = max(0, -x0), min(pw, width - x0)
        for r in range(h):
            row, src = out[r, x0 + lo : x0 + hi], piece[r, lo:hi]
            for c in range(hi - lo):  # branch-free, so that it vectorises
                row[c] = max(row[c], src[c])


def warm_up() -> None:
    """Compile the kernel that lays characters' masks into a string's (or load it from
    numba's disk cache)."""
    one = np.zeros(1, np.int64)
    _lay_max(np.zeros((1, 1), np.uint8), np.zeros((1, 1, 1), np.uint8), one, one, 1)


def _stroke_mask(text: str, size: float, width: float, origin, shape, scale: float, face: str):
    surf = cairo.ImageSurface(cairo.FORMAT_A8, *shape)
    cr = cairo.Context(surf)
    cr.translate(*origin)
    cr.scale(scale, scale)
    cr.append_path(_string_path(text, size, face))
    cr.set_line_cap(cairo.LINE_CAP_ROUND)
    cr.set_line_join(cairo.LINE_JOIN_ROUND)
    cr.set_line_width(width)
    cr.stroke()
    surf.flush()
    return surf


class _MaskCache:
    """Least recently used text masks, bounded in bytes (per process)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.items: OrderedDict[tuple, TextMasks] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple, make: Callable[[], TextMasks]) -> TextMasks:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
            self.hits += 1
            return found
        self.misses += 1
        made = make()
        self.items[key] = made
        self.used += made.nbytes
        while self.used > self.budget and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.used -= old.nbytes
        return made


MASKS = _MaskCache(64 << 20)


def text_masks(
    text: str,
    size: float,
    widths: tuple[float, ...],
    fx: float = 0.0,
    fy: float = 0.0,
    scale: float = 1.0,
    face: str = "futural",
) -> TextMasks:
    """`text` stroked once per line width into A8 masks drawn at `scale` (1/8 for the soft
    light), with the string's origin at fractional offset
    (fx, fy) from a pixel corner of the masks.

    Each width's mask is kept on its own, keyed with the widest width (which sets the
    masks' size and origin): a glitch's colour ghosts, stroked at the tube's width, reuse
    the tube's mask instead of stroking the string again."""
    widest = max(widths)
    w, h, pad, top = _geometry(text, size, widest, scale)
    origin = (pad + fx, top + fy)

    def one(lw: float) -> TextMasks:
        def make() -> TextMasks:
            mask = _composed_mask(text, size, lw, origin, (w, h), scale, face)
            return TextMasks((mask,), *origin, mask.get_stride() * h)

        return MASKS.get((text, size, lw, widest, fx, fy, scale, face), make)

    masks = tuple(one(lw).masks[0] for lw in widths)
    return TextMasks(masks, *origin, sum(m.get_stride() * h for m in masks))


def snap(v: float, phases: int = PHASES) -> tuple[int, float]:
    """A device coordinate as a whole pixel and a phase in 1/`phases` of a pixel."""
    q = math.floor(v * phases + 0.5)
    whole = q // phases
    return whole, (q - whole * phases) / phases
