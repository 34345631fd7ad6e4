"""The camera's planes: a point handed from one depth plane to another lands where it was;
a plane drawn at its blur's resolution looks as if it had been drawn sharp and blurred."""

from __future__ import annotations

from pathlib import Path

import cairo
import cv2
import numpy as np
import pytest

from render.camera import blur_drawn, blurred_surface, lay_blurred, place, to_plane
from render.draw import paint_resampled
from render.frame import Renderer
from render.sequence import parse_sequence
from render.softlight import SoftLight
from render.surface import pixels

SEQ = """
[sequence]
duration = 4
fps = 10
size = "320x180"
seed = 3
[camera]
zoom = 1.6
pan_x = 0.12
pan_y = -0.05
roll = 7
shake = 0.5
[[layers]]
type = "chamber"
"""


def _frame(camera: bool = True):
    r = Renderer(parse_sequence(SEQ, Path("cam.toml")))
    values = r.values(7)
    cam = r.camera(values) if camera else None
    return r.frame(7, camera=cam), cam


def _device(frame, cam, plane: float, x: float, y: float) -> tuple[float, float]:
    cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 4, 4))
    place(cr, frame, cam, plane)
    return cr.user_to_device(x, y)


@pytest.mark.parametrize(("src", "dst"), [(0.0, 0.85), (0.85, 0.0), (0.3, 0.95), (0.5, 0.5)])
def test_a_point_handed_to_another_plane_lands_on_the_same_pixel(src, dst):
    frame, cam = _frame()
    x, y = 40.0, 130.0
    moved = to_plane(frame, x, y, src, dst)
    assert _device(frame, cam, dst, *moved) == pytest.approx(_device(frame, cam, src, x, y))
    if src != dst:  # the planes move differently, so the point's coordinates change
        assert moved != pytest.approx((x, y), abs=1.0)


def test_without_a_camera_a_point_stays_put():
    frame, _ = _frame(camera=False)
    assert to_plane(frame, 40.0, 130.0, 0.0, 0.85) == (40.0, 130.0)


def _machinery(cr: cairo.Context, w: int, h: int) -> None:
    """Something with hard edges and fine lines to blur: boxes, hairlines, a disc."""
    cr.set_source_rgb(0.02, 0.03, 0.08)
    cr.paint()
    rng = np.random.default_rng(4)
    for _ in range(30):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        cr.rectangle(x, y, rng.uniform(5, 0.3 * w), rng.uniform(5, 0.3 * h))
        cr.set_source_rgb(*rng.uniform(0, 1, 3))
        cr.fill()
    for _ in range(40):
        cr.move_to(rng.uniform(0, w), rng.uniform(0, h))
        cr.line_to(rng.uniform(0, w), rng.uniform(0, h))
        cr.set_line_width(rng.uniform(0.7, 3.0))
        cr.set_source_rgb(*rng.uniform(0.3, 1, 3))
        cr.stroke()
    cr.arc(0.6 * w, 0.5 * h, 0.2 * h, 0, 2 * np.pi)
    cr.set_source_rgb(0.1, 0.9, 1.0)
    cr.fill()


@pytest.mark.parametrize("px", [3.5, 5.0, 8.0, 14.0])  # half resolution below 6 px, then a quarter
def test_a_plane_drawn_at_its_blur_resolution_looks_drawn_sharp_then_blurred(px):
    w, h = 480, 270
    sigma = px / h
    sharp = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    _machinery(cairo.Context(sharp), w, h)
    blur_drawn(sharp, sigma)
    small = blurred_surface(w, h, sigma)
    assert small is not None and small.get_width() < w
    _machinery(cairo.Context(small), w, h)  # in the frame's coordinates
    out = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    lay_blurred(small, out, sigma)
    diff = np.abs(pixels(out).astype(int) - pixels(sharp).astype(int))[..., :3]
    assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 12, (diff.mean(), diff.max())


def test_no_surface_for_a_defocus_too_slight_to_blur():
    assert blurred_surface(1920, 1080, 2.0 / 1080) is None


def test_a_picture_painted_on_a_plane_drawn_small_lands_where_it_would_on_the_frame():
    img = np.zeros((40, 60, 4), np.uint8)
    img[5:35, 10:50] = (40, 200, 255, 255)  # premultiplied BGRA, opaque
    to_user = cairo.Matrix(xx=2.0, yy=2.0, x0=100, y0=50)  # 120x80 at (100, 50)
    full = cairo.ImageSurface(cairo.FORMAT_ARGB32, 400, 240)
    paint_resampled(cairo.Context(full), img, to_user)
    small = cairo.ImageSurface(cairo.FORMAT_ARGB32, 200, 120)
    small.set_device_scale(0.5, 0.5)
    paint_resampled(cairo.Context(small), img, to_user)
    expected = cv2.resize(pixels(full), (200, 120), interpolation=cv2.INTER_AREA)
    diff = np.abs(pixels(small).astype(int) - expected.astype(int))
    assert pixels(small)[..., 3].astype(bool).sum() > 1000
    assert diff.mean() < 1.0 and diff.max() < 140, (diff.mean(), diff.max())


def test_light_flushed_while_a_plane_is_drawn_small_lands_on_that_plane():
    w, h = 320, 180
    small = cairo.ImageSurface(cairo.FORMAT_ARGB32, w // 2, h // 2)
    small.set_device_scale(0.5, 0.5)
    light = SoftLight(small, w, h)
    soft = light.context(cairo.Context(small))
    soft.arc(240, 60, 30, 0, 2 * np.pi)  # frame coordinates
    soft.set_source_rgb(1.0, 0.5, 0.0)
    soft.fill()
    light.flush()
    lit = pixels(small)[..., 2]
    ys, xs = np.nonzero(lit > 128)
    assert abs(xs.mean() - 120) < 2 and abs(ys.mean() - 30) < 2  # (240, 60) at half size


def _chamber(focus: float) -> str:
    return f"""
[sequence]
duration = 2
fps = 10
size = "1280x720"
seed = 3
[camera]
focus = {focus}
[[layers]]
type = "chamber"
[[layers]]
type = "core"
"""


def test_the_back_wall_is_defocused_when_the_focus_is_on_the_core():
    def detail(focus: float) -> float:
        rgb = Renderer(parse_sequence(_chamber(focus))).render(5)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
        return float(np.abs(cv2.Laplacian(grey[:, :240], cv2.CV_32F)).mean())  # the left wall

    sharp, soft = detail(0.0), detail(1.0)  # the back wall 5 px out of focus at 720p
    assert soft < 0.6 * sharp, (sharp, soft)


def test_a_coarse_picture_turned_by_the_camera_matches_cairos_own_resampling():
    # The mist's coarse grid under a roll goes through a small turned image first (one
    # warp through a rotation costs OpenCV 3-4x a plain scale); the result is still the
    # picture cairo would draw, within a few levels away from its edge.
    rng = np.random.default_rng(5)
    img = np.zeros((24, 32, 4), np.uint8)
    img[..., :3], img[..., 3] = rng.integers(0, 160, (24, 32, 3), dtype=np.uint8), 200
    img[..., :3] = (img[..., :3].astype(int) * 200 // 255).astype(np.uint8)  # premultiplied
    to_user = cairo.Matrix(xx=20.0, yy=20.0, x0=-60, y0=-40)
    roll = cairo.Matrix.init_rotate(np.radians(8))
    roll.translate(30, -20)

    def painted(ours: bool) -> np.ndarray:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 560, 400)
        cr = cairo.Context(surface)
        cr.set_matrix(roll)
        if ours:
            paint_resampled(cr, img, to_user)
        else:
            picture = cairo.ImageSurface.create_for_data(img, cairo.FORMAT_ARGB32, 32, 24, 128)
            cr.transform(to_user)
            cr.set_source_surface(picture)
            cr.get_source().set_filter(cairo.FILTER_BILINEAR)
            cr.rectangle(0, 0, 32, 24)
            cr.fill()
        return pixels(surface).astype(int)

    ours, theirs = painted(True), painted(False)
    inside = cv2.erode((theirs[..., 3] == 200).astype(np.uint8), np.ones((41, 41), np.uint8)) > 0
    assert inside.sum() > 50_000
    diff = np.abs(ours - theirs)[inside]
    # Random neighbours 0-160 apart: the second step rounds the ramps' kinks by up to 16
    # levels; a grid off by a fraction of a pixel would move the mean to 2-3.
    assert diff.mean() < 1.0 and diff.max() <= 20, (diff.mean(), diff.max())


WEB = """
[sequence]
duration = 4
fps = 10
size = "480x270"
seed = 3
[camera]
zoom = 1.4
pan_x = 0.05
roll = 6
shake = 0.5
[[layers]]
type = "web"
breaks = {breaks}
"""


def test_a_failing_web_through_the_camera_is_the_calm_web_until_a_thread_goes():
    # Calm, the threads are one cached picture; failing, each intact thread flickers on
    # its own and they are added up before going through the camera. Before the first
    # thread snaps (and with no flicker yet to speak of) the two must be the same picture.
    calm = Renderer(parse_sequence(WEB.format(breaks=0.0), Path("web.toml")))
    first = min(th["rank"] for th in calm.built("web")["threads"])
    failing = Renderer(parse_sequence(WEB.format(breaks=first / 2), Path("web.toml")))
    a, b = calm.render(13).astype(int), failing.render(13).astype(int)
    assert a.max() > 100  # the threads are there, and lit
    diff = np.abs(a - b)
    assert diff.mean() < 0.05 and np.percentile(diff, 99.9) <= 2
