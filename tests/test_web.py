"""The neural web's faster paths draw what the plain ones drew."""

from __future__ import annotations

import math

import cairo
import numpy as np

from render.draw import radial_glow, radial_glows
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
    # In cairo's fixed point (1/256 px), as the rasteriser takes it.
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


def test_the_pulses_paths_at_once_are_each_pulse_curve() -> None:
    cr = cairo.Context(cairo.ImageSurface(cairo.FORMAT_ARGB32, 8, 8))
    rng = np.random.default_rng(3)
    pulses = []
    for _ in range(40):
        p0, c, p1 = (tuple(np.float64(v) for v in rng.uniform(0, 1000, 2)) for _ in range(3))
        s = float(rng.random())
        pulses.append((p0, c, p1, max(0.0, s - 0.12), min(1.0, s + 0.02)))
    for p0, c, p1, lo, hi in pulses:
        web._curve(cr, p0, c, p1, lo, hi, steps=web.PULSE_STEPS)
    expected = _path(cr)
    web._pulse_paths(cr, pulses)
    assert _path(cr) == expected
    web._pulse_paths(cr, [])
    assert _path(cr) == []


def _glow_pixels(matrix: cairo.Matrix, radius: float, glows, batched: bool) -> np.ndarray:
    surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, 160, 120)
    cr = cairo.Context(surface)
    cr.set_operator(cairo.OPERATOR_ADD)
    cr.set_matrix(matrix)
    if batched:
        radial_glows(cr, radius, glows)
    else:
        for x, y, colour, alpha in glows:
            radial_glow(cr, x, y, radius, colour, alpha)
    surface.flush()
    return np.frombuffer(surface.get_data(), np.uint8).copy()


def test_the_nodes_glows_at_once_are_each_radial_glow() -> None:
    # Stamped (as the frame's nodes are) or, where radial_glow would not stamp, drawn by it.
    rng = np.random.default_rng(5)
    glows = [(float(x), float(y), tuple(rng.random(3)), float(a))
             for x, y, a in zip(rng.uniform(0, 150, 30), rng.uniform(0, 110, 30),
                                rng.uniform(0.0, 0.9, 30), strict=True)]  # fmt: skip
    glows.append((50.0, 50.0, (1.0, 0.5, 0.2), 0.002))  # too faint to draw
    turn = cairo.Matrix(1.03, 0.045, -0.045, 1.03, 7.3, -6.1)  # a roll and a zoom
    cases = [
        (cairo.Matrix(), 9.0),
        (cairo.Matrix(x0=0.37, y0=0.81), 9.0),
        (turn, 9.0),
        (turn, 5.0),  # small and turned: radial_glow fills its gradient
        (cairo.Matrix(xx=1.2, yy=0.9), 9.0),  # not a uniform scale
        (cairo.Matrix(), 70.0),  # too large to stamp
    ]
    for matrix, radius in cases:
        plain = _glow_pixels(matrix, radius, glows, batched=False)
        assert plain.any()
        assert np.array_equal(_glow_pixels(matrix, radius, glows, batched=True), plain)


BREAKING = """
[sequence]
duration = 4
fps = 10
size = "320x180"
seed = 3
[tracks]
snaps = [[0, 0.03], ["100%", 0.9]]
[camera]
zoom = 1.2
roll = 4
[[layers]]
type = "web"
breaks = "snaps"
"""


def test_a_breaking_webs_frames_do_not_depend_on_the_frames_drawn_before():
    # The intact threads are added on a board kept between frames and cleared where the
    # last frame drew: any frame, drawn after others, is the frame drawn alone.
    from render.frame import Renderer
    from render.sequence import parse_sequence

    sequence = parse_sequence(BREAKING)
    shared = Renderer(sequence)
    for index in (30, 2, 16, 37, 9):
        alone = Renderer(sequence).render(index)
        assert alone.any()
        assert np.array_equal(shared.render(index), alone), index
