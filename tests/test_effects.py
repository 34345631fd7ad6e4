"""Tests for render.effects: purity, zero-is-off, and what each effect is for."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from render.effects import (
    EFFECTS,
    apply_effect,
    bloom,
    chromatic_aberration,
    flicker,
    grain,
    scanlines,
    vignette,
)
from render.errors import RenderError

# Parameters that make each registered effect visibly do something, and that switch it off.
ON = {
    "bloom": {"strength": 1.0},
    "chromatic_aberration": {"amount": 0.01},
    "scanlines": {"strength": 0.5},
    "vignette": {"strength": 0.5},
    "grain": {"amount": 0.08},
    "flicker": {"amount": 0.5},
}
OFF = {
    "bloom": {"strength": 0.0},
    "chromatic_aberration": {"amount": 0.0},
    "scanlines": {"strength": 0.0},
    "vignette": {"strength": 0.0},
    "grain": {"amount": 0.0},
    "flicker": {"amount": 0.0},
}


def neon_frame(w: int = 192, h: int = 108, seed: int = 0) -> np.ndarray:
    """Dark noisy background with a few bright neon strokes (white core, coloured rim)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    t = max(1, h // 40)
    for colour, p0, p1 in (
        ((255, 40, 200), (0.1, 0.2), (0.6, 0.3)),
        ((40, 220, 255), (0.2, 0.8), (0.9, 0.6)),
    ):
        a = (int(p0[0] * w), int(p0[1] * h))
        b = (int(p1[0] * w), int(p1[1] * h))
        cv2.line(img, a, b, colour, 3 * t, cv2.LINE_AA)
        cv2.line(img, a, b, (255, 255, 255), t, cv2.LINE_AA)
    return img


def dot_scene(w: int, h: int, colour=(255, 200, 60)) -> np.ndarray:
    """A filled disc of radius 4% of height at (w/3, h/2) on black, drawn with subpixel
    precision so the same scene can be drawn at any size."""
    img = np.zeros((h, w, 3), np.uint8)
    shift = 8
    centre = (round(w / 3 * (1 << shift)), round(h / 2 * (1 << shift)))
    cv2.circle(img, centre, round(0.04 * h * (1 << shift)), colour, -1, cv2.LINE_AA, shift)
    return img


def run(name: str, rgb: np.ndarray, params: dict, seed: int = 7) -> np.ndarray:
    return apply_effect(name, rgb, params, np.random.default_rng(seed))


# --------------------------------------------------------------------------------------
# every registered effect


def test_every_effect_has_test_parameters():
    assert set(EFFECTS) == set(ON) == set(OFF)


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_effect_is_pure_and_keeps_shape(name):
    rgb = neon_frame()
    before = rgb.copy()
    out = run(name, rgb, ON[name])
    assert np.array_equal(rgb, before), "input was mutated"
    assert out.shape == rgb.shape and out.dtype == np.uint8
    assert out is not rgb and not np.shares_memory(out, rgb)
    assert not np.array_equal(out, rgb), "effect at a visible setting changed nothing"


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_zero_amount_returns_identical_frame(name):
    rgb = neon_frame()
    out = run(name, rgb, OFF[name])
    assert np.array_equal(out, rgb)
    assert not np.shares_memory(out, rgb)


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_effect_is_deterministic(name):
    rgb = neon_frame()
    assert np.array_equal(run(name, rgb, ON[name], seed=3), run(name, rgb, ON[name], seed=3))


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_non_contiguous_input_gives_same_result(name):
    big = neon_frame(384, 108)
    view = big[:, ::2]  # strided view
    assert not view.flags.c_contiguous
    assert np.array_equal(run(name, view, ON[name]), run(name, view.copy(), ON[name]))


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_odd_and_tiny_frames(name):
    for h, w in ((1, 1), (3, 5), (37, 61), (1081, 15)):
        rgb = neon_frame(w, h)
        out = run(name, rgb, ON[name])
        assert out.shape == rgb.shape and out.dtype == np.uint8


# --------------------------------------------------------------------------------------
# bloom


def test_bloom_spreads_light_well_outside_a_small_dot():
    h, w = 180, 320
    img = np.zeros((h, w, 3), np.uint8)
    r = 3
    cy, cx = h // 2, w // 2
    cv2.circle(img, (cx, cy), r, (255, 255, 255), -1)
    out = bloom(img)
    for k in (3, 6):
        assert out[cy, cx + k * r].max() > 0, f"no light at {k}x the dot radius"
        assert out[cy + k * r, cx].max() > 0
    # the glow falls off with distance
    assert out[cy, cx + 3 * r].sum() > out[cy, cx + 6 * r].sum() > out[cy, cx + 20 * r].sum()


def test_bloom_leaves_a_frame_below_threshold_unchanged():
    rng = np.random.default_rng(1)
    threshold = 0.55
    img = rng.integers(0, int(threshold * 255), (90, 160, 3), dtype=np.uint8)
    assert np.array_equal(bloom(img, strength=2.0, threshold=threshold), img)


def test_bloom_never_darkens_a_pixel():
    img = neon_frame(320, 180)
    img[::7, ::5] = 255  # sprinkle of bright pixels
    out = bloom(img, strength=3.0, threshold=0.2)
    assert (out.astype(np.int16) >= img).all()
    assert (out.astype(np.int16) > img).mean() > 0.5  # and it does add light widely


def test_bloom_keeps_colour_in_the_halo():
    # A neon stroke with a white-hot core and a magenta rim: the halo must stay magenta
    # (red and blue well above green), not turn into a grey wash.
    h, w = 180, 320
    img = np.zeros((h, w, 3), np.uint8)
    cv2.line(img, (40, 90), (280, 90), (255, 40, 200), 9, cv2.LINE_AA)
    cv2.line(img, (40, 90), (280, 90), (255, 255, 255), 3, cv2.LINE_AA)
    halo = bloom(img).astype(np.float32)[90 + 12 : 90 + 30, 100:220].mean(axis=(0, 1))
    r, g, b = halo
    assert r > 10 and b > 10
    assert g < 0.6 * min(r, b), f"halo colour {halo} is not magenta"


def test_bloom_pure_blue_glows():
    # A max-channel threshold lets saturated neon blue glow (a luma threshold would not).
    img = np.zeros((90, 160, 3), np.uint8)
    cv2.line(img, (20, 45), (140, 45), (0, 0, 255), 3)
    out = bloom(img)
    assert out[55, 80, 2] > 0 and out[55, 80, 0] == 0


def _bloom_at(size: tuple[int, int], scene_big: np.ndarray, **kw) -> np.ndarray:
    small = cv2.resize(scene_big, size, interpolation=cv2.INTER_AREA)
    return bloom(small, **kw)


def test_bloom_is_resolution_independent():
    scene = dot_scene(1920, 1080)  # one scene, shown at three sizes
    ref = _bloom_at((160, 90), scene).astype(np.float32)
    yy, xx = np.mgrid[:90, :160]
    d = np.hypot(xx - 160 / 3, yy - 45) / 90  # distance from the dot centre, in heights
    ring = (d > 0.07) & (d < 0.2)  # the halo just outside the dot (radius 0.04)
    assert ref[ring].mean() > 5, "no halo to compare"

    def halo_diff(big: np.ndarray) -> tuple[float, float]:
        down = cv2.resize(big, (160, 90), interpolation=cv2.INTER_AREA).astype(np.float32)
        diff = np.abs(down - ref)
        return float(diff.mean()), float(diff[ring].mean())

    for size in ((640, 360), (1920, 1080)):  # 1080 rows also takes the halving path
        whole, halo = halo_diff(_bloom_at(size, scene))
        assert whole < 1.0, f"{size}: mean abs diff {whole:.2f} levels"
        assert halo < 3.0, f"{size}: halo mean abs diff {halo:.2f} levels"

    # The comparison has teeth: a halo sized in pixels instead of frame height (as if the
    # 640x360 frame used the radius that suits 160x90) is far outside the tolerance.
    _, halo = halo_diff(_bloom_at((640, 360), scene, radius=0.03 / 4))
    assert halo > 5.0


def test_bloom_strength_scales_glow():
    img = dot_scene(320, 180)
    weak = bloom(img, strength=0.3).astype(np.int32).sum()
    strong = bloom(img, strength=1.0).astype(np.int32).sum()
    assert strong > weak > img.astype(np.int32).sum()


# --------------------------------------------------------------------------------------
# grain and flicker


@pytest.mark.parametrize("fn, amount", [(grain, 0.06), (flicker, 0.5)])
def test_random_effects_follow_the_seed(fn, amount):
    img = np.full((90, 160, 3), 128, np.uint8)
    a = fn(img, amount, np.random.default_rng(11))
    b = fn(img, amount, np.random.default_rng(11))
    c = fn(img, amount, np.random.default_rng(12))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("fn", [grain, flicker])
def test_random_effects_use_no_global_state_and_a_fixed_number_of_draws(fn):
    img = np.full((90, 160, 3), 128, np.uint8)
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    r_on, r_off = np.random.default_rng(3), np.random.default_rng(3)
    fn(img, 0.3, r_on)
    fn(img, 0.0, r_off)
    # switching the effect off does not shift the random stream for what comes after it
    assert r_on.random() == r_off.random()
    assert np.array_equal(np.random.get_state()[1], state)


def test_grain_size_scales_with_the_frame():
    # Grain cells are a fixed fraction of the height: neighbouring pixels correlate about
    # as much at 1080 rows as at 2160 rows two pixels apart.
    def corr(h: int, step: int) -> float:
        img = np.full((h, h, 3), 128, np.uint8)
        n = grain(img, 0.1, np.random.default_rng(0))[..., 0].astype(np.float32) - 128
        return float(np.corrcoef(n[:, :-step].ravel(), n[:, step:].ravel())[0, 1])

    assert abs(corr(1080, 1) - corr(2160, 2)) < 0.1
    assert corr(2160, 1) > corr(1080, 1) + 0.1


def test_flicker_only_darkens_by_at_most_amount():
    img = np.full((20, 20, 3), 200, np.uint8)
    for seed in range(20):
        out = flicker(img, 0.3, np.random.default_rng(seed))
        assert 200 * 0.7 - 1 <= out.min() and out.max() <= 200


# --------------------------------------------------------------------------------------
# vignette, scanlines, chromatic aberration


def test_vignette_centre_brighter_than_corners():
    img = np.full((180, 320, 3), 160, np.uint8)
    out = vignette(img, 0.5)
    centre = out[85:95, 155:165].mean()
    for corner in (out[:5, :5], out[:5, -5:], out[-5:, :5], out[-5:, -5:]):
        assert centre > corner.mean() + 30
    assert centre >= 150  # the middle is barely touched


def test_vignette_masks_are_cached_and_protected():
    img = np.full((50, 80, 3), 100, np.uint8)
    a = vignette(img, 0.4)
    a[:] = 0  # the result is the caller's; the cached mask must not be affected
    assert np.array_equal(vignette(img, 0.4), vignette(img.copy(), 0.4))
    assert vignette(img, 0.4).min() > 0


def test_scanlines_alternate_and_scale_with_height():
    for h in (270, 1080):
        img = np.full((h, 16, 3), 200, np.uint8)
        rows = scanlines(img, strength=0.5, period=0.02)[:, 0, 0].astype(np.float32)
        p = 0.02 * h
        assert rows.max() == 200 and rows.min() <= 101
        # half of the frame is darkened by half, whatever the size
        assert abs(rows.mean() - 150) < 3
        # dark and light bands alternate with the right period
        dark = rows < 150
        edges = np.flatnonzero(np.diff(dark.astype(np.int8)))
        assert abs(np.median(np.diff(edges)) - p / 2) <= 1


def test_scanline_period_is_at_least_two_pixels():
    img = np.full((50, 8, 3), 200, np.uint8)
    rows = scanlines(img, strength=1.0, period=0.0001)[:, 0, 0]
    assert rows[0] == 200 and rows[1] == 0 and rows[2] == 200


def test_chromatic_aberration_splits_red_and_blue():
    h, w = 180, 320
    img = np.zeros((h, w, 3), np.uint8)
    x = 40  # well left of centre
    img[:, x] = 255
    out = chromatic_aberration(img, amount=0.01)  # 1.8 px at the edge midpoints
    cols = np.arange(w)

    def column_of(ch: int) -> float:
        prof = out[h // 2, :, ch].astype(np.float64)
        return float((prof * cols).sum() / prof.sum())

    red, green, blue = column_of(0), column_of(1), column_of(2)
    assert green == pytest.approx(x)
    assert red < x - 1 < x + 1 < blue  # red pushed outward (left), blue inward
    assert red != pytest.approx(blue, abs=2)


# --------------------------------------------------------------------------------------
# registry


def test_apply_effect_passes_rng_only_where_taken():
    img = neon_frame()
    assert np.array_equal(
        apply_effect("vignette", img, {"strength": 0.3}, None), vignette(img, 0.3)
    )
    out = apply_effect("grain", img, {"amount": 0.05}, np.random.default_rng(2))
    assert np.array_equal(out, grain(img, 0.05, np.random.default_rng(2)))


def test_apply_effect_reports_unknown_names_readably():
    img = neon_frame()
    with pytest.raises(RenderError, match='did you mean "bloom"'):
        apply_effect("blom", img, {}, None)
    with pytest.raises(RenderError, match='did you mean "strength"'):
        apply_effect("bloom", img, {"strenght": 1.0}, None)
    with pytest.raises(RenderError, match="random generator"):
        apply_effect("flicker", img, {"amount": 0.2}, None)


def test_effects_reject_wrong_frames():
    with pytest.raises(TypeError):
        bloom(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        vignette(np.zeros((10, 10), np.uint8))
