"""Stream rendered frames into any registered output format (render/formats: MP4, WebM,
GIF) or a PNG folder, atomically.

Frames arrive one at a time as uint8 RGB arrays of shape (height, width, 3) and go straight
into an ffmpeg pipe (or straight to disk for PNG), so memory stays flat however long the
render is.

Every output is built under a hidden temporary name beside the target (same directory, so
the final ``os.replace`` is an atomic rename on the same filesystem) and only moved into
place when the writer closes cleanly. On any exception -- a render bug, Ctrl-C, a failing
encoder -- the temporaries are removed, ffmpeg is killed, the exception propagates and
whatever was at the output path before is left untouched.

ffmpeg is the binary bundled with imageio-ffmpeg, driven through a plain ``subprocess.Popen``
pipe rather than ``imageio_ffmpeg.write_frames`` (fewer copies, and we control the command).
"""

from __future__ import annotations

import inspect
import io
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from render import formats
from render.atomic import (
    TOKEN as _TOKEN,
    create_held as _create_held,
    is_abandoned as _is_abandoned,
    make_parents,
    release_gone as _release_gone,
    remove as _remove,
    remove_made,
    signals_deferred as _signals_deferred,
    temp_sibling as _temp_sibling,
)
from render.errors import InputError, RenderError
from render.ffmpeg import (
    Ffmpeg as _Ffmpeg,
    fps_fraction as _fps_fraction,
    raw_input_args as _raw_input_args,
)
from render.tomlfile import MAX_INPUT_BYTES, read_input

FORMATS = tuple(formats.FORMATS)  # ("mp4", "gif", "webm", "mov", ...): see render/formats

_FRAME_NAME = "frame_{:06d}.png"
_FRAME_RE = re.compile(r"frame_\d+\.png")
# A PNG folder's record of the render that made it: provenance, and what --resume compares.
MANIFEST = ".render.json"
# Our own temporaries inside a folder (a frame being written by a resumable render).
_OWN_TEMP_RE = re.compile(rf"\.(frame_\d+|render)\.{_TOKEN}\.part(\.png|\.json)?")
# A PNG's first 8 bytes, and its last 12 (an empty IEND chunk): a frame without both was
# cut short (a full disk, a copy interrupted) and is rendered again by --resume.
_PNG_HEAD = b"\x89PNG\r\n\x1a\n"
_PNG_TAIL = b"\x00\x00\x00\x00IEND\xaeB`\x82"

# PNG sequences: zlib level 3 vs Pillow's default 6 on a 1080p neon frame measured 42 ms /
# 206 KiB vs 86 ms / 154 KiB; a frame dump is written once per frame, so favour speed.
_SEQUENCE_PNG_LEVEL = 3

# ffmpeg's error output ends with generic follow-on lines; these say nothing the first
# error didn't, so they are dropped when building the one-line RenderError.


# --------------------------------------------------------------------------- format checks


def format_for(path: str | os.PathLike[str]) -> str:
    """Output format for *path*: by suffix, or "png" (numbered sequence) for a folder --
    one that exists, or a name without a suffix or (given as text) ending in a slash. A
    folder whose suffix names a file format (``clip.mp4/``) is refused, not guessed at."""
    p = Path(path)
    slash = isinstance(path, str) and path.endswith(("/", os.sep))
    suffix = p.suffix
    fmt = formats.BY_SUFFIX.get(suffix.lower()) if suffix else None
    if fmt is not None and fmt.name != "png" and (slash or p.is_dir()):
        how = "ends with /, a folder," if slash else "is a folder,"
        raise InputError(
            f"{path}: {how} but {suffix} is written as a file; name a file, or a folder "
            "without a suffix for PNG frames"
        )
    if slash or p.is_dir() or not suffix:
        return "png"
    if fmt is None:
        raise InputError(
            f'{path}: unknown output format "{suffix}"; use {formats.suffix_list()} or a folder'
        )
    return fmt.name


def check_size(fmt: str, width: int, height: int) -> None:
    """Refuse sizes the format can't hold; frames are never rescaled to fit."""
    spec = formats.FORMATS.get(fmt)
    if spec is None:
        raise ValueError(f"unknown format {fmt!r}; expected one of {FORMATS}")
    if width < 1 or height < 1:
        raise InputError(f"output size must be positive; got {width}x{height}")
    if spec.even_size and (width % 2 or height % 2):
        # yuv420p stores chroma at half resolution in both directions, so x264/libvpx
        # reject odd dimensions; padding or scaling would change the picture.
        even = f"{width - width % 2 or 2}x{height - height % 2 or 2}"
        raise InputError(
            f"{spec.label} needs an even width and height (yuv420p); "
            f"got {width}x{height}; try {even}"
        )
    if spec.max_side is not None and max(width, height) > spec.max_side:
        raise InputError(f"{spec.label} can be at most {spec.max_side} pixels wide or high")


def check_alpha(fmt: str, where: str = "") -> None:
    """Refuse `--transparent` for a format that can't hold an alpha channel (InputError,
    exit status 2), before anything is rendered. GIF could hold one bit of it, but that
    would cut every glow to a hard edge (and its transparent index already means "as
    before" in our frames), so it is refused with MP4."""
    spec = formats.FORMATS[fmt]
    if not spec.alpha:
        at = f" ({where})" if where else ""
        why = (
            "has only on/off transparency, which would cut the glow to hard edges"
            if fmt == "gif"
            else "can't hold an alpha channel"
        )
        raise InputError(
            f"--transparent: {spec.label}{at} {why}; write "
            f"{formats.alpha_suffixes()} or a PNG folder"
        )


def _check_fps(fmt: str, fps: float | Fraction) -> Fraction:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise RenderError(f"frame rate must be a positive number; got {fps!r}")
    spec = formats.FORMATS.get(fmt)
    if spec is not None and spec.max_fps is not None and fps > spec.max_fps:
        raise RenderError(
            f"{spec.label} can't play faster than {spec.max_fps:g} fps ({spec.fps_hint}); "
            f"got {float(fps):g} fps"
        )
    return _fps_fraction(fps if isinstance(fps, Fraction) else value)


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Metadata keys and values every container (and PNG tEXt) can hold, as strings."""
    out: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        # PNG keywords are 1-79 Latin-1 characters; "=" would split ffmpeg's key=value.
        if not isinstance(key, str) or not 1 <= len(key) <= 79 or "=" in key or "\0" in key:
            raise RenderError(f"metadata key {key!r} must be 1-79 characters without '='")
        try:
            key.encode("latin-1")
        except UnicodeEncodeError:
            raise RenderError(f"metadata key {key!r} must be Latin-1 text") from None
        value = str(value)
        if "\0" in value:
            raise RenderError(f"metadata value for {key!r} contains a NUL character")
        out[key] = value
    return out


# --------------------------------------------------------------------------- ffmpeg


# --------------------------------------------------------------------------- writers


class FrameWriter:
    """Receives frames for one output; created by :func:`open_writer`, never directly."""

    def __init__(self, path: Path, fmt: str, width: int, height: int, fps: Fraction) -> None:
        self.path = path
        self.format = fmt
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_written = 0
        self.channels = 3  # 4: straight RGBA frames (open_writer's alpha)
        self._closed = False

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 RGB frame of shape (height, width, 3), or RGBA (height, width,
        4) for a writer opened with alpha."""
        if self._closed:
            raise ValueError(f"{self.path}: writer is closed")
        arr = np.asarray(frame)
        shape = (self.height, self.width, self.channels)
        if arr.dtype != np.uint8 or arr.shape != shape:
            raise ValueError(f"frame must be uint8 of shape {shape}; got {arr.dtype} {arr.shape}")
        self._put(np.ascontiguousarray(arr))

    def write_encoded(self, png: bytes) -> None:
        """Append one frame already encoded by :func:`sequence_png` (PNG folders only)."""
        if self._closed or self.format != "png":
            raise ValueError(f"{self.path}: only an open PNG folder takes encoded frames")
        self._put(bytes(png))

    def _put(self, frame: np.ndarray | bytes) -> None:
        try:
            self._write(frame)
        except OSError as exc:  # our own I/O: a full disk, a vanished folder
            raise RenderError(f"{self.path}: can't write output: {exc.strerror or exc}") from exc
        self.frames_written += 1

    def _write(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Finalize and move into place. Only called if the with-block succeeded."""
        raise NotImplementedError

    def _abort(self) -> None:
        """Kill/delete everything temporary. Must never raise."""
        raise NotImplementedError

    def _require_frames(self) -> None:
        if self.frames_written == 0:
            raise RenderError(f"{self.path}: no frames were rendered, nothing written")


class _PipedWriter(FrameWriter):
    """Frames piped to an ffmpeg process that writes temporaries beside the output; one
    of them becomes the output when the frames are in, and all go if the render fails."""

    def __init__(self, path: Path, fmt: str, width: int, height: int, fps: Fraction) -> None:
        super().__init__(path, fmt, width, height, fps)
        self._temps: list[Path] = []
        self._ffmpeg: _Ffmpeg | None = None

    def _temp(self, suffix: str) -> Path:
        with _signals_deferred():  # a Ctrl-C lands once it is listed, so _abort removes it
            tmp = _temp_sibling(self.path, "part", suffix)
            self._temps.append(tmp)
        return tmp

    def _write(self, frame: np.ndarray) -> None:
        assert self._ffmpeg is not None
        self._ffmpeg.write(frame.data)

    def _put_in_place(self, final: Path) -> None:
        os.replace(final, self.path)
        self._closed = True
        for tmp in self._temps:
            if tmp != final:
                _remove(tmp)

    def _abort(self) -> None:
        self._closed = True
        if self._ffmpeg is not None:
            try:
                self._ffmpeg.kill()
            except BaseException:
                pass  # cleanup must not mask the exception that got us here
        for tmp in self._temps:
            _remove(tmp)


class _FfmpegWriter(_PipedWriter):
    """An ffmpeg-encoded format (render/formats): one ffmpeg process encodes the piped
    frames into a temporary beside the output, and a format with an `after` step makes
    the final file from that intermediate when the frames are in."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        width: int,
        height: int,
        fps: Fraction,
        metadata: dict[str, str],
        preset: str,
        crf: int,
        threads: int | None = None,
        options: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(path, fmt, width, height, fps)
        options = options or {}
        self._spec = formats.FORMATS[fmt]
        self._metadata = metadata
        try:
            self._tmp = self._temp(path.suffix)
            inp = _raw_input_args(width, height, fps, bool(options.get("alpha")))
            if threads is not None and self._spec.pinned_threads:
                inp += ["-threads", str(int(threads))]  # after -i: the encoder's, not input's
            encode = self._spec.encode
            assert encode is not None, f"{fmt} is not an ffmpeg format"
            dest = self._tmp
            if self._spec.after is not None:
                self._stage = dest = self._temp(self._spec.stage_suffix)
            takes_options = "options" in inspect.signature(encode).parameters
            extra = (options,) if takes_options else ()  # a format without options of its own
            args = encode(inp, metadata, preset, crf, dest, *extra)
            what = f"{self._spec.label} frames" if self._spec.after else self._spec.label
            self._ffmpeg = _Ffmpeg(args, path, what, feed=True)
        except BaseException:
            self._abort()
            raise

    def _finish(self) -> None:
        assert self._ffmpeg is not None
        self._require_frames()
        self._ffmpeg.finish()
        final = self._tmp
        if self._spec.after is not None:
            final = self._spec.after(self._stage, self._tmp, self.path, self._temp, self._metadata)
        self._put_in_place(final)


class _SinkWriter(FrameWriter):
    """A format that encodes frames itself (render/formats: GIF) into a temporary beside
    the output, renamed into place when the frames are in."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        width: int,
        height: int,
        fps: Fraction,
        metadata: dict[str, str],
        options: Mapping[str, object],
    ) -> None:
        super().__init__(path, fmt, width, height, fps)
        spec = formats.FORMATS[fmt]
        assert spec.sink is not None, f"{fmt} does not encode frames itself"
        self._tmp: Path | None = None
        self._sink: formats.Sink | None = None
        try:
            with _signals_deferred():  # a Ctrl-C lands once it is noted, so _abort removes it
                self._tmp = _temp_sibling(path, "part", path.suffix)
            self._sink = spec.sink(self._tmp, width, height, fps, metadata, options)
        except BaseException:
            self._abort()
            raise

    def _write(self, frame: np.ndarray) -> None:
        assert self._sink is not None
        self._sink.write(frame)

    def _finish(self) -> None:
        assert self._sink is not None and self._tmp is not None
        self._require_frames()
        self._sink.finish()
        os.replace(self._tmp, self.path)
        self._tmp = None
        self._closed = True

    def _abort(self) -> None:
        self._closed = True
        if self._sink is not None:
            try:
                self._sink.abort()
            except BaseException:
                pass  # cleanup must not mask the exception that got us here
        _remove(self._tmp)
        self._tmp = None


class _BudgetWriter(_PipedWriter):
    """An output that must fit `max_bytes` (render.budget): frames are staged losslessly
    beside the output; when they are all in, the format is fitted from the stage. What it
    gave up to fit is left in `note`."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        width: int,
        height: int,
        fps: Fraction,
        metadata: dict[str, str],
        preset: str,
        options: Mapping[str, object],
        max_bytes: int,
    ) -> None:
        from render import budget

        super().__init__(path, fmt, width, height, fps)
        self.note = ""
        self._budget = budget
        self._metadata = metadata
        self._preset = preset
        self._codec = str(options.get("codec") or "h264")
        self._max_bytes = max_bytes
        try:
            self._stage = self._temp(".mkv")
            self._out = self._temp(path.suffix)
            args = [
                *_raw_input_args(width, height, fps), *budget.lossless_stage_args(),
                "-f", "matroska", str(self._stage),
            ]  # fmt: skip
            self._ffmpeg = _Ffmpeg(args, path, "the staged frames", feed=True)
        except BaseException:
            self._abort()
            raise

    def _finish(self) -> None:
        assert self._ffmpeg is not None
        self._require_frames()
        self._ffmpeg.finish()
        if self.format == "gif":
            self.note = self._budget.fit_gif(
                self._stage, self._out, self.path, width=self.width, height=self.height,
                fps=self.fps, max_bytes=self._max_bytes, metadata=self._metadata,
            )  # fmt: skip
        else:
            self.note = self._budget.fit_video(
                self._stage, self._out, self.path, fmt=self.format, codec=self._codec,
                preset=self._preset, frames=self.frames_written, fps=self.fps,
                max_bytes=self._max_bytes, metadata=self._metadata,
            )  # fmt: skip
        self._put_in_place(self._out)


class _PngSequenceWriter(FrameWriter):
    """Numbered PNGs in a temp folder beside the target, swapped in on success."""

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: Fraction,
        metadata: dict[str, str],
        manifest: Mapping | None = None,
        first_number: int = 0,
    ) -> None:
        super().__init__(path, "png", width, height, fps)
        self.first_number = first_number
        _check_replaceable_folder(path)  # fail before rendering, not after
        self._pnginfo = _pnginfo(metadata)
        self._tmpdir: Path | None = None
        try:
            with _signals_deferred():  # a Ctrl-C lands once it is noted, so _abort removes it
                self._tmpdir = _temp_sibling(path, "part", make_dir=True)
            if manifest is not None:
                _write_manifest(self._tmpdir, manifest)
        except BaseException:
            self._abort()
            raise

    def _write(self, frame: np.ndarray) -> None:
        assert self._tmpdir is not None
        name = self._tmpdir / _FRAME_NAME.format(self.first_number + self.frames_written)
        try:
            _save_sequence_png(frame, name, self._pnginfo)
        except OSError as exc:
            raise RenderError(
                f"{self.path}: could not write {name.name}: {exc.strerror or exc}"
            ) from exc

    def _finish(self) -> None:
        assert self._tmpdir is not None
        self._require_frames()
        target = self.path
        if not target.exists():
            os.replace(self._tmpdir, target)
        else:
            _check_replaceable_folder(target)  # again: it may have changed during the render
            # rename() won't replace a non-empty folder, so swap in two steps and put the
            # old one back if the second step fails. Ctrl-C and SIGTERM wait for the whole
            # swap, removal of the old frames included: either the new folder is in place
            # and the old one gone, or the old one is back whole.
            old = target.with_name(f".{target.name}.{secrets.token_hex(4)}.old")
            try:
                with _signals_deferred():
                    os.replace(target, old)
                    try:
                        os.replace(self._tmpdir, target)
                    except BaseException:
                        os.replace(old, target)
                        raise
                    self._tmpdir = None
                    try:
                        shutil.rmtree(old)
                    except OSError as exc:
                        raise RenderError(
                            f"{target}: written, but the previous frames moved to {old} could"
                            f" not be removed ({exc.strerror or exc}); delete that folder by hand"
                        ) from exc
            except KeyboardInterrupt as exc:  # delivered once the swap was complete
                if self._tmpdir is None:
                    self._closed = True
                    raise type(exc)(
                        f"interrupted as the render finished; {target} is complete"
                    ) from None
                raise
        self._tmpdir = None
        self._closed = True

    def _abort(self) -> None:
        self._closed = True
        _remove(self._tmpdir)
        self._tmpdir = None


def _check_replaceable_folder(path: Path) -> None:
    """A PNG target may be new, or a folder of nothing but frame_*.png from a past render
    (with its manifest, and temporaries a killed render could not remove)."""
    if not path.exists():
        return
    if not path.is_dir():
        raise RenderError(f"{path}: exists and is not a folder; can't write PNG frames there")
    others = sorted(p.name for p in path.iterdir() if not _is_ours(p.name))
    if others:
        more = f" and {len(others) - 1} more" if len(others) > 1 else ""
        raise RenderError(
            f"{path}: folder holds files that are not frame_*.png ({others[0]!r}{more}); "
            "refusing to replace it -- choose an empty or new folder"
        )


def _is_ours(name: str) -> bool:
    return bool(_FRAME_RE.fullmatch(name) or name == MANIFEST or _OWN_TEMP_RE.fullmatch(name))


def _write_manifest(folder: Path, manifest: Mapping) -> None:
    """Write MANIFEST into *folder* atomically (temp file + rename); the temporary is held
    like any other, so a --resume run starting beside this one leaves it alone."""
    tmp: Path | None = None
    try:
        with _signals_deferred():  # a Ctrl-C lands once `tmp` names it, so the finally removes it
            tmp = _create_held(folder, ".render.", ".part")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, folder / MANIFEST)
        tmp = None
        _release_gone()
    finally:
        _remove(tmp)


def read_manifest(folder: str | os.PathLike[str]) -> dict | None:
    """The MANIFEST of a PNG folder, or None when it has none (or an unreadable one: not
    a regular file of at most 1 MiB, not JSON). It may quote a whole sequence file, so
    its limit is four times theirs."""
    try:
        data = json.loads(read_input(Path(folder) / MANIFEST, 4 * MAX_INPUT_BYTES).decode("utf-8"))
    except (OSError, ValueError, RecursionError):  # NotReadable is a ValueError
        return None
    return data if isinstance(data, dict) else None


class _ResumablePngWriter(FrameWriter):
    """Numbered PNGs written straight into the target folder, each one atomically (temp file
    + rename), so an interrupted render keeps its finished frames and a later run with the
    same manifest renders only the missing ones: `todo` lists their positions (0 is the
    render's first frame, stored as frame_<first_number>.png), in order, and `write` fills
    them one after the other.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: Fraction,
        metadata: dict[str, str],
        manifest: Mapping,
        total: int,
        first_number: int = 0,
    ) -> None:
        super().__init__(path, "png", width, height, fps)
        self.first_number = first_number
        self._pnginfo = _pnginfo(metadata)
        self._part: Path | None = None
        if path.exists() and not path.is_dir():
            raise RenderError(f"{path}: exists and is not a folder; can't write PNG frames there")
        old = read_manifest(path) if path.is_dir() else None
        if old is None:
            _check_replaceable_folder(path)
            if path.is_dir() and any(_FRAME_RE.fullmatch(p.name) for p in path.iterdir()):
                raise RenderError(
                    f"{path}: holds frames but no {MANIFEST}, so there is no telling which "
                    "render they belong to; can't resume -- use a new folder, or render "
                    "without --resume to replace them"
                )
            path.mkdir(parents=True, exist_ok=True)
            _write_manifest(path, manifest)
        else:
            _check_same_render(path, old, manifest)
        for p in path.iterdir():
            if _OWN_TEMP_RE.fullmatch(p.name) and _is_abandoned(p):
                _remove(p)  # a temporary of a render killed outright (not another one's)
            elif _FRAME_RE.fullmatch(p.name) and not (
                first_number <= int(p.name[6:-4]) < first_number + total
            ):
                _remove(p)  # outside the range the manifest names: no frame of this render
        self.todo = [
            n for n in range(total)
            if not _is_whole_png(path / _FRAME_NAME.format(first_number + n))
        ]  # fmt: skip
        self.kept = total - len(self.todo)

    def _write(self, frame: np.ndarray) -> None:
        if self.frames_written >= len(self.todo):
            raise ValueError(f"{self.path}: more frames than the {len(self.todo)} still to do")
        name = _FRAME_NAME.format(self.first_number + self.todo[self.frames_written])
        with _signals_deferred():  # a Ctrl-C lands once it is known, so _abort removes it
            self._part = _create_held(self.path, f".{name[:-4]}.", ".part.png")
        _save_sequence_png(frame, self._part, self._pnginfo)
        os.replace(self._part, self.path / name)
        _release_gone()
        self._part = None

    def _finish(self) -> None:
        if self.frames_written != len(self.todo):
            raise RenderError(
                f"{self.path}: {len(self.todo) - self.frames_written} frames were not rendered"
            )
        self._closed = True

    def _abort(self) -> None:
        self._closed = True
        _remove(self._part)
        self._part = None


def _is_whole_png(path: Path) -> bool:
    """Whether `path` is a regular file that starts and ends as a PNG does."""
    if not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            if f.read(8) != _PNG_HEAD:
                return False
            f.seek(-len(_PNG_TAIL), os.SEEK_END)
            return f.read() == _PNG_TAIL
    except OSError:  # shorter than a PNG's tail, or unreadable
        return False


def _check_same_render(path: Path, old: Mapping, new: Mapping) -> None:
    was, now = old.get("identity"), new.get("identity")
    if not isinstance(was, dict) or not isinstance(now, dict):
        raise RenderError(f"{path}: {MANIFEST} is not a render manifest; can't resume")
    changed = [
        f"{key} {_short(was.get(key))} != {_short(now.get(key))}"
        for key in sorted(set(was) | set(now))
        if was.get(key) != now.get(key)
    ]
    if changed:
        err = RenderError(
            f"{path}: can't resume: its frames belong to a different render "
            f"({'; '.join(changed)}); render to a new folder, or without --resume"
        )
        err.exit_code = 2
        raise err


def _short(value: object) -> str:
    text = json.dumps(value)
    return text[:12] + "…" if isinstance(value, str) and len(value) > 16 else text


def sequence_png(frame: np.ndarray, metadata: Mapping[str, str] | None = None) -> bytes:
    """One frame of a PNG folder encoded exactly as the PNG writers store it (same text
    chunks, same compression), for frames rendered elsewhere (render.cluster) and handed to
    :meth:`FrameWriter.write_encoded`."""
    buf = io.BytesIO()
    _save_sequence_png(np.ascontiguousarray(frame), buf, _pnginfo(check_metadata(metadata)))
    return buf.getvalue()


def _save_sequence_png(frame: np.ndarray | bytes, dest, pnginfo: PngInfo | None) -> None:
    if isinstance(frame, bytes):  # encoded by sequence_png
        with open(dest, "wb") as f:
            f.write(frame)
        return
    mode = "RGBA" if frame.shape[2] == 4 else "RGB"
    Image.fromarray(frame, mode).save(
        dest, "PNG", pnginfo=pnginfo, compress_level=_SEQUENCE_PNG_LEVEL
    )


def _pnginfo(metadata: Mapping[str, str]) -> PngInfo | None:
    if not metadata:
        return None
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, value)  # tEXt; Pillow switches to iTXt for non-Latin-1 text
    return info


@contextmanager
def open_writer(
    path: str | os.PathLike[str],
    size: tuple[int, int],
    fps: float,
    *,
    metadata: Mapping[str, str] | None = None,
    preset: str = "faster",
    crf: int = 20,
    manifest: Mapping | None = None,
    resume_frames: int | None = None,
    threads: int | None = None,
    options: Mapping[str, object] | None = None,
    first_number: int = 0,
    max_bytes: int | None = None,
    alpha: bool = False,
) -> Iterator[FrameWriter]:
    """Open an atomic frame sink for *path*; format from :func:`format_for`.

    With *alpha*, frames are straight RGBA, (height, width, 4), and the output keeps the
    alpha channel (PNG folders, WebM, MOV, APNG, WebP); InputError for a format that
    can't (:func:`check_alpha`), or with *max_bytes*.

    *size* is (width, height); frames are (height, width, 3) uint8 RGB. *preset* and *crf*
    are x264 settings and apply to MP4 only (WebM uses its own constant-quality settings).
    *metadata* becomes container tags: MP4 keeps only the keys its muxer knows (title,
    comment, artist, date, description, ...); WebM keeps any key; PNG frames get tEXt
    chunks; GIF gets the "comment" value as a GIF comment extension.

    The file or folder appears at *path* only when the with-block ends without an exception.

    PNG folders also get *manifest* (JSON) as MANIFEST. With *resume_frames* (PNG folders
    only; needs a *manifest* with an "identity"), the render of that many frames is
    resumable instead: frames go straight into the folder one by one, each atomically, and
    are kept on failure; a folder whose manifest identity matches keeps its finished frames
    and the writer's ``todo`` lists the frame numbers still to write, in order.

    With *max_bytes* (MP4, WebM, GIF) the file is made to fit that many bytes
    (render.budget): the writer's ``note`` then says what was given up, and a
    ``BudgetError`` (exit status 2) is raised, with nothing written, when nothing fits.

    A PNG folder numbers its files from *first_number* (the render's first source frame,
    so that a slice's files keep the film's numbers).

    *options* are a format's own settings, by format name (``{"gif": GifSettings(...)}``).

    *threads* pins the MP4/WebM encoder's thread count: x264's output depends on it, so
    segments encoded on different machines (render.segments) decode alike only when pinned.
    """
    path = Path(path)
    fmt = format_for(path)
    if fmt == "png" and path.is_symlink() and path.is_dir():
        # A link to a folder (frames kept on another disk): the folder it names is
        # replaced, beside itself; swapping the link away would strand it as ".old".
        path = Path(os.path.realpath(path))
    width, height = (int(v) for v in size)
    check_size(fmt, width, height)
    if alpha:
        check_alpha(fmt, str(path))
        if max_bytes is not None:
            raise InputError("--transparent: --max-size can't be used with it")
        options = {**(options or {}), "alpha": True}
    fraction = _check_fps(fmt, fps)
    meta = check_metadata(metadata)
    made: list[Path] = []
    try:
        made = make_parents(path)
        if fmt == "png" and resume_frames is not None:
            if manifest is None:
                raise ValueError("a resumable PNG folder needs a manifest")
            writer: FrameWriter = _ResumablePngWriter(
                path, width, height, fraction, meta, manifest, resume_frames, first_number
            )
        elif resume_frames is not None:
            raise RenderError(f"{path}: only a PNG folder can be resumed; got {fmt.upper()}")
        elif max_bytes is not None:
            from render.budget import check_budget

            check_budget(fmt, formats.FORMATS[fmt].label, segmented=False)
            writer = _BudgetWriter(
                path, fmt, width, height, fraction, meta, preset, options or {}, max_bytes
            )
        elif fmt == "png":
            writer = _PngSequenceWriter(path, width, height, fraction, meta, manifest, first_number)
        elif formats.FORMATS[fmt].sink is not None:
            writer = _SinkWriter(path, fmt, width, height, fraction, meta, options or {})
        else:
            writer = _FfmpegWriter(
                path, fmt, width, height, fraction, meta, preset, crf, threads, options
            )
    except BaseException as exc:
        remove_made(made)
        if isinstance(exc, OSError):
            raise RenderError(f"{path}: can't write output: {exc.strerror or exc}") from exc
        raise
    writer.channels = 4 if alpha else 3
    try:
        yield writer
    except BaseException:  # includes KeyboardInterrupt: nothing half-written survives
        with _signals_deferred():
            writer._abort()
            if not (fmt == "png" and resume_frames is not None):
                remove_made(made)
        raise
    try:
        writer._finish()
    except OSError as exc:  # only our own I/O; OSErrors from the with-block pass untouched
        with _signals_deferred():
            writer._abort()
            remove_made(made)
        raise RenderError(f"{path}: can't write output: {exc.strerror or exc}") from exc
    except BaseException:
        with _signals_deferred():
            writer._abort()
            if not path.exists():
                remove_made(made)
        raise


def write_png(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    *,
    metadata: Mapping[str, str] | None = None,
    dpi: float | None = None,
    bits: int = 8,
) -> None:
    """Write one RGB (or straight RGBA) still atomically; *metadata* as tEXt chunks,
    *dpi* into pHYs."""
    path = Path(path)
    if bits != 8:
        # Pillow can't write 16-bit RGB PNGs; only 8-bit is supported for now.
        raise RenderError(f"{path}: {bits}-bit PNG is not supported; only 8-bit stills")
    arr = np.asarray(rgb)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(
            f"still must be uint8 of shape (height, width, 3 or 4); got {arr.dtype} {arr.shape}"
        )
    if dpi is not None and not (math.isfinite(dpi) and dpi > 0):
        raise RenderError(f"dpi must be a positive number; got {dpi!r}")
    info = _pnginfo(check_metadata(metadata))
    tmp: Path | None = None
    made: list[Path] = []
    try:
        made = make_parents(path)
        tmp = _temp_sibling(path, "part", ".png")
        extra = {"dpi": (dpi, dpi)} if dpi is not None else {}
        mode = "RGBA" if arr.shape[2] == 4 else "RGB"
        Image.fromarray(np.ascontiguousarray(arr), mode).save(tmp, "PNG", pnginfo=info, **extra)
        os.replace(tmp, path)
        tmp, made = None, []
    except OSError as exc:
        raise RenderError(f"{path}: can't write image: {exc.strerror or exc}") from exc
    finally:
        with _signals_deferred():  # nothing half-written: no temporary, no folders it made
            _remove(tmp)
            remove_made(made)
