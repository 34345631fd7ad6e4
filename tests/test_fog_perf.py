"""The fog's faster paths draw what the slower ones drew: the steam's glows added into the
soft light at once, as radial_glow would have drawn each."""

from __future__ import annotations

from pathlib import Path

import cairo
import numpy as np
import pytest

from render.camera import place
from render.draw import radial_glow
from render.frame import Renderer
from render.layers import chamber, vapor
from render.sequence import parse_sequence
from render.softlight import SoftLight
from render.surface import pixels

SEQ = """
[sequence]
duration = 4
fps = 10
size = "480x270"
seed = 3
[camera]
zoom = 1.6
pan_x = 0.12
pan_y = -0.05
roll = 7
[[layers]]
type = "chamber"
"""


def _soft_glows(matrix: cairo.Matrix, glows, batched: bool) -> np.ndarray:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 480, 270)
    cr = cairo.Context(surface)
    cr.set_matrix(matrix)
    light = SoftLight(surface, 480, 270)
    if batched:
        chamber._glows(cr, light, glows)
    else:
        for x, y, radius, alpha, *colour in glows:
            radial_glow(cr, x, y, radius, tuple(colour), alpha, light)
    return pixels(light.surface).astype(int)


@pytest.mark.parametrize(
    "matrix",
    [
        cairo.Matrix(),
        cairo.Matrix(1.58, 0.19, -0.19, 1.58, -60.0, 25.0),  # zoomed and rolled
        cairo.Matrix(1.3, 0.0, 0.25, 0.8, 10.0, -5.0),  # sheared and squashed: ellipses
    ],
)
def test_glows_added_at_once_are_radial_glows_drawn_one_by_one(matrix):
    rng = np.random.default_rng(5)
    glows = [
        (
            float(rng.uniform(-40, 520)), float(rng.uniform(-40, 310)),
            float(rng.uniform(32, 140)), float(rng.choice([0.0035, rng.uniform(0.004, 0.4)])),
            *rng.uniform(0, 1, 3).tolist(),
        )  # fmt: skip
        for _ in range(60)
    ]
    slow = _soft_glows(matrix, glows, batched=False)
    fast = _soft_glows(matrix, glows, batched=True)
    diff = np.abs(fast - slow)
    assert slow.sum() > 10000  # the glows are there
    # A level apart at most, on few bytes: the disc's antialiased edge on a small bright
    # glow (cairo's edge pixels partly covered, whole here), a float rounding elsewhere.
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.005


def test_the_steam_draws_what_it_drew_glow_by_glow(monkeypatch):
    r = Renderer(parse_sequence(SEQ, Path("steam.toml")))
    values = r.values(17)
    cam = r.camera(values)

    def render(batched: bool) -> tuple[np.ndarray, np.ndarray]:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 480, 270)
        cr = cairo.Context(surface)
        light = SoftLight(surface, 480, 270)
        frame = r.frame(17, light, True, cam)
        place(cr, frame, cam, 0.85)
        if not batched:

            def one_by_one(cr, light, glows):
                for x, y, radius, alpha, *colour in glows:
                    radial_glow(cr, x, y, radius, tuple(colour), alpha, light)

            monkeypatch.setattr(chamber, "_glows", one_by_one)
        chamber.steam(cr, frame, 60.0, 80.0, 0.9)
        monkeypatch.undo()
        return pixels(surface).astype(int), pixels(light.surface).astype(int)

    (sharp, soft), (sharp_1, soft_1) = render(True), render(False)
    assert soft_1.sum() > 10000
    assert np.array_equal(sharp, sharp_1)
    diff = np.abs(soft - soft_1)
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.002


def _outline(cr: cairo.Context) -> None:
    vapor._body_path(cr, 240.0, 250.0, 200.0, 1.1)
    cr.new_sub_path()
    cr.arc(240.0, 66.0, 17.0, 0, 2 * np.pi)


@pytest.mark.parametrize("clipped", [False, True])
@pytest.mark.parametrize(
    "matrix",
    [
        cairo.Matrix(),
        cairo.Matrix(1.05, 0.046, -0.03, 1.053, 34.07, -12.3),  # a camera's roll, a shear
        cairo.Matrix(2.1, 0.09, -0.09, 2.1, -300.0, -200.0),  # zoomed, off the frame's edge
    ],
)
@pytest.mark.parametrize("facing", [1.0, -1.0])
def test_a_phantoms_rim_is_the_gradient_stroke_it_was(matrix, clipped, facing):
    def draw(fast: bool) -> np.ndarray:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 480, 270)
        cr = cairo.Context(surface)
        cr.set_source_rgba(0.2, 0.3, 0.1, 0.5)
        cr.paint()  # something to add to: the sum saturates in places
        if clipped:
            cr.rectangle(100, 40, 200, 150)
            cr.clip()
        cr.set_matrix(matrix)
        cr.set_operator(cairo.OPERATOR_ADD)
        _outline(cr)
        cr.set_line_width(1.6)
        rim = vapor._rim(240.0, 200.0, facing, (0.55, 0.9, 0.95), 0.8)
        if fast:
            vapor._stroke_rim(cr, rim)
        else:
            cr.set_source(rim)
            cr.stroke()
        assert not cr.has_current_point()  # the path is used up, as a stroke uses it
        return pixels(surface).astype(int)

    slow, fast = draw(False), draw(True)
    diff = np.abs(fast - slow)
    assert (slow != pixels_of_background()).any()  # the rim is there
    assert diff.max() <= 1
    assert (diff > 0).mean() < 0.001


def pixels_of_background() -> np.ndarray:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 480, 270)
    cr = cairo.Context(surface)
    cr.set_source_rgba(0.2, 0.3, 0.1, 0.5)
    cr.paint()
    return pixels(surface).astype(int)


def _vessel_reference(cr, room, x, zs, y, radius, lo, hi, span=slice(None)) -> None:
    """The arteries' bands as they were built, point by point."""
    zs, centre, radius = zs[span], np.full(len(zs), y)[span], radius[span]
    xs = (room.vx + x / zs).tolist()
    top = (room.vy + (centre + lo * radius) / zs).tolist()
    bottom = (room.vy + (centre + hi * radius) / zs).tolist()
    cr.move_to(xs[0], top[0])
    for px, py in zip(xs[1:], top[1:], strict=True):
        cr.line_to(px, py)
    for px, py in zip(reversed(xs), reversed(bottom), strict=True):
        cr.line_to(px, py)
    cr.close_path()


@pytest.mark.parametrize("side", [-1, 1])
def test_the_arteries_bands_are_the_outlines_they_were(side):
    scene = Renderer(parse_sequence(SEQ, Path("arteries.toml"))).scene
    room = chamber.room_of(scene)
    zs = chamber._depths(chamber.NEAR, room.back)
    n = len(zs)
    rng = np.random.default_rng(side + 7)
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 8, 8)

    def path(build, *args) -> list:
        cr = cairo.Context(surface)
        cr.set_matrix(cairo.Matrix(0.26, 0.02, -0.02, 0.26, 3.0, -2.0))
        build(cr, *args)
        return list(cr.copy_path())

    for _ in range(4):
        x, y = side * room.half, float(rng.uniform(-0.5, -0.1)) * scene.height
        radius = float(rng.uniform(10, 30)) * (1.0 + rng.uniform(0, 1, n))
        xs, bands = chamber._bands(room, x, zs, y, radius, chamber._BANDS)
        for (lo, hi), ys in zip(chamber._BANDS, bands, strict=True):
            want = path(_vessel_reference, room, x, zs, y, radius, lo, hi)
            assert path(chamber._lines, xs, ys) == want
        ys = bands[chamber._BANDS.index(chamber._BLOOD)]
        for i in (0, 2, 3, 14, 25, 28):  # a pulse's stretch, cut at the pipe's ends
            want = path(_vessel_reference, room, x, zs, y, radius, *chamber._BLOOD,
                        slice(max(0, i - 3), i + 4))  # fmt: skip
            i0, i1 = max(0, i - 3), min(n, i + 4)
            there, back = slice(i0, i1), slice(2 * n - i1, 2 * n - i0)
            assert path(chamber._lines, xs[there] + xs[back], ys[there] + ys[back]) == want
