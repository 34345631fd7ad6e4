"""Frames in order, from one process or several, with memory bounded.

Workers each build their own `Renderer` from the (picklable) sequence and
render whichever indices they are handed; results come back in index order
with at most a few frames in flight, so a long render never accumulates frames
in memory however slow the encoder is.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from render.frame import Renderer
from render.sequence import Sequence

Progress = Callable[[int], None]

_worker_renderer: Renderer | None = None


def _init_worker(sequence: Sequence) -> None:
    global _worker_renderer
    try:  # one numba thread per worker: the workers already fill the cores
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass
    _worker_renderer = Renderer(sequence)


def _render_in_worker(index: int) -> np.ndarray:
    assert _worker_renderer is not None
    return _worker_renderer.render(index)


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def render_frames(
    sequence: Sequence,
    indices: Iterable[int],
    workers: int = 1,
    progress: Progress | None = None,
) -> Iterator[np.ndarray]:
    """Yield the frames at `indices`, in that order."""
    indices = list(indices)
    if workers <= 1 or len(indices) <= 1:
        renderer = Renderer(sequence)
        for i in indices:
            frame = renderer.render(i)
            if progress:
                progress(1)
            yield frame
        return
    # Not "fork": the parent may already run numba's thread pool (parallel noise), and
    # forking a process with live threads can deadlock. The fork server starts clean.
    methods = mp.get_all_start_methods()
    ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
    in_flight = max(2, 2 * workers)
    with ctx.Pool(workers, initializer=_init_worker, initargs=(sequence,)) as pool:
        pending: deque = deque()
        it = iter(indices)
        for i in it:
            pending.append(pool.apply_async(_render_in_worker, (i,)))
            if len(pending) >= in_flight:
                break
        while pending:
            frame = pending.popleft().get()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.apply_async(_render_in_worker, (nxt,)))
            if progress:
                progress(1)
            yield frame
