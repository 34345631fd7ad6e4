"""Untrusted input (#14): files that are not files, files far too big, text that would
take minutes to parse or fill a screen, outputs that name the wrong kind of thing.

Each bad input ends with one line (`error: file: key path: what was expected`), exit
status 2, no traceback and nothing written. How long the worst cases take is measured by
bench/bench_parse.py, not here: these tests check what is said, not the clock.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from render.cli import cli
from render.errors import ConfigError
from render.palette import load_palette
from render.sequence import load_sequence
from render.tomlfile import MAX_INPUT_BYTES

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")
GOOD_PALETTE = (ROOT / "palettes" / "neon.toml").read_text()
HEAD = '[sequence]\nduration = 1\nsize = "64x36"\n'


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def refused(*args: str, fragment: str = "", code: int = 2) -> str:
    """Run `render ARGS`: exit `code`, one line on stderr starting `error: ` holding
    `fragment`; returns the line."""
    result = run(*args)
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and fragment in lines[0], lines[0]
    return lines[0]


def write_seq(folder: Path, body: str = "", name: str = "s.toml") -> str:
    path = folder / name
    path.write_text(HEAD + body)
    return str(path)


def _small_address_space() -> None:
    # 2 GiB: ample for the renderer's imports, small enough that an unbounded read of
    # /dev/zero fails in seconds instead of taking the machine's memory.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def render_process(*args: str, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -m render ARGS` as its own process, with a bounded address space and a
    timeout: what must not hang or eat memory is tested where it can't take pytest along."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        return subprocess.run(
            [sys.executable, "-m", "render", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
            preexec_fn=_small_address_space,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"render {' '.join(args)} still running after {timeout} s")


# --------------------------------------------------------------------------- input files


@pytest.mark.slow
def test_a_character_device_is_refused_without_reading_it(tmp_path):
    result = render_process("check", "/dev/zero", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: /dev/zero: is a character device, not a regular file"
    ]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "seq.toml"
    os.mkfifo(fifo)
    result = render_process("check", str(fifo), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "is a named pipe, not a regular file" in result.stderr
    # a palette named by the sequence is read the same way
    os.unlink(fifo)
    os.mkfifo(tmp_path / "pal.toml")
    src = write_seq(tmp_path, 'palette = "pal.toml"\n')
    result = render_process("check", src, cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "sequence.palette" in result.stderr and "named pipe" in result.stderr


def test_a_sequence_over_the_size_limit_is_refused_before_parsing(tmp_path):
    src = tmp_path / "big.toml"
    src.write_text(HEAD + "# padding\n" * (MAX_INPUT_BYTES // 10 + 1))
    line = refused("check", str(src), fragment=f"{src}: ")
    assert "larger than" in line and "MiB" in line
    with pytest.raises(ConfigError, match="larger than"):
        load_sequence(src)


def test_a_palette_over_the_size_limit_is_refused(tmp_path):
    pal = tmp_path / "big.toml"
    pal.write_text(GOOD_PALETTE + "# padding\n" * (MAX_INPUT_BYTES // 10 + 1))
    with pytest.raises(ConfigError, match="larger than"):
        load_palette(pal)
    src = write_seq(tmp_path, 'palette = "big.toml"\n')
    refused("check", src, fragment="sequence.palette")


def test_a_sequence_just_under_the_limit_still_loads(tmp_path):
    pad = "# padding\n" * ((MAX_INPUT_BYTES - len(HEAD) - 100) // 10)
    src = write_seq(tmp_path, pad)
    assert os.path.getsize(src) < MAX_INPUT_BYTES
    assert load_sequence(src).duration == 1


# --------------------------------------------------------------------------- parsing cost
# bench/bench_parse.py times these; here, what they say.

MAX_LINE = 400  # characters: enough to find the mistake, never the whole of a huge key


def test_a_key_of_thousands_of_dotted_parts_is_refused_before_toml_parses_it(tmp_path):
    src = write_seq(tmp_path, "[" + ".".join(["a"] * 50_000) + "]\n")
    line = refused("check", src, fragment=f"{src}:4: ")
    assert "dotted parts" in line and len(line) <= MAX_LINE
    inline = write_seq(tmp_path, "x = { " + ".".join(["b"] * 5_000) + " = 1 }\n", "t.toml")
    assert "dotted parts" in refused("check", inline, fragment=f"{inline}:4: ")
    # a string holding dots is text, not a key
    text = write_seq(tmp_path, 'description = "' + ".".join(["c"] * 500) + '"\n', "u.toml")
    assert load_sequence(text).description.count(".") == 499


def test_a_huge_unknown_key_is_named_in_a_short_line(tmp_path):
    src = write_seq(tmp_path, "k" * (MAX_INPUT_BYTES // 2) + " = 1\n")  # as big as is read
    line = refused("check", src, fragment=f"{src}:4: sequence.kkkk")
    assert "unknown key" in line and len(line) <= MAX_LINE


def test_a_huge_track_name_is_named_in_a_short_line(tmp_path):
    name = "n" * (MAX_INPUT_BYTES // 3)  # three copies fit within what is read
    src = write_seq(
        tmp_path, f'[tracks.{name}]\nkeys = [[0, 1]]\n[[layers]]\ntype = "core"\nsize = "{name}x"\n'
    )
    line = refused("check", src, fragment="layers[0].size")
    assert len(line) <= MAX_LINE
    bad = write_seq(tmp_path, f'[tracks."{name}!"]\nkeys = [[0, 1]]\n', "t.toml")
    line = refused("check", bad, fragment=f"{bad}:4: tracks.")
    assert len(line) <= MAX_LINE


def test_lines_are_found_among_thousands_of_track_tables(tmp_path):
    n = 3000
    body = "".join(f"[tracks.t{i}]\nkeys = [[0, 0.5]]\n" for i in range(n))
    src = write_seq(tmp_path, body + "[tracks.last]\nkeys = [[0, 0.5]]\nbad = 1\n")
    refused("check", src, fragment=f"{src}:{4 + 2 * n + 2}: tracks.last.bad: unknown key")
    seq = load_sequence(write_seq(tmp_path, body, "ok.toml"))
    assert [seq.tracks[f"t{i}"].keys[0].line for i in (0, 1, n - 1)] == [5, 7, 4 + 2 * n - 1]
    inline = "[tracks]\n" + "".join(f"t{i} = [[0, 0.5]]\n" for i in range(n))
    seq = load_sequence(write_seq(tmp_path, inline, "inline.toml"))
    assert [seq.tracks[f"t{i}"].keys[0].line for i in (0, 1, 10, n - 1)] == [5, 6, 15, 4 + n]


@pytest.mark.slow
def test_a_pdf_of_repeated_subject_strings_is_refused_quickly(tmp_path):
    pdf = tmp_path / "out.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"/Subject(" * 8000)
    result = render_process("reproduce", str(pdf), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {pdf}: carries no render record (not made by render, or its metadata was "
        "stripped)"
    ]


# --------------------------------------------------------------------------- palettes

SECRET = "password_is_hunter2"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("creds.toml", f'{SECRET} = "x"\n'),
        ("creds.toml", f'[colors]\n{SECRET} = "#000000"\n'),
        ("creds.toml", GOOD_PALETTE.replace('"#1ae3ff"', f'"{SECRET}"')),
        ("creds.toml", f'name = ["{SECRET}"]\n'),
        ("creds.toml", f'print_safe = "{SECRET}"\n'),
        ("creds.toml", f'colors = "{SECRET}"\n'),
        ("creds.gpl", f"GIMP Palette\n{SECRET}\n"),
        ("creds.gpl", f"GIMP Palette\nColumns: {SECRET}\n"),
    ],
)  # fmt: skip
def test_a_palette_reached_by_path_is_not_quoted(tmp_path, name, text):
    """A sequence may name any .toml or .gpl file as its palette (`../../x.toml`): the
    error says where the mistake is (file, line, what was expected), never what the file
    holds -- it may not be a palette at all."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / name).write_text(text)
    (tmp_path / "seqs").mkdir()
    src = write_seq(tmp_path / "seqs", f'palette = "../elsewhere/{name}"\n')
    line = refused("check", src, fragment="sequence.palette")
    assert SECRET[:4] not in line and "hunter" not in line, line
    assert f"{name}:" in line and line.count(":") >= 3, line  # the palette file, with a line


def test_a_palette_found_by_name_still_quotes_its_mistakes(tmp_path):
    (tmp_path / "palettes").mkdir()
    (tmp_path / "palettes" / "mine.toml").write_text(GOOD_PALETTE.replace("primary", "primery"))
    src = write_seq(tmp_path, 'palette = "mine"\n')
    line = refused("check", src, fragment="colors.primery")
    assert 'did you mean "primary"' in line


@pytest.mark.parametrize(
    "text",
    ["n = " + "9" * 5000 + "\n", "a = " + "[" * 5000 + "]" * 5000 + "\n",
     "a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n"],
    ids=["5000-digits", "nested-arrays", "nested-tables"],
)  # fmt: skip
def test_render_palettes_skips_palettes_that_cannot_be_parsed(tmp_path, monkeypatch, text):
    (tmp_path / "palettes").mkdir()
    (tmp_path / "palettes" / "broken.toml").write_text(text)
    (tmp_path / "palettes" / "mine.toml").write_text(GOOD_PALETTE.replace("neon", "mine"))
    monkeypatch.chdir(tmp_path)
    result = run("palettes")
    assert result.exit_code == 0, result.output
    assert "mine" in result.stdout and "broken" not in result.stdout
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_palette(tmp_path / "palettes" / "broken.toml")


# --------------------------------------------------------------------------- easings


@pytest.mark.parametrize(
    ("ease", "fragment"),
    [("steps(" + "9" * 400 + ")", "steps(n) needs n at most 100000"),
     ("steps(" + "9" * 5000 + ")", "steps(n) needs n at most 100000"),
     ("cubic-bezier(0.1, 1.7e308, 0.2, 1)", "cubic-bezier() needs y1 and y2 within ±100"),
     ("cubic-bezier(0.1, 0, 0.2, -1e300)", "cubic-bezier() needs y1 and y2 within ±100")],
    ids=["steps-400-digits", "steps-5000-digits", "bezier-y-1.7e308", "bezier-y--1e300"],
)  # fmt: skip
def test_easings_whose_numbers_no_frame_could_show_are_refused(tmp_path, ease, fragment):
    src = write_seq(tmp_path, f'[tracks.x]\nkeys = [[0, 0, "{ease}"], [1, 1]]\n')
    line = refused("check", src, fragment=f"{src}:5: tracks.x.keys[0].ease: {fragment}")
    assert len(line) <= MAX_LINE


# --------------------------------------------------------------------------- frame rates and titles


@pytest.mark.parametrize("fps", [0.001, 0.004, 0.3, 0.999, 29.97, 240])
def test_every_allowed_frame_rate_reaches_ffmpeg_as_a_positive_rate(fps):
    from render.ffmpeg import fps_fraction

    rate = fps_fraction(fps)
    assert rate > 0 and abs(float(rate) - fps) / fps < 0.002, rate


@pytest.mark.slow
def test_a_slow_frame_rate_makes_a_video(tmp_path):
    src = write_seq(tmp_path)
    for name in ("slow.mp4", "slow.gif"):
        result = run("animate", src, "-o", str(tmp_path / name), "--fps", "0.001", "-q",
                     "--workers", "1")  # fmt: skip
        assert result.exit_code == 0, result.output
    refused("animate", src, "-o", str(tmp_path / "x.mp4"), "--fps", "0.0001",
            fragment="--fps: expected a frame rate above 0 (at least 0.001)")  # fmt: skip
    (tmp_path / "f.toml").write_text(HEAD.replace("duration = 1", "duration = 1\nfps = 0.0001"))
    refused("check", str(tmp_path / "f.toml"), fragment="sequence.fps: expected a frame rate")
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(
    "title",
    ["a\\u0000b", "x" * 200_000, "two\\nlines", "red \\u001b[31malert"],
    ids=["nul", "200KB", "newline", "escape"],
)
def test_a_title_no_container_can_hold_is_refused_by_the_loader(tmp_path, monkeypatch, title):
    def forbidden(*_a, **_k):
        raise AssertionError("rendering started before the title was checked")

    monkeypatch.setattr("render.pipeline.render_frames", forbidden)
    src = write_seq(tmp_path, f'title = "{title}"\n')
    fragment = f"{src}:4: sequence.title: expected one line of at most 200 characters"
    assert len(refused("check", src, fragment=fragment)) <= MAX_LINE
    refused("animate", src, "-o", str(tmp_path / "x.mp4"), fragment=fragment)
    assert not (tmp_path / "x.mp4").exists()


def test_check_shows_control_characters_as_escapes(tmp_path):
    (tmp_path / "odd.toml").write_text(
        GOOD_PALETTE.replace('name = "neon"', 'name = "odd\\u001b[2J\\nname"')
    )
    src = write_seq(tmp_path, 'title = "fine"\npalette = "odd.toml"\n')
    result = run("check", src)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "palette odd\\x1b[2J\\nname" in result.stdout


# --------------------------------------------------------------------------- small ones


def test_a_byte_order_mark_is_read_like_the_palettes_read_it(tmp_path):
    src = tmp_path / "bom.toml"
    src.write_bytes(b"\xef\xbb\xbf" + (HEAD + "seed = 7\nbad = 1\n").encode())
    refused("check", str(src), fragment=f"{src}:5: sequence.bad: unknown key")
    src.write_bytes(b"\xef\xbb\xbf" + (HEAD + "seed = 7\n").encode())
    assert load_sequence(src).seed == 7
    assert run("check", str(src)).exit_code == 0


@pytest.fixture
def no_ffmpeg(monkeypatch, tmp_path):
    """ffmpeg configured (IMAGEIO_FFMPEG_EXE) to a path where there is none."""
    from render import ffmpeg

    missing = tmp_path / "no" / "ffmpeg"
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(missing))
    ffmpeg.ffmpeg_exe.cache_clear()
    ffmpeg.encoders.cache_clear()
    yield missing
    monkeypatch.undo()
    ffmpeg.ffmpeg_exe.cache_clear()
    ffmpeg.encoders.cache_clear()


@pytest.mark.parametrize("name", ["x.gif", "x.webm", "x.mp4"])
def test_a_missing_ffmpeg_is_named(tmp_path, no_ffmpeg, name):
    src = write_seq(tmp_path)
    args = ("animate", src, "-o", str(tmp_path / name), "-q", "--workers", "1")
    if name.endswith(".gif"):  # written by render itself (#12): no ffmpeg needed
        assert run(*args).exit_code == 0 and (tmp_path / name).is_file()
        return
    line = refused(*args, fragment=f"ffmpeg is not available: {no_ffmpeg}", code=1)
    assert "IMAGEIO_FFMPEG_EXE" in line
    assert not (tmp_path / name).exists() and not list(tmp_path.glob(".x.*"))


# --------------------------------------------------------------------------- output paths

TINY = ["--size", "48x28", "--end", "0.1", "--workers", "1", "-q"]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_an_existing_folder_with_a_video_suffix_is_refused(tmp_path):
    src = write_seq(tmp_path)
    (tmp_path / "clip.mp4").mkdir()
    refused("animate", src, "-o", str(tmp_path / "clip.mp4"), *TINY,
            fragment="clip.mp4: is a folder, but .mp4 is written as a file")  # fmt: skip
    assert list((tmp_path / "clip.mp4").iterdir()) == []


@pytest.mark.parametrize("name", ["clip.mp4/", "clip.gif/", "clip.webm/"])
def test_an_output_ending_in_a_slash_is_a_folder_not_a_file(tmp_path, name):
    src = write_seq(tmp_path)
    refused("animate", src, "-o", str(tmp_path / name[:-1]) + "/", *TINY,
            fragment="ends with /, a folder, but")  # fmt: skip
    assert not (tmp_path / name[:-1]).exists() and leftovers(tmp_path) == []
    refused("still", src, "--at", "0", "-o", str(tmp_path / "still.png") + "/",
            fragment="ends with /, a folder, but")  # fmt: skip
    assert not (tmp_path / "still.png").exists()


def test_an_output_that_is_a_link_to_a_folder_replaces_the_folder_it_names(tmp_path):
    src = write_seq(tmp_path)
    real = tmp_path / "disk" / "frames"
    real.mkdir(parents=True)
    (real / "frame_000009.png").write_bytes(b"old")
    link = tmp_path / "frames"
    link.symlink_to(real, target_is_directory=True)
    result = run("animate", src, "-o", str(link), *TINY)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert sorted(p.name for p in real.iterdir() if p.name.startswith("frame_")) == [
        "frame_000000.png", "frame_000001.png", "frame_000002.png"
    ]  # fmt: skip
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "disk") == []


def test_a_still_that_fails_removes_the_folders_it_made(tmp_path, monkeypatch):
    src = write_seq(tmp_path)

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("PIL.Image.Image.save", full_disk)
    refused("still", src, "--at", "0", "-o", str(tmp_path / "new" / "deep" / "x.png"),
            fragment="No space left", code=1)  # fmt: skip
    refused("sheet", src, "--count", "1", "--thumb", "32", "--workers", "1", "-o",
            str(tmp_path / "new" / "s.png"), fragment="No space left", code=1)  # fmt: skip
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


def test_a_print_still_interrupted_removes_the_folders_it_made(tmp_path, monkeypatch):
    src = write_seq(tmp_path)

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt

    monkeypatch.setattr("render.printing._draw_page", interrupted)
    result = run("still", src, "--at", "0", "--paper", "a4", "--dpi", "10", "-o",
                 str(tmp_path / "new" / "x.pdf"))  # fmt: skip
    assert result.exit_code == 130, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]


# --------------------------------------------------------------------------- resume


def pixels(path: Path):
    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


def test_resume_renders_again_frames_that_are_empty_or_cut_short_and_drops_strays(tmp_path):
    src = write_seq(tmp_path)
    folder = tmp_path / "frames"
    args = ["animate", src, "-o", str(folder), "--size", "48x28", "--end", "0.2", "--workers",
            "1", "-q", "--resume"]  # fmt: skip
    assert run(*args).exit_code == 0
    frames = sorted(folder.glob("frame_*.png"))
    assert len(frames) == 6
    whole = {p.name: pixels(p) for p in frames}
    frames[1].write_bytes(b"")  # a frame a full disk left empty
    frames[2].write_bytes(frames[2].read_bytes()[:100])  # one cut short
    (folder / "frame_000042.png").write_bytes(frames[3].read_bytes())  # not in the range
    result = run(*args[:-2], "--resume")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.glob("frame_*.png")) == sorted(whole)
    for name, expected in whole.items():
        assert (pixels(folder / name) == expected).all(), name
    assert "4 kept from before" in result.stderr, result.stderr


def _live_and_dead_pids() -> tuple[subprocess.Popen, int]:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    return live, dead.pid


def test_resume_leaves_the_temporaries_of_another_living_render_alone(tmp_path):
    """Two --resume runs into one folder: each one's temporaries are named with its process
    id, so the other sees they are in flight -- even in the instant between creating one
    and locking it -- and removes only those of a render that is gone."""
    src = write_seq(tmp_path)
    folder = tmp_path / "frames"
    args = ["animate", src, "-o", str(folder), "--size", "48x28", "--end", "0.2", "--workers",
            "1", "-q", "--resume"]  # fmt: skip
    assert run(*args).exit_code == 0
    (folder / "frame_000005.png").unlink()
    live, dead = _live_and_dead_pids()
    try:
        in_flight = [folder / f".frame_000005.{live.pid}-0123abcd.part.png",
                     folder / f".render.{live.pid}-0123abcd.part"]  # fmt: skip
        abandoned = [folder / f".frame_000005.{dead}-89abcdef.part.png",
                     folder / f".render.{dead}-89abcdef.part"]  # fmt: skip
        for p in in_flight + abandoned:
            p.write_bytes(b"")  # created, not yet locked
        assert run(*args).exit_code == 0
        assert all(p.exists() for p in in_flight)
        assert not any(p.exists() for p in abandoned)
    finally:
        live.kill()
        live.wait()
    assert (folder / "frame_000005.png").exists()


def test_a_new_render_leaves_the_temporaries_of_a_living_one_alone(tmp_path):
    from render import atomic

    out = tmp_path / "clip.png"
    live, dead = _live_and_dead_pids()
    try:
        mine = tmp_path / f".clip.{live.pid}-0123abcd.part.png"
        gone = tmp_path / f".clip.{dead}-89abcdef.part.png"
        mine.write_bytes(b"")
        gone.write_bytes(b"")
        assert atomic.sweep_abandoned(out) == [gone]
        assert mine.exists()
    finally:
        live.kill()
        live.wait()
    tmp = atomic.temp_sibling(out, "part", ".png")
    assert tmp.name.startswith(f".clip.{os.getpid()}-")
    assert not atomic.is_abandoned(tmp)
    atomic.remove(tmp)


# --------------------------------------------------------------------------- reproduce


def test_reproducing_one_frame_of_a_folder_says_to_reproduce_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = write_seq(tmp_path)
    assert run("animate", src, "-o", "frames", *TINY).exit_code == 0
    frame = str(Path("frames") / "frame_000001.png")
    fragment = f"{frame}: is one frame of the PNG folder frames; reproduce the folder"
    line = refused("reproduce", frame, fragment=fragment)
    assert "render reproduce frames" in line
    refused("reproduce", frame, "-o", "one.png", fragment=fragment)
    assert not Path("one.png").exists()
    Path("elsewhere").mkdir()
    moved = Path("elsewhere") / "f.png"
    moved.write_bytes(Path(frame).read_bytes())  # a frame copied out: its folder is recorded
    refused("reproduce", str(moved), fragment=f"{moved}: is one frame of the PNG folder ")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_reproduce_refuses_what_is_not_a_file_or_folder(tmp_path):
    os.mkfifo(tmp_path / "x.png")
    result = render_process("reproduce", str(tmp_path / "x.png"), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "is a named pipe, not a regular file" in result.stderr


# --------------------------------------------------------------------------- parameter ranges


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('[[layers]]\ntype = "core"\nsize = 0\n', "layers[0].size: expected a number in 0.05..3"),
        ('[[layers]]\ntype = "core"\nsize = -1\n', "layers[0].size: expected a number in"),
        ('[[layers]]\ntype = "core"\nsize = 1e6\n', "layers[0].size: expected a number in"),
        ('[[layers]]\ntype = "core"\nerratic = 1e6\n', "layers[0].erratic: expected a number"),
        ('[[layers]]\ntype = "whispers"\nwhisper = 1e6\n', "layers[0].whisper: expected a"),
        ('[tracks.s]\nkeys = [[0, 1], [1, -0.5]]\n[[layers]]\ntype = "core"\nsize = "s"\n',
         "tracks.s: reaches -0.5 after the keyframe at 1 s, outside 0.05..3 for layers[0].size"),
        ('[tracks.s]\nkeys = [[0, 3, "out-back"], [1, 0.05]]\n[[layers]]\ntype = "core"\n'
         'size = "s"\n', "with out-back easing after the keyframe at 0 s, outside 0.05..3"),
        ('[tracks.s]\nkeys = [[0, 0.1, "cubic-bezier(0, 99, 1, 1)"], [1, 1]]\n[[layers]]\n'
         'type = "core"\nsize = "s"\n', "outside 0.05..3 for layers[0].size (core)"),
        ("[tracks.erratic]\nkeys = [[0, 0], [1, 1e6]]\n",
         "reaches 1e+06 after the keyframe at 1 s, outside 0..1 for layers[0].erratic (chamber)"),
    ],
    ids=["size-0", "size-negative", "size-1e6", "erratic-1e6", "whisper-1e6", "track-below",
         "out-back-overshoot", "bezier-overshoot", "story-track-1e6"],
)  # fmt: skip
def test_values_a_layer_cannot_draw_are_refused_by_check(tmp_path, body, fragment):
    """Every parameter has a range: `check` refuses constants and tracks (overshooting
    easings included) outside it, so no render meets them."""
    refused("check", write_seq(tmp_path, body), fragment=fragment)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_folder_whose_manifest_is_a_pipe_is_not_waited_on(tmp_path):
    (tmp_path / "frames").mkdir()
    os.mkfifo(tmp_path / "frames" / ".render.json")
    result = render_process("reproduce", str(tmp_path / "frames"), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "carries no render record" in result.stderr
