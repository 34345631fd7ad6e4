"""The dream's light against issue #11's targets: blacks, highlight colour, clipping, banding.

    .venv/bin/python bench/bench_light.py [--frames 40] [--repeats 15] [--no-timing]

Renders the dream at 960x540 at --frames evenly spaced frames and prints, per beat and
overall (Rec.709 luma on the 0-255 sRGB values, HSV saturation on the bytes):

* darkest 1%: the 1st percentile of luma; target: <= 10 in at least 90% of the frames
  before the wake (escalation < 0.95);
* highlight saturation: mean HSV S of pixels with luma > 200, per frame (frames where
  they cover at least 0.1% of the picture); target: >= 0.25 in every climax frame
  (escalation 0.6-0.95);
* pure white: share of pixels with every channel >= 250; target: <= 0.5% in every frame
  outside the cut to white (escalation < 0.95);
* banding around the "Then-" card (the frames nearest escalation 0.955, 0.960 and
  0.966): along 180 rays from the card's centre, outside the lettering, the steps
  between two flat runs (each at least 1/68 of the frame height long) of any channel:
  8-bit quantisation of a slow glow draws such rings, a hard-edged disc one more, a
  dithered glow almost none. Target: <= 0.2 a ray.

Then it times `render.tonemap.finish` at 1920x1080 on a rendered frame (median of
--repeats, numba on one thread and on all) and a full 1080p frame render on one thread.
Prints PASS/FAIL per target; asserts nothing. The machine may be shared: the load
average is printed next to the timings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from render import tonemap  # noqa: E402
from render.frame import Renderer  # noqa: E402
from render.sequence import Sequence, load_sequence  # noqa: E402
from render.story import BEATS, beat_of  # noqa: E402

DREAM = ROOT / "sequences" / "dream.toml"
SIZE = (960, 540)
LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
WAKE, CLIMAX = 0.95, (0.6, 0.95)
DARK_LEVEL, DARK_SHARE = 10.0, 0.9
SAT_MIN, BRIGHT_LUMA, BRIGHT_SHARE = 0.25, 200.0, 0.001
WHITE_LEVEL, WHITE_MAX = 250, 0.005
CARD_ESCALATIONS = (0.955, 0.960, 0.966)
RINGS_MAX = 0.2


@dataclass(frozen=True)
class Stats:
    index: int
    escalation: float
    dark1: float
    bright_sat: float | None  # None where too few pixels are bright
    white: float

    @property
    def beat(self) -> str:
        return beat_of(self.escalation)


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) @ LUMA


def saturation(rgb: np.ndarray) -> np.ndarray:
    mx = rgb.max(axis=-1).astype(np.float32)
    mn = rgb.min(axis=-1).astype(np.float32)
    return np.where(mx > 0, (mx - mn) / np.maximum(mx, 1.0), 0.0)


def measure(index: int, escalation: float, rgb: np.ndarray) -> Stats:
    y = luma(rgb)
    bright = y > BRIGHT_LUMA
    sat = float(saturation(rgb[bright]).mean()) if bright.mean() >= BRIGHT_SHARE else None
    white = float(np.all(rgb >= WHITE_LEVEL, axis=-1).mean())
    return Stats(index, escalation, float(np.percentile(y, 1)), sat, white)


# --------------------------------------------------------------------------- banding


def rings(rgb: np.ndarray, rays: int = 180) -> tuple[float, float]:
    """(steps between flat runs a ray, share of rays with any) around the brightest thing
    in the frame, outside it."""
    h, w = rgb.shape[:2]
    y = luma(rgb)
    core = y >= 0.5 * y.max()
    cy, cx = (c.mean() for c in np.nonzero(core))
    margin = max(3, round(0.03 * h))
    lettering = cv2.dilate((y >= 0.25 * y.max()).astype(np.uint8), np.ones((margin, margin)))
    flat = max(6, round(h / 68))
    steps = []
    for angle in np.linspace(0, 2 * np.pi, rays, endpoint=False):
        dx, dy = np.cos(angle), np.sin(angle)
        step = 1.0 / max(abs(dx), abs(dy))  # one new pixel a sample
        r = np.arange(0, np.hypot(w, h), step)
        px, py = np.rint(cx + r * dx).astype(int), np.rint(cy + r * dy).astype(int)
        inside = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        px, py = px[inside], py[inside]
        hits = np.flatnonzero(lettering[py, px])
        start = hits[-1] + 1 if len(hits) else 0  # where the ray leaves the lettering
        worst = 0
        for c in range(3):
            profile = rgb[py[start:], px[start:], c].astype(int)
            edges = np.flatnonzero(np.diff(profile) != 0)
            bounds = np.concatenate([[-1], edges, [len(profile) - 1]])
            runs = np.diff(bounds)
            worst = max(worst, int(np.sum((runs[:-1] >= flat) & (runs[1:] >= flat))))
        steps.append(worst)
    steps_a = np.asarray(steps, float)
    return float(steps_a.mean()), float((steps_a > 0).mean())


# --------------------------------------------------------------------------- timing


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def with_threads(n: int, fn: Callable[[], float]) -> float:
    import numba

    before, cv_before = numba.get_num_threads(), cv2.getNumThreads()
    numba.set_num_threads(n)
    cv2.setNumThreads(n)
    try:
        return fn()
    finally:
        numba.set_num_threads(before)
        cv2.setNumThreads(cv_before)


def timings(repeats: int) -> None:
    import numba

    full = load_sequence(DREAM)  # the dream's own size, 1920x1080
    renderer = Renderer(full)
    index = _index_near(full, 0.75)
    base = renderer.render(index)
    # Light as the soft-light buffer will hold it: an eighth of the size, smooth, HDR.
    small = cv2.resize(tonemap.srgb_to_linear(base), (240, 135), interpolation=cv2.INTER_AREA)
    light = cv2.GaussianBlur(small, (0, 0), 3) * 2.0
    tonemap.warm_up()
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"\ntimings at 1920x1080 (load average {os.getloadavg()[0]:.2f}, {cores} cores)")
    cases = {
        "finish, no light, exposure 1": lambda: tonemap.finish(base, None, 1.0, 1),
        "finish, 1/8 light, exposure 1": lambda: tonemap.finish(base, light, 1.0, 1),
        "finish, 1/8 light, exposure 1.5": lambda: tonemap.finish(base, light, 1.5, 1),
    }
    for name, fn in cases.items():
        one = with_threads(1, lambda fn=fn: median_ms(fn, repeats))
        every = with_threads(cores, lambda fn=fn: median_ms(fn, repeats))
        print(f"  {name:34s} {one:7.1f} ms one thread  {every:7.1f} ms {cores} threads")
    frames = [_index_near(full, e) for e in (0.1, 0.3, 0.5, 0.7, 0.9)]

    def render_all() -> float:
        for i in frames:
            renderer.render(i)  # layers built, caches warm
        runs = []
        for _ in range(max(1, repeats // 5)):
            for i in frames:
                t = time.perf_counter()
                renderer.render(i)
                runs.append(time.perf_counter() - t)
        return statistics.median(runs) * 1000

    print(
        f"  {'full frame render (5 frames)':34s} {with_threads(1, render_all):7.1f} ms one thread"
    )


def _index_near(seq: Sequence, escalation: float) -> int:
    values = [seq.sample(seq.time_of(i))["escalation"] for i in range(seq.frames)]
    return int(np.argmin(np.abs(np.asarray(values) - escalation)))


# --------------------------------------------------------------------------- report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(stats: list[Stats], card: list[tuple[int, float, float, float]]) -> None:
    print(
        f"{'beat':9s} {'frames':>6s} {'dark1% med':>10s} {'max':>6s} {'<=10':>6s} "
        f"{'hi-sat min':>10s} {'mean':>6s} {'white max':>9s}"
    )
    groups = [(name, [s for s in stats if s.beat == name]) for name, _ in BEATS]
    for name, group in [*groups, ("all", stats)]:
        if not group:
            continue
        dark = [s.dark1 for s in group]
        sats = [s.bright_sat for s in group if s.bright_sat is not None]
        sat_min = f"{min(sats):10.3f}" if sats else f"{'-':>10s}"
        sat_mean = f"{statistics.mean(sats):6.3f}" if sats else f"{'-':>6s}"
        share = np.mean([d <= DARK_LEVEL for d in dark])
        print(
            f"{name:9s} {len(group):6d} {statistics.median(dark):10.1f} {max(dark):6.1f} "
            f"{share:6.0%} {sat_min} {sat_mean} {max(s.white for s in group):9.2%}"
        )

    before = [s for s in stats if s.escalation < WAKE]
    dark_share = float(np.mean([s.dark1 <= DARK_LEVEL for s in before]))
    climax = [s for s in stats if CLIMAX[0] <= s.escalation < CLIMAX[1]]
    sats = [s.bright_sat for s in climax if s.bright_sat is not None]
    worst_white = max(before, key=lambda s: s.white)
    print("\ntargets")
    print(
        f"  {verdict(dark_share >= DARK_SHARE)}  darkest 1% <= {DARK_LEVEL:g} before the wake: "
        f"{dark_share:.0%} of {len(before)} frames (target >= {DARK_SHARE:.0%}); "
        f"range {min(s.dark1 for s in before):.1f}-{max(s.dark1 for s in before):.1f}"
    )
    if sats:
        print(
            f"  {verdict(min(sats) >= SAT_MIN)}  climax highlight saturation: worst frame "
            f"{min(sats):.3f}, mean {statistics.mean(sats):.3f} over {len(sats)} frames "
            f"(target >= {SAT_MIN})"
        )
    else:
        print("  FAIL  climax highlight saturation: no climax frame has bright pixels")
    print(
        f"  {verdict(worst_white.white <= WHITE_MAX)}  pure white outside the cut: worst "
        f"{worst_white.white:.2%} (frame {worst_white.index}, escalation "
        f"{worst_white.escalation:.3f}; target <= {WHITE_MAX:.1%})"
    )
    worst = max(card, key=lambda c: c[2])
    detail = ", ".join(
        f"frame {i} (e {e:.3f}): {m:.2f}/ray, {r:.0%} of rays" for i, e, m, r in card
    )
    print(
        f"  {verdict(worst[2] <= RINGS_MAX)}  banding around 'Then-': {detail} "
        f"(target <= {RINGS_MAX}/ray)"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=40, help="evenly spaced frames (40)")
    ap.add_argument("--repeats", type=int, default=15, help="timing repeats (15)")
    ap.add_argument("--no-timing", action="store_true", help="only the picture targets")
    args = ap.parse_args(argv)

    seq = load_sequence(DREAM).replace(size=SIZE)
    renderer = Renderer(seq)
    indices = sorted({int(i) for i in np.linspace(0, seq.frames - 1, args.frames).round()})
    print(f"dream at {SIZE[0]}x{SIZE[1]}: {len(indices)} of {seq.frames} frames")
    stats = []
    for i in indices:
        e = float(seq.sample(seq.time_of(i))["escalation"])
        stats.append(measure(i, e, renderer.render(i)))
    card = []
    for target in CARD_ESCALATIONS:
        i = _index_near(seq, target)
        e = float(seq.sample(seq.time_of(i))["escalation"])
        card.append((i, e, *rings(renderer.render(i))))
    report(stats, card)
    if not args.no_timing:
        timings(args.repeats)


if __name__ == "__main__":
    main()
