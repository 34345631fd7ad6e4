"""Tests for render.tonemap: the tone curve's promises (black stays black, monotonic, hue
kept, a path to white that is neither grey nor clipped), the kernel against its numpy
reference, and the dither (deterministic, never lifts black, removes banding)."""

from __future__ import annotations

import cv2
import numba
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from render.tonemap import (
    KNEE,
    dither_noise,
    finish,
    finish_reference,
    linear_to_srgb,
    srgb_to_linear,
    tone_map,
)

SETTINGS = settings(max_examples=60, deadline=None)

unit = st.floats(0.0, 1.0, allow_nan=False, width=32)
colour = st.tuples(unit, unit, unit).filter(lambda c: max(c) > 1e-3)


def hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """HSV hue (degrees) and saturation of (..., 3) non-negative colours."""
    rgb = np.asarray(rgb, np.float64)
    mx, mn = rgb.max(-1), rgb.min(-1)
    chroma = mx - mn
    safe = np.where(chroma > 0, chroma, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    hue = np.where(
        mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)
    )
    return hue * 60.0, np.where(mx > 0, chroma / np.where(mx > 0, mx, 1.0), 0.0)


def ray(c, ks) -> np.ndarray:
    return np.asarray(c, np.float32)[None, :] * np.asarray(ks, np.float32)[:, None]


def only_light(light: np.ndarray, exposure: float = 1.0, seed: int = 0, **kw) -> np.ndarray:
    """finish() of `light` (full resolution) over a black base."""
    base = np.zeros(light.shape[:2] + (3,), np.uint8)
    return finish(base, light, exposure, seed, **kw)


# --------------------------------------------------------------------------- transfer


def test_srgb_transfer_is_exact_and_inverts():
    assert srgb_to_linear(np.uint8(0)) == 0 and srgb_to_linear(np.uint8(255)) == 1
    assert srgb_to_linear(np.array([0.5]))[0] == pytest.approx(0.21404114, abs=1e-7)
    assert linear_to_srgb(np.array([0.0031308 / 2]))[0] == pytest.approx(0.0031308 / 2 * 12.92)
    levels = np.arange(256, dtype=np.uint8)
    linear = srgb_to_linear(levels)
    assert linear.dtype == np.float32 and np.all(np.diff(linear) > 0)
    np.testing.assert_allclose(linear_to_srgb(linear.astype(np.float64)) * 255, levels, atol=1e-3)
    np.testing.assert_allclose(srgb_to_linear(levels / 255.0), linear, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- the curve


def test_black_stays_black():
    assert np.all(tone_map(np.zeros((4, 3), np.float32), exposure=8.0) == 0)


@SETTINGS
@given(colour, st.floats(0.0, 0.55))
def test_near_identity_for_ordinary_values(c, peak):
    linear = np.asarray(c, np.float32) / max(c) * peak
    np.testing.assert_allclose(tone_map(linear), linear, atol=1e-6)
    # ...and a little above the knee it is still close
    brighter = np.asarray(c, np.float32) / max(c) * 0.8
    assert np.abs(tone_map(brighter) - brighter).max() < 0.03


@SETTINGS
@given(colour, st.floats(0.25, 4.0))
def test_monotonic_along_rays(c, exposure):
    ks = np.geomspace(1e-3, 1e3, 400)
    out = tone_map(ray(c, ks), exposure).astype(np.float64)
    assert np.all(np.diff(out, axis=0) >= -1e-6), "a channel got darker as the light grew"
    luma = out @ [0.2126, 0.7152, 0.0722]
    assert np.all(np.diff(luma) >= -1e-6)
    # and strictly brighter while the shoulder still has room to give
    bright = np.max(ray(c, ks), axis=1) * exposure < 4.0
    assert np.all(np.diff(out.max(1))[bright[1:]] > 0)


saturated = colour.filter(lambda c: (max(c) - min(c)) / max(c) > 0.3)


@SETTINGS
@given(saturated)
def test_hue_is_kept(c):
    ks = np.geomspace(0.05, 16.0, 60) / max(c)  # the max channel from 0.05 to 16x over range
    linear = ray(c, ks)
    out = tone_map(linear)
    hue_in, _ = hsv(linear)
    hue_out, sat_out = hsv(out)
    diff = np.abs((hue_out - hue_in + 180) % 360 - 180)
    assert np.all(diff[sat_out > 0.02] < 0.5), f"hue moved by {diff.max():.2f} degrees"


PRIMARIES = [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 0), (0, 1, 1), (1, 0, 1), (1, 0.3, 0.05)]


@pytest.mark.parametrize("c", PRIMARIES)
def test_path_to_white_goes_through_the_hue(c):
    ks = np.array([1.0, 2.0, 3.0, 4.0, 8.0, 16.0, 25.0, 400.0])
    light = ray(c, ks)[None]  # one row of pixels, brighter to the right
    out = only_light(light, dither=False)[0]
    _, sat = hsv(out.astype(np.float64))
    assert np.all(sat[ks <= 4] > 0.4), f"highlights went grey: {sat}"  # clearly the hue
    assert sat[ks == 8][0] < 0.3, "8x over range should be on its way to white"
    white = np.all(out >= 250, axis=1)
    assert not white[ks <= 16].any(), "a saturated colour clipped to white too early"
    assert white[-1], "very intense light should reach white"
    # nothing hard-clips: the whole way from 1x to 25x every step changes the pixel
    assert np.all(np.any(np.diff(out[ks <= 25].astype(int), axis=0) > 0, axis=1))


# --------------------------------------------------------------------------- finish


@SETTINGS
@given(st.floats(0.0, 16.0), st.integers(-(2**63), 2**64 - 1), st.sampled_from([1, 3, 8]))
def test_black_stays_black_through_finish(exposure, seed, factor):
    base = np.zeros((19, 27, 3), np.uint8)
    light = np.zeros((-(-19 // factor), -(-27 // factor), 3), np.float32)
    assert not finish(base, light, exposure, seed, factor=factor).any()
    assert not finish(base, None, exposure, seed).any()


def test_dither_does_not_lift_near_black():
    # The dither's amplitude shrinks to the distance from black, so light a fraction of a
    # level above black is never pushed up to a visible level on average.
    for level, low, high in ((0.2, 0.0, 0.2), (0.7, 0.6, 0.8)):
        light = np.full((64, 256, 3), level / 255 / 12.92, np.float32)
        mean = only_light(light, seed=3).mean()
        assert low <= mean <= high, (level, mean)


def random_case(rng, factor):
    h, w = rng.integers(1, 40), rng.integers(1, 40)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    light = rng.random((-(-h // factor), -(-w // factor), 3), dtype=np.float32) ** 3 * 6
    return base, light


@pytest.mark.parametrize("width", [48, 43])  # a multiple of the factor, and not
def test_reduced_light_spreads_as_the_reference_at_any_width(width):
    rng = np.random.default_rng(width)
    base = rng.integers(0, 256, (21, width, 3), dtype=np.uint8)
    light = rng.random((3, -(-width // 8), 3), dtype=np.float32) ** 3 * 6
    ref = finish_reference(base, light, 1.0, factor=8)
    plain = finish(base, light, 1.0, 1, factor=8, dither=False).astype(np.float64)
    assert np.abs(plain - ref).max() <= 0.51


@pytest.mark.parametrize("factor", [1, 2, 3, 8])
@pytest.mark.parametrize("exposure", [0.0, 0.5, 1.0, 2.5])
def test_kernel_matches_reference(factor, exposure):
    rng = np.random.default_rng(factor * 100 + int(exposure * 10))
    for _ in range(6):
        base, light = random_case(rng, factor)
        ref = finish_reference(base, light, exposure, factor=factor)
        plain = finish(base, light, exposure, 1, factor=factor, dither=False).astype(np.float64)
        assert np.abs(plain - ref).max() <= 0.51  # polynomial transfers: < 0.01 of a level
        dithered = finish(base, light, exposure, 1, factor=factor).astype(np.float64)
        assert np.abs(dithered - np.round(ref)).max() <= 1  # within the dither
        # and the dither is exactly the documented one, but for ties within 0.01
        amp = np.minimum(1.0, np.minimum(ref, 255.0 - ref))
        noise = dither_noise(*base.shape[:2], 1)[..., None]
        expected = np.floor(ref + amp * noise + 0.5)
        off = dithered != expected
        assert np.all(np.abs((ref + amp * noise + 0.5)[off] % 1.0 - 0.5) > 0.49)


def test_kernel_matches_reference_at_1080p():
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    light = rng.random((135, 240, 3), dtype=np.float32) ** 4 * 3
    ref = finish_reference(base, light, 1.3)
    out = finish(base, light, 1.3, 5).astype(np.float64)
    assert np.abs(out - np.round(ref)).max() <= 1
    assert np.abs(out - ref).mean() < 0.45  # dither spreads the error, it does not add bias
    assert abs((out - ref).mean()) < 0.01


def test_small_light_is_upsampled_like_opencv():
    rng = np.random.default_rng(2)
    base = rng.integers(0, 200, (64, 96, 3), dtype=np.uint8)
    small = rng.random((8, 12, 3), dtype=np.float32)
    full = cv2.resize(small, (96, 64), interpolation=cv2.INTER_LINEAR)
    a = finish(base, small, 1.0, 0, dither=False).astype(int)
    b = finish(base, full, 1.0, 0, dither=False).astype(int)
    assert np.abs(a - b).max() <= 1 and (a != b).mean() < 0.01
    # ceil sizes: a 540-row frame takes a 68-row eighth-resolution buffer
    out = finish(np.zeros((540, 20, 3), np.uint8), np.ones((68, 3, 3), np.float32) * 0.1, 1, 0)
    assert out.shape == (540, 20, 3)


def test_untouched_pixels_come_back_unchanged():
    rng = np.random.default_rng(4)
    base = rng.integers(0, 204, (50, 70, 3), dtype=np.uint8)
    assert np.array_equal(finish(base, None, 1.0, 9), base)
    assert np.array_equal(finish(base, np.zeros((7, 9, 3), np.float32), 1.0, 9), base)
    # above the knee the shoulder starts: 255 comes down, but stays the brightest level
    top = finish(np.full((1, 1, 3), 255, np.uint8), None, 1.0, 0, dither=False)
    assert 235 < top.min() < 255


def test_finish_is_deterministic_whatever_the_threads():
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (120, 200, 3), dtype=np.uint8)
    light = rng.random((15, 25, 3), dtype=np.float32)
    first = finish(base, light, 1.2, 42)
    assert np.array_equal(first, finish(base, light, 1.2, 42))
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = finish(base, light, 1.2, 42)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(first, single)
    assert not np.array_equal(first, finish(base, light, 1.2, 43)), "the seed must matter"


def test_finish_is_pure():
    rng = np.random.default_rng(6)
    base = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    light = rng.random((4, 5, 3), dtype=np.float32)
    b, l_ = base.copy(), light.copy()
    base.flags.writeable = light.flags.writeable = False
    finish(base, light, 2.0, 1, factor=8)
    finish_reference(base, light, 2.0, factor=8)
    tone_map(light, 3.0)
    srgb_to_linear(base)
    assert np.array_equal(base, b) and np.array_equal(light, l_)


def test_planes_are_the_frames_red_and_blue_before_the_masks():
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (37, 61, 3), dtype=np.uint8)
    light = rng.random((5, 8, 3), dtype=np.float32)
    mask = rng.integers(0, 256, base.shape, dtype=np.uint8)
    plain = finish(base, light, 1.1, 3, factor=8)
    for masks in ((), (mask,)):
        planes = np.full((2, 37, 61), 7, np.uint8)
        got = finish(base, light, 1.1, 3, factor=8, masks=masks, planes=planes)
        want = cv2.multiply(plain, mask, scale=1 / 255) if masks else plain
        assert np.array_equal(got, want)
        assert np.array_equal(planes[0], plain[..., 0])
        assert np.array_equal(planes[1], plain[..., 2])
    with pytest.raises(ValueError, match="planes"):
        finish(base, light, 1.1, 3, factor=8, planes=np.empty((2, 37, 60), np.uint8))


def test_dither_noise_is_triangular():
    noise = dither_noise(512, 512, 11).astype(np.float64)
    assert noise.min() > -1 and noise.max() < 1
    assert abs(noise.mean()) < 0.01
    assert noise.var() == pytest.approx(1 / 6, rel=0.02)  # triangular on (-1, 1)
    hist, _ = np.histogram(noise, bins=4, range=(-1, 1))
    np.testing.assert_allclose(hist / hist.sum(), [1 / 8, 3 / 8, 3 / 8, 1 / 8], atol=0.01)
    # neighbours are uncorrelated, and another seed gives another pattern
    assert abs(np.corrcoef(noise[:, :-1].ravel(), noise[:, 1:].ravel())[0, 1]) < 0.01
    assert abs(np.corrcoef(noise.ravel(), dither_noise(512, 512, 12).ravel())[0, 1]) < 0.01


def longest_run(row: np.ndarray) -> int:
    edges = np.flatnonzero(np.diff(row.astype(int)) != 0)
    bounds = np.concatenate([[-1], edges, [len(row) - 1]])
    return int(np.diff(bounds).max())


def test_dither_removes_banding():
    # a slow gradient: 4 levels across 1024 pixels, dark enough that bands show
    target = np.linspace(40.0, 44.0, 1024)
    linear = srgb_to_linear((target / 255.0).astype(np.float64)).astype(np.float32)
    light = np.repeat(np.repeat(linear[None, :, None], 3, axis=2), 64, axis=0)
    banded = only_light(light, dither=False)[..., 1]
    dithered = only_light(light, seed=8)[..., 1]
    assert longest_run(banded[0]) > 200
    assert max(longest_run(r) for r in dithered) < 48
    # the local mean (64 rows x 16 columns) tracks the true value; the bands do not
    truth = target.reshape(64, 16).mean(1)
    band_error = np.abs(banded.reshape(64, 64, 16).mean((0, 2)) - truth).max()
    dither_error = np.abs(dithered.reshape(64, 64, 16).mean((0, 2)) - truth).max()
    assert band_error > 0.3 and dither_error < 0.12


def test_bad_inputs_are_refused():
    base = np.zeros((16, 16, 3), np.uint8)
    with pytest.raises(TypeError):
        finish(base.astype(np.float32), None, 1.0, 0)
    with pytest.raises(ValueError):
        finish(base[..., :2], None, 1.0, 0)
    with pytest.raises(ValueError, match="integer factor"):
        finish(base, np.zeros((5, 3, 3), np.float32), 1.0, 0)
    with pytest.raises(ValueError, match="pass factor"):  # 7 or 8 would both fit
        finish(np.zeros((19, 27, 3), np.uint8), np.zeros((3, 4, 3), np.float32), 1.0, 0)
    with pytest.raises(ValueError, match="factor 2"):
        finish(base, np.zeros((4, 4, 3), np.float32), 1.0, 0, factor=2)
    with pytest.raises(ValueError, match="finite"):
        finish(base, np.full((2, 2, 3), np.nan, np.float32), 1.0, 0, factor=8)
    with pytest.raises(ValueError, match="exposure"):
        finish(base, None, -1.0, 0)


def test_knee_is_where_the_docstring_says():
    below = np.array([[KNEE, KNEE * 0.5, 0.0]], np.float32)
    np.testing.assert_allclose(tone_map(below), below, atol=1e-7)
    assert tone_map(np.array([[KNEE * 1.5, 0, 0]], np.float32))[0, 0] < KNEE * 1.5
