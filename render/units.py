"""Parsing of the units people type: frame sizes, presets and times.

Used both by the sequence loader and by the CLI's parameter types, so a size
or a time means the same thing in a file and on the command line.
"""

from __future__ import annotations

import re

from render.errors import did_you_mean

# Screen presets, width x height in pixels.
PRESETS: dict[str, tuple[int, int]] = {
    "preview": (480, 270),
    "480p": (854, 480),
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "1440p": (2560, 1440),
    "4k": (3840, 2160),
    "ultrawide": (3440, 1440),
    "dual": (5120, 1440),
    "phone": (1170, 2532),
}

MAX_SIDE = 16384

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_TIME = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(%|s|ms)?\s*$")


def parse_size(value: object) -> tuple[int, int]:
    """'1920x1080', a preset name, or a [w, h] pair -> (w, h). Raises ValueError."""
    if isinstance(value, list | tuple) and len(value) == 2:
        w, h = value
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (w, h)):
            raise ValueError(f"expected two whole numbers [width, height], got {value!r}")
    elif isinstance(value, str):
        key = value.strip().lower()
        if key in PRESETS:
            w, h = PRESETS[key]
        else:
            m = _SIZE.match(value)
            if not m:
                raise ValueError(
                    f'expected WIDTHxHEIGHT (like "1920x1080") or a preset '
                    f"({', '.join(PRESETS)}), got {value!r}{did_you_mean(key, PRESETS)}"
                )
            w, h = int(m.group(1)), int(m.group(2))
    else:
        raise ValueError(f'expected WIDTHxHEIGHT (like "1920x1080"), got {value!r}')
    if w < 2 or h < 2:
        raise ValueError(f"a frame needs at least 2x2 pixels, got {w}x{h}")
    if w > MAX_SIDE or h > MAX_SIDE:
        raise ValueError(f"sides above {MAX_SIDE} pixels are not supported, got {w}x{h}")
    return w, h


def parse_time(value: object, duration: float | None) -> float:
    """Seconds (number, '12.5', '12.5s', '800ms') or a percentage of duration ('40%')."""
    if isinstance(value, bool):
        raise ValueError(f'expected seconds or a percentage like "40%", got {value!r}')
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _TIME.match(value)
        if m:
            number, unit = float(m.group(1)), m.group(2)
            if unit == "%":
                if duration is None:
                    raise ValueError("a percentage needs a known duration")
                return number / 100.0 * duration
            if unit == "ms":
                return number / 1000.0
            return number
    raise ValueError(f'expected seconds or a percentage like "40%", got {value!r}')
