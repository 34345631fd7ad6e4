"""How long a newcomer waits: `render --help`, `render check` and a first still, each in a
fresh process, with numba's on-disk cache warm, empty, and warmed the way `./dev setup`
warms it (`python -m render.warmup`).

    python bench/bench_startup.py [--repeat 3]

An empty cache is a temporary NUMBA_CACHE_DIR: numba then compiles every kernel it
meets (the renderer's and opensimplex's). Prints wall-clock seconds, medians of
--repeat runs; timing never fails a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")


def seconds(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def median_of(repeat: int, args: list[str], env: dict[str, str], before=None) -> str:
    runs = []
    for _ in range(repeat):
        if before is not None:
            before()
        runs.append(seconds(args, env))
    spread = f" ({min(runs):.2f}-{max(runs):.2f})" if len(runs) > 1 else ""
    return f"{statistics.median(runs):6.2f} s{spread}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("NUMBA_CACHE_DIR", None)
    render = [sys.executable, "-m", "render"]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; wall-clock seconds, medians of {repeat} fresh processes"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "still.png")
        still = [*render, "still", DREAM, "--at", "60%", "--size", "320x180", "-o", out]
        seconds(still, env)  # the usual cache, warm
        cache = Path(tmp) / "numba-cache"
        cold = {**env, "NUMBA_CACHE_DIR": str(cache)}

        def empty() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        rows = [
            ("render --help", lambda: median_of(repeat, [*render, "--help"], env)),
            ("render check dream.toml", lambda: median_of(repeat, [*render, "check", DREAM], env)),
            ("first still 320x180, cache warm", lambda: median_of(repeat, still, env)),
            ("first still, numba cache empty", lambda: median_of(repeat, still, cold, empty)),
            ("python -m render.warmup (./dev setup)", lambda: warm_up(cold, empty)),
            ("first still after the warm-up", lambda: median_of(repeat, still, cold)),
        ]
        for label, measure in rows:
            print(f"{label:<40} {measure()}", flush=True)


def warm_up(env: dict[str, str], empty) -> str:
    empty()
    return f"{seconds([sys.executable, '-m', 'render.warmup'], env):6.2f} s"


if __name__ == "__main__":
    main()
