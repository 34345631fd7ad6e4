"""Declared parameters: every input of a layer, an effect or the camera, declared once.

A `Param` says what a sequence may write for one input: its kind (a number with its
range, a story track, a colour, text or a flag), its default and a line of doc. The
sequence loader validates from these declarations, `render check` checks constants and
keyframed tracks against the ranges (easings that overshoot included), and the tables
in `docs/sequences.md` are generated from them (`python -m render.docs`).

Kinds:

- ``number``: a constant within ``lo..hi``, or the name of a numeric track;
- ``track``: the same, but it follows a story track unless the sequence says otherwise
  (its default is a `TrackRef`);
- ``colour``: a palette role, ``"#rrggbb"`` or the name of a colour track;
- ``text`` and ``flag``: a string and true/false.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["number", "track", "colour", "text", "flag"]


@dataclass(frozen=True)
class TrackRef:
    """A parameter that follows a track (or a story curve derived from escalation)
    instead of holding a constant."""

    name: str


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    default: Any
    doc: str
    lo: float | None = None
    hi: float | None = None
    unit: str = ""  # how the docs name the number's unit ("Hz", "of the height")

    @property
    def numeric(self) -> bool:
        return self.kind in ("number", "track")

    def in_range(self, value: float) -> bool:
        lo = -float("inf") if self.lo is None else self.lo
        hi = float("inf") if self.hi is None else self.hi
        return lo - 1e-9 <= value <= hi + 1e-9

    def describe_range(self) -> str:
        if self.lo is not None and self.hi is not None:
            return f"{self.lo:g}..{self.hi:g}"
        if self.lo is not None:
            return f">= {self.lo:g}"
        if self.hi is not None:
            return f"<= {self.hi:g}"
        return "any number"

    def describe_default(self) -> str:
        if isinstance(self.default, TrackRef):
            return f"track `{self.default.name}`"
        if self.kind == "flag":
            return "true" if self.default else "false"
        if self.kind == "number":
            return f"{self.default:g}" + (f" {self.unit}" if self.unit else "")
        return f"`{self.default}`" if self.kind == "colour" else f'"{self.default}"'


def number(
    name: str,
    default: float,
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
) -> Param:
    return Param(name, "number", float(default), doc, lo, hi, unit)


def track(
    name: str, doc: str, follows: str | None = None, lo: float = 0.0, hi: float = 1.0
) -> Param:
    """A number that follows the story track `follows` (default: the parameter's name)."""
    return Param(name, "track", TrackRef(follows or name), doc, lo, hi)


def colour(name: str, default: str, doc: str) -> Param:
    return Param(name, "colour", default, doc)


def text(name: str, default: str, doc: str) -> Param:
    return Param(name, "text", default, doc)


def flag(name: str, default: bool, doc: str) -> Param:
    return Param(name, "flag", bool(default), doc)


def table(params: Iterable[Param]) -> Mapping[str, Param]:
    """Declarations by name; a name declared twice is a programming error."""
    out: dict[str, Param] = {}
    for p in params:
        if p.name in out:
            raise ValueError(f"parameter {p.name!r} declared twice")
        out[p.name] = p
    return out


__all__ = ["Param", "TrackRef", "colour", "flag", "number", "table", "text", "track"]
