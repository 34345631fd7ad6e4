"""GIF against gifski and the MP4 path: size, mean PSNR and seconds on the same frames.

    .venv/bin/python bench/bench_gif.py [--start 40%] [--end 60%] [--size 480x270]
                                        [--fps 15] [--repeats 3] [--frames DIR]

Renders the dream's slice once to a PNG folder (kept in --frames, default
out/bench-gif-frames; a later run with the same settings reuses it), loads the frames,
then encodes the same frames with

* ours: `render.encode.open_writer` to .gif (render/formats/gif.py: a libimagequant
  palette a frame, transparent where unchanged, cropped);
* ffmpeg palettegen + paletteuse (sierra3): what `render` wrote before issue #12;
* gifski 1.7 (the npm package `gifski`, installed into a temporary folder with npm; a
  reference tool for this bench only, skipped when npm or the network is missing);
* the MP4 path: `open_writer` to .mp4 at the CLI defaults (x264 veryfast, crf 18),
  whose time the GIF's is compared with (target: at most twice).

Each GIF is decoded by ffmpeg and compared with the source frames: mean over frames of
the RGB PSNR. Wall and CPU seconds (this process's threads and the children it ran) are
each the least of --repeats; the machine may be shared, so the load average is printed,
and CPU seconds are the steadier comparison. Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from render import api  # noqa: E402
from render.encode import open_writer  # noqa: E402
from render.ffmpeg import ffmpeg_exe  # noqa: E402
from render.units import parse_size  # noqa: E402

DREAM = ROOT / "sequences" / "dream.toml"


def render_frames(folder: Path, size: tuple[int, int], fps: float, start: str, end: str):
    seq = api.load(DREAM, size=size, fps=fps)
    api.animate(seq, folder, start=start, end=end, resume=True)  # reuses finished frames
    names = sorted(folder.glob("frame_*.png"))
    return np.stack([np.asarray(Image.open(p).convert("RGB")) for p in names]), names


def decode(path: Path, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-fps_mode", "passthrough",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def mean_psnr(src: np.ndarray, out: np.ndarray) -> float:
    if len(out) != len(src):
        return float("nan")
    diff = src.astype(np.float32) - out.astype(np.float32)
    mse = np.maximum((diff**2).reshape(len(src), -1).mean(axis=1), 1e-10)
    return float(np.mean(10 * np.log10(255**2 / mse)))


def cpu_seconds() -> float:
    """CPU of this process (all its threads) and of the children it has waited for."""
    own, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def best_time(run, repeats: int) -> tuple[float, float]:
    """(wall, CPU) seconds, each the least of `repeats` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        c, t = cpu_seconds(), time.perf_counter()
        run()
        walls.append(time.perf_counter() - t)
        cpus.append(cpu_seconds() - c)
    return min(walls), min(cpus)


def write_with(path: Path, frames: np.ndarray, fps: float, **kw) -> None:
    h, w = frames.shape[1:3]
    with open_writer(path, (w, h), fps, **kw) as writer:
        for f in frames:
            writer.write(f)


def gifski_binary(workdir: Path) -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    result = subprocess.run(
        [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(workdir),
         "gifski"], capture_output=True, check=False,
    )  # fmt: skip
    exe = workdir / "node_modules" / "gifski" / "bin" / "debian" / "gifski"
    return exe if result.returncode == 0 and exe.is_file() else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", default="40%")
    ap.add_argument("--end", default="60%")
    ap.add_argument("--size", default="480x270")
    ap.add_argument("--fps", type=float, default=15)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--frames", type=Path, default=ROOT / "out" / "bench-gif-frames")
    args = ap.parse_args()
    size = parse_size(args.size)
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    src, names = render_frames(args.frames, size, args.fps, args.start, args.end)
    n, h, w, _ = src.shape
    rows: list[tuple[str, int, float, tuple[float, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        write_with(tmpdir / "warm.gif", src[:2], args.fps)  # numba's compile, not timed

        ours = tmpdir / "ours.gif"
        secs = best_time(lambda: write_with(ours, src, args.fps), args.repeats)
        rows.append(("ours (render/formats/gif.py)", ours.stat().st_size,
                     mean_psnr(src, decode(ours, w, h)), secs))  # fmt: skip

        old = tmpdir / "palettegen.gif"
        pattern = str(names[0].parent / "frame_%06d.png")
        first = int(names[0].stem.split("_")[1])

        def palettegen() -> None:
            subprocess.run(
                [ffmpeg_exe(), "-v", "error", "-y", "-framerate", f"{args.fps:g}",
                 "-start_number", str(first), "-i", pattern, "-vf",
                 "split[a][b];[a]palettegen=stats_mode=full[p];[b][p]paletteuse=dither=sierra3",
                 "-frames:v", str(n), str(old)], check=True,
            )  # fmt: skip

        secs = best_time(palettegen, args.repeats)
        rows.append(("ffmpeg palettegen + paletteuse (before #12; reads PNGs)",
                     old.stat().st_size, mean_psnr(src, decode(old, w, h)), secs))  # fmt: skip

        exe = gifski_binary(tmpdir / "npm")
        if exe is None:
            print("gifski: skipped (npm, or the gifski package, is not available)")
        else:
            ref = tmpdir / "gifski.gif"

            def gifski() -> None:
                subprocess.run(
                    [str(exe), "--quiet", "--fps", f"{args.fps:g}", "-W", str(w), "-o",
                     str(ref), *map(str, names)], check=True,
                )  # fmt: skip

            secs = best_time(gifski, args.repeats)
            version = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
            rows.append((f"{version.stdout.strip()} (default quality 90; reads PNGs)",
                         ref.stat().st_size, mean_psnr(src, decode(ref, w, h)), secs))  # fmt: skip

        mp4 = tmpdir / "mp4.mp4"
        secs = best_time(lambda: write_with(mp4, src, args.fps, preset="veryfast", crf=18),
                         args.repeats)  # fmt: skip
        rows.append(("MP4 path (x264 veryfast crf 18), for time", mp4.stat().st_size,
                     mean_psnr(src, decode(mp4, w, h)), secs))  # fmt: skip

    print(f"\ndream {args.start}-{args.end}, {n} frames at {w}x{h}, {args.fps:g} fps; "
          f"seconds: best of {args.repeats}, frames already in memory unless noted\n")  # fmt: skip
    print("| encoder | MB | mean PSNR dB | wall s | CPU s |")
    print("|---|---:|---:|---:|---:|")
    for label, nbytes, psnr, (wall, cpu) in rows:
        print(f"| {label} | {nbytes / 1e6:.2f} | {psnr:.2f} | {wall:.2f} | {cpu:.2f} |")
    (ours_wall, ours_cpu), (mp4_wall, mp4_cpu) = rows[0][3], rows[-1][3]
    print(f"\nours / MP4 path: wall {ours_wall / mp4_wall:.2f}x, CPU {ours_cpu / mp4_cpu:.2f}x "
          "(target: at most 2x)")  # fmt: skip
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
