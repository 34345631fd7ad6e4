"""The control panel: neon console glyphs, gauges, switch rows and scrolling status lines.

Holographic flicker at rest; with the alarm the headline SYSTEM INTEGRITY
COMPROMISED and a cascade of error messages; in the spiral readouts run out of
range and glyphs glitch (substitution, dropouts, a colour split); as the core
overheats the glyphs warp and sag, melting.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache

import cairo
import cv2
import numpy as np

from render.color import mix
from render.draw import additive, neon_stroke, neon_text, text_stroke
from render.glyphs import CELL, text_width
from render.layers.chamber import heartbeat_trace
from render.noise import noise_row
from render.params import colour, number, text, track
from render.scene import Frame, Layer, Scene
from render.softlight import SoftLight
from render.story import smoothstep
from render.surface import pixels

HEADLINE = "SYSTEM INTEGRITY COMPROMISED"
STATUS = (
    "SYNC NODE {h:02X} ........ OK",
    "COOLANT LOOP {d} ....... NOMINAL",
    "CORE FLUX {f:05.1f} ....... OK",
    "RELAY {h:02X}-{d} ....... ARMED",
    "PRESSURE {f:04.1f} KPA ... OK",
    "NEURAL LINK {d} ....... STABLE",
    "HEARTBEAT {d}{d}{d} ........ OK",
    "VENT {h:02X} ............ SEALED",
)
ERRORS = (
    "ERR {h:02X}{h:02X} FEEDBACK LOOP UNSTABLE",
    "WARN CORE TEMP EXCEEDS LIMIT",
    "ERR NEURAL THREAD {d}{d} LOST",
    "FAULT RELAY {h:02X} NOT RESPONDING",
    "ERR CONTAINMENT FIELD {d}{d}%",
    "CRITICAL PRESSURE BREACH VENT {d}",
    "ERR RECALIBRATION FAILED",
    "SYSTEM INTEGRITY COMPROMISED",
    "ERR YOU MISSED A STEP",
)
READOUTS = ("CORE TEMP", "FLUX", "PRESSURE", "SYNC", "LOAD", "FIELD")
GLITCH = "#%&@$*/\\|<>01?!=+"


def _fill(template: str, rng) -> str:
    return template.format(
        h=int(rng.integers(0, 256)), d=int(rng.integers(0, 10)), f=float(rng.uniform(10, 999))
    )


def build(scene: Scene) -> dict:
    rng = scene.rng("console")
    status = [_fill(STATUS[int(rng.integers(len(STATUS)))], rng) for _ in range(64)]
    errors = [_fill(ERRORS[int(rng.integers(len(ERRORS)))], rng) for _ in range(64)]
    readouts = [
        (READOUTS[i % len(READOUTS)], float(rng.uniform(0.2, 0.8)), float(rng.uniform(0.1, 0.4)))
        for i in range(len(READOUTS))
    ]
    switches = [[bool(rng.random() < 0.6) for _ in range(12)] for _ in range(4)]
    return {
        "status": status,
        "errors": errors,
        "readouts": readouts,
        "switches": switches,
        "phase": float(rng.random()),
    }


GLITCH_VARIANTS = 4


def _glitch(text: str, amount: float, rng) -> str:
    """`text` with characters dropped or replaced by glitch symbols, more with `amount`.

    Each string has a few glitched variants per tenth of `amount`, and `rng` picks one:
    on screen it reads as random corruption, and the variants' text masks are reused
    instead of stroked anew every time the glitch changes."""
    if amount <= 0:
        return text
    return _glitched(text, round(float(amount), 1), int(rng.integers(GLITCH_VARIANTS)))


@lru_cache(maxsize=8192)
def _glitched(text: str, amount: float, variant: int) -> str:
    if amount <= 0:
        return text
    rng = np.random.default_rng([zlib.crc32(text.encode()), variant, round(amount * 10)])
    rolls = rng.random(len(text))
    subs = rng.integers(len(GLITCH), size=len(text))
    out = []
    for ch, roll, sub in zip(text, rolls.tolist(), subs.tolist(), strict=True):
        if roll < 0.08 * amount:
            out.append(" ")  # dropout
        elif roll < 0.22 * amount:
            out.append(GLITCH[sub])
        else:
            out.append(ch)
    return "".join(out)


class Writer:
    """Draws strings in one colour, applying glitch, colour split and melting consistently."""

    # Glitched characters hold for a tenth of a second: readable as glitches rather than
    # noise, and the same strings come back for a few frames (text masks are reused).
    GLITCH_HZ = 10.0

    def __init__(self, cr: cairo.Context, frame: Frame, glitch: float, melt: float, alpha: float):
        self.cr, self.frame, self.glitch, self.melt, self.alpha = cr, frame, glitch, melt, alpha
        tick = math.floor(frame.t * self.GLITCH_HZ)
        self.rng = frame.scene.rng(f"console-glitch:{tick}")
        self.noise = frame.scene.noise("melt")
        self.clip: tuple[float, float, float, float] | None = None
        self._fields: tuple[np.ndarray, ...] | None = None
        self._melted: MeltedText | None = None

    def fields(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This frame's melt: (xs, drop at xs, ys, sideways drift at ys), in user units.

        Dripping depends on x alone and drift on y alone, so each is one row of noise
        sampled every two units: a few hundred noise samples a frame."""
        if self._fields is None:
            noise, melt, u = self.noise, self.melt, self.frame.unit
            tx, _ = self.frame.time_point(0.05)
            scene = self.frame.scene
            step = 2 * u
            xs = np.arange(-0.5 * scene.width, 1.5 * scene.width + step, step)
            ys = np.arange(-0.5 * scene.height, 1.5 * scene.height + step, step)
            n = 0.5 + 0.5 * noise_row(noise, xs / (60 * u), tx)
            drop = melt**1.5 * n * n * 70 * u  # drip downward where the panel is softest
            drift = melt * 6 * u * noise_row(noise, ys / (40 * u), tx + 3)
            self._fields = (xs, drop, ys, drift)
        return self._fields

    def warp(self):
        """The melt as a warp of path points, or None when the panel is solid."""
        if self.melt <= 0.01:
            return None
        xs, drop, ys, drift = self.fields()

        def sag(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return x + np.interp(y, ys, drift), y + np.interp(x, xs, drop)

        return sag

    def text(
        self,
        s: str,
        x: float,
        y: float,
        size: float,
        colour,
        alpha: float = 1.0,
        width: float | None = None,
        face: str = "futural",
    ) -> None:
        cr, light, warp = self.cr, self.frame.light, self.warp()
        if warp is not None and isinstance(cr.get_group_target(), cairo.ImageSurface):
            # Melting on a raster frame: flat text onto a layer that is warped afterwards.
            if self._melted is None:
                self._melted = MeltedText(cr, self.frame)
            cr, light, warp = self._melted.begin(cr, self.clip), self._melted.light, None
        u = self.frame.unit
        s = _glitch(s, self.glitch, self.rng)
        a = alpha * self.alpha
        lw = width if width is not None else size * 0.09
        if self.glitch > 0.2 and self.rng.random() < self.glitch * 0.5:
            # Colour split: the red and cyan ghosts drift apart.
            off = (2 + 8 * self.glitch) * u * self.rng.uniform(0.5, 1.5)
            for dx, ghost in ((-off, (1.0, 0.1, 0.2)), (off, (0.1, 0.9, 1.0))):
                text_stroke(cr, s, x + dx, y, size, (*ghost, 0.35 * a), lw, warp, face)
        if self.glitch > 0.1 and self.rng.random() < 0.25 * self.glitch:
            x += self.rng.normal(0, 14 * self.glitch) * u  # a slice jumps sideways
        neon_text(
            cr, s, x, y, size, colour, lw, alpha=a, heat=0.45, light=light, warp=warp, face=face
        )
        if self._melted is not None and cr is self._melted.cr:
            self._melted.end()

    def finish(self) -> None:
        """Warp the melted text and add it into the frame (and its halos into soft light)."""
        if self._melted is not None:
            self._melted.apply(self.frame, self.fields())
            self._melted = None


class MeltedText:
    """Melting text on a raster frame: painted flat from text masks onto a layer of its
    own, whose pixels are then warped and added into the frame. Stroking every warped
    glyph as a path cost 40-60 ms a 1080p frame; this costs a few. Drips may run past
    the panel's clip, which is applied before the warp."""

    def __init__(self, cr: cairo.Context, frame: Frame) -> None:
        self.target = cr.get_group_target()
        self.surface = _melt_layer(self.target.get_width(), self.target.get_height())
        self.cr = cairo.Context(self.surface)
        self.cr.set_operator(cairo.OPERATOR_CLEAR)
        self.cr.paint()  # the layer is reused from frame to frame
        self.matrix = cr.get_matrix()
        scene = frame.scene
        self.light = (
            SoftLight(None, scene.width, scene.height, frame.light.factor) if frame.light else None
        )

    def begin(self, cr: cairo.Context, clip) -> cairo.Context:
        self.cr.save()
        self.cr.set_matrix(cr.get_matrix())
        if clip is not None:
            self.cr.rectangle(*clip)
            self.cr.clip()
        additive(self.cr)
        return self.cr

    def end(self) -> None:
        self.cr.restore()

    def apply(self, frame: Frame, fields) -> None:
        _add_warped(pixels(self.target), pixels(self.surface), self.matrix, fields, 1)
        self.target.mark_dirty()
        if self.light is not None and frame.light is not None:
            frame.light.add_pixels(
                lambda dst: _add_warped(
                    dst, pixels(self.light.surface), self.matrix, fields, self.light.factor
                )
            )


@lru_cache(maxsize=1)
def _melt_layer(width: int, height: int) -> cairo.ImageSurface:
    """The frame-sized layer melting text is drawn on, one per process (a fresh one each
    frame cost page faults: a few ms at 1080p, more at 4K); cleared before each use."""
    return cairo.ImageSurface(cairo.FORMAT_ARGB32, width, height)


def _add_warped(dst: np.ndarray, src: np.ndarray, matrix, fields, factor: int) -> None:
    """Add `src` into `dst`, warped by the melt: each column dropped by the drip at its x
    and each row shifted sideways by the drift at its height. `matrix` maps user units to
    frame pixels (no rotation); the arrays hold pixels at 1/`factor` of the frame."""
    lit = src.view(np.uint32)[..., 0] != 0
    cols = np.flatnonzero(lit.any(axis=0))
    if not len(cols):
        return
    xs, drop, ys, drift = fields
    h, w = src.shape[:2]
    # Both fields in this array's pixels, at its pixel centres.
    px = ((np.arange(w) + 0.5) * factor - 0.5 - matrix.x0) / matrix.xx
    py = ((np.arange(h) + 0.5) * factor - 0.5 - matrix.y0) / matrix.yy
    dx = (np.interp(py, ys, drift) * matrix.xx / factor).astype(np.float32)
    dy = (np.interp(px, xs, drop) * matrix.yy / factor).astype(np.float32)
    side = math.ceil(float(np.abs(dx).max())) + 1
    reach = math.ceil(float(dy.max())) + 1  # how far down drips go
    # Separate panels are warped separately: their common bounding box is mostly empty.
    gaps = np.flatnonzero(np.diff(cols) > 4 * side + 8)
    for a, b in zip(np.r_[0, gaps + 1], np.r_[gaps, len(cols) - 1], strict=True):
        x0, x1 = max(0, int(cols[a]) - side), min(w, int(cols[b]) + 1 + side)
        rows = np.flatnonzero(lit[:, x0:x1].any(axis=1))
        y0, y1 = int(rows[0]), min(h, int(rows[-1]) + 1 + reach)
        _remap_bands(dst, src, lit, dx, dy, (x0, y0, x1, y1), side, reach)


WARP_BAND = 32  # rows remapped at a time


def _remap_bands(dst, src, lit, dx, dy, box, side: int, reach: int) -> None:
    """Add `src` warped by the melt into `dst` over `box` (x0, y0, x1, y1), band by band:
    out(X, Y) = src(X - dx(Y), Y - dy(X)), one remap a band of rows, both maps outer
    differences. Each band is cut to the columns whose samples can reach a lit pixel and
    skipped if none can: a panel's melting text lights a tenth of its box (the gaps
    between lines, the short lines' ends, the space between panels and popups), and
    remapping the dark rest cost most of the melt's 10 ms a 1080p frame. A remapped pixel
    depends only on its own map values, so the pixels are those of one remap of the box."""
    x0, y0, x1, y1 = box
    h = src.shape[0]
    sub = lit[:, x0:x1]
    any_row = sub.any(axis=1)
    first = np.where(any_row, sub.argmax(axis=1), x1 - x0)
    last = np.where(any_row, (x1 - x0 - 1) - sub[:, ::-1].argmax(axis=1), -1)
    up = max(0, math.ceil(float(-dy.min()))) + 2  # bilinear taps reach a row further
    for b0 in range(y0, y1, WARP_BAND):
        b1 = min(y1, b0 + WARP_BAND)
        # Row Y samples source rows Y - dy(X) (and the row below): lit ones within reach.
        s0, s1 = max(0, b0 - reach - 1), min(h, b1 + up)
        c0, c1 = int(first[s0:s1].min()), int(last[s0:s1].max())
        if c1 < c0:
            continue
        # A lit source column c shows at X = c + dx(Y), within `side` (and a tap) of it.
        bx0, bx1 = max(x0, x0 + c0 - side - 2), min(x1, x0 + c1 + side + 3)
        if bx1 <= bx0:
            continue
        map_x = np.add.outer(-dx[b0:b1], np.arange(bx0, bx1, dtype=np.float32))
        map_y = np.subtract.outer(np.arange(b0, b1, dtype=np.float32), dy[bx0:bx1])
        melted = cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        region = dst[b0:b1, bx0:bx1]
        cv2.add(region, melted, dst=region)


def _panel_frame(cr, frame: Frame, rect, colour, alpha) -> None:
    x, y, w, h = rect
    u = frame.unit
    c = 0.06 * min(w, h)
    cr.move_to(x + c, y)
    cr.line_to(x + w - c, y)
    cr.line_to(x + w, y + c)
    cr.line_to(x + w, y + h - c)
    cr.line_to(x + w - c, y + h)
    cr.line_to(x + c, y + h)
    cr.line_to(x, y + h - c)
    cr.line_to(x, y + c)
    cr.close_path()
    cr.set_source_rgba(*colour, 0.035 * alpha)
    cr.fill_preserve()
    neon_stroke(cr, colour, 1.6 * u, alpha=0.55 * alpha, heat=0.3, light=frame.light)


def _gauges(cr, frame: Frame, gauges, colour, alert, alpha) -> None:
    """Dials as (x, y, radius, value): the dials and their ticks, alike in every gauge, are
    stroked together (they never overlap); each value arc and needle has its own colour."""
    u = frame.unit
    start, span = math.pi * 0.75, math.pi * 1.5
    for x, y, r, _ in gauges:
        cr.new_sub_path()
        cr.arc(x, y, r, start, start + span)
    neon_stroke(cr, colour, 1.4 * u, alpha=0.45 * alpha, light=frame.light)
    for x, y, r, _ in gauges:
        for k in range(11):
            a = start + span * k / 10
            cr.move_to(x + math.cos(a) * r * 1.08, y + math.sin(a) * r * 1.08)
            cr.line_to(x + math.cos(a) * r * 1.18, y + math.sin(a) * r * 1.18)
    neon_stroke(cr, colour, 1.0 * u, alpha=0.5 * alpha, light=frame.light)
    for x, y, r, value in gauges:
        v = min(max(value, 0.0), 1.0)
        hot = mix(colour, alert, max(0.0, (value - 0.75) * 4))
        cr.new_sub_path()
        cr.arc(x, y, r * 0.82, start, start + span * v)
        neon_stroke(cr, hot, 3.2 * u, alpha=0.9 * alpha, light=frame.light)
        ang = start + span * (value % 1.0 if value > 1 else v)
        cr.move_to(x, y)
        cr.line_to(x + math.cos(ang) * r * 0.95, y + math.sin(ang) * r * 0.95)
        neon_stroke(cr, hot, 1.8 * u, alpha=alpha, heat=0.7, light=frame.light)


POPUPS = 9  # error windows in the cascade


def _popups(cr, frame: Frame, writer: Writer, console, errors: float, glitch: float, alpha):
    """The console erupts: error windows pop up one after another, each a little lower
    and to the right of the last, across the overhead screen, as the errors come; they
    are swept away as the glitches take over."""
    shown = 1.0 - smoothstep(0.2, 0.3, glitch)  # gone as the web starts to break
    count = int(errors * POPUPS + 0.5)
    if count == 0 or shown <= 0.01:
        return
    scene = frame.scene
    u = frame.unit
    alert, text_col = frame.colour("alert"), frame.colour("text")
    sx, sy, ww, wh = scene.layout.web
    bw, bh = 0.44 * ww, 0.24 * wh
    jolt = frame.rng("console-popups")
    for k in range(count):
        x = sx + 0.03 * ww + k * 0.055 * ww + float(jolt.normal(0, 1.5 * glitch)) * u
        y = sy + 0.05 * wh + k * 0.08 * wh
        newest = k == count - 1
        a = shown * alpha * (1.0 if newest else 0.85)
        # The window: dark glass that hides what is behind it, a red frame and title bar.
        cr.rectangle(x, y, bw, bh)
        frame.cover(cr, 0.85 * shown)
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.rectangle(x, y, bw, bh)
        cr.set_source_rgba(*mix(frame.colour("background"), alert, 0.12), 0.85 * shown)
        cr.fill()
        additive(cr)
        cr.rectangle(x, y, bw, 0.22 * bh)
        cr.set_source_rgba(*alert, 0.35 * a)
        cr.fill()
        cr.rectangle(x, y, bw, bh)
        neon_stroke(cr, alert, 1.6 * u, alpha=a, light=frame.light)
        size = 0.11 * bh
        code = zlib.crc32(f"popup{k}".encode()) & 0xFFFF
        writer.text(f"! SYSTEM ERROR 0x{code:04X}", x + 0.05 * bw, y + 0.05 * bh, size, alert, a)
        msg = console["errors"][(k * 5 + 1) % len(console["errors"])]
        msg = msg[: int(0.9 * bw / (CELL * size))]
        writer.text(msg, x + 0.05 * bw, y + 0.42 * bh, size, text_col, a)
        # An OK button that will not help.
        cr.rectangle(x + 0.72 * bw, y + 0.7 * bh, 0.2 * bw, 0.2 * bh)
        neon_stroke(cr, text_col, 1.0 * u, alpha=0.7 * a, light=frame.light)
        writer.text("OK", x + 0.77 * bw, y + 0.74 * bh, 0.1 * bh, text_col, 0.8 * a)


MONITOR_SPAN = 3.0  # seconds of the core's heartbeat the monitor shows
_MONITOR_SAMPLES = 96


def _monitor(cr, frame: Frame, writer: Writer, box, size: float, colours, params, alpha):
    """The core's heart monitor: its beat traced over the last few seconds, a steady
    lub-dub that comes early and late and drops beats as the rhythm fails (the same
    failing heartbeat the core, the room and the arteries beat to), reddening."""
    x, y, w, h = box
    erratic = float(params["erratic"])
    colour = mix(colours[0], colours[1], min(1.0, 1.5 * erratic))
    writer.text("CORE PULSE", x, y, 0.75 * size, colour, alpha=0.8)
    trace = heartbeat_trace(frame, params["rate"], erratic, MONITOR_SPAN, _MONITOR_SAMPLES)
    xs = (x + w * np.arange(_MONITOR_SAMPLES) / (_MONITOR_SAMPLES - 1)).tolist()
    ys = (y + h * (0.95 - 0.6 * np.clip(trace, 0.0, 1.2))).tolist()
    cr.move_to(xs[0], ys[0])
    for px, py in zip(xs[1:], ys[1:], strict=True):
        cr.line_to(px, py)
    neon_stroke(cr, colour, 1.5 * frame.unit, alpha=0.95 * alpha, heat=0.5, light=frame.light)
    cr.arc(xs[-1], ys[-1], 2.5 * frame.unit, 0, 2 * math.pi)  # the trace's writing head
    cr.set_source_rgba(*mix(colour, (1.0, 1.0, 1.0), 0.5), alpha)
    cr.fill()


def draw(cr: cairo.Context, frame: Frame, params, console) -> None:
    scene = frame.scene
    u = frame.unit
    additive(cr)
    colour, alert, text_col = params["colour"], frame.colour("alert"), frame.colour("text")
    glitch, melt, errors = float(params["glitch"]), float(params["melt"]), float(params["errors"])
    spiral = min(1.0, glitch * 1.6)  # readouts run away as the feedback loops spiral
    noise = scene.noise("holo")
    # Holographic flicker: the whole panel breathes in brightness, stutters when glitching.
    fx, fy = frame.time_point(2.5)
    flick = 0.88 + 0.12 * noise.noise2(fx, fy + 5.0)
    if glitch > 0 and frame.rng("console-blink").random() < 0.12 * glitch:
        flick *= 0.35
    alpha = params["intensity"] * flick
    writer = Writer(cr, frame, glitch, melt, alpha)
    for p, rect in enumerate(scene.layout.panels):
        x, y, w, h = rect
        _panel_frame(cr, frame, rect, colour, alpha)
        pad = 0.05 * w
        size = min(h * 0.032, w * 0.034)
        line_h = size * 1.65
        # Gauges along the top of the panel.
        gy = y + pad + 0.11 * h
        n_g = 3
        gauges = []
        for k in range(n_g):
            gx = x + pad + (k + 0.5) * (w - 2 * pad) / n_g
            base = console["readouts"][(k + 3 * p) % len(console["readouts"])]
            calm = base[1] + base[2] * 0.5 * math.sin(
                2 * math.pi * (frame.cycles(0.2) + k * 0.3 + p)
            )
            value = calm + spiral * (1.5 * frame.cycles(0.6 + 0.4 * k) % 1.3)
            gauges.append((gx, gy, 0.085 * h, value))
        _gauges(cr, frame, gauges, colour, alert, alpha)
        # Readouts: label and a number that spins out of range in the spiral.
        ry = gy + 0.13 * h
        for k in range(3):
            label, base, wobble = console["readouts"][(k + p * 2) % len(console["readouts"])]
            val = 100 * base + 10 * wobble * math.sin(2 * math.pi * frame.cycles(0.3) + k)
            if spiral > 0.05:
                val *= 1 + spiral * 40 * ((frame.cycles(1.7 + k) * 0.37) % 1.0)
            txt = f"{label:<10}{val:9.1f}" if val < 1e6 else f"{label:<10} OVERFLOW"
            over = min(1.0, max(0.0, (val - 120) / 300))
            writer.text(txt, x + pad, ry + k * line_h, size, mix(text_col, alert, over), alpha=0.95)
        # Switch rows: little lit tabs, some blinking; on the first panel, the core's
        # heart monitor in their place.
        sy = ry + 3 * line_h + 0.01 * h
        sw = (w - 2 * pad) / 12
        if p == 0:
            box = (x + pad, sy, w - 2 * pad, 1.6 * sw)
            _monitor(cr, frame, writer, box, size, (colour, alert), params, alpha)
            sy += 0.6 * sw  # the log starts below it
        # Tabs that look alike are stroked together (they never overlap): at most 4
        # strokes a panel instead of 24.
        tabs: dict[tuple[bool, bool], list[tuple[float, float]]] = {}
        for row in range(2 if p != 0 else 0):
            for k, on in enumerate(console["switches"][row + 2 * p]):
                blink = errors > 0 and (int(frame.cycles(2.0) + k + row) % 3 == 0)
                look = (on != blink, blink and errors > 0.3)  # (lit, alarmed)
                tabs.setdefault(look, []).append((x + pad + k * sw, sy + row * sw * 0.8))
        for (lit, alarmed), corners in sorted(tabs.items()):
            for tx, ty in corners:
                cr.rectangle(tx + 0.15 * sw, ty, 0.7 * sw, 0.45 * sw)
            c = alert if alarmed else colour
            neon_stroke(cr, c, 1.1 * u, alpha=(0.85 if lit else 0.2) * alpha, light=frame.light)
        # Scrolling status lines, replaced from the bottom by cascading errors.
        top = sy + 2 * sw * 0.8 + 0.02 * h
        bottom = y + h - pad
        rows = max(1, int((bottom - top) / line_h))
        scroll = frame.cycles(0.9) + p * 7.3
        n_err = int(round(errors * rows * 1.5))
        cr.save()
        writer.clip = (x, top - line_h * 0.2, w, bottom - top + line_h * 0.2)
        cr.rectangle(*writer.clip)
        cr.clip()
        frac = scroll % 1.0
        lines_per_loop = frame.period_cycles(0.9)
        for k in range(rows + 1):
            idx = int(scroll) + k
            if lines_per_loop:  # a loop shows the same lines again when it wraps
                idx %= lines_per_loop
            ly = top + (k - frac) * line_h
            from_bottom = rows - k
            if from_bottom < n_err:
                msg = console["errors"][(idx * 3 + p) % len(console["errors"])]
                bright = 0.75 + 0.25 * (frame.cycles(3.0) % 1.0 > 0.5)
                writer.text(
                    msg[: int((w - 2 * pad) / (CELL * size * 0.8))],
                    x + pad,
                    ly,
                    size * 0.8,
                    alert,
                    alpha=bright,
                )
            else:
                msg = console["status"][(idx + p * 17) % len(console["status"])]
                writer.text(
                    msg[: int((w - 2 * pad) / (CELL * size * 0.8))],
                    x + pad,
                    ly,
                    size * 0.8,
                    colour,
                    alpha=0.7,
                )
        cr.restore()
        writer.clip = None
    _popups(cr, frame, writer, console, errors, glitch, alpha)
    # The headline, blinking with the klaxon.
    headline = float(params["headline"])
    if headline > 0.01:
        hx, hy, hw, hh = scene.layout.headline
        banner = params["banner"] or HEADLINE
        size = min(hh * 0.7, hw / (len(banner) * CELL))
        tw = text_width(banner, size)
        blink = 0.55 + 0.45 * (frame.wave(1.2) > 0.3)
        cr.rectangle(hx + (hw - tw) / 2 - size * 0.6, hy - size * 0.45, tw + size * 1.2, size * 1.9)
        neon_stroke(cr, alert, 2.2 * u, alpha=0.7 * headline * blink * alpha, light=frame.light)
        # The alert first reads clean (a scrambled first word looked like a typo to the
        # audience); it decays once the glitches are past their first stirrings.
        writer.glitch = max(0.0, glitch - 0.15)
        writer.text(
            banner, hx + (hw - tw) / 2, hy, size, alert, alpha=headline * blink,
            width=size * 0.13, face="futuram",  # the alert's heavier face
        )  # fmt: skip
        writer.glitch = glitch
    writer.finish()


LAYER = Layer(
    name="console",
    draw=draw,
    build=build,
    params={
        "glitch": track("glitch", "glyph substitution, dropouts, colour split"),
        "melt": track("melt", "glyphs warping and sagging"),
        "errors": track("errors", "error messages cascading down the log"),
        "headline": track("headline", "the blinking SYSTEM INTEGRITY COMPROMISED banner", "flash"),
        "banner": text("banner", HEADLINE, "the banner's words"),
        "colour": colour("colour", "primary", "panels and readouts"),
        "intensity": track("intensity", "brightness (dims while the eye stares)", "hud", 0, 4),
        "erratic": track("erratic", "the core's heartbeat on the monitor losing its rhythm"),
        "rate": number("rate", 0.8, "the core's heartbeat on the monitor", 0, 10, "Hz"),
    },
    doc="Console panels with gauges, readouts, switches, heart monitor, status lines, "
    "headline, glitch and melt.",
    order=40,
    plane=0.7,
)
