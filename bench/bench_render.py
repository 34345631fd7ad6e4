"""End-to-end speed of the dream: frames per second, milliseconds per stage, peak memory.

    .venv/bin/python bench/bench_render.py [--frames 150] [--frames-4k 30] [--variants]
                                           [--no-4k] [--workers N] [--no-write]

Every case runs in a fresh process while this one samples the process tree (CPU every
0.1 s; PSS summed over the case's process and all its descendants -- workers, ffmpeg --
every second, as reading it costs CPU):

* encoder only: x264 medium crf 18 through `open_writer`, fed a synthetic neon test
  pattern with grain, on as many frames as the render -- the ceiling for an MP4;
* `render animate` (the real command with its defaults: every core, x264 veryfast crf 18)
  on a span from the middle of the story, the same with --preset medium (the reference's
  settings), with --workers 1, and on a span three times as long: the peak memory of the
  long and the short run should match (flat);
* render only: `render_frames` with frames thrown away -- what rendering alone reaches;
* naive: one process, `Renderer.render` + `imageio_ffmpeg.write_frames` with its defaults
  (which means crf 25 and 1080 rows rescaled to 1088), no workers, no shared memory;
* with --variants: the pipeline yielding shared-memory views instead of copies
  (copy=False), and the pipeline with frames written to ffmpeg from a separate thread.

Then each stage is timed in one process, frame by frame through the span in order (the
median per frame; numba held to one thread as in a worker): every layer, every effect, the
BGRA->RGB conversion. The table goes to stdout and, with the date, machine and command, to
bench/RESULTS.md. The machine may be shared: the load average is printed next to the
figures, and anything else running slows every case.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import queue
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DREAM = ROOT / "sequences" / "dream.toml"
RESULTS = ROOT / "bench" / "RESULTS.md"
SIZES = {"1080p": (1920, 1080), "4K": (3840, 2160)}
PRESET, CRF = "medium", 18  # the encoder-only reference, as the issue fixes it


def _default_preset() -> str:
    """What `render animate` uses unless told: read from the command itself."""
    from render.cli import animate

    return next(p.default for p in animate.params if p.name == "preset")


DEFAULT_PRESET = _default_preset()
TARGET_RATIO_1080, TARGET_FPS_4K, TARGET_MEM = 0.6, 4.0, 1.25
SAMPLE_S = 0.1  # CPU counters of the case's processes
TREE_EVERY = 5  # samples between scans for new processes (0.5 s)
PSS_EVERY = 10  # samples between memory readings (1 s; memory here is flat after start-up)


# --------------------------------------------------------------------------- process tree


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    return kids


def _tree(root: int) -> list[int]:
    kids, out, todo = _children(), [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> tuple[str, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    if not cmd.strip():
        role = ""  # exited (a zombie has no command line): keep the role seen before
    elif "ffmpeg" in cmd:
        role = "ffmpeg"
    elif "resource_tracker" in cmd:
        role = "helper"
    elif "forkserver" in cmd:
        role = "worker"
    else:
        role = "main"
    return role, (int(rest[11]) + int(rest[12])) / ticks  # utime + stime


def run_case(name: str, spec: dict) -> dict:
    """Run one case in a fresh process; sample its tree's memory and CPU until it ends."""
    cmd = spec.pop("cmd", None) or [sys.executable, __file__, "--child", json.dumps(spec)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, cpu, role_of = 0, {}, {}
    peak_roles: dict[str, int] = {}
    pids: list[int] = []
    tick = 0
    while proc.poll() is None:
        # CPU counters are cheap to read and are read often, so little is lost when a
        # process exits; the tree scan and PSS are not (PSS walks every mapping: ~30 ms
        # of CPU for this tree, which read every 50 ms took 40% of a core off the render).
        if tick % TREE_EVERY == 0:
            pids = _tree(proc.pid)
        for p in pids:
            got = _cpu_s(p)
            if got:
                role_of[p] = got[0] or role_of.get(p, "main")
                cpu[p] = (role_of[p], got[1])
        if tick % PSS_EVERY == 0:
            by_role: dict[str, int] = {}
            for p in pids:
                r = role_of.get(p, "main")
                by_role[r] = by_role.get(r, 0) + _pss_kib(p)
            total = sum(by_role.values())
            if total > peak:
                peak, peak_roles = total, by_role
        tick += 1
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"case {name!r} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result = {
        "wall": wall,
        "peak_mib": peak / 1024,
        "peak_roles": {k: v / 1024 for k, v in peak_roles.items()},
    }
    lines = out.decode().strip().splitlines()
    if lines and lines[-1].startswith("{"):
        result.update(json.loads(lines[-1]))
    said = re.search(r"frames, .* in ([0-9.]+) s", err.decode())
    if said:  # `render animate` times itself from the start of the render (not imports)
        result["seconds"] = float(said.group(1))
    roles: dict[str, float] = {}
    for role, secs in cpu.values():
        roles[role] = roles.get(role, 0.0) + secs
    result["cpu"] = roles
    result.setdefault("seconds", wall)
    return result


# --------------------------------------------------------------------------- child cases


def _sequence(size):
    from render.sequence import load_sequence

    return load_sequence(DREAM).replace(size=tuple(size))


def test_pattern(w: int, h: int, frames: int):
    """Neon lines and rings with a soft glow drifting over a dark gradient: the clean
    kind of picture PERF-NOTES measured x264 on. (The dream itself costs x264 about three
    times more per frame; the animate rows show that cost.)"""
    import cv2
    import numpy as np

    rng = np.random.default_rng(1)
    pad = h // 4
    ramp = np.linspace(6, 26, h + pad)[:, None, None] * np.array([1.0, 0.6, 1.6])
    base = np.ascontiguousarray(np.broadcast_to(ramp, (h + pad, w + pad, 3)).astype(np.uint8))
    t = max(1, h // 300)
    for k in range(40):
        colour = tuple(int(c) for c in rng.integers(60, 256, 3))
        p0 = tuple(int(v) for v in rng.integers(0, [w + pad, h + pad]))
        p1 = tuple(int(v) for v in rng.integers(0, [w + pad, h + pad]))
        cv2.line(base, p0, p1, colour, t * (1 + k % 3), cv2.LINE_AA)
        cv2.circle(base, p0, int(rng.integers(h // 40, h // 6)), colour, t, cv2.LINE_AA)
    base = cv2.add(base, cv2.GaussianBlur(base, (0, 0), h / 120))
    for i in range(frames):
        dx, dy = (3 * i) % pad, (2 * i) % pad
        yield np.ascontiguousarray(base[dy : dy + h, dx : dx + w])


def child_encoder(spec: dict) -> dict:
    from render.encode import open_writer

    w, h = spec["size"]
    # 16 distinct frames made beforehand, then repeated: x264 medium references only the
    # last 3 frames, so the repeat gains it nothing, and the timing is the encoder's alone.
    pattern = list(test_pattern(w, h, min(16, spec["frames"])))
    t0 = time.perf_counter()
    with open_writer(spec["out"], (w, h), 30, preset=PRESET, crf=CRF) as writer:
        for i in range(spec["frames"]):
            writer.write(pattern[i % len(pattern)])
    return {"seconds": time.perf_counter() - t0}


def child_pipeline(spec: dict) -> dict:
    """render_frames into open_writer like `render animate`, or into nothing."""
    from render.encode import open_writer
    from render.pipeline import default_workers, render_frames

    seq = _sequence(spec["size"])
    indices = range(spec["first"], spec["first"] + spec["frames"])
    workers = spec.get("workers") or default_workers()
    copy = not spec.get("view", False)
    t0 = time.perf_counter()
    frames = render_frames(seq, indices, workers=workers, copy=copy)
    if spec.get("encode", True) is False:
        for _ in frames:
            pass
        return {"seconds": time.perf_counter() - t0, "workers": workers}
    with open_writer(spec["out"], seq.size, seq.fps, preset=DEFAULT_PRESET, crf=CRF) as writer:
        if not spec.get("thread"):
            for frame in frames:
                writer.write(frame)
        else:  # frames go to ffmpeg from a second thread through a bounded queue
            q: queue.Queue = queue.Queue(maxsize=2)
            failed: list[BaseException] = []

            def drain() -> None:
                try:
                    while (f := q.get()) is not None:
                        writer.write(f)
                except BaseException as exc:  # noqa: BLE001
                    failed.append(exc)
                    while q.get() is not None:
                        pass

            t = threading.Thread(target=drain)
            t.start()
            try:
                for frame in frames:
                    q.put(frame)
            finally:
                q.put(None)
                t.join()
            if failed:
                raise failed[0]
    return {"seconds": time.perf_counter() - t0, "workers": workers}


def child_naive(spec: dict) -> dict:
    """What a first script would do: one process, imageio-ffmpeg with its defaults."""
    import imageio_ffmpeg

    from render.frame import Renderer

    seq = _sequence(spec["size"])
    t0 = time.perf_counter()
    r = Renderer(seq)
    gen = imageio_ffmpeg.write_frames(spec["out"], seq.size, fps=seq.fps, ffmpeg_log_level="error")
    gen.send(None)
    for i in range(spec["first"], spec["first"] + spec["frames"]):
        gen.send(r.render(i))
    gen.close()
    return {"seconds": time.perf_counter() - t0}


def child_stages(spec: dict) -> dict:
    """Time every stage of Renderer.render in this one process."""
    import numpy as np

    try:
        import numba

        numba.set_num_threads(1)  # as in a worker
    except (ImportError, ValueError):
        pass
    import cv2

    cv2.setNumThreads(1)  # as in a worker
    from render import frame as frame_mod
    from render.registry import EFFECTS, LAYERS

    times: dict[str, list[float]] = {}

    def timed(name, fn):
        @functools.wraps(fn)  # keeps the signature: an effect that takes rng still gets it
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                times.setdefault(name, []).append(time.perf_counter() - t)

        return wrapper

    saved = dict(LAYERS)
    for name, layer in saved.items():
        LAYERS[name] = dataclasses.replace(layer, draw=timed(f"layer {name}", layer.draw))
    for name, effect in dict(EFFECTS).items():
        EFFECTS[name] = dataclasses.replace(effect, fn=timed(f"effect {name}", effect.fn))
    frame_mod.argb_to_rgb = timed("BGRA->RGB", frame_mod.argb_to_rgb)
    try:  # low-resolution glow buffer added into the frame after each layer, if present
        from render.softlight import SoftLight

        SoftLight.flush = timed("soft light flush (after each layer)", SoftLight.flush)
    except ImportError:
        pass

    seq = _sequence(spec["size"])
    r = frame_mod.Renderer(seq)
    first, n = spec["first"], spec["frames"]
    k = spec["samples"] if 0 < spec["samples"] < n else n
    # Consecutive frames, in order, as a render draws them: the per-render caches (text
    # masks, thread pictures) then work as they do in a worker.
    picks = list(range(first, first + k))
    r.render(max(0, first - 1))  # warm-up: layer structures, numba, scratch buffers
    times.clear()
    per_frame: dict[str, list[float]] = {}
    for i in picks:
        times.clear()
        t = time.perf_counter()
        rgb = r.render(i)
        total = time.perf_counter() - t
        for k, v in times.items():
            per_frame.setdefault(k, []).append(sum(v))
        per_frame.setdefault("render total", []).append(total)
        staged = sum(sum(v) for v in times.values())
        per_frame.setdefault("other (surface, background, params)", []).append(total - staged)
        # the worker's only extra work: copy into its shared-memory slot
        slot = np.empty_like(rgb)
        t = time.perf_counter()
        slot[...] = rgb
        per_frame.setdefault("copy into shared slot", []).append(time.perf_counter() - t)
    # every stage appears in every frame; a layer that returns early costs ~0
    med = {k: statistics.median(v) * 1e3 for k, v in per_frame.items()}
    return {"stages": med, "frames": picks}


CHILDREN = {
    "encoder": child_encoder,
    "pipeline": child_pipeline,
    "naive": child_naive,
    "stages": child_stages,
}


# --------------------------------------------------------------------------- report


def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"nproc {cores}, {model}{mem}, Python {platform.python_version()}"


def load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        return "?"


def span(frames_total: int, n: int) -> tuple[int, int]:
    n = max(1, min(n, frames_total))
    first = max(0, frames_total // 2 - n // 2)
    return first, n


def cli_cmd(
    out: str, size, first: int, n: int, fps: float, workers: int | None, preset: str | None = None
) -> list[str]:
    """`render animate` on a span of the dream; without `preset`, the CLI's own defaults
    (x264 veryfast, crf 18), which is what a user gets."""
    cmd = [
        sys.executable, "-m", "render", "animate", str(DREAM), "-o", out,
        "--size", f"{size[0]}x{size[1]}", "--start", repr(first / fps),
        "--end", repr((first + n) / fps),
    ]  # fmt: skip
    if preset:
        cmd += ["--preset", preset, "--crf", str(CRF)]
    if workers:
        cmd += ["--workers", str(workers)]
    return cmd


def fmt_cpu(r: dict) -> str:
    """CPU milliseconds per frame by process kind, and how many cores were busy on average."""
    cpu = r.get("cpu", {})
    total = sum(cpu.values())
    parts = [f"{k} {1e3 * v / r['frames']:.0f}" for k, v in sorted(cpu.items()) if v > 0.01 * total]
    return f"{1e3 * total / r['frames']:.0f} ({', '.join(parts)}) | {total / r['wall']:.2f}"


def merge(runs: list[dict]) -> dict:
    """Medians over repeated runs of one case."""
    if len(runs) == 1:
        return runs[0]
    out = dict(runs[0])
    for key in ("seconds", "wall", "peak_mib"):
        out[key] = statistics.median(r[key] for r in runs)
    for key in ("cpu", "peak_roles"):
        names = {k for r in runs for k in r[key]}
        out[key] = {k: statistics.median(r[key].get(k, 0.0) for r in runs) for k in names}
    out["all_fps"] = [r["frames"] / r["seconds"] for r in runs]
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=150, help="1080p span (default 150)")
    ap.add_argument("--frames-4k", type=int, default=30, help="4K span (default 30)")
    ap.add_argument("--no-4k", action="store_true", help="skip the 4K cases")
    ap.add_argument("--workers", type=int, default=None, help="default: every core")
    ap.add_argument(
        "--samples", type=int, default=0, help="frames timed stage by stage (default: the span)"
    )
    ap.add_argument("--variants", action="store_true", help="also copy=False and writer thread")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case, medians (default 1)")
    ap.add_argument("--no-write", action="store_true", help=f"don't overwrite {RESULTS.name}")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(CHILDREN[spec["case"]](spec)))
        return

    from render.pipeline import default_workers

    seq = _sequence(SIZES["1080p"])
    cores = default_workers()
    workers = args.workers or cores
    command = "python bench/bench_render.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    started = dt.datetime.now().astimezone()
    load_start = load()
    print(f"{started:%Y-%m-%d %H:%M %Z}  {machine()}  load {load_start}")
    tmp = tempfile.mkdtemp(prefix="bench-render-")
    report: list[str] = []
    summary: dict[str, dict] = {}
    stage_cols: dict[str, dict[str, float]] = {}
    sizes = [("1080p", args.frames)] + ([] if args.no_4k else [("4K", args.frames_4k)])
    for label, n in sizes:
        size = SIZES[label]
        first, n = span(seq.frames, n)

        def out(tag: str, label: str = label) -> str:
            return str(Path(tmp) / f"{label}-{tag}.mp4")

        base = {"size": size, "first": first, "frames": n}
        cases: list[tuple[str, dict]] = [
            ("encoder only (synthetic, open_writer)", {"case": "encoder", **base, "out": out("e")}),
            (
                f"render animate, {workers} workers",
                {"cmd": cli_cmd(out("a"), size, first, n, seq.fps, args.workers)},
            ),
            (
                f"render animate --preset {PRESET}",
                {"cmd": cli_cmd(out("p"), size, first, n, seq.fps, args.workers, PRESET)},
            ),
        ]
        if workers > 1:  # the same command in one process: what the workers add
            cases.append(
                (
                    "render animate --workers 1",
                    {"cmd": cli_cmd(out("1"), size, first, n, seq.fps, 1)},
                )
            )
        if label == "1080p":
            triple = min(3 * n, seq.frames - first)
            cases.append(
                (
                    f"render animate, {triple} frames (memory)",
                    {"cmd": cli_cmd(out("m"), size, first, triple, seq.fps, args.workers)},
                )
            )
        cases.append(
            (
                "render only (no encoding)",
                {"case": "pipeline", **base, "encode": False, "workers": workers},
            )
        )
        if args.variants and label == "1080p":
            cases += [
                (
                    "pipeline, copy=False (views)",
                    {"case": "pipeline", **base, "out": out("v"), "view": True, "workers": workers},
                ),
                (
                    "pipeline, writer thread",
                    {
                        "case": "pipeline",
                        **base,
                        "out": out("t"),
                        "thread": True,
                        "workers": workers,
                    },
                ),
            ]
        cases.append(
            (
                "naive: 1 process, imageio-ffmpeg defaults",
                {"case": "naive", **base, "out": out("n")},
            )
        )
        runs: dict[str, list[dict]] = {name: [] for name, _ in cases}
        for rep in range(args.repeat):  # interleaved, so a busy spell hits every case alike
            for name, spec in cases:
                print(f"  {label} #{rep + 1}: {name} ...", end="", flush=True)
                r = run_case(name, dict(spec))
                r["frames"] = n if "memory" not in name else triple
                runs[name].append(r)
                fps = r["frames"] / r["seconds"]
                print(f" {fps:.2f} fps, peak {r['peak_mib']:.0f} MiB, load {load()}", flush=True)
        results = {}
        for name, rs in runs.items():
            r = results[name] = merge(rs)
            r["fps"] = r["frames"] / r["seconds"]
        print(f"  {label}: stages ...", flush=True)
        st = run_case(
            "stages",
            {
                "case": "stages",
                **base,
                "samples": args.samples,
            },
        )
        stage_cols[label] = st["stages"]
        enc = results["encoder only (synthetic, open_writer)"]
        main_name = f"render animate, {workers} workers"
        col = stage_cols[label]
        col["encode: x264, synthetic pattern, wall ms/frame"] = 1e3 * enc["seconds"] / n
        col["encode: x264, synthetic pattern, CPU ms/frame"] = 1e3 * enc["cpu"].get("ffmpeg", 0) / n
        ff = results[main_name]["cpu"].get("ffmpeg", 0.0)
        col["encode: x264, the dream's frames, CPU ms/frame"] = 1e3 * ff / n
        wk = results[main_name]["cpu"].get("worker", 0.0)
        col["render: worker CPU ms/frame in animate"] = 1e3 * wk / n
        summary[label] = {
            "n": n,
            "first": first,
            "results": results,
            "enc": enc,
            "main": results[main_name],
        }

        rows = [
            "| case | frames | s | fps | vs encoder only | peak PSS MiB (ffmpeg) "
            "| CPU ms/frame (by process) | cores busy |",
            "|---|---:|---:|---:|---:|---:|---|---:|",
        ]
        for name, r in results.items():
            rows.append(
                f"| {name} | {r['frames']} | {r['seconds']:.1f} | {r['fps']:.2f} | "
                f"{r['fps'] / enc['fps']:.2f}x | {r['peak_mib']:.0f} "
                f"({r['peak_roles'].get('ffmpeg', 0):.0f}) | {fmt_cpu(r)} |"
            )
        naive = results["naive: 1 process, imageio-ffmpeg defaults"]
        main_r = results[main_name]
        head = (
            f"### dream {size[0]}x{size[1]} @ {seq.fps:g} fps, frames {first}-{first + n - 1} "
            f"({n}); `render animate` at its defaults (x264 {DEFAULT_PRESET} crf {CRF}), "
            f"the encoder-only reference at x264 {PRESET} crf {CRF}"
        )
        lines = [head, "", *rows, ""]
        lines.append(
            "Speed-up of `render animate` over the naive reference (which encodes at crf 25): "
            f"**{main_r['fps'] / naive['fps']:.2f}x** "
            f"({main_r['fps']:.2f} vs {naive['fps']:.2f} fps)."
        )
        one = results.get("render animate --workers 1")
        if one:
            lines.append(
                f"Speed-up from the {workers} workers (same command, same encoder settings): "
                f"**{main_r['fps'] / one['fps']:.2f}x** "
                f"({main_r['fps']:.2f} vs {one['fps']:.2f} fps)."
            )
        cpu = main_r["cpu"]
        per = {k: 1e3 * v / n for k, v in cpu.items()}
        total = sum(per.values())
        lines.append(
            f"CPU per frame in `render animate`: {total:.0f} ms (workers "
            f"{per.get('worker', 0):.0f}, x264 {per.get('ffmpeg', 0):.0f}, main "
            f"{per.get('main', 0):.0f}): with all {cores} cores free that allows at "
            f"most {cores * 1e3 / total:.2f} fps; cores busy in this run: "
            f"{sum(cpu.values()) / main_r['wall']:.2f}."
        )
        if label == "1080p":
            mem = results[f"render animate, {triple} frames (memory)"]
            ratio = mem["peak_mib"] / main_r["peak_mib"]
            summary[label]["mem_ratio"] = ratio
            lines.append(
                f"Memory flatness: peak for {triple} frames / peak for {n} frames = "
                f"**{ratio:.2f}** ({mem['peak_mib']:.0f} / {main_r['peak_mib']:.0f} MiB)."
            )
        lines.append("")
        report += lines
        print("\n".join(lines))

    # stage table
    labels = list(stage_cols)
    keys = list(dict.fromkeys(k for col in stage_cols.values() for k in col))
    prefixes = ("layer", "soft", "effect", "BGRA", "other", "render total", "copy", "render:")
    order = sorted(
        keys, key=lambda k: next((i for i, p in enumerate(prefixes) if k.startswith(p)), 99)
    )
    rows = [
        "| stage (median ms per frame, one process) | " + " | ".join(labels) + " |",
        "|---|" + "---:|" * len(labels),
    ]
    for k in order:
        cells = " | ".join(f"{stage_cols[c][k]:.1f}" if k in stage_cols[c] else "" for c in labels)
        bold = "**" if k == "render total" else ""
        rows.append(f"| {bold}{k}{bold} | {cells} |")
    report += [
        "### Stages",
        "",
        *rows,
        "",
        "Layers that return early in this span (nothing to draw) show ~0. The encode rows",
        "come from the encoder-only run: x264 runs beside the renderer, in its own threads.",
        "",
    ]
    print("\n".join(rows))

    # targets
    t = [
        "### Targets (this machine)",
        "",
        "| target | goal | measured | met |",
        "|---|---|---|---|",
    ]
    s = summary["1080p"]
    ratio = s["main"]["fps"] / s["enc"]["fps"]
    t.append(
        f"| 1080p30 MP4 vs encoder only | >= {TARGET_RATIO_1080:.2f}x "
        f"(~{TARGET_RATIO_1080 * s['enc']['fps']:.0f} fps) | "
        f"{ratio:.2f}x ({s['main']['fps']:.2f} fps) | "
        + ("yes" if ratio >= TARGET_RATIO_1080 else f"no: {TARGET_RATIO_1080 / ratio:.1f}x short")
        + " |"
    )
    med = s["results"][f"render animate --preset {PRESET}"]
    t.append(
        f"| the same with `--preset {PRESET}` | >= {TARGET_RATIO_1080:.2f}x | "
        f"{med['fps'] / s['enc']['fps']:.2f}x ({med['fps']:.2f} fps) | "
        + ("yes" if med["fps"] / s["enc"]["fps"] >= TARGET_RATIO_1080 else "no")
        + " |"
    )
    if "4K" in summary:
        f4 = summary["4K"]["main"]["fps"]
        t.append(
            f"| 4K MP4 | >= {TARGET_FPS_4K:g} fps | {f4:.2f} fps | "
            + ("yes" if f4 >= TARGET_FPS_4K else f"no: {TARGET_FPS_4K / f4:.1f}x short")
            + " |"
        )
    mr = s["mem_ratio"]
    t.append(
        f"| memory, 3N vs N frames | <= {TARGET_MEM} | {mr:.2f} | "
        + ("yes" if mr <= TARGET_MEM else "no")
        + " |"
    )
    report += [*t, ""]
    print("\n".join(t))
    print(f"load average at the end: {load()}")

    if not args.no_write:
        text = [
            "# bench_render results",
            "",
            f"- date: {started:%Y-%m-%d %H:%M %Z}",
            f"- machine: {machine()}",
            f"- load average (1, 5, 15 min) at the start: {load_start}, at the end: {load()}; "
            "the machine is shared, so other work slows every case (see cores busy)",
            f"- command: `{command}`",
            "- peak memory: PSS summed over the case's process tree (workers, ffmpeg), "
            f"sampled every {SAMPLE_S * PSS_EVERY:g} s (reading PSS costs CPU); CPU: read "
            f"every {SAMPLE_S:g} s, cores busy = CPU seconds / wall",
            "",
            *report,
        ]
        RESULTS.write_text("\n".join(text))
        print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
