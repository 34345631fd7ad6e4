"""MP4 size against VMAF for x264, x265 and SVT-AV1 at a few presets and crfs.

    .venv/bin/python bench/bench_vmaf.py [--start 40%] [--end 60%] [--size 480x270]
                                         [--fps 15] [--frames DIR]

Renders the dream's slice once to a PNG folder (the same default slice and folder as
bench/bench_gif.py, so one render serves both), encodes the frames through
`render.encode.open_writer` with each codec, preset and crf below, and scores each file
with libvmaf (the bundled ffmpeg's, its built-in vmaf_v0.6.1 model) against the source
frames converted to yuv420p with the BT.709 matrix the encodes use. Prints size, bit rate,
mean VMAF and encode seconds (wall; the machine may be shared). Asserts nothing. The row
marked "(default)" is the exact preset and crf `render animate` uses for an MP4
(render.formats.mp4.DEFAULT_PRESET, DEFAULT_CRF), always measured.

VMAF's model assumes 1080p viewed at three times the picture's height; at smaller sizes
the absolute scores run high, so read the table across rows, not against other tables.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_gif import render_frames, write_with  # noqa: E402
from render.ffmpeg import ffmpeg_exe  # noqa: E402
from render.formats.mp4 import DEFAULT_CRF, DEFAULT_PRESET  # noqa: E402
from render.units import parse_size  # noqa: E402

CASES = [
    ("h264", "veryfast", 18), ("h264", "veryfast", 23), ("h264", "veryfast", 28),
    ("h264", "faster", 20), ("h264", "fast", 20),
    ("h264", "medium", 18), ("h264", "medium", 20), ("h264", "medium", 21), ("h264", "medium", 23),
    ("hevc", "veryfast", 20), ("hevc", "veryfast", 26), ("hevc", "medium", 23),
    ("av1", "veryfast", 30), ("av1", "veryfast", 40), ("av1", "medium", 35),
]  # fmt: skip
DEFAULT = ("h264", DEFAULT_PRESET, DEFAULT_CRF)  # what `render animate x.mp4` encodes with
if DEFAULT not in CASES:
    CASES.insert(0, DEFAULT)


def vmaf(encoded: Path, pattern: str, first: int, fps: float, log: Path) -> float:
    graph = (
        "[1:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[ref];"
        "[0:v]format=yuv420p[dis];"
        f"[dis][ref]libvmaf=n_threads={os.cpu_count() or 1}:log_fmt=json:log_path={log}"
    )
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(encoded), "-framerate", f"{fps:g}",
         "-start_number", str(first), "-i", pattern, "-lavfi", graph, "-f", "null", "-"],
        check=True,
    )  # fmt: skip
    return float(json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", default="40%")
    ap.add_argument("--end", default="60%")
    ap.add_argument("--size", default="480x270")
    ap.add_argument("--fps", type=float, default=15)
    ap.add_argument("--frames", type=Path, default=ROOT / "out" / "bench-gif-frames")
    args = ap.parse_args()
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    src, names = render_frames(args.frames, parse_size(args.size), args.fps, args.start, args.end)
    n, h, w, _ = src.shape
    pattern = str(names[0].parent / "frame_%06d.png")
    first = int(names[0].stem.split("_")[1])
    seconds = n / args.fps
    print(f"\ndream {args.start}-{args.end}, {n} frames at {w}x{h}, {args.fps:g} fps\n")
    print("| codec | preset | crf | MB | kbit/s | VMAF | encode s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for codec, preset, crf in CASES:
            out = Path(tmp) / f"{codec}-{preset}-{crf}.mp4"
            t = time.perf_counter()
            write_with(out, src, args.fps, preset=preset, crf=crf, options={"codec": codec})
            secs = time.perf_counter() - t
            score = vmaf(out, pattern, first, args.fps, Path(tmp) / "vmaf.json")
            size = out.stat().st_size
            rate = size * 8 / seconds / 1000
            mark = " (default)" if (codec, preset, crf) == DEFAULT else ""
            print(
                f"| {codec} | {preset}{mark} | {crf} | {size / 1e6:.2f} | {rate:.0f} | {score:.2f} "
                f"| {secs:.2f} |",
                flush=True,
            )
    print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
