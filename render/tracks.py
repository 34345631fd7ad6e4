"""Keyframed tracks: a value (number or colour) sampled at any time.

Each keyframe owns the easing of the segment that leaves it, as in CSS
animations; on the keyframe itself the track shows what CSS shows at progress 0
(the keyframe's value, or the first step of `steps(n, start)` and `jump-both`).
Before the first keyframe a track holds its first value; after the last it holds
its last value, unless the sequence loops, in which case the last segment eases
back to the first keyframe one period later so the animation has no seam.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from render.color import RGB, mix
from render.easing import Easing, at_keyframe

Value = float | RGB


@dataclass(frozen=True)
class Keyframe:
    time: float  # seconds
    value: Value
    ease: Easing
    ease_name: str = "linear"
    line: int | None = None

    def __reduce__(self):
        # An easing is a closure: it travels (to worker processes) as its name.
        return (_keyframe, (self.time, self.value, self.ease_name, self.line))


def _keyframe(time: float, value: Value, ease_name: str, line: int | None) -> Keyframe:
    from render.easing import parse_easing

    return Keyframe(time, value, parse_easing(ease_name), ease_name, line)


@dataclass(frozen=True)
class Track:
    name: str
    keys: tuple[Keyframe, ...]
    is_colour: bool = False

    def sample(self, t: float, duration: float, loop: bool = False) -> Value:
        keys = self.keys
        if len(keys) == 1:
            return keys[0].value
        times = [k.time for k in keys]
        if loop:
            # Wrap: the gap between the last key and the first (one period
            # later) is a segment like any other.
            t = t % duration
            if t < times[0] or t >= times[-1]:
                last, first = keys[-1], keys[0]
                span = (first.time + duration) - last.time
                along = (t - last.time) % duration
                return self._blend(last, first, along / span if span > 0 else 1.0)
        if t < times[0]:
            return keys[0].value
        if t >= times[-1]:
            return keys[-1].value
        i = bisect.bisect_right(times, t) - 1
        a, b = keys[i], keys[i + 1]
        return self._blend(a, b, (t - a.time) / (b.time - a.time))

    def _blend(self, a: Keyframe, b: Keyframe, u: float) -> Value:
        e = a.ease(min(u, 1.0)) if u > 0 else at_keyframe(a.ease)
        if self.is_colour:
            return mix(a.value, b.value, e)  # type: ignore[arg-type]
        return a.value + (b.value - a.value) * e  # type: ignore[operator]
