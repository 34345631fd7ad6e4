"""Rendering on a Dask cluster: a real `dask scheduler` and two `dask worker` processes on
127.0.0.1, started here as subprocesses. PNG folders from the cluster are byte-identical to
a local render; an MP4 decodes to the frames of a local render with the same segmenting; a
worker killed mid-render has its segment retried; Ctrl-C leaves nothing behind on either
side; a bad or unreachable address is one line, exit 2, nothing written.

Frames are tiny (64x36) and sequences short, so the module takes seconds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from render.cli import cli
from render.cluster import ClusterSpec, connect, parse_cluster
from render.encode import MANIFEST, open_writer
from render.frame import Renderer
from render.pipeline import render_frames
from render.provenance import read_record
from render.segments import open_segmented, split
from render.sequence import load_sequence

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")
TINY = ["--size", "64x36", "--end", "2", "--segment", "0.5"]  # 60 frames, 4 segments
START_SECONDS = 60


# --------------------------------------------------------------------------- the cluster


class DaskProcesses:
    """A scheduler and workers as separate processes, on 127.0.0.1, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.worker_tmp = folder / "worker-tmp"  # the workers' TMPDIR: their temporaries
        self.worker_tmp.mkdir()
        self.env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            "TMPDIR": str(self.worker_tmp),
        }
        self.procs: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
            "--scheduler-file", str(self.scheduler_file),
        )  # fmt: skip
        deadline = time.monotonic() + START_SECONDS
        while not self.scheduler_file.exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.05)
        self.address = json.loads(self.scheduler_file.read_text())["address"]

    def _start(self, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{args[0]}-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "dask", *args],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def add_worker(self) -> subprocess.Popen:
        # No nanny: each worker is one process, so killing it kills the worker.
        worker = self._start(
            "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
            "--host", "127.0.0.1", "--local-directory", str(self.folder / "dask-scratch"),
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, set_as_default=False, timeout=START_SECONDS) as client:
            client.wait_for_workers(n, timeout=START_SECONDS)
            # Every worker has imported the renderer before a test times anything.
            client.run(__import__, "render.frame")

    def live_workers(self) -> list[subprocess.Popen]:
        return [w for w in self.workers if w.poll() is None]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    procs = DaskProcesses(tmp_path_factory.mktemp("dask"))
    try:
        procs.add_worker()
        procs.add_worker()
        procs.wait_for_workers(2)
        yield procs
    finally:
        procs.stop()


@pytest.fixture
def cluster(dask_cluster):
    """The module's cluster with two live workers (a test may have killed one)."""
    while len(dask_cluster.live_workers()) < 2:
        dask_cluster.add_worker()
    dask_cluster.wait_for_workers(2)
    return dask_cluster


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def decode(path: Path) -> tuple[dict, list[np.ndarray]]:
    reader = imageio.get_reader(path, "ffmpeg")
    try:
        return reader.get_meta_data(), [frame for frame in reader]
    finally:
        reader.close()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("frame_*.png"))}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "text, spec",
    [
        ("tcp://127.0.0.1:8786", ("tcp://127.0.0.1:8786", None)),
        ("tcp://render-farm.example:9000", ("tcp://render-farm.example:9000", None)),
        (" local ", (None, None)),
        ("local:3", (None, 3)),
    ],
)
def test_parse_cluster_accepts(text, spec) -> None:
    address, workers = spec
    assert parse_cluster(text) == ClusterSpec(text.strip(), address, workers)


@pytest.mark.parametrize(
    "text",
    ["bogus", "127.0.0.1:8786", "tcp://127.0.0.1", "tcp://:8786", "tcp://host:0",
     "tcp://host:70000", "http://host:8786", "local:0", "local:65", "local:x", "local:"],
)  # fmt: skip
def test_bad_address_is_one_line_exit_2_nothing_written(tmp_path, text) -> None:
    out = tmp_path / "out.mp4"
    result = run("animate", DREAM, "-o", str(out), "--cluster", text, *TINY)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and "--cluster" in result.output
    assert "tcp://HOST:PORT" in result.output or "local:N" in result.output
    assert list(tmp_path.iterdir()) == []


def test_unreachable_scheduler_is_one_line_exit_2_nothing_written(tmp_path) -> None:
    import dask
    import distributed  # noqa: F401 -- its defaults first: leaving set() would drop them

    out = tmp_path / "deep" / "out.mp4"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = run(
            "animate", DREAM, "-o", str(out), *TINY, env={"RENDER_CLUSTER": "tcp://127.0.0.1:9"}
        )
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in result.output
    assert "dask scheduler" in result.output and "tcp://HOST:PORT" in result.output
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- same pixels


def test_png_folder_is_byte_identical_to_a_local_render(cluster, tmp_path) -> None:
    # The same arguments (--cluster is not recorded) and working folder: the same record
    args = ["animate", DREAM, "-o", str(tmp_path / "frames"), *TINY, "-q"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    (tmp_path / "frames").rename(tmp_path / "local")
    result = run(*args, "--cluster", cluster.address)
    assert result.exit_code == 0, result.output

    here, there = folder_bytes(tmp_path / "local"), folder_bytes(tmp_path / "frames")
    assert len(there) == 60 and here == there
    manifest = json.loads((tmp_path / "frames" / MANIFEST).read_text())
    assert manifest["record"]["Cluster"] == cluster.address
    assert manifest["record"]["ClusterWorkers"] == "2"
    assert "--cluster" not in manifest["record"]["Arguments"]
    assert leftovers(tmp_path) == []


def test_mp4_decodes_like_a_local_render_with_the_same_segmenting(cluster, tmp_path) -> None:
    remote, local = tmp_path / "remote.mp4", tmp_path / "local.mp4"
    result = run(
        "animate", DREAM, "-o", str(remote), *TINY, env={"RENDER_CLUSTER": cluster.address}
    )
    assert result.exit_code == 0, result.output
    assert f"on {cluster.address} (2 workers)" in result.output
    assert run("animate", DREAM, "-o", str(local), *TINY).exit_code == 0

    meta, frames = decode(remote)
    local_meta, local_frames = decode(local)
    assert (meta["codec"], meta["size"], meta["fps"]) == ("h264", (64, 36), 30.0)
    assert meta["codec"] == local_meta["codec"] and meta["fps"] == local_meta["fps"]
    assert len(frames) == len(local_frames) == 60
    assert all(np.array_equal(a, b) for a, b in zip(frames, local_frames, strict=True))
    # ... and those are the frames that were rendered, through a lossy encode
    seq = load_sequence(DREAM).replace(size=(64, 36))
    truth = Renderer(seq)
    for i in (0, 14, 15, 59):  # both sides of a segment boundary
        error = np.abs(frames[i].astype(int) - truth.render(i).astype(int)).mean()
        assert error < 8, (i, error)

    record = read_record(remote)
    assert record["Cluster"] == cluster.address and record["ClusterWorkers"] == "2"
    assert "Cluster" not in read_record(local)
    assert leftovers(tmp_path) == []


def test_a_cluster_mp4_records_the_segmenting_it_implied(cluster, tmp_path) -> None:
    out = tmp_path / "out.mp4"
    args = ["animate", DREAM, "-o", str(out), "--size", "64x36", "--end", "1"]
    result = run(*args, "--cluster", cluster.address)
    assert result.exit_code == 0, result.output
    assert json.loads(read_record(out)["Arguments"]) == [*args, "--segment", "2"]
    assert len(decode(out)[1]) == 30


def test_gif_frames_come_back_for_the_palette(cluster, tmp_path) -> None:
    remote, local = tmp_path / "remote.gif", tmp_path / "local.gif"
    result = run("animate", DREAM, "-o", str(remote), *TINY, "--cluster", cluster.address)
    assert result.exit_code == 0, result.output
    assert run("animate", DREAM, "-o", str(local), *TINY).exit_code == 0
    with Image.open(remote) as a, Image.open(local) as b:
        assert a.n_frames == b.n_frames == 60 and a.size == (64, 36)
    assert read_record(remote)["Cluster"] == cluster.address


def test_the_palette_travels_with_the_task(cluster, tmp_path) -> None:
    """Workers don't read the client's files: with the sequence and its palette file gone
    after loading, the cluster still renders the client's colours."""
    (tmp_path / "palettes").mkdir()
    neon = (ROOT / "palettes" / "neon.toml").read_text()
    (tmp_path / "palettes" / "mine.toml").write_text(
        neon.replace('name = "neon"', 'name = "mine"').replace("#04060d", "#402000")
    )
    text = Path(DREAM).read_text()
    seq_file = tmp_path / "seq.toml"
    seq_file.write_text(re.sub(r'(?m)^palette = ".*"$', 'palette = "mine"', text))
    seq = load_sequence(seq_file).replace(size=(64, 36), duration=0.2)
    assert seq.palette.name == "mine"
    shutil.rmtree(tmp_path / "palettes")
    seq_file.unlink()

    out = tmp_path / "frames"
    with (
        connect(parse_cluster(cluster.address)) as session,
        open_writer(out, seq.size, seq.fps) as writer,
    ):
        session.render_into(writer, seq, range(seq.frames), segment_frames=2)
    truth = Renderer(seq)
    for i in range(seq.frames):
        with Image.open(out / f"frame_{i:06d}.png") as im:
            assert np.array_equal(np.asarray(im), truth.render(i))


# --------------------------------------------------------------------------- failures


def test_a_worker_killed_mid_render_has_its_segment_retried(cluster, tmp_path) -> None:
    seq = load_sequence(DREAM).replace(size=(64, 36), duration=3.0)
    meta = {"comment": "the same record on both sides"}
    indices = range(seq.frames)
    with open_writer(tmp_path / "local", seq.size, seq.fps, metadata=meta) as writer:
        for frame in render_frames(seq, indices, workers=1):
            writer.write(frame)

    killed: list[tuple[int, list]] = []
    steps: list[int] = []
    with connect(parse_cluster(cluster.address)) as session:
        pids = session.client.run(os.getpid)

        def progress(n: int) -> None:
            steps.append(n)
            if killed:
                return
            for address, keys in session.client.processing().items():
                if keys:  # a worker in the middle of a segment: kill it outright
                    os.kill(pids[address], signal.SIGKILL)
                    killed.append((pids[address], keys))
                    return

        with open_writer(tmp_path / "remote", seq.size, seq.fps, metadata=meta) as writer:
            session.render_into(
                writer, seq, indices, segment_frames=6, metadata=meta, progress=progress
            )

    assert killed, "no worker was busy to be killed"
    assert killed[0][0] not in [w.pid for w in cluster.live_workers()]
    assert sum(steps) == seq.frames and len(steps) == len(split(list(indices), 6))
    assert folder_bytes(tmp_path / "remote") == folder_bytes(tmp_path / "local")
    assert len(folder_bytes(tmp_path / "remote")) == seq.frames


def test_ctrl_c_cancels_the_cluster_and_leaves_nothing_behind(cluster, tmp_path) -> None:
    from distributed import Client

    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous output\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "render", "animate", DREAM, "-o", str(out),
         "--size", "320x180", "--end", "20", "--segment", "0.5"],
        cwd=tmp_path,
        env={**cluster.env, "TMPDIR": str(tmp_path), "RENDER_CLUSTER": cluster.address},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    with Client(cluster.address, set_as_default=False) as watcher:
        try:
            deadline = time.monotonic() + START_SECONDS
            segments = []  # wait until a segment has come back: the render is under way
            while not segments:
                assert proc.poll() is None, proc.communicate()[1].decode()
                assert time.monotonic() < deadline, "the render never started"
                segments = list(tmp_path.glob(".out.mp4.*.part/0*.mp4"))
                time.sleep(0.02)
            assert any(watcher.processing().values())
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 128 + signal.SIGINT
        assert err.decode().strip() == "interrupted; nothing was written"
        assert out.read_bytes() == b"previous output\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]

        # The other side: no task left on the scheduler, no temporaries or ffmpeg on workers.
        deadline = time.monotonic() + 20
        while True:
            busy = {a: k for a, k in watcher.processing().items() if k}
            scratch = list(cluster.worker_tmp.glob("neon-render-*"))  # (Dask keeps its own)
            encoders = [
                pid
                for w in cluster.live_workers()
                for pid in _children(w.pid)
                if b"ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            if not (busy or scratch or encoders):
                break
            assert time.monotonic() < deadline, (busy, scratch, encoders)
            time.sleep(0.1)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def test_local_segmented_mp4_is_atomic_on_failure(tmp_path) -> None:
    seq = load_sequence(DREAM).replace(size=(64, 36), duration=1.0)
    out = tmp_path / "out.mp4"
    with (
        pytest.raises(RuntimeError),
        open_segmented(out, seq.size, seq.fps, preset="veryfast", segment_frames=5) as video,
    ):
        for frame in render_frames(seq, range(12)):
            video.write(frame)
        raise RuntimeError("a render bug")
    assert list(tmp_path.iterdir()) == []
