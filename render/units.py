"""Parsing of the units people type: frame sizes, presets and times.

Used both by the sequence loader and by the CLI's parameter types, so a size
or a time means the same thing in a file and on the command line.
"""

from __future__ import annotations

import math
import os
import re

from render.errors import RenderError, did_you_mean

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

# Paper sizes, portrait, as (width, height, unit): ISO 216 in millimetres, US in inches.
PAPER: dict[str, tuple[float, float, str]] = {
    "a4": (210.0, 297.0, "mm"),
    "a3": (297.0, 420.0, "mm"),
    "a2": (420.0, 594.0, "mm"),
    "letter": (8.5, 11.0, "in"),
    "tabloid": (11.0, 17.0, "in"),
}

# Inches per physical unit.
INCHES_PER: dict[str, float] = {"in": 1.0, "mm": 1.0 / 25.4, "cm": 1.0 / 2.54}

_NUMBER = r"(\d+(?:\.\d*)?|\.\d+)"
_UNIT = r"(mm|cm|in)"
_PHYSICAL = re.compile(
    rf"^\s*{_NUMBER}\s*(?:{_UNIT})?\s*[xX×]\s*{_NUMBER}\s*{_UNIT}\s*$", re.IGNORECASE
)

_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")
_TIME = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(%|s|ms|f)?\s*$")


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
        raise SizeLimitError(
            f"sides above {MAX_SIDE} pixels are not supported, got {w}x{h}", (w, h)
        )
    return w, h


class SizeLimitError(ValueError):
    """A well-formed size with a side beyond MAX_SIDE; `.size` is the (w, h) asked for."""

    def __init__(self, message: str, size: tuple[int, int]) -> None:
        super().__init__(message)
        self.size = size


_TIME_FORMS = 'seconds, a percentage like "40%" or frames like "120f"'


def parse_time(value: object, duration: float | None, fps: float | None = None) -> float:
    """Seconds (number, '12.5', '12.5s', '800ms'), a percentage of duration ('40%') or,
    given `fps`, frames ('120f')."""
    if isinstance(value, bool):
        raise ValueError(f"expected {_TIME_FORMS}, got {value!r}")
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            raise ValueError("expected seconds or a percentage, got a number too large") from None
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
            if unit == "f":
                if fps is None:
                    raise ValueError('frames ("120f") need a known frame rate')
                return number / fps
            return number
    raise ValueError(f"expected {_TIME_FORMS}, got {value!r}")


def parse_physical_size(value: str) -> tuple[float, float, str]:
    """'30x20cm', '12x8in', '420x297mm' (or '30cmx20cm') -> (width, height, unit).

    Raises ValueError. A unit on the first number that differs from the second's is
    converted to the second's, so the result is always in one unit.
    """
    m = _PHYSICAL.match(value) if isinstance(value, str) else None
    if not m:
        raise ValueError(
            f'expected a physical size like "30x20cm", "12x8in" or "420x297mm", got {value!r}'
        )
    w, first_unit, h, unit = float(m.group(1)), m.group(2), float(m.group(3)), m.group(4)
    unit = unit.lower()
    if first_unit and first_unit.lower() != unit:
        w = round(w * INCHES_PER[first_unit.lower()] / INCHES_PER[unit], 9)
    if w <= 0 or h <= 0:
        raise ValueError(f"a physical size must be above 0 on both sides, got {value!r}")
    return w, h, unit


def is_physical_size(value: str) -> bool:
    """True when `value` ends in a physical unit (mm, cm, in), i.e. is not a pixel size."""
    return isinstance(value, str) and re.search(r"(mm|cm|in)\s*$", value, re.IGNORECASE) is not None


def paper_size(name: str, portrait: bool = False) -> tuple[float, float, str]:
    """A paper name (A4, A3, A2, letter, tabloid) -> (width, height, unit), landscape unless
    `portrait`. Raises ValueError."""
    key = name.strip().lower() if isinstance(name, str) else ""
    if key not in PAPER:
        raise ValueError(
            f"unknown paper {name!r}{did_you_mean(key, PAPER)}; expected one of {', '.join(PAPER)}"
        )
    short, long, unit = PAPER[key]
    return (short, long, unit) if portrait else (long, short, unit)


def to_inches(width: float, height: float, unit: str) -> tuple[float, float]:
    factor = INCHES_PER[unit]
    return width * factor, height * factor


def print_pixels(width: float, height: float, unit: str, dpi: float) -> tuple[int, int]:
    """Pixel size of a physical size at `dpi`: round(inches * dpi), halves up; the result is
    checked like any frame size (at least 2x2, sides at most MAX_SIDE). Raises ValueError."""
    if not dpi > 0:
        raise ValueError(f"dpi must be above 0, got {dpi!r}")
    w_in, h_in = to_inches(width, height, unit)
    # The tiny epsilon keeps float noise (3299.9999999) from rounding a whole number down.
    px = tuple(math.floor(v * dpi + 0.5 + 1e-9) for v in (w_in, h_in))
    try:
        return parse_size(px)
    except SizeLimitError as exc:
        message = f"{width:g}x{height:g}{unit} at {dpi:g} dpi is {px[0]}x{px[1]} pixels: {exc}"
        raise SizeLimitError(message, exc.size) from None
    except ValueError as exc:
        raise ValueError(
            f"{width:g}x{height:g}{unit} at {dpi:g} dpi is {px[0]}x{px[1]} pixels: {exc}"
        ) from None


# --------------------------------------------------------------------------- limits
#
# Refused up front, before any rendering or writing starts, so a run that could never finish
# (or would take the machine down) fails in a second with one line instead of after an hour.

MAX_FPS = 240
# A frame every 1000 s. Slower rates are no animation, and an MP4 can't hold the duration
# of one of their frames (ffmpeg fails at 1e-6 fps, after the render).
MIN_FPS = 0.001
MAX_FRAMES = 100_000


def frame_rate_problem(fps: float) -> str | None:
    """What is wrong with a frame rate, or None: what both `--fps` and `sequence.fps`
    are checked against."""
    if not (math.isfinite(fps) and MIN_FPS <= fps <= MAX_FPS):
        return f"expected a frame rate above 0 (at least {MIN_FPS:g}) and at most {MAX_FPS}"
    return None


# Full-frame uint8 RGB buffers alive at once while one frame is made: the post effects'
# scratch buffers, the result, the copy handed to the encoder and the shared-memory slots.
FRAME_BUFFERS = 8


class LimitError(RenderError):
    """A request beyond what the renderer supports or the machine can hold (exit status 2)."""

    exit_code = 2


def estimate_frame_bytes(width: int, height: int) -> int:
    """Memory one worker needs for one frame: the cairo ARGB32 surface (4 bytes a pixel)
    plus FRAME_BUFFERS full-size RGB buffers (3 bytes a pixel each)."""
    pixels = int(width) * int(height)
    return pixels * 4 + pixels * 3 * FRAME_BUFFERS


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def _cgroup_available() -> int | None:
    """Room left under a container's memory limit (cgroup v2, then v1), if there is one."""
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ):
        try:
            with open(limit_file, encoding="ascii") as f:
                limit = f.read().strip()
            with open(usage_file, encoding="ascii") as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 2**60:  # "max" or a huge number: no limit
            return max(0, int(limit) - usage)
    return None


def available_memory() -> int | None:
    """Bytes that can be allocated without swapping or being killed; None if unknown."""
    known = [v for v in (_meminfo_available(), _cgroup_available()) if v is not None]
    return min(known) if known else None


def _mib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def check_memory(width: int, height: int, workers: int) -> None:
    """Refuse (LimitError) when `workers` processes rendering WxH frames can't fit in memory."""
    available = available_memory()
    if available is None:
        return
    each = estimate_frame_bytes(width, height)
    if each * workers <= available:
        return
    fits = available // each
    if fits >= 1:
        advice = f"use --workers {fits} or a smaller --size"
    else:
        advice = "use a smaller --size"
    who = f"{workers} workers" if workers > 1 else "one worker"
    raise LimitError(
        f"{width}x{height} frames need about {_mib(each)} per worker; {who} would need "
        f"{_mib(each * workers)} but only {_mib(available)} of memory is available; {advice}"
    )


def check_frame_rate(fps: float, what: str) -> None:
    problem = frame_rate_problem(fps)
    if problem is not None:
        raise LimitError(f"{what}: {problem}, got {fps:g}")


def check_frame_count(frames: float, what: str) -> None:
    if not frames <= MAX_FRAMES:
        raise LimitError(f"{what} is {frames:.0f} frames; the limit is {MAX_FRAMES}")
