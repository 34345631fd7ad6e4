"""Soft light: only the lit part of the buffer is upsampled, with the same result."""

from __future__ import annotations

import cairo
import cv2
import numpy as np
import pytest

from render import api
from render.softlight import FACTOR, SoftLight, factor_for
from render.surface import pixels


@pytest.mark.parametrize("factor", [FACTOR, 2 * FACTOR])
@pytest.mark.parametrize("where", [(30, 20), (0, 0), (317, 173), (160, 90)])
def test_flush_adds_the_same_light_as_upsampling_the_whole_buffer(where, factor):
    w, h = 321, 177  # not multiples of the factor: the buffer overhangs the frame
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    cr = cairo.Context(frame)
    cr.set_source_rgb(0.05, 0.04, 0.1)
    cr.paint()
    before = pixels(frame).copy()
    light = SoftLight(frame, w, h, factor)
    soft = light.context(cr)
    g = cairo.RadialGradient(*where, 0, *where, 40)
    g.add_color_stop_rgba(0, 1.0, 0.5, 0.2, 0.9)
    g.add_color_stop_rgba(1, 1.0, 0.5, 0.2, 0.0)
    soft.set_source(g)
    soft.arc(*where, 40, 0, 2 * np.pi)
    soft.fill()
    small = pixels(light.surface).copy()
    light.flush()
    assert small.shape[:2] == (-(-h // factor), -(-w // factor))
    up = cv2.resize(small, (small.shape[1] * factor, small.shape[0] * factor))[:h, :w]
    expected = cv2.add(before, up)
    assert small.any()
    np.testing.assert_array_equal(pixels(frame), expected)
    assert not pixels(light.surface).any()  # cleared for the next layer


def test_flush_of_an_empty_buffer_leaves_the_frame_alone():
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, 64, 48)
    cr = cairo.Context(frame)
    cr.set_source_rgb(0.2, 0.1, 0.3)
    cr.paint()
    before = pixels(frame).copy()
    light = SoftLight(frame, 64, 48)
    light.context(cr)  # asked for, nothing drawn
    light.flush()
    np.testing.assert_array_equal(pixels(frame), before)


def test_cover_takes_out_the_light_under_a_shape_and_leaves_the_rest():
    w, h = 320, 180
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    cr = cairo.Context(frame)
    cr.set_source_rgb(0.0, 0.0, 0.0)
    cr.paint()
    light = SoftLight(frame, w, h)
    soft = light.context(cr)
    soft.set_source_rgba(0.5, 0.4, 0.3, 0.5)
    soft.paint()  # a wash of light over everything
    cr.arc(160, 90, 50, 0, 2 * np.pi)
    light.cover(cr)
    assert cr.copy_path()  # the caller keeps its path, to fill it
    light.flush()
    px = pixels(frame)[..., :3].astype(int)
    assert px[90, 160].max() == 0  # under the shape: no light
    assert px[85:95, 135:185].max() <= 2  # well inside: none either
    assert px[10, 10].min() > 30 and px[170, 300].min() > 30  # away from it: all of it


@pytest.mark.parametrize("how", ["alpha", "everywhere", "source"])
def test_partial_cover_dims_the_light_like_a_translucent_paint(how):
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, 160, 96)
    cr = cairo.Context(frame)
    cr.set_source_rgb(0.0, 0.0, 0.0)
    cr.paint()
    light = SoftLight(frame, 160, 96)
    soft = light.context(cr)
    soft.set_source_rgba(0.8, 0.8, 0.8, 0.8)
    soft.paint()
    before = pixels(light.surface).astype(int).copy()
    cr.rectangle(0, 0, 160, 96)
    if how == "alpha":
        light.cover(cr, 0.5)
    elif how == "everywhere":
        light.cover(cr, 0.5, everywhere=True)
    else:
        light.cover(cr, source=cairo.SolidPattern(0, 0, 0, 0.5))
    after = pixels(light.surface).astype(int)
    assert np.abs(after - before // 2).max() <= 1  # half the light is left


@pytest.mark.parametrize(
    "size, factor",
    [((1920, 1080), 8), ((2560, 1440), 8), ((3440, 1440), 8), ((3840, 2160), 16),
     ((2160, 3840), 16), ((5120, 2880), 16), ((640, 360), 8)],
)  # fmt: skip
def test_the_buffer_keeps_its_size_relative_to_the_frame_from_4k(size, factor):
    assert factor_for(*size) == factor


def test_a_4k_frame_is_the_1080p_frame_in_more_pixels():
    # The soft light at 4K has the resolution it has at 1080p relative to the frame: the
    # same glows are soft, so the 4K frame scaled down is close to the 1080p one (with
    # an eighth of the size at 4K too, a mean of 1.17 levels apart, here 0.8).
    small = api.load("sequences/dream.toml", size=(1920, 1080))
    large = api.load("sequences/dream.toml", size=(3840, 2160))
    index = 30 * small.fps
    a = api.frame(small, index).astype(np.float32)
    b = cv2.resize(api.frame(large, index), (1920, 1080), interpolation=cv2.INTER_AREA)
    assert np.abs(a - b).mean() < 1.0


@pytest.mark.parametrize("factor", [FACTOR, 2 * FACTOR])
def test_collect_gives_the_light_in_linear_rgb_and_clears_the_buffer(factor):
    from render.tonemap import srgb_to_linear

    w, h = 321, 177
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    light = SoftLight(frame, w, h, factor)
    soft = light.context(cairo.Context(frame))
    for (x, y), rgba in (((60, 50), (1.0, 0.5, 0.2, 0.9)), ((200, 120), (0.1, 0.3, 1.0, 0.7))):
        g = cairo.RadialGradient(x, y, 0, x, y, 70)
        g.add_color_stop_rgba(0, *rgba)
        g.add_color_stop_rgba(1, *rgba[:3], 0.0)
        soft.set_source(g)
        soft.paint()
    small = pixels(light.surface).copy()
    assert len(np.unique(small[..., :3])) > 50
    got = light.collect()
    rgb = srgb_to_linear(small[..., 2::-1])  # the bytes read as sRGB, red first
    want = cv2.GaussianBlur(rgb, (0, 0), sigmaX=0.8, borderType=cv2.BORDER_REPLICATE)
    assert got.dtype == np.float32 and got.shape == small.shape[:2] + (3,)
    np.testing.assert_array_equal(got, want)
    assert not pixels(light.surface).any() and not light.dirty
