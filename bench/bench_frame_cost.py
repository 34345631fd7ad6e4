"""What one frame costs now against a baseline commit: 1080p (and 4K), one thread.

    .venv/bin/python bench/bench_frame_cost.py [--baseline REF] [--repeats 3] [--no-4k]

The same inline sequence (the whole story as an escalation ramp, the dream's effects) is
rendered by this tree and by REF checked out in a temporary git worktree, in alternating
fresh processes, each frame timed after a warm-up (its CPU time: on a shared machine
wall time also counts the moments another tenant had the core), with OpenCV and numba
held to one thread as in a render worker. Prints the median milliseconds per frame for each, and the
ratio; then each frame's fastest time over the runs, averaged over the frames, and that
ratio (steadier on a busy machine). The machine may be shared: compare the ratios, not
the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SEQUENCE = """
[sequence]
duration = 10
fps = 10
seed = 1117
[tracks]
escalation = [[0, 0.0], [10, 1.0]]
aberration = [[0, 0.002], [10, 0.006]]
[[effects]]
type = "bloom"
strength = 0.85
threshold = 0.6
[[effects]]
type = "chromatic_aberration"
amount = "aberration"
[[effects]]
type = "scanlines"
strength = 0.12
[[effects]]
type = "vignette"
strength = 0.4
"""

CHILD = r"""
import json, os, sys, time
os.environ["NUMBA_NUM_THREADS"] = "1"
import cv2
cv2.setNumThreads(1)
from render.sequence import parse_sequence
from render.frame import Renderer
w, h = map(int, sys.argv[1].split("x"))
seq = parse_sequence(sys.stdin.read()).replace(size=(w, h))
r = Renderer(seq)
r.render(5)  # warm-up: structure built, kernels compiled
times = []
for i in range(2, 98, 8):  # escalation 0.02 .. 0.98
    t = time.process_time()
    r.render(i)
    times.append(time.process_time() - t)
print(json.dumps(times))
"""


def run(root: Path, size: str) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, size], input=SEQUENCE, env=env, cwd=root,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", default="4ad31e4", help="commit to compare with")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-4k", action="store_true")
    args = ap.parse_args()
    sizes = ["1920x1080"] + ([] if args.no_4k else ["3840x2160"])
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base), args.baseline],
            check=True, capture_output=True,
        )  # fmt: skip
        try:
            for size in sizes:
                now: list[list[float]] = []
                then: list[list[float]] = []
                for _ in range(args.repeats):  # alternate, so load drifts hit both alike
                    then.append(run(base, size))
                    now.append(run(ROOT, size))
                a = statistics.median(t for run_ in then for t in run_) * 1e3
                b = statistics.median(t for run_ in now for t in run_) * 1e3
                print(
                    f"{size}: baseline {args.baseline} {a:.0f} ms/frame, now {b:.0f} ms/frame, "
                    f"ratio {b / a:.2f} (median of {len(now) * len(now[0])} frames each, "
                    "one thread)"
                )
                # The same frames paired: each frame's fastest of the runs (what the load
                # left it), summed over the story. Steadier than the median above, which
                # shifts with whichever frame lands in the middle.
                fa = sum(min(ts) for ts in zip(*then, strict=True)) * 1e3 / len(then[0])
                fb = sum(min(ts) for ts in zip(*now, strict=True)) * 1e3 / len(now[0])
                print(
                    f"{size}: each frame's fastest of {len(now)} runs, averaged over the "
                    f"{len(now[0])} frames: baseline {fa:.0f} ms, now {fb:.0f} ms, "
                    f"ratio {fb / fa:.2f}"
                )
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                capture_output=True,
            )  # fmt: skip


if __name__ == "__main__":
    main()
