"""What a layer sees: the per-render `Scene` and the per-frame `Frame`.

A layer is a pair of plain functions. `build(scene)` makes the structure that
never changes during a render (web topology, crack tree, console text) from
the seed; `draw(cr, frame, params, built)` draws one frame from it. Because
build depends only on the scene and draw only on (frame, params, built), every frame
is a pure function of (sequence, seed, index).

A layer sees the story only through the parameters it declares (`render.params`):
`params` holds their values at this frame, tracks sampled and colours resolved. The
`Frame` carries time, the palette, randomness and the light; it has no track values.
How to write a layer: docs/layers.md.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from render.color import RGB
from render.layout import Layout, layout_for
from render.palette import Palette
from render.params import Param, TrackRef

if TYPE_CHECKING:
    import cairo
    from opensimplex import OpenSimplex

    from render.softlight import SoftLight


@lru_cache(maxsize=4096, typed=True)  # typed: 3 and 3.0 are different names ("3", "3.0")
def derive_seed(seed: int, *names: object) -> int:
    """A stable 63-bit seed from the sequence seed and some names (never Python's salted hash).
    Kept: layers ask for the same few (their noise, the camera's shake on every plane) many
    times a frame, at ~25 us each."""
    words = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    words += [zlib.crc32(str(n).encode()) for n in names]
    return (
        int(np.random.SeedSequence(words).generate_state(2, dtype=np.uint32).view(np.uint64)[0])
        >> 1
    )


@lru_cache(maxsize=256)
def _simplex(seed: int) -> OpenSimplex:
    """Noise generators are immutable once seeded; layers ask for them every frame.
    (opensimplex imports numba: only a render pays for it, not `render check`.)"""
    from opensimplex import OpenSimplex

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
    """One frame as a layer sees it. `light` is the soft-light buffer on a raster surface
    and None on a vector one (PDF, SVG), where `raster` is False too; `camera` holds the
    camera's values when the frame is drawn through one."""

    scene: Scene
    index: int
    t: float
    light: SoftLight | None = None
    raster: bool = True
    camera: Mapping[str, Any] | None = None  # this frame's camera (render.camera.to_plane)

    def soft(self, cr: cairo.Context) -> cairo.Context:
        """Where soft light goes (glows, washes, mist): the low-resolution light buffer,
        transformed like `cr`, or `cr` itself when there is no buffer. Draw with ADD."""
        return self.light.context(cr) if self.light is not None else cr

    def cover(
        self, cr: cairo.Context, alpha: float = 1.0, source: Any = None, everywhere: bool = False
    ) -> None:
        """Call before painting something opaque with OVER: takes the soft light that the
        paint hides (under `cr`'s current path, or `everywhere`) out of the buffer, so a
        glow drawn earlier does not shine through it. A no-op without a buffer."""
        if self.light is not None:
            self.light.cover(cr, alpha, source, everywhere)

    def flush_light(self) -> None:
        """Add the soft light drawn so far into the frame now (it is otherwise added at
        the end): for opaque shapes too large or complex to `cover`."""
        if self.light is not None:
            self.light.flush()

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


Params = Mapping[str, Any]
DrawFn = Callable[["cairo.Context", Frame, Params, Any], None]
BuildFn = Callable[[Scene], Any]


@dataclass(frozen=True)
class Layer:
    """A registered layer: `draw` (and optionally `build`), its declared parameters, a line
    of doc, whether a sequence without [[layers]] draws it (`default`) and where (`order`)."""

    name: str
    draw: DrawFn
    params: Mapping[str, Param] = field(default_factory=dict)
    build: BuildFn | None = None
    doc: str = ""
    default: bool = True
    order: float = 50.0  # where it is drawn among the default layers (back to front)
    plane: float | None = None  # its depth for the camera: 0 back wall .. 1 nearest; None: screen

    @property
    def tracks(self) -> tuple[str, ...]:
        """The story tracks this layer follows unless a sequence says otherwise."""
        return tuple(
            p.default.name for p in self.params.values() if isinstance(p.default, TrackRef)
        )


__all__ = ["Frame", "Layer", "Params", "Scene", "TrackRef", "derive_seed"]
