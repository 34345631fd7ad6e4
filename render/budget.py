"""A size budget (`--max-size 8MB`): the output is made to fit, or nothing is written.

The frames are staged losslessly beside the output as they are rendered (x264rgb at qp 0,
or FFV1), since fitting takes more than one look at them:

- MP4 / WebM: two-pass rate control at the bit rate the budget allows for the duration,
  less a 3% margin for the container (SVT-AV1: its one-pass VBR). If a result still
  overshoots, the rate is scaled down by the miss and the last pass is run again.
- GIF: a ladder of settings, tried in order until one fits: keep more of each frame from
  the last one, fewer colours, half the frame rate, a smaller picture. A try stops as
  soon as its file passes the budget, so failing tries cost little.

What was given up is returned as a sentence for the caller to print. When nothing fits,
`BudgetError` (exit status 2) says how close the smallest try came.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from render.errors import InputError, RenderError
from render.ffmpeg import YUV420_BT709, encoders, ffmpeg_exe, metadata_args, run_ffmpeg

CONTAINER_MARGIN = 0.03  # headers, index, and the rate control's own slack
BUDGET_FORMATS = ("mp4", "webm", "gif")
_RETRIES = 3
_UNITS = {
    "": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
    "kib": 2**10, "mib": 2**20, "gib": 2**30,
}  # fmt: skip
_BYTES = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)


class BudgetError(RenderError):
    """Nothing fits the size budget (exit status 2: the request can't be met)."""

    exit_code = 2


def parse_bytes(value: str) -> int:
    """'8MB' -> 8_000_000; also KB, GB (powers of 10), KiB, MiB, GiB, or plain bytes."""
    m = _BYTES.match(str(value))
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS:
        raise ValueError(f'expected a size like "8MB", "500KB" or "2MiB", got {value!r}')
    n = float(m.group(1)) * _UNITS[unit]
    if not 1000 <= n <= 2**50:
        raise ValueError(f"expected a size from 1KB up, got {value!r}")
    return int(n)


def show_bytes(n: float) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 1e6 else f"{n / 1e3:.0f} KB"


def lossless_stage_args() -> list[str]:
    # On a 720p neon pattern: x264rgb qp 0 ultrafast encoded ~115 fps at 5% of raw size;
    # FFV1 ~50 fps at 5.5%.
    if "libx264rgb" in encoders():
        return ["-c:v", "libx264rgb", "-qp", "0", "-preset", "ultrafast"]
    return ["-c:v", "ffv1"]


# --------------------------------------------------------------------------- video


def _rate_args(fmt: str, codec: str, preset: str, bitrate: int, npass: int, log: Path):
    rate = ["-b:v", str(bitrate)]
    if fmt == "webm":
        return [
            "-c:v", "libvpx-vp9", *rate, "-pass", str(npass), "-passlogfile", str(log),
            "-row-mt", "1", "-deadline", "good", "-cpu-used", "4",
        ]  # fmt: skip
    if codec == "hevc":
        params = f"pass={npass}:stats={log}.x265:log-level=error"
        return ["-c:v", "libx265", "-preset", preset, *rate, "-x265-params", params,
                "-tag:v", "hvc1"]  # fmt: skip
    if codec == "av1":
        from render.formats.mp4 import codec_args

        return [*codec_args("av1", preset, 35)[:4], *rate]  # preset mapped; VBR at the rate
    return ["-c:v", "libx264", "-preset", preset, *rate, "-pass", str(npass),
            "-passlogfile", str(log)]  # fmt: skip


def fit_video(
    staged: Path, out: Path, target: Path, *, fmt: str, codec: str, preset: str,
    frames: int, fps: Fraction, max_bytes: int, metadata: dict[str, str],
) -> str:  # fmt: skip
    """Encode `staged` into `out` within `max_bytes`; returns what was given up."""
    seconds = frames / fps
    bitrate = int(max_bytes * 8 * (1 - CONTAINER_MARGIN) / seconds)
    if bitrate < 1000:
        raise BudgetError(
            f"{target}: can't fit {show_bytes(max_bytes)}: {seconds:g} s of video would get "
            f"{bitrate} bit/s; allow more, or render less"
        )
    muxer = ["-movflags", "+faststart", "-f", "mp4"] if fmt == "mp4" else ["-f", "webm"]
    two_pass = not (fmt == "mp4" and codec == "av1")
    with tempfile.TemporaryDirectory(prefix="neon-render-passes-") as tmp:
        log = Path(tmp) / "pass"
        if two_pass:
            run_ffmpeg(
                ["-i", str(staged), *_rate_args(fmt, codec, preset, bitrate, 1, log),
                 *YUV420_BT709, "-f", "null", "-"],
                target, "the first pass",
            )  # fmt: skip
        size = 0
        for _ in range(_RETRIES):
            run_ffmpeg(
                ["-i", str(staged), *_rate_args(fmt, codec, preset, bitrate, 2, log),
                 *YUV420_BT709, *metadata_args(metadata), *muxer, str(out)],
                target, "the last pass" if two_pass else "the video",
            )  # fmt: skip
            size = out.stat().st_size
            if size <= max_bytes:
                how = "two passes" if two_pass else "one pass"
                return f"{how} at {bitrate / 1000:.0f} kbit/s instead of --crf ({show_bytes(size)})"
            bitrate = int(bitrate * max_bytes / size * (1 - CONTAINER_MARGIN))
    raise BudgetError(
        f"{target}: can't fit {show_bytes(max_bytes)}: the encoder still wrote "
        f"{show_bytes(size)} at {bitrate / 1000:.0f} kbit/s; allow more, or render less"
    )


# --------------------------------------------------------------------------- GIF


@dataclass(frozen=True)
class GifTry:
    colors: int = 255
    keep: int = 48
    every: int = 1  # keep one frame in `every`
    scale: float = 1.0

    def gave_up(self, width: int, height: int, fps: Fraction) -> str:
        from render.formats.gif import GifSettings

        default, parts = GifSettings(), []
        if self.keep != default.keep:
            parts.append(f"more kept from frame to frame (tolerance {self.keep})")
        if self.colors != default.colors:
            parts.append(f"{self.colors} colours")
        if self.every > 1:
            parts.append(f"{float(fps / self.every):g} fps instead of {float(fps):g}")
        if self.scale != 1:
            w, h = self.size(width, height)
            parts.append(f"{w}x{h} instead of {width}x{height}")
        return ", ".join(parts) or "nothing"

    def size(self, width: int, height: int) -> tuple[int, int]:
        return max(1, round(width * self.scale)), max(1, round(height * self.scale))


GIF_LADDER = (
    GifTry(),
    GifTry(keep=120),
    GifTry(colors=128, keep=200),
    GifTry(colors=64, keep=300),
    GifTry(colors=64, keep=300, every=2),
    GifTry(colors=64, keep=300, every=2, scale=0.75),
    GifTry(colors=64, keep=300, every=2, scale=0.5),
    GifTry(colors=32, keep=400, every=3, scale=0.5),
)


class _TooBig(Exception):
    pass


def staged_frames(staged: Path, width: int, height: int) -> Iterator[np.ndarray]:
    """The staged frames, decoded back to RGB one at a time."""
    proc = subprocess.Popen(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(staged), "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    size = width * height * 3
    try:
        while len(data := proc.stdout.read(size)) == size:
            yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def fit_gif(
    staged: Path, out: Path, target: Path, *, width: int, height: int, fps: Fraction,
    max_bytes: int, metadata: dict[str, str], ladder: tuple[GifTry, ...] = GIF_LADDER,
    progress: Callable[[GifTry], None] | None = None,
) -> str:  # fmt: skip
    """Encode `staged` into `out` with the first rung of `ladder` that fits."""
    import cv2

    from render.formats.gif import GifSettings, GifSink

    for rung in ladder:
        if progress is not None:
            progress(rung)
        w, h = rung.size(width, height)
        settings = GifSettings(colors=rung.colors, keep=rung.keep)
        sink = GifSink(out, w, h, fps / rung.every, metadata, {"gif": settings})
        frames = staged_frames(staged, width, height)
        try:
            for k, frame in enumerate(frames):
                if k % rung.every:
                    continue
                if rung.scale != 1:
                    frame = cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
                sink.write(frame)
                if sink.bytes_written > max_bytes:
                    raise _TooBig
            sink.finish()
        except _TooBig:
            sink.abort()  # past the budget before the end: the next rung
            continue
        except BaseException:
            sink.abort()
            raise
        finally:
            frames.close()  # stops the decoding ffmpeg
        size = out.stat().st_size
        if size <= max_bytes:
            gave = rung.gave_up(width, height, fps)
            return f"gave up {gave} ({show_bytes(size)})" if rung != ladder[0] else ""
    last = ladder[-1].gave_up(width, height, fps)
    raise BudgetError(
        f"{target}: can't fit {show_bytes(max_bytes)} even with {last}; allow more, "
        "or render less (--start/--end, --size, --fps)"
    )


def check_budget(fmt: str, label: str, segmented: bool) -> None:
    """InputError before any work when a budget can't apply to this output."""
    if fmt not in BUDGET_FORMATS:
        raise InputError(f"--max-size: applies to MP4, WebM and GIF, not {label}")
    if segmented:
        raise InputError("--max-size: can't be combined with --segment or --cluster")
