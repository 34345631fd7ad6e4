"""Starting up: commands that never render import nothing heavy, and `./dev setup`'s
warm-up leaves a first render nothing to compile. (How long either takes is measured by
bench/bench_startup.py, not asserted here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")


def imported_by(*args: str) -> set[str]:
    """The top-level modules a fresh `render ARGS` process has imported when it ends."""
    code = (
        "import sys\nfrom render.cli import cli\n"
        "try:\n    cli(sys.argv[1:], prog_name='render')\nexcept SystemExit:\n    pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_help_imports_none_of_the_rendering_libraries():
    loaded = imported_by("--help")
    assert not loaded & {"numpy", "cairo", "cv2", "numba", "opensimplex", "PIL", "imageio"}


def test_check_does_not_import_numba():
    loaded = imported_by("check", DREAM)
    assert "render" in loaded and not loaded & {"numba", "opensimplex", "imageio"}


@pytest.mark.slow
def test_after_the_warm_up_a_first_render_compiles_nothing(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "NUMBA_DEBUG_CACHE": "1",
    }
    warm = subprocess.run(
        [sys.executable, "-m", "render.warmup"], env=env, capture_output=True, text=True
    )
    assert warm.returncode == 0, warm.stderr[-2000:]
    assert "[cache] data saved" in warm.stdout  # it did compile, into the empty cache
    for seq, at in (("dream", "10%"), ("dream", "60%"), ("dream", "95%"), ("wallpaper", "50%")):
        still = subprocess.run(
            [sys.executable, "-m", "render", "still", str(ROOT / "sequences" / f"{seq}.toml"),
             "--at", at, "--size", "96x54", "-o", str(tmp_path / "still.png")],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert still.returncode == 0, still.stderr[-2000:]
        assert "[cache] data saved" not in still.stdout, (seq, at, still.stdout[-2000:])
        assert "[cache] data loaded" in still.stdout
