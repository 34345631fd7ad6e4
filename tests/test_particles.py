"""Particles are closed-form in their age: any frame alone, same answer in any order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from render.particles import Burst, state


def test_a_particle_is_where_the_physics_puts_it_with_no_drag():
    b = Burst(count=8, speed=0.3, spread=0.0, direction=0.0, gravity=0.5, drag=0.0, life=2)
    dx, dy, fade = state(b, 7, 1.0)
    # Launched sideways: x = v t, y = g t^2 / 2 (screen y points down).
    assert np.all((dx > 0.3 * 0.2 - 1e-9) & (dx <= 0.3 + 1e-9))  # launch speeds 0.2..1 of it
    assert np.allclose(dy, 0.25)
    assert np.all(fade > 0) and np.all(fade < 1)


def test_drag_slows_and_gravity_wins():
    b = Burst(count=30, speed=0.4, gravity=0.6, drag=3.0, life=10)
    early, late, later = (state(b, 3, t) for t in (0.2, 2.0, 4.0))
    # Horizontal travel saturates under drag (speed / drag at most)...
    assert np.all(np.abs(later[0]) <= 0.4 / 3.0 + 1e-9)
    assert np.abs(later[0] - late[0]).max() < 0.01
    # ...while everything falls at the terminal speed g / k in the end.
    assert np.allclose(later[1] - late[1], 2.0 * 0.6 / 3.0, atol=0.01)
    assert not np.allclose(early[1], late[1])


def test_the_floor_is_never_crossed():
    b = Burst(count=50, speed=0.5, gravity=2.0, drag=1.0, floor=0.1, life=10)
    for t in np.linspace(0, 3, 31):
        assert state(b, 11, float(t))[1].max() <= 0.1 + 1e-12


@pytest.mark.parametrize("age", [-0.5, 0.0, 0.3, 0.99, 1.5])
def test_the_same_age_gives_the_same_burst_and_ages_past_life_fade_out(age):
    b = Burst(count=12, life=1.0)
    a1, a2 = state(b, 5, age), state(b, 5, age)
    for x, y in zip(a1, a2, strict=True):
        assert np.array_equal(x, y)
    if age < 0 or age >= 1.0:
        assert not a1[2].any()
    assert not np.array_equal(state(b, 6, 0.5)[0], state(b, 5, 0.5)[0])  # seeds differ
    assert math.isfinite(float(a1[0].sum()))
