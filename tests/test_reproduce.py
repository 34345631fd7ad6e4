"""Provenance: every output records its seed, the sequence's hash, the tool's version, the
arguments and the working folder; `render reproduce OUT` reads that back, checks the
inputs are unchanged, and makes the same output again."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from render import __version__
from render.cli import cli
from render.formats.gif import read_gif_comments
from render.provenance import pdf_metadata, read_record

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--size", "48x28", "--start", "10", "--end", "10.2", "--workers", "1", "-q"]


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A working folder holding a copy of the dream, as `sequences/dream.toml`."""
    (tmp_path / "sequences").mkdir()
    shutil.copy(ROOT / "sequences" / "dream.toml", tmp_path / "sequences" / "dream.toml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    return result


def pixels(path: Path) -> list[np.ndarray]:
    if path.is_dir():
        return [np.asarray(Image.open(p).convert("RGB")) for p in sorted(path.glob("frame_*"))]
    if path.suffix in (".png", ".gif"):
        im = Image.open(path)
        out = []
        for k in range(getattr(im, "n_frames", 1)):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
        return out
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    return [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]


def same_pixels(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) > 0 and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


OUTPUTS = {
    "mp4": ["animate", "sequences/dream.toml", "-o", "out/clip.mp4", *TINY],
    "webm": ["animate", "sequences/dream.toml", "-o", "out/clip.webm", *TINY],
    "gif": ["animate", "sequences/dream.toml", "-o", "out/clip.gif", *TINY],
    "mov": ["animate", "sequences/dream.toml", "-o", "out/clip.mov", *TINY],
    "apng": ["animate", "sequences/dream.toml", "-o", "out/clip.apng", *TINY],
    "webp": ["animate", "sequences/dream.toml", "-o", "out/clip.webp", *TINY],
    # 64 wide: the bundled x265 corrupts its heap on some tiny frames (48x28, 40x24)
    "hevc": ["animate", "sequences/dream.toml", "-o", "out/clip.mp4", "--codec", "hevc",
             *TINY, "--size", "64x36"],
    "av1": ["animate", "sequences/dream.toml", "-o", "out/clip.mp4", "--codec", "av1", *TINY],
    "folder": ["animate", "sequences/dream.toml", "-o", "out/frames", *TINY],
    "still": ["still", "sequences/dream.toml", "--at", "60%", "--size", "48x28", "-o",
              "out/still.png", "--seed", "7", "-q"],
    "sheet": ["sheet", "sequences/dream.toml", "-o", "out/sheet.png", "--count", "2",
              "--thumb", "32", "--workers", "1", "-q"],
}  # fmt: skip


def output_of(args: list[str]) -> Path:
    return Path(args[args.index("-o") + 1])


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_every_output_carries_the_record(here, kind):
    args = OUTPUTS[kind]
    assert run(*args).exit_code == 0
    record = read_record(output_of(args))
    digest = hashlib.sha256((here / "sequences" / "dream.toml").read_bytes()).hexdigest()
    assert record["SequenceSHA256"] == digest
    assert record["Sequence"] == "sequences/dream.toml"
    assert record["Seed"] == ("7" if kind == "still" else "1117")
    assert record["Version"] == __version__ and __version__ in record["Software"]
    assert json.loads(record["Arguments"]) == args
    assert record["Cwd"] == str(here)
    assert len(record["PaletteSHA256"]) == 64


def test_the_gif_record_is_a_comment_extension(here):
    args = OUTPUTS["gif"]
    assert run(*args).exit_code == 0
    gif = output_of(args)
    data = gif.read_bytes()
    assert data.index(b"\x21\xfe") < data.index(b"\x21\xf9")  # before the first frame
    (comment,) = read_gif_comments(gif)
    assert json.loads(comment)["Arguments"] == json.dumps(args)
    with Image.open(gif) as im:  # other readers see it too, and the GIF still loops
        assert json.loads(im.info["comment"])["Seed"] == "1117"
        assert im.info["loop"] == 0 and im.n_frames == 6


def test_a_png_folder_has_a_manifest_and_text_in_every_frame(here):
    args = OUTPUTS["folder"]
    assert run(*args).exit_code == 0
    folder = output_of(args)
    manifest = json.loads((folder / ".render.json").read_text())
    assert manifest["identity"]["seed"] == 1117 and manifest["identity"]["size"] == [48, 28]
    assert manifest["record"]["Arguments"] == json.dumps(args)
    for frame in folder.glob("frame_*.png"):
        assert Image.open(frame).text["SequenceSHA256"] == manifest["identity"]["sequence_sha256"]


@pytest.mark.parametrize("kind", ["mp4", "folder"])
def test_a_moved_output_is_reproduced_where_it_now_is(here, kind):
    args = OUTPUTS[kind]
    assert run(*args).exit_code == 0
    out = output_of(args)
    before = pixels(out)
    moved = here / "moved" / out.name
    moved.parent.mkdir()
    shutil.move(out, moved)
    result = run("reproduce", str(moved))
    assert result.exit_code == 0, result.output
    assert not out.exists()  # not written back to where it was first rendered
    after = pixels(moved)
    assert same_pixels(after, before)


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_reproduce_rewrites_the_output_identically(here, kind, monkeypatch):
    args = OUTPUTS[kind]
    assert run(*args).exit_code == 0
    out = output_of(args)
    before = pixels(out)
    record = read_record(out)
    elsewhere = here / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # reproduce works from any folder
    result = run("reproduce", str(here / out))
    assert result.exit_code == 0, result.output
    after = pixels(here / out)
    assert same_pixels(after, before)
    assert read_record(here / out) == record  # the same command, so the same record
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("kind", ["mp4", "gif", "still"])
def test_reproduce_to_another_path(here, kind):
    args = OUTPUTS[kind]
    assert run(*args).exit_code == 0
    out = output_of(args)
    stamp = out.stat().st_mtime_ns
    other = here / "copy" / f"again{out.suffix}"
    result = run("reproduce", str(out), "-o", str(other))
    assert result.exit_code == 0, result.output
    assert out.stat().st_mtime_ns == stamp
    before, after = pixels(out), pixels(other)
    assert same_pixels(after, before)


def refused(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_reproduce_refuses_when_the_sequence_changed(here):
    args = OUTPUTS["mp4"]
    assert run(*args).exit_code == 0
    out = output_of(args)
    seq = here / "sequences" / "dream.toml"
    old = hashlib.sha256(seq.read_bytes()).hexdigest()
    seq.write_text(seq.read_text().replace("seed = 1117", "seed = 1118"))
    new = hashlib.sha256(seq.read_bytes()).hexdigest()
    stamp = out.stat().st_mtime_ns
    line = refused(
        run("reproduce", str(out)),
        "sequences/dream.toml has changed since",
        f"sha256 now {new[:12]}",
        old[:12],
    )
    assert str(out) in line
    assert out.stat().st_mtime_ns == stamp


def test_reproduce_refuses_when_the_sequence_is_gone(here):
    args = OUTPUTS["folder"]
    assert run(*args).exit_code == 0
    (here / "sequences" / "dream.toml").unlink()
    refused(run("reproduce", "out/frames"), "sequences/dream.toml", "missing")


def test_reproduce_refuses_when_the_palette_changed(here, tmp_path):
    seq = here / "sequences" / "dream.toml"
    shutil.copy(ROOT / "palettes" / "neon.toml", here / "sequences" / "mine.toml")
    seq.write_text(seq.read_text().replace('palette = "neon"', 'palette = "mine.toml"'))
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    pal = here / "sequences" / "mine.toml"
    pal.write_text(pal.read_text().replace("#ff2340", "#ff2341"))
    refused(run("reproduce", str(output_of(args))), "mine.toml has changed")


def test_reproduce_refuses_outputs_without_a_record(here):
    Image.new("RGB", (8, 8)).save(here / "plain.png")
    refused(run("reproduce", "plain.png"), "plain.png", "no render record")
    (here / "notes.txt").write_text("hi")
    refused(run("reproduce", "notes.txt"), "notes.txt", "can't read a render record")
    refused(run("reproduce", "nothing-here.mp4"), "no such file")


def test_reproduce_refuses_another_version(here, monkeypatch):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    monkeypatch.setattr("render.provenance.__version__", "99.0")
    refused(run("reproduce", str(output_of(args))), "rendered by", __version__, "99.0")


def test_the_pdf_hook_carries_the_whole_record(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    record = read_record(output_of(args))
    meta = pdf_metadata(record)
    assert json.loads(meta["subject"]) == record and meta["creator"] == record["Software"]


@pytest.mark.parametrize("suffix", [".pdf", ".svg"])
def test_print_outputs_carry_the_record_and_reproduce(here, suffix):
    pytest.importorskip("render.printing")
    out = f"out/page{suffix}"
    args = ["still", "sequences/dream.toml", "--at", "50%", "-o", out, "--size", "4x3cm",
            "--dpi", "40", "-q"]  # fmt: skip
    result = run(*args)
    if result.exit_code != 0:
        pytest.skip(f"print output unavailable here: {result.output}")
    record = read_record(out)
    assert json.loads(record["Arguments"]) == args and record["Seed"] == "1117"
    result = run("reproduce", out)
    assert result.exit_code == 0, result.output
    assert read_record(out) == record


def test_pdf_strings_in_every_form_are_read():
    from render.provenance import _pdf_string

    assert _pdf_string(b"/Subject (a\\(b\\) \\101\\\\ (nested))", 8) == b"a(b) A\\ (nested)"
    assert _pdf_string(b"/Subject <FEFF0041 0042>", 8) == b"\xfe\xff\x00A\x00B"
    assert _pdf_string(b"/Subject /Name", 8) is None


# --------------------------------------------------------------------------- tampered records


def tamper_png(path: Path, **changes: str) -> None:
    """Rewrite a PNG's provenance record (every text chunk and the JSON comment)."""
    from PIL.PngImagePlugin import PngInfo

    with Image.open(path) as im:
        im.load()
        record = json.loads(im.text["comment"])
        record.update(changes)
        info = PngInfo()
        for key, value in record.items():
            info.add_text(key, value)
        info.add_text("comment", json.dumps(record))
        im.save(path, pnginfo=info)


def tamper_video(path: Path, **changes: str) -> None:
    import subprocess

    record = read_record(path)
    record.update(changes)
    tmp = path.with_name("tampered" + path.suffix)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(path), "-c", "copy",
         "-metadata", f"comment={json.dumps(record)}", str(tmp)],
        check=True,
    )  # fmt: skip
    tmp.replace(path)


def tamper_folder(path: Path, **changes: str) -> None:
    manifest_path = path / ".render.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["record"].update(changes)
    manifest_path.write_text(json.dumps(manifest))


TAMPER = {"still": tamper_png, "mp4": tamper_video, "folder": tamper_folder}


@pytest.mark.parametrize("kind", list(TAMPER))
def test_a_record_naming_a_second_output_writes_nowhere(here, kind):
    args = OUTPUTS[kind]
    assert run(*args).exit_code == 0
    out = output_of(args)
    victim = here / "victim.txt"
    victim.write_text("precious")
    stamp = out.stat().st_mtime_ns
    TAMPER[kind](out, Arguments=json.dumps([*args, "-o", "victim.txt"]))
    stamp = out.stat().st_mtime_ns
    refused(run("reproduce", str(out)), str(out), "more than one output")
    assert victim.read_text() == "precious"
    assert out.stat().st_mtime_ns == stamp
    # and with an explicit -o, the record's second output is still not obeyed
    refused(run("reproduce", str(out), "-o", "elsewhere.png"), "more than one output")
    assert victim.read_text() == "precious" and not (here / "elsewhere.png").exists()


def test_a_record_hiding_the_output_in_bundled_flags_is_refused(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    out = output_of(args)
    victim = here / "victim.png"
    victim.write_bytes(b"precious")
    tamper_png(out, Arguments=json.dumps([*args[:-1], "-qovictim.png"]))
    refused(run("reproduce", str(out)), "more than one output")
    assert victim.read_bytes() == b"precious"


def test_a_record_never_runs_reproduce_or_other_commands(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    out = output_of(args)
    tamper_png(out, Arguments=json.dumps(["reproduce", str(out), "-o", str(out)]))
    refused(run("reproduce", str(out)), "reproduce", "only animate, still, sheet")
    tamper_png(out, Arguments=json.dumps(["palettes"]))
    refused(run("reproduce", str(out)), "palettes")


def test_a_record_whose_arguments_name_another_sequence_is_refused(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    out = output_of(args)
    shutil.copy(ROOT / "sequences" / "calm.toml", here / "sequences" / "calm.toml")
    other = [a if a != "sequences/dream.toml" else "sequences/calm.toml" for a in args]
    tamper_png(out, Arguments=json.dumps(other))
    stamp = out.stat().st_mtime_ns
    refused(run("reproduce", str(out)), "calm.toml", "not the sequence its record names")
    assert out.stat().st_mtime_ns == stamp


def test_a_record_with_unparsable_arguments_is_refused(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    out = output_of(args)
    tamper_png(out, Arguments=json.dumps([*args, "--no-such-flag"]))
    refused(run("reproduce", str(out)), "not a valid `render still` command")
    tamper_png(out, Arguments=json.dumps([*args, "--help"]))
    refused(run("reproduce", str(out)), "not a valid `render still` command")


def test_reproduce_prints_the_command_it_runs(here):
    args = OUTPUTS["still"]
    assert run(*args).exit_code == 0
    other = here / "copy.png"
    result = run("reproduce", str(output_of(args)), "-o", str(other))
    assert result.exit_code == 0, result.output
    assert f"-o {other}" in result.stderr and other.exists()


@pytest.mark.parametrize(
    ("command", "suffix"),
    [("animate", ".mp4"), ("animate", ".gif"), ("still", ".png"), ("still", ".pdf"),
     ("sheet", ".png")],
)  # fmt: skip
def test_an_output_that_is_the_sequence_is_refused(here, command, suffix):
    seq = here / f"seq{suffix}"
    shutil.copy(ROOT / "sequences" / "dream.toml", seq)
    before = seq.read_bytes()
    extra = {"animate": TINY, "still": ["--at", "1", "--size", "48x28"], "sheet": ["--count", "1"]}
    refused(run(command, str(seq), "-o", str(seq), *extra[command]), "is the input file")
    assert seq.read_bytes() == before
