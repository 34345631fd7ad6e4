"""Soft light: only the lit part of the buffer is upsampled, with the same result."""

from __future__ import annotations

import cairo
import cv2
import numpy as np
import pytest

from render.softlight import FACTOR, SoftLight
from render.surface import pixels


@pytest.mark.parametrize("where", [(30, 20), (0, 0), (317, 173), (160, 90)])
def test_flush_adds_the_same_light_as_upsampling_the_whole_buffer(where):
    w, h = 321, 177  # not multiples of FACTOR: the buffer overhangs the frame
    frame = cairo.ImageSurface(cairo.FORMAT_ARGB32, w, h)
    cr = cairo.Context(frame)
    cr.set_source_rgb(0.05, 0.04, 0.1)
    cr.paint()
    before = pixels(frame).copy()
    light = SoftLight(frame, w, h)
    soft = light.context(cr)
    g = cairo.RadialGradient(*where, 0, *where, 40)
    g.add_color_stop_rgba(0, 1.0, 0.5, 0.2, 0.9)
    g.add_color_stop_rgba(1, 1.0, 0.5, 0.2, 0.0)
    soft.set_source(g)
    soft.arc(*where, 40, 0, 2 * np.pi)
    soft.fill()
    small = pixels(light.surface).copy()
    light.flush()
    up = cv2.resize(small, (small.shape[1] * FACTOR, small.shape[0] * FACTOR))[:h, :w]
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
