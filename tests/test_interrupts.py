"""Interruptions end cleanly: Ctrl-C, SIGTERM, a worker that dies, a full disk and a failing
encoder each give one clear line, a non-zero exit, the previous output untouched, no
temporary files and no stray processes. And an interrupted PNG-folder render resumes.

The signal tests run `python -m render animate` as a real process (in its own session, so
signalling its group can't reach pytest); the rest go through click's CliRunner.
"""

from __future__ import annotations

import errno
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import render.sheet  # noqa: F401 -- binds the real render_frames before tests patch it
from render import encode, ffmpeg, pipeline
from render.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DREAM = str(ROOT / "sequences" / "dream.toml")
SHM = Path("/dev/shm")
PREVIOUS = b"previous output, must survive\n"
HANG_SECONDS = 120

pytestmark = [
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc"),
    pytest.mark.slow,  # real processes, signals and ffmpeg
]


# --------------------------------------------------------------------------- process helpers


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, state) of a process, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return int(fields[1]), fields[0]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def descendants(pid: int) -> dict[int, bytes]:
    """Every live descendant of `pid` (children, grandchildren...) -> its command line."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None and st[1] != "Z":
                parents[int(entry)] = st[0]
    found: dict[int, bytes] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found[child] = _cmdline(child)
                frontier.append(child)
    return found


def still_running(procs: dict[int, bytes]) -> dict[int, bytes]:
    """Those of `procs` that are still alive (same pid and command line, not a zombie)."""
    alive = {}
    for pid, cmd in procs.items():
        st = _stat(pid)
        if st is not None and st[1] != "Z" and _cmdline(pid) == cmd:
            alive[pid] = cmd
    return alive


def workers_of(pid: int) -> list[int]:
    """Render worker processes: python descendants that have no children of their own
    (the fork server has children; ffmpeg and the resource tracker aren't workers)."""
    procs = descendants(pid)
    return [
        p
        for p, cmd in procs.items()
        if b"python" in cmd.split(b"\0")[0]
        and b"ffmpeg" not in cmd.split(b"\0")[0]
        and b"resource_tracker" not in cmd
        and not any(_stat(c) and _stat(c)[0] == p for c in procs)
    ]


def spawn(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "render", *args],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: killpg reaches it, not pytest
        env={**os.environ, **(env or {})},
        # Ctrl-C as at a terminal, whatever pytest inherited (a background job ignores it)
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_until(proc: subprocess.Popen, predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"render exited ({proc.returncode}) before {what}: {err.decode()}")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def finish(proc: subprocess.Popen, timeout: float = HANG_SECONDS) -> str:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"render hung: still running {timeout} s after the interruption")
    return err.decode("utf-8", "replace")


def writing(folder: Path) -> bool:
    """True once the hidden temporary holds bytes, or has existed for a moment (frames are
    flowing into the encoder, which may buffer a few seconds before its file grows)."""
    temps = list(folder.glob(".*.part*"))
    if not temps:
        return False
    return temp_bytes(folder) > 0 or time.time() - min(p.stat().st_mtime for p in temps) > 0.8


def temp_bytes(folder: Path) -> int:
    """Bytes in the hidden temporaries (.NAME.*.part*) beside or inside the output."""
    total = 0
    for p in folder.rglob(".*.part*"):
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.iterdir() if f.is_file())
    return total


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.name not in keep)


def shm_of(pid: int) -> list[str]:
    prefix = getattr(pipeline, "SHM_PREFIX", "neon-render-")
    return sorted(p.name for p in SHM.glob(f"{prefix}{pid}-*")) if SHM.is_dir() else []


def assert_clean_exit(tmp_path, out: Path, procs: dict[int, bytes], pid: int) -> None:
    """The previous output is byte-identical, nothing else is left, and no process lives on."""
    assert (
        out.read_bytes() == PREVIOUS
        if out.is_file()
        else sorted(p.name for p in out.iterdir()) == ["frame_000000.png"]
    )
    assert leftovers(tmp_path, {out.name, "frame_000000.png"}) == []
    deadline = time.monotonic() + 5
    while still_running(procs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert still_running(procs) == {}, "processes left behind"
    assert shm_of(pid) == [], "shared memory left behind"


def previous_output(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    if out.suffix:
        out.write_bytes(PREVIOUS)
    else:
        out.mkdir()
        Image.new("RGB", (4, 4)).save(out / "frame_000000.png")
    return out


SMALL = ["--size", "160x90", "-q"]


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# --------------------------------------------------------------------------- signals


@pytest.mark.parametrize(
    ("sig", "name", "code"),
    [
        (signal.SIGINT, "clip.mp4", 130),
        (signal.SIGINT, "clip.gif", 130),
        (signal.SIGINT, "frames", 130),
        (signal.SIGTERM, "clip.mp4", 143),
    ],
    ids=["sigint-mp4", "sigint-gif", "sigint-folder", "sigterm-mp4"],
)
def test_a_signal_while_writing_keeps_the_previous_output(tmp_path, sig, name, code):
    out = previous_output(tmp_path, name)
    proc = spawn(tmp_path, "animate", DREAM, "-o", name, *SMALL, "--workers", "1")
    wait_until(proc, lambda: writing(tmp_path), "the output started")
    procs = descendants(proc.pid)
    # a PNG folder and a GIF are encoded in this process; MP4 by an ffmpeg it started
    assert any(b"ffmpeg" in c for c in procs.values()) or name in ("frames", "clip.gif")
    proc.send_signal(sig)
    err = finish(proc)
    assert proc.returncode == code, err
    line = one_line(err)
    assert ("interrupted" if sig == signal.SIGINT else "terminated") in line
    assert_clean_exit(tmp_path, out, procs, proc.pid)


def test_ctrl_c_reaching_the_whole_process_group_with_workers(tmp_path):
    """A terminal's Ctrl-C signals every process in the group: render, its workers, the
    fork server. Still one clean exit."""
    out = previous_output(tmp_path, "clip.mp4")
    proc = spawn(tmp_path, "animate", DREAM, "-o", "clip.mp4", *SMALL, "--workers", "2")
    wait_until(proc, lambda: writing(tmp_path) and len(workers_of(proc.pid)) >= 2,
               "the workers started writing")  # fmt: skip
    procs = descendants(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    err = finish(proc)
    assert proc.returncode == 130, err
    assert "interrupted" in one_line(err)  # no resource tracker warning either
    assert_clean_exit(tmp_path, out, procs, proc.pid)


def test_a_worker_killed_mid_render_is_one_line_not_a_hang(tmp_path):
    out = previous_output(tmp_path, "clip.mp4")
    proc = spawn(tmp_path, "animate", DREAM, "-o", "clip.mp4", *SMALL, "--workers", "2")
    wait_until(proc, lambda: writing(tmp_path) and len(workers_of(proc.pid)) >= 2,
               "the workers started writing")  # fmt: skip
    procs = descendants(proc.pid)
    victim = workers_of(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    err = finish(proc)  # fails the test if render hangs
    assert proc.returncode not in (0, None), err
    line = one_line(err)  # no resource tracker warning about the dead worker either
    assert line.startswith("error: ") and "worker" in line and str(victim) in line, err
    assert_clean_exit(tmp_path, out, procs, proc.pid)


# --------------------------------------------------------------------------- a failing encoder


@pytest.fixture
def fake_ffmpeg(tmp_path, monkeypatch):
    """Point render at a fake ffmpeg script (as IMAGEIO_FFMPEG_EXE would)."""
    import imageio_ffmpeg

    def install(body: str) -> Path:
        exe = tmp_path / "bin" / "ffmpeg"
        exe.parent.mkdir(exist_ok=True)
        exe.write_text("#!/bin/sh\n" + body)
        exe.chmod(0o755)
        monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: str(exe))
        ffmpeg.ffmpeg_exe.cache_clear()
        ffmpeg.encoders.cache_clear()
        return exe

    yield install
    ffmpeg.ffmpeg_exe.cache_clear()
    ffmpeg.encoders.cache_clear()


@pytest.mark.parametrize(
    "script",
    [
        'head -c 60000 >/dev/null\necho "fake-ffmpeg: encoder exploded" >&2\nexit 1\n',
        'echo "fake-ffmpeg: encoder exploded" >&2\nexit 1\n',
        'cat >/dev/null\necho "fake-ffmpeg: encoder exploded at the end" >&2\nexit 1\n',
    ],
    ids=["after-a-little", "at-once", "at-the-end"],
)
def test_an_encoder_that_fails_is_one_line_and_leaves_nothing(tmp_path, fake_ffmpeg, script):
    fake_ffmpeg(script)
    out = previous_output(tmp_path, "clip.mp4")
    result = CliRunner().invoke(
        cli, ["animate", DREAM, "-o", str(out), "--size", "64x36", "--end", "0.5", "-q",
              "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    line = one_line(result.stderr)
    assert line.startswith(f"error: {out}") and "encoder exploded" in line
    assert out.read_bytes() == PREVIOUS
    assert leftovers(tmp_path, {"clip.mp4", "bin", "ffmpeg"}) == []


# --------------------------------------------------------------------------- a full disk


def _no_space(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("frames", "PIL.Image.Image.save"),  # each PNG frame fails to save
        ("clip.mp4", "render.encode._FfmpegWriter._write"),  # the pipe to ffmpeg fails
        ("clip.mp4", "render.encode.FrameWriter.write"),  # the writer's public write fails
        ("clip.gif", "render.formats.gif.GifSink.finish"),  # the last step before the rename
    ],
    ids=["png-folder", "mp4-pipe", "mp4-writer", "gif-finish"],
)
def test_a_full_disk_is_one_line_and_leaves_the_previous_output(
    tmp_path, monkeypatch, name, target
):
    out = previous_output(tmp_path, name)
    monkeypatch.setattr(target, _no_space)
    result = CliRunner().invoke(
        cli, ["animate", DREAM, "-o", str(out), "--size", "64x36", "--end", "0.3", "-q",
              "--workers", "1"],
    )  # fmt: skip
    assert result.exit_code == 1, (result.output, result.exception)
    line = one_line(result.stderr)
    assert "No space left on device" in line and str(out) in line, line
    assert_clean_exit(tmp_path, out, {}, os.getpid())


def test_a_full_disk_while_writing_a_still(tmp_path, monkeypatch):
    out = previous_output(tmp_path, "still.png")
    monkeypatch.setattr("PIL.Image.Image.save", _no_space)
    result = CliRunner().invoke(
        cli, ["still", DREAM, "--at", "50%", "--size", "64x36", "-o", str(out), "-q"]
    )
    assert result.exit_code == 1, (result.output, result.exception)
    assert "No space left on device" in one_line(result.stderr)
    assert out.read_bytes() == PREVIOUS and leftovers(tmp_path, {"still.png"}) == []


# --------------------------------------------------------------------------- resume


REAL_RENDER_FRAMES = pipeline.render_frames


class Counting:
    """Wraps pipeline.render_frames: records every index rendered; optionally raises
    KeyboardInterrupt (like Ctrl-C) after `stop_after` frames were handed over."""

    def __init__(self, monkeypatch, stop_after: int | None = None) -> None:
        self.rendered: list[int] = []
        self.stop_after = stop_after
        real = REAL_RENDER_FRAMES

        def render_frames(seq, indices, workers=1, progress=None, **kw):
            indices = list(indices)
            self.rendered += indices[: self.stop_after] if self.stop_after else indices
            for k, frame in enumerate(real(seq, indices, workers=workers, **kw)):
                if self.stop_after is not None and k == self.stop_after:
                    raise KeyboardInterrupt
                if progress:
                    progress(1)
                yield frame

        monkeypatch.setattr(pipeline, "render_frames", render_frames)


def frames_of(folder: Path) -> dict[str, np.ndarray]:
    return {
        p.name: np.asarray(Image.open(p).convert("RGB")) for p in sorted(folder.glob("frame_*"))
    }


ARGS = ["--size", "48x28", "--start", "10", "--end", "10.5", "--workers", "1", "-q"]  # 15 frames


def test_an_interrupted_folder_render_resumes_without_redoing_finished_frames(
    tmp_path, monkeypatch
):
    folder = tmp_path / "frames"
    first = Counting(monkeypatch, stop_after=6)
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS, "--resume"])
    assert result.exit_code == 130
    line = one_line(result.stderr)
    assert "6 of 15 frames" in line and "--resume" in line
    kept = sorted(p.name for p in folder.iterdir())  # named by source frame, from 300
    assert kept == [".render.json"] + [f"frame_{i:06d}.png" for i in range(300, 306)]
    assert first.rendered == list(range(300, 306))
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.glob("frame_*")}
    time.sleep(0.01)

    second = Counting(monkeypatch)
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS, "--resume"])
    assert result.exit_code == 0, result.output
    assert second.rendered == list(range(306, 315))  # only the missing frames
    assert {p: folder.joinpath(p).stat().st_mtime_ns for p in stamps} == stamps

    third = Counting(monkeypatch)  # once complete, a resume has nothing left to do
    assert CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS, "--resume"]
                              ).exit_code == 0  # fmt: skip
    assert third.rendered == []

    clean = tmp_path / "clean"
    monkeypatch.undo()
    assert CliRunner().invoke(cli, ["animate", DREAM, "-o", str(clean), *ARGS]).exit_code == 0
    resumed, fresh = frames_of(folder), frames_of(clean)
    assert list(resumed) == list(fresh) and len(fresh) == 15
    for name in fresh:
        assert np.array_equal(resumed[name], fresh[name]), name
    manifest = json.loads((folder / ".render.json").read_text())
    assert manifest == json.loads((clean / ".render.json").read_text()) | {
        "record": manifest["record"]
    }
    assert manifest["identity"]["start_frame"] == 300 and manifest["frames"] == 15


def test_resume_refuses_a_folder_from_a_different_render(tmp_path, monkeypatch):
    folder = tmp_path / "frames"
    Counting(monkeypatch, stop_after=3)
    CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS, "--resume"])
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for change, named in (
        (["--seed", "5"], "seed"),
        (["--size", "50x28"], "size"),
        (["--fps", "25"], "fps"),
        (["--start", "10.1"], "start_frame"),
        (["--number-from-zero"], "first_number"),
    ):
        result = CliRunner().invoke(
            cli, ["animate", DREAM, "-o", str(folder), *ARGS, *change, "--resume"]
        )
        assert result.exit_code == 2, result.output
        line = one_line(result.stderr)
        assert "can't resume" in line and named in line, line
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_resume_refuses_frames_without_a_manifest_and_non_folder_outputs(tmp_path):
    folder = previous_output(tmp_path, "frames")
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS, "--resume"])
    assert result.exit_code != 0 and "no .render.json" in one_line(result.stderr)
    assert sorted(p.name for p in folder.iterdir()) == ["frame_000000.png"]
    result = CliRunner().invoke(
        cli, ["animate", DREAM, "-o", str(tmp_path / "x.mp4"), *ARGS, "--resume"]
    )
    assert result.exit_code == 2 and "PNG folder" in one_line(result.stderr)


def test_without_resume_an_interrupted_folder_render_leaves_nothing(tmp_path, monkeypatch):
    folder = previous_output(tmp_path, "frames")
    Counting(monkeypatch, stop_after=4)
    result = CliRunner().invoke(cli, ["animate", DREAM, "-o", str(folder), *ARGS])
    assert result.exit_code == 130
    assert one_line(result.stderr) == "interrupted; nothing was written"
    assert sorted(p.name for p in folder.iterdir()) == ["frame_000000.png"]
    assert leftovers(tmp_path, {"frames", "frame_000000.png"}) == []


def test_a_folder_render_interrupted_by_sigint_resumes(tmp_path):
    """The same, for real: SIGINT to a running process, then `--resume`."""
    args = ["animate", DREAM, "-o", "frames", "--size", "96x54", "--start", "10", "--end",
            "11", "--workers", "2", "--resume", "-q"]  # fmt: skip
    folder = tmp_path / "frames"
    proc = spawn(tmp_path, *args)
    wait_until(proc, lambda: len(list(folder.glob("frame_*.png"))) >= 5, "five frames")
    proc.send_signal(signal.SIGINT)
    err = finish(proc)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    done = {p.name: p.stat().st_mtime_ns for p in folder.glob("frame_*.png")}
    assert 5 <= len(done) < 30
    assert not list(folder.glob(".*.part*"))  # no half-written frame
    resumed = subprocess.run(
        [sys.executable, "-m", "render", *args[:-1]], cwd=tmp_path, capture_output=True,
        timeout=HANG_SECONDS,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert f"{30 - len(done)} frames, {len(done)} kept from before" in resumed.stderr.decode()
    assert {n: folder.joinpath(n).stat().st_mtime_ns for n in done} == done
    assert len(list(folder.glob("frame_*.png"))) == 30


def test_a_second_ctrl_c_during_cleanup_cannot_strand_temporaries(tmp_path, monkeypatch):
    real_abort = encode._FfmpegWriter._abort

    def abort_interrupted(self):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C again, mid-cleanup
        time.sleep(0.05)
        real_abort(self)

    monkeypatch.setattr(encode._FfmpegWriter, "_abort", abort_interrupted)
    out = previous_output(tmp_path, "clip.mp4")
    with pytest.raises(KeyboardInterrupt):  # delivered once the cleanup is done
        with encode.open_writer(out, (64, 36), 10) as writer:
            writer.write(np.zeros((36, 64, 3), np.uint8))
            raise RuntimeError("the render failed")
    assert out.read_bytes() == PREVIOUS
    assert leftovers(tmp_path, {"clip.mp4"}) == []


def _catches(pid: int, sig: int) -> bool:
    """Whether process `pid` has a handler installed for `sig` (SigCgt in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(re.search(r"SigCgt:\s*([0-9a-f]+)", status).group(1), 16)
    return bool(caught >> (sig - 1) & 1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5, 0.9])
def test_a_signal_while_starting_up_is_one_line(tmp_path, sig, delay):
    """Ctrl-C or SIGTERM at any moment of start-up (while the modules import) ends with
    one line and 130/143, or the command finishes normally; never a traceback. The clock
    starts when the program's own code runs (it catches SIGTERM): before that, Python
    itself is starting and nothing of ours can answer."""
    proc = spawn(tmp_path, "check", str(ROOT / "sequences" / "dream.toml"))
    wait_until(proc, lambda: _catches(proc.pid, signal.SIGTERM), "the entry point")
    time.sleep(delay)
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("render did not stop")
    text = err.decode()
    assert "Traceback" not in text, text
    # -sig: the signal landed as the interpreter exited after finishing (handlers are back
    # to the default then); a shell reports that as 128 + sig too.
    assert proc.returncode in (0, 128 + sig, -sig), text
    if proc.returncode == 128 + sig:
        assert len(text.strip().splitlines()) == 1, text


@pytest.mark.parametrize("name", ["clip.mp4", "clip.gif"])
def test_kill_9_leaves_no_ffmpeg_and_the_next_run_cleans_up(tmp_path, name):
    """kill -9 of the render: ffmpeg dies with it instead of running on, and the
    temporaries it left (provably abandoned: nobody holds their lock) are removed by the
    next render of the same output."""
    seq = str(ROOT / "sequences" / "dream.toml")
    args = ["animate", seq, "-o", name, "--size", "96x54", "--start", "40%", "--end", "60%",
            "--workers", "1", "-q"]  # fmt: skip
    proc = spawn(tmp_path, *args)
    in_process = name.endswith(".gif")  # encoded by the render itself: no ffmpeg to wait for
    wait_until(
        proc,
        lambda: (
            writing(tmp_path)
            and (in_process or any(b"ffmpeg" in c for c in descendants(proc.pid).values()))
        ),
        "the output to start",
    )
    procs = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    deadline = time.monotonic() + 10
    while any(b"ffmpeg" in c for c in still_running(procs).values()):
        assert time.monotonic() < deadline, "ffmpeg outlived the render that started it"
        time.sleep(0.05)
    for pid in still_running(procs):  # workers notice their parent is gone by themselves
        os.kill(pid, signal.SIGKILL)
    stale = list(tmp_path.glob(".*.part*"))
    assert stale, "the kill left nothing to clean up: the test did not test anything"
    # a temporary of another output beside it, and one a living render holds, stay
    other = tmp_path / ".another.0123abcd.part.mp4"
    other.write_bytes(b"x")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(tmp_path / f".clip.feedbeef.part{Path(name).suffix}")],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == b"held\n"
        result = subprocess.run(
            [sys.executable, "-m", "render", "still", seq, "--at", "1", "--size", "48x28",
             "-q", "-o", "other.png"], cwd=tmp_path, capture_output=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert all(p.exists() for p in stale)  # another output's name: not its to sweep
        done = subprocess.run(
            [sys.executable, "-m", "render", *args[:-1], "--end", "41%", "-q"],
            cwd=tmp_path, capture_output=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert not any(p.exists() for p in stale)
        assert other.exists()
        assert (tmp_path / f".clip.feedbeef.part{Path(name).suffix}").exists()
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.3, 0.7, 1.1, 1.5])
def test_a_signal_while_workers_start_is_one_line(tmp_path, sig, delay):
    """Ctrl-C (to the whole process group, as a terminal sends it) or SIGTERM while the
    fork server and the workers start: one line, 130/143, no traceback from any process,
    and the previous output untouched."""
    out = tmp_path / "clip.mp4"
    out.write_bytes(PREVIOUS)
    proc = spawn(tmp_path, "animate", str(ROOT / "sequences" / "dream.toml"), "-o", "clip.mp4",
                 "--size", "96x54", "--workers", "2")  # fmt: skip
    wait_until(proc, lambda: _catches(proc.pid, signal.SIGTERM), "the entry point")
    time.sleep(delay)
    if sig == signal.SIGINT:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    text = finish(proc)
    assert "Traceback" not in text and "Error" not in text.replace("error:", ""), text
    assert proc.returncode in (128 + sig, -sig), text
    assert len(text.strip().splitlines()) <= 1, text
    assert out.read_bytes() == PREVIOUS


def test_a_signal_swallowed_by_a_callback_is_kept_quiet_and_raised_again(monkeypatch, capsys):
    """A handler's exception raised inside a weakref callback (as an import lock's was,
    when a SIGTERM landed in one) is swallowed by Python: the render must still stop."""
    import weakref

    from render import signals

    monkeypatch.setattr(sys, "unraisablehook", signals.quiet_when_swallowed)

    class Thing:
        pass

    thing = Thing()
    ref = weakref.ref(thing, lambda _ref: signals.deliver(KeyboardInterrupt("stop")))
    del thing  # the callback raises; Python swallows it
    assert ref() is None
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(KeyboardInterrupt, match="stop"):
        signals.check()
    signals.check()  # raised once: nothing left


@pytest.mark.parametrize(("name", "resumable"), [("frames", True), ("frames", False),
                                                  ("clip.mp4", False)])  # fmt: skip
def test_a_ctrl_c_as_a_temporary_is_created_cannot_strand_it(
    tmp_path, monkeypatch, request, name, resumable
):
    """Ctrl-C the instant a temporary has been made, before the writer has noted it: it
    lands once the writer knows the file, so the cleanup removes it. Another thread is
    running, as in a render, and the kernel may hand the signal to it."""
    idle = threading.Event()
    other = threading.Thread(target=idle.wait, daemon=True)
    other.start()
    request.addfinalizer(idle.set)
    for maker in ("_create_held", "_temp_sibling"):
        real = getattr(encode, maker)

        def interrupted(*args, _real=real, **kwargs):
            made = _real(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGINT)  # raises here unless it is held
            return made

        monkeypatch.setattr(encode, maker, interrupted)
    out = tmp_path / name
    resume = {"resume_frames": 3, "manifest": {"identity": {}}} if resumable else {}
    with pytest.raises(KeyboardInterrupt):
        with encode.open_writer(out, (64, 36), 10, **resume) as writer:
            writer.write(np.zeros((36, 64, 3), np.uint8))
    assert not [p for p in tmp_path.rglob("*.part*")]
