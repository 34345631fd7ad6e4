"""Easing curves for keyframe interpolation.

An easing maps linear progress ``u`` between two keyframes (0 at the first, 1 at the
second) to eased progress. Every easing here clamps ``u`` to [0, 1] first and returns
exactly 0.0 at ``u == 0`` and exactly 1.0 at ``u == 1``, so keyframe values are hit
exactly; in between, ``back``, ``elastic`` and ``spring`` deliberately overshoot.

Sequence files name an easing with a string that :func:`parse_easing` turns into a
function:

* a plain name from :data:`EASINGS` (``linear``, ``hold``, the Robert Penner set such
  as ``in-out-cubic``, the CSS keywords ``ease``/``ease-in``/``ease-out``/``ease-in-out``
  and ``spring``);
* ``steps(n)`` or ``steps(n, position)`` with CSS semantics;
* ``cubic-bezier(x1, y1, x2, y2)`` with CSS semantics.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import TypeAlias

from render.errors import did_you_mean

__all__ = ["EASINGS", "Easing", "at_keyframe", "easing_names", "parse_easing"]

Easing: TypeAlias = Callable[[float], float]
"""Maps progress ``u`` in [0, 1] to eased progress; ``f(0) == 0`` and ``f(1) == 1`` exactly."""


def _normalised(raw: Callable[[float], float]) -> Easing:
    """Wrap a raw curve so it clamps its input and pins both endpoints exactly.

    ``raw`` is only ever called with ``0 < u < 1``. NaN input is treated as 0.
    """

    @functools.wraps(raw)
    def eased(u: float) -> float:
        u = float(u)
        if not u > 0.0:  # also catches NaN
            return 0.0
        if u >= 1.0:
            return 1.0
        return float(raw(u))

    return eased


# --- basic -------------------------------------------------------------------------------


def _linear(u: float) -> float:
    return u


def _hold(u: float) -> float:
    """Stay at 0 until the next keyframe (only reached at u == 1, handled by the wrapper)."""
    return 0.0


# --- Robert Penner set (formulas as on easings.net) ------------------------------------------


def _in_sine(u: float) -> float:
    return 1.0 - math.cos(u * math.pi / 2.0)


def _out_sine(u: float) -> float:
    return math.sin(u * math.pi / 2.0)


def _in_out_sine(u: float) -> float:
    return -(math.cos(math.pi * u) - 1.0) / 2.0


def _power_in(n: int) -> Callable[[float], float]:
    def ease(u: float) -> float:
        return u**n

    return ease


def _power_out(n: int) -> Callable[[float], float]:
    def ease(u: float) -> float:
        return 1.0 - (1.0 - u) ** n

    return ease


def _power_in_out(n: int) -> Callable[[float], float]:
    def ease(u: float) -> float:
        if u < 0.5:
            return 2.0 ** (n - 1) * u**n
        return 1.0 - (-2.0 * u + 2.0) ** n / 2.0

    return ease


def _in_expo(u: float) -> float:
    return 2.0 ** (10.0 * u - 10.0)


def _out_expo(u: float) -> float:
    return 1.0 - 2.0 ** (-10.0 * u)


def _in_out_expo(u: float) -> float:
    if u < 0.5:
        return 2.0 ** (20.0 * u - 10.0) / 2.0
    return (2.0 - 2.0 ** (-20.0 * u + 10.0)) / 2.0


def _in_circ(u: float) -> float:
    return 1.0 - math.sqrt(max(0.0, 1.0 - u * u))


def _out_circ(u: float) -> float:
    return math.sqrt(max(0.0, 1.0 - (u - 1.0) ** 2))


def _in_out_circ(u: float) -> float:
    if u < 0.5:
        return (1.0 - math.sqrt(max(0.0, 1.0 - (2.0 * u) ** 2))) / 2.0
    return (math.sqrt(max(0.0, 1.0 - (-2.0 * u + 2.0) ** 2)) + 1.0) / 2.0


_BACK_C1 = 1.70158
_BACK_C2 = _BACK_C1 * 1.525
_BACK_C3 = _BACK_C1 + 1.0


def _in_back(u: float) -> float:
    return _BACK_C3 * u**3 - _BACK_C1 * u**2


def _out_back(u: float) -> float:
    return 1.0 + _BACK_C3 * (u - 1.0) ** 3 + _BACK_C1 * (u - 1.0) ** 2


def _in_out_back(u: float) -> float:
    if u < 0.5:
        return ((2.0 * u) ** 2 * ((_BACK_C2 + 1.0) * 2.0 * u - _BACK_C2)) / 2.0
    v = 2.0 * u - 2.0
    return (v**2 * ((_BACK_C2 + 1.0) * v + _BACK_C2) + 2.0) / 2.0


_ELASTIC_C4 = (2.0 * math.pi) / 3.0
_ELASTIC_C5 = (2.0 * math.pi) / 4.5


def _in_elastic(u: float) -> float:
    return -(2.0 ** (10.0 * u - 10.0)) * math.sin((10.0 * u - 10.75) * _ELASTIC_C4)


def _out_elastic(u: float) -> float:
    return 2.0 ** (-10.0 * u) * math.sin((10.0 * u - 0.75) * _ELASTIC_C4) + 1.0


def _in_out_elastic(u: float) -> float:
    s = math.sin((20.0 * u - 11.125) * _ELASTIC_C5)
    if u < 0.5:
        return -(2.0 ** (20.0 * u - 10.0) * s) / 2.0
    return (2.0 ** (-20.0 * u + 10.0) * s) / 2.0 + 1.0


def _out_bounce(u: float) -> float:
    n1 = 7.5625
    d1 = 2.75
    if u < 1.0 / d1:
        return n1 * u * u
    if u < 2.0 / d1:
        u -= 1.5 / d1
        return n1 * u * u + 0.75
    if u < 2.5 / d1:
        u -= 2.25 / d1
        return n1 * u * u + 0.9375
    u -= 2.625 / d1
    return n1 * u * u + 0.984375


def _in_bounce(u: float) -> float:
    return 1.0 - _out_bounce(1.0 - u)


def _in_out_bounce(u: float) -> float:
    if u < 0.5:
        return (1.0 - _out_bounce(1.0 - 2.0 * u)) / 2.0
    return (1.0 + _out_bounce(2.0 * u - 1.0)) / 2.0


# --- spring ----------------------------------------------------------------------------------

_SPRING_ZETA = 0.5  # damping ratio: under-damped, ~16% first overshoot
_SPRING_OMEGA_D = 4.0 * math.pi  # damped angular frequency: two full oscillations over u in [0,1]
_SPRING_OMEGA_N = _SPRING_OMEGA_D / math.sqrt(1.0 - _SPRING_ZETA**2)
_SPRING_DECAY = _SPRING_ZETA * _SPRING_OMEGA_N


def _spring_raw(u: float) -> float:
    """Step response of an under-damped spring released from rest at 0, settling on 1."""
    envelope = math.exp(-_SPRING_DECAY * u)
    phase = _SPRING_OMEGA_D * u
    return 1.0 - envelope * (math.cos(phase) + (_SPRING_DECAY / _SPRING_OMEGA_D) * math.sin(phase))


_SPRING_RESIDUAL = _spring_raw(1.0) - 1.0


def _spring(u: float) -> float:
    # Blend out the (tiny) error left at u == 1 linearly so the curve lands on 1 exactly.
    return _spring_raw(u) - _SPRING_RESIDUAL * u


# --- cubic-bezier ----------------------------------------------------------------------------


def _cubic_bezier(x1: float, y1: float, x2: float, y2: float) -> Easing:
    """CSS ``cubic-bezier(x1, y1, x2, y2)``: control points (0,0), (x1,y1), (x2,y2), (1,1).

    Callers must check that x1 and x2 lie in [0, 1] (which makes x(t) monotone).
    """
    cx = 3.0 * x1
    bx = 3.0 * (x2 - x1) - cx
    ax = 1.0 - cx - bx
    cy = 3.0 * y1
    by = 3.0 * (y2 - y1) - cy
    ay = 1.0 - cy - by

    def sample_x(t: float) -> float:
        return ((ax * t + bx) * t + cx) * t

    def sample_y(t: float) -> float:
        return ((ay * t + by) * t + cy) * t

    def slope_x(t: float) -> float:
        return (3.0 * ax * t + 2.0 * bx) * t + cx

    def solve_t(x: float) -> float:
        # Newton's method from t = x converges fast on well-behaved curves.
        t = x
        for _ in range(8):
            err = sample_x(t) - x
            if abs(err) < 1e-12:
                return t
            d = slope_x(t)
            if abs(d) < 1e-9:
                break
            t -= err / d
            if not 0.0 <= t <= 1.0:
                break
        # Bisection fallback: x(t) is non-decreasing on [0, 1] because x1, x2 are in [0, 1].
        lo, hi = 0.0, 1.0
        t = x
        for _ in range(100):
            xt = sample_x(t)
            if abs(xt - x) < 1e-12:
                return t
            if xt < x:
                lo = t
            else:
                hi = t
            t = (lo + hi) / 2.0
            if hi - lo < 1e-15:
                break
        return t

    def bezier(u: float) -> float:
        return sample_y(solve_t(u))

    bezier.__name__ = f"cubic_bezier({x1:g}, {y1:g}, {x2:g}, {y2:g})"
    bezier.__qualname__ = bezier.__name__
    return _normalised(bezier)


# --- steps -----------------------------------------------------------------------------------

_STEP_POSITIONS = ("start", "end", "jump-start", "jump-end", "jump-none", "jump-both")


def _steps(n: int, position: str = "end") -> Easing:
    """CSS ``steps(n, position)`` as in CSS Easing Functions Level 1 (before-flag ignored).

    Like every easing here the function gives 0 at u == 0; what CSS shows at progress 0
    (the first step for ``start``, ``jump-start`` and ``jump-both``) is its ``at_keyframe``
    attribute, which tracks use on the keyframe itself (render.tracks).
    """
    if position == "start":
        position = "jump-start"
    elif position == "end":
        position = "jump-end"
    if position == "jump-none":
        jumps = n - 1
    elif position == "jump-both":
        jumps = n + 1
    else:
        jumps = n
    jump_at_start = position in ("jump-start", "jump-both")

    def step(u: float) -> float:
        current = math.floor(u * n)
        if jump_at_start:
            current += 1
        current = min(max(current, 0), jumps)
        return current / jumps

    step.__name__ = f"steps({n}, {position})"
    step.__qualname__ = step.__name__
    eased = _normalised(step)
    eased.at_keyframe = (1 / jumps) if jump_at_start else 0.0  # type: ignore[attr-defined]
    return eased


def at_keyframe(ease: Easing) -> float:
    """The eased progress shown on a keyframe itself (u == 0, CSS's progress 0 in the
    "after" phase): 0 for every easing except the steps that jump at the start."""
    return float(getattr(ease, "at_keyframe", 0.0))


# --- registry --------------------------------------------------------------------------------

_RAW: dict[str, Callable[[float], float]] = {
    "linear": _linear,
    "hold": _hold,
    "in-sine": _in_sine,
    "out-sine": _out_sine,
    "in-out-sine": _in_out_sine,
    "in-expo": _in_expo,
    "out-expo": _out_expo,
    "in-out-expo": _in_out_expo,
    "in-circ": _in_circ,
    "out-circ": _out_circ,
    "in-out-circ": _in_out_circ,
    "in-back": _in_back,
    "out-back": _out_back,
    "in-out-back": _in_out_back,
    "in-elastic": _in_elastic,
    "out-elastic": _out_elastic,
    "in-out-elastic": _in_out_elastic,
    "in-bounce": _in_bounce,
    "out-bounce": _out_bounce,
    "in-out-bounce": _in_out_bounce,
    "spring": _spring,
}
for _power, _name in enumerate(("quad", "cubic", "quart", "quint"), start=2):
    _RAW[f"in-{_name}"] = _power_in(_power)
    _RAW[f"out-{_name}"] = _power_out(_power)
    _RAW[f"in-out-{_name}"] = _power_in_out(_power)

EASINGS: dict[str, Easing] = {name: _normalised(raw) for name, raw in sorted(_RAW.items())}
"""Registry of named easings, keyed by the names accepted in sequence files."""

EASINGS.update(
    {
        "ease": _cubic_bezier(0.25, 0.1, 0.25, 1.0),
        "ease-in": _cubic_bezier(0.42, 0.0, 1.0, 1.0),
        "ease-out": _cubic_bezier(0.0, 0.0, 0.58, 1.0),
        "ease-in-out": _cubic_bezier(0.42, 0.0, 0.58, 1.0),
    }
)


def easing_names() -> list[str]:
    """Sorted plain names accepted by :func:`parse_easing` (not ``steps``/``cubic-bezier``)."""
    return sorted(EASINGS)


# --- parsing ---------------------------------------------------------------------------------

# Beyond these no frame could show the difference, and the arithmetic overflows: a count
# of 400 digits is no float, a y of 1e308 makes the curve's coefficients infinite.
MAX_STEPS = 100_000  # as many as a sequence has frames (render.units.MAX_FRAMES)
MAX_BEZIER_Y = 100.0  # CSS tools stay within -1..2; the overshoot is checked downstream

_CALL_RE = re.compile(r"^([a-z][a-z0-9-]*)\s*\((.*)\)$", re.DOTALL)
_INT_RE = re.compile(r"^\+?[0-9]+$")
_FUNCTIONS = ("steps", "cubic-bezier")


def _split_args(text: str) -> list[str]:
    args = [a.strip() for a in text.split(",")]
    return [] if args == [""] else args


def _parse_steps(args: list[str]) -> Easing:
    if not 1 <= len(args) <= 2:
        raise ValueError(f"steps() takes 1 or 2 arguments (n[, position]), got {len(args)}")
    raw_n = args[0]
    if _INT_RE.match(raw_n) and len(raw_n.lstrip("+0")) > len(str(MAX_STEPS)):
        raise ValueError(
            f"steps(n) needs n at most {MAX_STEPS}, got a number of {len(raw_n)} digits"
        )
    if not _INT_RE.match(raw_n) or int(raw_n) < 1:
        raise ValueError(f'steps(n) needs a whole number n >= 1, got "{raw_n[:20]}"')
    n = int(raw_n)
    if n > MAX_STEPS:
        raise ValueError(f"steps(n) needs n at most {MAX_STEPS}, got {n}")
    position = args[1] if len(args) == 2 else "end"
    if position not in _STEP_POSITIONS:
        raise ValueError(
            f"steps(n, position) needs position to be one of {', '.join(_STEP_POSITIONS)}, "
            f'got "{position}"{did_you_mean(position, _STEP_POSITIONS)}'
        )
    if position == "jump-none" and n < 2:
        raise ValueError(f'steps(n, jump-none) needs n >= 2, got "{raw_n}"')
    return _steps(n, position)


def _parse_bezier(args: list[str]) -> Easing:
    if len(args) != 4:
        raise ValueError(f"cubic-bezier() takes 4 numbers (x1, y1, x2, y2), got {len(args)}")
    values: list[float] = []
    for label, raw in zip(("x1", "y1", "x2", "y2"), args, strict=True):
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f'cubic-bezier() needs {label} to be a finite number, got "{raw}"')
        values.append(value)
    x1, y1, x2, y2 = values
    for label, value in (("x1", x1), ("x2", x2)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"cubic-bezier() needs x1 and x2 in [0, 1], got {label}={value:g}")
    for label, value in (("y1", y1), ("y2", y2)):
        if abs(value) > MAX_BEZIER_Y:
            raise ValueError(
                f"cubic-bezier() needs y1 and y2 within ±{MAX_BEZIER_Y:g}, got {label}={value:g}"
            )
    return _cubic_bezier(x1, y1, x2, y2)


def parse_easing(spec: str) -> Easing:
    """Turn an easing spec from a sequence file into a function.

    Accepts a name from :data:`EASINGS`, ``steps(n[, position])`` or
    ``cubic-bezier(x1, y1, x2, y2)``; case-insensitive, whitespace-tolerant.
    Raises ValueError with a one-line message when the spec is not understood.
    """
    text = str(spec).strip().lower()
    if not text:
        raise ValueError("empty easing name")
    call = _CALL_RE.match(text)
    if call is None:
        if "(" in text or ")" in text:
            raise ValueError(f'malformed easing "{spec}": expected name(arguments)')
        easing = EASINGS.get(text)
        if easing is None:
            choices = [*EASINGS, *_FUNCTIONS]
            raise ValueError(f'unknown easing "{text}"{did_you_mean(text, choices)}')
        return easing
    name, arg_text = call.group(1), call.group(2)
    args = _split_args(arg_text)
    if name == "steps":
        return _parse_steps(args)
    if name == "cubic-bezier":
        return _parse_bezier(args)
    raise ValueError(
        f'unknown easing function "{name}()"{did_you_mean(name, _FUNCTIONS)}; '
        "expected steps(...) or cubic-bezier(...)"
    )
