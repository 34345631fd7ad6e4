"""Tests for render.display: display effects done inside the frame's last pass give the
same bytes as the effects run one after another."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import render.frame as frame_module
from render import effects as fx
from render.display import Fused, finish, fuse
from render.frame import Renderer
from render.sequence import parse_sequence
from render.tonemap import finish as tone_map

H, W = 45, 80


def _inputs(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    light = rng.random((-(-H // 8), -(-W // 8), 3), dtype=np.float32) * 0.4
    return base, light


def test_every_byte_product_rounds_as_opencv():
    # Every pair (frame byte, mask byte): rows of the frame run through all 256 levels
    # (the tone map spreads them out), the mask's columns through all 256 multipliers.
    levels = np.arange(256, dtype=np.uint8)
    base = np.repeat(levels, 256).reshape(256, 256, 1).repeat(3, axis=2)
    mask = np.ascontiguousarray(np.swapaxes(base, 0, 1))
    mask.flags.writeable = False
    plain = tone_map(base, None, 1.0, 0, dither=False)
    got = tone_map(base, None, 1.0, 0, dither=False, masks=(mask,))
    assert np.array_equal(got, cv2.multiply(plain, mask, scale=1 / 255))


@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize("aberration", [None, 0.004, -0.01])
def test_fused_effects_give_the_bytes_of_the_effects_in_turn(aberration, masked):
    base, light = _inputs()
    scan = fx.scanline_mask(H, W, 0.3, 0.05)
    vig = fx.vignette_mask(H, W, 0.5)
    fused = Fused(aberration, (scan, vig) if masked else (), 3 if masked else 1)
    got = finish(base, light, 1.3, 11, fused, factor=8)
    want = tone_map(base, light, 1.3, 11, factor=8)
    if aberration is not None:
        want = fx.chromatic_aberration(want, aberration)
    if masked:
        want = fx.vignette(fx.scanlines(want, 0.3, 0.05), 0.5)
    assert np.array_equal(got, want)


def _masks(kinds: str, writable: bool) -> tuple[np.ndarray, ...]:
    """Masks for the frame: "r" constant along each row (as scanlines), "f" any."""
    rng = np.random.default_rng(len(kinds))
    out = []
    for kind in kinds:
        if kind == "r":
            rows = rng.integers(0, 256, (H, 1, 1), dtype=np.uint8)
            m = np.ascontiguousarray(np.broadcast_to(rows, (H, W, 3)))
        else:
            m = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
        m.flags.writeable = writable
        out.append(m)
    return tuple(out)


@pytest.mark.parametrize("writable", [False, True])
@pytest.mark.parametrize("kinds", ["", "r", "f", "rr", "rf", "fr", "ff", "rfr", "frrf"])
@pytest.mark.parametrize("aberration", [None, 0.004])
def test_any_masks_in_any_order_give_the_bytes_of_multiplying_in_turn(aberration, kinds, writable):
    # Masks constant along rows are multiplied by a byte a row, and the pass that puts
    # red and blue back takes the first two masks in one loop for each pairing of kinds:
    # each way must give the bytes of cv2.multiply, mask after mask.
    base, light = _inputs(5)
    masks = _masks(kinds, writable)
    got = finish(base, light, 1.1, 2, Fused(aberration, masks, 1 + len(masks)), factor=8)
    want = tone_map(base, light, 1.1, 2, factor=8)
    if aberration is not None:
        want = fx.chromatic_aberration(want, aberration)
    for m in masks:
        want = cv2.multiply(want, m, scale=1 / 255)
    assert np.array_equal(got, want)


def test_fuse_takes_the_leading_multiplying_effects_only():
    seq = parse_sequence(
        '[sequence]\nduration = 1\nsize = "80x45"\n'
        '[[effects]]\ntype = "chromatic_aberration"\namount = 0.003\n'
        '[[effects]]\ntype = "scanlines"\nstrength = 0\n'
        '[[effects]]\ntype = "vignette"\nstrength = 0.3\n'
        '[[effects]]\ntype = "grain"\n'
        '[[effects]]\ntype = "vignette"\nstrength = 0.3\n'
    )
    r = Renderer(seq)
    values = r.values(0)
    effects = []
    for spec in seq.effects:
        effect = seq.effect(spec.type)
        effects.append((spec, effect, r.params(spec.params, effect.params, values)))
    fused = fuse(45, 80, effects)  # the scanlines at strength 0 add no mask
    assert fused.count == 3 and fused.aberration == 0.003 and len(fused.masks) == 1


@pytest.mark.parametrize("name", ["dream", "calm", "glitch"])
def test_a_frame_is_the_same_with_and_without_fusing(name, monkeypatch):
    from pathlib import Path

    from render.sequence import load_sequence

    path = Path(__file__).resolve().parents[1] / "sequences" / f"{name}.toml"
    seq = load_sequence(path).replace(size=(192, 108))
    index = seq.frames // 2
    fused = Renderer(seq).render(index)
    monkeypatch.setattr(frame_module, "display_fuse", lambda h, w, effects: Fused())
    assert np.array_equal(fused, Renderer(seq).render(index))
