"""GIF: frames staged losslessly, then ffmpeg's palettegen and paletteuse, and the
provenance comment inserted as a Comment Extension (ffmpeg's muxer writes none).

GIF wants one palette computed from *all* frames. The obvious single graph (split ->
palettegen + paletteuse) makes ffmpeg hold every frame in RAM until the input ends
(measured: ~1 MiB per 640x360 frame, 256 MiB RSS at 200 frames; ~8 MiB per 1080p frame).
So frames stream into a lossless intermediate beside the output, then two more ffmpeg
runs read it back: palettegen, then paletteuse. Memory stays flat; disk pays.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from render.ffmpeg import lossless_stage_args, run_ffmpeg
from render.formats import OutputFormat, register

# Browsers play GIF delays below 2 centiseconds as 10 cs, so anything over 50 fps would
# silently run at 10 fps; refuse instead.
GIF_MAX_FPS = 50
GIF_MAX_SIZE = 65535  # 16-bit width/height fields in the GIF header

# The default, sierra2_4a, measured worst of ten dithers on a 320x180x30 neon test pattern
# (glowing sine lines and a ring on a dark gradient): 12% of static pixels flicker between
# frames, 962 KiB, PSNR 32.5 dB. sierra3: 0.1% flicker, 766 KiB, PSNR 34.0 dB, best
# blurred-PSNR among full error-diffusion dithers. (atkinson scored about the same but drops
# a quarter of the error, which crushes detail in near-black -- exactly where neon lives.)
GIF_DITHER = "sierra3"


def stage(inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path):
    """The lossless intermediate the palette passes read (x264's settings don't apply)."""
    return [*inp, *lossless_stage_args(), "-f", "matroska", str(dest)]


def make(
    staged: Path, out: Path, target: Path, temp: Callable[[str], Path], metadata: Mapping[str, str]
) -> Path:
    """Palette, then the GIF into `out`, then the comment: returns the file to put in place."""
    palette = temp(".png")
    run_ffmpeg(
        [
            "-i", str(staged),
            "-vf", "palettegen=stats_mode=full:max_colors=256",
            "-frames:v", "1", "-update", "1", "-f", "image2", str(palette),
        ],
        target, "the GIF palette",
    )  # fmt: skip
    run_ffmpeg(
        [
            "-i", str(staged), "-i", str(palette),
            "-filter_complex", f"[0:v][1:v]paletteuse=dither={GIF_DITHER}",
            # -loop 0: repeat forever. Delays come from the timestamps (centiseconds;
            # ffmpeg alternates e.g. 3/3/4 cs for 30 fps so the average is right).
            "-loop", "0", "-f", "gif", str(out),
        ],
        target, "GIF",
    )  # fmt: skip
    comment = metadata.get("comment", "")
    if not comment:
        return out
    final = temp(".gif")
    insert_gif_comment(out, final, comment)
    return final


def _gif_blocks_start(head: bytes) -> int:
    """Offset just past the header, logical screen descriptor and global colour table."""
    if len(head) < 13 or head[:3] != b"GIF":
        raise ValueError("not a GIF file")
    packed = head[10]
    return 13 + (3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0)


def _gif_sub_blocks(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i : i + 255]
        out += bytes([len(chunk)]) + chunk
    return bytes(out + b"\x00")


def insert_gif_comment(src: Path, dst: Path, text: str) -> None:
    """Copy GIF *src* to *dst* with a Comment Extension (0x21 0xFE) holding *text* (UTF-8),
    placed after the global colour table and any application extensions (the NETSCAPE2.0
    loop block, which some players want first). ffmpeg's GIF muxer can't write comments."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        f.seek(_gif_blocks_start(f.read(13)))
        while (two := f.read(2)) == b"\x21\xff":  # an application extension: skip it
            while (n := f.read(1)) and n[0]:
                f.seek(n[0], os.SEEK_CUR)
        at = f.tell() - len(two)
        f.seek(0)
        prefix = f.read(at)
        if prefix[:6] == b"GIF87a":  # extensions are GIF89a
            prefix = b"GIF89a" + prefix[6:]
        out.write(prefix)
        out.write(b"\x21\xfe" + _gif_sub_blocks(text.encode("utf-8")))
        shutil.copyfileobj(f, out, 1 << 20)


def read_gif_comments(path: str | os.PathLike[str]) -> list[str]:
    """The text of every Comment Extension in a GIF file, in order."""
    comments: list[str] = []
    with open(path, "rb") as f:
        f.seek(_gif_blocks_start(f.read(13)))

        def sub_blocks() -> bytes:
            data = bytearray()
            while (n := f.read(1)) and n[0]:
                data += f.read(n[0])
            return bytes(data)

        while (kind := f.read(1)) and kind != b"\x3b":  # 0x3B: trailer
            if kind == b"\x21":
                label = f.read(1)
                body = sub_blocks()
                if label == b"\xfe":
                    comments.append(body.decode("utf-8", "replace"))
            elif kind == b"\x2c":  # image: descriptor, local colour table, LZW data
                desc = f.read(9)
                if len(desc) < 9:
                    break
                if desc[8] & 0x80:
                    f.seek(3 * 2 ** ((desc[8] & 7) + 1), os.SEEK_CUR)
                f.read(1)  # LZW minimum code size
                sub_blocks()
            else:
                break  # not a GIF block: stop rather than guess
    return comments


GIF = register(
    OutputFormat(
        "gif",
        "GIF",
        (".gif",),
        max_side=GIF_MAX_SIZE,
        max_fps=GIF_MAX_FPS,
        fps_hint="browsers slow shorter frame delays to 10 fps; use 50, 25 or 20",
        encode=stage,
        stage_suffix=".mkv",
        after=make,
        pinned_threads=False,
    )
)
