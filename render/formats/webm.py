"""WebM: VP9 (or VP8) at constant quality, tagged BT.709; x264's preset and crf don't apply."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from render.ffmpeg import YUV420_BT709, metadata_args, webm_codec_args
from render.formats import OutputFormat, register


def encode(
    inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path,
    options: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    return [
        *inp, *webm_codec_args(), *YUV420_BT709,
        *metadata_args(metadata), "-f", "webm", str(dest),
    ]  # fmt: skip


WEBM = register(OutputFormat("webm", "WebM", (".webm",), even_size=True, encode=encode))
