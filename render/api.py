"""The library API: what scripts and notebooks call, and what the CLI calls.

    import render
    seq = render.load("sequences/dream.toml", size=(960, 540))
    pixels = seq.frame_at("50%")            # (540, 960, 3) uint8, as `render still` draws it
    render.animate(seq, "out/dream.mp4", workers=2, progress=print)
    render.still(seq, "85%", "out/split.png")

Every check the CLI makes (limits, outputs that would replace an input, sizes a format
cannot take) is made here, so a script gets the same one-line errors.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from render import signals
from render.errors import InputError, RenderError
from render.sequence import Sequence, load_sequence
from render.units import (
    MAX_SIDE,
    LimitError,
    check_frame_count,
    check_frame_rate,
    check_memory,
    parse_time,
)

Progress = Callable[[int], None]


def load(
    path: str | Path,
    *,
    size: tuple[int, int] | None = None,
    fps: float | None = None,
    seed: int | None = None,
    loop: bool | None = None,
    palette: str | None = None,
    transparent: bool | None = None,
    memory: bool = True,
) -> Sequence:
    """The sequence at `path`, with overrides; refused (LimitError) beyond a limit.
    `palette` names a palette as the header would (searched beside the sequence first).
    `transparent` overrides the header's `background`: True leaves the background
    unpainted, and frames are then straight RGBA (H, W, 4) (render.alpha)."""
    seq = load_sequence(path, palette=palette)
    changes: dict[str, Any] = {}
    if size is not None:
        w, h = size
        if max(w, h) > MAX_SIDE:
            raise LimitError(
                f"--size: sides above {MAX_SIDE} pixels are not supported, got {w}x{h}"
            )
        changes["size"] = (int(w), int(h))
    if fps is not None:
        check_frame_rate(fps, "--fps")
        changes["fps"] = float(fps)
    if seed is not None:
        changes["seed"] = int(seed)
    if loop is not None:
        changes["loop"] = bool(loop)
    if transparent is not None:
        changes["transparent"] = bool(transparent)
    seq = seq.replace(**changes) if changes else seq
    # --fps may raise the frame count past the limit the file respected
    check_frame_count(seq.duration * seq.fps, f"{seq.duration:g} s at {seq.fps:g} fps")
    if memory:
        check_memory(seq.width, seq.height, 1)
    return seq


def time_of(seq: Sequence, value: object, option: str = "time", default: float = 0.0) -> float:
    """Seconds from 12.5, "12.5s", "800ms", "40%" or "120f" (frames), within the sequence."""
    if value is None:
        return default
    try:
        t = parse_time(value, seq.duration, seq.fps)
    except ValueError as exc:
        raise InputError(f"{option}: {exc}") from None
    if not 0 <= t <= seq.duration:
        raise InputError(f"{option}: expected a time within 0..{seq.duration:g} s, got {value}")
    return t


def frame_range(seq: Sequence, start: object = None, end: object = None) -> range:
    """The frame indices from `start` to `end` (times as `time_of` reads them)."""
    t0 = time_of(seq, start, "--start", 0.0)
    t1 = time_of(seq, end, "--end", seq.duration)
    if t1 <= t0:
        raise InputError(f"--end ({t1:g} s) must come after --start ({t0:g} s)")
    first = seq.index_at(t0)
    last = (
        seq.frames
        if end is None
        else max(first + 1, min(seq.frames, math.ceil(t1 * seq.fps - 1e-6)))
    )
    return range(first, last)


def inputs_of(seq: Sequence) -> list[str]:
    """The files a render reads: the sequence and its palette file (if it has one)."""
    return [str(seq.source or ""), str(getattr(seq.palette, "source", "") or "")]


def refuse_overwriting_inputs(out: Path, inputs: list[str]) -> None:
    """InputError when the output path is one of `inputs` (the sequence and its palette
    file, `inputs_of`): the render would replace what it was made from."""
    for name in inputs:
        if not name:
            continue
        src = Path(name)
        same = os.path.abspath(out) == os.path.abspath(src)
        if not same and out.exists() and src.exists():
            try:
                same = out.samefile(src)
            except OSError:
                same = False
        if same:
            raise InputError(f"{out}: is the input file {name}; refusing to write over it")


def refuse_folder(out: str | os.PathLike[str], what: str) -> None:
    """InputError when `out`, the path of a single file (`what`: "a still"), names a
    folder: one that exists, or text ending in a slash."""
    text = os.fspath(out)
    if text.endswith(("/", os.sep)):
        raise InputError(f"{text}: ends with /, a folder, but {what} is written as a file")
    if os.path.isdir(text):
        raise InputError(f"{text}: is a folder, but {what} is written as a file")


def manifest(
    seq: Sequence, meta: dict[str, str], first: int, last: int, first_number: int | None = None
) -> dict:
    """A PNG folder's manifest: its provenance record and, under "identity", everything
    the frames' pixels depend on -- what a resumed render requires to be unchanged."""
    from render import __version__

    record = json.loads(meta["comment"])
    return {
        "identity": {
            "sequence_sha256": seq.source_hash,
            "palette_sha256": record.get("PaletteSHA256", ""),
            "seed": seq.seed,
            "size": [seq.width, seq.height],
            "fps": seq.fps,
            "loop": seq.loop,
            **({"transparent": True} if seq.transparent else {}),
            "start_frame": first,
            "end_frame": last,
            "first_number": first if first_number is None else first_number,
            "version": __version__,
        },
        "frames": last - first,
        "record": record,
    }


def fitting_workers(seq: Sequence, wanted: int | None = None) -> int:
    """The worker count to use: `wanted`, or as many as cores, lowered to what memory
    holds (check_memory refuses if not even one fits)."""
    from render.pipeline import default_workers
    from render.units import available_memory, estimate_frame_bytes

    if wanted is None:
        wanted = default_workers()
        room = available_memory()
        if room is not None:
            wanted = max(1, min(wanted, room // estimate_frame_bytes(seq.width, seq.height)))
    check_memory(seq.width, seq.height, wanted)
    return wanted


def check_animation(
    seq: Sequence,
    out: str | Path,
    *,
    start: object = None,
    end: object = None,
    preset: str = "faster",
    resume: bool = False,
    max_bytes: int | None = None,
    segmented: bool = False,
) -> tuple[str, range]:
    """Everything `animate` refuses before any work (InputError, LimitError): an output
    that is an input, a format it can't hold (suffix, size, alpha), an unknown x264
    preset, a span outside the sequence, --resume on a file, a size budget (`max_bytes`)
    for a format or a segmented render it can't apply to, a transparent render that is
    segmented or budgeted. Returns (format, frame indices)."""
    from render.encode import check_alpha, check_size, format_for
    from render.formats.mp4 import check_preset

    out_path = Path(out)
    refuse_overwriting_inputs(out_path, inputs_of(seq))
    fmt = format_for(out)  # as given: "clip.mp4/" asks for a folder
    check_size(fmt, *seq.size)
    if seq.transparent:
        check_alpha(fmt, str(out_path))
        if segmented or max_bytes is not None:
            what = "--max-size" if max_bytes is not None else "--segment and --cluster"
            raise InputError(f"--transparent: {what} can't be used with it yet")
    check_preset(preset)
    indices = frame_range(seq, start, end)
    if resume and fmt != "png":
        raise LimitError(f"--resume: only a PNG folder output can be resumed, not {out_path}")
    if max_bytes is not None:
        from render import formats
        from render.budget import check_budget

        check_budget(fmt, f"{formats.FORMATS[fmt].label} ({out_path})", segmented)
    return fmt, indices


@dataclass(frozen=True)
class Rendered:
    """What `animate` wrote: the path, frames rendered now and kept from before, and for
    a whole loop the seam score (1.0 = the wrap is like any other step; higher is worse)."""

    path: Path
    frames: int
    kept: int
    seam: float | None
    note: str = ""  # what a size budget (max_bytes) gave up, if anything


@contextlib.contextmanager
def _closing(frames):
    """Iterate `frames`, closing it (a generator) however the iteration ends."""
    try:
        yield iter(frames)
    finally:
        close = getattr(frames, "close", None)
        if close is not None:
            close()


def animate(
    seq: Sequence,
    out: str | Path,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    start: object = None,
    end: object = None,
    preset: str = "faster",
    crf: int = 20,
    codec: str = "h264",
    gif: Any = None,
    number_from_zero: bool = False,
    max_bytes: int | None = None,
    resume: bool = False,
    metadata: dict[str, str] | None = None,
    on_start: Callable[[int], None] | None = None,
    segment: float | None = None,
    cluster: Any = None,
) -> Rendered:
    """Render `seq` to `out`: MP4, GIF, WebM, MOV, APNG, WebP or a PNG folder, as the
    suffix says (what the CLI writes). `codec` is MP4's ("h264", "hevc", "av1"); `gif` a
    `render.formats.gif.GifSettings`. A PNG folder's files are numbered by source frame
    (`--start 60%` of the dream writes frame_000720.png onward) unless `number_from_zero`.
    `max_bytes` makes an MP4, WebM or GIF fit that size (render.budget): `Rendered.note`
    says what it gave up; BudgetError (exit status 2) when nothing fits.
    `progress(n)` is called as frames finish;
    `on_start(total)` once the number of frames to render is known. The output appears
    whole or not at all.

    `cluster` (a `render.cluster.Session`) renders on a Dask cluster instead of worker
    processes here; MP4/WebM are then encoded in segments of about `segment` seconds
    (default 2), as a local render does when given `segment` (render.segments): the two
    decode to the same frames. A cluster render has no seam score (its frames never come
    here)."""
    from render.pipeline import render_frames
    from render.provenance import make_record, metadata_for
    from render.seam import frame_difference, seam_score_from, thumbnail
    from render.segments import DEFAULT_SECONDS, frames_per_segment

    out_path = Path(out)
    fmt, indices = check_animation(
        seq, out, start=start, end=end, preset=preset, resume=resume, max_bytes=max_bytes,
        segmented=segment is not None or cluster is not None,
    )  # fmt: skip
    workers = fitting_workers(seq, workers)
    args = ["animate", str(seq.source or ""), "-o", str(out_path)]
    meta = metadata or metadata_for(make_record(seq, args))
    first, last = indices.start, indices.stop
    first_number = 0 if number_from_zero else first
    folder = manifest(seq, meta, first, last, first_number) if fmt == "png" else None
    if cluster is not None:  # where it ran; a PNG folder's frames stay byte-identical
        meta, folder = _on_cluster(cluster, meta, folder)
    if segment is None and cluster is not None:
        segment = DEFAULT_SECONDS  # a cluster's unit of work, whatever the format
    writer = None
    first_frame = last_frame = prev = None
    diffs: list[float] = []
    try:
        options = {"codec": codec, **({"gif": gif} if gif is not None else {})}
        output = _open_output(
            out_path, seq, meta, preset, crf, folder, len(indices) if resume else None, segment,
            options, first_number, max_bytes,
        )  # fmt: skip
        with output as writer:
            todo = [first + n for n in writer.todo] if resume else list(indices)
            if on_start is not None:
                on_start(len(todo))
            if cluster is not None:
                every = frames_per_segment(seq.fps, segment)
                cluster.render_into(
                    writer, seq, todo, segment_frames=every, metadata=meta, progress=progress
                )
            local = () if cluster else render_frames(seq, todo, workers=workers, progress=progress)
            # Closed here, whatever stops the loop: the workers are stopped now, not when
            # the abandoned generator happens to be collected (at exit its pipes are gone).
            with _closing(local) as frames:
                for frame in frames:
                    signals.check()  # a Ctrl-C or SIGTERM whose exception was swallowed
                    writer.write(frame)
                    if seq.loop:
                        small = thumbnail(frame)
                        if first_frame is None:
                            first_frame = small
                        if prev is not None:
                            diffs.append(frame_difference(small, prev))
                        prev = last_frame = small
    except KeyboardInterrupt as exc:
        if resume and writer is not None:
            done = writer.kept + writer.frames_written
            raise type(exc)(
                f"interrupted; {done} of {len(indices)} frames are in {out_path} -- run the "
                "same command with --resume to render the rest"
            ) from None
        raise
    except OSError as exc:  # writing frames failed (full disk ...): say where
        raise RenderError(f"{out_path}: can't write output: {exc.strerror or exc}") from exc
    whole_loop = seq.loop and len(todo) == seq.frames and bool(diffs)
    seam = seam_score_from(first_frame, last_frame, diffs) if whole_loop else None
    note = getattr(writer, "note", "")
    return Rendered(out_path, len(todo), len(indices) - len(todo), seam, note)


def _on_cluster(session: Any, meta: dict[str, str], folder: dict | None):
    """The metadata and PNG manifest of a render on `session`'s cluster: its address and
    worker count are in the record, but not in a PNG folder's frames (only its manifest)."""
    from render.provenance import cluster_fields, metadata_for

    where = cluster_fields(session.address, session.workers)
    if folder is not None:
        folder["record"].update(where)
        return meta, folder
    return metadata_for({**json.loads(meta["comment"]), **where}), folder


def _open_output(
    out_path, seq, meta, preset, crf, folder, resume_frames, segment, options, first_number,
    max_bytes,
):  # fmt: skip
    """The output's writer: MP4/WebM in segments of about `segment` seconds if given
    (render.segments), else whole (render.encode)."""
    from render.encode import format_for, open_writer
    from render.segments import VIDEO_FORMATS, frames_per_segment, open_segmented

    if segment is not None and format_for(out_path) in VIDEO_FORMATS:
        return open_segmented(
            out_path, seq.size, seq.fps, metadata=meta, preset=preset, crf=crf,
            codec=options["codec"], segment_frames=frames_per_segment(seq.fps, segment),
        )  # fmt: skip
    return open_writer(
        out_path, seq.size, seq.fps, metadata=meta, preset=preset, crf=crf,
        manifest=folder, resume_frames=resume_frames, options=options,
        first_number=first_number, max_bytes=max_bytes, alpha=seq.transparent,
    )  # fmt: skip


def still(
    seq: Sequence,
    t: object,
    out: str | Path,
    *,
    size: tuple | None = None,
    paper: str | None = None,
    portrait: bool = False,
    dpi: float | None = None,
    metadata: dict[str, str] | None = None,
):
    """Render the frame at time `t` (seconds, "50%", "120f") to a PNG, or for print to a
    PDF or SVG page (`paper`, `dpi`, or a physical `size` such as (30, 20, "cm")).
    Returns the print plan (`render.printing.PrintJob`)."""
    from render import printing
    from render.provenance import make_record, metadata_for

    refuse_folder(out, "a still")
    out_path = Path(out)
    printing.still_format(out_path)
    refuse_overwriting_inputs(out_path, inputs_of(seq))
    job = printing.plan_still(out_path, seq.size, size, paper, portrait, dpi)
    refuse_transparent_print(seq, job.format)
    seq = seq.replace(size=job.pixels) if job.pixels != seq.size else seq
    index = seq.index_at(time_of(seq, t, "--at", 0.0))
    args = ["still", str(seq.source or ""), "--at", str(t), "-o", str(out_path)]
    meta = metadata or metadata_for(make_record(seq, args))
    printing.write_still(out_path, job, seq, index, meta)
    return job, index


def refuse_transparent_print(seq: Sequence, fmt: str) -> None:
    """InputError for a transparent still in a format other than PNG: a print page (PDF,
    SVG) lays vector strokes over the raster frame, which has to be opaque."""
    if seq.transparent and fmt != "png":
        raise InputError(
            f"--transparent: a {fmt.upper()} page is printed opaque; write the still as .png"
        )


def frame(seq: Sequence, index: int) -> np.ndarray:
    """Frame `index` as an (H, W, 3) uint8 RGB array: the pixels `render still` writes;
    (H, W, 4) straight RGBA for a transparent sequence (render.alpha)."""
    if not 0 <= index < seq.frames:
        raise InputError(f"frame {index}: expected 0..{seq.frames - 1}")
    return seq.renderer().render(index)


__all__ = [
    "Rendered",
    "animate",
    "check_animation",
    "fitting_workers",
    "frame",
    "frame_range",
    "load",
    "manifest",
    "refuse_folder",
    "refuse_overwriting_inputs",
    "refuse_transparent_print",
    "still",
    "time_of",
]
