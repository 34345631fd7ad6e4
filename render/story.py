"""The dream's beats as functions of one number: escalation.

Escalation runs from 0 (the hum of a healthy machine) to 1 (waking up). A
linear escalation ramp tells the whole story by itself because every finer
track defaults to a curve of escalation given here; a sequence overrides any
of them by defining a track of the same name.
"""

from __future__ import annotations

from collections.abc import Callable

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


# Every finer track, as a function of escalation. All map into 0..1.
DERIVED: dict[str, Callable[[float], float]] = {
    # Klaxon: red flashes switch on at the alarm and never quite stop.
    "flash": lambda e: (
        smoothstep(0.14, 0.17, e)
        * (1.0 - 0.35 * window(0.45, 0.5, 0.6, 0.64, e))
        * (1.0 - smoothstep(0.95, 0.955, e))
    ),
    "shake": lambda e: (
        0.35 * window(0.15, 0.17, 0.23, 0.27, e)
        + 0.25 * smoothstep(0.3, 0.45, e) * (1 - smoothstep(0.45, 0.5, e))
        + 0.8 * smoothstep(0.62, 0.9, e) * (1.0 - smoothstep(0.95, 0.955, e))
    ),
    "errors": lambda e: smoothstep(0.15, 0.26, e),
    "glitch": lambda e: (
        0.15 * smoothstep(0.16, 0.24, e)
        + 0.55 * smoothstep(0.25, 0.45, e)
        + 0.3 * smoothstep(0.7, 0.92, e)
    ),
    "breaks": lambda e: 0.9 * smoothstep(0.26, 0.46, e) + 0.1 * smoothstep(0.6, 0.85, e),
    "fog": lambda e: 0.85 * smoothstep(0.44, 0.52, e) * (1.0 - 0.4 * smoothstep(0.7, 0.85, e)),
    "phantoms": lambda e: window(0.47, 0.51, 0.6, 0.66, e),
    "whisper": lambda e: window(0.47, 0.48, 0.59, 0.6, e),
    "cracks": lambda e: smoothstep(0.6, 0.86, e) ** 0.8,
    "heat": lambda e: smoothstep(0.62, 0.93, e),
    "melt": lambda e: smoothstep(0.66, 0.92, e),
    "erratic": lambda e: 0.15 * smoothstep(0.15, 0.3, e) + 0.85 * smoothstep(0.6, 0.8, e),
    "split": lambda e: smoothstep(0.85, 0.91, e),
    "eye": lambda e: smoothstep(0.87, 0.93, e),
    "wake": lambda e: smoothstep(0.95, 0.952, e),
    # Scales the bloom effect: the cut to white must not bloom the last words away.
    "bloom": lambda e: 1.0 - smoothstep(0.968, 0.972, e),
}
