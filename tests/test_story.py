"""The story in one place: overriding one beat's track gives the whole beat, and every
number a sequence gives is checked against the declared range, keyframes included."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from render.cli import cli
from render.errors import ConfigError
from render.sequence import parse_sequence


def _wake_only(bloom: bool = True) -> str:
    return (
        '[sequence]\nduration = 4\nfps = 10\nsize = "480x270"\n'
        "[tracks]\nescalation = [[0, 0.7]]\nwake = [[0, 0.0], [4, 1.0]]\n"
        + ('[[effects]]\ntype = "bloom"\n' if bloom else "")
    )


def test_overriding_wake_alone_ends_on_i_wake_up_in_dark_ink():
    seq = parse_sequence(_wake_only())
    last = seq.frame(seq.frames - 1).astype(int)
    luma = last.mean(axis=2)
    assert np.median(luma) > 170, "the cut to daylight"
    r, _, b = np.median(last.reshape(-1, 3), axis=0)
    assert r > b + 15, "daylight is warm"
    ink = luma < 100  # the words, dark on white; bloom no longer washes them out
    assert ink.mean() > 0.001, f"no 'I wake up.' on the last frame ({ink.mean():.4f})"


def test_the_wake_ends_the_klaxon_and_the_shaking_it_follows():
    values = parse_sequence(_wake_only()).sample(3.9)
    assert values["flash"] == 0 and values["shake"] == 0 and values["bloom"] < 0.01
    early = parse_sequence(_wake_only()).sample(0.0)
    assert early["flash"] > 0.3 and early["bloom"] == 1.0


def _with(layer_or_track: str) -> str:
    return '[sequence]\nduration = 4\nsize = "64x36"\n' + layer_or_track


@pytest.mark.parametrize(
    "text, key, line, fragment",
    [
        ('[[layers]]\ntype = "web"\nintensity = 9\n', "layers[0].intensity", 6, "in 0..4, got 9"),
        ('[[effects]]\ntype = "vignette"\nstrength = -1\n', "effects[0].strength", 6, "in 0..1"),
        ("[camera]\nshake = 2\n", "camera.shake", 5, "in 0..1, got 2"),
        # a keyframe beyond the range of the story track a layer follows
        ("[tracks]\ncracks = [[0, 0.0], [4, 1.4]]\n", "tracks.cracks", 5, "1.4"),
        # an easing that overshoots: back-out goes past 1 on its way to it
        ('[tracks]\nbreaks = [[0, 0.0, "out-back"], [4, 1.0]]\n', "tracks.breaks", 5, "out-back"),
        # a track a parameter names, with the elastic overshooting below 0
        (
            '[tracks]\nlevel = [[0, 1.0, "in-elastic"], [4, 0.0]]\n'
            '[[layers]]\ntype = "klaxon"\nflash = "level"\n',
            "tracks.level",
            5,
            "klaxon",
        ),
    ],
)
def test_values_outside_a_declared_range_are_refused_with_their_line(text, key, line, fragment):
    with pytest.raises(ConfigError) as info:
        parse_sequence(_with(text))
    err = info.value
    assert (err.key, err.line) == (key, line), str(err)
    assert fragment in str(err)


def test_check_reports_an_overshooting_easing_on_one_line(tmp_path):
    seq = tmp_path / "s.toml"
    seq.write_text(_with('[tracks]\nsplit = [[0, 0.0, "spring"], [4, 1.0]]\n'))
    result = CliRunner().invoke(cli, ["check", str(seq)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"{seq}:5: tracks.split: reaches" in lines[0], result.output


def test_a_linear_track_within_range_is_accepted():
    seq = parse_sequence(_with("[tracks]\ncracks = [[0, 0.0], [4, 1.0]]\nheat = [[0, 0.5]]\n"))
    assert seq.sample(2.0)["cracks"] == pytest.approx(0.5)


def test_the_words_on_screen_come_from_the_sequence():
    from render.errors import ConfigError

    base = '[sequence]\nduration = 2\nsize = "480x270"\n[tracks]\nescalation = [[0, 0.99]]\n'
    mine = parse_sequence(base + '[[layers]]\ntype = "wake"\nafter = "Good morning."\n')
    theirs = parse_sequence(base + '[[layers]]\ntype = "wake"\n')
    assert not np.array_equal(mine.frame(10), theirs.frame(10))
    with pytest.raises(ConfigError, match="one line of at most 200"):
        parse_sequence(base + '[[layers]]\ntype = "wake"\nafter = "two\\nlines"\n')
    with pytest.raises(ConfigError, match="layers\\[0\\].lines"):
        parse_sequence(base + '[[layers]]\ntype = "whispers"\nlines = "' + "x" * 300 + '"\n')


def test_labels_say_what_is_on_screen():
    from render.story import derive, on_screen

    assert on_screen(derive({"escalation": 0.0})) == ["the hum"]
    assert "klaxon" in on_screen(derive({"escalation": 0.2}))
    assert on_screen(derive({"escalation": 0.92}))[0] == "the eye"
    assert "the reflection" in on_screen(derive({"escalation": 0.45}), most=9)
    assert "controls melting" in on_screen(derive({"escalation": 0.8}), most=9)
    assert on_screen(derive({"escalation": 0.955})) == ["Then-"]  # the wake covers the eye
    assert on_screen(derive({"escalation": 1.0})) == ["daylight"]


def test_labels_name_only_what_a_drawn_layer_shows():
    glitchy = parse_sequence(
        '[sequence]\nduration = 2\n[tracks]\nescalation = [[0, 0.5]]\n'
        '[[layers]]\ntype = "web"\n[[layers]]\ntype = "klaxon"\n'
    )
    from render.story import on_screen

    values = glitchy.sample(1.0)
    assert "phantoms" in on_screen(values, most=9)  # the story has them at 0.5...
    shown = on_screen(values, most=9, drawn=glitchy.drawn_tracks())
    assert "phantoms" not in shown and "whispers" not in shown  # ...no layer draws them
    assert "web breaking" in shown
