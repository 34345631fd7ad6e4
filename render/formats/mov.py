"""MOV: Apple ProRes 422 HQ (prores_ks, profile 3) in 10-bit 4:2:2, tagged BT.709, for
editing: every frame a keyframe, about 10x an MP4's size. x264's preset and crf don't
apply; ProRes has a fixed quality per profile. With alpha (--transparent): ProRes 4444
(profile 4) in yuva444p10le, 16-bit alpha, which editors read as straight alpha."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from render.ffmpeg import metadata_args
from render.formats import OutputFormat, register

PRORES_422_HQ = 3
PRORES_4444 = 4


def encode(
    inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path,
    options: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    alpha = bool(options.get("alpha"))
    profile, pix_fmt = (PRORES_4444, "yuva444p10le") if alpha else (PRORES_422_HQ, "yuv422p10le")
    return [
        *inp, "-c:v", "prores_ks", "-profile:v", str(profile), "-vendor", "apl0",
        *(["-alpha_bits", "16"] if alpha else []),
        "-vf", "setparams=color_primaries=bt709:color_trc=bt709",
        "-colorspace", "bt709", "-color_range", "tv", "-pix_fmt", pix_fmt,
        *metadata_args(metadata), "-f", "mov", str(dest),
    ]  # fmt: skip


# 4:2:2 halves the chroma horizontally: the width must be even (kept simple: both sides)
MOV = register(
    OutputFormat("mov", "MOV (ProRes)", (".mov",), even_size=True, encode=encode, alpha=True)
)
