"""The `render` command: thin click commands over the library.

Every user-fixable problem is a `RenderError`; it is printed as one line on
stderr with a non-zero exit status, never as a traceback.
"""

from __future__ import annotations

import functools
import json
import math
import signal
import sys
import time
from pathlib import Path

import click

from render import __version__
from render.color import to_hex
from render.errors import RenderError
from render.palette import available_palettes
from render.seam import frame_difference, seam_score_from
from render.sequence import Sequence, load_sequence
from render.units import parse_size, parse_time


class SizeType(click.ParamType):
    name = "WxH|preset"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        try:
            return parse_size(value)
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


def friendly(fn):
    """Turn RenderErrors and Ctrl-C into one line and an exit status."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RenderError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)

    return wrapper


def _load(path: str, size=None, fps=None, seed=None, loop=None) -> Sequence:
    seq = load_sequence(path)
    changes = {}
    if size is not None:
        changes["size"] = size
    if fps is not None:
        if not 0 < fps <= 240:
            raise RenderError(f"--fps: expected a frame rate above 0 and at most 240, got {fps:g}")
        changes["fps"] = float(fps)
    if seed is not None:
        changes["seed"] = seed
    if loop is not None:
        changes["loop"] = loop
    return seq.replace(**changes) if changes else seq


def _time(seq: Sequence, value: str | None, option: str, default: float) -> float:
    if value is None:
        return default
    t = parse_time(value, seq.duration)
    if not 0 <= t <= seq.duration:
        raise RenderError(f"{option}: expected a time within 0..{seq.duration:g} s, got {value}")
    return t


def provenance(seq: Sequence, command: str) -> dict[str, str]:
    """What an output needs to be made again: written into every file's metadata."""
    record = {
        "Software": f"neon-dream-render {__version__}",
        "Title": seq.title,
        "Seed": str(seq.seed),
        "Sequence": str(seq.source) if seq.source else "",
        "SequenceSHA256": seq.source_hash,
        "Size": f"{seq.width}x{seq.height}",
        "Command": command,
    }
    # MP4 keeps only the keys its muxer knows, so the whole record also rides in "comment".
    return {**record, "comment": json.dumps(record, sort_keys=True), "title": seq.title}


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--preset", default="medium", show_default=True, help="x264 preset for MP4.")
@click.option(
    "--crf",
    type=click.IntRange(0, 51),
    default=18,
    show_default=True,
    help="Quality for MP4 (lower is better).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@friendly
def animate(sequence, out, size, fps, seed, start, end, loop, workers, preset, crf, quiet):
    """Render SEQUENCE to an animation; the format follows OUT's suffix."""
    from render.encode import check_size, format_for, open_writer
    from render.pipeline import default_workers, render_frames

    seq = _load(sequence, size, fps, seed, loop)
    out_path = Path(out)
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
    workers = workers or default_workers()
    meta = provenance(seq, "animate " + " ".join(sys.argv[2:]))
    progress = Progress(len(indices), f"{out_path.name}", quiet)
    try:
        with open_writer(
            out_path, seq.size, seq.fps, metadata=meta, preset=preset, crf=crf
        ) as writer:
            first_frame = last_frame = None
            diffs = []
            prev = None
            for frame in render_frames(seq, indices, workers=workers, progress=progress):
                writer.write(frame)
                if seq.loop:
                    small = frame[::4, ::4].copy()
                    if first_frame is None:
                        first_frame = small
                    if prev is not None:
                        diffs.append(frame_difference(small, prev))
                    prev = last_frame = small
    finally:
        progress.close()
    if not quiet:
        secs = time.perf_counter() - progress.start
        click.echo(
            f"wrote {out_path} ({len(indices)} frames, {seq.width}x{seq.height}, "
            f"{seq.fps:g} fps) in {secs:.1f} s, {len(indices) / secs:.1f} frames/s",
            err=True,
        )
        if seq.loop and diffs and first_frame is not None:
            seam = seam_score_from(first_frame, last_frame, diffs)
            click.echo(f"loop seam score {seam:.2f} (1.0 is perfect)", err=True)


@cli.command()
@sequence_arg
@click.option("--at", "at", type=TIME, required=True, help="Time of the still (seconds or %).")
@click.option("-o", "--output", "out", required=True, type=click.Path(), help="Output PNG.")
@common_size
@common_seed
@click.option("-q", "--quiet", is_flag=True)
@friendly
def still(sequence, at, out, size, seed, quiet):
    """Render one frame of SEQUENCE at time T to a PNG."""
    from render.encode import write_png
    from render.frame import Renderer

    seq = _load(sequence, size, None, seed)
    out_path = Path(out)
    if out_path.suffix.lower() != ".png":
        raise RenderError(f"{out_path}: stills are written as .png")
    index = seq.index_at(_time(seq, at, "--at", 0.0))
    rgb = Renderer(seq).render(index)
    write_png(out_path, rgb, metadata=provenance(seq, "still " + " ".join(sys.argv[2:])))
    if not quiet:
        click.echo(f"wrote {out_path} (frame {index}, {seq.width}x{seq.height})", err=True)


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
    from render.sheet import contact_sheet

    seq = _load(sequence, None, None, seed)
    out_path = Path(out)
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


def _terminate(signum, _frame):
    # SIGTERM unwinds like Ctrl-C so temporary outputs are removed on the way out.
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _terminate)
    cli(prog_name="render")


if __name__ == "__main__":
    main()
