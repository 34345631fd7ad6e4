"""The `render` command: thin click commands over the library.

Every user-fixable problem is a `RenderError`; it is printed as one line on
stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import click

from render import __version__
from render.color import to_hex
from render.errors import InputError, RenderError
from render.palette import available_palettes
from render.seam import frame_difference, seam_score_from
from render.sequence import Sequence, load_sequence, one_line
from render.units import (
    MAX_SIDE,
    PAPER,
    LimitError,
    SizeLimitError,
    check_frame_count,
    check_frame_rate,
    check_memory,
    is_physical_size,
    parse_physical_size,
    parse_size,
    parse_time,
)


class SizeType(click.ParamType):
    name = "WxH|preset"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return parse_size(value)
        except SizeLimitError as exc:
            return exc.size  # well-formed but too big: refused on one line by _load
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class TimeType(click.ParamType):
    """Seconds or a percentage; resolved against the duration once the sequence is loaded."""

    name = "SECONDS|PERCENT%"

    def convert(self, value, param, ctx):
        try:
            parse_time(value, 1.0)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


SIZE, TIME = SizeType(), TimeType()


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwinding like Ctrl-C (so temporaries are removed) but exiting 143."""

    exit_code = 128 + signal.SIGTERM


def friendly(fn):
    """Turn RenderErrors, OS errors and Ctrl-C/SIGTERM into one line and an exit status."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RenderError as exc:
            message, code = f"error: {exc}", exc.exit_code
        except KeyboardInterrupt as exc:
            message = str(exc) or "interrupted; nothing was written"
            code = getattr(exc, "exit_code", 128 + signal.SIGINT)
        except OSError as exc:  # I/O outside the writers: still one line, never a traceback
            where = f"{exc.filename}: " if exc.filename else ""
            message, code = f"error: {where}{exc.strerror or exc}", 1
        except MemoryError:
            message, code = "error: out of memory; try fewer --workers or a smaller --size", 1
        click.echo(one_line(message), err=True)
        sys.exit(code)

    return wrapper


def _load(path: str, size=None, fps=None, seed=None, loop=None, memory=True) -> Sequence:
    """The sequence with the command line's overrides, refused (LimitError) when it is
    beyond a limit: checked here, before any work starts, whatever the file said.
    `memory`: check that one frame of this size fits (not for sheets: thumbnails)."""
    seq = load_sequence(path)
    changes = {}
    if size is not None:
        if max(size) > MAX_SIDE:
            raise LimitError(
                f"--size: sides above {MAX_SIDE} pixels are not supported, got {size[0]}x{size[1]}"
            )
        changes["size"] = size
    if fps is not None:
        check_frame_rate(fps, "--fps")
        changes["fps"] = float(fps)
    if seed is not None:
        changes["seed"] = seed
    if loop is not None:
        changes["loop"] = loop
    seq = seq.replace(**changes) if changes else seq
    check_frame_count(
        seq.duration * seq.fps, f"{seq.duration:g} s at {seq.fps:g} fps"
    )  # --fps may raise it past the limit the file respected
    if memory:
        check_memory(seq.width, seq.height, 1)
    return seq


def _time(seq: Sequence, value: str | None, option: str, default: float) -> float:
    if value is None:
        return default
    t = parse_time(value, seq.duration)
    if not 0 <= t <= seq.duration:
        raise RenderError(f"{option}: expected a time within 0..{seq.duration:g} s, got {value}")
    return t


def provenance(seq: Sequence, command: str) -> dict[str, str]:
    """What an output needs to be made again: written into every file's metadata.

    The arguments are the ones this command line was invoked with (captured by the group,
    so they are right under CliRunner too); `command` is only the fallback outside click.
    """
    from render.provenance import make_record, metadata_for

    ctx = click.get_current_context(silent=True)
    argv = ctx.meta.get(_ARGV) if ctx is not None else None
    return metadata_for(make_record(seq, argv if argv is not None else command.split()))


_ARGV = "render.argv"


class _Group(click.Group):
    """The `render` group; remembers the raw arguments for the provenance record."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGV] = list(args)
        return super().parse_args(ctx, args)


class Progress:
    """A click progress bar showing frames per second, only on a terminal."""

    def __init__(self, total: int, label: str, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.done = 0
        self.bar = None
        if self.enabled:
            self.bar = click.progressbar(
                length=total,
                label=label,
                show_eta=True,
                file=sys.stderr,
                item_show_func=lambda _: f"{self.fps:5.1f} fps" if self.done else "",
            )
            self.bar.__enter__()

    @property
    def fps(self) -> float:
        return self.done / max(1e-9, time.perf_counter() - self.start)

    def __call__(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="render")
def cli() -> None:
    """Render the neon dream: sequence files (TOML) to MP4, GIF, WebM, PNG and contact sheets."""


common_size = click.option(
    "--size",
    type=SIZE,
    default=None,
    help="Frame size WxH or a preset (720p, 1080p, 1440p, 4k, ultrawide, dual, phone).",
)
common_seed = click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Override the sequence's seed."
)
sequence_arg = click.argument("sequence", type=click.Path(dir_okay=False))


@cli.command()
@sequence_arg
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(),
    help="Output: .mp4, .gif, .webm, or a folder for numbered PNGs.",
)
@common_size
@click.option("--fps", type=float, default=None, help="Override the frame rate.")
@common_seed
@click.option("--start", type=TIME, default=None, help="Start time (seconds or %).")
@click.option("--end", type=TIME, default=None, help="End time (seconds or %), exclusive.")
@click.option("--loop/--no-loop", default=None, help="Make the animation loop seamlessly.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: every core).",
)
@click.option(
    "--preset",
    default="veryfast",
    show_default=True,
    # Measured on the dream at 1080p crf 18: veryfast spends half the CPU of medium for
    # the same bit rate (114 vs 237 ms a frame, 24.9 vs 24.7 Mbit/s).
    help="x264 preset for MP4 (slower presets rarely shrink these neon frames).",
)
@click.option(
    "--crf",
    type=click.IntRange(0, 51),
    default=18,
    show_default=True,
    help="Quality for MP4 (lower is better).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="PNG folders: write frames one by one and keep them if interrupted; run again "
    "with --resume to render only the missing ones.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@friendly
def animate(sequence, out, size, fps, seed, start, end, loop, workers, preset, crf, resume, quiet):
    """Render SEQUENCE to an animation; the format follows OUT's suffix."""
    from render.encode import check_size, format_for, open_writer
    from render.pipeline import default_workers, render_frames

    seq = _load(sequence, size, fps, seed, loop)
    out_path = Path(out)
    _refuse_overwriting_inputs(out_path, _inputs_of(seq))
    fmt = format_for(out_path)
    check_size(fmt, *seq.size)
    t0 = _time(seq, start, "--start", 0.0)
    t1 = _time(seq, end, "--end", seq.duration)
    first = seq.index_at(t0)
    last = (
        seq.frames
        if end is None
        else max(first + 1, min(seq.frames, math.ceil(t1 * seq.fps - 1e-6)))
    )
    if t1 <= t0:
        raise RenderError(f"--end ({t1:g} s) must come after --start ({t0:g} s)")
    indices = range(first, last)
    if resume and fmt != "png":
        raise LimitError(f"--resume: only a PNG folder output can be resumed, not {out_path}")
    if workers is None:
        workers = _fitting_workers(seq, default_workers())
    check_memory(seq.width, seq.height, workers)
    meta = provenance(seq, "animate " + " ".join(sys.argv[2:]))
    manifest = _manifest(seq, meta, first, last) if fmt == "png" else None
    progress = None
    writer = None
    try:
        with open_writer(
            out_path,
            seq.size,
            seq.fps,
            metadata=meta,
            preset=preset,
            crf=crf,
            manifest=manifest,
            resume_frames=len(indices) if resume else None,
        ) as writer:
            todo = [first + n for n in writer.todo] if resume else indices
            progress = Progress(len(todo), f"{out_path.name}", quiet)
            first_frame = last_frame = None
            diffs = []
            prev = None
            for frame in render_frames(seq, todo, workers=workers, progress=progress):
                writer.write(frame)
                if seq.loop:
                    small = frame[::4, ::4].copy()
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
    finally:
        if progress is not None:
            progress.close()
    if not quiet:
        secs = time.perf_counter() - progress.start
        made = len(todo)
        kept = f", {len(indices) - made} kept from before" if made < len(indices) else ""
        click.echo(
            f"wrote {out_path} ({made} frames{kept}, {seq.width}x{seq.height}, "
            f"{seq.fps:g} fps) in {secs:.1f} s, {made / max(secs, 1e-9):.1f} frames/s",
            err=True,
        )
        if seq.loop and diffs and first_frame is not None and made == len(indices):
            seam = seam_score_from(first_frame, last_frame, diffs)
            click.echo(f"loop seam score {seam:.2f} (1.0 is perfect)", err=True)


def _fitting_workers(seq: Sequence, wanted: int) -> int:
    """The default worker count, lowered to what memory holds (check_memory refuses if
    not even one fits)."""
    from render.units import available_memory, estimate_frame_bytes

    room = available_memory()
    if room is None:
        return wanted
    return max(1, min(wanted, room // estimate_frame_bytes(seq.width, seq.height)))


def _manifest(seq: Sequence, meta: dict[str, str], first: int, last: int) -> dict:
    """A PNG folder's manifest: its provenance record and, under "identity", everything
    the frames' pixels depend on -- what --resume requires to be unchanged."""
    record = json.loads(meta["comment"])
    return {
        "identity": {
            "sequence_sha256": seq.source_hash,
            "palette_sha256": record.get("PaletteSHA256", ""),
            "seed": seq.seed,
            "size": [seq.width, seq.height],
            "fps": seq.fps,
            "loop": seq.loop,
            "start_frame": first,
            "end_frame": last,
            "version": __version__,
        },
        "frames": last - first,
        "record": record,
    }


class StillSizeType(SizeType):
    """A pixel size or preset, or a physical size for print: 30x20cm, 12x8in, 420x297mm."""

    name = "WxH|preset|WxH{mm,cm,in}"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and is_physical_size(value):
            try:
                return parse_physical_size(value)
            except ValueError as exc:
                self.fail(str(exc), param, ctx)
        return super().convert(value, param, ctx)


@cli.command()
@sequence_arg
@click.option("--at", "at", type=TIME, required=True, help="Time of the still (seconds or %).")
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(), help="Output: .png, .pdf or .svg."
)
@click.option(
    "--size",
    type=StillSizeType(),
    default=None,
    help="Pixels WxH or a preset (720p ... 4k), or a print size like 30x20cm, 12x8in, 420x297mm.",
)
@click.option(
    "--paper",
    type=click.Choice([p if p[0] != "a" else p.upper() for p in PAPER], case_sensitive=False),
    default=None,
    help="Print on this paper, landscape unless --portrait.",
)
@click.option("--portrait", is_flag=True, help="Portrait instead of landscape paper.")
@click.option(
    "--dpi",
    type=click.FloatRange(min=1, max=4800),
    default=None,
    help="Print resolution (default 300 for print output); PNGs carry it in pHYs.",
)
@common_seed
@click.option("-q", "--quiet", is_flag=True)
@friendly
def still(sequence, at, out, size, paper, portrait, dpi, seed, quiet):
    """Render one frame of SEQUENCE at time T to a PNG, or for print to a PDF or SVG page."""
    from render import printing

    out_path = Path(out)
    printing.still_format(out_path)
    pixels = size if size is not None and len(size) == 2 else None
    seq = _load(sequence, pixels, None, seed)
    _refuse_overwriting_inputs(out_path, _inputs_of(seq))
    job = printing.plan_still(out_path, seq.size, size, paper, portrait, dpi)
    seq = seq.replace(size=job.pixels) if job.pixels != seq.size else seq
    if job.is_print:
        warning = printing.gamut_warning(seq.palette)
        if warning:
            click.echo(warning, err=True)
    index = seq.index_at(_time(seq, at, "--at", 0.0))
    meta = provenance(seq, "still " + " ".join(sys.argv[2:]))
    printing.write_still(out_path, job, seq, index, meta)
    if not quiet:
        click.echo(f"wrote {out_path} (frame {index}, {job.describe()})", err=True)


@cli.command()
@sequence_arg
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@friendly
def check(sequence, as_json):
    """Validate SEQUENCE and print its timeline of tracks and keyframes."""
    seq = load_sequence(sequence)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "title": seq.title,
                    "duration": seq.duration,
                    "fps": seq.fps,
                    "size": list(seq.size),
                    "frames": seq.frames,
                    "seed": seq.seed,
                    "palette": seq.palette.name,
                    "loop": seq.loop,
                    "tracks": {
                        name: [
                            {"at": k.time, "value": k.value, "ease": k.ease_name} for k in tr.keys
                        ]
                        for name, tr in seq.tracks.items()
                    },
                    "layers": [s.type for s in seq.layers if s.enabled],
                    "effects": [s.type for s in seq.effects if s.enabled],
                },
                indent=2,
            )
        )
        return
    click.echo(f"{seq.title}  ({sequence})")
    click.echo(
        f"  {seq.duration:g} s at {seq.fps:g} fps = {seq.frames} frames, "
        f"{seq.width}x{seq.height}, seed {seq.seed}, palette {seq.palette.name}"
        + (", loops" if seq.loop else "")
    )
    width = 50
    for name, track in seq.tracks.items():
        bar = [" "] * (width + 1)
        for k in track.keys:
            bar[round(k.time / seq.duration * width)] = "◆"
        click.echo(f"  {name:<12} |{''.join(bar)}|")
        for k in track.keys:
            value = to_hex(k.value) if isinstance(k.value, tuple) else f"{k.value:g}"
            click.echo(f"  {'':<12}  {k.time:7.2f} s  {value:>9}  {k.ease_name}")
    click.echo("  layers:  " + ", ".join(s.type for s in seq.layers if s.enabled))
    click.echo("  effects: " + ", ".join(s.type for s in seq.effects if s.enabled))
    click.echo("ok")


@cli.command()
@sequence_arg
@click.option("-o", "--output", "out", required=True, type=click.Path(), help="Output PNG.")
@click.option("--count", type=click.IntRange(1, 200), default=12, show_default=True)
@click.option("--columns", type=click.IntRange(1, 20), default=4, show_default=True)
@click.option(
    "--thumb",
    type=click.IntRange(32, 3840),
    default=480,
    show_default=True,
    help="Thumbnail width in pixels.",
)
@common_seed
@click.option("--workers", type=click.IntRange(1, 64), default=None)
@click.option("-q", "--quiet", is_flag=True)
@friendly
def sheet(sequence, out, count, columns, thumb, seed, workers, quiet):
    """A contact sheet of SEQUENCE: evenly spaced frames labelled with their times."""
    from render.encode import write_png
    from render.pipeline import default_workers
    from render.sheet import contact_sheet, sheet_layout

    seq = _load(sequence, None, None, seed, memory=False)
    out_path = Path(out)
    _refuse_overwriting_inputs(out_path, _inputs_of(seq))
    sheet_layout(seq, count, columns, thumb)  # refuses a sheet too big, before rendering
    if out_path.suffix.lower() != ".png":
        raise RenderError(f"{out_path}: contact sheets are written as .png")
    progress = Progress(count, "sheet", quiet)
    try:
        rgb = contact_sheet(seq, count, columns, thumb, workers or default_workers(), progress)
    finally:
        progress.close()
    write_png(out_path, rgb, metadata=provenance(seq, "sheet " + " ".join(sys.argv[2:])))
    if not quiet:
        click.echo(f"wrote {out_path}", err=True)


@cli.command()
@friendly
def palettes():
    """List the palettes with colour swatches."""
    for pal in available_palettes(Path.cwd()):
        swatches = ""
        if sys.stdout.isatty():
            for rgb in pal.colors.values():
                swatches += click.style("  ", bg=tuple(round(c * 255) for c in rgb))
        roles = " ".join(f"{role}={to_hex(rgb)}" for role, rgb in pal.colors.items())
        note = " (print-safe)" if pal.print_safe else ""
        click.echo(f"{pal.name:<10} {swatches} {pal.description}{note}")
        click.echo(f"{'':<10} {roles}")


@cli.command()
@click.argument("output", type=click.Path())
@click.option(
    "-o",
    "--output",
    "other",
    type=click.Path(),
    default=None,
    help="Write the reproduction here instead of over OUTPUT.",
)
@friendly
def reproduce(output, other):
    """Make OUTPUT again from the record it carries (seed, sequence hash, arguments).

    Refuses, saying what changed, when the sequence or palette file is gone or differs
    from the one OUTPUT was rendered from. The record is untrusted: only `animate`,
    `still` and `sheet` of the recorded sequence are run, and only to OUTPUT or to -o.
    """
    from render.provenance import check_inputs, read_record

    record = read_record(output)
    check_inputs(record, output)
    cwd, args = _replay_plan(record, output, other)
    click.echo(f"reproducing {output}: render {shlex.join(args)}", err=True)
    here = os.getcwd()
    os.chdir(cwd)
    try:
        cli.main(args=args, prog_name="render", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    finally:
        os.chdir(here)
    sys.exit(code)


# What a provenance record may ask `reproduce` to run: the commands that make outputs.
_REPRODUCIBLE = ("animate", "still", "sheet")


def _replay_plan(record, output: str, other: str | None) -> tuple[str, list[str]]:
    """(working folder, arguments) that make `output` again at `output` or `other`.

    The recorded arguments are parsed by the very command they name, and refused with
    ProvenanceError unless that command makes outputs, its sequence is the one whose hash
    the record carries (checked by check_inputs), and the output it would write -- as click
    resolves it, last option winning -- is exactly the target and none of the inputs."""
    from render.provenance import ProvenanceError, recorded_arguments, with_output

    args = recorded_arguments(record, output)
    cwd = record["Cwd"]
    name = args[0]
    if name not in _REPRODUCIBLE:
        raise ProvenanceError(
            f"{output}: its record asks to run `{one_line(name)[:40]}`; only "
            f"{', '.join(_REPRODUCIBLE)} can be reproduced"
        )
    target = os.path.abspath(other if other is not None else output)

    def parsed(candidate: list[str]) -> dict:
        try:
            ctx = cli.commands[name].make_context(name, list(candidate[1:]))
        except (click.ClickException, click.exceptions.Exit) as exc:
            why = exc.format_message() if isinstance(exc, click.ClickException) else "help"
            raise ProvenanceError(
                f"{output}: its recorded arguments are not a valid `render {name}` command: "
                f"{one_line(why)[:200]}"
            ) from None
        return ctx.params

    def resolve(path: str) -> str:
        return os.path.abspath(os.path.join(cwd, path))

    params = parsed(args)
    if resolve(params["out"]) != target:
        args = with_output(args, target)
        params = parsed(args)
        if resolve(params["out"]) != target:
            raise ProvenanceError(
                f"{output}: its recorded arguments name more than one output; refusing to "
                "guess where it would write"
            )
    if resolve(params["sequence"]) != resolve(record.get("Sequence", "")):
        raise ProvenanceError(
            f"{output}: its recorded arguments render {one_line(params['sequence'])[:200]}, "
            f"not the sequence its record names ({one_line(record.get('Sequence', ''))[:200]})"
        )
    _refuse_overwriting_inputs(
        Path(target), [resolve(record["Sequence"]), resolve(record.get("Palette") or "")]
    )
    return cwd, args


def _inputs_of(seq: Sequence) -> list[str]:
    """The files a render reads: the sequence and its palette file (if it has one)."""
    return [str(seq.source or ""), str(getattr(seq.palette, "source", "") or "")]


def _refuse_overwriting_inputs(out: Path, inputs) -> None:
    """RenderError (exit 2) when the output path is one of the input files: the render
    would replace the sequence or palette it was made from."""
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


def _terminate(signum, _frame):
    # SIGTERM unwinds like Ctrl-C so temporary outputs are removed on the way out.
    raise Terminated("terminated (SIGTERM); nothing was written")


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="render")


if __name__ == "__main__":
    main()
