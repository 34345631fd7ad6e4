"""How long the renderer takes to accept or refuse hostile input files (#14).

    .venv/bin/python bench/bench_parse.py [--timeout 120] [--case NAME ...]

Writes each case's file to a temporary folder, runs the command a user would
(`render check FILE`, `render reproduce FILE`) as its own process, and prints its wall
and CPU time, the CPU time against a generous bound (on a shared machine the wall time
says more about the neighbours), its peak memory and the first characters of what it said.
Every case used to take from 9 s to several minutes (the line lookup was quadratic in the
number of tables, a key was searched with a regular expression built from it, a PDF
string was re-scanned from every `/Subject`); each should now end within a second or two
of the interpreter's start-up, which the first case measures, and say so in one line of
at most 400 characters (a 1 MB key used to be quoted whole). Prints PASS/FAIL per case;
asserts nothing (timing belongs in benchmarks, not tests). The machine may be shared: the
load average is printed too.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = '[sequence]\nduration = 1\nsize = "64x36"\n'
MAX_SAID = 400  # characters: an error quotes what is needed to find the mistake, no more


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # writes the input into a folder; returns the arguments
    bound: float  # CPU seconds, start-up included
    why: str


def _write(folder: Path, name: str, data: str | bytes) -> str:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data)
    else:
        path.write_bytes(data)
    return str(path)


def _tracks(n: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        body = "".join(f"[tracks.t{i}]\nkeys = [[0, 0.5]]\n" for i in range(n))
        return ["check", _write(folder, f"tracks{n}.toml", HEAD + body)]

    return make


def _tracks_then_error(n: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        body = "".join(f"[tracks.t{i}]\nkeys = [[0, 0.5]]\n" for i in range(n))
        body += "[tracks.x]\nbad = 1\n"
        return ["check", _write(folder, f"tracks{n}bad.toml", HEAD + body)]

    return make


def _dotted(folder: Path) -> list[str]:
    return ["check", _write(folder, "dotted.toml", HEAD + "[" + ".".join(["a"] * 50_000) + "]\n")]


def _unknown_key(size: int) -> Callable[[Path], list[str]]:
    def make(folder: Path) -> list[str]:
        return ["check", _write(folder, f"key{size}.toml", HEAD + "k" * size + " = 1\n")]

    return make


def _track_name(folder: Path) -> list[str]:
    name = "n" * 1_000_000
    text = HEAD + f'[tracks.{name}]\nkeys = [[0, 1]]\n[[layers]]\ntype = "core"\nsize = "{name}x"\n'
    return ["check", _write(folder, "name.toml", text)]


def _long_error_line(folder: Path) -> list[str]:
    return ["check", _write(folder, "line.toml", HEAD + 'title = "' + "x" * 1_500_000 + "\n")]


def _subject_pdf(folder: Path) -> list[str]:
    return ["reproduce", _write(folder, "subject.pdf", b"%PDF-1.4\n" + b"/Subject(" * 8000)]


def _dev_zero(_folder: Path) -> list[str]:
    return ["check", "/dev/zero"]


def _startup(folder: Path) -> list[str]:
    return ["check", _write(folder, "tiny.toml", HEAD)]


CASES = [
    Case("start-up", _startup, 3.0, "a valid three-line sequence: the interpreter and imports"),
    Case("tracks-7.5k", _tracks(7_500), 4.0, "7,500 track tables (246 KB): the most that is read"),
    Case("tracks-20k", _tracks(20_000), 4.0, "20,000 one-keyframe track tables (669 KB)"),
    Case("tracks-40k", _tracks(40_000), 6.0, "40,000 of them (1.3 MB)"),
    Case("tracks-40k-bad", _tracks_then_error(40_000), 6.0, "the same with an unknown key last"),
    Case("dotted-header", _dotted, 3.0, "a header of 50,000 dotted parts"),
    Case("key-1MB", _unknown_key(1_000_000), 3.0, "an unknown key of 1 MB"),
    Case("key-10MB", _unknown_key(10_000_000), 3.0, "an unknown key of 10 MB (over the limit)"),
    Case("track-name-1MB", _track_name, 3.0, "a 1 MB track name, and a layer naming it wrongly"),
    Case("error-line-1.5MB", _long_error_line, 3.0, "an unterminated 1.5 MB string"),
    Case("pdf-subject", _subject_pdf, 3.0, "reproduce: 72 KB of repeated `/Subject(`"),
    Case("dev-zero", _dev_zero, 3.0, "check /dev/zero"),
]


def run(case: Case, folder: Path, timeout: float) -> tuple[float, float, int, int | None, str]:
    """(wall seconds, CPU seconds, peak RSS in KiB, exit status or None on timeout, first
    line of stderr)."""
    args = case.make(folder)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    timed_out = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "render", *args],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        # a bounded address space: a regression that reads /dev/zero fails, not the machine
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)),
    )  # fmt: skip

    def kill() -> None:
        timed_out.set()
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.stderr.close()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak memory
    seconds = time.perf_counter() - start
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = err.decode("utf-8", "replace").strip().splitlines()
    said = (text[0] if text else "") + (f"  [{len(text)} lines]" if len(text) > 1 else "")
    cpu = usage.ru_utime + usage.ru_stime
    code = None if timed_out.is_set() else proc.returncode
    return seconds, cpu, usage.ru_maxrss, code, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=120.0, help="give up on a case after")
    parser.add_argument("--case", action="append", help="run only these cases (by name)")
    opts = parser.parse_args()
    cases = [c for c in CASES if not opts.case or c.name in opts.case]
    print(f"load average at the start: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    columns = f"{'case':<18} {'wall s':>7} {'CPU s':>6} {'bound':>6} {'peak MiB':>9}"
    print(f"{columns}  exit  result  said")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench_parse.") as tmp:
        for case in cases:
            folder = Path(tmp) / case.name
            folder.mkdir()
            seconds, cpu, peak, code, said = run(case, folder, opts.timeout)
            ok = (
                code is not None
                and cpu <= case.bound
                and "Traceback" not in said
                and len(said) <= MAX_SAID
            )
            failed += not ok
            shown = f"{seconds:7.2f}" if code is not None else f">{opts.timeout:6.0f}"
            peak_text = f"{peak / 1024:9.0f}"
            print(
                f"{case.name:<18} {shown} {cpu:6.2f} {case.bound:6.1f} {peak_text}  "
                f"{code if code is not None else '-':>4}  {'PASS' if ok else 'FAIL':<6}  "
                f"{said[:90]}"
            )
            print(f"{'':<18} ({case.why}; said {len(said)} characters)")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{len(cases) - failed} of {len(cases)} cases within their bounds")


if __name__ == "__main__":
    main()
