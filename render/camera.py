"""The camera: how the drawn scene is placed in the frame, and what is in focus.

Its inputs are declared like a layer's (`CAMERA`) and set in a sequence's ``[camera]``
table, or by tracks of the same names; by default they follow the story
(render/story.py). The scene is drawn on depth planes: each layer declares its `plane`
(0 the back wall, 1 the nearest mist; None for what sits on the screen itself, such as
the wake's cards). A plane moves with the camera by its parallax, so the room slides
less than the panels in front of it; `focus` names the depth that is sharp, and the
planes behind it are defocused as they are drawn (cheaply, at reduced resolution).
Every length is a fraction of the frame, so a camera move looks the same at any size,
and the transform is on the cairo context, so a print's vector pass follows it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import cairo
import cv2
import numpy as np

from render.params import table, track
from render.scene import Frame, derive_seed
from render.surface import enlarge, pixels, shrink

CAMERA = table(
    [
        track("zoom", "magnification: 1 is the frame, 2 shows half of it", lo=0.25, hi=8),
        track(
            "pan_x",
            "look right (positive) or left, as a fraction of the frame's width",
            lo=-1,
            hi=1,
        ),
        track(
            "pan_y", "look down (positive) or up, as a fraction of the frame's height", lo=-1, hi=1
        ),
        track("roll", "tilt of the horizon, degrees clockwise", lo=-180, hi=180),
        track("shake", "camera shake: a jolt in rhythm with the klaxon, plus tremor"),
        track("focus", "the depth in focus: 0 the back wall, 0.5 the core, 1 the nearest mist"),
        track("exposure", "light multiplier before the tone map", lo=0, hi=16),
    ]
)

# How much a plane moves with the camera: the back wall 0.6 of a pan or zoom, the nearest
# plane 1.4 (the core, at 0.5, exactly as much as the camera).
_PARALLAX_BACK, _PARALLAX_SPAN = 0.6, 0.8
# Defocus blur (sigma, a fraction of the frame height) per unit of depth from the focus.
_DEFOCUS = 0.008


def parallax(plane: float) -> float:
    return _PARALLAX_BACK + _PARALLAX_SPAN * plane


def plane_matrix(frame: Frame, params: Mapping[str, Any], plane: float | None) -> cairo.Matrix:
    """The transform from a layer's drawing on depth `plane` to the frame (None: on the
    screen, unmoved)."""
    m = cairo.Matrix()
    if plane is None:
        return m
    w, h = frame.scene.width, frame.scene.height
    k = parallax(plane)
    zoom = 1.0 + (float(params["zoom"]) - 1.0) * k
    dx = -float(params["pan_x"]) * k * w
    dy = -float(params["pan_y"]) * k * h
    shake = float(params["shake"])
    over = 1.0
    if shake > 0:
        amp = shake * 0.012 * min(w, h)
        kx, ky = _jolt(frame.scene.seed, frame.index)
        beat = 0.6 + 0.4 * frame.wave(2.0)
        jx, jy = kx * amp * beat, ky * amp * beat
        dx, dy = dx + float(jx), dy + float(jy)
        over = 1 + 2.2 * amp / min(w, h)  # overscan: shaking never shows the frame's edge
    m.translate(w / 2 + dx, h / 2 + dy)
    roll = float(params["roll"])
    if roll:
        m.rotate(math.radians(roll))
    m.scale(zoom * over, zoom * over)
    m.translate(-w / 2, -h / 2)
    return m


@lru_cache(maxsize=64)
def _jolt(seed: int, index: int) -> tuple[float, float]:
    """The camera shake's direction at frame `index` (two normal deviates): the same for
    every plane, so drawn once a frame, not once a plane (a generator costs ~70 us);
    the numbers frame.rng("shake") draws."""
    x, y = np.random.default_rng(derive_seed(seed, "frame", "shake", index)).normal(0, 1, 2)
    return float(x), float(y)


def place(cr: cairo.Context, frame: Frame, params: Mapping[str, Any], plane: float | None) -> None:
    """Transform `cr` for a layer on depth `plane` (None: on the screen, unmoved)."""
    if plane is not None:
        cr.transform(plane_matrix(frame, params, plane))


def to_plane(frame: Frame, x: float, y: float, src: float, dst: float) -> tuple[float, float]:
    """Where a point drawn at (x, y) on depth `src` lies in the drawing of depth `dst`, so
    that a layer can draw something that starts at another plane's point (the steam from
    the back wall's burst pipe, billowing in the mist's plane) and meet it on screen."""
    if frame.camera is None or src == dst:
        return x, y
    fx, fy = plane_matrix(frame, frame.camera, src).transform_point(x, y)
    back = plane_matrix(frame, frame.camera, dst)
    back.invert()
    return back.transform_point(fx, fy)


def defocus(params: Mapping[str, Any], plane: float | None) -> float:
    """Blur of a plane, as a fraction of the frame height (0 when in focus)."""
    if plane is None:
        return 0.0
    return _DEFOCUS * abs(plane - float(params["focus"]))


# A defocus is done at a quarter of the resolution: a plane to be defocused is drawn there
# (blurred_surface), or what is drawn is reduced to it (blur_drawn), then blurred and
# enlarged. From the smallest defocus applied (3 pixels) this hides the reduction: a
# dream frame at 70% moved by at most 23 levels in 0.6% of its pixels against doing it at
# half the resolution, in the out-of-focus room, and no difference shows side by side.
# The room costs 2.5 ms less to draw and its blur ~3 ms less than at half.
REDUCTION = 4


def _small_sigma(px: float, f: int = REDUCTION) -> float:
    """The blur to give at 1/f of the resolution for a defocus of `px` full-size pixels:
    less by what the reduction (an area average, sigma f/sqrt(12)) and the bilinear
    enlargement (a tent, sigma f/sqrt(6)) already spread, so the result is `px` wide."""
    spread = f * f / 12.0 + f * f / 6.0
    return math.sqrt(max(px * px - spread, 0.25 * f * f)) / f


def _blur_small(small: np.ndarray, px: float) -> np.ndarray:
    if small[..., 3].min() == 255:  # opaque (a frame is): blur three channels, not four
        bgr = cv2.cvtColor(small, cv2.COLOR_BGRA2BGR)
        bgr = cv2.GaussianBlur(bgr, (0, 0), sigmaX=px, borderType=cv2.BORDER_REPLICATE)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
    return cv2.GaussianBlur(small, (0, 0), sigmaX=px, borderType=cv2.BORDER_REPLICATE)


def _enlarge_into(small: np.ndarray, surface: cairo.ImageSurface) -> None:
    img = pixels(surface)
    if img.flags.c_contiguous:  # scaled up straight into the surface: no 8 MB temporary
        enlarge(small, img)
    else:
        img[...] = enlarge(small, np.empty_like(img))
    surface.mark_dirty()


def blur_drawn(surface: cairo.ImageSurface, sigma: float) -> None:
    """Defocus what is drawn on `surface` so far by `sigma` (a fraction of its height),
    at a quarter of the resolution (REDUCTION)."""
    h = surface.get_height()
    px = sigma * h
    if px < 3.0:  # below 3 pixels a defocus barely shows and a full-size blur costs most
        return
    surface.flush()
    w, f = surface.get_width(), REDUCTION
    small = shrink(pixels(surface), max(1, w // f), max(1, h // f))
    _enlarge_into(_blur_small(small, _small_sigma(px, f)), surface)


def blurred_surface(width: int, height: int, sigma: float) -> cairo.ImageSurface | None:
    """A surface to draw a plane that will be defocused by `sigma` (a fraction of the
    height) on, at the resolution its blur is done at (a quarter): drawn there, the pixels
    a blur would smooth away are never drawn. Its device scale takes the frame's
    coordinates, so what draws on it draws as on the frame. None when the defocus is too
    slight to blur."""
    px = sigma * height
    if px < 3.0:
        return None
    f = REDUCTION
    sw, sh = max(1, width // f), max(1, height // f)
    small = cairo.ImageSurface(cairo.FORMAT_ARGB32, sw, sh)
    small.set_device_scale(sw / width, sh / height)
    return small


def lay_blurred(small: cairo.ImageSurface, surface: cairo.ImageSurface, sigma: float) -> None:
    """Blur what was drawn on `small` (from `blurred_surface`) by `sigma` and lay it over
    the whole of `surface`, as `blur_drawn` would have left it."""
    small.flush()
    f = round(surface.get_height() / small.get_height())
    blurred = _blur_small(pixels(small), _small_sigma(sigma * surface.get_height(), f))
    _enlarge_into(blurred, surface)


__all__ = ["CAMERA", "blur_drawn", "blurred_surface", "defocus", "lay_blurred", "parallax", "place"]
