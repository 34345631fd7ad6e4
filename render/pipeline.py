"""Frames in order, from one process or several, with memory bounded.

With several workers, each worker process builds its own `Renderer` from the (picklable)
sequence and renders whichever indices it is handed *straight into shared memory*: the
parent owns one `multiprocessing.shared_memory` block cut into a ring of frame slots
(about two per worker), hands a worker an (index, slot) pair and gets back only the slot
number. Nothing frame-sized is pickled. Frames come back in index order with at most
`slots` frames in flight, so a long render never accumulates frames in memory however slow
the consumer (the encoder) is.

Failure handling: a frame that raises in a worker re-raises the same exception here (or a
`RenderError` carrying its message when the exception can't cross a process boundary); a
worker that dies (killed, segfault, out of memory) raises `RenderError` instead of hanging;
and on every way out -- normal end, an exception in the consumer, Ctrl-C, `close()` of the
generator -- the workers are stopped and the shared memory is unlinked.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import secrets
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing import connection, forkserver
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import cv2
import numpy as np

from render.errors import RenderError
from render.frame import Renderer
from render.heap import keep_freed_pages
from render.sequence import Sequence
from render.signals import held

Progress = Callable[[int], None]
RendererFactory = Callable[[Sequence], Any]  # anything with .render(index) -> (H, W, 3) uint8

# Shared memory blocks are named "<prefix><parent pid>-<random>" (visible in /dev/shm on
# Linux while a render runs), so a leak is easy to spot and to test for.
SHM_PREFIX = "neon-render-"

# How often the parent wakes up while waiting for a frame to check on its workers. Death of
# a worker is noticed at once through its sentinel; this is only a backstop.
_POLL_SECONDS = 1.0
# How long workers get to exit after being told to stop, before they are terminated.
_JOIN_SECONDS = 5.0


def default_workers() -> int:
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def slots_for(workers: int) -> int:
    """Frames in flight with `workers` processes: one being rendered and one queued each,
    so a worker never waits for the parent (busy writing to the encoder) to hand it work."""
    return max(2, 2 * workers)


def render_frames(
    sequence: Sequence,
    indices: Iterable[int],
    workers: int = 1,
    progress: Progress | None = None,
    *,
    copy: bool = True,
    renderer: RendererFactory = Renderer,
    slots: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield the frames at `indices`, in that order, as (H, W, 3) uint8 RGB arrays ((H, W,
    4) RGBA for a transparent sequence).

    Pixels are identical whatever `workers` is. With `copy=True` (the default) every
    yielded frame is a new array the caller may keep. With `copy=False` and several
    workers, a frame is a read-only view into shared memory that stays valid only until
    the next iteration (its slot is then reused): enough to write it to an encoder, saving
    one copy per frame. Don't keep such frames, e.g. with `list(...)`.

    `renderer` builds the per-process renderer from the sequence (default `Renderer`); it
    must be picklable by reference (a module-level class or function). `slots` overrides
    how many frames may be in flight (default `slots_for(workers)`).
    """
    indices = [int(i) for i in indices]
    workers = max(1, min(int(workers), len(indices)))
    keep_freed_pages()  # here too: with workers, each frame is copied out of the ring
    if workers <= 1:
        single = renderer(sequence)
        for i in indices:
            frame = single.render(i)
            if progress:
                progress(1)
            yield frame
        return
    with (
        _Ring(sequence, slots or slots_for(workers)) as ring,
        _Workers(sequence, ring, workers, renderer) as crew,
    ):
        yield from _in_order(ring, crew, indices, progress, copy)


def _in_order(
    ring: _Ring, crew: _Workers, indices: list[int], progress: Progress | None, copy: bool
) -> Iterator[np.ndarray]:
    free = deque(range(ring.slots))
    done: dict[int, int] = {}  # position in `indices` -> slot holding that frame
    sent = 0
    for head in range(len(indices)):
        # Keep every free slot working: the next positions go to the least busy workers.
        while free and sent < len(indices):
            crew.send(sent, indices[sent], free.popleft())
            sent += 1
        while head not in done:
            pos, slot = crew.receive()
            done[pos] = slot
        slot = done.pop(head)
        if progress:
            progress(1)
        if copy:
            frame = ring.frames[slot].copy()
            free.append(slot)
            yield frame
        else:
            view = ring.frames[slot]  # read-only view; valid until we are resumed
            yield view
            del view
            free.append(slot)


# --------------------------------------------------------------------------- shared memory


class _Ring:
    """One shared memory block holding `slots` frames; unlinked on exit, whatever happens."""

    def __init__(self, sequence: Sequence, slots: int) -> None:
        # RGBA for a transparent sequence (render.alpha), RGB otherwise
        channels = 4 if getattr(sequence, "transparent", False) else 3
        self.shape = (sequence.height, sequence.width, channels)
        frame_bytes = int(np.prod(self.shape))
        # /dev/shm is a size-limited tmpfs (64 MiB in a default Docker container): a ring
        # that doesn't fit would kill the workers with SIGBUS on first write, so shrink the
        # ring to what fits (two slots at least) or refuse up front.
        free = _shm_free_bytes()
        if free is not None and slots * frame_bytes > free:
            slots = max(2, int(free // frame_bytes))
        self.slots = slots
        nbytes = slots * frame_bytes
        what = f"{nbytes / 2**20:.0f} MiB of shared memory for {slots} frames of " + (
            f"{sequence.width}x{sequence.height}"
        )
        if free is not None and nbytes > free:
            raise RenderError(
                f"{what}, but /dev/shm has only {free / 2**20:.0f} MiB free; use --workers 1, "
                "a smaller --size, or a larger /dev/shm (docker run --shm-size=1g)"
            )
        self.name = f"{SHM_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            self.shm = SharedMemory(name=self.name, create=True, size=nbytes)
        except OSError as exc:
            raise RenderError(
                f"could not allocate {what}: {exc.strerror or exc}; try --workers 1"
            ) from exc
        frames = np.ndarray((slots, *self.shape), np.uint8, self.shm.buf)
        frames.flags.writeable = False  # workers write; the parent only reads
        self.frames: np.ndarray | None = frames

    def __enter__(self) -> _Ring:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.frames = None  # drop our view so the mapping can be closed
        try:
            self.shm.close()
        except BufferError:
            # A caller still holds a copy=False view: let the mapping go with the last such
            # view (the mmap outlives us through it) rather than fail or crash. The name is
            # unlinked below either way, so nothing outlives the process.
            shm = self.shm
            shm._buf = shm._mmap = None  # type: ignore[attr-defined]
            if getattr(shm, "_fd", -1) >= 0:
                os.close(shm._fd)  # type: ignore[attr-defined]
                shm._fd = -1  # type: ignore[attr-defined]
        try:
            self.shm.unlink()
        except FileNotFoundError:
            pass


def _shm_free_bytes() -> int | None:
    try:
        st = os.statvfs("/dev/shm")
    except (OSError, AttributeError):
        return None  # not Linux: no fixed-size tmpfs to worry about
    return st.f_bavail * st.f_frsize


# --------------------------------------------------------------------------- workers


class _RemoteTraceback(Exception):
    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return "\n\n--- traceback in the worker process ---\n" + self.tb


def _context() -> mp.context.BaseContext:
    # Not "fork": the parent may already run numba's thread pool (parallel noise), and
    # forking a process with live threads can deadlock. The fork server starts clean.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # Import the renderer once in the fork server, so each worker starts warm
        # (numpy, cairo, numba, opensimplex already loaded). No effect if already running.
        ctx.set_forkserver_preload(["render.frame"])
        return ctx
    return mp.get_context("spawn")


def start_forkserver_deaf_to_ctrl_c() -> None:
    """Start the fork server (if it isn't running) with SIGINT ignored from its first
    instruction: Ctrl-C goes to the whole process group, and the server ignores it only
    after its preload (a second of imports), so a Ctrl-C then printed its traceback. An
    ignored signal stays ignored across exec, and the workers forked from the server
    inherit it; the parent handles Ctrl-C and stops them. Starting the server is quick (it
    is not waited for), so the parent ignores Ctrl-C only for that instant."""
    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, old)


def _worker_main(
    conn: connection.Connection,
    sequence: Sequence,
    shm_name: str,
    shape: tuple[int, int, int],
    slots: int,
    renderer: RendererFactory,
) -> None:
    """Render (position, index, slot) tasks from `conn` into the shared ring until told to
    stop (None) or the parent goes away (EOF); answer each with ("ok", position, slot)."""
    # Ctrl-C goes to the whole process group; the parent handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # numba guards its thread pool's start-up with a multiprocessing RLock whenever the
    # start method contains "fork" -- "forkserver" included, where that is a *named*
    # semaphore, registered with the resource tracker and unlinked only by a finalizer at a
    # normal exit. A worker that is terminated or killed never gets there, and the tracker
    # then prints "leaked semaphore objects" on stderr, breaking our one-line errors. A
    # worker starts no processes of its own, so its start method matters only to numba:
    # with "spawn" numba needs no process lock, and nothing outlives the worker however it
    # ends (even SIGKILL).
    mp.set_start_method("spawn", force=True)
    try:  # one numba thread per worker: the workers already fill the cores
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass
    cv2.setNumThreads(1)  # and one OpenCV thread, for the same reason
    from render.frame import warm_up

    warm_up()  # compile (or load from numba's cache) the frame's kernels before the first frame
    try:
        shm = SharedMemory(name=shm_name)
    except FileNotFoundError:
        return  # the parent stopped (Ctrl-C, SIGTERM) and removed the ring before we began
    frames = np.ndarray((slots, *shape), np.uint8, shm.buf)
    try:
        r = None
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                break  # the parent is gone
            if task is None:
                break
            pos, index, slot = task
            try:
                if r is None:
                    r = renderer(sequence)
                frames[slot] = r.render(index)
                answer = ("ok", pos, slot)
            except BaseException as exc:  # noqa: BLE001 -- reported to the parent
                answer = ("error", pos, *_exception_payload(exc))
            try:
                conn.send(answer)
            except OSError:
                break  # the parent is gone (killed): nobody is waiting for the frame
    finally:
        del frames
        shm.close()


def _exception_payload(exc: BaseException) -> tuple[bytes | None, str, str]:
    tb = traceback.format_exc()
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)  # e.g. ConfigError can't be rebuilt from its args
    except Exception:
        data = None
    return data, f"{type(exc).__name__}: {exc}", tb


class _Workers:
    """Worker processes, each with its own duplex pipe for tasks and answers."""

    def __init__(
        self, sequence: Sequence, ring: _Ring, workers: int, renderer: RendererFactory
    ) -> None:
        ctx = _context()
        if ctx.get_start_method() == "forkserver":
            start_forkserver_deaf_to_ctrl_c()
        self.procs: list[Any] = []
        self.conns: list[connection.Connection] = []
        self.busy: list[dict[int, int]] = []  # per worker: position -> index, unanswered
        try:
            for _ in range(workers):
                here, there = ctx.Pipe(duplex=True)
                p = ctx.Process(
                    target=_worker_main,
                    args=(there, sequence, ring.name, ring.shape, ring.slots, renderer),
                    name="render-worker",
                    daemon=True,
                )
                with held():
                    p.start()
                there.close()  # only the worker holds that end: its death means EOF here
                self.procs.append(p)
                self.conns.append(here)
                self.busy.append({})
        except BaseException:
            self.stop(force=True)
            raise

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.stop(force=exc_type is not None)

    def send(self, pos: int, index: int, slot: int) -> None:
        k = min(range(len(self.procs)), key=lambda j: len(self.busy[j]))
        try:
            self.conns[k].send((pos, index, slot))
        except (BrokenPipeError, ConnectionResetError):
            raise self._died(k) from None
        self.busy[k][pos] = index

    def receive(self) -> tuple[int, int]:
        """Wait for the next finished frame: (position, slot). Raises the worker's exception
        if rendering failed, RenderError if a worker died."""
        sentinels = {p.sentinel: k for k, p in enumerate(self.procs)}
        conns = {id(c): k for k, c in enumerate(self.conns)}
        while True:
            ready = connection.wait([*self.conns, *sentinels], timeout=_POLL_SECONDS)
            # Answers first: a worker may have answered and then died.
            for obj in ready:
                if isinstance(obj, connection.Connection):
                    k = conns[id(obj)]
                    try:
                        msg = obj.recv()
                    except (EOFError, OSError):
                        raise self._died(k) from None
                    return self._answer(k, msg)
            for k, p in enumerate(self.procs):
                if not p.is_alive():
                    raise self._died(k)

    def _answer(self, k: int, msg: tuple) -> tuple[int, int]:
        kind, pos, *rest = msg
        index = self.busy[k].pop(pos)
        if kind == "ok":
            return pos, rest[0]
        data, summary, tb = rest
        exc: BaseException | None = None
        if data is not None:
            try:
                exc = pickle.loads(data)
            except Exception:
                exc = None
        if exc is None:
            exc = RenderError(f"frame {index}: {summary}")
        raise exc from _RemoteTraceback(tb)

    def _died(self, k: int) -> RenderError:
        p = self.procs[k]
        p.join(0.5)
        code = p.exitcode
        if code is None:
            how = "stopped answering"
        elif code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        frames = sorted(self.busy[k].values())
        doing = f" while rendering frame(s) {', '.join(map(str, frames))}" if frames else ""
        hint = " (out of memory? try fewer --workers or a smaller --size)" if code == -9 else ""
        return RenderError(f"render worker {p.pid} {how}{doing}{hint}")

    def stop(self, force: bool = False) -> None:
        """Stop the workers: politely after a clean run, at once after a failure."""
        if not force:
            for c in self.conns:
                try:
                    c.send(None)
                except OSError:
                    pass
            for p in self.procs:
                p.join(_JOIN_SECONDS)
        for p in self.procs:
            if p.is_alive():
                p.terminate()
        for p in self.procs:
            p.join(_JOIN_SECONDS)
            if p.is_alive():
                p.kill()
                p.join()
        for c in self.conns:
            c.close()
        self.procs, self.conns = [], []
