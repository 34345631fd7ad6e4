"""ffmpeg, the bundled encoder: finding it, running it, and the arguments every format
shares (raw RGB input, BT.709 tagging, metadata, exact frame rates).

The binary comes with imageio-ffmpeg and is driven through a plain ``subprocess.Popen``
pipe rather than ``imageio_ffmpeg.write_frames`` (fewer copies, and we control the
command). Each process lives in its own session and dies with its parent.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from render.errors import RenderError
from render.signals import held, unblock

FFMPEG_NOISE = re.compile(
    r"Task finished with error code|Terminating thread with return code|"
    r"Error sending frames to consumers|Nothing was written into output file|"
    r"Conversion failed|Could not open encoder before EOF|Error while filtering|"
    r"Error while opening encoder|Error closing file|^Exiting"
)


def fps_fraction(fps: float | Fraction) -> Fraction:
    """Exact rational for ffmpeg's -r, so timestamps don't drift over long renders."""
    if isinstance(fps, Fraction):
        return fps
    exact = Fraction(fps)
    if exact.denominator == 1:
        return exact
    # 29.97, 23.976, 59.94 ... mean the NTSC rates n*1000/1001; Fraction(29.97) would give
    # 2997/100, which differs by 0.1 frame per hour but breaks the standard timebase.
    ntsc = Fraction(round(fps * 1.001) * 1000, 1001)
    if ntsc > 0 and abs(ntsc - exact) < Fraction(1, 200):
        return ntsc
    # Below 1 fps the denominator grows with 1/fps: limited to 1001, 0.001 fps became 0,
    # which ffmpeg refuses as a rate (after every frame was rendered).
    return exact.limit_denominator(max(1001, math.ceil(1001 / fps)))


def fps_arg(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def die_with_parent() -> None:
    """In a child before exec: be killed when the render that started us dies, even by
    kill -9 (Linux's PR_SET_PDEATHSIG), so no ffmpeg is left running unattended; and hear
    the signals its parent held while starting it."""
    unblock()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return  # not Linux: the parent's own cleanup still kills it on every other exit


@functools.cache
def ffmpeg_exe() -> str:
    """The ffmpeg binary: imageio-ffmpeg's, or the one IMAGEIO_FFMPEG_EXE names (checked
    here, so that a missing one is named as ffmpeg rather than as a bare "No such file")."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # ImportError, or RuntimeError when no binary is found
        raise RenderError(f"ffmpeg is not available: {exc}") from exc
    found = shutil.which(exe)
    if found is None:
        given = "IMAGEIO_FFMPEG_EXE" if os.environ.get("IMAGEIO_FFMPEG_EXE") else "imageio-ffmpeg"
        raise RenderError(
            f"ffmpeg is not available: {exe} is not an executable program (from {given})"
        )
    return found


@functools.cache
def encoders() -> frozenset[str]:
    """Names from ``ffmpeg -encoders`` (lines like ' V....D libx264   libx264 H.264 ...')."""
    exe = ffmpeg_exe()
    try:
        result = subprocess.run(
            [exe, "-hide_banner", "-encoders"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise RenderError(f"ffmpeg is not available: can't run {exe}: {exc.strerror}") from exc
    names = set()
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[1] != "=":
            names.add(parts[1])
    return frozenset(names)


def summarize_stderr(text: str, limit: int = 3) -> str:
    """The first few distinct, non-boilerplate lines of ffmpeg's stderr, as one line.

    With -loglevel error the root cause comes first (e.g. "x264 [error]: invalid preset
    'nonsense'") and the tail is generic fallout ("Conversion failed!"), so prefer the start.
    """
    lines: list[str] = []
    for raw in text.splitlines():
        # drop "[libx264 @ 0x55d...] " / "[vost#0:0/libx264 @ 0x...] [enc:...] " prefixes
        line = re.sub(r"^(\[[^\]]*\]\s*)+", "", raw).strip()
        if line and not FFMPEG_NOISE.search(line) and line not in lines:
            lines.append(line)
    return "; ".join(lines[:limit])


class Ffmpeg:
    """One ffmpeg process. stderr goes to an anonymous temp file, not a pipe: nobody reads
    it while frames are written, and a full stderr pipe would deadlock both sides."""

    def __init__(self, args: list[str], target: Path, what: str, *, feed: bool) -> None:
        self.target = target
        self.what = what
        self._stderr = tempfile.TemporaryFile()
        cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
        try:
            # A signal arriving inside the start would land in Python's after-fork hooks
            # (preexec_fn runs them) and print a traceback: held for that instant.
            with held():
                self.proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=self._stderr,
                    # Own session: Ctrl-C reaches only Python, which then kills ffmpeg
                    # itself; otherwise ffmpeg may die first and a KeyboardInterrupt turns
                    # into a confusing "broken pipe" RenderError.
                    start_new_session=True,
                    preexec_fn=die_with_parent,
                )
        except OSError as exc:
            self._stderr.close()
            raise RenderError(f"{target}: could not start ffmpeg: {exc}") from exc

    def write(self, data: memoryview) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:
            # ffmpeg exited early (bad option, encoder error, disk full); its stderr says why
            self.proc.wait()
            raise self._error() from None

    def finish(self) -> None:
        """Close the input (if any), wait, and raise RenderError if ffmpeg failed."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass  # reported below through the exit code
        if self.proc.wait() != 0:
            raise self._error()
        self._stderr.close()

    def kill(self) -> None:
        """Stop ffmpeg now and reap it; safe to call more than once."""
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        except OSError:
            pass  # BrokenPipeError flushing a buffer ffmpeg will never read
        self.proc.wait()
        self._stderr.close()

    def _error(self) -> RenderError:
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        detail = summarize_stderr(text) or f"ffmpeg exited with code {self.proc.returncode}"
        return RenderError(f"{self.target}: ffmpeg could not write {self.what}: {detail}")


def run_ffmpeg(args: list[str], target: Path, what: str) -> None:
    """Run a non-streaming ffmpeg step to completion (killed if we are interrupted)."""
    ff = Ffmpeg(args, target, what, feed=False)
    try:
        ff.finish()
    except BaseException:
        ff.kill()
        raise


def raw_input_args(width: int, height: int, fps: Fraction, alpha: bool = False) -> list[str]:
    """Raw frames on stdin: rgb24, or rgba (straight alpha, as render.alpha makes it)."""
    return [
        "-f", "rawvideo", "-pix_fmt", "rgba" if alpha else "rgb24", "-s", f"{width}x{height}",
        "-r", fps_arg(fps), "-i", "-",
    ]  # fmt: skip


# Frames are sRGB; say so, and convert with the BT.709 matrix the tags promise. Untagged,
# ffmpeg converts with BT.601 and players guess (often 709 for video), shifting saturated
# neon hues. setparams labels the RGB frames' primaries/transfer; -colorspace picks the
# YUV matrix for the conversion and the bitstream tag. This is no scaling: size is untouched.
YUV420_BT709 = [
    "-vf", "setparams=color_primaries=bt709:color_trc=bt709",
    "-colorspace", "bt709", "-color_range", "tv", "-pix_fmt", "yuv420p",
]  # fmt: skip


def metadata_args(metadata: Mapping[str, str]) -> list[str]:
    args: list[str] = []
    for key, value in metadata.items():
        args += ["-metadata", f"{key}={value}"]
    return args


def webm_codec_args(alpha: bool = False) -> list[str]:
    names = encoders()
    if alpha and "libvpx-vp9" not in names:
        raise RenderError("this ffmpeg has no VP9 encoder, which transparent WebM needs")
    if "libvpx-vp9" in names:
        # Constant quality (crf with -b:v 0); row-mt + cpu-used 4 is ~realtime-ish at
        # "good" quality; plain VP9 defaults are very slow.
        return [
            "-c:v", "libvpx-vp9", "-crf", "32", "-b:v", "0", "-row-mt", "1",
            "-deadline", "good", "-cpu-used", "4",
        ]  # fmt: skip
    if "libvpx" in names:
        # VP8's crf mode needs -b:v as a ceiling.
        return [
            "-c:v", "libvpx", "-crf", "10", "-b:v", "10M",
            "-deadline", "good", "-cpu-used", "4",
        ]  # fmt: skip
    raise RenderError("this ffmpeg has no VP9 or VP8 encoder for WebM; write .mp4 instead")
