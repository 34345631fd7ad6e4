"""WebM: VP9 (or VP8) at constant quality, tagged BT.709; x264's preset and crf don't apply.
With alpha (--transparent): VP9 in yuva420p, the alpha plane coded beside the picture
(players and browsers that know it show it; ffprobe reports it as the stream's
`alpha_mode` tag, and decoding it takes libvpx-vp9, not ffmpeg's native decoder)."""

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
    alpha = bool(options.get("alpha"))
    pix_fmt = YUV420_BT709[:-1] + ["yuva420p"] if alpha else YUV420_BT709
    return [
        *inp, *webm_codec_args(alpha=alpha), *pix_fmt,
        *metadata_args(metadata), "-f", "webm", str(dest),
    ]  # fmt: skip


WEBM = register(OutputFormat("webm", "WebM", (".webm",), even_size=True, encode=encode, alpha=True))
