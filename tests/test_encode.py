"""render.encode against the real bundled ffmpeg: write, decode what was written, compare."""

from __future__ import annotations

import os
import re
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from render import encode, ffmpeg
from render.encode import FORMATS, check_size, format_for, open_writer, write_png
from render.errors import RenderError

W, H = 96, 54
N = 12


def pattern(i: int, w: int = W, h: int = H) -> np.ndarray:
    """Moving gradient on a dark ground plus a saturated neon bar, different every frame."""
    yy, xx = np.mgrid[0:h, 0:w]
    f = np.zeros((h, w, 3), np.uint8)
    f[..., 0] = (xx * 200 // w + i * 9) % 200
    f[..., 1] = 20
    f[..., 2] = 40 + yy * 180 // h
    x0 = (i * 6) % (w - 16)
    f[h // 3 : h // 3 + 12, x0 : x0 + 16] = (255, 0, 200)  # magenta: shows matrix/swap errors
    f[2 * h // 3 :, :16] = (0, 230, 255)  # cyan, static
    return f


def write_all(path: Path, n: int = N, fps: float = 24, **kw) -> list[np.ndarray]:
    frames = [pattern(i) for i in range(n)]
    with open_writer(path, (W, H), fps, **kw) as w:
        for f in frames:
            w.write(f)
    assert w.frames_written == n
    return frames


def decode(path: Path) -> tuple[dict, list[np.ndarray]]:
    gen = imageio_ffmpeg.read_frames(str(path))
    meta = next(gen)
    w, h = meta["size"]
    frames = [np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in gen]
    return meta, frames


def mean_abs_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def ffmpeg_info(path: Path) -> str:
    """`ffmpeg -i file` prints the container metadata on stderr (ffprobe isn't bundled)."""
    r = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True,
        text=True,
    )
    return r.stderr


def top_level_boxes(path: Path) -> list[str]:
    data = path.read_bytes()
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            size = len(data) - pos
        assert size >= 8, f"corrupt box at {pos}"
        boxes.append(kind.decode("latin-1"))
        pos += size
    assert pos == len(data)
    return boxes


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- format_for


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("out.mp4", "mp4"),
        ("OUT.MP4", "mp4"),
        ("a/b/loop.gif", "gif"),
        ("clip.webm", "webm"),
        ("frames", "png"),
        ("renders/take2", "png"),
    ],
)
def test_format_for_by_suffix(name: str, fmt: str) -> None:
    assert format_for(Path(name)) == fmt
    assert fmt in FORMATS


def test_format_for_existing_directory_with_a_dot(tmp_path: Path) -> None:
    d = tmp_path / "take.v2"
    with pytest.raises(RenderError):
        format_for(d)  # not there yet: ".v2" is an unknown suffix
    d.mkdir()
    assert format_for(d) == "png"


def test_format_for_unknown_suffix_message() -> None:
    with pytest.raises(RenderError) as e:
        format_for(Path("out.avi"))
    assert str(e.value) == (
        'out.avi: unknown output format ".avi"; use .mp4, .gif, .webm, .mov, .apng, .webp '
        "or a folder"
    )


@pytest.mark.parametrize("name", ["still.png", "clip.mkv", "x.jpeg"])
def test_format_for_rejects_other_suffixes(name: str) -> None:
    with pytest.raises(RenderError, match="unknown output format"):
        format_for(Path(name))


# --------------------------------------------------------------------------- sizes, fps


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
@pytest.mark.parametrize("size", [(481, 270), (480, 271)])
def test_check_size_yuv420_needs_even(fmt: str, size: tuple[int, int]) -> None:
    with pytest.raises(RenderError) as e:
        check_size(fmt, *size)
    msg = str(e.value)
    label = {"mp4": "MP4", "webm": "WebM"}[fmt]  # as the format names itself
    assert msg.startswith(f"{label} needs an even width and height (yuv420p)")
    assert f"got {size[0]}x{size[1]}" in msg


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_size_accepts(fmt: str) -> None:
    check_size(fmt, 480, 270)
    if fmt in ("gif", "png", "apng", "webp"):
        check_size(fmt, 481, 271)  # no chroma subsampling (or libwebp's own): odd is fine


def test_check_size_rejects_empty() -> None:
    with pytest.raises(RenderError, match="positive"):
        check_size("png", 0, 10)


def test_odd_mp4_fails_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "odd.mp4"
    with pytest.raises(RenderError, match="481x270"):
        with open_writer(out, (481, 270), 30):
            pytest.fail("the with-block must not run")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fps", "arg"),
    [(30, "30"), (24.0, "24"), (29.97, "30000/1001"), (23.976, "24000/1001"),
     (59.94, "60000/1001"), (12.5, "25/2"), (Fraction(15, 2), "15/2")],
)  # fmt: skip
def test_fps_is_passed_as_exact_rational(fps: float, arg: str) -> None:
    assert ffmpeg.fps_arg(encode._check_fps("mp4", fps)) == arg


@pytest.mark.parametrize("fps", [0, -1, float("nan"), float("inf"), "fast"])
def test_bad_fps(tmp_path: Path, fps) -> None:
    with pytest.raises(RenderError, match="frame rate"):
        with open_writer(tmp_path / "x.mp4", (W, H), fps):
            pass
    assert list(tmp_path.iterdir()) == []


def test_gif_refuses_fps_browsers_cannot_play(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="GIF can't play faster than 50 fps"):
        with open_writer(tmp_path / "x.gif", (W, H), 60):
            pass


def test_wrong_frame_shape_is_a_bug_not_a_render_error(tmp_path: Path) -> None:
    out = tmp_path / "x.mp4"
    with pytest.raises(ValueError, match=r"\(54, 96, 3\)"):
        with open_writer(out, (W, H), 24) as w:
            w.write(np.zeros((W, H, 3), np.uint8))  # transposed
    with pytest.raises(ValueError, match="uint8"):
        with open_writer(out, (W, H), 24) as w:
            w.write(np.zeros((H, W, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- MP4


def test_mp4_roundtrip(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "er" / "dream.mp4"  # parents are created
    src = write_all(out, n=15, fps=29.97, metadata={"comment": "seed=7; neon dream", "title": "T"})
    assert sorted(os.listdir(out.parent)) == ["dream.mp4"]

    meta, frames = decode(out)
    assert meta["codec"].startswith("h264")
    assert meta["pix_fmt"].startswith("yuv420p")
    # ffmpeg prints one "bt709" only when matrix, primaries and transfer are all bt709
    assert re.match(r"yuv420p\(tv, bt709[,)]", meta["pix_fmt"]), meta["pix_fmt"]
    assert tuple(meta["size"]) == (W, H)
    assert meta["fps"] == pytest.approx(30000 / 1001, abs=0.01)
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == 15
    assert len(frames) == 15
    for s, d in zip(src, frames, strict=True):
        assert mean_abs_err(s, d) < 4, "decoded frame differs: wrong order, channels or matrix?"
    # saturated magenta survives the RGB -> BT.709 YUV -> RGB trip (no 601/709 mismatch)
    patch = frames[0][H // 3 + 3 : H // 3 + 9, 3:13].reshape(-1, 3).mean(0)
    assert np.abs(patch - (255, 0, 200)).max() < 8

    # ...and the YUV really is BT.709: luma of that magenta is 75 (BT.601 would give 101)
    y_plane = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(out), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
        capture_output=True, check=True,
    ).stdout[: W * H]  # fmt: skip
    luma = np.frombuffer(y_plane, np.uint8).reshape(H, W)[H // 3 + 3 : H // 3 + 9, 3:13]
    assert abs(float(luma.mean()) - 75) < 3

    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # +faststart

    info = ffmpeg_info(out)
    assert re.search(r"^\s*comment\s*: seed=7; neon dream$", info, re.M), info
    assert re.search(r"^\s*title\s*: T$", info, re.M), info


def test_mp4_crf_changes_quality(tmp_path: Path) -> None:
    hi, lo = tmp_path / "hi.mp4", tmp_path / "lo.mp4"
    write_all(hi, crf=10, preset="ultrafast")
    write_all(lo, crf=45, preset="ultrafast")
    assert hi.stat().st_size > 2 * lo.stat().st_size


# --------------------------------------------------------------------------- WebM


def test_webm_roundtrip(tmp_path: Path) -> None:
    out = tmp_path / "dream.webm"
    src = write_all(out, n=10, fps=25, metadata={"comment": "hello"})
    meta, frames = decode(out)
    assert meta["codec"].startswith("vp9")
    assert tuple(meta["size"]) == (W, H)
    assert meta["fps"] == pytest.approx(25)
    assert len(frames) == 10
    for s, d in zip(src, frames, strict=True):
        assert mean_abs_err(s, d) < 6
    assert re.search(r"^\s*COMMENT\s*: hello$", ffmpeg_info(out), re.M | re.I)
    assert os.listdir(tmp_path) == ["dream.webm"]


def test_webm_falls_back_to_vp8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ffmpeg, "encoders", lambda: frozenset({"libvpx", "libx264"}))
    out = tmp_path / "vp8.webm"
    write_all(out, n=6)
    meta, frames = decode(out)
    assert meta["codec"].startswith("vp8")
    assert len(frames) == 6


def test_webm_without_vpx_is_a_render_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ffmpeg, "encoders", lambda: frozenset({"libx264"}))
    with pytest.raises(RenderError, match="no VP9 or VP8"):
        write_all(tmp_path / "x.webm")
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- more formats


def probe(path: Path) -> dict:
    """Codec, size and frame rate from the stream line of `ffmpeg -i` (ffprobe isn't
    bundled with imageio-ffmpeg), and the frame count from decoding."""
    line = next(ln for ln in ffmpeg_info(path).splitlines() if "Video:" in ln)
    m = re.search(r"Video: (\w+)(?: \((\w+)\))?", line)
    size = re.search(r", (\d+)x(\d+)", line)
    fps = re.search(r", ([\d.]+) fps", line)
    assert m and size and fps, line
    _, frames = decode(path)
    return {
        "codec": m.group(1), "profile": m.group(2), "pix_fmt": line.split(", ")[1].split("(")[0],
        "size": (int(size.group(1)), int(size.group(2))), "fps": float(fps.group(1)),
        "frames": len(frames), "pixels": frames,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "options", "codec", "profile", "pix_fmt", "bound"),
    [
        ("x.mov", {}, "prores", "HQ", "yuv422p10le", 4.0),
        ("x.apng", {}, "apng", None, "rgb24", 0.0),  # lossless
        ("x.webp", {}, "webp_anim", None, "argb", 4.0),
        ("hevc.mp4", {"codec": "hevc"}, "hevc", "Main", "yuv420p", 4.0),
        ("av1.mp4", {"codec": "av1"}, "av1", None, "yuv420p", 4.0),
        ("h264.mp4", {"codec": "h264"}, "h264", "High", "yuv420p", 4.0),
    ],
)
def test_more_formats_probe_and_decode_as_written(
    tmp_path: Path, name, options, codec, profile, pix_fmt, bound
) -> None:
    out = tmp_path / name
    src = write_all(out, n=N, fps=25, options=options)
    info = probe(out)
    assert info["codec"] == codec and info["pix_fmt"] == pix_fmt, info
    if profile:
        assert info["profile"] == profile
    assert info["size"] == (W, H) and info["fps"] == 25 and info["frames"] == N
    for s, d in zip(src, info["pixels"], strict=True):
        assert mean_abs_err(s, d) <= bound
    assert os.listdir(tmp_path) == [name]


def test_an_unknown_codec_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="--codec: expected one of h264, hevc, av1"):
        write_all(tmp_path / "x.mp4", options={"codec": "vp9"})
    assert list(tmp_path.iterdir()) == []


def test_apng_and_webp_carry_the_comment(tmp_path: Path) -> None:
    from render.formats.webp import read_xmp_text

    text = '{"Arguments": "[]", "Title": "d\u00e9j\u00e0 <vu> & \\"}'
    write_all(tmp_path / "x.apng", n=2, metadata={"comment": text})
    write_all(tmp_path / "x.webp", n=2, metadata={"comment": text})
    with Image.open(tmp_path / "x.apng") as im:
        assert im.text["comment"] == text and im.n_frames == 2
    assert read_xmp_text((tmp_path / "x.webp").read_bytes()) == text
    with Image.open(tmp_path / "x.webp") as im:  # still a valid animated WebP
        assert im.n_frames == 2 and "xmp" in im.info


# --------------------------------------------------------------------------- GIF


@pytest.mark.parametrize("fps", [20, 30, 12.5])
def test_gif_frames_timing_loop(tmp_path: Path, fps: float) -> None:
    out = tmp_path / "loop.gif"
    src = write_all(out, n=N, fps=fps)
    assert os.listdir(tmp_path) == ["loop.gif"]  # intermediate and palette cleaned up
    with Image.open(out) as im:
        assert im.format == "GIF"
        assert im.size == (W, H)
        assert im.n_frames == N
        assert im.info["loop"] == 0
        durations, frames = [], []
        for k in range(im.n_frames):
            im.seek(k)
            durations.append(im.info["duration"])
            frames.append(np.asarray(im.convert("RGB")))
    assert np.mean(durations) == pytest.approx(1000 / fps, abs=10)
    assert all(d >= 20 for d in durations)  # browsers slow <2 cs delays down to 100 ms
    for s, d in zip(src, frames, strict=True):
        assert mean_abs_err(s, d) < 3


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255**2 / max(mse, 1e-10))


def gif_frames(path: Path) -> list[np.ndarray]:
    """Every frame as a viewer shows it (Pillow composites the partial frames)."""
    with Image.open(path) as im:
        out = []
        for k in range(im.n_frames):
            im.seek(k)
            out.append(np.asarray(im.convert("RGB")))
    return out


def gif_images(path: Path) -> list[dict]:
    """Each image's rectangle, colour-table size and its Graphic Control Extension."""
    data, images, gce = path.read_bytes(), [], {}
    pos = 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)

    def skip_sub_blocks(at: int) -> int:
        while data[at]:
            at += data[at] + 1
        return at + 1

    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            if data[pos + 1] == 0xF9:
                packed, delay, index = struct.unpack("<BHB", data[pos + 3 : pos + 7])
                gce = {"disposal": packed >> 2 & 7, "delay": delay,
                       "transparent": index if packed & 1 else None}  # fmt: skip
            pos = skip_sub_blocks(pos + 2)
        else:
            assert data[pos] == 0x2C, f"unexpected block {data[pos]:#x} at {pos}"
            x, y, w, h, packed = struct.unpack("<HHHHB", data[pos + 1 : pos + 10])
            table = 2 ** ((packed & 7) + 1) if packed & 0x80 else 0
            images.append({"box": (x, y, w, h), "table": table, **gce})
            pos = skip_sub_blocks(pos + 10 + 3 * table + 1)
    return images


def test_gif_decodes_close_to_its_source_and_still_pixels_stay_put(tmp_path: Path) -> None:
    out = tmp_path / "close.gif"
    src = write_all(out, n=N, fps=15)
    shown = gif_frames(out)
    assert len(shown) == N
    for s, d in zip(src, shown, strict=True):
        assert psnr(s, d) > 30
    # the cyan block never moves in the source: not one of its pixels may crawl
    still = [d[2 * H // 3 :, :16] for d in shown]
    for d in still[1:]:
        np.testing.assert_array_equal(d, still[0])


def test_gif_frames_carry_only_what_changed(tmp_path: Path) -> None:
    out = tmp_path / "crop.gif"
    base = np.zeros((H, W, 3), np.uint8)  # few colours: every palette holds them exactly,
    base[:, W // 2 :] = (40, 0, 90)  # so nothing outside the mark can get any closer
    base[H // 2 :, : W // 3] = (0, 230, 255)
    moved = base.copy()
    moved[5:9, 70:80] = (255, 255, 0)  # a small yellow mark appears
    with open_writer(out, (W, H), 10) as w:
        for f in (base, base, moved, moved):
            w.write(f)
    images = gif_images(out)
    assert len(images) == 4
    assert images[0]["box"] == (0, 0, W, H)
    assert images[1]["box"] == (0, 0, 1, 1)  # nothing changed: one transparent pixel
    assert images[2]["box"] == (70, 5, 10, 4)  # just the mark
    assert images[3]["box"] == (0, 0, 1, 1)
    assert all(i["disposal"] == 1 and i["transparent"] is not None for i in images)
    assert [i["delay"] for i in images] == [10, 10, 10, 10]
    shown = gif_frames(out)
    assert psnr(moved, shown[3]) > 35
    np.testing.assert_array_equal(shown[2][5:9, 70:80], np.full((4, 10, 3), (255, 255, 0)))


def test_a_gif_frame_longer_than_a_delay_can_hold_keeps_its_length(tmp_path: Path) -> None:
    out = tmp_path / "slow.gif"
    src = write_all(out, n=2, fps=0.001)  # 1000 s a frame; a delay holds 655.35 s
    images = gif_images(out)
    assert [i["delay"] for i in images] == [65535, 34465, 65535, 34465]
    assert [i["box"] for i in images[1::2]] == [(0, 0, 1, 1)] * 2  # transparent carry-ons
    shown = gif_frames(out)
    assert psnr(src[1], shown[3]) > 30


def test_gif_gives_every_frame_its_own_palette(tmp_path: Path) -> None:
    # 200 reds, then 200 blues: 400 colours that no single 256-colour palette holds
    ramp = np.repeat(np.linspace(20, 240, 200).round().astype(np.uint8)[None, :], 20, axis=0)
    red, blue = (np.zeros((20, 200, 3), np.uint8) for _ in range(2))
    red[..., 0] = ramp
    blue[..., 2] = ramp
    out = tmp_path / "two.gif"
    with open_writer(out, (200, 20), 10) as w:
        w.write(red)
        w.write(blue)
    shown = gif_frames(out)
    assert psnr(red, shown[0]) > 45 and psnr(blue, shown[1]) > 45
    assert all(i["table"] == 256 for i in gif_images(out))  # local colour tables


# --------------------------------------------------------------------------- PNG folder


def test_png_sequence_is_lossless(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    src = write_all(out, n=10, metadata={"Software": "neon-dream"})
    names = sorted(os.listdir(out))
    assert names == [f"frame_{i:06d}.png" for i in range(10)]
    assert os.listdir(tmp_path) == ["frames"]
    for name, s in zip(names, src, strict=True):
        with Image.open(out / name) as im:
            assert im.size == (W, H)
            assert im.mode == "RGB"
            assert im.text["Software"] == "neon-dream"
            np.testing.assert_array_equal(np.asarray(im), s)


def test_png_sequence_replaces_previous_frames(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    write_all(out, n=8)
    write_all(out, n=3)  # a shorter re-render must not leave frames 3..7 behind
    assert sorted(os.listdir(out)) == [f"frame_{i:06d}.png" for i in range(3)]
    assert os.listdir(tmp_path) == ["frames"]


def test_png_sequence_into_existing_empty_dir_with_suffix(tmp_path: Path) -> None:
    out = tmp_path / "take.v2"
    out.mkdir()
    write_all(out, n=2)
    assert sorted(os.listdir(out)) == ["frame_000000.png", "frame_000001.png"]


def test_png_sequence_refuses_folder_with_other_files(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    out.mkdir()
    (out / "frame_000000.png").write_bytes(b"old frame")
    (out / "notes.txt").write_text("precious")
    before = snapshot(out)
    with pytest.raises(RenderError, match="notes.txt"):
        with open_writer(out, (W, H), 24):
            pytest.fail("must refuse before rendering, not after")
    assert snapshot(out) == before
    assert os.listdir(tmp_path) == ["frames"]


def test_png_sequence_refuses_a_file_target(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    out.write_bytes(b"not a folder")
    with pytest.raises(RenderError, match="not a folder"):
        write_all(out, n=2)
    assert out.read_bytes() == b"not a folder"
    assert os.listdir(tmp_path) == ["frames"]


# --------------------------------------------------------------------------- write_png


def test_write_png_metadata_dpi_pixels(tmp_path: Path) -> None:
    out = tmp_path / "stills" / "still.png"
    rgb = pattern(3)
    write_png(out, rgb, metadata={"Title": "Neon", "Comment": "seed=7 ünï ✓"}, dpi=300)
    assert os.listdir(out.parent) == ["still.png"]
    with Image.open(out) as im:
        assert im.format == "PNG"
        assert im.text["Title"] == "Neon"
        assert im.text["Comment"] == "seed=7 ünï ✓"  # non-Latin-1 goes to iTXt
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)
        np.testing.assert_array_equal(np.asarray(im), rgb)


def test_write_png_overwrites_atomically_and_rejects_16_bit(tmp_path: Path) -> None:
    out = tmp_path / "still.png"
    write_png(out, pattern(0))
    write_png(out, pattern(5))
    with Image.open(out) as im:
        np.testing.assert_array_equal(np.asarray(im), pattern(5))
    before = out.read_bytes()
    with pytest.raises(RenderError, match="16-bit"):
        write_png(out, pattern(1).astype(np.uint16) * 257, bits=16)
    with pytest.raises(RenderError, match="metadata key"):
        write_png(out, pattern(1), metadata={"": "empty key"})
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["still.png"]


# --------------------------------------------------------------------------- atomicity


class Boom(Exception):
    pass


@pytest.mark.parametrize("name", ["out.mp4", "out.webm", "out.gif"])
@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_exception_keeps_previous_file(tmp_path: Path, name: str, exc: type) -> None:
    out = tmp_path / name
    out.write_bytes(b"the previous render")
    with pytest.raises(exc):
        with open_writer(out, (W, H), 24) as w:
            for i in range(4):
                w.write(pattern(i))
            raise exc()
    if name.endswith(".gif"):  # encoded here: its threads are stopped
        assert w._sink is not None and w._sink._pool._shutdown
    else:
        assert w._ffmpeg is not None and w._ffmpeg.proc.returncode is not None  # reaped
    assert out.read_bytes() == b"the previous render"
    assert os.listdir(tmp_path) == [name]
    with pytest.raises(ValueError, match="closed"):
        w.write(pattern(0))


def test_exception_keeps_previous_folder(tmp_path: Path) -> None:
    out = tmp_path / "frames"
    write_all(out, n=5)
    before = snapshot(out)
    with pytest.raises(Boom):
        with open_writer(out, (W, H), 24) as w:
            for i in range(3):
                w.write(pattern(20 + i))
            raise Boom
    assert snapshot(out) == before
    assert os.listdir(tmp_path) == ["frames"]


@pytest.mark.parametrize("existing", [False, True])
def test_encoder_failure_is_a_render_error_and_leaves_nothing(tmp_path: Path, existing) -> None:
    out = tmp_path / "bad.mp4"
    if existing:
        out.write_bytes(b"keep me")
    with pytest.raises(RenderError) as e:
        write_all(out, preset="nonsense")
    msg = str(e.value)
    assert "bad.mp4" in msg and "nonsense" in msg, msg
    assert "\n" not in msg
    assert os.listdir(tmp_path) == (["bad.mp4"] if existing else [])
    if existing:
        assert out.read_bytes() == b"keep me"


@pytest.mark.parametrize("name", ["none.mp4", "none.gif", "none"])
def test_zero_frames_is_an_error_not_an_empty_file(tmp_path: Path, name: str) -> None:
    with pytest.raises(RenderError, match="no frames"):
        with open_writer(tmp_path / name, (W, H), 24):
            pass
    assert list(tmp_path.iterdir()) == []


def test_summarize_stderr_keeps_the_cause_drops_the_noise() -> None:
    text = (
        "x264 [error]: invalid preset 'nonsense'\n"
        "[libx264 @ 0x560e] Error setting preset/tune nonsense/(null).\n"
        "[vost#0:0/libx264 @ 0x5] [enc:libx264 @ 0x5] Error while opening encoder - maybe x\n"
        "[vf#0:0 @ 0x5] Task finished with error code: -22 (Invalid argument)\n"
        "[out#0/mp4 @ 0x5] Nothing was written into output file, because ...\n"
        "Conversion failed!\n"
    )
    assert ffmpeg.summarize_stderr(text) == (
        "x264 [error]: invalid preset 'nonsense'; Error setting preset/tune nonsense/(null)."
    )


def test_output_permissions_follow_umask(tmp_path: Path) -> None:
    out = tmp_path / "perm.gif"
    old = os.umask(0o022)
    try:
        write_all(out, n=2)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0o600


@pytest.mark.skipif(not hasattr(os, "getsid"), reason="POSIX sessions")
def test_ffmpeg_runs_in_its_own_session(tmp_path: Path) -> None:
    # so a terminal Ctrl-C interrupts only Python, which then kills ffmpeg and cleans up
    with pytest.raises(Boom):
        with open_writer(tmp_path / "s.mp4", (W, H), 24) as w:
            w.write(pattern(0))
            assert w._ffmpeg is not None
            pid = w._ffmpeg.proc.pid
            assert os.getsid(pid) == pid != os.getsid(0)
            raise Boom
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_interrupt_during_the_folder_swap_completes_it(tmp_path, monkeypatch, sig) -> None:
    """Ctrl-C or SIGTERM while the old frames are being removed: the new folder stays, the
    old one is gone entirely (no stranded .old), and the message says the output is there."""
    import shutil
    import signal

    class Terminated(KeyboardInterrupt):
        pass

    def terminate(signum, frame):
        raise Terminated("terminated")

    old_int = signal.signal(signal.SIGINT, signal.default_int_handler)
    old_term = signal.signal(signal.SIGTERM, terminate)
    real_rmtree = shutil.rmtree

    def interrupted_rmtree(path, *args, **kwargs):
        first = sorted(Path(path).iterdir())[0]
        first.unlink()  # part of the old folder is already gone when the signal lands
        signal.raise_signal(getattr(signal, sig))
        real_rmtree(path, *args, **kwargs)

    target = tmp_path / "frames"
    write_all(target, n=3)
    monkeypatch.setattr(encode.shutil, "rmtree", interrupted_rmtree)
    try:
        with pytest.raises(KeyboardInterrupt) as caught:
            write_all(target, n=5)
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    assert "is complete" in str(caught.value)
    assert sorted(p.name for p in target.iterdir()) == [f"frame_{i:06d}.png" for i in range(5)]
    assert [p.name for p in tmp_path.iterdir()] == ["frames"]  # no .old, no .part left


@pytest.mark.parametrize("name", ["clip.mp4", "clip.gif", "frames"])
def test_a_failed_render_leaves_no_folders_it_made(tmp_path, name) -> None:
    target = tmp_path / "a" / "b" / name
    (tmp_path / "kept").mkdir()
    with pytest.raises(RuntimeError):
        with open_writer(target, (W, H), 24) as w:
            w.write(pattern(0))
            raise RuntimeError("the render failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]
    write_all(target, n=2)  # and a render that succeeds keeps them
    assert target.exists()


def test_a_new_format_is_one_registration(tmp_path: Path) -> None:
    """A format registered from outside render.encode (as a new module in render/formats
    would) is written, atomically, by the same writer: here lossless FFV1 in Matroska."""
    from render import formats
    from render.ffmpeg import metadata_args

    def encode_mkv(inp, metadata, preset, crf, dest):
        return [*inp, "-c:v", "ffv1", *metadata_args(metadata), "-f", "matroska", str(dest)]

    spec = formats.register(formats.OutputFormat("mkv", "Matroska", (".mkv",), encode=encode_mkv))
    try:
        out = tmp_path / "clip.mkv"
        assert format_for(out) == "mkv"
        write_all(out, n=5)
        meta, frames = decode(out)
        assert meta["codec"].startswith("ffv1") and len(frames) == 5
        assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mkv"]
    finally:
        formats.FORMATS.pop(spec.name)
        formats.BY_SUFFIX.pop(".mkv")


# --------------------------------------------------------------------------- size budget


def noisy(n: int, w: int = W, h: int = H) -> list[np.ndarray]:
    """Frames that compress badly: a budget has to bite."""
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    return [np.roll(base, 3 * i, axis=1) ^ rng.integers(0, 24, (h, w, 3), dtype=np.uint8)
            for i in range(n)]  # fmt: skip


@pytest.mark.parametrize("name", ["fit.mp4", "fit.webm", "hevc.mp4"])
def test_a_video_is_made_to_fit_its_budget(tmp_path: Path, name: str) -> None:
    frames = noisy(24)
    options = {"codec": "hevc"} if name.startswith("hevc") else {}
    budget = 60_000
    with open_writer(tmp_path / name, (W, H), 24, max_bytes=budget, options=options) as w:
        for f in frames:
            w.write(f)
    size = (tmp_path / name).stat().st_size
    assert budget * 0.5 < size <= budget  # fits, without throwing most of it away
    assert "kbit/s" in w.note
    meta, decoded = decode(tmp_path / name)
    assert len(decoded) == 24 and meta["size"] == (W, H)
    assert os.listdir(tmp_path) == [name]  # no stage, no pass logs


def test_a_gif_climbs_the_ladder_until_it_fits(tmp_path: Path) -> None:
    out = tmp_path / "fit.gif"
    frames = noisy(24)
    with open_writer(out, (W, H), 24) as w:
        for f in frames:
            w.write(f)
    unbounded = out.stat().st_size
    budget = unbounded // 3
    with open_writer(out, (W, H), 24, max_bytes=budget) as w:
        for f in frames:
            w.write(f)
    assert out.stat().st_size <= budget
    assert w.note.startswith("gave up ")
    with Image.open(out) as im:  # still a whole animation of the same length
        total = 0
        for k in range(im.n_frames):
            im.seek(k)
            total += im.info["duration"]
    assert total == pytest.approx(1000, abs=30)
    assert os.listdir(tmp_path) == ["fit.gif"]


def test_nothing_fits_is_exit_2_and_nothing_written(tmp_path: Path) -> None:
    from render.budget import BudgetError

    out = tmp_path / "tiny.gif"
    out.write_bytes(b"the previous render")
    with pytest.raises(BudgetError, match="can't fit 2 KB") as e:
        with open_writer(out, (W, H), 24, max_bytes=2000) as w:
            for f in noisy(24):
                w.write(f)
    assert e.value.exit_code == 2 and "\n" not in str(e.value)
    assert out.read_bytes() == b"the previous render"
    assert os.listdir(tmp_path) == ["tiny.gif"]


def test_a_budget_is_refused_for_formats_it_cannot_bend(tmp_path: Path) -> None:
    from render.budget import parse_bytes

    with pytest.raises(RenderError, match="--max-size: applies to MP4, WebM and GIF"):
        write_all(tmp_path / "x.mov", max_bytes=10**6)
    assert list(tmp_path.iterdir()) == []
    assert parse_bytes("8MB") == 8_000_000 and parse_bytes("2MiB") == 2 * 2**20
    assert parse_bytes("1.5 gb") == 1_500_000_000 and parse_bytes("500KB") == 500_000
    for bad in ("8 parsecs", "", "-3MB", "12"):
        with pytest.raises(ValueError):
            parse_bytes(bad)
