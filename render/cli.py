"""The `render` command: thin click commands over the library.

Every user-fixable problem is a `RenderError`; it is printed as one line on
stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from render import __version__, signals
from render.errors import MAX_LINE, InputError, RenderError, clip, one_line
from render.units import (
    PAPER,
    PRESETS,
    SizeLimitError,
    is_physical_size,
    parse_physical_size,
    parse_size,
    parse_time,
)

if TYPE_CHECKING:
    from render.sequence import Sequence

# The rendering modules (numpy, cairo, OpenCV, numba) are imported by the commands that
# need them, so that `render --help` starts in a fraction of a second.


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
    """Seconds, a percentage or frames ("120f"); resolved against the duration and frame
    rate once the sequence is loaded."""

    name = "SECONDS|PERCENT%|FRAMESf"

    def convert(self, value, param, ctx):
        try:
            parse_time(value, 1.0, 1.0)  # the form only; the range is checked with the sequence
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


class BytesType(click.ParamType):
    """A file size: 8MB, 500KB, 2MiB (MB = 10^6 bytes, MiB = 2^20)."""

    name = "SIZE"

    def convert(self, value, param, ctx):
        from render.budget import parse_bytes

        if isinstance(value, int):
            return value
        try:
            return parse_bytes(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


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
            signals.settled()
            _interrupted(exc)
        except OSError as exc:  # I/O outside the writers: still one line, never a traceback
            where = f"{exc.filename}: " if exc.filename else ""
            message, code = f"error: {where}{exc.strerror or exc}", 1
        except MemoryError:
            message, code = "error: out of memory; try fewer --workers or a smaller --size", 1
        click.echo(clip(one_line(message), MAX_LINE), err=True)
        sys.exit(code)

    return wrapper


def _interrupted(exc: KeyboardInterrupt) -> NoReturn:
    """Ctrl-C or SIGTERM: one line and 130 or 143, wherever it lands (click itself would
    print "Aborted!" and exit 1)."""
    click.echo(one_line(str(exc) or "interrupted; nothing was written"), err=True)
    sys.exit(getattr(exc, "exit_code", 128 + signal.SIGINT))


def _load(
    path: str, size=None, fps=None, seed=None, loop=None, memory=True, transparent=None
) -> Sequence:
    """The sequence with the command line's overrides (render.api.load)."""
    from render.api import load

    return load(
        path, size=size, fps=fps, seed=seed, loop=loop, memory=memory, transparent=transparent
    )


def _warn(seq: Sequence, loop_from_option: bool = False) -> list[str]:
    """Print what the sequence probably got wrong (render.lint) on stderr, one line each,
    before any work; returns the warnings."""
    from render.lint import lint

    found = [one_line(str(w)) for w in lint(seq, loop_from_option=loop_from_option)]
    for warning in found:
        click.echo(f"warning: {warning}", err=True)
    return found


def _note_x264_options_unused(out: str, quiet: bool) -> None:
    """--preset, --crf and --codec are MP4's: given for another format, say so (once, on
    stderr)."""
    from render import formats
    from render.encode import format_for

    ctx = click.get_current_context()
    given = [
        f"--{name}"
        for name in ("preset", "crf", "codec")
        if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
    ]
    spec = formats.FORMATS[format_for(out)]
    if given and not spec.x264 and not quiet:
        what = "a PNG folder" if spec.name == "png" else spec.label
        click.echo(
            f"note: {' and '.join(given)} set up MP4's encoder; {what} ignores them", err=True
        )


def _x264_preset(value: str) -> str:
    """--preset checked as the command line is read: x264 itself refuses an unknown name
    only once frames reach it."""
    from render.formats.mp4 import check_preset  # light: no numpy while options are read

    try:
        check_preset(value)
    except InputError as exc:
        raise click.BadParameter(str(exc).removeprefix("--preset: ")) from None
    return value


def _time(seq: Sequence, value: str | None, option: str, default: float) -> float:
    from render.api import time_of

    return time_of(seq, value, option, default)


def provenance(seq: Sequence, command: str, extra_args: list[str] | None = None) -> dict[str, str]:
    """What an output needs to be made again: written into every file's metadata.

    The arguments are the ones this command line was invoked with (captured by the group,
    so they are right under CliRunner too); `command` is only the fallback outside click.
    `extra_args` are implied by the command line and recorded as if given.
    """
    from render.provenance import make_record, metadata_for

    ctx = click.get_current_context(silent=True)
    argv = ctx.meta.get(_ARGV) if ctx is not None else None
    args = [*(argv if argv is not None else command.split()), *(extra_args or [])]
    return metadata_for(make_record(seq, args))


_ARGV = "render.argv"


class _UsageLine(click.ClickException):
    """A usage error on one line, like every other error (click's own takes four)."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def _one_line(exc: click.UsageError) -> _UsageLine:
    where = exc.ctx.command_path if exc.ctx is not None else "render"
    return _UsageLine(f"{exc.format_message()} (see '{where} --help')")


class _Group(click.Group):
    """The `render` group; remembers the raw arguments for the provenance record, and
    reports usage errors (a bad option value, an unknown command) on one line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGV] = list(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt as exc:
            _interrupted(exc)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt as exc:  # while a command's options are read and checked
            _interrupted(exc)


class Progress:
    """Frames done and frames per second on stderr: a bar on a terminal; otherwise (a log
    file, a pipe, CI) a line every `every` seconds with the time left. Nothing if quiet."""

    every = 5.0  # seconds between lines when stderr is not a terminal

    def __init__(self, total: int, label: str, quiet: bool) -> None:
        tty = sys.stderr.isatty()
        self.enabled = not quiet and tty
        self.lines = not quiet and not tty
        self.total = total
        self.label = label
        self.start = self.last_line = time.perf_counter()
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
        elif self.lines and self.done < self.total:
            now = time.perf_counter()
            if now - self.last_line >= self.every:
                self.last_line = now
                left = round((self.total - self.done) / max(self.fps, 1e-9))
                click.echo(
                    f"{self.label}: {self.done}/{self.total} frames, {self.fps:.1f} frames/s, "
                    f"about {left // 60}:{left % 60:02d} left",
                    err=True,
                )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="render")
def cli() -> None:
    """Render the neon dream: sequence files (TOML) to MP4, GIF, WebM, MOV, APNG, WebP, PNG
    and contact sheets."""


common_size = click.option(
    "--size",
    type=SIZE,
    default=None,
    help=f"Frame size WxH or a preset ({', '.join(PRESETS)}).",
)
common_seed = click.option(
    "--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Override the sequence's seed."
)
sequence_arg = click.argument("sequence", type=click.Path(dir_okay=False))
common_transparent = click.option(
    "--transparent/--opaque",
    default=None,
    help="No background: frames with a true alpha channel, glow half-transparent (PNG, "
    ".webm VP9, .mov ProRes 4444, .apng, .webp; not .mp4 or .gif). --opaque paints the "
    'palette\'s background even if the header says background = "transparent".',
)


@cli.command()
@sequence_arg
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(),
    help="Output: .mp4, .gif, .webm, .mov (ProRes 422 HQ; 4444 with --transparent), .apng, "
    ".webp (animated), or a folder for numbered PNGs.",
)
@common_size
@click.option("--fps", type=float, default=None, help="Override the frame rate.")
@common_seed
@click.option(
    "--start", type=TIME, default=None, help='Start time: seconds, "40%", or frames ("120f").'
)
@click.option("--end", type=TIME, default=None, help="End time (seconds, %, frames), exclusive.")
@click.option("--loop/--no-loop", default=None, help="Make the animation loop seamlessly.")
@common_transparent
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: every core).",
)
@click.option(
    "--preset",
    default="faster",  # render.formats.mp4.DEFAULT_PRESET (a test checks they agree)
    show_default=True,
    callback=lambda ctx, param, value: _x264_preset(value),
    # bench_vmaf on the dream: faster crf 20 is 22% smaller than veryfast crf 18 at a
    # higher VMAF; medium is 1% smaller again at 1.6x faster's encoding time.
    help="x264 preset for MP4 (medium: 1% smaller for 1.6x the encoding time; veryfast: "
    "25% bigger at the same quality, 0.7x the time).",
)
@click.option(
    "--crf",
    type=click.IntRange(0, 51),
    default=20,  # render.formats.mp4.DEFAULT_CRF
    show_default=True,
    help="Quality for MP4 (lower is better; x264/x265 0-51, SVT-AV1 0-63).",
)
@click.option(
    "--codec",
    type=click.Choice(["h264", "hevc", "av1"], case_sensitive=False),
    default="h264",
    show_default=True,
    help="MP4's codec: H.264 (x264), HEVC (x265) or AV1 (SVT-AV1).",
)
@click.option(
    "--max-size",
    "max_bytes",
    type=BytesType(),
    default=None,
    help="Make an MP4, WebM or GIF fit this size (8MB, 500KB, 2MiB): two-pass bit rate for "
    "video; for GIF fewer colours, lower fps or a smaller picture, as little as fits. "
    "Says what it gave up; exits 2 if nothing fits.",
)
@click.option(
    "--number-from-zero",
    is_flag=True,
    help="PNG folders: number the files from frame_000000.png instead of by source frame "
    "(--start 60% of a 900-frame film writes frame_000540.png onward).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="PNG folders: write frames one by one and keep them if interrupted; run again "
    "with --resume to render only the missing ones.",
)
@click.option(
    "--cluster",
    envvar="RENDER_CLUSTER",
    default=None,
    metavar="tcp://HOST:PORT|local[:N]",
    help="Render on a Dask cluster: a running scheduler's address, or `local` (`local:N`) "
    "to start N workers here. Also read from RENDER_CLUSTER.",
)
@click.option(
    "--segment",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Encode MP4/WebM as independent segments of about SECONDS (closed GOPs), joined "
    "without re-encoding, as --cluster does (default 2): the two then decode alike. With "
    "--cluster, also the size of a task.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@friendly
def animate(
    sequence, out, size, fps, seed, start, end, loop, transparent, workers, preset, crf, codec,
    max_bytes, number_from_zero, resume, cluster, segment, quiet,
):  # fmt: skip
    """Render SEQUENCE to an animation; the format follows OUT's suffix."""
    from render.api import animate as render_animation, check_animation

    spec = _cluster_spec(cluster)
    seq = _load(sequence, size, fps, seed, transparent=transparent)
    looped_by_option = bool(loop) and not seq.loop
    seq = seq.replace(loop=loop) if loop is not None else seq
    out_path = Path(out)
    check_animation(
        seq, out, start=start, end=end, preset=preset, resume=resume, max_bytes=max_bytes,
        segmented=segment is not None or spec is not None,
    )  # fmt: skip
    _warn(seq, loop_from_option=looped_by_option)
    _note_x264_options_unused(out, quiet)
    implied = _implied(out, spec, segment)
    session = _cluster_session(spec)  # connected before anything is written
    bar: list[Progress] = []

    def started(total: int) -> None:
        bar.append(Progress(total, out_path.name, quiet))

    try:
        done = render_animation(
            seq,
            out,  # as given: a trailing slash says "a folder"
            workers=workers,
            progress=lambda n: bar[0](n),
            start=start,
            end=end,
            preset=preset,
            crf=crf,
            codec=codec.lower(),
            number_from_zero=number_from_zero,
            max_bytes=max_bytes,
            resume=resume,
            metadata=provenance(seq, "animate " + " ".join(sys.argv[2:]), implied),
            on_start=started,
            segment=segment,
            cluster=session,
        )
    finally:
        for b in bar:
            b.close()
    if done.note:  # what the size budget cost: said even with --quiet
        from render.budget import show_bytes

        click.echo(f"note: {out_path} fits {show_bytes(max_bytes)}: {done.note}", err=True)
    if not quiet:
        secs = time.perf_counter() - bar[0].start
        kept = f", {done.kept} kept from before" if done.kept else ""
        on = f" on {session.address} ({session.workers} workers)" if session else ""
        click.echo(
            f"wrote {out_path} ({done.frames} frames{kept}, {seq.width}x{seq.height}, "
            f"{seq.fps:g} fps) in {secs:.1f} s, {done.frames / max(secs, 1e-9):.1f} frames/s" + on,
            err=True,
        )
        if done.seam is not None:
            click.echo(
                f"loop seam score {done.seam:.2f} (lower is better: up to about 1 the wrap "
                "looks like any other step; well above 1 it shows a jump)",
                err=True,
            )


def _cluster_spec(value: str | None):
    """--cluster / RENDER_CLUSTER parsed (InputError when malformed), or None: render here."""
    if not value:
        return None
    from render.cluster import parse_cluster

    return parse_cluster(value)


def _cluster_session(spec):
    """A session on the cluster, closed when the command ends however it ends."""
    if spec is None:
        return None
    from render.cluster import connect

    return click.get_current_context().with_resource(connect(spec))


def _implied(out_path: str, spec, segment: float | None) -> list[str]:
    """A cluster encodes MP4/WebM in segments: recorded, so `reproduce` does the same here."""
    from render.encode import format_for
    from render.segments import DEFAULT_SECONDS, VIDEO_FORMATS

    if spec is None or segment is not None or format_for(out_path) not in VIDEO_FORMATS:
        return []
    return ["--segment", f"{DEFAULT_SECONDS:g}"]


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
@click.option(
    "--at", "at", type=TIME, required=True,
    help='Time of the still: seconds, "40%", or a frame ("120f").',
)  # fmt: skip
@click.option(
    "-o", "--output", "out", required=True, type=click.Path(), help="Output: .png, .pdf or .svg."
)
@click.option(
    "--size",
    type=StillSizeType(),
    default=None,
    help=f"Pixels WxH or a preset ({', '.join(PRESETS)}), or a print size like 30x20cm, "
    "12x8in, 420x297mm.",
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
@common_transparent
@click.option("-q", "--quiet", is_flag=True)
@friendly
def still(sequence, at, out, size, paper, portrait, dpi, seed, transparent, quiet):
    """Render one frame of SEQUENCE at time T to a PNG, or for print to a PDF or SVG page."""
    from render import printing
    from render.api import (
        inputs_of,
        refuse_folder,
        refuse_overwriting_inputs,
        refuse_transparent_print,
        still as render_still,
    )

    refuse_folder(out, "a still")
    out_path = Path(out)
    printing.still_format(out_path)
    pixels = size if size is not None and len(size) == 2 else None
    seq = _load(sequence, pixels, None, seed, transparent=transparent)
    refuse_overwriting_inputs(out_path, inputs_of(seq))
    job = printing.plan_still(out_path, seq.size, size, paper, portrait, dpi)
    refuse_transparent_print(seq, job.format)
    _warn(seq)
    if job.is_print:
        warning = printing.gamut_warning(seq.palette)
        if warning:
            click.echo(warning, err=True)
    seq = seq.replace(size=job.pixels) if job.pixels != seq.size else seq
    meta = provenance(seq, "still " + " ".join(sys.argv[2:]))
    job, index = render_still(
        seq, at, out_path, size=size, paper=paper, portrait=portrait, dpi=dpi, metadata=meta
    )
    if not quiet:
        click.echo(f"wrote {out_path} (frame {index}, {job.describe()})", err=True)


@cli.command()
@sequence_arg
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
@click.option(
    "--plot",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also draw every track's curve, keyframes and the beats to this PNG.",
)
@friendly
def check(sequence, as_json, plot):
    """Validate SEQUENCE and print its timeline of tracks and keyframes."""
    from render.api import inputs_of, refuse_overwriting_inputs
    from render.color import to_hex
    from render.sequence import load_sequence

    seq = load_sequence(sequence)
    if plot is not None:
        from render.curves import plot_curves

        refuse_overwriting_inputs(Path(plot), inputs_of(seq))
        plot_curves(seq, plot)
        click.echo(f"wrote {plot}", err=True)
    warnings = _warn(seq)  # after any error: a refused command prints only that
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
                    "warnings": warnings,
                },
                indent=2,
            )
        )
        return
    click.echo(f"{one_line(seq.title)}  ({one_line(sequence)})")
    click.echo(
        f"  {seq.duration:g} s at {seq.fps:g} fps = {seq.frames} frames, "
        f"{seq.width}x{seq.height}, seed {seq.seed}, palette {one_line(seq.palette.name)}"
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
    from render.api import inputs_of, refuse_folder, refuse_overwriting_inputs
    from render.encode import write_png
    from render.pipeline import default_workers
    from render.sheet import contact_sheet, sheet_layout

    refuse_folder(out, "a contact sheet")
    out_path = Path(out)
    if out_path.suffix.lower() != ".png":
        raise InputError(f"{out_path}: contact sheets are written as .png")
    seq = _load(sequence, None, None, seed, memory=False)
    refuse_overwriting_inputs(out_path, inputs_of(seq))
    sheet_layout(seq, count, columns, thumb)  # refuses a sheet too big, before rendering
    _warn(seq)
    progress = Progress(count, "sheet", quiet)
    try:
        rgb = contact_sheet(seq, count, columns, thumb, workers or default_workers(), progress)
    finally:
        progress.close()
    write_png(out_path, rgb, metadata=provenance(seq, "sheet " + " ".join(sys.argv[2:])))
    if not quiet:
        click.echo(f"wrote {out_path}", err=True)


@cli.command()
@sequence_arg
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the page in a browser.")
@click.option(
    "--workers",
    type=click.IntRange(1, 16),
    default=2,
    show_default=True,
    help="Processes rendering frames.",
)
@friendly
def preview(sequence, host, port, open_browser, workers):
    """Preview SEQUENCE live in the browser: scrub, play, and see each save of the file."""
    from render.preview import serve

    try:
        serve(
            sequence,
            host=host,
            port=port,
            open_browser=open_browser,
            workers=workers,
            announce=lambda url: click.echo(url),
            warn=lambda message: click.echo(one_line(message), err=True),
        )
    except KeyboardInterrupt as exc:
        if isinstance(exc, Terminated):
            raise
        click.echo("preview stopped", err=True)


@cli.command()
@friendly
def palettes():
    """List the palettes with colour swatches, where each was found and, for GIMP
    palettes, how their colours became roles. Search order: palettes/ here and in the
    parent folder, the user's folder, the built-in palettes."""
    from render.color import to_hex
    from render.palette import available_palettes, origin

    for pal in available_palettes(Path.cwd()):
        swatches = ""
        if sys.stdout.isatty():
            for rgb in pal.colors.values():
                swatches += click.style("  ", bg=tuple(round(c * 255) for c in rgb))
        roles = " ".join(f"{role}={to_hex(rgb)}" for role, rgb in pal.colors.items())
        note = " (print-safe)" if pal.print_safe else ""
        name, about = one_line(pal.name), one_line(pal.description)
        click.echo(f"{name:<10} {swatches} {about}{note}")
        click.echo(f"{'':<10} {roles}")
        click.echo(f"{'':<10} {origin(pal.source)}: {one_line(pal.source)}")
        for role, how in pal.mapping.items():
            click.echo(f"{'':<10}   {role}: {how}")


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
    from render.api import refuse_overwriting_inputs
    from render.encode import MANIFEST
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
    if name == "animate" and Path(output).suffix.lower() == ".png" and not os.path.isdir(output):
        # One frame of a PNG folder carries the folder's record: it is made with the rest.
        here = Path(output).parent
        folder = here if (here / MANIFEST).is_file() else Path(params["out"])
        shown = one_line(str(folder))[:200]
        raise ProvenanceError(
            f"{output}: is one frame of the PNG folder {shown}; reproduce the folder: "
            f"render reproduce {shlex.quote(shown)}"
        )
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
    refuse_overwriting_inputs(
        Path(target), [resolve(record["Sequence"]), resolve(record.get("Palette") or "")]
    )
    return cwd, args


def _terminate(signum, _frame):
    # SIGTERM unwinds like Ctrl-C so temporary outputs are removed on the way out.
    signals.deliver(Terminated("terminated (SIGTERM); nothing was written"))


def _interrupt(signum, _frame):
    signals.deliver(KeyboardInterrupt())


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)
    sys.unraisablehook = signals.quiet_when_swallowed
    cli(prog_name="render")


if __name__ == "__main__":
    main()
