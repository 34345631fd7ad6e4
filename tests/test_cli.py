"""The CLI end to end with click's CliRunner, and the files it writes decoded back."""

from __future__ import annotations

import json
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from render.cli import cli
from render.sequence import load_sequence

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_on_every_command():
    for cmd in ([], ["animate"], ["still"], ["check"], ["sheet"], ["palettes"]):
        result = run(*cmd, "--help")
        assert result.exit_code == 0, cmd
        assert "Usage:" in result.output


def test_mp4_defaults_are_the_ones_bench_vmaf_chose():
    """The CLI, the library and the writers encode MP4 with render.formats.mp4's defaults
    (the CLI repeats them as literals so that reading options imports nothing heavy)."""
    import inspect

    from render.api import animate
    from render.encode import open_writer
    from render.formats.mp4 import DEFAULT_CRF, DEFAULT_PRESET
    from render.segments import open_segmented

    options = {p.name: p.default for p in cli.commands["animate"].params}
    assert (options["preset"], options["crf"]) == (DEFAULT_PRESET, DEFAULT_CRF)
    for fn in (animate, open_writer, open_segmented):
        params = inspect.signature(fn).parameters
        assert (params["preset"].default, params["crf"].default) == (DEFAULT_PRESET, DEFAULT_CRF)


def test_check_json_summary():
    result = run("check", DREAM, "--json")
    assert result.exit_code == 0
    info = json.loads(result.output)
    seq = load_sequence(DREAM)
    assert info["duration"] == seq.duration and info["fps"] == seq.fps
    assert info["size"] == list(seq.size) and info["frames"] == seq.frames
    assert info["seed"] == seq.seed
    assert "escalation" in info["tracks"]


def test_check_prints_a_timeline():
    result = run("check", DREAM)
    assert result.exit_code == 0
    assert "escalation" in result.output and "in-out-sine" in result.output


def test_mp4_decodes_with_the_right_codec_size_fps_and_count(tmp_path):
    out = tmp_path / "clip.mp4"
    result = run(
        "animate",
        DREAM,
        "-o",
        str(out),
        "--size",
        "96x54",
        "--fps",
        "12",
        "--start",
        "13",
        "--end",
        "13.5",
        "--workers",
        "1",
        "-q",
    )
    assert result.exit_code == 0, result.output
    reader = imageio_ffmpeg.read_frames(str(out))
    meta = next(reader)
    frames = list(reader)
    assert meta["codec"] == "h264"
    assert tuple(meta["size"]) == (96, 54)
    assert meta["fps"] == pytest.approx(12)
    assert len(frames) == 6  # 13.0 s to 13.5 s at 12 fps
    assert list(tmp_path.iterdir()) == [out]


def test_gif_loops_forever_with_delays_matching_fps(tmp_path):
    out = tmp_path / "clip.gif"
    result = run(
        "animate",
        DREAM,
        "-o",
        str(out),
        "--size",
        "80x46",
        "--fps",
        "10",
        "--start",
        "0",
        "--end",
        "1",
        "-q",
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as im:
        assert im.n_frames == 10
        assert im.info["loop"] == 0
        delays = []
        for k in range(im.n_frames):
            im.seek(k)
            delays.append(im.info["duration"])
        assert np.mean(delays) == pytest.approx(100, abs=5)
        assert im.size == (80, 46)


def test_png_folder_and_still_match_the_animation_frame(tmp_path):
    folder = tmp_path / "frames"
    result = run(
        "animate",
        DREAM,
        "-o",
        str(folder),
        "--size",
        "64x36",
        "--start",
        "10",
        "--end",
        "10.1",
        "--workers",
        "2",
        "-q",
    )
    assert result.exit_code == 0, result.output
    files = sorted(folder.glob("frame_*.png"))
    assert len(files) == 3  # frames 300, 301, 302 at 30 fps
    still = tmp_path / "still.png"
    result = run("still", DREAM, "--at", "10.04", "--size", "64x36", "-o", str(still), "-q")
    assert result.exit_code == 0, result.output
    animated = np.asarray(Image.open(files[1]).convert("RGB"))
    alone = np.asarray(Image.open(still).convert("RGB"))
    assert np.array_equal(alone, animated)
    assert not np.array_equal(alone, np.asarray(Image.open(files[0]).convert("RGB")))


def test_still_carries_provenance(tmp_path):
    out = tmp_path / "still.png"
    assert (
        run(
            "still", DREAM, "--at", "50%", "--size", "64x36", "--seed", "9", "-o", str(out), "-q"
        ).exit_code
        == 0
    )
    info = Image.open(out).text
    assert info["Seed"] == "9"
    assert len(info["SequenceSHA256"]) == 64


def test_sheet_writes_a_grid(tmp_path):
    out = tmp_path / "sheet.png"
    result = run(
        "sheet",
        DREAM,
        "-o",
        str(out),
        "--count",
        "6",
        "--columns",
        "3",
        "--thumb",
        "64",
        "--workers",
        "1",
        "-q",
    )
    assert result.exit_code == 0, result.output
    w, h = Image.open(out).size
    assert w > 3 * 64 and h > 2 * 36


def test_sheet_labels_stay_within_their_thumbnails(tmp_path):
    # The dream's labels name what is on screen ("the reflection, web breaking"): at a
    # small thumbnail they are wider than it, and must not run into the next one.
    out = tmp_path / "sheet.png"
    args = ["-o", str(out), "--count", "12", "--columns", "4", "--thumb", "160"]
    result = run("sheet", DREAM, *args, "--workers", "1", "-q")
    assert result.exit_code == 0, result.output
    page = np.asarray(Image.open(out).convert("RGB")).astype(int)
    gap = max(4, 160 // 60)
    for column in range(1, 4):  # the gaps between the columns, top to bottom
        x = gap + column * (160 + gap) - gap // 2
        strip = page[:, x]
        assert np.abs(strip - strip[0]).max() <= 2, f"a label crosses gap {column}"


def test_palettes_lists_the_default():
    result = run("palettes")
    assert result.exit_code == 0
    assert "neon" in result.output and "amber" in result.output


BAD = [
    ("[sequence]\nduration = 2\nfps = 0\n", "sequence.fps"),
    ("[sequence]\nduration = -1\n", "sequence.duration"),
    ("[sequence\n", "not valid TOML"),
    ("[sequence]\nduration = 2\npalette = 'neonn'\n", 'did you mean "neon"'),
    ("[sequence]\nduration = 2\n[tracks]\nx = [[0, 1, 'bonce']]\n", "tracks.x[0].ease"),
    ("[sequence]\nduration = 2\ncolour = 1\n", "sequence.colour"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD)
@pytest.mark.parametrize("command", ["animate", "still", "check"])
def test_bad_sequence_is_one_line_exit_2_no_output(tmp_path, text, fragment, command):
    src = tmp_path / "bad.toml"
    src.write_text(text)
    out = tmp_path / ("x.mp4" if command == "animate" else "x.png")
    args = {"animate": ["-o", str(out)], "still": ["--at", "0", "-o", str(out)], "check": []}[
        command
    ]
    result = CliRunner().invoke(cli, [command, str(src), *args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.toml" in lines[0] and fragment in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_failed_render_leaves_previous_output_untouched(tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"previous")
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(out), "--size", "97x54"])
    assert result.exit_code != 0
    assert "even" in result.output
    assert out.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]


def test_bad_size_option_is_a_usage_error():
    result = CliRunner().invoke(cli, ["still", DREAM, "--at", "0", "-o", "x.png", "--size", "huge"])
    assert result.exit_code == 2
    assert "WIDTHxHEIGHT" in result.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["still", DREAM, "--size", "1920x", "-o", "x.png"], "--size"),
        (["still", DREAM, "--dpi", "0", "-o", "x.pdf"], "--dpi"),
        (["still", DREAM, "--paper", "A5", "-o", "x.pdf"], "--paper"),
        (["animate", DREAM, "--bogus"], "--bogus"),
        (["bogus"], "bogus"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(args, fragment, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_duration_takes_the_forms_at_takes(tmp_path):
    from render.sequence import parse_sequence

    for text, seconds in (('"6s"', 6.0), ('"1500ms"', 1.5), ("2.5", 2.5)):
        assert parse_sequence(f"[sequence]\nduration = {text}\n").duration == seconds


def test_x264_options_for_a_gif_are_noted(tmp_path):
    out = tmp_path / "a.gif"
    args = ["animate", DREAM, "-o", str(out), "--size", "48x28", "--end", "0.2", "--workers", "1"]
    noted = CliRunner().invoke(cli, [*args, "--crf", "30", "--codec", "hevc"])
    assert noted.exit_code == 0, noted.output
    assert "note: --crf and --codec set up MP4's encoder; GIF ignores them" in noted.output
    plain = CliRunner().invoke(cli, args)
    assert plain.exit_code == 0 and "note:" not in plain.output


@pytest.mark.parametrize(
    "out, extra, fragment",
    [
        ("clip.avi", [], 'unknown output format ".avi"'),
        ("clip.mp4", ["--size", "97x54"], "even width and height"),
    ],
)
def test_outputs_a_format_cannot_hold_are_refused_before_work_with_exit_2(
    out, extra, fragment, tmp_path
):
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(tmp_path / out), *extra])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["still", DREAM, "--at", "1", "-o", "x.jpg"], "stills are written as .png"),
        (["still", DREAM, "--at", "1", "-o", "x.png", "--paper", "A4", "--size", "48x28"],
         "--paper and --size"),
        (["still", DREAM, "--at", "1", "-o", "x.png", "--portrait"], "--portrait needs"),
        (["still", DREAM, "--at", "1", "-o", "x.png", "--portrait", "--size", "48x28"],
         "--portrait needs"),
        (["still", DREAM, "--at", "41", "-o", "x.png", "--size", "48x28"], "--at"),
        (["animate", DREAM, "-o", "x.mp4", "--size", "48x28", "--start", "10", "--end", "5"],
         "--end (5 s) must come after --start (10 s)"),
        (["animate", DREAM, "-o", "x.mp4", "--size", "48x28", "--start", "41"], "--start"),
        (["animate", DREAM, "-o", "x.mp4", "--size", "48x28", "--end", "200%"], "--end"),
        (["animate", DREAM, "-o", "x.mp4", "--size", "48x28", "--preset", "turbo"], "--preset"),
        (["sheet", DREAM, "-o", "x.jpg"], ".png"),
    ],
)  # fmt: skip
def test_bad_options_exit_2_on_one_line_before_any_work(args, fragment, tmp_path, monkeypatch):
    import render.pipeline

    def no_rendering(*a, **k):
        raise AssertionError("rendering started")

    monkeypatch.setattr(render.pipeline, "render_frames", no_rendering)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_the_docs_show_errors_and_warnings_as_check_prints_them(tmp_path, monkeypatch):
    import re

    doc = (ROOT / "docs" / "sequences.md").read_text(encoding="utf-8")
    shown = re.search(r"Every mistake is reported.*?```\n(.*?)```", doc, re.S).group(1)
    error, warning = shown.splitlines()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sequences").mkdir()
    keys = '[[0, 0.0], [2, 0.5], [4, 1.0, "in-out-cubc"]]'
    lines = ["[sequence]", "duration = 4", "", "[tracks]", "", "", "", "", f"escalation = {keys}"]
    (tmp_path / "sequences" / "mine.toml").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["check", "sequences/mine.toml"])
    assert (result.exit_code, result.stderr.splitlines()) == (2, [error])
    lines[-1] = "escalation = [[0, 0.0], [4, 1.0]]\ncraks = [[0, 0.0], [4, 1.0]]"
    lines[-2:-1] = []
    (tmp_path / "sequences" / "mine.toml").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(cli, ["check", "sequences/mine.toml"])
    assert (result.exit_code, result.stderr.splitlines()) == (0, [warning])


@pytest.mark.parametrize("command", ["animate", "still"])
def test_size_help_lists_every_preset(command):
    from render.units import PRESETS

    text = " ".join(run(command, "--help").output.split())
    assert ", ".join(PRESETS) in text, text


def test_the_readme_says_which_command_takes_which_common_option():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"\| option \| (`animate`.*?)\|\n\|[-|]+\|\n((?:\|.*\n)+)", readme)
    assert table, "README has no table of the options each command takes"
    commands = [c.strip(" `") for c in table.group(1).split("|")]
    for row in table.group(2).splitlines():
        option, *cells = [c.strip() for c in row.strip("|").split("|")]
        name = re.match(r"`(--[a-z-]+)", option).group(1)
        for command, cell in zip(commands, cells, strict=True):
            takes = name in {o for p in cli.commands[command].params for o in p.opts}
            assert takes == cell.startswith("✓"), (name, command, cell)


def test_progress_lines_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    import re

    import render.cli

    monkeypatch.setattr(render.cli.Progress, "every", 0.0)  # a line for every update
    out = tmp_path / "a.gif"
    args = ["animate", DREAM, "-o", str(out), "--size", "32x18", "--fps", "8", "--end", "0.5"]
    result = CliRunner().invoke(cli, [*args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    progress = [ln for ln in lines if re.fullmatch(r"a\.gif: \d+/4 frames, .*", ln)]
    assert progress, lines
    assert re.fullmatch(r"a\.gif: 1/4 frames, [\d.]+ frames/s, about \d+:\d\d left", progress[0])
    assert lines[-1].startswith(f"wrote {out} (4 frames")  # the summary comes last
    quiet = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "b.gif"), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_ctrl_c_while_options_are_checked_is_one_line_and_130(monkeypatch, tmp_path):
    import render.formats.mp4

    def interrupted(preset):
        raise KeyboardInterrupt

    monkeypatch.setattr(render.formats.mp4, "check_preset", interrupted)
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(tmp_path / "a.mp4")])
    assert (result.exit_code, result.output) == (130, "interrupted; nothing was written\n")


# --------------------------------------------------------------------------- frames as units


def test_a_frame_count_works_wherever_a_time_does(tmp_path):
    from render.sequence import parse_sequence

    size = ["--size", "48x28", "-q"]
    assert run("still", DREAM, "--at", "120f", "-o", str(tmp_path / "f.png"), *size).exit_code == 0
    assert run("still", DREAM, "--at", "4", "-o", str(tmp_path / "s.png"), *size).exit_code == 0
    assert np.array_equal(  # the dream runs at 30 fps: frame 120 is at 4 s
        np.asarray(Image.open(tmp_path / "f.png")), np.asarray(Image.open(tmp_path / "s.png"))
    )
    seq = parse_sequence(
        '[sequence]\nduration = 6\nfps = 10\n[tracks.escalation]\nkeys = [{ at = "0f", '
        'value = 0.0 }, { at = "30f", value = 0.5 }, { at = "60f", value = 1.0 }]\n'
    )
    assert [k.time for k in seq.tracks["escalation"].keys] == [0.0, 3.0, 6.0]
    bad = CliRunner().invoke(cli, ["still", DREAM, "--at", "12xf", "-o", str(tmp_path / "x.png")])
    assert bad.exit_code == 2 and 'frames like "120f"' in bad.output


def test_a_png_folder_is_numbered_by_source_frame_unless_asked_not_to(tmp_path):
    args = ["animate", DREAM, "--size", "48x28", "--start", "120f", "--end", "123f", "-q",
            "--workers", "1"]  # fmt: skip
    assert run(*args, "-o", str(tmp_path / "film")).exit_code == 0
    names = sorted(p.name for p in (tmp_path / "film").glob("frame_*.png"))
    assert names == ["frame_000120.png", "frame_000121.png", "frame_000122.png"]
    assert run(*args, "-o", str(tmp_path / "zero"), "--number-from-zero").exit_code == 0
    zero = sorted(p.name for p in (tmp_path / "zero").glob("frame_*.png"))
    assert zero == ["frame_000000.png", "frame_000001.png", "frame_000002.png"]
    for a, b in zip(names, zero, strict=True):  # the same pictures, only renamed
        assert np.array_equal(
            np.asarray(Image.open(tmp_path / "film" / a)),
            np.asarray(Image.open(tmp_path / "zero" / b)),
        )
    still = tmp_path / "still.png"
    assert (
        run("still", DREAM, "--at", "121f", "--size", "48x28", "-q", "-o", str(still)).exit_code
        == 0
    )
    assert np.array_equal(
        np.asarray(Image.open(still)), np.asarray(Image.open(tmp_path / "film" / names[1]))
    )


def test_max_size_fits_and_says_how_or_refuses_on_one_line(tmp_path):
    args = ["animate", DREAM, "--size", "64x36", "--end", "0.5", "--workers", "1", "-q"]
    fitted = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / "a.mp4"), "--max-size", "20KB"])
    assert fitted.exit_code == 0, fitted.output
    assert (tmp_path / "a.mp4").stat().st_size <= 20_000
    assert f"note: {tmp_path / 'a.mp4'} fits 20 KB: two passes at" in fitted.stderr
    for name, size, fragment in (
        ("b.mov", "1MB", "--max-size: applies to MP4, WebM and GIF, not MOV"),
        ("c.gif", "1000", "can't fit 1 KB even with"),
        ("d.gif", "lots", "Invalid value for '--max-size'"),
    ):
        result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / name), "--max-size", size])
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and fragment in lines[0], result.output
        assert not (tmp_path / name).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]
