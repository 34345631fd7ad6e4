"""Every registered layer and effect, built-in or plugin, held to the layer contract.

Each is drawn at several points of a real story (the dream's escalation ramp, not one
constant), and must be deterministic in any frame order, seamless when the sequence
loops, present as strokes in vector stills when it draws light strokes, and the same
picture at two resolutions. docs/layers.md promises these to a new layer for free.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest

from render.api import still
from render.docs import tables, updated
from render.registry import EFFECTS, LAYERS
from render.sequence import parse_sequence

STORY_POINTS = (0.05, 0.2, 0.35, 0.5, 0.7, 0.88, 0.93, 0.97)  # escalation along the ramp


NO_EFFECT = '[[effects]]\ntype = "vignette"\nstrength = 0\n'


def _story(layers: str, effects: str = "", size: str = "128x72", loop: bool = False) -> str:
    return (
        f'[sequence]\nduration = 8\nfps = 10\nsize = "{size}"\nseed = 9\n'
        f"loop = {str(loop).lower()}\n"
        "[tracks]\nescalation = [[0, 0.0], [8, 1.0]]\n"
        f"{layers}{effects or NO_EFFECT}"
    )


def _alone(name: str) -> str:
    return f'[[layers]]\ntype = "{name}"\n'


def _frames(seq, escalations=STORY_POINTS) -> dict[float, np.ndarray]:
    return {e: seq.frame(min(seq.frames - 1, round(e * 8 * seq.fps))) for e in escalations}


@pytest.fixture(scope="module", params=sorted(LAYERS))
def layer_story(request):
    name = request.param
    seq = parse_sequence(_story(_alone(name)))
    return name, seq, _frames(seq)


def test_a_layer_shows_along_the_story_and_changes_with_it(layer_story):
    name, seq, frames = layer_story
    background = np.array(seq.palette["background"]) * 255
    shown = [e for e, f in frames.items() if np.abs(f - background).max() > 30]
    assert shown, f"{name} drew nothing at any point of the story"
    distinct = {f.tobytes() for f in frames.values()}
    assert len(distinct) > 1, f"{name} is the same picture all through the story"


def test_a_layer_is_deterministic_in_any_frame_order(layer_story):
    name, seq, frames = layer_story
    again = parse_sequence(_story(_alone(name)))
    for e in reversed(STORY_POINTS):  # a fresh renderer, frames in the other order
        i = min(seq.frames - 1, round(e * 8 * seq.fps))
        assert np.array_equal(again.frame(i), frames[e]), f"{name} differs at escalation {e}"


def _small(a: np.ndarray) -> np.ndarray:
    return cv2.resize(a, (64, 36), interpolation=cv2.INTER_AREA).astype(float)


def test_a_layer_is_the_same_picture_at_two_resolutions(layer_story):
    name, seq, frames = layer_story
    big = parse_sequence(_story(_alone(name), size="256x144"))
    for e, small in frames.items():
        i = min(seq.frames - 1, round(e * 8 * seq.fps))
        diff = np.abs(_small(big.frame(i)) - _small(small)).mean()
        assert diff < 6, f"{name} at escalation {e}: {diff:.1f} levels apart at 2x the size"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_loops_seamlessly(name):
    from render.seam import frame_difference

    # A held moment of the story that loops: the wrap must be like any other step.
    text = _story(_alone(name), loop=True).replace(
        "escalation = [[0, 0.0], [8, 1.0]]", "escalation = [[0, 0.55]]"
    )
    for e in (0.55, 0.75):
        seq = parse_sequence(text.replace("0.55", str(e)).replace('"128x72"', '"64x36"'))
        frames = [seq.frame(i) for i in range(seq.frames)]
        wrap = frame_difference(frames[-1], frames[0])
        steps = [frame_difference(a, b) for a, b in zip(frames, frames[1:], strict=False)]
        # No bigger than the biggest ordinary step: a rhythm's attack may fall on the wrap.
        assert wrap <= 1.25 * max(max(steps), 0.05), (
            f"{name} at {e}: wrap {wrap:.2f}, steps up to {max(steps):.2f}"
        )


def test_a_layers_light_strokes_are_vectors_in_svg_stills(layer_story, tmp_path):
    name, with_layer, frames = layer_story
    without = parse_sequence(_story(_alone(name).replace("\n", "\nenabled = false\n", 1)))

    def shown(f: np.ndarray) -> float:  # light above the frame's own ground
        return float(np.clip(f.astype(float) - np.median(f, axis=(0, 1)), 0, None).mean())

    most = max(frames, key=lambda e: shown(frames[e]))
    counts = []
    for seq in (with_layer, without):
        out = tmp_path / f"{len(counts)}.svg"
        still(seq, f"{most * 100:g}%", out)
        counts.append(len(re.findall(r"<path\b", out.read_text())))
    # The vector pass keeps strokes drawn with ADD at alpha >= 0.3 (printing.LightStrokes).
    if name == "vapor":
        # All soft light or fills: no light strokes, so the vector pass must add
        # nothing (a stray stroke here would print over the raster).
        assert counts[0] == counts[1], f"{name}: unexpected vector strokes ({counts})"
    else:
        assert counts[0] > counts[1], f"{name}: no vector strokes in the SVG ({counts})"


@pytest.mark.parametrize("name", sorted(EFFECTS))
def test_every_effect_conforms(name):
    effect = EFFECTS[name]
    fx = f'[[effects]]\ntype = "{name}"\n'
    plain = parse_sequence(_story("", size="480x270"))
    again = parse_sequence(_story("", fx, size="480x270"))
    seq = parse_sequence(_story("", fx, size="480x270"))
    changed = 0
    for e in (0.3, 0.7, 0.93):
        i = round(e * 80)
        a, p = seq.frame(i), plain.frame(i)
        assert np.array_equal(a, again.frame(i)), f"{name} is not deterministic"
        changed += not np.array_equal(a, p)
    # What the effect does to the picture is the same at twice the size. (From 540 rows up:
    # below that, bloom's bright pass sees sub-pixel strokes diluted and glows ~25% less.)
    i = round(0.7 * 80)
    sizes = [
        parse_sequence(_story("", f, size=s)) for s in ("960x540", "1920x1080") for f in (fx, "")
    ]
    here = _small(sizes[0].frame(i)) - _small(sizes[1].frame(i))
    there = _small(sizes[2].frame(i)) - _small(sizes[3].frame(i))
    assert np.abs(here - there).mean() < 3, f"{name}: {np.abs(here - there).mean():.2f} apart"
    assert changed, f"{name} at its defaults changed nothing in the whole story"
    for p in effect.params.values():
        assert p.doc and (not p.numeric or p.in_range(0 if p.kind == "track" else p.default))


def test_docs_tables_are_the_declarations():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "sequences.md"
    text = doc.read_text(encoding="utf-8")
    assert updated(text) == text, "docs/sequences.md is stale: run python -m render.docs"
    for name, layer in LAYERS.items():
        for p in layer.params:
            assert f"| `{p}` |" in tables(), (name, p)
