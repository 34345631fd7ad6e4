"""Neon lettering: text painted from cached masks must look like text stroked as paths."""

from __future__ import annotations

import cairo
import cv2
import numpy as np
import pytest

from render.draw import additive, neon_stroke, neon_text, text_stroke
from render.glyphs import CELL, MASKS, snap, text_path
from render.surface import pixels

TEXT = "ERR 4F FEEDBACK LOOP UNSTABLE"
COLOUR = (0.1, 0.9, 1.0)


def draw(fn, x: float, y: float, matrix: cairo.Matrix | None = None) -> np.ndarray:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 520, 80)
    cr = cairo.Context(surface)
    cr.set_source_rgb(0.02, 0.02, 0.05)
    cr.paint()
    if matrix is not None:
        cr.set_matrix(matrix)
    additive(cr)
    fn(cr, x, y)
    return pixels(surface).astype(np.int16)


def stroked(cr, x, y):
    text_path(cr, TEXT, x, y, 16.0)
    neon_stroke(cr, COLOUR, 1.5, alpha=0.9, heat=0.45)


def masked(cr, x, y):
    neon_text(cr, TEXT, x, y, 16.0, COLOUR, 1.5, alpha=0.9, heat=0.45)


@pytest.mark.parametrize("x, y", [(12.0, 20.0), (12.25, 20.5), (11.6, 19.13)])
def test_masked_text_matches_stroked_text(x, y):
    a, b = draw(stroked, x, y), draw(masked, x, y)
    assert a.max() > 100  # something was drawn
    diff = np.abs(a - b)
    # Positions are snapped to the nearest quarter pixel, which moves a tube edge by at
    # most an eighth of a pixel; the masks are put together from each character's, placed
    # within 1/32 of a pixel.
    assert diff.max() <= 90
    assert diff.mean() < 1.0


def test_one_colour_text_from_a_mask_matches_its_stroke():
    def path(cr, x, y):
        text_path(cr, TEXT, x, y, 16.0)
        cr.set_line_cap(cairo.LINE_CAP_ROUND)
        cr.set_line_join(cairo.LINE_JOIN_ROUND)
        cr.set_source_rgba(1.0, 0.1, 0.2, 0.35)
        cr.set_line_width(1.5)
        cr.stroke()

    def mask(cr, x, y):
        text_stroke(cr, TEXT, x, y, 16.0, (1.0, 0.1, 0.2, 0.35), 1.5)

    a, b = draw(path, 30.5, 21.25), draw(mask, 30.5, 21.25)
    assert a[..., 2].max() > 60
    # The same coverage, but where two characters' antialiased edges meet (the mask takes
    # the brighter of the two where a stroke would cover their union).
    diff = np.abs(a - b)
    assert diff.max() <= 4 and (diff > 0).mean() < 0.05


def test_masked_text_under_camera_shake_stays_in_place():
    shake = cairo.Matrix(xx=1.01, yy=1.01, x0=3.3, y0=-1.7)
    a, b = draw(stroked, 12.0, 20.0, shake), draw(masked, 12.0, 20.0, shake)
    lit_a, lit_b = a[..., :3].sum(2) > 150, b[..., :3].sum(2) > 150
    assert lit_a.sum() > 500
    # The masks resampled through the shake's zoom: the same letters, the same size,
    # within half a pixel of where the stroke puts them.
    near = cv2.dilate(lit_a.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert (lit_b & near).sum() / lit_b.sum() > 0.97
    assert abs(int(a.sum()) - int(b.sum())) / a.sum() < 0.03
    right = np.flatnonzero(lit_a.any(axis=0))[-1], np.flatnonzero(lit_b.any(axis=0))[-1]
    assert abs(right[0] - right[1]) <= 1  # scaled like the stroke: the line ends together


def test_masks_are_reused_for_the_same_string_and_phase():
    draw(masked, 12.0, 20.0)
    hits, misses = MASKS.hits, MASKS.misses
    draw(masked, 40.0, 30.0)  # same phase, another whole-pixel position
    assert MASKS.misses == misses and MASKS.hits > hits


def test_a_ghost_at_the_tubes_width_reuses_the_tubes_mask():
    from render.glyphs import text_masks

    tube = text_masks("GHOST 42", 14.0, (1.3, 0.455))
    misses = MASKS.misses
    ghost = text_masks("GHOST 42", 14.0, (1.3,))
    assert MASKS.misses == misses and ghost.masks[0] is tube.masks[0]
    assert (ghost.ox, ghost.oy) == (tube.ox, tube.oy)


def test_vector_surfaces_get_strokes_not_images(tmp_path):
    out = tmp_path / "t.svg"
    surface = cairo.SVGSurface(str(out), 520, 80)
    cr = cairo.Context(surface)
    masked(cr, 12.0, 20.0)
    surface.finish()
    svg = out.read_text()
    assert "<image" not in svg and "<path" in svg


def test_warp_moves_every_point_of_the_path():
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 10, 10)
    cr = cairo.Context(surface)
    text_path(cr, "AB", 10.0, 20.0, 10.0)
    plain = cr.copy_path_flat()
    cr.new_path()
    text_path(cr, "AB", 10.0, 20.0, 10.0, warp=lambda xs, ys: (xs + 5.0, ys * 2.0))
    warped = cr.copy_path_flat()
    a = np.array([p for _, p in plain if p])
    b = np.array([p for _, p in warped if p])
    assert a.shape == b.shape and len(a) > 4
    np.testing.assert_allclose(b[:, 0], a[:, 0] + 5.0, atol=0.01)  # cairo keeps 1/256 px
    np.testing.assert_allclose(b[:, 1], a[:, 1] * 2.0, atol=0.01)
    assert a[:, 0].max() <= 10.0 + 2 * CELL * 10.0


@pytest.mark.parametrize(
    "v, whole, phase",
    [(3.0, 3, 0.0), (3.26, 3, 0.25), (3.9, 4, 0.0), (-0.1, 0, 0.0), (-0.3, -1, 0.75)],
)
def test_snap_to_quarter_pixels(v, whole, phase):
    assert snap(v) == (whole, phase)


def test_text_stays_right_when_its_characters_masks_are_dropped(monkeypatch):
    # Characters' masks are kept by size and width in arrays that grow; past a budget the
    # least recently used go. With no budget at all every new size drops the others: the
    # strings must still come out as stroked, in either order.
    from render import glyphs

    monkeypatch.setattr(glyphs, "ATLASES", glyphs._Atlases(0))
    monkeypatch.setattr(glyphs, "MASKS", glyphs._MaskCache(0))  # no string kept either
    for size in (16.0, 13.0, 16.0):

        def stroked_at(cr, x, y, size=size):
            text_path(cr, TEXT, x, y, size)
            neon_stroke(cr, COLOUR, 1.5, alpha=0.9, heat=0.45)

        def masked_at(cr, x, y, size=size):
            neon_text(cr, TEXT, x, y, size, COLOUR, 1.5, alpha=0.9, heat=0.45)

        a, b = draw(stroked_at, 12.25, 20.5), draw(masked_at, 12.25, 20.5)
        assert a.max() > 100
        diff = np.abs(a - b)
        assert diff.max() <= 90 and diff.mean() < 1.0
