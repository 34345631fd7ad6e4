"""APNG: lossless animated PNG (ffmpeg's apng encoder, RGB or with alpha RGBA, loops
forever), with the
provenance record inserted as an iTXt chunk (ffmpeg's muxer writes no metadata) so that
any PNG reader, Pillow included, finds it where a still's is."""

from __future__ import annotations

import shutil
import struct
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from render.formats import OutputFormat, register

_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def encode(
    inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path,
    options: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    pix_fmt = "rgba" if options.get("alpha") else "rgb24"
    return [*inp, "-c:v", "apng", "-pix_fmt", pix_fmt, "-plays", "0", "-f", "apng", str(dest)]


def itxt_chunk(keyword: str, text: str) -> bytes:
    """An uncompressed iTXt chunk (UTF-8 text; keyword Latin-1, 1-79 characters)."""
    body = keyword.encode("latin-1") + b"\0\0\0\0\0" + text.encode("utf-8")
    kind = b"iTXt"
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def insert_text(src: Path, dst: Path, keyword: str, text: str) -> None:
    """Copy PNG `src` to `dst` with an iTXt chunk right after IHDR."""
    with open(src, "rb") as f, open(dst, "wb") as out:
        head = f.read(8 + 8 + 13 + 4)  # signature, IHDR's length, type, data and CRC
        if head[:8] != _SIGNATURE or head[12:16] != b"IHDR":
            raise ValueError(f"{src}: not a PNG file")
        out.write(head + itxt_chunk(keyword, text))
        shutil.copyfileobj(f, out, 1 << 20)


def add_record(
    staged: Path, out: Path, target: Path, temp: Callable[[str], Path], metadata: Mapping[str, str]
) -> Path:
    comment = metadata.get("comment", "")
    if not comment:
        return staged
    insert_text(staged, out, "comment", comment)
    return out


APNG = register(
    OutputFormat(
        "apng",
        "APNG",
        (".apng",),
        encode=encode,
        stage_suffix=".apng",
        after=add_record,
        alpha=True,
    )
)
