"""Small glows are stamped from cached masks: the same light as the gradient fill."""

from __future__ import annotations

import math

import cairo
import numpy as np
import pytest

from render.draw import additive, fill_smooth, low_res, radial_glow
from render.surface import pixels


def canvas(matrix=None) -> cairo.Context:
    cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 64, 64))
    cr.set_source_rgb(0.05, 0.05, 0.1)
    cr.paint()
    if matrix is not None:
        cr.set_matrix(matrix)
    additive(cr)
    return cr


def stamped(x, y, radius, matrix=None) -> np.ndarray:
    cr = canvas(matrix)
    radial_glow(cr, x, y, radius, (1.0, 0.4, 0.2), 0.8)
    return pixels(cr.get_target()).astype(int)


def filled(x, y, radius, matrix=None) -> np.ndarray:
    """The gradient fill itself, as radial_glow draws it when it cannot stamp."""
    cr = canvas(matrix)
    g = cairo.RadialGradient(x, y, 0, x, y, radius)
    g.add_color_stop_rgba(0.0, 1.0, 0.4, 0.2, 0.8)
    g.add_color_stop_rgba(0.35, 1.0, 0.4, 0.2, 0.8 * 0.35)
    g.add_color_stop_rgba(1.0, 1.0, 0.4, 0.2, 0.0)
    cr.set_source(g)
    cr.arc(x, y, radius, 0, 2 * math.pi)
    cr.fill()
    return pixels(cr.get_target()).astype(int)


@pytest.mark.parametrize(
    "x, y, radius, matrix",
    [
        (30.0, 31.0, 9.0, None),
        (30.5, 20.5, 12.25, None),
        (30.3, 31.8, 6.0, None),  # snapped to half a pixel: within a level or two
        (30.0, 31.0, 9.0, cairo.Matrix(xx=1.01, yy=1.01, x0=2.4, y0=-1.2)),  # shaking
    ],
)
def test_stamped_glow_matches_the_gradient_fill(x, y, radius, matrix):
    got = stamped(x, y, radius, matrix)
    want = filled(x, y, radius, matrix)
    assert want.max() > 150
    diff = np.abs(got - want)
    assert diff.mean() < 0.5
    assert diff.max() <= (4 if (x * 2).is_integer() and matrix is None else 40)
    assert abs(got.sum() - want.sum()) / want.sum() < 0.01


@pytest.mark.parametrize("roll", [0.0, 2.5, -31.0])
@pytest.mark.parametrize("stops", [2, 3])
@pytest.mark.parametrize("small", [1, 2], ids=["full", "drawn-small"])
def test_gradient_fill_matches_cairo_under_a_roll(roll, stops, small):
    # `small`: on a plane drawn at half size (camera.blurred_surface), whose device scale
    # takes the frame's coordinates to its pixels.
    from render.draw import fill_gradient

    def panel(fill) -> np.ndarray:
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 96 // small, 80 // small)
        surface.set_device_scale(1 / small, 1 / small)
        cr = cairo.Context(surface)
        cr.set_source_rgb(0.05, 0.05, 0.1)
        cr.paint()
        turn(cr, 48, 40, roll, 1.07)
        g = cairo.LinearGradient(20, 0, 70, 8)
        g.add_color_stop_rgb(0, 0.1, 0.05, 0.2)
        if stops == 3:
            g.add_color_stop_rgb(0.3, 0.9, 0.5, 0.1)
        g.add_color_stop_rgb(1, 0.3, 0.6, 0.95)
        cr.rectangle(15, 10, 60, 55)
        fill(cr, g)
        return pixels(cr.get_target()).astype(int)

    def by_cairo(cr, g):
        cr.set_source(g)
        cr.fill()

    assert np.abs(panel(fill_gradient) - panel(by_cairo)).max() <= 1


@pytest.mark.parametrize("roll", [0.0, 17.0])
def test_a_large_glow_drawn_sharp_matches_the_gradient_fill(roll):
    # Too large to stamp and no soft light to go to (inside a clipped group): shaded at a
    # quarter of the resolution and scaled up, it is still the gradient's glow.
    def draw(fill) -> np.ndarray:
        cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 320, 320))
        cr.translate(160, 160)
        cr.rotate(math.radians(roll))
        cr.translate(-160, -160)
        additive(cr)
        fill(cr)
        return pixels(cr.get_target()).astype(int)

    def by_cairo(cr):
        g = cairo.RadialGradient(158.3, 161.6, 0, 158.3, 161.6, 120)
        g.add_color_stop_rgba(0.0, 1.0, 0.4, 0.2, 0.8)
        g.add_color_stop_rgba(0.35, 1.0, 0.4, 0.2, 0.8 * 0.35)
        g.add_color_stop_rgba(1.0, 1.0, 0.4, 0.2, 0.0)
        cr.set_source(g)
        cr.arc(158.3, 161.6, 120, 0, 2 * math.pi)
        cr.fill()

    got = draw(lambda cr: radial_glow(cr, 158.3, 161.6, 120, (1.0, 0.4, 0.2), 0.8))
    want = draw(by_cairo)
    assert want.max() > 150
    diff = np.abs(got - want)
    assert diff.mean() < 0.5 and diff.max() <= 12, (diff.mean(), diff.max())
    # About half a level less throughout (the small image's 8-bit levels, then pixman's
    # bilinear weights, round down): 2% of a glow this faint at its edge.
    assert abs(got.sum() - want.sum()) / want.sum() < 0.03


@pytest.mark.parametrize("opaque", [False, True])
@pytest.mark.parametrize("roll", [0.0, 0.37, 17.0])
def test_fill_smooth_matches_a_plain_fill_of_low_res(roll, opaque):
    # fill_smooth samples low_res's picture at exact whole pixels (a cheaper path for
    # pixman than the hair-off shift cairo composes under a roll): the same pixels.
    def draw(fill) -> np.ndarray:
        cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 400, 400))
        cr.set_source_rgb(0.05, 0.1, 0.2)
        cr.paint()
        turn(cr, 200, 200, roll, 1.07)
        g = cairo.RadialGradient(170.3, 190.6, 10, 201.2, 198.7, 150)
        g.add_color_stop_rgb(0.0, 0.9, 0.4, 0.2)
        g.add_color_stop_rgb(0.6, 0.2, 0.7, 0.3)
        g.add_color_stop_rgb(1.0, 0.1, 0.2, 0.9)
        if not opaque:
            additive(cr)
            g = cairo.RadialGradient(201.2, 198.7, 0, 201.2, 198.7, 150)
            g.add_color_stop_rgba(0.0, 1.0, 0.5, 0.2, 0.8)
            g.add_color_stop_rgba(1.0, 1.0, 0.5, 0.2, 0.0)
        picture = low_res(cr, g, 201.2 - 150, 198.7 - 150, 300, 300)
        cr.arc(201.2, 198.7, 150, 0, 2 * math.pi)
        fill(cr, picture)
        return pixels(cr.get_target()).astype(int)

    def plain(cr, picture):
        cr.set_source(picture)
        cr.fill()

    got = draw(lambda cr, picture: fill_smooth(cr, picture, opaque=opaque))
    want = draw(plain)
    assert want.max() > 150
    d = np.abs(got - want).max(axis=2)
    assert d.max() <= 1 and (d > 0).mean() < 1e-3, (d.max(), (d > 0).mean())


@pytest.mark.parametrize("within", [False, True])
@pytest.mark.parametrize("swing", [0.0, 9.0])
def test_a_group_painted_through_a_turn_and_a_clip_matches_cairos_paint(swing, within):
    # The split sphere's halves: a group drawn once, then painted twice, each time moved
    # and turned and cut by a clip. OpenCV resamples it onto the pixel grid first; given
    # the clip's path (`within`: a jagged seam, as the sphere's) only the part of the
    # picture it reaches, band by band of rows: the same pixels as clipping first.
    from render.draw import paint_group

    def clip(cr: cairo.Context, side: int) -> None:
        if not within:
            cr.rectangle(120 if side > 0 else 40, 30, 80, 140)
            return
        seam = [(120 + 9 * math.sin(k * 1.7), 20 + 8 * k) for k in range(21)]
        cr.move_to(*seam[0])
        for p in seam[1:]:
            cr.line_to(*p)
        cr.line_to(120 + side * 90, seam[-1][1])
        cr.line_to(120 + side * 90, seam[0][1])
        cr.close_path()

    def draw(ours: bool, clipped_first: bool = False) -> np.ndarray:
        cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 240, 200))
        cr.set_source_rgb(0.05, 0.05, 0.1)
        cr.paint()
        cr.translate(3.3, -1.7)  # a camera's offset under everything
        cr.save()
        cr.rectangle(45, 25, 160, 150)  # the group is only as large as this clip
        cr.clip()
        cr.push_group()
        cr.arc(120, 100, 60, 0, 2 * math.pi)
        g = cairo.RadialGradient(100, 80, 5, 120, 100, 60)
        g.add_color_stop_rgb(0, 0.9, 0.5, 0.2)
        g.add_color_stop_rgb(1, 0.1, 0.2, 0.6)
        cr.set_source(g)
        cr.fill()
        cr.move_to(70, 100)
        cr.line_to(170, 90)
        cr.set_source_rgb(1, 1, 1)
        cr.set_line_width(3)
        cr.stroke()
        group = cr.pop_group()
        cr.restore()
        for side in (-1, 1):
            cr.save()
            cr.translate(120 + side * 12, 100)
            cr.rotate(math.radians(side * swing))
            cr.translate(-120, -100)
            clip(cr, side)
            if ours and within and not clipped_first:
                paint_group(cr, group, within=cr.copy_path_flat())
                cr.restore()
                continue
            cr.clip()
            if ours:
                paint_group(cr, group)
            else:
                cr.set_source(group)
                cr.paint()
            cr.restore()
        return pixels(cr.get_target()).astype(int)

    ours, theirs = draw(True), draw(False)
    assert (theirs[..., 0] > 100).sum() > 2000  # the halves are there
    diff = np.abs(ours - theirs)
    assert diff.mean() < 0.3 and (diff > 8).mean() < 0.002, (diff.mean(), diff.max())
    if within:
        assert np.array_equal(ours, draw(True, clipped_first=True))


def turned(roll: float, zoom: float) -> tuple[cairo.ImageSurface, cairo.Context]:
    """A 320x240 frame and an additive context turned by `roll` degrees and zoomed by
    `zoom` about its middle, as a camera would."""
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 320, 240)
    cr = cairo.Context(surface)
    turn(cr, 160, 120, roll, zoom)
    additive(cr)
    return surface, cr


def turn(cr: cairo.Context, cx: float, cy: float, roll: float, zoom: float) -> None:
    """Turn cr by `roll` degrees and zoom it by `zoom` about (cx, cy)."""
    cr.translate(cx, cy)
    cr.rotate(math.radians(roll))
    cr.scale(zoom, zoom)
    cr.translate(-cx, -cy)


@pytest.mark.parametrize("roll", [0.0, 4.0])
def test_neon_ellipses_rasterised_match_cairos_stroke(roll):
    # The sphere's faint lines: rasterised by neon_ellipses' own kernel on raster frames,
    # the same thin outlines cairo would stroke (its default antialiasing as reference).
    from render.draw import neon_ellipses, neon_stroke
    from render.softlight import SoftLight

    lines = [(160.0, 120.0, 90.0, 100.0), (160.0, 120.0, 12.0, 100.0), (150.0, 90.0, 80.0, 24.0)]

    def draw(ours: bool) -> np.ndarray:
        surface, cr = turned(roll, 1.07)
        light = SoftLight(surface, 320, 240)
        if ours:
            neon_ellipses(cr, lines, (0.3, 0.8, 1.0), 1.2, alpha=0.5, heat=0.02, light=light)
        else:
            for x, y, rx, ry in lines:
                cr.save()
                cr.translate(x, y)
                cr.scale(rx, ry)
                cr.new_sub_path()
                cr.arc(0, 0, 1, 0, 2 * math.pi)
                cr.restore()
            neon_stroke(cr, (0.3, 0.8, 1.0), 1.2, alpha=0.5, heat=0.02, light=light)
        return pixels(surface).astype(int)  # the halo stays in the light buffer

    ours, theirs = draw(True), draw(False)
    assert theirs[..., 1].max() > 60
    diff = np.abs(ours - theirs)
    # Coverage from the distance to the curve against cairo's area sampling: a few levels
    # along the lines, the same light in all.
    assert diff.mean() < 0.3 and diff.max() <= 60, (diff.mean(), diff.max())
    assert abs(ours.sum() - theirs.sum()) / theirs.sum() < 0.05


@pytest.mark.parametrize("roll", [0.0, 7.0])
def test_additive_lines_rasterised_match_cairos_strokes(roll):
    # Sparks: short round-capped lines of light, rasterised together on raster frames;
    # each the light of stroking it alone (cairo's antialiasing as the reference).
    from render.draw import additive_lines

    rng = np.random.default_rng(5)
    n = 40
    x0, y0 = rng.uniform(40, 280, n), rng.uniform(30, 210, n)
    ang, length = rng.uniform(0, 2 * math.pi, n), rng.uniform(0, 30, n)
    lines = np.stack([x0, y0, x0 + length * np.cos(ang), y0 + length * np.sin(ang),
                      rng.uniform(0.4, 4.0, n), rng.uniform(0.1, 0.9, n)], axis=1)  # fmt: skip
    # A burst's young sparks, crossing where it broke: there their light adds past one,
    # and the orange goes yellow-white (each channel saturates on its own).
    fan = np.linspace(0, math.pi, 9)
    lines = np.vstack([lines, np.stack([np.full(9, 160.0), np.full(9, 120.0),
                                        160 + 25 * np.cos(fan), 120 + 25 * np.sin(fan),
                                        np.full(9, 3.0), np.full(9, 0.8)], axis=1)])  # fmt: skip
    colour = (1.0, 0.6, 0.2)

    def draw(ours: bool) -> np.ndarray:
        surface, cr = turned(roll, 1.3)
        if ours:
            additive_lines(cr, lines, colour)
        else:
            cr.set_line_cap(cairo.LINE_CAP_ROUND)
            for ax, ay, bx, by, width, alpha in lines.tolist():
                cr.move_to(ax, ay)
                cr.line_to(bx, by)
                cr.set_line_width(width)
                cr.set_source_rgba(*colour, alpha)
                cr.stroke()
        return pixels(surface).astype(int)

    ours, theirs = draw(True), draw(False)
    assert theirs[..., 2].max() > 200
    # Where the burst's sparks cross (its point stays put: the turn is about it) the
    # light has gone past one in every channel, and the rasterised lines' has too.
    hub = np.s_[118:122, 158:162]
    assert theirs[hub][..., 0].min() > 100  # blue: 0.2 of the colour, 0.4 and more here
    assert np.abs(ours[hub] - theirs[hub]).mean() < 12
    diff = np.abs(ours - theirs)
    assert diff.mean() < 0.5 and (diff > 24).mean() < 0.002, (diff.mean(), diff.max())
    assert abs(ours.sum() - theirs.sum()) / theirs.sum() < 0.03
