"""Golden stills: small renders of every shipped sequence compared with committed PNGs.

A tolerance absorbs cairo/pixman antialiasing differences between versions; a real
change of the picture fails. On failure a side-by-side diff is written to
tests/_failures/. After an intended change of the art, refresh the goldens with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and look at the new PNGs before committing them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from render.frame import Renderer
from render.sequence import load_sequence

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
FAILURES = Path(__file__).parent / "_failures"
SIZE = (160, 90)
WHEN = (0.1, 0.5, 0.9)

CASES = [(path, when) for path in sorted((ROOT / "sequences").glob("*.toml")) for when in WHEN]


def _render(path: Path, when: float) -> np.ndarray:
    seq = load_sequence(path).replace(size=SIZE)
    return Renderer(seq).render(seq.index_at(when * seq.duration))


@pytest.mark.parametrize(("path", "when"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_golden_still(path: Path, when: float):
    actual = _render(path, when)
    golden = GOLDEN / f"{path.stem}-{round(when * 100):03d}.png"
    if os.environ.get("UPDATE_GOLDEN") or not golden.exists():
        if not os.environ.get("UPDATE_GOLDEN"):
            pytest.fail(f"no golden still {golden.name}; run with UPDATE_GOLDEN=1 to create it")
        GOLDEN.mkdir(exist_ok=True)
        Image.fromarray(actual).save(golden)
        return
    expected = np.asarray(Image.open(golden).convert("RGB"))
    diff = np.abs(actual.astype(np.int16) - expected.astype(np.int16))
    mean, p99 = float(diff.mean()), float(np.percentile(diff.max(axis=2), 99))
    if mean > 2.0 or p99 > 60:
        FAILURES.mkdir(exist_ok=True)
        amplified = np.clip(diff * 4, 0, 255).astype(np.uint8)
        side = np.concatenate([expected, actual, amplified], axis=1)
        out = FAILURES / f"{golden.stem}-diff.png"
        big = (side.shape[1] * 3, side.shape[0] * 3)
        Image.fromarray(side).resize(big, Image.NEAREST).save(out)
        pytest.fail(
            f"{golden.name} differs (mean {mean:.2f}, 99th percentile {p99:.0f}); "
            f"expected | actual | diff x4 written to {out}"
        )
