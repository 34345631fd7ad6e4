"""Deterministic particles: every position is a closed-form function of age.

A burst is a set of particles born together at one point. Their launch speeds and
directions come from a generator seeded by the burst's own name, and their motion is
the exact solution of simple physics (gravity, linear drag, a floor they bounce off),
so a particle's place at any age is computed directly: any frame renders alone, in any
order, in any process. Ages are whatever the caller measures in (seconds, or progress
through an event); speeds are in frame heights per unit of age.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cairo
import numpy as np

from render.color import RGB, mix
from render.draw import additive, additive_lines, radial_glow
from render.scene import Frame, derive_seed


@dataclass(frozen=True)
class Burst:
    count: int = 20
    speed: float = 0.25  # launch speed, frame heights per unit of age
    spread: float = 1.0  # 0: all along `direction`; 1: every direction
    direction: float = -math.pi / 2  # radians; screen y points down, so -pi/2 is up
    gravity: float = 0.6  # frame heights per unit of age squared, downward
    drag: float = 2.5  # per unit of age: how fast the launch speed dies away
    floor: float | None = None  # y of the floor (a fraction of the height) to bounce off
    bounce: float = 0.35  # speed kept at a bounce
    life: float = 1.0  # age at which a particle has faded out


@lru_cache(maxsize=1024)
def _launch(burst: Burst, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each particle's launch velocity (x, y) and life: drawn from the burst's own seed
    (kept: a burst is asked for every frame it lives, twice a frame for its streaks)."""
    rng = np.random.default_rng(seed)
    n = burst.count
    ang = burst.direction + (rng.random(n) - 0.5) * 2 * math.pi * burst.spread
    sp = burst.speed * (0.2 + 0.8 * rng.random(n) ** 1.5)
    life = burst.life * (0.55 + 0.45 * rng.random(n))
    vx, vy = sp * np.cos(ang), sp * np.sin(ang)
    for a in (vx, vy, life):
        a.setflags(write=False)
    return vx, vy, life


def state(burst: Burst, seed: int, age: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dy, fade) of each particle at `age`, offsets in frame heights from the birth
    point and fade in 0..1. Before birth (age < 0) everything is faded out."""
    vx, vy, life = _launch(burst, seed)
    n = burst.count
    t = max(age, 0.0)
    k, g = burst.drag, burst.gravity
    # Linear drag: v = v0 e^{-kt} + (g/k)(1 - e^{-kt}) for the vertical, no g across.
    e = math.exp(-k * t) if k > 0 else 1.0
    reach = (1 - e) / k if k > 0 else t
    dx = vx * reach
    dy = vy * reach + (g / k) * (t - reach) if k > 0 else vy * t + 0.5 * g * t * t
    if burst.floor is not None:
        over = dy - burst.floor
        dy = np.where(over > 0, burst.floor - burst.bounce * over, dy)
    fade = np.clip(1 - t / life, 0.0, 1.0) ** 1.5 if age >= 0 else np.zeros(n)
    return dx, dy, fade


def draw_sparks(
    cr: cairo.Context,
    frame: Frame,
    x: float,
    y: float,
    burst: Burst,
    name: str,
    age: float,
    colour: RGB,
    hot: RGB,
    streak: float = 0.06,
    width: float = 1.4,
    flash: float = 0.0,
    alpha: float = 1.0,
    flash_size: float = 0.035,
) -> None:
    """A burst of streaking sparks born at (x, y) `age` ago, drawn additively: each spark
    a short line from where it was `streak` (in age) ago to where it is, white-hot when
    young and cooling to `colour`; `flash` adds a brief bright bloom at the birth point;
    `alpha` fades the whole burst; `flash_size` is the flash's radius, in frame heights."""
    if age < 0 or age > burst.life or alpha <= 0.005:
        return
    h, u = frame.scene.height, frame.unit
    seed = derive_seed(frame.scene.seed, "burst", name)
    dx, dy, fade = state(burst, seed, age)
    # The tail covers at most the later half of the flight, so a young burst is a scatter
    # of short dashes flying apart, not spokes from its centre (an asterisk).
    px, py, _ = state(burst, seed, age - min(streak, 0.5 * age))
    additive(cr)
    cr.set_line_cap(cairo.LINE_CAP_ROUND)  # (left so: what the caller strokes next has it)
    heat = max(0.0, 1.0 - age / (0.5 * burst.life))
    live = fade > 0.02
    f = fade[live]
    additive_lines(
        cr,
        np.stack([x + px[live] * h, y + py[live] * h, x + dx[live] * h + 0.01,
                  y + dy[live] * h, width * u * (0.6 + 0.8 * f),
                  np.minimum(1.0, 1.2 * f) * alpha], axis=1),  # fmt: skip
        mix(colour, hot, heat),
    )
    if flash > 0:
        f = flash * max(0.0, 1.0 - age / (0.25 * burst.life)) ** 2
        if f > 0.01:
            radial_glow(cr, x, y, flash_size * h * (0.6 + f), hot, 0.9 * f, frame.light)
            # and a white-hot point where it broke
            radial_glow(cr, x, y, 0.25 * flash_size * h, (1.0, 1.0, 1.0), f, frame.light)


__all__ = ["Burst", "draw_sparks", "state"]
