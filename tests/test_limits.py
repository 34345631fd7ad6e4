"""Limits are refused up front -- one line, exit status 2, before any rendering or writing --
and sequence and palette files are data, never code."""

from __future__ import annotations

import contextlib
import importlib
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import render.sheet  # noqa: F401 -- binds the real render_frames before tests patch it
from render import pipeline, units
from render.cli import cli
from render.errors import ConfigError
from render.sequence import load_sequence, parse_sequence
from render.units import MAX_FRAMES, MAX_SIDE, estimate_frame_bytes

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if anything starts rendering frames or opening an output."""

    def forbidden(*_a, **_k):
        raise AssertionError("work started before the limit was checked")

    # Modules that bind these names at import must import the real ones, not our fakes.
    for module in ("render.sheet", "render.printing"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    monkeypatch.setattr(pipeline, "render_frames", forbidden)
    monkeypatch.setattr("render.frame.Renderer.render", forbidden)
    monkeypatch.setattr("render.encode.open_writer", forbidden)


def refused(tmp_path: Path, *args: str, fragment: str):
    """Run `render ARGS`; expect exit 2, one line on stderr containing `fragment`, and
    nothing new in tmp_path."""
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    return lines[0]


def write_seq(tmp_path: Path, head: str, name: str = "s.toml") -> str:
    path = tmp_path / name
    path.write_text("[sequence]\n" + head)
    return str(path)


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize("size", [f"{MAX_SIDE + 1}x100", f"100x{MAX_SIDE + 2}", "99999x99999"])
def test_size_option_beyond_the_limit_is_one_line_exit_2(tmp_path, no_work, size):
    out = str(tmp_path / "x.mp4")
    line = refused(tmp_path, "animate", DREAM, "-o", out, "--size", size, fragment="--size")
    assert str(MAX_SIDE) in line
    refused(tmp_path, "still", DREAM, "--at", "0", "-o", str(tmp_path / "x.png"), "--size", size,
            fragment=str(MAX_SIDE))  # fmt: skip


def test_size_in_the_file_beyond_the_limit_is_one_line_exit_2(tmp_path, no_work):
    src = write_seq(tmp_path, f'duration = 1\nsize = "{MAX_SIDE * 2}x10"\n')
    refused(tmp_path, "check", src, fragment="sequence.size")
    refused(tmp_path, "animate", src, "-o", str(tmp_path / "x.mp4"), fragment="sequence.size")
    src = write_seq(tmp_path, f"duration = 1\nsize = [10, {MAX_SIDE + 1}]\n", "t.toml")
    refused(tmp_path, "check", src, fragment=str(MAX_SIDE))


def test_the_largest_allowed_size_still_loads():
    seq = parse_sequence(f'[sequence]\nduration = 1\nsize = "{MAX_SIDE}x{MAX_SIDE}"\n')
    assert seq.size == (MAX_SIDE, MAX_SIDE)


# --------------------------------------------------------------------------- frames and rates


def test_frame_count_in_the_file_is_limited(tmp_path, no_work):
    src = write_seq(tmp_path, "duration = 3500\nfps = 30\n")
    line = refused(tmp_path, "check", src, fragment="sequence.duration")
    assert str(MAX_FRAMES) in line


@pytest.mark.parametrize(
    "extra",
    [[], ["--start", "0", "--end", "1"], ["--start", "99%"], ["--end", "0.1"]],
    ids=["whole", "start-end", "start", "end"],
)
def test_fps_override_cannot_raise_the_frame_count_past_the_limit(tmp_path, no_work, extra):
    src = write_seq(tmp_path, "duration = 3000\nfps = 30\n")  # 90,000 frames: allowed
    assert load_sequence(src).frames == 90_000
    line = refused(tmp_path, "animate", src, "-o", str(tmp_path / "x.mp4"), "--fps", "60",
                   *extra, fragment=str(MAX_FRAMES))  # fmt: skip
    assert "180000 frames" in line


@pytest.mark.parametrize("fps", ["0", "-1", "241", "1e9", "nan", "inf", "-inf"])
def test_fps_option_out_of_range_is_one_line_exit_2(tmp_path, no_work, fps):
    refused(tmp_path, "animate", DREAM, "-o", str(tmp_path / "x.mp4"), f"--fps={fps}",
            fragment="--fps")  # fmt: skip


@pytest.mark.parametrize("fps", ["0", "-1", "241", "nan", "inf", "1e999"])
def test_fps_in_the_file_out_of_range_is_one_line_exit_2(tmp_path, no_work, fps):
    src = write_seq(tmp_path, f"duration = 1\nfps = {fps}\n")
    refused(tmp_path, "check", src, fragment="sequence.fps")
    refused(tmp_path, "animate", src, "-o", str(tmp_path / "x.gif"), fragment="sequence.fps")


def test_the_limits_themselves_are_allowed(tmp_path, monkeypatch):
    calls = []

    def fake_render_frames(seq, indices, workers=1, progress=None, **_):
        calls.append((seq.fps, list(indices)))
        return iter(())

    monkeypatch.setattr(pipeline, "render_frames", fake_render_frames)
    src = write_seq(tmp_path, "duration = 1\nfps = 240\nsize = [64, 36]\n")
    result = CliRunner().invoke(cli, ["animate", src, "-o", str(tmp_path / "f"), "-q"])
    # no frames came back, so the writer says so -- but the limits let it through
    assert calls == [(240.0, list(range(240)))], result.output
    assert "no frames were rendered" in result.stderr


# --------------------------------------------------------------------------- memory


def test_estimate_frame_bytes_counts_the_surface_and_several_buffers():
    w, h = 1920, 1080
    assert estimate_frame_bytes(w, h) >= w * h * 4 + w * h * 3 * 3
    assert estimate_frame_bytes(2 * w, 2 * h) == 4 * estimate_frame_bytes(w, h)
    assert estimate_frame_bytes(MAX_SIDE, MAX_SIDE) > 2**32  # why the biggest frames can fail


def test_available_memory_is_known_on_this_machine():
    room = units.available_memory()
    assert room is None or room > 0
    if Path("/proc/meminfo").exists():
        assert room is not None


def test_too_many_workers_for_memory_is_refused_with_advice(tmp_path, no_work, monkeypatch):
    each = estimate_frame_bytes(1920, 1080)
    monkeypatch.setattr(units, "available_memory", lambda: int(each * 2.5))
    line = refused(tmp_path, "animate", DREAM, "-o", str(tmp_path / "x.mp4"), "--size",
                   "1080p", "--workers", "8", fragment="memory")  # fmt: skip
    assert "--workers 2" in line and "smaller --size" in line


def test_a_frame_too_big_for_memory_is_refused_for_every_command(tmp_path, no_work, monkeypatch):
    monkeypatch.setattr(units, "available_memory", lambda: 50 * 2**20)
    refused(tmp_path, "animate", DREAM, "-o", str(tmp_path / "x.mp4"), "--size", "4k",
            "--workers", "1", fragment="smaller --size")  # fmt: skip
    refused(tmp_path, "animate", DREAM, "-o", str(tmp_path / "frames"), "--size", "8000x8000",
            fragment="memory")  # fmt: skip
    refused(tmp_path, "still", DREAM, "--at", "0", "-o", str(tmp_path / "x.png"), "--size",
            "4k", fragment="memory")  # fmt: skip


def test_default_workers_are_lowered_to_what_fits(tmp_path, monkeypatch):
    each = estimate_frame_bytes(64, 36)
    monkeypatch.setattr(units, "available_memory", lambda: each * 3)
    monkeypatch.setattr(pipeline, "default_workers", lambda: 16)
    seen = []

    def fake_render_frames(seq, indices, workers=1, progress=None, **_):
        seen.append(workers)
        return iter(())

    monkeypatch.setattr(pipeline, "render_frames", fake_render_frames)
    CliRunner().invoke(cli, ["animate", DREAM, "-o", str(tmp_path / "f"), "--size", "64x36"])
    assert seen == [3]


# --------------------------------------------------------------------------- data, never code


CODE_RUNNERS = re.compile(
    r"(?<![.\w])(eval|exec|compile)\s*\(|pickle\.loads?\b|marshal\.loads?\b|yaml\.(unsafe_)?load\b|"
    r"__import__\s*\(|import_module\s*\(|runpy\.|shelve\.|dill\.|subprocess\.[a-z_]+\([^)]*shell\s*=\s*True"
)
# The one sanctioned use: the pipeline moves a worker's exception (our own object, from our
# own child process) back to the parent. No user data is ever unpickled.
ALLOWED = {("pipeline.py", "pickle.loads"), ("pipeline.py", "pickle.load")}
# Imports of the package's own modules by names written in the code: the built-in layers
# found in render/layers, and the lazily loaded API names of render/__init__.py.
ALLOWED |= {("registry.py", "import_module"), ("__init__.py", "import_module")}


def test_nothing_in_the_renderer_evaluates_or_unpickles_user_data():
    found = []
    for path in sorted((ROOT / "render").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            for m in CODE_RUNNERS.finditer(code):
                word = m.group(0).rstrip("( ")
                if (path.name, word) not in ALLOWED:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "code execution in the renderer:\n" + "\n".join(found)


def test_text_that_looks_like_code_is_just_text(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('os').system('touch {marker}')"
    src = write_seq(
        tmp_path,
        f'duration = 1\ntitle = "{payload}"\n[tracks]\nx = [[0, 1, "{payload}"]]\n',
    )
    with pytest.raises(ConfigError, match="easing"):
        load_sequence(src)
    seq = load_sequence(write_seq(tmp_path, f'duration = 1\ntitle = "{payload}"\n', "t.toml"))
    assert seq.title == payload
    assert not marker.exists()


@pytest.mark.parametrize(
    "palette",
    [
        "../../etc/passwd",
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "/etc/passwd.toml",
        "../../etc/passwd.gpl",
        "notes.toml",  # a TOML file that isn't a palette
        "binary.gpl",  # bytes that aren't text
        "folder.toml",  # a folder with a palette's name
        "s.toml",  # the sequence itself
        "~nobody-at-all/x.toml",
    ],
)
def test_palette_paths_that_are_not_palettes_are_config_errors(tmp_path, palette):
    (tmp_path / "notes.toml").write_text('title = "not a palette"\n')
    (tmp_path / "binary.gpl").write_bytes(bytes(range(256)))
    (tmp_path / "folder.toml").mkdir()
    src = write_seq(tmp_path, f'duration = 1\npalette = "{palette}"\n')
    with pytest.raises(ConfigError) as info:
        load_sequence(src)
    text = str(info.value)
    assert text.startswith(src) and "sequence.palette" in text and "\n" not in text
    result = CliRunner().invoke(cli, ["check", src])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1


def test_palette_paths_resolve_beside_the_sequence_not_the_working_folder(tmp_path, monkeypatch):
    good = (ROOT / "palettes" / "amber.toml").read_text()
    (tmp_path / "seqs").mkdir()
    (tmp_path / "seqs" / "mine.toml").write_text(good)
    src = write_seq(tmp_path / "seqs", 'duration = 1\npalette = "mine.toml"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "mine.toml").write_text("not = 'a palette'\n")
    monkeypatch.chdir(elsewhere)
    assert load_sequence(src).palette.name == "amber"
    assert load_sequence(Path("..") / "seqs" / "s.toml").palette.name == "amber"


def test_a_huge_keyframe_count_still_loads_quickly(tmp_path):
    n = 5000
    keys = ",\n".join(f"  {{ at = {i / n:.6f}, value = {math.sin(i):.3f} }}" for i in range(n))
    src = write_seq(tmp_path, f"duration = 1\n[tracks.x]\nkeys = [\n{keys}\n]\n")
    import time

    t0 = time.perf_counter()
    seq = load_sequence(src)
    assert len(seq.tracks["x"].keys) == n
    assert seq.tracks["x"].keys[-1].line == n + 4
    assert time.perf_counter() - t0 < 5


def test_a_sheet_wider_than_the_limit_is_refused_up_front(tmp_path):
    from click.testing import CliRunner

    from render.cli import cli

    out = tmp_path / "sheet.png"
    result = CliRunner().invoke(
        cli,
        ["sheet", str(ROOT / "sequences" / "dream.toml"), "-o", str(out), "--count", "18",
         "--columns", "18", "--thumb", "1920", "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--columns" in lines[0] and "16384" in lines[0], result.stderr
    assert not out.exists()
