"""What a sequence that loads probably got wrong: warnings, never errors.

A misspelt story track (`craks`), a track nothing follows, a track named like a palette
role (a colour parameter that says "primary" then follows the track, not the palette) and
a loop whose seam will jump all render without complaint. `lint` finds them from the
validated sequence alone, so `render check` and the render commands can say so before a
frame is drawn. Each warning names the file, the line and the key path, as errors do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from render.palette import ROLES
from render.params import Param, TrackRef
from render.sequence import Sequence, _key
from render.story import STORY_TRACKS
from render.tomlfile import Locator
from render.tracks import Track


@dataclass(frozen=True)
class SequenceWarning:
    """One thing worth a second look: shown as `file:line: key: what`, like a ConfigError."""

    file: str | None
    key: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.key}: {self.message}"


def lint(seq: Sequence, *, loop_from_option: bool = False) -> list[SequenceWarning]:
    """The sequence's warnings, in the order of its tracks. `loop_from_option`: the
    sequence loops because of `--loop`, not its own header (the warning says so)."""
    lines = Locator(seq.text) if seq.text else None
    file = str(seq.source) if seq.source is not None else None
    followed = followed_tracks(seq)
    known = sorted({"escalation", *STORY_TRACKS, *_declared_tracks(seq)})
    found: list[SequenceWarning] = []

    def warn(key: str, message: str, line: int | None = None) -> None:
        if line is None and lines is not None:
            line = lines.line_of(key)
        found.append(SequenceWarning(file, key, message, line))

    for name, track in seq.tracks.items():
        key = f"tracks.{_key(name)}"
        if name in ROLES:
            warn(
                key,
                f'named like the palette role "{name}": a colour parameter that says '
                f'"{name}" follows this track instead of the palette\'s colour; rename it',
            )
        if name not in followed:
            close = difflib.get_close_matches(name, [k for k in known if k != name], 1, 0.6)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            warn(key, f"nothing follows this track, so it changes nothing{hint}")
        elif seq.loop:
            seam = _seam_jump(track, seq)
            if seam:
                why = "--loop makes the sequence loop" if loop_from_option else "the sequence loops"
                warn(key, f"{why}, but {seam}", track.keys[-1].line)
    return found


def followed_tracks(seq: Sequence) -> frozenset[str]:
    """The tracks something reads: a parameter of an enabled layer or effect or of the
    camera names it, or a story curve that one of those follows is derived from it."""
    from render.camera import CAMERA

    direct: set[str] = set()
    for spec in seq.layers:
        if spec.enabled:
            direct |= _refs(spec.params, seq.layer(spec.type).params)
    for spec in seq.effects:
        if spec.enabled:
            direct |= _refs(spec.params, seq.effect(spec.type).params)
    direct |= _refs(seq.camera, CAMERA)
    followed: set[str] = set()
    todo = list(direct)
    while todo:
        name = todo.pop()
        if name in followed:
            continue
        followed.add(name)
        if name not in seq.tracks and name in STORY_TRACKS:  # derived: follows its inputs
            todo.extend(_inputs_of(name))
    return frozenset(followed)


def _refs(given: Mapping[str, Any], declared: Mapping[str, Param]) -> set[str]:
    names = set()
    for pname, decl in declared.items():
        value = given.get(pname, decl.default)
        if isinstance(value, TrackRef):
            names.add(value.name)
    return names


def _declared_tracks(seq: Sequence) -> Iterator[str]:
    """Every track name a layer, effect or the camera follows by default."""
    from render.camera import CAMERA
    from render.registry import EFFECTS, LAYERS

    for table in [CAMERA, *(la.params for la in LAYERS.values())]:
        yield from _refs({}, table)
    for effect in EFFECTS.values():
        yield from _refs({}, effect.params)


class _Reads(dict):
    """Values that record which names a story curve reads."""

    def __init__(self) -> None:
        super().__init__()
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> float:
        self.read.add(name)
        return 0.5

    def get(self, name: str, default: Any = None) -> float:
        return self[name]


def _inputs_of(name: str) -> set[str]:
    """The tracks the story curve `name` reads (escalation, and `wake` for some)."""
    values = _Reads()
    STORY_TRACKS[name].curve(values)
    return values.read


def _seam_jump(track: Track, seq: Sequence) -> str:
    """Why `track` jumps where the loop wraps (last frame to first), or ''. A loop eases
    from the last keyframe back to the first over the time left after it; with less
    than a frame left and a different value, that is a cut."""
    keys = track.keys
    if len(keys) < 2:
        return ""
    first, last = keys[0], keys[-1]
    room = first.time + seq.duration - last.time
    if room > 1.0 / seq.fps + 1e-9 or _same(first.value, last.value):
        return ""
    return (
        f"its last keyframe ({_show(last.value)} at {last.time:g} s) differs from its first "
        f"({_show(first.value)} at {first.time:g} s) with no time left to ease back: the loop "
        "will jump at its seam; end on the first value, or end the keyframes earlier"
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return all(abs(x - y) < 1e-6 for x, y in zip(a, b, strict=True))
    return abs(float(a) - float(b)) < 1e-9


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        from render.color import to_hex

        return to_hex(value)
    return f"{value:g}"


__all__ = ["SequenceWarning", "followed_tracks", "lint"]
