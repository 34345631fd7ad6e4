"""Compile the numba kernels ahead of the first render: `python -m render.warmup`.

The noise functions (opensimplex's and render/noise.py's) and the tone map are compiled
by numba the first time a process calls them, about 15-30 s of a first still, and kept
in numba's on-disk cache; later processes load them in about a second. `./dev setup`
runs this once after installing, so the first `render still` of a fresh environment
does not pay for the compile. It draws a few tiny frames of every layer across the
story's beats, so every kernel meets the argument types a real render gives it, and
quantises two tiny frames as the GIF writer does.
"""

from __future__ import annotations

import time

# Every layer the story draws at some point: the beats from the hum (0) to the wake (1),
# through the effects that run kernels of their own (the bloom's bright part; the
# aberration and the masks done in the tone map's pass).
_SEQUENCE = """
[sequence]
duration = 10
fps = 10
size = [64, 36]
loop = {loop}
[tracks]
escalation = [[0, 0.0], [10, 1.0]]
[[effects]]
type = "bloom"
[[effects]]
type = "chromatic_aberration"
amount = 0.003
[[effects]]
type = "scanlines"
strength = 0.1
[[effects]]
type = "vignette"
strength = 0.3
"""
_FRAMES = (5, 20, 30, 50, 55, 65, 75, 88, 93, 97)  # escalation x 100


def warm_up(loops: tuple[bool, ...] = (False, True)) -> int:
    """Render the warm-up frames (in this process); returns how many were drawn."""
    from render.sequence import parse_sequence

    drawn = 0
    for loop in loops:
        seq = parse_sequence(_SEQUENCE.format(loop=str(loop).lower()))
        renderer = seq.renderer()
        for index in _FRAMES:
            renderer.render(index)
            drawn += 1
    return drawn


def warm_up_gif() -> None:
    """The GIF writer's kernels (render/quantize.py), on two tiny frames."""
    import numpy as np

    from render import quantize

    rng = np.random.default_rng(0)
    shown, out = np.zeros((8, 8, 3), np.uint8), np.empty((8, 8), np.uint8)
    lut, previous = quantize.new_lut(), None
    for _ in range(2):
        frame = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        palette = quantize.palette_for(frame, previous)
        quantize.remap(
            frame, shown, palette, lut, out, first=previous is None, keep=48, dither=0.0,
            clear=len(palette.table),
        )  # fmt: skip
        previous = frame


def main() -> None:
    start = time.perf_counter()
    drawn = warm_up()
    warm_up_gif()
    took = time.perf_counter() - start
    print(f"compiled the renderer's kernels ({drawn} tiny frames, {took:.1f} s)")


if __name__ == "__main__":
    main()
