"""How seamless a loop is: the jump from the last frame back to the first, measured
against the ordinary frame-to-frame change.

score = mean |last - first| / median(mean |frame[i+1] - frame[i]|); 1.0 means the wrap
is indistinguishable from any other step, larger values show a visible seam.
"""

from __future__ import annotations

import numpy as np

from render.frame import Renderer
from render.sequence import Sequence


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """What the score compares: every n-th pixel each way, n chosen so that about 120 rows
    or columns remain on the shorter side (cheap to keep while encoding, and never so few
    pixels that noise decides the score). Both the render's printed score and
    `seam_score` use it: one definition."""
    step = max(1, min(frame.shape[:2]) // 120)
    return np.ascontiguousarray(frame[::step, ::step])


def frame_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def seam_score_from(first: np.ndarray, last: np.ndarray, steps: list[float]) -> float:
    """Score from the first and last frames and the consecutive differences seen."""
    typical = float(np.median(steps)) if steps else 0.0
    return frame_difference(last, first) / max(typical, 1e-6)


def seam_score(sequence: Sequence, samples: int = 8) -> float:
    """Render the wrap and `samples` ordinary steps spread over the loop, and score them."""
    r = Renderer(sequence)
    n = sequence.frames
    steps = []
    for k in range(samples):
        i = (k * n) // samples + n // (2 * samples)
        i = min(max(i, 0), n - 2)
        steps.append(frame_difference(thumbnail(r.render(i)), thumbnail(r.render(i + 1))))
    return seam_score_from(thumbnail(r.render(0)), thumbnail(r.render(n - 1)), steps)
