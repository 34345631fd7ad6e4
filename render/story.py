"""The dream's beats as functions of one number: escalation.

Escalation runs from 0 (the hum of a healthy machine) to 1 (waking up). A
linear escalation ramp tells the whole story by itself because every finer
track defaults to a curve of escalation given here; a sequence overrides any
of them by defining a track of the same name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

# Where each beat starts on the escalation axis (ART.md's beats).
BEATS: tuple[tuple[str, float], ...] = (
    ("hum", 0.00),
    ("klaxon", 0.15),
    ("spiral", 0.25),
    ("phantoms", 0.45),
    ("core", 0.60),
    ("split", 0.85),
    ("wake", 0.95),
)


def smoothstep(a: float, b: float, x: float) -> float:
    if b == a:
        return 1.0 if x >= b else 0.0
    u = min(max((x - a) / (b - a), 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def window(a: float, b: float, c: float, d: float, x: float) -> float:
    """Rises over a..b, holds, falls over c..d."""
    return smoothstep(a, b, x) * (1.0 - smoothstep(c, d, x))


def beat_of(escalation: float) -> str:
    name = BEATS[0][0]
    for beat, start in BEATS:
        if escalation >= start:
            name = beat
    return name


@dataclass(frozen=True)
class StoryTrack:
    """A track the story drives: a curve of the tracks before it (escalation first), in
    0..1 unless `lo`/`hi` say otherwise. A sequence overrides it by defining a track of
    the same name; the tracks after it that follow it (`bloom` follows `wake`) then follow
    the override, so one track gives its whole beat."""

    name: str
    doc: str
    curve: Callable[[Mapping[str, float]], float]
    lo: float = 0.0
    hi: float = 1.0


def _e(v: Mapping[str, float]) -> float:
    return v["escalation"]


def _whisper_line(v: Mapping[str, float]) -> float:
    e = _e(v)
    if 0.47 <= e <= 0.6:  # the three whispers share the phantoms' window
        return (e - 0.47) / 0.13 * 3.0 * (1 - 1e-9)
    return -1.0  # outside it they cycle on their own clock


# Every finer track, in the order they are derived. The wake comes first: the klaxon,
# the shaking and the bloom all end with it, so overriding `wake` alone ends them too.
STORY: tuple[StoryTrack, ...] = (
    StoryTrack(
        "wake",
        '"Then-" on black, then the cut to white and "I wake up." (progress through the beat)',
        lambda v: smoothstep(0.95, 1.0, _e(v)),
    ),
    StoryTrack(
        "flash",
        "red klaxon flashes and the headline",
        lambda v: (
            smoothstep(0.14, 0.17, _e(v))
            * (1.0 - 0.35 * window(0.45, 0.5, 0.6, 0.64, _e(v)))
            * (1.0 - smoothstep(0.0, 0.03, v["wake"]))
        ),
    ),
    StoryTrack(
        "shake",
        "camera shake",
        lambda v: (
            (
                0.35 * window(0.15, 0.17, 0.23, 0.27, _e(v))
                + 0.25 * smoothstep(0.3, 0.45, _e(v)) * (1 - smoothstep(0.45, 0.5, _e(v)))
                + 0.8 * smoothstep(0.62, 0.9, _e(v))
            )
            * (1.0 - smoothstep(0.0, 0.03, v["wake"]))
        ),
    ),
    StoryTrack(
        "errors",
        "error messages cascading down the console",
        lambda v: smoothstep(0.15, 0.26, _e(v)),
    ),
    StoryTrack(
        "glitch",
        "glyph substitution, dropouts, colour split, runaway readouts",
        lambda v: (
            0.15 * smoothstep(0.16, 0.24, _e(v))
            + 0.55 * smoothstep(0.25, 0.45, _e(v))
            + 0.3 * smoothstep(0.7, 0.92, _e(v))
        ),
    ),
    StoryTrack(
        "breaks",
        "fraction of the neural web's threads snapped",
        lambda v: smoothstep(0.26, 0.5, _e(v)),
    ),
    StoryTrack(
        "reflection",
        "the dreamer's reflection in a panel, shifting when no one looks",
        lambda v: window(0.36, 0.4, 0.525, 0.527, _e(v)),  # gone at the cut to the phantom
    ),
    StoryTrack(
        "reflection_wrong",
        "how wrong the reflection is: its eyes widen, its smile sharpens",
        lambda v: smoothstep(0.39, 0.47, _e(v)),
    ),
    StoryTrack(
        "fog",
        "vapor from the burst pipe",
        lambda v: (
            0.85 * smoothstep(0.44, 0.52, _e(v)) * (1.0 - 0.75 * smoothstep(0.7, 0.88, _e(v)))
        ),
    ),
    StoryTrack(
        "vent",
        "the burst pipe's blast of steam: it bursts, blasts for a few seconds, and dies down",
        lambda v: window(0.44, 0.46, 0.49, 0.53, _e(v)),
    ),
    StoryTrack(
        "phantoms",
        "the blank-faced figures in the mist",
        lambda v: window(0.47, 0.51, 0.6, 0.66, _e(v)),
    ),
    StoryTrack(
        "phantom_turn",
        "one of the figures turning its blank face toward the dreamer",
        lambda v: smoothstep(0.54, 0.575, _e(v)),
    ),
    StoryTrack(
        "whisper",
        "static bursts carrying the whispers",
        lambda v: window(0.47, 0.48, 0.59, 0.6, _e(v)),
    ),
    StoryTrack(
        "whisper_line",
        "which whisper is heard and how far through it (0..3); below 0 they take turns every 2.5 s",
        _whisper_line,
        lo=-1.0,
        hi=3.0,
    ),
    StoryTrack(
        "cracks",
        "how far the spiderweb of cracks has grown over the core",
        lambda v: smoothstep(0.6, 0.86, _e(v)) ** 0.8,
    ),
    StoryTrack(
        "heat", "the core's colours pushed toward white", lambda v: smoothstep(0.62, 0.93, _e(v))
    ),
    StoryTrack(
        "melt", "console glyphs warping and sagging", lambda v: smoothstep(0.755, 0.89, _e(v))
    ),
    StoryTrack(
        "hands",
        "the dreamer's hands darting across the controls, until the eye stares",
        lambda v: window(0.16, 0.21, 0.88, 0.91, _e(v)),
    ),
    StoryTrack(
        "erratic",
        "the core's pulse losing its rhythm",
        lambda v: 0.15 * smoothstep(0.15, 0.3, _e(v)) + 0.85 * smoothstep(0.6, 0.8, _e(v)),
    ),
    StoryTrack("split", "the core splitting open", lambda v: smoothstep(0.85, 0.91, _e(v))),
    StoryTrack("eye", "the eye opening inside it", lambda v: smoothstep(0.87, 0.91, _e(v))),
    StoryTrack(
        "gaze",
        "the eye's stare: it searches, blinks, turns to look out, its pupil dilating",
        lambda v: smoothstep(0.91, 0.948, _e(v)),
    ),
    StoryTrack(
        "hud",
        "brightness of the panels and the web: they dim while the eye stares",
        lambda v: 1.0 - 0.75 * smoothstep(0.9, 0.93, _e(v)),
        hi=4.0,
    ),
    StoryTrack(
        "screen",
        "the screen's own artefacts (scanlines): gone when the darkness falls",
        lambda v: 1.0 - smoothstep(0.0, 0.03, v["wake"]),
    ),
    StoryTrack(
        "bloom",
        "scales the bloom effect: it fades out before the cut to white, so the glow of "
        "the white cannot swallow the last words",
        lambda v: 1.0 - smoothstep(0.3, 0.41, v["wake"]),
    ),
)

# The camera's moves, as the story wants them (render/camera.py places the planes).
CAMERA_STORY: tuple[StoryTrack, ...] = (
    StoryTrack(
        "zoom",
        "the camera pushes in on the core as the machine fails, and lets go on waking",
        lambda v: (
            (1.0 + 0.04 * smoothstep(0.0, 0.45, _e(v)) + 0.09 * smoothstep(0.58, 0.9, _e(v)))
            * (1.0 - 0.18 * smoothstep(0.0, 0.05, v["wake"]))
        ),
        lo=0.25,
        hi=8.0,
    ),
    StoryTrack(
        "pan_x",
        "a slow drift across the room, then settling on the core",
        lambda v: (
            0.05
            * math.sin(math.pi * smoothstep(0.0, 0.6, _e(v)) * 2.0)
            * (1.0 - smoothstep(0.6, 0.8, _e(v)))
        ),
        lo=-1.0,
        hi=1.0,
    ),
    StoryTrack(
        "pan_y",
        "the look drops toward the core as it fractures",
        lambda v: (
            (0.02 * smoothstep(0.6, 0.88, _e(v)) + 0.02 * smoothstep(0.89, 0.935, _e(v)))
            * (1.0 - smoothstep(0.0, 0.05, v["wake"]))
        ),
        lo=-1.0,
        hi=1.0,
    ),
    StoryTrack(
        "roll",
        "the horizon tilts in the spiral and again as the core gives way (degrees)",
        lambda v: (
            2.5 * window(0.25, 0.38, 0.5, 0.6, _e(v))
            - 1.8 * smoothstep(0.7, 0.9, _e(v)) * (1.0 - smoothstep(0.0, 0.05, v["wake"]))
        ),
        lo=-180.0,
        hi=180.0,
    ),
    StoryTrack(
        "focus",
        "the depth in focus: the core, drifting forward to the phantoms in the mist",
        lambda v: 0.5 + 0.35 * window(0.46, 0.5, 0.6, 0.64, _e(v)),
    ),
    StoryTrack(
        "exposure",
        "light multiplier before the tone map; it floods at the cut to white",
        lambda v: 1.0 + 2.0 * smoothstep(0.38, 0.42, v["wake"]),
        lo=0.0,
        hi=16.0,
    ),
)
STORY = STORY + CAMERA_STORY

STORY_TRACKS: dict[str, StoryTrack] = {t.name: t for t in STORY}


# What a viewer sees when a track is up, for labels (contact sheets): most telling first.
_SEEN = (
    ("wake", 0.4, "daylight"),
    ("wake", 0.01, "Then-"),
    ("eye", 0.3, "the eye"),
    ("split", 0.1, "core splitting"),
    ("cracks", 0.1, "ice cracks"),
    ("melt", 0.2, "controls melting"),
    ("whisper", 0.3, "whispers"),
    ("reflection", 0.3, "the reflection"),
    ("phantoms", 0.3, "phantoms"),
    ("fog", 0.2, "vapor"),
    ("breaks", 0.05, "web breaking"),
    ("glitch", 0.4, "glitch"),
    ("flash", 0.3, "klaxon"),
)


def on_screen(
    values: Mapping[str, float], most: int = 2, drawn: Collection[str] | None = None
) -> list[str]:
    """A few words for what a frame with these track values shows, most telling first.
    `drawn`: the tracks the sequence's layers follow (a track no layer draws shows nothing)."""
    seen: list[str] = []
    for name, above, words in _SEEN:
        if drawn is not None and name not in drawn:
            continue
        if float(values.get(name, 0.0)) > above and words not in seen:
            seen.append(words)
            if name == "wake":  # the wake covers everything else
                break
    return seen[:most] or ["the hum"]


def derive(values: dict[str, float]) -> dict[str, float]:
    """Fill in every story track the sequence does not define, in `STORY` order (each
    curve sees the tracks before it, overridden or derived). `values` holds the defined
    tracks' values at one instant; escalation defaults to 0."""
    values.setdefault("escalation", 0.0)
    for t in STORY:
        if t.name not in values:
            values[t.name] = t.curve(values)
    return values
