"""Golden stills: small renders of every shipped sequence compared with committed PNGs.

Compared near-exactly: at most 0.2% of pixels may move by more than 4 levels (cairo and
pixman antialiasing); any real change of the picture fails. tests/golden/VERSIONS.json
records the cairo, pixman, pycairo, numpy and OpenCV the goldens were made with, and a
failure says which of them differ here. Changing a golden is a commit of its own that
says why. On failure a side-by-side diff is written to
tests/_failures/. After an intended change of the art, refresh the goldens with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py

and look at the new PNGs before committing them.
"""

from __future__ import annotations

import json
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

# One golden per layer, drawn alone at a moment of the dream where it shows, and one per
# effect over the whole scene. (Only built-ins: a plugin is not pinned here.)
LAYER_MOMENTS = {
    "chamber": 0.3, "web": 0.4, "core": 0.8, "console": 0.3, "vapor": 0.55,
    "whispers": 0.5, "klaxon": 0.3, "wake": 0.96, "ripple": 0.3, "hands": 0.8,
    "reflection": 0.45, "deck": 0.3,
}  # fmt: skip
EFFECT_NAMES = ("bloom", "chromatic_aberration", "scanlines", "vignette", "grain", "flicker")
# Near-exact: only antialiasing may move, by a few levels on a tiny share of pixels.
LEVELS, SHARE = 4, 0.002

VERSIONS = GOLDEN / "VERSIONS.json"

CASES = [(path, when) for path in sorted((ROOT / "sequences").glob("*.toml")) for when in WHEN]
# The dream's climax falls between the moments above: the failing core with its heart
# monitor, the controls melted round the fingers, the split core and the eye in it.
CASES += [(ROOT / "sequences" / "dream.toml", when) for when in (0.58, 0.7, 0.83)]


def versions() -> dict[str, str]:
    """What the goldens' pixels depend on beyond this code."""
    import ctypes
    import ctypes.util

    import cairo
    import cv2

    pixman = "unknown"
    lib = ctypes.util.find_library("pixman-1")
    if lib:
        fn = ctypes.CDLL(lib).pixman_version_string
        fn.restype = ctypes.c_char_p
        pixman = fn().decode()
    return {
        "cairo": cairo.cairo_version_string(),
        "pixman": pixman,
        "pycairo": cairo.version,
        "numpy": np.__version__,
        "opencv": cv2.__version__,
    }


def _single(layer: str | None, effect: str | None, escalation: float) -> str:
    text = (
        f'[sequence]\nduration = 4\nfps = 10\nsize = "{SIZE[0]}x{SIZE[1]}"\nseed = 21\n'
        f"[tracks]\nescalation = [[0, {escalation}]]\n"
    )
    if layer:
        text += f'[[layers]]\ntype = "{layer}"\n'
    text += (
        f'[[effects]]\ntype = "{effect}"\n'
        if effect
        else '[[effects]]\ntype = "vignette"\nstrength = 0\n'
    )
    return text


def _compare(actual: np.ndarray, golden: Path) -> None:
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        Image.fromarray(actual).save(golden)
        VERSIONS.write_text(json.dumps(versions(), indent=2) + "\n")
        return
    if not golden.exists():
        pytest.fail(f"no golden still {golden.name}; run with UPDATE_GOLDEN=1 to create it")
    expected = np.asarray(Image.open(golden).convert("RGB"))
    diff = np.abs(actual.astype(np.int16) - expected.astype(np.int16)).max(axis=2)
    share = float((diff > LEVELS).mean())
    if share > SHARE:
        FAILURES.mkdir(exist_ok=True)
        amplified = np.clip(np.repeat(diff[..., None], 3, axis=2) * 4, 0, 255).astype(np.uint8)
        side = np.concatenate([expected, actual, amplified], axis=1)
        out = FAILURES / f"{golden.stem}-diff.png"
        big = (side.shape[1] * 3, side.shape[0] * 3)
        Image.fromarray(side).resize(big, Image.NEAREST).save(out)
        recorded = json.loads(VERSIONS.read_text()) if VERSIONS.exists() else {}
        moved = {k: (recorded.get(k), v) for k, v in versions().items() if recorded.get(k) != v}
        note = f"; library versions differ from the goldens': {moved}" if moved else ""
        pytest.fail(
            f"{golden.name}: {share:.2%} of pixels differ by more than {LEVELS} levels "
            f"(max {int(diff.max())}); expected | actual | diff x4 in {out}{note}"
        )


def test_every_built_in_layer_has_a_golden():
    from render.registry import LAYERS

    built_in = {n for n, layer in LAYERS.items() if layer.draw.__module__.startswith("render.")}
    assert built_in <= set(LAYER_MOMENTS), sorted(built_in - set(LAYER_MOMENTS))


@pytest.mark.parametrize("layer", sorted(LAYER_MOMENTS))
def test_golden_layer(layer: str):
    from render.sequence import parse_sequence

    seq = parse_sequence(_single(layer, None, LAYER_MOMENTS[layer]))
    _compare(seq.frame(13), GOLDEN / f"layer-{layer}.png")


@pytest.mark.parametrize("effect", EFFECT_NAMES)
def test_golden_effect(effect: str):
    from render.sequence import parse_sequence

    seq = parse_sequence(_single(None, effect, 0.62))
    _compare(seq.frame(13), GOLDEN / f"effect-{effect}.png")


def _render(path: Path, when: float) -> np.ndarray:
    seq = load_sequence(path).replace(size=SIZE)
    return Renderer(seq).render(seq.index_at(when * seq.duration))


@pytest.mark.parametrize(("path", "when"), CASES, ids=lambda v: getattr(v, "stem", v))
def test_golden_still(path: Path, when: float):
    _compare(_render(path, when), GOLDEN / f"{path.stem}-{round(when * 100):03d}.png")
