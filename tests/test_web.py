"""The neural web's faster paths draw what the plain ones drew."""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.layers import web


def _bolt_one_by_one(cr: cairo.Context, a, b, rng: np.random.Generator, jag: float) -> None:
    """A bolt as it was drawn alone: midpoint displacement, halving by halving."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    offsets = np.zeros(2)
    scale = jag * length
    for _ in range(4):
        mid = 0.5 * (offsets[:-1] + offsets[1:]) + rng.normal(0.0, scale, len(offsets) - 1)
        both = np.empty(2 * len(offsets) - 1)
        both[0::2], both[1::2] = offsets, mid
        offsets, scale = both, 0.5 * scale
    ts = np.linspace(0.0, 1.0, len(offsets))
    xs = (ax + dx * ts + nx * offsets).tolist()
    ys = (ay + dy * ts + ny * offsets).tolist()
    cr.move_to(xs[0], ys[0])
    for x, y in zip(xs[1:], ys[1:], strict=True):
        cr.line_to(x, y)


def _path(cr: cairo.Context) -> list:
    path = list(cr.copy_path())
    cr.new_path()
    return path


def test_an_arcs_bolts_worked_out_together_are_each_bolt_alone() -> None:
    # The same seed draws the same numbers in the same order (forks' angles and reaches
    # between the bolts' displacements), and every joint lands on the same float.
    cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 8, 8))
    for seed in range(50):
        ends = ((10.0 + seed, 20.0), (300.0, 200.0 - 3 * seed))
        if seed % 7 == 0:
            ends = (ends[0], ends[0])  # no length: the bolt is displaced as if 1 long
        plain = np.random.default_rng(seed)
        batched = np.random.default_rng(seed)
        _bolt_one_by_one(cr, ends[0], ends[1], plain, 0.22)
        bolts = [(ends[0], ends[1], 0.22, web._bolt_draws(batched))]
        for end in ends:
            for _ in range(3):
                ang, reach = (plain.uniform(0, 2 * math.pi), plain.uniform(20, 70))
                assert (ang, reach) == (batched.uniform(0, 2 * math.pi), batched.uniform(20, 70))
                tip = (end[0] + reach * math.cos(ang), end[1] + reach * math.sin(ang))
                _bolt_one_by_one(cr, end, tip, plain, 0.3)
                bolts.append((end, tip, 0.3, web._bolt_draws(batched)))
        expected = _path(cr)
        web._bolts(cr, bolts)
        assert _path(cr) == expected
        assert plain.random() == batched.random()  # and left the generator where it was
