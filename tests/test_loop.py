"""Seamless loops: periodic tracks, noise on a circle through time, a seam score near 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from render.frame import Renderer
from render.scene import Frame
from render.seam import seam_score
from render.sequence import load_sequence
from render.units import PRESETS

ROOT = Path(__file__).resolve().parents[1]
WALLPAPER = ROOT / "sequences" / "wallpaper.toml"


def test_loop_time_helpers_are_periodic():
    seq = load_sequence(WALLPAPER).replace(size=(64, 36))
    r = Renderer(seq)
    start = Frame(r.scene, 0, 0.0)
    end = Frame(r.scene, 0, seq.duration)
    for rate in (0.13, 0.5, 0.8, 2.7):
        assert end.wave(rate) == pytest.approx(start.wave(rate), abs=1e-9)
    assert end.time_point(0.2) == pytest.approx(start.time_point(0.2), abs=1e-9)
    # Without loop the same helpers run straight on, so the check above can fail.
    plain = Renderer(seq.replace(loop=False))
    assert Frame(plain.scene, 0, seq.duration).time_point(0.2) != pytest.approx(
        Frame(plain.scene, 0, 0.0).time_point(0.2)
    )


def test_the_frame_after_the_last_is_the_first_and_the_last_is_not():
    seq = load_sequence(WALLPAPER).replace(size=(96, 54))
    r = Renderer(seq)
    assert not np.array_equal(r.render(seq.frames - 1), r.render(0))
    # Track values and every time helper at t = duration equal those at t = 0.
    assert seq.sample(seq.duration) == pytest.approx(seq.sample(0.0))


@pytest.mark.parametrize("preset", ["1080p", "1440p", "4k", "ultrawide", "dual", "phone"])
def test_wallpaper_seam_score_at_every_preset_aspect(preset):
    w, h = PRESETS[preset]
    scale = 240 / max(w, h)  # the look is resolution independent; the aspect decides layout
    size = (max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2))
    seq = load_sequence(WALLPAPER).replace(size=size)
    assert seam_score(seq, samples=5) <= 1.5


def test_a_sequence_that_does_not_loop_has_a_visible_seam():
    seq = load_sequence(ROOT / "sequences" / "calm.toml").replace(size=(128, 72))
    assert seam_score(seq, samples=5) > 3.0
