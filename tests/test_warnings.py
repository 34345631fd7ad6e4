"""Sequences that load but probably don't do what was meant: warned about, never refused.

A misspelt track, a track nothing follows, a track that takes a palette role's name and a
loop that will jump at its seam all render (exit 0); `check` and the render commands say
so on stderr, one line each, before any frame is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from render.cli import cli
from render.lint import lint
from render.sequence import load_sequence

ROOT = Path(__file__).resolve().parents[1]
HEAD = "[sequence]\nduration = 4\nfps = 10\nsize = [48, 28]\n"


def write(tmp_path: Path, body: str, head: str = HEAD) -> str:
    src = tmp_path / "seq.toml"
    src.write_text(head + body)
    return str(src)


def warnings_of(src: str) -> list[str]:
    return [str(w) for w in lint(load_sequence(src))]


@pytest.mark.parametrize(
    "name, meant", [("craks", "cracks"), ("escalaton", "escalation"), ("glich", "glitch")]
)
def test_a_misspelt_story_track_is_warned_about_with_did_you_mean(tmp_path, name, meant):
    src = write(tmp_path, f"[tracks]\n{name} = [[0, 0.0], [4, 1.0]]\n")
    (warning,) = warnings_of(src)
    assert warning.startswith(f"{src}:6: tracks.{name}: ")
    assert "nothing follows" in warning and f'did you mean "{meant}"?' in warning


def test_a_track_nothing_follows_is_warned_about(tmp_path):
    src = write(
        tmp_path,
        "[tracks]\nswell = [[0, 0.5], [4, 1.0]]\ncracks = [[0, 0.0], [4, 1.0]]\n"
        '[[layers]]\ntype = "web"\n',  # no core: nothing draws the cracks
    )
    found = warnings_of(src)
    assert len(found) == 2, found
    assert found[0].startswith(f"{src}:6: tracks.swell: nothing follows")
    assert "did you mean" not in found[0]
    assert found[1].startswith(f"{src}:7: tracks.cracks: nothing follows")


def test_tracks_followed_through_the_story_or_a_disabled_layer_are_told_apart(tmp_path):
    # escalation drives the derived tracks; wake drives the bloom's scale; a disabled
    # layer's track is followed by nothing.
    src = write(
        tmp_path,
        "[tracks]\nescalation = [[0, 0.0], [4, 1.0]]\nwake = [[0, 0.0], [4, 1.0]]\n"
        "swell = [[0, 0.0], [4, 1.0]]\n"
        '[[layers]]\ntype = "core"\n[[layers]]\ntype = "web"\nintensity = "swell"\n'
        "enabled = false\n",
    )
    (warning,) = warnings_of(src)
    assert warning.startswith(f"{src}:8: tracks.swell: nothing follows")


def test_a_track_named_like_a_palette_role_is_warned_about(tmp_path):
    src = write(
        tmp_path,
        '[tracks]\nprimary = [[0, "#ff0000"], [4, "#00ff00"]]\n'
        '[[layers]]\ntype = "core"\ncolour = "primary"\n',
    )
    (warning,) = warnings_of(src)
    assert warning.startswith(f"{src}:6: tracks.primary: ")
    assert 'palette role "primary"' in warning and "instead of the palette's colour" in warning


LOOP = HEAD + "loop = true\n"


def test_a_loop_whose_last_keyframe_differs_from_its_first_is_warned_about(tmp_path):
    src = write(tmp_path, "[tracks]\nescalation = [[0, 0.1], [2, 0.3], [4, 0.2]]\n", LOOP)
    (warning,) = warnings_of(src)
    assert warning.startswith(f"{src}:7: tracks.escalation: ")
    assert "jump" in warning and "0.2 at 4 s" in warning and "0.1 at 0 s" in warning


@pytest.mark.parametrize(
    "keys",
    [
        "[[0, 0.1], [2, 0.3], [4, 0.1]]",  # ends where it began
        "[[0, 0.1], [2, 0.3], [3, 0.2]]",  # a second left to ease back
        "[[0, 0.1]]",
    ],
)
def test_loops_that_close_are_not_warned_about(tmp_path, keys):
    assert warnings_of(write(tmp_path, f"[tracks]\nescalation = {keys}\n", LOOP)) == []


@pytest.mark.parametrize("name", ["calm", "dream", "glitch", "wallpaper"])
def test_the_shipped_sequences_have_nothing_to_warn_about(name):
    assert warnings_of(str(ROOT / "sequences" / f"{name}.toml")) == []


def test_check_warns_on_stderr_and_exits_0(tmp_path):
    src = write(tmp_path, "[tracks]\ncraks = [[0, 0.0], [4, 1.0]]\n")
    result = CliRunner().invoke(cli, ["check", src])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {src}:6: tracks.craks: nothing follows this track, so it changes nothing "
        '(did you mean "cracks"?)'
    ]
    assert result.stdout.rstrip().endswith("ok")
    json_result = CliRunner().invoke(cli, ["check", src, "--json"])
    assert '"warnings"' in json_result.stdout and "tracks.craks" in json_result.stdout


def test_render_commands_warn_before_rendering(tmp_path, monkeypatch):
    import render.pipeline

    src = write(tmp_path, "[tracks]\ncraks = [[0, 0.0], [4, 1.0]]\n")

    def no_rendering(*a, **k):
        raise AssertionError("rendering started")

    import render.sheet

    monkeypatch.setattr(render.pipeline, "render_frames", no_rendering)
    monkeypatch.setattr(render.sheet, "render_frames", no_rendering)
    for args in (
        ["animate", "-o", str(tmp_path / "a.gif")],
        ["sheet", "-o", str(tmp_path / "s.png")],
    ):
        result = CliRunner().invoke(cli, [args[0], src, *args[1:], "--workers", "1"])
        assert isinstance(result.exception, AssertionError)  # stopped as rendering started
        assert result.stderr.startswith(f"warning: {src}:6: tracks.craks: "), result.stderr
    result = CliRunner().invoke(cli, ["still", src, "--at", "0", "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"warning: {src}:6: tracks.craks: ")


def test_loop_on_a_sequence_written_without_one_is_warned_about_before_rendering(tmp_path):
    src = write(tmp_path, "[tracks]\nescalation = [[0, 0.0], [4, 0.3]]\n")
    out = tmp_path / "a.gif"
    args = ["animate", src, "-o", str(out), "--workers", "1", "--end", "0.2"]
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 0 and "warning" not in plain.stderr
    looped = CliRunner().invoke(cli, [*args, "--loop"])
    assert looped.exit_code == 0, looped.output
    (warning,) = [line for line in looped.stderr.splitlines() if line.startswith("warning: ")]
    assert "--loop" in warning and "tracks.escalation" in warning and "jump" in warning


def test_the_seam_score_is_printed_for_a_whole_loop_only(tmp_path):
    src = write(
        tmp_path,
        "[tracks]\nescalation = [[0, 0.1]]\n",
        "[sequence]\nduration = 0.5\nfps = 8\nsize = [32, 18]\nloop = true\n",
    )
    args = ["animate", src, "--workers", "1"]
    whole = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a.gif")])
    assert whole.exit_code == 0, whole.output
    assert "loop seam score" in whole.stderr and "lower is better" in whole.stderr
    part = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b.gif"), "--start", "0.25"])
    assert part.exit_code == 0, part.output
    assert "seam score" not in part.stderr
