"""Frame `i` of a sequence as pixels: layers drawn with cairo, then post effects.

`Renderer` holds only what is derived from the sequence and seed (each
layer's structure, built on first use), so `render(i)` is a pure function of
(sequence, seed, i): frames can be drawn in any order, in any process, and
agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import cairo
import cv2
import numpy as np

from render.alpha import finish as finish_rgba, premultiplied
from render.camera import CAMERA, blur_drawn, blurred_surface, defocus, lay_blurred, place
from render.color import RGB
from render.display import finish, fuse as display_fuse
from render.heap import keep_freed_pages
from render.params import Param, TrackRef
from render.scene import Frame, Scene, derive_seed
from render.sequence import Sequence
from render.softlight import SoftLight, factor_for
from render.surface import pixels


def argb_to_rgb(surface: cairo.ImageSurface) -> np.ndarray:
    """Cairo's ARGB32 is premultiplied BGRA in memory on little-endian machines; the frame
    is opaque (the background is painted first), so dropping alpha and reordering is exact."""
    surface.flush()
    # A new C-contiguous array. (buf[..., [2, 1, 0]] gives a planar, non-contiguous array
    # that the first effect then copies again: 2.4 + 21 ms at 1080p against 0.7 ms here.)
    return cv2.cvtColor(pixels(surface), cv2.COLOR_BGRA2RGB)


class Renderer:
    def __init__(self, sequence: Sequence) -> None:
        keep_freed_pages()  # a frame's large buffers reuse the last frame's pages
        self.sequence = sequence
        s = sequence
        self.scene = Scene(s.width, s.height, s.seed, s.palette, s.duration, s.fps, s.loop)
        self._built: dict[str, Any] = {}

    def values(self, index: int) -> dict[str, Any]:
        """Every track's value at frame `index`, story tracks derived where not defined."""
        return self.sequence.sample(self.sequence.time_of(index))

    def frame(
        self,
        index: int,
        light: SoftLight | None = None,
        raster: bool = True,
        camera: Mapping[str, Any] | None = None,
    ) -> Frame:
        return Frame(self.scene, index, self.sequence.time_of(index), light, raster, camera)

    def built(self, name: str) -> Any:
        if name not in self._built:
            layer = self.sequence.layer(name)
            self._built[name] = layer.build(self.scene) if layer.build else None
        return self._built[name]

    def params(
        self, given: Mapping[str, Any], declared: Mapping[str, Param], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The declared parameters' values at this frame: constants as given, tracks
        sampled, palette roles resolved."""
        out: dict[str, Any] = {}
        for name, decl in declared.items():
            value = given.get(name, decl.default)
            if isinstance(value, TrackRef):
                value = values.get(value.name, 0.0)
            elif decl.kind == "colour" and isinstance(value, str):
                value = self.scene.palette[value]
            out[name] = value
        return out

    def draw(self, cr: cairo.Context, index: int) -> dict[str, Any]:
        """Draw every layer of frame `index` onto a cairo context (raster or vector), soft
        light added in; returns the frame's track values."""
        values, light = self._draw(cr, index)
        light.flush()
        return values

    @property
    def transparent(self) -> bool:
        """Whether frames leave the background unpainted and come with alpha (render.alpha)."""
        return self.sequence.transparent

    def _draw(
        self, cr: cairo.Context, index: int, background: bool = True
    ) -> tuple[dict[str, Any], SoftLight]:
        values = self.values(index)
        w, h = self.scene.width, self.scene.height
        raster = isinstance(cr.get_target(), cairo.ImageSurface)
        # On a vector surface the buffer is never added (a print takes its glows from
        # the raster render beneath the strokes), but layers draw into it all the same.
        light = SoftLight(cr.get_target(), w, h, factor_for(w, h))
        camera = self.camera(values)
        frame = self.frame(index, light, raster, camera)
        specs = [s for s in self.sequence.layers if s.enabled]
        drawn = [self.sequence.layer(s.type) for s in specs]
        # The back plane, when it will be defocused before the next plane is drawn, is
        # drawn at the resolution of its blur (the room is the costliest layer to draw).
        start, small = 0, None
        if raster:
            start = _back(drawn)
            sigma = _blur_between(camera, drawn, start)
            small = blurred_surface(w, h, sigma) if sigma > 0 else None
        if small is not None:
            light.target = small  # a layer that flushes its light flushes it there
            back = cairo.Context(small)
            # Its edges are blurred by 3 pixels or more: cairo's fast antialiasing (4x4
            # samples, not 15x17) is enough for them (~0.7 ms of the room's 10-14).
            back.set_antialias(cairo.ANTIALIAS_FAST)
            if background:
                back.set_source_rgb(*self.scene.palette["background"])
                back.paint()
            for spec, layer in zip(specs[:start], drawn[:start], strict=True):
                self._layer(back, frame, camera, spec, layer, values)
            del back
            light.target = cr.get_target()
            lay_blurred(small, cr.get_target(), sigma)
        else:
            start = 0
        cr.save()
        if background and small is None:
            cr.set_source_rgb(*self.scene.palette["background"])
            cr.paint()
        for k in range(start, len(drawn)):
            self._layer(cr, frame, camera, specs[k], drawn[k], values)
            if raster:
                sigma = _blur_between(camera, drawn, k + 1)
                if sigma > 0:
                    blur_drawn(cr.get_target(), sigma)
        cr.restore()
        return values, light

    def _layer(self, cr, frame: Frame, camera, spec, layer, values) -> None:
        cr.save()
        place(cr, frame, camera, layer.plane)
        layer.draw(cr, frame, self.params(spec.params, layer.params, values), self.built(spec.type))
        cr.restore()

    def camera(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return self.params(self.sequence.camera, CAMERA, values)

    def render(self, index: int) -> np.ndarray:
        """Frame `index` as an (H, W, 3) uint8 RGB array: layers drawn, light added and
        bloomed in linear light, tone-mapped and dithered, display effects applied. For a
        transparent sequence, (H, W, 4) straight RGBA with no background (render.alpha)."""
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, self.scene.width, self.scene.height)
        cr = cairo.Context(surface)
        transparent = self.transparent
        values, light = self._draw(cr, index, background=not transparent)
        del cr
        if transparent:
            base, alpha = premultiplied(surface)
        else:
            base = argb_to_rgb(surface)
        linear = light.collect()
        frame = self.frame(index)
        display = []
        for spec in self.sequence.effects:
            if not spec.enabled:
                continue
            effect = self.sequence.effect(spec.type)
            params = self.params(spec.params, effect.params, values)
            if effect.stage == "light":
                linear = effect.fn(base, linear, **params)
            else:
                display.append((spec, effect, params))
        exposure = float(self.camera(values)["exposure"])
        seed = derive_seed(self.scene.seed, "dither", index)
        if transparent:
            return finish_rgba(
                base, alpha, linear, exposure, seed, display, frame.rng, factor=light.factor
            )
        # The leading display effects that only multiply (and a chromatic aberration
        # first) are done in the tone map's pass, to the same bytes (render.display).
        fused = display_fuse(self.scene.height, self.scene.width, display)
        rgb = finish(base, linear, exposure, seed, fused, factor=light.factor)
        for spec, effect, params in display[fused.count :]:
            rgb = effect.apply(rgb, params, frame.rng(f"effect:{spec.type}"))
        return np.ascontiguousarray(rgb)


def _back(drawn) -> int:
    """How many layers at the bottom of the stack lie on its first plane."""
    if not drawn or drawn[0].plane is None:
        return 0
    k = 1
    while k < len(drawn) and drawn[k].plane == drawn[0].plane:
        k += 1
    return k


def _blur_between(camera, drawn, k: int) -> float:
    """The defocus to give what is drawn before layer `k` when that layer is on a nearer
    plane than the one before it: the blur the farther plane has that the nearer lacks
    (blurs add in quadrature). 0 when there is none."""
    if k <= 0 or k >= len(drawn):
        return 0.0
    plane, nearer = drawn[k - 1].plane, drawn[k].plane
    if plane is None or nearer is None or nearer <= plane:
        return 0.0
    here, ahead = defocus(camera, plane), defocus(camera, nearer)
    return math.sqrt(here * here - ahead * ahead) if here > ahead else 0.0


def warm_up() -> None:
    """Compile the numba kernels a frame runs (or load them from numba's disk cache): for
    a worker, before its first frame."""
    from render import display, draw, glyphs, light

    light.warm_up()
    display.warm_up()
    draw.warm_up()
    glyphs.warm_up()


def render_frame(sequence: Sequence, index: int) -> np.ndarray:
    return Renderer(sequence).render(index)


def colour_or(value: Any, fallback: RGB) -> RGB:
    return value if isinstance(value, tuple) and len(value) == 3 else fallback


__all__ = ["Renderer", "render_frame", "argb_to_rgb", "math", "warm_up"]
