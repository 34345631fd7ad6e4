"""Provenance: what every output records about how it was made, and reading it back.

Every output carries one *record* (a flat dict of strings): the tool and its version, the
seed, the sequence file as it was named on the command line and the SHA-256 of its bytes,
the palette file and its hash, the frame size and rate, the working folder and the exact
arguments as a JSON list (argv after the program name). A render on a Dask cluster also
records the cluster (``Cluster``) and its worker count (``ClusterWorkers``) -- but not in
a PNG folder's frames, only in its manifest, so that frames are byte for byte the same
wherever they were rendered. Where it lives:

- PNG stills, sheets and every frame of a PNG folder: one text chunk per key, plus the
  whole record as JSON in ``comment``;
- PNG folders: also the folder's manifest (``.render.json``, key ``record``);
- MP4 / WebM / MOV: the JSON in the container's ``comment`` tag (MP4 keeps no custom keys);
- GIF: the JSON in a GIF Comment Extension (written by ``render.formats.gif``);
- APNG: the JSON in an iTXt ``comment`` chunk; animated WebP: in its XMP chunk;
- PDF: the JSON in the document's Subject (written by ``render.printing``; see
  :func:`pdf_metadata`); SVG: the JSON in a ``<provenance>`` metadata element.
  :data:`READERS` maps a suffix to the function that reads a record back.

`render reproduce OUT` reads the record back (:func:`read_record`), checks that the inputs
are still there and unchanged (:func:`check_inputs`) and re-runs the same arguments from
the same working folder (:func:`replay`).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shlex
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from render import __version__
from render.errors import RenderError
from render.tomlfile import not_a_file

SOFTWARE = "neon-dream-render"

# Flags that change how a render runs, never what it makes: left out of the recorded
# arguments, so a resumed render records the same thing as an uninterrupted one.
_NOT_RECORDED = ("--resume",)
# The same for options with a value: where a render ran is recorded apart (cluster_fields),
# so that `render reproduce` runs here rather than on a cluster that may be gone.
_NOT_RECORDED_WITH_VALUE = ("--cluster",)


class ProvenanceError(RenderError):
    """An output's record is missing, unreadable, or its inputs changed (exit status 2)."""

    exit_code = 2


# --------------------------------------------------------------------------- writing


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_record(
    seq, argv: Sequence[str], cwd: str | None = None, cluster: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The record for an output of `seq` made by `render <argv...>` run in `cwd`, on the
    cluster `cluster` describes (:func:`cluster_fields`) if any."""
    args = _recorded(argv)
    palette_source = getattr(seq.palette, "source", "") or ""
    palette_hash = ""
    if palette_source:
        try:
            palette_hash = file_sha256(palette_source)
        except OSError:
            palette_hash = ""
    return {
        "Software": f"{SOFTWARE} {__version__}",
        "Version": __version__,
        "Title": seq.title,
        "Seed": str(seq.seed),
        "Sequence": str(seq.source) if seq.source else "",
        "SequenceSHA256": seq.source_hash,
        "Palette": str(palette_source),
        "PaletteSHA256": palette_hash,
        "Size": f"{seq.width}x{seq.height}",
        "Fps": f"{seq.fps:g}",
        "Command": shlex.join(args),
        "Arguments": json.dumps(args),
        "Cwd": cwd if cwd is not None else os.getcwd(),
        # a transparent render says so (from --transparent or the sequence's header)
        **({"Background": "transparent"} if getattr(seq, "transparent", False) else {}),
        **(cluster or {}),
    }


def cluster_fields(address: str, workers: int) -> dict[str, str]:
    """What a record says about the Dask cluster a render ran on."""
    return {"Cluster": address, "ClusterWorkers": str(workers)}


def _recorded(argv: Sequence[str]) -> list[str]:
    args: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _NOT_RECORDED_WITH_VALUE:
            skip = True
        elif arg not in _NOT_RECORDED and not arg.startswith(
            tuple(f"{name}=" for name in _NOT_RECORDED_WITH_VALUE)
        ):
            args.append(arg)
    return args


def metadata_for(record: Mapping[str, str]) -> dict[str, str]:
    """Container/PNG metadata for a record: each key, the whole record as JSON in "comment"
    (MP4 keeps only the keys its muxer knows) and the title."""
    return {
        **record,
        "comment": json.dumps(dict(record), sort_keys=True),
        "title": record.get("Title", ""),
    }


def pdf_metadata(record: Mapping[str, str]) -> dict[str, str]:
    """Hook for the print work: the record as PDF document metadata (cairo's
    PDFSurface.set_metadata takes TITLE, CREATOR, SUBJECT, KEYWORDS ...). The whole record
    goes in the subject as JSON so a PDF reader can be added to READERS later."""
    return {
        "title": record.get("Title", ""),
        "creator": record.get("Software", SOFTWARE),
        "subject": json.dumps(dict(record), sort_keys=True),
    }


# --------------------------------------------------------------------------- reading


def _from_json(text: str | bytes | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and "Arguments" in data:
        return {str(k): str(v) for k, v in data.items()}
    return None


def _read_png(path: Path) -> dict[str, str] | None:
    from PIL import Image

    with Image.open(path) as im:
        text = dict(getattr(im, "text", {}) or {})
    return _from_json(text.get("comment")) or (text if "Arguments" in text else None)


def _read_folder(path: Path) -> dict[str, str] | None:
    from render.encode import read_manifest

    manifest = read_manifest(path)
    if manifest and isinstance(manifest.get("record"), dict):
        return {str(k): str(v) for k, v in manifest["record"].items()}
    for frame in sorted(path.glob("frame_*.png"))[:1]:
        return _read_png(frame)
    return None


def _read_gif(path: Path) -> dict[str, str] | None:
    from render.formats.gif import read_gif_comments

    for comment in read_gif_comments(path):
        record = _from_json(comment)
        if record:
            return record
    return None


def _read_webp(path: Path) -> dict[str, str] | None:
    from render.formats.webp import read_xmp_text

    return _from_json(read_xmp_text(path.read_bytes()))


def _unescape_ffmetadata(value: str) -> str:
    out, chars = [], iter(value)
    for c in chars:
        out.append(next(chars, "") if c == "\\" else c)
    return "".join(out)


def _read_video(path: Path) -> dict[str, str] | None:
    from render.ffmpeg import ffmpeg_exe as _ffmpeg_exe

    try:
        result = subprocess.run(
            [_ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProvenanceError(f"{path}: could not read its metadata with ffmpeg: {exc}") from exc
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProvenanceError(
            f"{path}: ffmpeg could not read it: {detail[-1] if detail else 'unknown error'}"
        )
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.lower() == "comment":
            record = _from_json(_unescape_ffmetadata(value))
            if record:
                return record
    return None


# A record is a few kilobytes; a PDF string longer than this is not one.
_MAX_PDF_STRING = 1 << 20
# Where to look: cairo writes one Info dictionary, near the end. A file of thousands of
# `/Subject(` (each opening a string that never closes) is not scanned once per mention.
_MAX_SUBJECTS = 8
_PDF_SPECIAL = re.compile(rb"[()\\]")
_PDF_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_string(data: bytes, at: int) -> bytes | None:
    """The PDF string object starting at `at`: <hex> or (literal, with escapes); None if
    there is none, or it runs on past _MAX_PDF_STRING bytes."""
    while at < len(data) and data[at : at + 1].isspace():
        at += 1
    if data[at : at + 1] == b"<":
        end = data.find(b">", at, at + 2 * _MAX_PDF_STRING)
        digits = re.sub(rb"\s", b"", data[at + 1 : end]) if end > 0 else b""
        try:
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        except ValueError:
            return None
    if data[at : at + 1] != b"(":
        return None
    out, depth, i = bytearray(), 1, at + 1
    stop = min(len(data), at + _MAX_PDF_STRING)
    while (m := _PDF_SPECIAL.search(data, i, stop)) is not None:
        out += data[i : m.start()]
        c, i = data[m.start() : m.start() + 1], m.end()
        if c == b"\\":
            octal = re.match(rb"[0-7]{1,3}", data[i : i + 3])
            if octal:
                out.append(int(octal.group(0), 8) & 0xFF)
                i += len(octal.group(0))
                continue
            nxt = data[i : i + 1]
            out += _PDF_ESCAPES.get(nxt, nxt if nxt not in b"\r\n" else b"")
            i += 1
            continue
        depth += 1 if c == b"(" else -1
        if depth == 0:
            return bytes(out)
        out += c
    return None


def _read_pdf(path: Path) -> dict[str, str] | None:
    """The record in a PDF's Subject (see pdf_metadata), as cairo writes it."""
    data = path.read_bytes()
    subjects = [m.end() for m in re.finditer(rb"/Subject", data)]
    for at in reversed(subjects[-_MAX_SUBJECTS:]):
        raw = _pdf_string(data, at)
        if raw is None:
            continue
        utf16 = raw[:2] == b"\xfe\xff"
        text = raw[2:].decode("utf-16-be", "replace") if utf16 else raw.decode("latin-1")
        record = _from_json(text)
        if record:
            return record
    return None


def _read_svg(path: Path) -> dict[str, str] | None:
    text = path.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<provenance[^>]*>(.*?)</provenance>", text, re.S)
    return _from_json(html.unescape(m.group(1))) if m else None


READERS: dict[str, Callable[[Path], dict[str, str] | None]] = {
    ".png": _read_png,
    ".gif": _read_gif,
    ".mp4": _read_video,
    ".webm": _read_video,
    ".mov": _read_video,
    ".apng": _read_png,
    ".webp": _read_webp,
    ".pdf": _read_pdf,
    ".svg": _read_svg,
}


def read_record(path: str | os.PathLike[str]) -> dict[str, str]:
    """The record an output carries; ProvenanceError if there is none or it can't be read."""
    path = Path(path)
    if not path.exists():
        raise ProvenanceError(f"{path}: no such file or folder")
    problem = not_a_file(path.stat().st_mode)
    if problem is not None:  # a named pipe would keep the reader waiting for ever
        raise ProvenanceError(f"{path}: {problem}")
    if path.is_dir():
        reader = _read_folder
    else:
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            known = ", ".join([*READERS, "a PNG folder"])
            raise ProvenanceError(
                f"{path}: can't read a render record from {path.suffix or 'this file'} "
                f"(readable: {known})"
            )
    try:
        record = reader(path)
    except ProvenanceError:
        raise
    except (OSError, ValueError, SyntaxError) as exc:  # Pillow: SyntaxError for bad PNGs
        raise ProvenanceError(f"{path}: could not read its render record: {exc}") from exc
    if not record:
        raise ProvenanceError(
            f"{path}: carries no render record (not made by render, or its metadata was stripped)"
        )
    return record


# --------------------------------------------------------------------------- reproducing


def _args(record: Mapping[str, str], out: Path) -> list[str]:
    try:
        args = json.loads(record.get("Arguments", ""))
    except ValueError:
        args = None
    if not isinstance(args, list) or not args or not all(isinstance(a, str) for a in args):
        raise ProvenanceError(f"{out}: its record has no usable command arguments")
    return args


def check_inputs(record: Mapping[str, str], out: str | os.PathLike[str]) -> None:
    """Raise ProvenanceError saying exactly what is missing or changed since `out` was made."""
    out = Path(out)
    _args(record, out)
    if record.get("Version") and record["Version"] != __version__:
        raise ProvenanceError(
            f"{out} was rendered by {SOFTWARE} {record['Version']}, this is {__version__}; "
            "the pixels may differ, so it can't be reproduced exactly"
        )
    cwd = record.get("Cwd", "")
    if not cwd or not Path(cwd).is_dir():
        raise ProvenanceError(
            f"{out} was rendered in {cwd or 'an unrecorded folder'}, which no longer exists"
        )
    for label, key, digest_key in (
        ("sequence", "Sequence", "SequenceSHA256"),
        ("palette", "Palette", "PaletteSHA256"),
    ):
        name, want = record.get(key, ""), record.get(digest_key, "")
        if not name or not want:
            if label == "sequence":
                raise ProvenanceError(f"{out}: its record names no sequence file")
            continue
        file = Path(cwd, name)
        if not file.is_file():
            raise ProvenanceError(
                f"{name}: the {label} {out} was rendered from is missing (looked for {file})"
            )
        have = file_sha256(file)
        if have != want:
            raise ProvenanceError(
                f"{name} has changed since {out} was rendered "
                f"(sha256 now {have[:12]}… != {want[:12]}… then)"
            )


def recorded_arguments(record: Mapping[str, str], out: str | os.PathLike[str]) -> list[str]:
    """The recorded arguments (argv after the program name), as untrusted data: a list of
    strings or ProvenanceError. What they may ask for is checked by the caller."""
    return _args(record, Path(out))


def with_output(args: list[str], target: str) -> list[str]:
    """`args` with its one output option pointed at `target`. The caller parses the result
    and checks that the output it names is `target`: a record that names the output twice,
    or hides it in a bundle of short flags, is refused there, not guessed at here."""
    args = list(args)
    for i, arg in enumerate(args):
        if arg in ("-o", "--output") and i + 1 < len(args):
            args[i + 1] = target
        elif arg.startswith("--output="):
            args[i] = "--output=" + target
        elif arg.startswith("-o") and len(arg) > 2 and not arg.startswith("--"):
            args[i] = "-o" + target
        else:
            continue
        return args
    raise ProvenanceError("its recorded command has no output option (-o)")
