"""The vapor's domain-warped noise: its warps are computed on every other grid point and
interpolated, so it must stay close to the noise defined point by point."""

from __future__ import annotations

import numpy as np
from opensimplex import OpenSimplex

from render.noise import warped_noise


def defined(field: OpenSimplex, warp_field: OpenSimplex, xs, ys, z, w, warp):
    """The noise as defined at each point (opensimplex's own noise4, no interpolation)."""
    out = np.empty((len(ys), len(xs)))
    for j, y in enumerate(ys):
        for i, x in enumerate(xs):
            qx = warp_field.noise4(x * 0.6, y * 0.6, z, w)
            qy = warp_field.noise4(x * 0.6 + 5.2, y * 0.6 + 1.3, z, w)
            px, py = x + warp * qx, y + warp * qy
            rx = warp_field.noise4(px * 1.1 + 1.7, py * 1.1 + 9.2, z, w)
            ry = warp_field.noise4(px * 1.1 + 8.3, py * 1.1 + 2.8, z, w)
            fine = field.noise4(px * 2.9, py * 2.9, z * 1.7, w * 1.7)
            out[j, i] = 0.7 * field.noise4(px + warp * rx, py + warp * ry, z, w) + 0.3 * fine
    return out


def test_warped_noise_stays_close_to_its_definition():
    field, warp_field = OpenSimplex(seed=3), OpenSimplex(seed=4)
    xs = np.arange(31) * (4.5 / 98)  # the mist's grid spacing, an odd and an even count
    ys = np.arange(20) * (4.5 / 98)
    got = warped_noise(field, warp_field, xs, ys, (0.3, 0.7), warp=1.1)
    want = defined(field, warp_field, xs, ys, 0.3, 0.7, 1.1)
    assert got.shape == want.shape == (20, 31)
    assert np.ptp(want) > 0.3  # a field, not a constant
    diff = np.abs(got - want)
    assert diff.max() < 0.03 and diff.mean() < 0.005, (diff.max(), diff.mean())
    # The points where the warps are computed (every other one, and the last) are exact.
    np.testing.assert_allclose(got[::2, ::2], want[::2, ::2], atol=1e-9)
    np.testing.assert_allclose(got[-1, -1], want[-1, -1], atol=1e-9)


def test_warped_noise_is_the_same_on_every_call():
    field, warp_field = OpenSimplex(seed=5), OpenSimplex(seed=6)
    xs, ys = np.linspace(0, 3, 17), np.linspace(0, 2, 9)
    a = warped_noise(field, warp_field, xs, ys, (0.1, 0.2), warp=1.4)
    b = warped_noise(field, warp_field, xs, ys, (0.1, 0.2), warp=1.4)
    assert np.array_equal(a, b)


def test_warped_noise_where_asked_is_the_whole_grids_there_and_zero_elsewhere():
    # The plume and the mist ask only for their points inside the cone, within the mist's
    # reach: those must be the very values the whole grid has, whatever the mask's shape
    # (odd and even counts, single points, edges, a point whose neighbours are all out).
    field, warp_field = OpenSimplex(seed=7), OpenSimplex(seed=8)
    for nx, ny in ((31, 20), (24, 17)):
        xs, ys = np.linspace(-1.0, 2.5, nx), np.linspace(0.3, 2.0, ny)
        whole = warped_noise(field, warp_field, xs, ys, (0.4, 0.9), warp=1.4)
        rng = np.random.default_rng(nx)
        for where in (
            rng.random((ny, nx)) < 0.1,
            np.abs(np.arange(ny)[:, None] - ny / 2) < np.arange(nx)[None, :] * 0.3,  # a cone
            np.eye(ny, nx, dtype=bool),
        ):
            got = warped_noise(field, warp_field, xs, ys, (0.4, 0.9), warp=1.4, where=where)
            assert np.array_equal(got[where], whole[where])
            assert not got[~where].any()
