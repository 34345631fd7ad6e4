"""Domain-warped noise on a grid, compiled with numba.

Vapor should curl like grasping fingers, which plain fractal noise does not do:
domain warping (sampling one noise field at coordinates displaced by another)
gives the tendrils. opensimplex's array API samples separable grids only, so
the warp is a small numba loop over opensimplex's own compiled 4-D kernel,
a few milliseconds for the coarse grids the mist uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from opensimplex import OpenSimplex

# The loops are compiled, or loaded from numba's disk cache, by `_compile` on first use:
# importing numba (opensimplex imports it too) costs about half a second that commands
# which never render (`render check`, `--help`) should not pay.
_compiled = False
_noise2 = _noise4 = None  # opensimplex's compiled 2-D and 4-D kernels, once bound


def _compile() -> None:
    global _grid, _blend, _warped, _row, _noise2, _noise4, _compiled
    if _compiled:
        return
    from numba import njit
    from opensimplex import internals

    _noise2, _noise4 = internals._noise2, internals._noise4  # read as the loops compile
    _grid = njit(cache=True)(_grid)
    _blend = njit(cache=True, inline="always")(_blend)
    _warped = njit(cache=True)(_warped)
    _row = njit(cache=True)(_row)
    _compiled = True


def _grid(n):  # pragma: no cover - compiled
    """The coarse samples of an axis of n points (every other index, and the last), and
    for each of the n points the two coarse samples it lies between (as positions in the
    coarse list) and how far along from the first."""
    m = (n + 1) // 2 + (1 if n % 2 == 0 and n > 1 else 0)
    idx = np.empty(m, np.int64)
    for k in range(m):
        idx[k] = min(2 * k, n - 1)
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    frac = np.zeros(n)
    for i in range(n):
        k = min(i // 2, m - 2) if m > 1 else 0
        lo[i], hi[i] = k, min(k + 1, m - 1)
        if idx[hi[i]] > idx[k]:
            frac[i] = (i - idx[k]) / (idx[hi[i]] - idx[k])
    return idx, lo, hi, frac


def _blend(g, j0, j1, i0, i1, tx, ty):  # pragma: no cover - compiled
    """Bilinear blend of a grid's four corners, tx across and ty down."""
    top = g[j0, i0] + (g[j0, i1] - g[j0, i0]) * tx
    return top + (g[j1, i0] + (g[j1, i1] - g[j1, i0]) * tx - top) * ty


def _warped(xs, ys, z, w, perm_field, perm_warp, warp, where):  # pragma: no cover - compiled
    # The two warps are smooth over the grid (their noise is at 0.6 and 1.1 times the
    # field's frequency): computed on every other sample of it and interpolated, they
    # cost a quarter; the field and its fine octave are sampled at every point.
    nx, ny = xs.shape[0], ys.shape[0]
    cx, x0, x1, tx = _grid(nx)
    cy, y0, y1, ty = _grid(ny)
    # Only the points `where` asks for (zero at the others), and the coarse points they
    # lie between.
    need = np.zeros((cy.shape[0], cx.shape[0]), np.bool_)
    for j in range(ny):
        for i in range(nx):
            if where[j, i]:
                need[y0[j], x0[i]] = need[y0[j], x1[i]] = True
                need[y1[j], x0[i]] = need[y1[j], x1[i]] = True
    # The first warp (q) and the second (r) at the coarse points.
    coarse = np.zeros((4, cy.shape[0], cx.shape[0]))
    for jj in range(cy.shape[0]):
        y = ys[cy[jj]]
        for ii in range(cx.shape[0]):
            if not need[jj, ii]:
                continue
            x = xs[cx[ii]]
            qx = _noise4(x * 0.6, y * 0.6, z, w, perm_warp)
            qy = _noise4(x * 0.6 + 5.2, y * 0.6 + 1.3, z, w, perm_warp)
            px = x + warp * qx
            py = y + warp * qy
            # A second warp, fed by the first, curls the tendrils back on themselves.
            coarse[0, jj, ii] = qx
            coarse[1, jj, ii] = qy
            coarse[2, jj, ii] = _noise4(px * 1.1 + 1.7, py * 1.1 + 9.2, z, w, perm_warp)
            coarse[3, jj, ii] = _noise4(px * 1.1 + 8.3, py * 1.1 + 2.8, z, w, perm_warp)
    out = np.empty((ny, nx))
    for j in range(ny):
        a, b, fy = y0[j], y1[j], ty[j]
        for i in range(nx):
            if not where[j, i]:
                out[j, i] = 0.0
                continue
            c, d, fx = x0[i], x1[i], tx[i]
            qx = _blend(coarse[0], a, b, c, d, fx, fy)
            qy = _blend(coarse[1], a, b, c, d, fx, fy)
            rx = _blend(coarse[2], a, b, c, d, fx, fy)
            ry = _blend(coarse[3], a, b, c, d, fx, fy)
            px = xs[i] + warp * qx
            py = ys[j] + warp * qy
            fine = _noise4(px * 2.9, py * 2.9, z * 1.7, w * 1.7, perm_field)
            out[j, i] = 0.7 * _noise4(px + warp * rx, py + warp * ry, z, w, perm_field) + 0.3 * fine
    return out


def warped_noise(
    field: OpenSimplex,
    warp_field: OpenSimplex,
    xs: np.ndarray,
    ys: np.ndarray,
    time_point: tuple[float, float],
    warp: float = 1.2,
    where: np.ndarray | None = None,
) -> np.ndarray:
    """Noise in about -1..1 on the grid xs x ys (shape (len(ys), len(xs))) at a point in time
    given as two coordinates (a circle for loops, see Frame.time_point); with `where` (a
    boolean mask of that shape), only where it is true, 0 elsewhere: the same values there,
    for the cost of those points."""
    _compile()
    z, w = time_point
    if where is None:
        where = np.ones((len(ys), len(xs)), np.bool_)
    elif where.shape != (len(ys), len(xs)):
        raise ValueError(f"where has shape {where.shape}, the grid {(len(ys), len(xs))}")
    return _warped(
        np.ascontiguousarray(xs, dtype=np.float64),
        np.ascontiguousarray(ys, dtype=np.float64),
        float(z),
        float(w),
        field._perm,
        warp_field._perm,
        float(warp),
        np.ascontiguousarray(where, dtype=np.bool_),
    )


def _row(xs, y, perm):  # pragma: no cover - compiled
    out = np.empty(xs.shape[0])
    for i in range(xs.shape[0]):
        out[i] = _noise2(xs[i], y, perm)
    return out


def noise_row(field: OpenSimplex, xs: np.ndarray, y: float) -> np.ndarray:
    """2-D noise along the line (xs, y): the same values as ``field.noise2array(xs, [y])[0]``
    without the parallel launch that makes opensimplex's version cost ~8 ms for 2000
    points on two cores (a serial loop takes microseconds)."""
    _compile()
    return _row(np.ascontiguousarray(xs, dtype=np.float64), float(y), field._perm)
