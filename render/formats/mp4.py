"""MP4: H.264 (x264), HEVC (x265) or AV1 (SVT-AV1) in yuv420p, tagged BT.709, with the
metadata in the container. `options["codec"]` picks the codec (default h264).

--preset names x264's speed presets; x265 takes the same names, and SVT-AV1's numbered
presets are mapped to match (its 10 is about x264's veryfast here). --crf goes to every
codec as is: x264 and x265 read 0-51, SVT-AV1 0-63, so the same number is not the same
quality across codecs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from render.errors import InputError, RenderError, did_you_mean
from render.ffmpeg import YUV420_BT709, encoders, metadata_args
from render.formats import OutputFormat, register

# x264's speed presets, fastest first: the values --preset takes.
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "placebo",
)  # fmt: skip
CODECS = ("h264", "hevc", "av1")
_ENCODER = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1"}
# `render animate`'s (and `render.animate`'s) MP4 settings when none are given, chosen on
# bench/RESULTS.md's "bench_vmaf results": on the dream, faster at crf 20 is 22% smaller
# than the old veryfast at 18 and scores higher (0.95 MB, VMAF 96.4 against 1.22 MB,
# 96.0) for 1.4x x264's time; medium at crf 20 is 1% smaller again (0.94 MB, 96.7) for
# 2.3x, which on two cores would slow a 1080p render from about 7 to 4.3 frames/s.
# render/cli.py repeats them as literals (it must not import this while reading options).
DEFAULT_PRESET = "faster"
DEFAULT_CRF = 20
_SVT_PRESET = dict(zip(X264_PRESETS, (12, 11, 10, 9, 8, 7, 5, 4, 2, 1), strict=True))


def check_preset(preset: str) -> None:
    """Refuse a name x264 does not know before any frame is rendered (x264 itself would
    refuse it only once the encoder starts)."""
    if preset not in X264_PRESETS:
        raise InputError(
            f"--preset: unknown x264 preset {preset!r}{did_you_mean(preset, X264_PRESETS)}; "
            f"expected one of {', '.join(X264_PRESETS)}"
        )


def codec_of(options: Mapping[str, Any]) -> str:
    codec = str(options.get("codec") or "h264").lower()
    if codec not in CODECS:
        raise InputError(f"--codec: expected one of {', '.join(CODECS)}, got {codec!r}")
    return codec


def codec_args(codec: str, preset: str, crf: int) -> list[str]:
    encoder = _ENCODER[codec]
    if codec != "h264" and encoder not in encoders():  # x264: ffmpeg itself says if not
        raise RenderError(f"this ffmpeg has no {encoder} encoder for {codec}; use --codec h264")
    if codec == "h264":
        return ["-c:v", "libx264", "-preset", str(preset), "-crf", str(crf)]
    if codec == "hevc":
        # hvc1: the tag Apple's players require for HEVC in MP4
        return [
            "-c:v", "libx265", "-preset", str(preset), "-crf", str(crf), "-tag:v", "hvc1",
            "-x265-params", "log-level=error",
        ]  # fmt: skip
    check_preset(preset)
    return ["-c:v", "libsvtav1", "-preset", str(_SVT_PRESET[preset]), "-crf", str(crf)]


def encode(
    inp: list[str], metadata: Mapping[str, str], preset: str, crf: int, dest: Path,
    options: Mapping[str, Any],
) -> list[str]:  # fmt: skip
    return [
        *inp, *codec_args(codec_of(options), preset, crf), *YUV420_BT709,
        "-movflags", "+faststart", *metadata_args(metadata), "-f", "mp4", str(dest),
    ]  # fmt: skip


MP4 = register(OutputFormat("mp4", "MP4", (".mp4",), even_size=True, encode=encode, x264=True))
