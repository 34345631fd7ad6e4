"""Frames for the preview, rendered in background processes, newest request first.

Scrubbing asks for a frame at every mouse move; rendering one takes 0.1-0.8 s. So each
page (a `client`) has at most one request waiting: a newer one supersedes it (the older
request ends with `Superseded`), and a free worker always takes the newest waiting request.
A frame already being drawn is left to finish -- killing a worker would throw away its
warm renderer -- and lands in a small cache of encoded pictures, as every frame does.

A worker that dies (out of memory, a crash in a native library) fails the requests it
held with `FrameFailed` and the pool is started again: the server itself never goes down.
"""

from __future__ import annotations

import asyncio
import io
import multiprocessing as mp
import signal
import time
from collections import OrderedDict, deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from render.pipeline import start_forkserver_deaf_to_ctrl_c
from render.sequence import Sequence, one_line


class Superseded(Exception):
    """A newer request from the same page replaced this one before a worker took it."""


class FrameFailed(Exception):
    """The frame could not be drawn; str() is one line for the page."""


@dataclass(frozen=True)
class FrameKey:
    token: str  # the sequence version (render.preview.session.Snapshot.token)
    index: int
    width: int
    height: int
    format: str  # "png" (full size, lossless) or "jpeg" (proxies: fewer bytes, faster)


@dataclass(frozen=True)
class Frame:
    data: bytes
    media_type: str
    render_ms: float


@dataclass
class _Job:
    seq: Sequence
    key: FrameKey
    client: str
    keep: bool
    future: asyncio.Future = field(repr=False)


class FrameCache:
    """The most recently used encoded frames, up to `budget` bytes."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[FrameKey, Frame] = OrderedDict()

    def get(self, key: FrameKey) -> Frame | None:
        frame = self._items.get(key)
        if frame is not None:
            self._items.move_to_end(key)
        return frame

    def put(self, key: FrameKey, frame: Frame) -> None:
        if key in self._items:
            self.used -= len(self._items.pop(key).data)
        self._items[key] = frame
        self.used += len(frame.data)
        while self.used > self.budget and self._items:
            _, old = self._items.popitem(last=False)
            self.used -= len(old.data)

    def keep_only(self, token: str) -> None:
        """Forget the frames of every other version of the sequence."""
        for key in [k for k in self._items if k.token != token]:
            self.used -= len(self._items.pop(key).data)

    def __len__(self) -> int:
        return len(self._items)


class FrameService:
    """Renders `FrameKey`s of a sequence in `workers` processes; see the module's text."""

    def __init__(self, workers: int = 2, cache_bytes: int = 96 << 20) -> None:
        self.workers = max(1, workers)
        self.cache = FrameCache(cache_bytes)
        self.counts = {"rendered": 0, "cached": 0, "superseded": 0, "failed": 0}
        self._pool: ProcessPoolExecutor | None = None
        self._idle = 0
        self._waiting: deque[_Job] = deque()
        self._jobs: dict[FrameKey, _Job] = {}  # waiting or running

    def start(self) -> None:
        self._pool = _new_pool(self.workers)
        self._idle = self.workers

    def close(self) -> None:
        for job in self._waiting:
            if not job.future.done():
                job.future.set_exception(Superseded())
        self._waiting.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def frame(
        self, seq: Sequence, key: FrameKey, client: str = "", keep: bool = False
    ) -> Frame:
        """The encoded frame `key` of `seq` (already at the key's size). `keep` requests
        (saving a PNG) are never superseded."""
        cached = self.cache.get(key)
        if cached is not None:
            self.counts["cached"] += 1
            return cached
        job = self._jobs.get(key)
        if job is None:
            job = _Job(seq, key, client, keep, asyncio.get_running_loop().create_future())
            self._jobs[key] = job
            self._waiting.append(job)
            self._supersede(job)
            self._pump()
        else:
            job.keep = job.keep or keep
        return await asyncio.shield(job.future)

    def warm(self, seq: Sequence, token: str) -> None:
        """Start every worker on a tiny frame, so the first real one does not wait for
        imports and compilation (numba's noise kernels)."""
        tiny = seq.replace(size=(64, max(1, round(64 * seq.height / seq.width))))
        for k in range(self.workers):
            key = FrameKey(f"{token}-warm{k}", 0, *tiny.size, "jpeg")
            job = _Job(tiny, key, f"warm{k}", True, asyncio.get_running_loop().create_future())
            job.future.add_done_callback(lambda f: f.exception())  # nobody awaits it
            self._jobs[key] = job
            self._waiting.append(job)
        self._pump()

    def _supersede(self, newest: _Job) -> None:
        for job in list(self._waiting):
            if job is not newest and job.client == newest.client and not job.keep:
                self._waiting.remove(job)
                del self._jobs[job.key]
                self.counts["superseded"] += 1
                job.future.set_exception(Superseded())

    def _pump(self) -> None:
        while self._idle > 0 and self._waiting and self._pool is not None:
            job = self._waiting.pop()  # the newest: the one the person looks at now
            self._idle -= 1
            pool = self._pool
            try:
                done = pool.submit(_render, job.seq, job.key)
            except (BrokenProcessPool, RuntimeError) as exc:
                self._idle += 1
                self._fail(job, f"the render worker stopped ({exc}); starting it again")
                self._restart(pool)
                continue
            wrapped = asyncio.wrap_future(done)
            wrapped.add_done_callback(lambda f, job=job, pool=pool: self._finished(job, pool, f))

    def _finished(self, job: _Job, pool: ProcessPoolExecutor, done: asyncio.Future) -> None:
        if pool is self._pool:
            self._idle += 1
        try:
            status, payload, ms = done.result()
        except BrokenProcessPool:
            self._fail(job, "the render worker died (out of memory?); it has been restarted")
            self._restart(pool)
        except asyncio.CancelledError:
            self._fail(job, "the preview is stopping")
        except Exception as exc:  # noqa: BLE001 -- a result that could not come back
            self._fail(job, one_line(f"{type(exc).__name__}: {exc}"))
        else:
            self._jobs.pop(job.key, None)
            if status == "ok":
                frame = Frame(payload, f"image/{job.key.format}", ms)
                self.cache.put(job.key, frame)
                self.counts["rendered"] += 1
                if not job.future.done():
                    job.future.set_result(frame)
            else:
                self._fail(job, payload)
        self._pump()

    def _fail(self, job: _Job, message: str) -> None:
        self._jobs.pop(job.key, None)
        self.counts["failed"] += 1
        if not job.future.done():
            job.future.set_exception(FrameFailed(message))

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        if broken is not self._pool:
            return  # already restarted for another request of the same pool
        broken.shutdown(wait=False, cancel_futures=True)
        self._pool = _new_pool(self.workers)
        self._idle = self.workers


# --------------------------------------------------------------------------- processes


def _new_pool(workers: int) -> ProcessPoolExecutor:
    # Not "fork": the server runs threads (the event loop's executor, the file watcher),
    # and forking a process with live threads can deadlock. The fork server starts clean
    # and imports the renderer once, so each worker starts warm.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["render.frame"])
        start_forkserver_deaf_to_ctrl_c()  # the render pipeline's: no Ctrl-C traceback
    else:
        ctx = mp.get_context("spawn")
    return ProcessPoolExecutor(workers, mp_context=ctx, initializer=_worker_init)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # numba takes a process lock at start-up under any "fork" start method, a named
    # semaphore that leaks (and is reported on stderr) when a worker is killed; a worker
    # starts no processes, so "spawn" costs nothing here (see render.pipeline).
    mp.set_start_method("spawn", force=True)
    try:  # one thread each: the workers already share the cores with the browser
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass


# Each worker keeps the renderers of the last few (version, size) pairs it drew: a layer
# builds its structure once per sequence and size, and scrubbing at one size reuses it.
_renderers: OrderedDict[tuple, object] = OrderedDict()


def _render(seq: Sequence, key: FrameKey) -> tuple[str, bytes | str, float]:
    """In a worker: frame `key` of `seq` (at the key's size) encoded, as ("ok", bytes, ms),
    or ("error", one line, ms) when the sequence cannot be drawn."""
    from PIL import Image

    from render.frame import Renderer

    start = time.perf_counter()
    try:
        version = (key.token, key.width, key.height)
        renderer = _renderers.get(version)
        if renderer is None:
            # the page shows the picture on its background, even for a transparent sequence
            renderer = _renderers[version] = Renderer(seq.replace(transparent=False))
            while len(_renderers) > 4:
                _renderers.popitem(last=False)
        _renderers.move_to_end(version)
        rgb = renderer.render(key.index)  # type: ignore[attr-defined]
        out = io.BytesIO()
        if key.format == "png":
            Image.fromarray(rgb).save(out, "PNG", compress_level=1)
        else:
            # 4:4:4: chroma subsampling smears small neon lights into grey at proxy sizes
            Image.fromarray(rgb).save(out, "JPEG", quality=85, subsampling=0)
    except Exception as exc:  # noqa: BLE001 -- reported on the page
        message = (
            str(exc)
            if exc.__class__.__module__.startswith("render")
            else (f"{type(exc).__name__}: {exc}")
        )
        return "error", one_line(f"frame {key.index}: {message}"), _ms(start)
    return "ok", out.getvalue(), _ms(start)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000
