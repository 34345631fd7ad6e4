"""MP4: H.264 (x264) in yuv420p, tagged BT.709, with the metadata in the container."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from render.errors import InputError, did_you_mean
from render.ffmpeg import YUV420_BT709, metadata_args
from render.formats import OutputFormat, register

# x264's speed presets, fastest first: the values --preset takes.
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "placebo",
)  # fmt: skip


def check_preset(preset: str) -> None:
    """Refuse a name x264 does not know before any frame is rendered (x264 itself would
    refuse it only once the encoder starts)."""
    if preset not in X264_PRESETS:
        raise InputError(
            f"--preset: unknown x264 preset {preset!r}{did_you_mean(preset, X264_PRESETS)}; "
            f"expected one of {', '.join(X264_PRESETS)}"
        )


def encode(inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path):
    return [
        *inp, "-c:v", "libx264", "-preset", str(preset), "-crf", str(crf),
        *YUV420_BT709, "-movflags", "+faststart",
        *metadata_args(metadata), "-f", "mp4", str(dest),
    ]  # fmt: skip


MP4 = register(OutputFormat("mp4", "MP4", (".mp4",), even_size=True, encode=encode))
