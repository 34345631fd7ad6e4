"""Tests for render.color: parsing, OKLab conversion and mixing."""

from __future__ import annotations

import numpy as np
import pytest

from render.color import (
    lighten_to_white,
    luminance,
    mix,
    oklab_to_srgb,
    oklab_to_srgb_array,
    parse_color,
    srgb_to_oklab,
    srgb_to_oklab_array,
    to_hex,
)

BLACK = (0.0, 0.0, 0.0)
WHITE = (1.0, 1.0, 1.0)
RED = (1.0, 0.0, 0.0)
BLUE = (0.0, 0.0, 1.0)


def random_colours(n: int = 500, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3))


def test_parse_short_hex() -> None:
    assert parse_color("#fff") == WHITE
    assert parse_color("#f80") == (1.0, 0x88 / 255, 0.0)


def test_parse_long_hex_any_case() -> None:
    assert parse_color("#1AE3FF") == (0x1A / 255, 0xE3 / 255, 1.0)
    assert parse_color("#1ae3ff") == parse_color("#1AE3FF")


@pytest.mark.parametrize("bad", ["blue", "#12345", "#1ae3ff80", "1ae3ff", "#ggg", "", 12, None])
def test_parse_rejects(bad: object) -> None:
    with pytest.raises(ValueError, match=r'expected a colour like "#1ae3ff", got'):
        parse_color(bad)  # type: ignore[arg-type]


def test_parse_error_shows_the_value() -> None:
    with pytest.raises(ValueError, match='got "blue"'):
        parse_color("blue")


def test_to_hex_round_trip() -> None:
    for text in ["#04060d", "#1ae3ff", "#ff2340", "#000000", "#ffffff"]:
        assert to_hex(parse_color(text)) == text
    assert to_hex((1.5, -0.2, 0.5)) == "#ff0080"


def test_oklab_round_trip_random() -> None:
    for rgb in random_colours():
        back = oklab_to_srgb(srgb_to_oklab(tuple(rgb)))
        assert np.allclose(back, rgb, atol=1e-6, rtol=0)


def test_oklab_known_values() -> None:
    L, a, b = srgb_to_oklab(WHITE)
    assert L == pytest.approx(1.0, abs=1e-6)
    assert a == pytest.approx(0.0, abs=1e-6)
    assert b == pytest.approx(0.0, abs=1e-6)
    assert srgb_to_oklab(BLACK) == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)
    # Reference value for sRGB red from Ottosson's post.
    assert srgb_to_oklab(RED) == pytest.approx((0.627955, 0.224863, 0.125846), abs=1e-5)


def test_oklab_to_srgb_clips_out_of_gamut() -> None:
    rgb = oklab_to_srgb((0.7, 0.4, 0.4))
    assert all(0.0 <= c <= 1.0 for c in rgb)
    assert oklab_to_srgb((2.0, 0.0, 0.0)) == pytest.approx(WHITE)
    assert oklab_to_srgb((-1.0, 0.0, 0.0)) == pytest.approx(BLACK)


def test_array_helpers_match_scalar() -> None:
    colours = random_colours(200).reshape(10, 20, 3)
    lab = srgb_to_oklab_array(colours)
    assert lab.shape == (10, 20, 3)
    assert np.allclose(lab[3, 4], srgb_to_oklab(tuple(colours[3, 4])), atol=1e-12)
    assert np.allclose(oklab_to_srgb_array(lab), colours, atol=1e-6, rtol=0)
    assert srgb_to_oklab_array(colours.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        srgb_to_oklab_array(np.zeros((4, 2)))


def test_mix_endpoints_exact() -> None:
    a, b = parse_color("#1ae3ff"), parse_color("#ff2340")
    assert mix(a, b, 0.0) == a
    assert mix(a, b, 1.0) == b
    assert mix(a, b, -3.0) == a
    assert mix(a, b, 7.0) == b


def test_mix_is_perceptual_not_srgb() -> None:
    grey = mix(BLACK, WHITE, 0.5)
    assert srgb_to_oklab(grey)[0] == pytest.approx(0.5, abs=1e-6)
    assert grey[0] == pytest.approx(grey[1]) == pytest.approx(grey[2])
    assert abs(grey[0] - 0.5) > 0.05  # sRGB 0.5 would be OKLab L ~0.6


def test_mix_red_blue_differs_from_naive_average() -> None:
    mid = mix(RED, BLUE, 0.5)
    naive = (0.5, 0.0, 0.5)
    assert max(abs(x - y) for x, y in zip(mid, naive, strict=True)) > 0.05
    lab_mid = srgb_to_oklab(mid)
    lab_red, lab_blue = srgb_to_oklab(RED), srgb_to_oklab(BLUE)
    assert lab_mid[0] == pytest.approx((lab_red[0] + lab_blue[0]) / 2, abs=1e-3)


def test_mix_rejects_nan() -> None:
    with pytest.raises(ValueError):
        mix(RED, BLUE, float("nan"))


def test_lighten_to_white() -> None:
    c = parse_color("#1ae3ff")
    assert lighten_to_white(c, 0.0) == c
    assert lighten_to_white(c, 1.0) == WHITE
    steps = [srgb_to_oklab(lighten_to_white(c, h))[0] for h in (0.0, 0.3, 0.6, 0.9)]
    assert steps == sorted(steps) and steps[0] < steps[-1]


def test_luminance() -> None:
    assert luminance(WHITE) == pytest.approx(1.0)
    assert luminance(BLACK) == 0.0
    assert luminance((0.0, 1.0, 0.0)) == pytest.approx(0.7152)
    assert luminance(parse_color("#04060d")) < luminance(parse_color("#1ae3ff"))
