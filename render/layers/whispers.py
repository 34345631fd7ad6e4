"""Static bursts from forgotten speakers, carrying the whispers."""

from __future__ import annotations

import math

import cairo

from render.draw import additive, fill_smooth, low_res, neon_text
from render.glyphs import text_width
from render.params import colour, text, track
from render.scene import Frame, Layer
from render.story import smoothstep

FACE = "scripts"  # a hand, not a machine: the whispers are not the console's voice
SOFT_FACE = "timesi"  # the one heard through a wall: a softer hand that stays legible
WHISPERS = ("You missed a step.", "It's already too late.", "Join us.")


def which(frame: Frame, line: float, count: int = len(WHISPERS)) -> tuple[int, float]:
    """The whisper heard now and how far through it we are (0..1): from the `line`
    parameter, or taking turns every 2.5 s when it is below 0."""
    p = line if line >= 0 else frame.cycles(0.4)
    k = int(p) % count
    return k, p % 1.0


# Each whisper in its own place, size and manner: (x, y of its middle as fractions of the
# frame, cap height as a fraction of the shorter side, manner).
STYLES = (
    (0.3, 0.78, 0.04, "letters"),  # low by the phantoms, spelled out letter by letter
    (0.66, 0.17, 0.06, "defocused"),  # high on the right, soft, as if heard through a wall
    (0.24, 0.44, 0.1, "doubled"),  # beside the phantom that stares, large, doubled, shaking
)


def _shade(cr: cairo.Context, frame: Frame, cx: float, cy: float, tw: float, a: float) -> None:
    """A shadow behind the words so bright vapor cannot swallow them."""
    shade = cairo.RadialGradient(cx, cy, 0, cx, cy, 0.7 * tw)
    shade.add_color_stop_rgba(0, 0, 0, 0, 0.65 * a)
    shade.add_color_stop_rgba(1, 0, 0, 0, 0)
    cr.save()
    cr.translate(cx, cy)
    cr.scale(1.0, 0.3)
    cr.translate(-cx, -cy)
    cr.set_operator(cairo.OPERATOR_OVER)
    box = (cx - 0.7 * tw, cy - 0.7 * tw, 1.4 * tw, 1.4 * tw)
    cr.rectangle(*box)
    frame.cover(cr, source=shade)  # the shadow darkens the light beneath it too
    fill_smooth(cr, low_res(cr, shade, *box))
    cr.restore()


def draw(cr: cairo.Context, frame: Frame, params, _built) -> None:
    level = float(params["whisper"])
    if level <= 0.01:
        return
    w, h, u = frame.scene.width, frame.scene.height, frame.unit
    lines = [t.strip() for t in str(params["lines"]).split("|") if t.strip()] or list(WHISPERS)
    k, p = which(frame, float(params["line"]) * len(lines) / len(WHISPERS), len(lines))
    rng = frame.rng("static")
    # Each burst of static arrives hard, then the words hold long enough to read twice.
    burst = level * (smoothstep(0.0, 0.06, p) * (1 - smoothstep(0.88, 1.0, p)))
    crackle = level * (1 - smoothstep(0.0, 0.25, p) * 0.7)
    additive(cr)
    # Static: bands of scratchy horizontal noise, loudest as each whisper breaks in.
    for _ in range(int(60 * crackle)):
        y = rng.uniform(0, h)
        x0 = rng.uniform(-0.2, 1.0) * w
        ln = rng.uniform(0.05, 0.5) * w
        cr.move_to(x0, y)
        cr.line_to(x0 + ln, y)
        cr.set_line_width(rng.uniform(0.5, 3.0) * u)
        g = rng.uniform(0.3, 1.0)
        cr.set_source_rgba(g, g, g, 0.3 * crackle * rng.random())
        cr.stroke()
    text = lines[k]
    fx, fy, fsize, manner = STYLES[k % len(STYLES)]
    # The phantoms' own words, doubled and shaking, in a face of their own: in the
    # script, 'Join' read as 'foin'.
    face = "timesr" if manner == "doubled" else FACE
    if frame.scene.layout.portrait:
        fx, fy = 0.5, 0.35 + 0.15 * k
    size = fsize * min(w, h)
    if manner == "letters":  # spelled out over the first half of its time
        text = text[: max(1, math.ceil(len(text) * min(1.0, p / 0.45)))]
    tw = text_width(lines[k], size)
    x = min(max(fx * w - tw / 2, 0.04 * w), 0.96 * w - tw)  # never off the frame's edge
    y = fy * h - size / 2
    fx = (x + tw / 2) / w
    _shade(cr, frame, fx * w, fy * h, tw, burst)
    additive(cr)
    colour = params["colour"]
    if manner == "defocused":
        # A soft halo on the low-resolution buffer, as if heard through a wall, round
        # words still sharp enough to read: in italics (audiences read the script's 'It's'
        # as 'St's' through the blur).
        soft = frame.soft(cr)
        for spread in (1.0, 2.2):
            neon_text(
                soft, text, x, y, size, colour, 0.12 * size * spread, alpha=0.22 * burst,
                face=SOFT_FACE,
            )  # fmt: skip
        neon_text(
            cr, text, x, y, size, colour, 0.07 * size, alpha=0.85 * burst, heat=0.3,
            face=SOFT_FACE,
        )  # fmt: skip
        return
    ghosts = ((0.35, -3.0), (0.35, 3.0), (1.0, 0.0)) if manner == "doubled" else ((1.0, 0.0),)
    shake = 2.5 if manner == "doubled" else 1.0
    for ghost, off in ghosts:
        jx = off * u * shake + rng.normal(0, 1.5) * u * shake * (1 + 2 * (1 - burst))
        ty = y + math.sin(2 * math.pi * frame.cycles(6.0)) * u * shake
        c = colour if ghost == 1.0 else frame.colour("alert")
        a = burst * ghost * (0.8 + 0.2 * rng.random())
        neon_text(cr, text, x + jx, ty, size, c, 0.08 * size, alpha=a, heat=0.45, face=face)


LAYER = Layer(
    name="whispers",
    draw=draw,
    params={
        "whisper": track("whisper", "loudness of the static and the words"),
        "line": track(
            "line",
            "which whisper and how far through it; below 0 they take turns",
            "whisper_line",
            lo=-1,
            hi=3,
        ),
        "colour": colour("colour", "text", "the words"),
        "lines": text("lines", "|".join(WHISPERS), "the whispers, in order, separated by |"),
    },
    doc="Static bursts and the whispers: You missed a step. It's already too late. Join us.",
    order=60,
)
