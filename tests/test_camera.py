"""The camera's planes: a point handed from one depth plane to another lands where it was."""

from __future__ import annotations

from pathlib import Path

import cairo
import pytest

from render.camera import place, to_plane
from render.frame import Renderer
from render.sequence import parse_sequence

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
