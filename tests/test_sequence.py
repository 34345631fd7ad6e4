"""Sequence files: keyframe sampling, wrapping loops, escalation-derived tracks, validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.color import parse_color
from render.errors import ConfigError
from render.sequence import load_sequence, parse_sequence
from render.story import STORY_TRACKS

ROOT = Path(__file__).resolve().parents[1]

BASE = """
[sequence]
duration = 10
fps = 10
size = "64x36"
seed = 3
"""


def seq(body: str = "", head: str = BASE):
    return parse_sequence(head + body, source=Path("test.toml"))


def error(body: str, head: str = BASE) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        seq(body, head)
    return info.value


def test_header_values():
    s = seq()
    assert (s.duration, s.fps, s.size, s.seed, s.frames) == (10.0, 10.0, (64, 36), 3, 100)
    assert s.palette.name == "neon"
    assert s.loop is False


def test_keyframes_in_seconds_and_percent_with_per_segment_easing():
    s = seq("""
[tracks.escalation]
keys = [
  { at = 0, value = 0.0, ease = "in-quad" },
  { at = "50%", value = 1.0, ease = "hold" },
  { at = "100%", value = 0.0 },
]
""")
    tr = s.tracks["escalation"]
    assert [k.time for k in tr.keys] == [0.0, 5.0, 10.0]
    assert tr.sample(2.5, 10) == pytest.approx(0.25)  # in-quad at half way
    assert tr.sample(7.5, 10) == 1.0  # hold keeps the value until the next key
    assert tr.sample(10, 10) == 0.0
    assert tr.sample(-1, 10) == 0.0 and tr.sample(99, 10) == 0.0


def test_array_shorthand_keyframes():
    s = seq('[tracks]\nglow = [[0, 1.0], ["100%", 3.0, "linear"]]\n')
    assert s.tracks["glow"].sample(5, 10) == pytest.approx(2.0)


def test_colour_track_interpolates_in_oklab():
    s = seq('[tracks]\ntint = [[0, "#000000"], [10, "#ffffff"]]\n')
    mid = s.tracks["tint"].sample(5, 10)
    # OKLab's midpoint of black and white is a perceptual mid-grey, far from sRGB 0.5.
    assert mid[0] == pytest.approx(mid[1]) == pytest.approx(mid[2])
    assert 0.35 < mid[0] < 0.5
    assert s.tracks["tint"].is_colour


def test_palette_role_as_colour_value():
    s = seq('[tracks]\ntint = [[0, "alert"], [10, "#ffffff"]]\n')
    assert s.tracks["tint"].keys[0].value == s.palette["alert"]


def test_loop_wraps_last_keyframe_back_to_first():
    head = BASE.replace("seed = 3", "seed = 3\nloop = true")
    s = seq("[tracks]\nx = [[0, 0.0], [5, 1.0]]\n", head)
    tr = s.tracks["x"]
    # Between the last key (5 s, 1.0) and the first one period later (10 s, 0.0).
    assert tr.sample(7.5, 10, loop=True) == pytest.approx(0.5)
    assert tr.sample(10, 10, loop=True) == pytest.approx(tr.sample(0, 10, loop=True))
    assert s.tracks["x"].sample(7.5, 10, loop=False) == 1.0


def test_escalation_drives_finer_tracks_and_they_can_be_overridden():
    s = seq("[tracks]\nescalation = [[0, 0.0], [10, 1.0]]\ncracks = [[0, 0.25]]\n")
    v = s.sample(7.0)
    assert v["escalation"] == pytest.approx(0.7)
    assert v["heat"] == pytest.approx(STORY_TRACKS["heat"].curve({"escalation": 0.7}))
    assert v["cracks"] == 0.25  # the finer track wins
    calm, late = s.sample(0.0), s.sample(9.0)
    for name in ("breaks", "heat", "split", "glitch"):
        assert late[name] > calm[name]


def test_layer_parameters_constant_or_track():
    s = seq("""
[tracks]
pump = [[0, 0.0], [10, 1.0]]
[[layers]]
type = "web"
breaks = "pump"
intensity = 0.5
""")
    (web,) = s.layers
    assert web.params["breaks"].name == "pump"
    assert web.params["intensity"] == 0.5


@pytest.mark.parametrize(
    ("body", "head", "key", "fragment"),
    [
        ("", BASE.replace("fps = 10", "fps = 0"), "sequence.fps", "above 0"),
        ("", BASE.replace("fps = 10", "fps = -5"), "sequence.fps", "above 0"),
        ("", BASE.replace("duration = 10", "duration = 0"), "sequence.duration", "above 0"),
        ("", BASE.replace("duration = 10", 'duration = "long"'), "sequence.duration", "number"),
        ("", BASE.replace('size = "64x36"', 'size = "big"'), "sequence.size", "WIDTHxHEIGHT"),
        (
            "",
            BASE.replace("seed = 3", "seed = 3\npallete = 'neon'"),
            "sequence.pallete",
            'did you mean "palette"',
        ),
        (
            "",
            BASE.replace("seed = 3", "seed = 3\npalette = 'neonn'"),
            "sequence.palette",
            'did you mean "neon"',
        ),
        ("", BASE.replace("seed = 3", "seed = 3\nloop = 'yes'"), "sequence.loop", "true or false"),
        (
            "[tracks]\nx = [[0, 0.0, 'in-out-cubc']]\n",
            BASE,
            "tracks.x[0].ease",
            'did you mean "in-out-cubic"',
        ),
        ("[tracks]\nx = [[5, 0.0], [2, 1.0]]\n", BASE, "tracks.x[1].at", "time order"),
        ("[tracks]\nx = [[5, 0.0], [5, 1.0]]\n", BASE, "tracks.x[1].at", "same time"),
        ("[tracks]\nx = [[0, 'blue']]\n", BASE, "tracks.x[0].value", "colour"),
        ("[tracks]\nx = [['120%', 1.0]]\n", BASE, "tracks.x[0].at", "within"),
        ("[tracks.x]\nkeyz = []\n", BASE, "tracks.x.keyz", 'did you mean "keys"'),
        ("[[layers]]\ntype = 'webb'\n", BASE, "layers[0].type", 'did you mean "web"'),
        ("[[layers]]\ntype = 'web'\nbreak = 1\n", BASE, "layers[0].break", 'did you mean "breaks"'),
        ("[[layers]]\ntype = 'web'\nbreaks = 'nope'\n", BASE, "layers[0].breaks", "track"),
        ("[[effects]]\ntype = 'blom'\n", BASE, "effects[0].type", 'did you mean "bloom"'),
        ("[extra]\n", BASE, "extra", "unknown key"),
    ],
)
def test_validation_errors_name_file_key_and_expectation(body, head, key, fragment):
    err = error(body, head)
    text = str(err)
    assert text.startswith("test.toml")
    assert err.key == key
    assert fragment in text
    assert "\n" not in text


def test_not_toml_gives_a_line_number():
    err = error("[tracks\n")
    assert err.line is not None and err.line >= 7
    assert "not valid TOML" in str(err)


def test_error_points_at_the_line_of_the_key():
    head = BASE.replace("fps = 10", "fps = 0")
    err = error("", head)
    assert err.line == head.splitlines().index("fps = 0") + 1
    err = error("[[layers]]\ntype = 'web'\n\n[[layers]]\ntype = 'core'\nsizee = 2\n")
    assert (
        err.line
        == (BASE + "[[layers]]\ntype = 'web'\n\n[[layers]]\ntype = 'core'\n").count("\n") + 1
    )


def test_missing_file_and_folder():
    with pytest.raises(ConfigError, match="no such file"):
        load_sequence("does-not-exist.toml")
    with pytest.raises(ConfigError, match="folder"):
        load_sequence(ROOT)


@pytest.mark.parametrize("path", sorted((ROOT / "sequences").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_sequence_loads(path):
    s = load_sequence(path)
    assert s.frames >= 1 and s.title
    assert s.source_hash and len(s.source_hash) == 64


def test_colour_parse_shared_with_tracks():
    s = seq('[tracks]\nc = [[0, "#ff0000"]]\n')
    assert s.tracks["c"].keys[0].value == parse_color("#ff0000")


def test_the_documented_example_loads():
    import re

    doc = (ROOT / "docs" / "sequences.md").read_text()
    block = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    s = parse_sequence(block, source=ROOT / "sequences" / "example.toml")
    assert [layer.type for layer in s.layers] == ["chamber", "web", "core", "console"]
    assert s.tracks["tint"].is_colour
