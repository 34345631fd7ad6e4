"""Where one frame's time goes: milliseconds per layer, per effect and per pipeline stage.

    .venv/bin/python bench/bench_breakdown.py [--size 1920x1080] [--repeats 2] [--profile N]

Renders the same inline sequence as bench/bench_frame_cost.py (the whole story as an
escalation ramp, the dream's effects), one thread (NUMBA_NUM_THREADS=1, one OpenCV
thread) as in a render worker, after a warm-up frame. Each stage is timed around the
function that does it, exclusive of the stages nested inside it (a layer that flushes the
soft light is charged its drawing, the flush its upsample), so the rows add up to the
frame. Time is this process's CPU time (--clock wall for wall time): on a shared machine
CPU time moves far less with the load. Prints the median over the frames (12 frames
across the escalation, each rendered --repeats times) per stage, and the median total.
With --profile N it also prints cProfile's N most expensive functions (internal time)
over the same frames. Compare stages within one run.
"""

from __future__ import annotations

import os

os.environ["NUMBA_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import dataclasses  # noqa: E402
import functools  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import cv2  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_frame_cost import SEQUENCE  # noqa: E402

import render.frame as frame_mod  # noqa: E402
from render.frame import Renderer  # noqa: E402
from render.sequence import Sequence, parse_sequence  # noqa: E402
from render.softlight import SoftLight  # noqa: E402

FRAMES = range(2, 98, 8)  # escalation 0.02 .. 0.98, as bench_frame_cost.py


class Sections:
    """Exclusive wall time per named section within one frame (nested time subtracted)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.frame: dict[str, float] = defaultdict(float)
        self.stack: list[float] = []  # child time accumulated per open section

    def wrap(self, name: str | Callable[..., str], fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.stack.append(0.0)
            t0 = self.clock()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = self.clock() - t0
                children = self.stack.pop()
                label = name(*args, **kwargs) if callable(name) else name
                self.frame[label] += spent - children
                if self.stack:
                    self.stack[-1] += spent

        return timed


def instrument(sections: Sections) -> None:
    """Wrap every stage of Renderer.render with a timer (module attributes, so the
    renderer's own code is what runs)."""
    layer_of, effect_of = Sequence.layer, Sequence.effect
    layers: dict[str, Any] = {}
    effects: dict[str, Any] = {}

    def layer(self: Sequence, name: str) -> Any:
        if name not in layers:
            la = layer_of(self, name)
            layers[name] = dataclasses.replace(la, draw=sections.wrap(f"layer {name}", la.draw))
        return layers[name]

    def effect(self: Sequence, name: str) -> Any:
        if name not in effects:
            ef = effect_of(self, name)
            effects[name] = dataclasses.replace(ef, fn=sections.wrap(f"effect {name}", ef.fn))
        return effects[name]

    Sequence.layer, Sequence.effect = layer, effect  # type: ignore[method-assign]
    frame_mod.blur_drawn = sections.wrap("defocus (camera.blur_drawn)", frame_mod.blur_drawn)
    # The back plane drawn at its blur's size is blurred and laid on the frame here.
    frame_mod.lay_blurred = sections.wrap(
        "back plane's blur (camera.lay_blurred)", frame_mod.lay_blurred
    )
    frame_mod.argb_to_rgb = sections.wrap("BGRA->RGB", frame_mod.argb_to_rgb)
    frame_mod.finish = sections.wrap("tone map, dither, fused display effects", frame_mod.finish)
    SoftLight.flush = sections.wrap("soft light flush", SoftLight.flush)  # type: ignore[method-assign]
    SoftLight.collect = sections.wrap("soft light collect", SoftLight.collect)  # type: ignore[method-assign]
    Renderer.render = sections.wrap("other (surface, background, params)", Renderer.render)  # type: ignore[method-assign]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--repeats", type=int, default=2, help="renders of each frame")
    ap.add_argument("--profile", type=int, default=0, help="also print cProfile's top N")
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    w, h = map(int, args.size.lower().split("x"))
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    sections = Sections(clock)
    instrument(sections)
    r = Renderer(parse_sequence(SEQUENCE).replace(size=(w, h)))
    r.render(5)  # warm-up: structure built, kernels compiled
    per: dict[str, list[float]] = defaultdict(list)
    totals: list[float] = []
    prof = cProfile.Profile() if args.profile else None
    for _ in range(args.repeats):
        for i in FRAMES:
            sections.frame.clear()
            if prof:
                prof.enable()
            t0 = clock()
            r.render(i)
            totals.append(clock() - t0)
            if prof:
                prof.disable()
            for k, v in sections.frame.items():
                per[k].append(v)
    n = len(totals)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{w}x{h}, one thread, {n} frames (median {args.clock} ms; load average {load})")
    order = sorted(per, key=lambda k: (k.startswith("other"), -statistics.median(per[k])))
    width = max(map(len, order)) + 2
    for k in order:
        values = per[k] + [0.0] * (n - len(per[k]))  # a stage some frames skip costs 0 there
        print(f"  {k:<{width}} {statistics.median(values) * 1e3:7.1f}")
    print(f"  {'total':<{width}} {statistics.median(totals) * 1e3:7.1f}")
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
