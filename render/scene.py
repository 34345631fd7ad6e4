"""What a layer sees: the per-render `Scene` and the per-frame `Frame`.

A layer is a pair of plain functions. `build(scene)` makes the structure that
never changes during a render (web topology, crack tree, console text) from
the seed; `draw(cr, frame, params, built)` draws one frame from it. Because
build depends only on the scene and draw only on (frame, built), every frame is
a pure function of (sequence, seed, index).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
from opensimplex import OpenSimplex

from render.color import RGB
from render.layout import Layout, layout_for
from render.palette import Palette


def derive_seed(seed: int, *names: object) -> int:
    """A stable 63-bit seed from the sequence seed and some names (never Python's salted hash)."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    words += [zlib.crc32(str(n).encode()) for n in names]
    return (
        int(np.random.SeedSequence(words).generate_state(2, dtype=np.uint32).view(np.uint64)[0])
        >> 1
    )


@lru_cache(maxsize=256)
def _simplex(seed: int) -> OpenSimplex:
    """Noise generators are immutable once seeded; layers ask for them every frame."""
    return OpenSimplex(seed=seed)


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    seed: int
    palette: Palette
    duration: float
    fps: float
    loop: bool

    @cached_property
    def layout(self) -> Layout:
        return layout_for(self.width, self.height)

    @property
    def unit(self) -> float:
        """One thousandth of the frame's shorter side: every length is a multiple of it."""
        return min(self.width, self.height) / 1000.0

    def rng(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive_seed(self.seed, "structure", name))

    def noise(self, name: str) -> OpenSimplex:
        return _simplex(derive_seed(self.seed, "noise", name) & 0x7FFFFFFF)


@dataclass(frozen=True)
class Frame:
    scene: Scene
    index: int
    t: float
    values: Mapping[str, Any] = field(default_factory=dict)
    light: Any = None  # the SoftLight buffer while drawing (render.softlight)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def unit(self) -> float:
        return self.scene.unit

    @property
    def palette(self) -> Palette:
        return self.scene.palette

    def colour(self, role: str) -> RGB:
        return self.scene.palette[role]

    def cycles(self, rate: float) -> float:
        """Time in cycles of `rate` Hz; for loops the rate snaps to whole cycles per period."""
        if self.scene.loop:
            whole = max(1, round(rate * self.scene.duration))
            return whole * self.t / self.scene.duration
        return rate * self.t

    def period_cycles(self, rate: float) -> int | None:
        """Whole cycles of `rate` per loop, or None when the sequence does not loop. Anything
        that counts cycles (lines scrolled, messages shown) wraps its count modulo this."""
        if not self.scene.loop:
            return None
        return max(1, round(rate * self.scene.duration))

    def wave(self, rate: float, offset: float = 0.0) -> float:
        """A sine in 0..1 at `rate` Hz, periodic over a loop."""
        return 0.5 + 0.5 * math.sin(2 * math.pi * (self.cycles(rate) + offset))

    def time_point(self, speed: float) -> tuple[float, float]:
        """Two noise coordinates for time: a line for plain sequences, a circle for loops,
        so 4-D noise sampled at (x, y, *time_point) repeats exactly with the loop."""
        if self.scene.loop:
            radius = speed * self.scene.duration / (2 * math.pi)
            angle = 2 * math.pi * self.t / self.scene.duration
            return radius * math.cos(angle), radius * math.sin(angle)
        return speed * self.t, 0.0

    def rng(self, name: str) -> np.random.Generator:
        """Per-frame randomness (grain, flicker, glitch), repeatable for this frame index."""
        return np.random.default_rng(derive_seed(self.scene.seed, "frame", name, self.index))


@dataclass(frozen=True)
class TrackRef:
    """A parameter that follows a track (or a curve derived from escalation) instead of
    holding a constant."""

    name: str


Params = Mapping[str, Any]
DrawFn = Callable[[Any, Frame, Params, Any], None]
BuildFn = Callable[[Scene], Any]


@dataclass(frozen=True)
class Layer:
    name: str
    draw: DrawFn
    params: Mapping[str, Any] = field(default_factory=dict)
    build: BuildFn | None = None
    doc: str = ""
