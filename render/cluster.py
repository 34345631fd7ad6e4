"""Render on a Dask cluster: segments of consecutive frames as tasks.

The client cuts the frames into segments (about two seconds each, :mod:`render.segments`)
and submits one task per segment to a Dask scheduler (`dask.distributed`). A task carries
everything it needs as data -- the sequence, its palette included, pickles as its fields --
so workers need the package installed but no shared file system and none of the client's
files. A worker renders its segment and sends back bytes:

- MP4/WebM: the segment encoded with the client's encoder settings (a closed GOP); the
  client stores it beside the output and joins all segments with ffmpeg's concat demuxer
  without re-encoding (:class:`render.segments.SegmentedVideo`);
- PNG folders: each frame encoded exactly as the local PNG writer would
  (:func:`render.encode.sequence_png`), written into the folder in order as they come;
- anything else (GIF): the frames, losslessly compressed; the client's writer does the
  palette work, which needs every frame.

The output appears atomically through the same writers as a local render. At most a few
segments per worker thread are in flight, so the client's memory stays bounded. A worker
that dies has its segment run again elsewhere by Dask (up to its `allowed-failures`).
On Ctrl-C or any error the outstanding tasks are cancelled, and running ones stop at their
next frame (they watch a Dask `Event`), removing their temporaries.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from render.errors import InputError, RenderError
from render.segments import SegmentedVideo, VideoSettings, encode_segment_bytes, split
from render.sequence import Sequence as Animation

Progress = Callable[[int], None]

EXPECTED = "tcp://HOST:PORT, local or local:N"
MAX_LOCAL_WORKERS = 64
_TCP_RE = re.compile(r"tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(?P<port>\d{1,5})")
_LOCAL_RE = re.compile(r"local(?::(?P<n>\d{1,3}))?")

# How long a segment may run before it looks at the cancel event again (one frame at most
# past this): a Ctrl-C stops the workers about this soon.
_CANCEL_CHECK_SECONDS = 0.25
# How long the client waits for a first worker, and how long it tolerates having none.
_WORKERS_WAIT_SECONDS = 30.0
# How often the client looks for finished segments, and recounts the workers.
_POLL_SECONDS = 0.02
_COUNT_SECONDS = 1.0
# Segments in flight per worker thread: one running, one queued, one travelling back.
_IN_FLIGHT_PER_THREAD = 3


# --------------------------------------------------------------------------- addresses


@dataclass(frozen=True)
class ClusterSpec:
    """Where to render: a scheduler's address, or a cluster started on this machine."""

    text: str
    address: str | None = None  # tcp://HOST:PORT of a running scheduler
    local_workers: int | None = None  # a LocalCluster of this many workers (None: one a core)

    @property
    def is_local(self) -> bool:
        return self.address is None


def parse_cluster(value: str) -> ClusterSpec:
    """`tcp://HOST:PORT`, `local` or `local:N`; anything else is an InputError (exit 2)."""
    text = (value or "").strip()
    if m := _TCP_RE.fullmatch(text):
        if not 1 <= int(m["port"]) <= 65535:
            raise InputError(f"--cluster: port must be 1-65535, got {text!r}; expected {EXPECTED}")
        return ClusterSpec(text, address=text)
    if m := _LOCAL_RE.fullmatch(text):
        n = int(m["n"]) if m["n"] else None
        if n is not None and not 1 <= n <= MAX_LOCAL_WORKERS:
            raise InputError(
                f"--cluster: local:N needs 1 to {MAX_LOCAL_WORKERS} workers, got {text!r}"
            )
        return ClusterSpec(text, local_workers=n)
    raise InputError(f"--cluster: expected {EXPECTED}, got {text[:80]!r}")


# --------------------------------------------------------------------------- worker side


@dataclass(frozen=True)
class Job:
    """What every segment task of one render shares."""

    token: str
    sequence: Animation  # pickles as plain data (its fields, palette included): no files
    kind: str  # "video", "png" or "frames"
    video: VideoSettings | None = None
    metadata: dict[str, str] | None = None  # PNG text chunks

    @property
    def cancel_event(self) -> str:
        return f"neon-render-cancel-{self.token}"


class _Cancelled(Exception):
    pass


_per_thread = threading.local()


def _renderer(job: Job):
    """This thread's renderer for the job (built once per job: layer structures are reused
    from segment to segment)."""
    cached = getattr(_per_thread, "renderer", None)
    if cached is None or cached[0] != job.token:
        from render.frame import Renderer

        _one_thread_each()
        cached = (job.token, Renderer(job.sequence))
        _per_thread.renderer = cached
    return cached[1]


def _one_thread_each() -> None:
    # As in the local pipeline: one numba and one OpenCV thread per renderer; parallelism
    # comes from running one worker (or worker thread) per core.
    try:
        import numba

        numba.set_num_threads(1)
    except (ImportError, ValueError):
        pass
    import cv2

    cv2.setNumThreads(1)


def _frames(job: Job, indices: Sequence[int]) -> Iterator[np.ndarray]:
    """The segment's frames, stopping (_Cancelled) soon after the client cancels."""
    from distributed import Event

    cancel = Event(job.cancel_event)
    renderer = _renderer(job)
    checked = time.monotonic()
    for i in indices:
        if time.monotonic() - checked > _CANCEL_CHECK_SECONDS:
            if cancel.is_set():
                raise _Cancelled(job.token)
            checked = time.monotonic()
        yield renderer.render(i)


def run_segment(job: Job, number: int, indices: Sequence[int]) -> bytes | list[bytes]:
    """A task: render frames `indices` (segment `number`) and return them as bytes."""
    try:
        if job.kind == "video":
            assert job.video is not None
            return encode_segment_bytes(_frames(job, indices), job.video)
        if job.kind == "png":
            from render.encode import sequence_png

            return [sequence_png(frame, job.metadata) for frame in _frames(job, indices)]
        return [zlib.compress(frame.tobytes(), 1) for frame in _frames(job, indices)]
    except _Cancelled:
        raise
    except RenderError as exc:  # as a plain RenderError: a ConfigError can't be unpickled
        plain = RenderError(str(exc))
        plain.exit_code = exc.exit_code
        raise plain from None
    except Exception as exc:
        first, last = indices[0], indices[-1]
        raise RenderError(f"frames {first}-{last}: {type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------- client side


class Session:
    """A connected Dask client: renders on its cluster."""

    def __init__(self, spec: ClusterSpec, client: Any) -> None:
        self.spec = spec
        self.client = client
        self.address = spec.text  # as given: a local cluster's own port means nothing later
        self.workers = len(client.nthreads())

    def threads(self) -> int:
        return sum(self.client.nthreads().values())

    def render_into(
        self,
        writer: Any,
        seq: Animation,
        indices: Sequence[int],
        *,
        segment_frames: int,
        metadata: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Render frames `indices` of `seq` on the cluster into `writer`: a
        :class:`SegmentedVideo` (segments as they finish), a PNG folder writer (encoded
        frames, in order) or any other frame writer (frames, in order). `metadata` must be
        what the PNG writer was opened with, so that the frames are byte for byte its own."""
        if isinstance(writer, SegmentedVideo):
            kind, segment_frames = "video", writer.segment_frames
        else:
            kind = "png" if writer.format == "png" else "frames"
        chunks = split(list(indices), segment_frames)
        job = Job(
            secrets.token_hex(8),
            seq,
            kind,
            video=writer.settings if kind == "video" else None,
            metadata=dict(metadata or {}) if kind == "png" else None,
        )
        shape = (seq.height, seq.width, 3)
        waiting: dict[int, Any] = {}  # finished out of order: number -> payload
        next_out = 0  # ordered sinks: the next segment to write

        def deliver(number: int, payload: Any) -> None:
            nonlocal next_out
            if kind == "video":
                writer.put(number, payload, len(chunks[number]))
                return
            waiting[number] = payload
            while next_out in waiting:
                for item in waiting.pop(next_out):
                    if kind == "png":
                        writer.write_encoded(item)
                    else:
                        writer.write(np.frombuffer(zlib.decompress(item), np.uint8).reshape(shape))
                next_out += 1

        ordered = None if kind == "video" else (lambda: next_out)
        self._run(job, chunks, deliver, ordered, progress)

    def _run(
        self,
        job: Job,
        chunks: list[list[int]],
        deliver: Callable[[int, Any], None],
        next_needed: Callable[[], int] | None,
        progress: Progress | None,
    ) -> None:
        """Keep the workers busy with at most a few segments per thread ahead of the oldest
        one still needed (`next_needed`, for sinks that take segments in order), and hand
        each finished segment to `deliver`."""
        futures: dict[Any, int] = {}
        submitted = 0
        threads, counted = self.threads(), time.monotonic()
        no_workers_since: float | None = None
        try:
            while submitted < len(chunks) or futures:
                if time.monotonic() - counted > _COUNT_SECONDS:  # workers come and go
                    threads, counted = self.threads(), time.monotonic()
                if threads:
                    no_workers_since = None
                elif no_workers_since is None:
                    no_workers_since = time.monotonic()
                elif time.monotonic() - no_workers_since > _WORKERS_WAIT_SECONDS:
                    raise RenderError(
                        f"--cluster {self.spec.text}: no Dask workers for "
                        f"{_WORKERS_WAIT_SECONDS:.0f} s; start some with "
                        f"`dask worker {self.client.scheduler.address}`"
                    )
                base = next_needed() if next_needed else min(futures.values(), default=submitted)
                window = max(2, _IN_FLIGHT_PER_THREAD * threads)
                while submitted < len(chunks) and submitted < base + window:
                    future = self.client.submit(
                        run_segment,
                        job,
                        submitted,
                        chunks[submitted],
                        key=f"neon-render-{job.token}-{submitted}",
                        pure=False,
                    )
                    futures[future] = submitted
                    submitted += 1
                # Polled, not a blocking wait: Ctrl-C is seen at once, and it needs no
                # default client.
                done = sorted((f for f in futures if f.done()), key=futures.__getitem__)
                if not done:
                    time.sleep(_POLL_SECONDS)
                for future in done:
                    number = futures.pop(future)
                    payload = self._result(future, chunks[number])
                    deliver(number, payload)
                    if progress:
                        progress(len(chunks[number]))
        except BaseException:
            self._cancel(job, list(futures))
            raise

    def _result(self, future: Any, chunk: list[int]) -> Any:
        from distributed import TimeoutError as DaskTimeout

        try:
            return future.result()
        except RenderError:
            raise
        except Exception as exc:
            what = f"frames {chunk[0]}-{chunk[-1]}"
            if type(exc).__name__ == "KilledWorker":
                raise RenderError(
                    f"{what}: Dask gave up after the workers running them died "
                    f"({exc}); nothing was written"
                ) from None
            if isinstance(exc, (OSError, DaskTimeout)):
                raise RenderError(
                    f"--cluster {self.spec.text}: lost the scheduler ({exc}); nothing was written"
                ) from None
            raise RenderError(f"{what}: {type(exc).__name__}: {exc}") from None

    def _cancel(self, job: Job, futures: list[Any]) -> None:
        """Stop the render on the cluster: running tasks see the event at their next frame
        (it stays set: a late task must not start), queued ones are cancelled."""
        from distributed import Event

        from render.atomic import signals_deferred as _signals_deferred

        with _signals_deferred():
            try:
                Event(job.cancel_event, client=self.client).set()
                self.client.cancel(futures, force=True)
            except Exception:
                pass  # the scheduler is gone: so are its tasks


@contextmanager
def connect(spec: ClusterSpec) -> Iterator[Session]:
    """A session on the cluster `spec` names; InputError (exit 2) when there is none to be
    had: Dask isn't installed, the scheduler doesn't answer, or no worker joins it."""
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--cluster needs Dask: pip install 'neon-dream-render[cluster]' (dask and distributed)"
        ) from None
    # Dask's own log lines (reconnects, removed workers) would break the CLI's one-line
    # errors; its errors still reach us as exceptions.
    quiet = logging.getLogger("distributed")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with ExitStack() as stack:
            if spec.is_local:
                client = stack.enter_context(_local_client(spec.local_workers))
            else:
                try:
                    client = Client(spec.address, set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise InputError(
                        f"--cluster: no Dask scheduler answered at {spec.address} "
                        f"({_reason(exc)}); expected the address of a running `dask "
                        "scheduler` (tcp://HOST:PORT), or local / local:N"
                    ) from None
                stack.callback(client.close)
            try:
                client.wait_for_workers(1, timeout=_WORKERS_WAIT_SECONDS)
            except TimeoutError:
                raise InputError(
                    f"--cluster: the scheduler at {spec.text} has no workers after "
                    f"{_WORKERS_WAIT_SECONDS:.0f} s; start some with `dask worker {spec.text}`"
                ) from None
            yield Session(spec, client)
    finally:
        quiet.setLevel(level)


@contextmanager
def _local_client(workers: int | None) -> Iterator[Any]:
    """A client of a LocalCluster of `workers` processes (one a core by default).

    The workers are forked from multiprocessing's fork server, started deaf to Ctrl-C as
    the local pipeline's is (render.pipeline): Ctrl-C goes to the whole process group, the
    workers would each print a traceback for it, and we stop them ourselves. The server
    also preloads the renderer, so workers start warm. A Ctrl-C while the cluster starts
    is held until it is up, so that it can be closed."""
    import dask
    from distributed import Client, LocalCluster
    from distributed.utils import get_mp_context

    from render.atomic import signals_deferred as _signals_deferred
    from render.pipeline import default_workers, start_forkserver_deaf_to_ctrl_c

    # For the session's lifetime: a worker that dies is replaced the same way.
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        get_mp_context().set_forkserver_preload(["distributed", "render.frame"])
        start_forkserver_deaf_to_ctrl_c()
        cluster = client = None
        try:
            with _signals_deferred():
                cluster = LocalCluster(
                    n_workers=workers or default_workers(),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",  # its HTTP server always starts: any free port
                    silence_logs=logging.CRITICAL,
                )
                client = Client(cluster, set_as_default=False)
            yield client
        finally:
            with _signals_deferred():
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:160]
