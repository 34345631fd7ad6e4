"""Benchmark the post effects on a neon test frame at 1920x1080 and 3840x2160.

Prints median milliseconds per call (after a warm-up) for render.effects.bloom next to two
references run in the same process: a naive numpy separable Gaussian bloom (one level,
sigma 20 px, float32 at full resolution) as the baseline, and the same single-level bloom
with cv2.GaussianBlur, to show how much comes from the pyramid and how much from OpenCV.
Then the other effects.

    .venv/bin/python bench/bench_bloom.py [--runs 15] [--ref-runs 5] [--demo out.png]

The machine is shared, so medians move by a few tenths of a millisecond from run to run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from render import effects  # noqa: E402

SIZES = ((1920, 1080), (3840, 2160))
REF_SIGMA = 20.0
REF_THRESHOLD = 0.55


def neon_frame(w: int, h: int) -> np.ndarray:
    """Near-black frame with neon strokes (white-hot core, coloured body, dim outer rim),
    a dim background line that should not glow, and a pure blue stroke."""
    img = np.empty((h, w, 3), np.uint8)
    img[...] = (8, 8, 14)
    s = h / 1080

    def px(v: float) -> int:
        return max(1, round(v * s))

    def stroke(draw: Callable[[np.ndarray, tuple, int], None], colour: tuple) -> None:
        rim = tuple(int(c * 0.55) for c in colour)
        for width, col in ((14, rim), (8, colour), (3, (255, 255, 255))):
            draw(img, col, px(width))

    aa = cv2.LINE_AA
    stroke(
        lambda im, c, t: cv2.circle(im, (int(w * 0.3), int(h * 0.45)), int(h * 0.22), c, t, aa),
        (255, 40, 200),
    )
    stroke(
        lambda im, c, t: cv2.line(
            im, (int(w * 0.05), int(h * 0.85)), (int(w * 0.95), int(h * 0.7)), c, t, aa
        ),
        (40, 220, 255),
    )
    stroke(
        lambda im, c, t: cv2.rectangle(
            im, (int(w * 0.6), int(h * 0.15)), (int(w * 0.85), int(h * 0.5)), c, t, aa
        ),
        (255, 120, 20),
    )
    stroke(
        lambda im, c, t: cv2.ellipse(
            im, (int(w * 0.72), int(h * 0.33)), (int(h * 0.08), int(h * 0.05)), 30, 0, 300, c, t, aa
        ),
        (120, 255, 60),
    )
    stroke(
        lambda im, c, t: cv2.line(
            im, (int(w * 0.1), int(h * 0.1)), (int(w * 0.45), int(h * 0.12)), c, t, aa
        ),
        (90, 80, 255),
    )
    cv2.line(img, (0, int(h * 0.6)), (w, int(h * 0.55)), (40, 30, 70), px(2), aa)
    cv2.line(
        img, (int(w * 0.1), int(h * 0.95)), (int(w * 0.5), int(h * 0.95)), (0, 0, 255), px(5), aa
    )
    return img


# --------------------------------------------------------------------------------------
# references


def _gauss_kernel(sigma: float) -> np.ndarray:
    r = int(np.ceil(3 * sigma))
    x = np.arange(-r, r + 1, dtype=np.float32)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def naive_numpy_bloom(rgb: np.ndarray) -> np.ndarray:
    """The baseline: float32 full frame, hard threshold, separable Gaussian done with numpy
    slices (one shifted multiply-add per tap), add and clip."""
    f = rgb.astype(np.float32) / 255.0
    bright = np.maximum(f - REF_THRESHOLD, 0.0) / (1.0 - REF_THRESHOLD)
    k = _gauss_kernel(REF_SIGMA)
    r = len(k) // 2
    h, w = rgb.shape[:2]
    pad = np.pad(bright, ((0, 0), (r, r), (0, 0)), mode="reflect")
    tmp = np.zeros_like(bright)
    for i, kv in enumerate(k):
        tmp += kv * pad[:, i : i + w]
    pad = np.pad(tmp, ((r, r), (0, 0), (0, 0)), mode="reflect")
    blur = np.zeros_like(bright)
    for i, kv in enumerate(k):
        blur += kv * pad[i : i + h]
    out = f + blur
    return (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def cv2_single_level_bloom(rgb: np.ndarray) -> np.ndarray:
    """The same one-level float32 bloom, with OpenCV doing the blur."""
    f = rgb.astype(np.float32) * (1 / 255.0)
    bright = np.maximum(f - REF_THRESHOLD, 0.0) * (1.0 / (1.0 - REF_THRESHOLD))
    blur = cv2.GaussianBlur(bright, (0, 0), REF_SIGMA)
    return cv2.convertScaleAbs(cv2.add(f, blur), alpha=255.0)


# --------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up: caches, scratch buffers, lazy imports
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def write_demo(path: Path) -> None:
    """Left: the neon test frame; right: the same frame bloomed (1280x720 each)."""
    img = neon_frame(1280, 720)
    both = np.concatenate([img, effects.bloom(img)], axis=1)
    cv2.line(both, (1280, 0), (1280, 719), (90, 90, 90), 1)
    cv2.imwrite(str(path), cv2.cvtColor(both, cv2.COLOR_RGB2BGR))
    print(f"before/after written to {path}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="timed runs per effect (default 15)")
    ap.add_argument(
        "--ref-runs", type=int, default=5, help="timed runs of the slow numpy reference"
    )
    ap.add_argument("--demo", type=Path, help="also write a before/after bloom PNG here")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(0)
    rows: list[tuple[str, Callable[[np.ndarray], object], int]] = [
        ("bloom (pyramid, uint8)", lambda f: effects.bloom(f), args.runs),
        (f"naive numpy Gaussian σ={REF_SIGMA:g}px", naive_numpy_bloom, args.ref_runs),
        (f"cv2.GaussianBlur σ={REF_SIGMA:g}px f32", cv2_single_level_bloom, args.runs),
        ("chromatic_aberration", lambda f: effects.chromatic_aberration(f, 0.003), args.runs),
        ("scanlines", lambda f: effects.scanlines(f, 0.15), args.runs),
        ("vignette", lambda f: effects.vignette(f, 0.35), args.runs),
        ("grain", lambda f: effects.grain(f, 0.04, rng), args.runs),
        ("flicker", lambda f: effects.flicker(f, 0.1, rng), args.runs),
    ]
    results: dict[str, dict[tuple[int, int], float]] = {name: {} for name, _, _ in rows}
    for size in SIZES:
        frame = neon_frame(*size)
        for name, fn, runs in rows:
            results[name][size] = median_ms(lambda fn=fn, frame=frame: fn(frame), runs)

    head = ["effect", *(f"{w}x{h} ms" for w, h in SIZES), "runs"]
    refs = {rows[1][0]: "bloom speed-up vs naive numpy", rows[2][0]: "bloom speed-up vs cv2 blur"}
    width = max(len(n) for n in [*results, *refs.values()]) + 2
    line = f"{head[0]:<{width}}" + "".join(f"{c:>14}" for c in head[1:])
    print(line)
    print("-" * len(line))
    for name, _, runs in rows:
        cells = "".join(f"{results[name][s]:>14.2f}" for s in SIZES)
        print(f"{name:<{width}}{cells}{runs:>14}")
    print("-" * len(line))
    for ref, label in refs.items():
        ratio = "".join(f"{results[ref][s] / results[rows[0][0]][s]:>13.1f}x" for s in SIZES)
        print(f"{label:<{width}}{ratio}")
    print(f"\n(median of the timed runs after one warm-up; {cv2.getNumThreads()} OpenCV threads)")
    if args.demo:
        write_demo(args.demo)


if __name__ == "__main__":
    main()
