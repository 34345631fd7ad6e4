"""The multi-process pipeline: same pixels, index order, bounded memory, and no shared
memory or worker process left behind on any way out (normal end, consumer exception,
Ctrl-C, early stop, a frame that raises, a worker that dies)."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from render import pipeline
from render.errors import RenderError
from render.frame import Renderer
from render.pipeline import render_frames, slots_for
from render.sequence import load_sequence

ROOT = Path(__file__).resolve().parents[1]
SHM = Path("/dev/shm")
BOOM = 17  # the frame index the failing renderers below trip on

pytestmark = pytest.mark.skipif(not SHM.is_dir(), reason="needs /dev/shm to look for leaks")


# Renderers handed to the worker processes: module-level, so they pickle by reference.
class Exploding(Renderer):
    """Raises at frame BOOM, like a layer bug would."""

    def render(self, index: int) -> np.ndarray:
        if index == BOOM:
            raise ValueError(f"bad frame {index}")
        return super().render(index)


class Dying(Renderer):
    """The worker process dies outright at frame BOOM (as if killed, or a segfault)."""

    def render(self, index: int) -> np.ndarray:
        if index == BOOM:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().render(index)


@pytest.fixture(scope="module")
def seq():
    return load_sequence(ROOT / "sequences" / "dream.toml").replace(size=(64, 36))


def _segments() -> list[str]:
    prefix = f"{pipeline.SHM_PREFIX}{os.getpid()}-"
    return sorted(p.name for p in SHM.iterdir() if p.name.startswith(prefix))


def _workers() -> list[mp.process.BaseProcess]:
    return [p for p in mp.active_children() if p.name == "render-worker"]


@pytest.fixture
def sent(monkeypatch) -> list[int]:
    """The ring slots the parent hands to workers, in the order it sends them."""
    slots: list[int] = []
    original = pipeline._Workers.send

    def send(self, pos, index, slot):
        slots.append(slot)
        return original(self, pos, index, slot)

    monkeypatch.setattr(pipeline._Workers, "send", send)
    return slots


@pytest.fixture(autouse=True)
def no_leaks():
    before = _segments()
    yield
    # Workers are reaped before the generator finishes closing; allow a moment for the OS.
    deadline = time.monotonic() + 5
    while _workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _workers() == [], "worker processes left running"
    assert _segments() == before, "shared memory left behind"


def test_one_two_and_three_workers_give_identical_frames(seq):
    indices = [0, 120, 260, 390, 520, 650, 700, 779]
    one = list(render_frames(seq, indices, workers=1))
    for workers in (2, 3):
        many = list(render_frames(seq, indices, workers=workers))
        assert len(many) == len(one)
        for i, a, b in zip(indices, one, many, strict=True):
            assert b.shape == (36, 64, 3) and b.dtype == np.uint8
            assert np.array_equal(a, b), (workers, i)


def test_frames_come_out_in_the_order_asked_for(seq):
    indices = list(range(0, 780, 37))
    random.Random(5).shuffle(indices)
    indices += indices[:3]  # repeats are allowed too
    r = Renderer(seq)
    got = list(render_frames(seq, indices, workers=2))
    for i, frame in zip(indices, got, strict=True):
        assert np.array_equal(frame, r.render(i)), i


def test_progress_is_reported_once_per_frame(seq):
    calls = []
    list(render_frames(seq, range(10), workers=2, progress=calls.append))
    assert calls == [1] * 10


def test_views_without_copy_match_and_are_read_only(seq):
    indices = list(range(300, 312))
    r = Renderer(seq)
    for i, frame in zip(indices, render_frames(seq, indices, workers=2, copy=False), strict=True):
        assert not frame.flags.writeable
        assert np.array_equal(frame, r.render(i)), i


def test_kept_views_do_not_crash_or_leak(seq):
    # Misuse: keeping copy=False frames past the next iteration. Their pixels are not
    # guaranteed, but nothing crashes and the shared memory name is still removed.
    frames = list(render_frames(seq, range(6), workers=2, copy=False))
    assert len(frames) == 6
    del frames


def test_frames_in_flight_are_bounded_by_the_slots(seq, sent):
    n, workers = 24, 2
    slots = slots_for(workers)
    worst = 0
    for consumed, _frame in enumerate(render_frames(seq, range(n), workers=workers)):
        worst = max(worst, len(sent) - consumed)
        time.sleep(0.01)  # a slow consumer (an encoder): workers must not run ahead
    assert len(sent) == n
    assert set(sent) <= set(range(slots))
    assert 1 < worst <= slots


def test_consumer_exception_mid_stream_releases_everything(seq):
    with pytest.raises(RuntimeError, match="encoder broke"):
        for k, _frame in enumerate(render_frames(seq, range(40), workers=2)):
            if k == 3:
                raise RuntimeError("encoder broke")


def test_ctrl_c_in_the_consumer_releases_everything(seq):
    with pytest.raises(KeyboardInterrupt):
        for k, _frame in enumerate(render_frames(seq, range(40), workers=2)):
            if k == 2:
                raise KeyboardInterrupt


def test_stopping_early_releases_everything(seq):
    frames = render_frames(seq, range(40), workers=3)
    next(frames)
    next(frames)
    frames.close()


def test_a_frame_that_raises_in_a_worker_raises_here(seq):
    with pytest.raises(ValueError, match=f"bad frame {BOOM}"):
        list(render_frames(seq, range(30), workers=2, renderer=Exploding))


def test_a_worker_that_dies_raises_render_error_not_a_hang(seq):
    t0 = time.monotonic()
    with pytest.raises(RenderError, match=rf"worker \d+ was killed by SIGKILL.*frame.*{BOOM}"):
        list(render_frames(seq, range(30), workers=2, renderer=Dying))
    assert time.monotonic() - t0 < 60


def test_a_single_worker_needs_no_processes_or_shared_memory(seq, monkeypatch):
    monkeypatch.setattr(pipeline, "_Ring", None)  # would fail if used
    frames = list(render_frames(seq, [3, 1], workers=1))
    assert len(frames) == 2
    assert len(list(render_frames(seq, [7], workers=4))) == 1  # one frame: no pool either


def test_a_small_dev_shm_shrinks_the_ring_or_refuses_clearly(seq, sent, monkeypatch):
    frame_bytes = 64 * 36 * 3
    monkeypatch.setattr(pipeline, "_shm_free_bytes", lambda: 3 * frame_bytes + 100)
    r = Renderer(seq)
    for i, frame in zip(range(8), render_frames(seq, range(8), workers=3), strict=True):
        assert np.array_equal(frame, r.render(i))
    assert set(sent) == {0, 1, 2}  # three slots fit, not six

    monkeypatch.setattr(pipeline, "_shm_free_bytes", lambda: frame_bytes)
    with pytest.raises(RenderError, match=r"/dev/shm has only .* --workers 1"):
        list(render_frames(seq, range(4), workers=2))
