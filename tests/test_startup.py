"""Starting up: commands that never render import nothing heavy. (How long they take is
measured by bench/bench_startup.py, not asserted here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
