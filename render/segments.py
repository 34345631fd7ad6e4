"""Segmented video: an animation cut into runs of consecutive frames, each encoded on its
own, joined by ffmpeg's concat demuxer without re-encoding.

Every segment is a complete encode that starts on a keyframe and refers to no frame outside
itself (a closed GOP), so segments can be made anywhere -- another process, another machine
(:mod:`render.cluster`) -- in any order. The joined file decodes to the same frames however
its segments were made, provided each is encoded with the same settings: the same preset
and crf through the same writer (:func:`render.encode.open_writer`), and a pinned encoder
thread count, because x264's output depends on it (measured: 1, 2, 4 and the automatic
count gave four different bit streams for the same frames).

A local render asks for the same segmenting with ``render animate --segment SECONDS``; the
result then decodes to the frames of a cluster render of the same sequence.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from render.atomic import (
    make_parents,
    remove as _remove,
    remove_made,
    signals_deferred as _signals_deferred,
    temp_sibling as _temp_sibling,
)
from render.encode import check_metadata as _check_metadata, check_size, format_for, open_writer
from render.errors import RenderError
from render.ffmpeg import metadata_args as _metadata_args, run_ffmpeg as _run_ffmpeg

# About two seconds a segment: long enough that a keyframe every segment costs little
# (measured below in bench/bench_cluster.py), short enough that a cluster has many units.
DEFAULT_SECONDS = 2.0
# Encoder threads for every segment, wherever it is encoded (see the module docstring).
# Two keeps a segment's encoder beside its renderer on a core pair; parallelism across
# segments comes from running many of them at once.
ENCODER_THREADS = 2
VIDEO_FORMATS = ("mp4", "webm")
_MUXERS = {"mp4": ["-movflags", "+faststart", "-f", "mp4"], "webm": ["-f", "webm"]}


def frames_per_segment(fps: float, seconds: float = DEFAULT_SECONDS) -> int:
    """Whole frames in a segment of about `seconds` (at least one)."""
    if not seconds > 0:
        raise RenderError(f"--segment: expected a positive number of seconds, got {seconds:g}")
    return max(1, round(seconds * fps))


def split(items: Sequence[int], size: int) -> list[list[int]]:
    """`items` cut into runs of `size` (the last may be shorter): segment k holds the frames
    at positions k*size ... of the render, counted from its first frame."""
    return [list(items[k : k + size]) for k in range(0, len(items), size)]


@dataclass(frozen=True)
class VideoSettings:
    """How every segment of one video is encoded; travels to cluster workers as data."""

    fmt: str
    size: tuple[int, int]
    fps: float
    preset: str
    crf: int
    codec: str = "h264"  # MP4's (render/formats/mp4.py)

    @property
    def suffix(self) -> str:
        return f".{self.fmt}"


def encode_segment(frames: Iterable[np.ndarray], path: Path, settings: VideoSettings) -> Path:
    """Encode `frames` as one segment file at `path` (atomically); returns `path`."""
    with open_writer(
        path,
        settings.size,
        settings.fps,
        preset=settings.preset,
        crf=settings.crf,
        threads=ENCODER_THREADS,
        options={"codec": settings.codec},
    ) as writer:
        for frame in frames:
            writer.write(frame)
    return path


class SegmentedVideo:
    """An MP4 or WebM made of segments, built in a held temporary folder beside the target
    and joined into place when :func:`open_segmented`'s block ends cleanly.

    Frames can be written one by one (`write`, a local render: a new segment every
    `segment_frames` frames) or whole segments handed in, in any order (`put`, encoded
    elsewhere by :func:`encode_segment`).
    """

    def __init__(
        self,
        path: Path,
        settings: VideoSettings,
        metadata: dict[str, str],
        segment_frames: int,
    ) -> None:
        self.path = path
        self.format = settings.fmt
        self.settings = settings
        self.segment_frames = segment_frames
        self.frames_written = 0
        self._metadata = metadata
        self._segments: dict[int, Path] = {}
        self._open = ExitStack()
        self._writer = None
        self._joined: Path | None = None
        self._folder: Path | None = _temp_sibling(path, "part", make_dir=True)

    def segment_path(self, number: int) -> Path:
        assert self._folder is not None
        return self._folder / f"{number:06d}{self.settings.suffix}"

    def write(self, frame: np.ndarray) -> None:
        """Append one frame; it starts a new segment every `segment_frames` frames."""
        if self._writer is None:
            number = self.frames_written // self.segment_frames
            self._writer = self._open.enter_context(
                open_writer(
                    self.segment_path(number),
                    self.settings.size,
                    self.settings.fps,
                    preset=self.settings.preset,
                    crf=self.settings.crf,
                    threads=ENCODER_THREADS,
                    options={"codec": self.settings.codec},
                )
            )
            self._segments[number] = self.segment_path(number)
        self._writer.write(frame)
        self.frames_written += 1
        if self.frames_written % self.segment_frames == 0:
            self._close_segment()

    def put(self, number: int, data: bytes, frames: int) -> None:
        """Store segment `number` (`frames` frames), encoded elsewhere, as it arrives."""
        path = self.segment_path(number)
        part = path.with_name(f".{path.name}.part")
        with open(part, "wb") as f:
            f.write(data)
        os.replace(part, path)
        self._segments[number] = path
        self.frames_written += frames

    def _close_segment(self) -> None:
        self._writer = None
        self._open.close()  # the segment's writer finishes: its file appears

    def _finish(self) -> None:
        self._close_segment()
        if not self._segments:
            raise RenderError(f"{self.path}: no frames were rendered, nothing written")
        missing = sorted(set(range(max(self._segments) + 1)) - set(self._segments))
        if missing:
            raise RenderError(f"{self.path}: segment {missing[0]} is missing; nothing written")
        assert self._folder is not None
        listing = self._folder / "segments.txt"
        listing.write_text(
            "".join(f"file '{self._segments[k].name}'\n" for k in sorted(self._segments)),
            encoding="utf-8",
        )
        self._joined = _temp_sibling(self.path, "part", self.settings.suffix)
        _run_ffmpeg(
            [
                "-f", "concat", "-safe", "0", "-i", str(listing),
                "-map", "0:v", "-c", "copy", *_metadata_args(self._metadata),
                *_MUXERS[self.format], str(self._joined),
            ],
            self.path, f"the joined {self.format.upper()}",
        )  # fmt: skip
        os.replace(self._joined, self.path)
        self._joined = None
        _remove(self._folder)
        self._folder = None

    def _abort(self) -> None:
        try:
            self._open.close()  # a segment being written: let its writer clean up
        except BaseException:
            pass
        finally:
            self._writer = None
            _remove(self._joined)
            _remove(self._folder)
            self._joined = self._folder = None


@contextmanager
def open_segmented(
    path: str | os.PathLike[str],
    size: tuple[int, int],
    fps: float,
    *,
    metadata: dict[str, str] | None = None,
    preset: str = "faster",
    crf: int = 20,
    codec: str = "h264",
    segment_frames: int,
) -> Iterator[SegmentedVideo]:
    """Like :func:`render.encode.open_writer` for MP4/WebM, encoded in segments of
    `segment_frames` frames; the file appears at `path` only if the block ends cleanly."""
    path = Path(path)
    fmt = format_for(path)
    if fmt not in VIDEO_FORMATS:
        raise RenderError(f"{path}: only MP4 and WebM are encoded in segments, not {fmt.upper()}")
    width, height = (int(v) for v in size)
    check_size(fmt, width, height)
    settings = VideoSettings(fmt, (width, height), float(fps), str(preset), int(crf), codec)
    meta = _check_metadata(metadata)
    made: list[Path] = []
    try:
        made = make_parents(path)
        video = SegmentedVideo(path, settings, meta, segment_frames)
    except BaseException as exc:
        remove_made(made)
        if isinstance(exc, OSError):
            raise RenderError(f"{path}: can't write output: {exc.strerror or exc}") from exc
        raise
    try:
        yield video
        video._finish()
    except BaseException as exc:
        with _signals_deferred():
            video._abort()
            if not path.exists():
                remove_made(made)
        if isinstance(exc, OSError):
            raise RenderError(f"{path}: can't write output: {exc.strerror or exc}") from exc
        raise


def encode_segment_bytes(frames: Iterable[np.ndarray], settings: VideoSettings) -> bytes:
    """One segment encoded in a private temporary folder and returned as bytes (what a
    cluster worker sends back: workers need no shared file system)."""
    with private_folder() as folder:
        return encode_segment(frames, folder / f"segment{settings.suffix}", settings).read_bytes()


# A worker's temporaries: "<tmp>/neon-render-segment-<random>/", locked (flock) while in use.
_PRIVATE_PREFIX = "neon-render-segment-"
# A folder nobody holds is only taken for abandoned (its process was killed) once it is this
# old: between its creation and its lock, another worker must not take it for abandoned.
_ABANDONED_AFTER_SECONDS = 60.0


@contextmanager
def private_folder() -> Iterator[Path]:
    """A new folder in the system's temporary directory, held (flock) while in use and
    removed after; folders that killed workers left behind are removed first."""
    root = Path(tempfile.gettempdir())
    _sweep_private(root)
    folder = Path(tempfile.mkdtemp(prefix=_PRIVATE_PREFIX, dir=root))
    fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)


def _sweep_private(root: Path) -> None:
    now = time.time()
    for folder in root.glob(f"{_PRIVATE_PREFIX}*"):
        try:
            if now - folder.lstat().st_mtime < _ABANDONED_AFTER_SECONDS or folder.is_symlink():
                continue
            fd = os.open(folder, os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECTORY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # a living worker holds it
        else:
            shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)
