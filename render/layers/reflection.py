"""The dreamer's reflection in a polished steel panel: dim, cold, smeared down the
brushed grain, and wrong. It wears the dreamer's uniform; its head is not held the way
the dreamer's is; its eyes are open too wide, and a grin too long, too thin and too
sharp cuts across it. It shifts between glances, as if it moved when no one looked.

The plate is a small picture made each frame: the brushed steel and the reflected body
(a silhouette, blurred and smeared along the grain) in numpy at half the frame's
resolution, then the few things that catch the light, the eyes and the teeth, drawn
sharp over it, and the grain's streaks laid over everything.
"""

from __future__ import annotations

import math

import cairo
import cv2
import numpy as np

from render.color import mix
from render.draw import additive, neon_stroke, paint_resampled, radial_glow
from render.layers.hands import hand_outline, hand_path
from render.params import colour, track
from render.scene import Frame, Layer, Scene
from render.story import smoothstep

_GRAIN = 512  # columns in the brushed grain's profile


def build(scene: Scene) -> dict:
    """The brushed grain: brightness by column, fine scratches over broader bands."""
    rng = scene.rng("reflection-grain")
    fine = rng.normal(size=_GRAIN)
    broad = np.convolve(np.tile(rng.normal(size=_GRAIN), 3), np.hanning(41), "same")[
        _GRAIN : 2 * _GRAIN
    ]
    grain = 0.6 * fine / fine.std() + 0.8 * broad / broad.std()
    grain = np.clip(0.5 + 0.22 * grain, 0.0, 1.0).astype(np.float32)
    return {"grain": grain}


def _glance(frame: Frame) -> tuple[int, float]:
    """Which glance this is (about one a second) and how far into it."""
    c = frame.cycles(0.8)
    glance = math.floor(c)
    period = frame.period_cycles(0.8)
    if period:
        glance %= period
    return glance, c - math.floor(c)


def _pose(scene: Scene, glance: int, wrong: float) -> dict:
    """How the reflection holds itself in a glance: its head tilted and turned more
    wrongly as `wrong` rises, the grin there or not. Still while it is looked at;
    between glances it has moved."""
    rng = scene.rng(f"reflection-{glance}")
    side = 1.0 if rng.random() < 0.5 else -1.0
    return {
        "tilt": side * float(rng.uniform(0.02, 0.06) + wrong * rng.uniform(0.18, 0.36)),
        "turn": float(rng.uniform(-1, 1)) * (0.03 + 0.1 * wrong),
        "dx": float(rng.uniform(-0.05, 0.05)),
        "dy": float(rng.uniform(-0.03, 0.03)),
        "grin": float(rng.random() < 0.35 + 0.9 * wrong) * smoothstep(0.05, 0.5, wrong),
        "lean": float(rng.uniform(-0.04, 0.04)) * wrong,
        "sneer": float(rng.uniform(-0.45, 0.45)) * wrong,  # one corner higher
    }


# The head, in head units (its height 1, the middle of the face at 0, 0): the crown, the
# temples, the cheekbones, a long jaw, the chin. Never a circle.
_SKULL = (
    (0.0, -0.55),
    (0.3, -0.5, 0.38, -0.3, 0.37, -0.1),
    (0.37, 0.08, 0.33, 0.25, 0.24, 0.38),
    (0.15, 0.49, 0.06, 0.53, 0.0, 0.53),
)


def _head_path(cr: cairo.Context) -> None:
    x, y = _SKULL[0]
    cr.move_to(x, y)
    for c in _SKULL[1:]:
        cr.curve_to(*c)
    cr.curve_to(-0.06, 0.53, -0.15, 0.49, -0.24, 0.38)
    cr.curve_to(-0.33, 0.25, -0.37, 0.08, -0.37, -0.1)
    cr.curve_to(-0.38, -0.3, -0.3, -0.5, 0.0, -0.55)
    cr.close_path()
    # Short-cropped hair, ragged against the light: a cap a little outside the skull.
    # Every part winds the same way (clockwise on screen), so the fill is their union.
    n = 22
    for k in range(n + 1):
        t = math.pi * (1 + k / n)
        tuft = 1.03 + 0.035 * (k % 2) + 0.02 * math.sin(5.0 * k)
        cr.line_to(0.385 * tuft * math.cos(t), -0.1 + 0.47 * tuft * math.sin(t))
    cr.line_to(0.3, 0.0)
    cr.line_to(-0.3, 0.0)
    cr.close_path()
    cr.move_to(0.35, -0.12)  # ears
    cr.curve_to(0.45, -0.14, 0.46, 0.1, 0.33, 0.12)
    cr.close_path()
    cr.move_to(-0.33, 0.12)
    cr.curve_to(-0.46, 0.1, -0.45, -0.14, -0.35, -0.12)
    cr.close_path()


def _body_path(cr: cairo.Context) -> None:
    """Neck, squared shoulders and the top of a uniform coat, in head units below the
    head (the neck's top at y 0.35), running off the bottom of the plate."""
    cr.move_to(-0.17, 0.3)
    cr.line_to(-0.19, 0.68)
    cr.curve_to(-0.45, 0.74, -0.82, 0.8, -0.95, 0.95)
    cr.curve_to(-1.08, 1.08, -1.1, 1.4, -1.12, 2.2)
    cr.line_to(1.12, 2.2)
    cr.curve_to(1.1, 1.4, 1.08, 1.08, 0.95, 0.95)
    cr.curve_to(0.82, 0.8, 0.45, 0.74, 0.19, 0.68)
    cr.line_to(0.17, 0.3)
    cr.close_path()


def _collar_path(cr: cairo.Context) -> None:
    """The uniform's collar, two flaps folded down either side of the throat to a V,
    and the row of buttons down the coat: the dreamer's own uniform, as the phantoms
    wear it."""
    for s in (-1, 1):
        cr.move_to(s * 0.2, 0.62)
        cr.line_to(s * 0.46, 0.8)
        cr.line_to(s * 0.22, 1.06)
        cr.line_to(0.0, 0.98)
        cr.close_path()
    for k in range(3):
        cr.new_sub_path()
        cr.arc(0.03, 1.16 + 0.2 * k, 0.035, 0, 2 * math.pi)


def _eyes(wrong: float) -> tuple[float, float, float]:
    """Half width and half height of an eye and its pupil's radius, in head units."""
    return 0.08 + 0.04 * wrong, 0.02 + 0.026 * wrong, 0.02 - 0.011 * wrong


def _eye_path(cr: cairo.Context, x: float, y: float, ew: float, eh: float) -> None:
    cr.move_to(x - ew, y)
    cr.curve_to(x - 0.5 * ew, y - 1.35 * eh, x + 0.5 * ew, y - 1.35 * eh, x + ew, y)
    cr.curve_to(x + 0.5 * ew, y + 1.35 * eh, x - 0.5 * ew, y + 1.35 * eh, x - ew, y)
    cr.close_path()


def _grin(cr: cairo.Context, wrong: float, teeth: bool, sneer: float = 0.0) -> None:
    """The grin: a thin crescent far wider than a mouth, its corners pulled up toward the
    ears (the dark mouth); with `teeth`, the two rows of small sharp points in it."""
    half = 0.18 + 0.25 * wrong  # at its worst, past the cheeks, from ear to ear
    y0, lift = 0.24, 0.03 + 0.16 * wrong
    gap = 0.014 + 0.02 * wrong  # how far it is open at the middle

    def upper(x: float) -> float:  # flat across the middle, hooking up at the corners
        t = abs(x / half)
        return y0 - lift * (1 + sneer * x / half) * (0.2 * t * t + 0.8 * t**5)

    def lower(x: float) -> float:
        return upper(x) + gap * (1 - (x / half) ** 2) ** 0.8

    if not teeth:
        n = 16
        cr.move_to(-half, upper(-half))
        for k in range(1, n + 1):
            x = -half + 2 * half * k / n
            cr.line_to(x, upper(x))
        for k in range(n, -1, -1):
            x = -half + 2 * half * k / n
            cr.line_to(x, lower(x))
        cr.close_path()
        return
    count = 17
    step = 1.9 * half / count
    for k in range(count):  # upper teeth point down, the lower ones up, interleaved
        a = -0.95 * half + k * step
        b, m = a + step, a + step / 2
        cr.move_to(a, upper(a))
        cr.line_to(m, upper(m) + 0.85 * (lower(m) - upper(m)))
        cr.line_to(b, upper(b))
        cr.close_path()
        if k < count - 1:
            c = b + step / 2
            cr.move_to(m, lower(m))
            cr.line_to(b, lower(b) - 0.75 * (lower(b) - upper(b)))
            cr.line_to(c, lower(c))
            cr.close_path()


def _plate_rect(scene: Scene) -> tuple[float, float, float, float]:
    """The steel plate: tall, over the wall and the top of the right-hand panel."""
    px, py, pw, ph = scene.layout.panels[-1]
    h = scene.height
    if scene.layout.portrait:
        return px + 0.1 * pw, py - 0.45 * ph, 0.8 * pw, 0.8 * ph
    top = max(0.19 * h, py - 0.75 * pw)
    return px - 0.01 * pw, top, 0.8 * pw, py + 0.3 * ph - top


def _matrix(x: float, y: float, w: float, h: float, pose: dict, head: float) -> tuple:
    """Head units to user space for the body and for the head on it."""
    bx, by = x + (0.5 + pose["dx"] * 0.3) * w, y + 0.42 * h
    body = cairo.Matrix(head, 0, 0, head, bx, by)
    body = cairo.Matrix(1, 0, pose["lean"], 1, 0, 0).multiply(body)
    neck = body.transform_point(0.0, 0.45)
    m = cairo.Matrix()
    m.translate(*neck)
    m.rotate(pose["tilt"])
    m.translate(pose["dx"] * head, pose["dy"] * head)
    m.scale(head * (1 - abs(pose["turn"])), head)  # a turned head is narrower
    m.translate(0.0, -0.45)
    return body, m


def draw(cr: cairo.Context, frame: Frame, params, built) -> None:
    level = float(params["level"])
    if level <= 0.005:
        return
    scene = frame.scene
    wrong = float(params["wrong"])
    x, y, w, h = _plate_rect(scene)
    glance, into = _glance(frame)
    pose = _pose(scene, glance, wrong)
    head = 0.42 * h
    body_m, head_m = _matrix(x, y, w, h, pose, head)
    glass = mix(params["colour"], (0.8, 0.85, 0.9), 0.6)  # cold light off the steel
    u = frame.unit
    # The plate, opaque: a dark picture of steel and what it reflects.
    cr.rectangle(x, y, w, h)
    frame.cover(cr, level)
    cr.new_path()
    if frame.raster:
        m = cr.get_matrix()
        scale = math.sqrt(abs(m.xx * m.yy - m.xy * m.yx))
        q = scale * (0.5 if h * scale > 300 else 1.0)  # picture pixels per user unit
        img = _steel_picture(frame, built, x, y, w, h, q, body_m, head_m, pose, level, glass)
        cr.set_operator(cairo.OPERATOR_OVER)
        paint_resampled(cr, img, cairo.Matrix(1 / q, 0, 0, 1 / q, x, y))
    else:
        cr.rectangle(x, y, w, h)
        cr.set_source_rgba(0.1, 0.11, 0.13, 0.95 * level)
        cr.fill()
        cr.save()
        cr.transform(body_m)
        _body_path(cr)
        cr.restore()
        cr.save()
        cr.transform(head_m)
        _head_path(cr)
        cr.restore()
        cr.set_source_rgba(0.02, 0.02, 0.03, 0.8 * level)
        cr.fill()
    _hands(cr, frame, (x, y, w, h), wrong, level)
    # What catches the light: the eyes, open too wide, and the grin's teeth. Just after
    # it has moved, they linger a moment where they were, fading: it did move.
    linger = 1.0 - smoothstep(0.0, 0.4, into)
    if linger > 0.01:
        period = frame.period_cycles(0.8)
        before = _pose(scene, (glance - 1) % period if period else glance - 1, wrong)
        _, was = _matrix(x, y, w, h, before, head)
        _lit_features(cr, frame, was, wrong, before, 0.4 * linger * level, glass, (x, y, w, h))
    _lit_features(cr, frame, head_m, wrong, pose, level, glass, (x, y, w, h))
    # The brushed grain runs through them too: its darkest grooves, across the face.
    fx0, fy0 = head_m.transform_point(-0.5, -0.2)
    fx1, fy1 = head_m.transform_point(0.5, 0.45)
    grain = built["grain"]
    for k in range(_GRAIN):
        gx = x + w * (k + 0.5) / _GRAIN
        if min(fx0, fx1) < gx < max(fx0, fx1) and grain[k] < 0.38:
            cr.move_to(gx, min(fy0, fy1))
            cr.line_to(gx, max(fy0, fy1))
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.45 * level)
    cr.set_line_width(0.8 * w / _GRAIN)
    cr.stroke()
    # The plate's bevel and its four bolts.
    cr.rectangle(x, y, w, h)
    cr.set_source_rgba(*glass, 0.35 * level)
    cr.set_line_width(1.6 * u)
    cr.stroke()
    for bx in (x + 0.04 * w, x + 0.96 * w):
        for by in (y + 0.03 * h, y + 0.97 * h):
            cr.new_sub_path()
            cr.arc(bx, by, 3.5 * u, 0, 2 * math.pi)
    cr.set_source_rgba(*glass, 0.3 * level)
    cr.fill()


def _hands(cr: cairo.Context, frame: Frame, plate, wrong: float, level: float) -> None:
    """The reflection's hands, raised at the bottom of the plate: the dreamer's own neon
    outlines in the same pointing pose, jabbing at their own 1.5 Hz (not locked to the
    hands layer's darts), falling behind as it goes wrong, then held still and open. In
    the dream `wrong` is already high when the plate is seen, so they mostly hang open."""
    x, y, w, h = plate
    size = 0.3 * w
    lag = 0.35 * smoothstep(0.3, 0.8, wrong)  # of a jab: it moves after the dreamer does
    jab = frame.cycles(1.5) - lag
    cr.save()
    cr.rectangle(x, y, w, h)
    cr.clip()
    for side in (-1, 1):
        press = max(0.0, math.sin(2 * math.pi * (jab + 0.4 * side))) ** 3
        still = smoothstep(0.6, 1.0, wrong)  # at its worst, open hands, held still
        curl = [0.6, (0.05 + 0.5 * press) * (1 - still)] + [0.78 * (1 - still)] * 3
        outline, _ = hand_outline(tuple(curl), 0.0)
        m = cairo.Matrix()
        m.translate(x + (0.5 - side * 0.3) * w, y + h - 0.15 * size + 0.08 * size * press)
        m.rotate(-side * 0.25)
        m.scale(-side * size, 0.85 * size)  # mirrored: the dreamer's right hand on its left
        hand_path(cr, outline, m)
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(0.02, 0.03, 0.05, 0.8 * level)
        cr.fill_preserve()
        neon_stroke(cr, frame.colour("primary"), 2.2 * frame.unit, alpha=0.55 * level)
    cr.restore()


def _steel_picture(
    frame: Frame, built, x, y, w, h, q, body_m, head_m, pose, level, glass
) -> np.ndarray:
    """The plate as premultiplied BGRA at `q` pixels a user unit: brushed steel, dark
    where the reflected figure stands, a cold backlight round its edge, the collar."""
    pw, ph = max(2, int(w * q)), max(2, int(h * q))
    # The figure, as masks drawn by cairo into the channels of one picture: the body and
    # head (red), the collar (green), the face lit from below by the console (blue).
    surface = cairo.ImageSurface(cairo.FORMAT_RGB24, pw, ph)
    mc = cairo.Context(surface)
    mc.set_operator(cairo.OPERATOR_ADD)  # each channel saturates on its own
    mc.scale(q, q)
    mc.translate(-x, -y)
    lit = cairo.LinearGradient(0.0, 0.55, 0.0, -0.3)  # in head units: chin to brow
    lit.add_color_stop_rgb(0.0, 0, 0, 1.0)
    lit.add_color_stop_rgb(0.45, 0, 0, 0.35)
    lit.add_color_stop_rgb(1.0, 0, 0, 0)
    for m, path, source in (
        (body_m, _body_path, (1, 0, 0)),
        (head_m, _head_path, (1, 0, 0)),
        (body_m, _collar_path, (0, 1, 0)),
        (head_m, _head_path, lit),
    ):
        mc.save()
        mc.transform(m)
        path(mc)
        if isinstance(source, cairo.Pattern):
            mc.set_source(source)
        mc.restore()
        if not isinstance(source, cairo.Pattern):
            mc.set_source_rgb(*source)
        mc.fill()
    surface.flush()
    drawn = np.ndarray((ph, surface.get_stride() // 4, 4), np.uint8, surface.get_data())
    drawn = np.ascontiguousarray(drawn[:, :pw, :3])
    # Soft, smeared down the grain, and wavering as a sheet of steel warps a reflection.
    k = max(1.0, 0.006 * ph)
    drawn = cv2.GaussianBlur(drawn, (0, 0), sigmaX=1.2 * k, sigmaY=4.0 * k)
    rows = np.arange(ph, dtype=np.float32)
    sway = 0.012 * pw * np.sin(rows / ph * 9.0 + 2 * math.pi * frame.cycles(0.15))
    map_x = np.arange(pw, dtype=np.float32)[None, :] + sway[:, None]
    map_y = np.repeat(rows[:, None], pw, axis=1)
    drawn = cv2.remap(drawn, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    face, collar, figure = (drawn[..., c].astype(np.float32) * (1 / 255) for c in range(3))
    # The light spilling round it, blurred wide: at a quarter of the size, for speed.
    small = cv2.resize(figure, (max(1, pw // 4), max(1, ph // 4)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=1.5 * k, sigmaY=2.5 * k)
    halo = cv2.resize(small, (pw, ph), interpolation=cv2.INTER_LINEAR)
    # The steel: the grain by column, a broad sheen down it that drifts as you move.
    grain = cv2.resize(built["grain"][None, :], (pw, 1), interpolation=cv2.INTER_AREA)[0]
    cols = np.linspace(0.0, 1.0, pw, dtype=np.float32)
    sheen_at = 0.3 + 0.15 * math.sin(2 * math.pi * frame.cycles(0.05))
    sheen = np.exp(-(((cols - sheen_at) / 0.12) ** 2)) + 0.5 * np.exp(
        -(((cols - sheen_at - 0.3) / 0.05) ** 2)
    )
    steel = (0.1 + 0.07 * grain + 0.22 * sheen)[None, :] * (1.0 - 0.35 * (rows / ph)[:, None])
    # The reflection: dark where the figure stands (it stands between the plate and the
    # core's light), a cold rim round it where the light behind it spills past.
    rim = np.clip(halo - figure, 0.0, 1.0) + 2.0 * figure * (1.0 - figure)  # its outline
    v = steel * (1.0 - 0.85 * figure) + 0.3 * rim + 0.3 * collar + 0.22 * face
    v *= 0.65 + 0.7 * grain[None, :]
    tint = np.array(mix((0.48, 0.56, 0.68), glass, 0.25), np.float32)
    rgb = np.clip(v[..., None] * tint * 1.6, 0.0, 1.0) * level
    out = np.empty((ph, pw, 4), np.uint8)
    out[..., 0] = rgb[..., 2] * 255
    out[..., 1] = rgb[..., 1] * 255
    out[..., 2] = rgb[..., 0] * 255
    out[..., 3] = 255 * level
    return out


def _lit_features(cr, frame: Frame, head_m, wrong, pose, level, glass, plate) -> None:
    """The eyes, too wide, white all round a pinprick pupil, and the grin, each smeared a
    little down the grain; they are what the light finds in the dark reflection."""
    x, y, w, h = plate
    cr.save()
    cr.rectangle(x, y, w, h)
    cr.clip()
    ew, eh, pr = _eyes(wrong)
    look = pose["turn"] * 0.6  # a turned head's eyes sit off to one side
    stare = level * (0.25 + 0.75 * smoothstep(0.0, 0.5, wrong))
    white = mix(glass, (1.0, 1.0, 1.0), 0.5)
    eyes = [(ex + look, -0.06) for ex in (-0.15, 0.15)]
    # Each feature is drawn three times, sliding down the grain, fainter each time.
    for k, fade in ((2, 0.18), (1, 0.35), (0, 1.0)):
        cr.save()
        cr.transform(head_m)
        cr.translate(0.0, 0.035 * k)
        for ex, ey in eyes:
            _eye_path(cr, ex, ey, ew, eh)
        cr.restore()
        cr.set_operator(cairo.OPERATOR_OVER)
        cr.set_source_rgba(*white, 0.85 * stare * fade)
        cr.fill()
    cr.save()
    cr.transform(head_m)
    for ex, ey in eyes:  # pinprick pupils, staring out
        cr.new_sub_path()
        cr.arc(ex + 0.25 * pose["turn"], ey, pr, 0, 2 * math.pi)
    cr.restore()
    cr.set_source_rgba(0.0, 0.0, 0.0, 0.95 * level)
    cr.fill()
    grin = pose["grin"]
    if grin > 0.01:
        for k, fade in ((2, 0.15), (1, 0.3), (0, 1.0)):
            cr.save()
            cr.transform(head_m)
            cr.translate(0.25 * look, 0.03 * k)
            _grin(cr, wrong, teeth=False, sneer=pose["sneer"])
            cr.restore()
            cr.set_source_rgba(*white, 0.3 * grin * level * fade)
            cr.fill()
        cr.save()  # the teeth, small and sharp, bright in the dark mouth
        cr.transform(head_m)
        cr.translate(0.25 * look, 0.0)
        _grin(cr, wrong, teeth=True, sneer=pose["sneer"])
        cr.restore()
        cr.set_source_rgba(*white, 0.95 * grin * level)
        cr.fill()
    cr.restore()
    # A little of their light in the air.
    additive(cr)
    for ex, ey in eyes:
        px, py = head_m.transform_point(ex, ey)
        radial_glow(cr, px, py, 4 * ew * head_m.xx, white, 0.15 * stare, frame.light)
    if grin > 0.01:  # and the grin's, a pale smear along it
        soft = frame.soft(cr)
        soft.save()
        soft.transform(head_m)
        soft.translate(0.25 * look, 0.02)
        _grin(soft, wrong, teeth=False, sneer=pose["sneer"])
        soft.restore()
        soft.set_operator(cairo.OPERATOR_ADD)
        soft.set_source_rgba(*white, 0.25 * grin * level)
        soft.set_line_width(0.03 * head_m.yy)
        soft.stroke()


LAYER = Layer(
    name="reflection",
    draw=draw,
    build=build,
    params={
        "level": track("level", "the reflection in the steel panel", "reflection"),
        "wrong": track(
            "wrong", "how wrong it is: eyes too wide, smile too sharp", "reflection_wrong"
        ),
        "colour": colour("colour", "text", "the light the steel reflects"),
    },
    doc="The dreamer's reflection in a steel panel: eyes too wide, smile too sharp, shifting.",
    default=False,  # the dream's own: sequences/dream.toml lists it
    order=42,
    plane=0.7,
)
