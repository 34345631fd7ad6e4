"""The klaxon's beacon lamps: their size is the sequence's to set, a number or a track."""

from __future__ import annotations

import numpy as np

from render.frame import Renderer
from render.sequence import parse_sequence


def _klaxon(size: str) -> str:
    return f"""
[sequence]
duration = 2
fps = 10
size = "640x360"
seed = 2
[tracks]
flash = [[0, 1.0], [2, 1.0]]
grow = [[0, 1.0], [2, 2.0]]
[[layers]]
type = "klaxon"
size = {size}
"""


def _lamp(rgb: np.ndarray) -> int:
    """Lit red pixels around the left beacon (at 0.05, 0.17 of the frame): its dome and
    cage, not the beams (which sweep everywhere)."""
    box = rgb[20:105, 0:75]
    r, g = box[..., 0].astype(int), box[..., 1].astype(int)
    return int(((r > 150) & (r > g + 60)).sum())


def test_larger_beacons_light_more_of_their_corner():
    small = _lamp(Renderer(parse_sequence(_klaxon("0.6"))).render(3))
    large = _lamp(Renderer(parse_sequence(_klaxon("1.5"))).render(3))
    assert large > 1.5 * small > 0, (small, large)


def test_beacon_size_follows_a_track():
    r = Renderer(parse_sequence(_klaxon('"grow"')))
    assert _lamp(r.render(19)) > 1.5 * _lamp(r.render(0))
