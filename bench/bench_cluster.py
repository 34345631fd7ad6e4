"""Overhead of rendering on a two-worker Dask cluster against the local pipeline, and the
bytes a segment sends back.

    .venv/bin/python bench/bench_cluster.py [--size 1920x1080] [--start 10] [--seconds 4]
                                            [--repeat 3] [--workers 2]

Every case renders the same frames of the dream to MP4 (x264 veryfast crf 18, the
defaults) with the real `render animate` command in a fresh process, `--repeat` times;
the table gives the median wall time (process start to exit), frames per second and the
ratio to the local pipeline:

* local pipeline: `render animate` as it is by default (one ffmpeg, worker processes);
* local, segmented: the same with `--segment 2`, the segmenting a cluster render uses;
* cluster, warm: `--cluster tcp://...` on a scheduler and `--workers` `dask worker`
  processes (one thread each) started once beforehand, as a deployed cluster would be;
  one untimed render first, so every worker has imported and compiled the renderer;
* cluster, cold: `--cluster local:N`, a LocalCluster started and stopped by the command.

Then the bytes per segment that workers send back, for MP4 and for a PNG folder, measured
on the segments of one render through the library. The machine may be shared: the load
average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DREAM = ROOT / "sequences" / "dream.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--start", type=float, default=10.0, help="seconds into the dream")
    ap.add_argument("--seconds", type=float, default=4.0, help="how much of it to render")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    span = [
        "--size",
        args.size,
        "--start",
        f"{args.start:g}",
        "--end",
        f"{args.start + args.seconds:g}",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        folder = Path(tmp)
        cluster = _Cluster(folder, args.workers, env)
        try:
            _render(folder, [*span, "--cluster", cluster.address], env)  # warm the workers
            cases = {
                "local pipeline": [],
                "local, --segment 2": ["--segment", "2"],
                f"cluster, warm ({args.workers} dask workers)": ["--cluster", cluster.address],
                f"cluster, cold (--cluster local:{args.workers})": [
                    "--cluster",
                    f"local:{args.workers}",
                ],
            }
            times: dict[str, list[float]] = {name: [] for name in cases}
            frames = 0
            for _ in range(args.repeat):  # interleaved, so a busy spell hits every case
                for name, extra in cases.items():
                    seconds, frames = _render(folder, [*span, *extra], env)
                    times[name].append(seconds)
            sizes = _segment_bytes(cluster.address, args, folder)
        finally:
            cluster.stop()

    base = statistics.median(times["local pipeline"])
    print(f"\n{frames} frames of {args.size}, MP4 x264 veryfast crf 18, median of {args.repeat}")
    print("| case | s | fps | vs local pipeline |\n|---|---:|---:|---:|")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"| {name} | {median:.1f} | {frames / median:.2f} | {median / base:.2f}x |")
    print()
    for what, values in sizes.items():
        print(f"bytes per segment, {what}: median {statistics.median(values) / 1e6:.2f} MB")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _render(folder: Path, args: list[str], env: dict) -> tuple[float, int]:
    out = folder / "out.mp4"
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "render", "animate", str(DREAM), "-o", str(out), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"render animate {' '.join(args)} failed: {result.stderr.strip()}")
    summary = re.search(r"^wrote .* \((\d+) frames", result.stderr, re.M)
    if summary is None or result.stderr.count("\n") > 1:
        print(f"render animate {' '.join(args)} said:\n{result.stderr.strip()}")
    return seconds, int(summary[1]) if summary else 0


def _segment_bytes(address: str, args, folder: Path) -> dict[str, list[int]]:
    """What workers send back per segment, measured on one render of each kind."""
    from render.cluster import connect, parse_cluster
    from render.encode import open_writer
    from render.segments import DEFAULT_SECONDS, frames_per_segment, open_segmented
    from render.sequence import load_sequence
    from render.units import parse_size

    seq = load_sequence(DREAM).replace(size=parse_size(args.size))
    first = seq.index_at(args.start)
    indices = range(first, min(seq.frames, first + round(args.seconds * seq.fps)))
    n = frames_per_segment(seq.fps, DEFAULT_SECONDS)
    sizes: dict[str, list[int]] = {"MP4": [], "PNG folder": []}
    with connect(parse_cluster(address)) as session:
        with open_segmented(
            folder / "bytes.mp4", seq.size, seq.fps, preset="veryfast", segment_frames=n
        ) as video:
            put = video.put
            video.put = lambda k, data, frames: (
                sizes["MP4"].append(len(data)),
                put(k, data, frames),
            )
            session.render_into(video, seq, indices, segment_frames=n)
        with open_writer(folder / "bytes-png", seq.size, seq.fps) as writer:
            write = writer.write_encoded
            segment: list[int] = []

            def counted(png: bytes) -> None:
                segment.append(len(png))
                if len(segment) == n:
                    sizes["PNG folder"].append(sum(segment))
                    segment.clear()
                write(png)

            writer.write_encoded = counted
            session.render_into(writer, seq, indices, segment_frames=n)
            if segment:
                sizes["PNG folder"].append(sum(segment))
    raw = len(indices[:n]) * seq.width * seq.height * 3
    print(f"raw RGB for one segment of {n} frames: {raw / 1e6:.1f} MB")
    return sizes


class _Cluster:
    """A scheduler and worker processes on 127.0.0.1, as `dask` commands."""

    def __init__(self, folder: Path, workers: int, env: dict) -> None:
        self.procs: list[subprocess.Popen] = []
        scheduler_file = folder / "scheduler.json"
        self._start(env, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                    "--scheduler-file", str(scheduler_file))  # fmt: skip
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if time.monotonic() > deadline:
                sys.exit("the dask scheduler did not start")
            time.sleep(0.05)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(workers):
            self._start(
                env, "worker", self.address, "--nthreads", "1", "--no-dashboard",
                "--host", "127.0.0.1", "--local-directory", str(folder / "scratch"),
            )  # fmt: skip
        from distributed import Client

        with Client(self.address, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=60)

    def _start(self, env: dict, *args: str) -> None:
        self.procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
