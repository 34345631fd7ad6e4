"""Sequence files: TOML in, a validated frozen `Sequence` out.

Validation happens here, once, at the boundary. Every problem becomes a
`ConfigError` naming the file, the key path and (where it can be found) the
line, so the rest of the renderer only ever sees clean data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from render.color import RGB, parse_color
from render.easing import parse_easing
from render.errors import ConfigError, did_you_mean
from render.palette import ROLES, Palette, find_palette
from render.scene import TrackRef
from render.story import DERIVED
from render.tracks import Keyframe, Track
from render.units import MAX_SIDE, parse_size, parse_time

MAX_FPS = 240
MAX_FRAMES = 100_000
MAX_DURATION = 3600.0

HEADER_KEYS = ("title", "duration", "fps", "size", "seed", "palette", "loop", "description")
TOP_KEYS = ("sequence", "tracks", "layers", "effects")
KEY_KEYS = ("at", "value", "ease")


@dataclass(frozen=True)
class ElementSpec:
    """One entry of [[layers]] or [[effects]]: a registered name and its parameters."""

    type: str
    params: Mapping[str, Any]
    enabled: bool = True


@dataclass(frozen=True)
class Sequence:
    title: str
    duration: float
    fps: float
    size: tuple[int, int]
    seed: int
    palette: Palette
    loop: bool
    tracks: Mapping[str, Track]
    layers: tuple[ElementSpec, ...]
    effects: tuple[ElementSpec, ...]
    source: Path | None = None
    source_hash: str = ""
    description: str = ""
    text: str = field(default="", repr=False, compare=False)

    def __reduce__(self):
        # Easings are closures and tables are read-only proxies, neither picklable: a worker
        # process rebuilds the sequence from its text, then applies the same overrides.
        overrides = {"size": self.size, "fps": self.fps, "seed": self.seed, "loop": self.loop}
        return (_rebuild, (self.text, self.source, overrides))

    @property
    def frames(self) -> int:
        return max(1, round(self.duration * self.fps))

    @property
    def width(self) -> int:
        return self.size[0]

    @property
    def height(self) -> int:
        return self.size[1]

    def time_of(self, index: int) -> float:
        return index / self.fps

    def index_at(self, t: float) -> int:
        """The frame shown at time t (clamped to the sequence)."""
        return min(max(int(math.floor(t * self.fps + 1e-6)), 0), self.frames - 1)

    def replace(self, **changes: Any) -> Sequence:
        return dataclasses.replace(self, **changes)

    def sample(self, t: float) -> dict[str, float | RGB]:
        """Every track's value at time t, finer tracks derived from escalation when absent."""
        values: dict[str, float | RGB] = {
            name: track.sample(t, self.duration, self.loop) for name, track in self.tracks.items()
        }
        escalation = float(values.get("escalation", 0.0))  # type: ignore[arg-type]
        values["escalation"] = escalation
        for name, curve in DERIVED.items():
            if name not in values:
                values[name] = curve(escalation)
        return values


# --------------------------------------------------------------------------- loading


def _rebuild(text: str, source: Path | None, overrides: dict[str, Any]) -> Sequence:
    return parse_sequence(text, source=source).replace(**overrides)


def load_sequence(path: str | Path) -> Sequence:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(path, "", "is a folder, expected a .toml sequence file") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read: {exc.strerror}") from None
    return parse_sequence(data, source=path)


def parse_sequence(data: bytes | str, source: Path | None = None) -> Sequence:
    raw = data.encode() if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, "", f"not UTF-8 text (byte {exc.start})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", msg)
        raise ConfigError(source, "", f"not valid TOML: {msg}", line=line) from None
    return _Loader(doc, text, source, hashlib.sha256(raw).hexdigest()).build()


class _Loader:
    def __init__(self, doc: dict, text: str, source: Path | None, digest: str) -> None:
        self.doc = doc
        self.text = text
        self.lines = text.splitlines()
        self.source = source
        self.digest = digest

    # -- errors -----------------------------------------------------------------------

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message, line=self.line_of(key))

    def line_of(self, key: str) -> int | None:
        """Best-effort line of a key path (tomllib keeps none), for editors that jump to file:line.

        Finds the table that owns the key ([a.b], or the nth [[a]] for an indexed array of
        tables), then the first `leaf =` after it.
        """
        names = re.findall(r"[^.\[\]]+", key)
        index = re.match(r"^[^.\[]+\[(\d+)\]", key)
        if not names:
            return None
        start = -1
        if index and names[0] in ("layers", "effects"):
            heads = [
                i
                for i, ln in enumerate(self.lines)
                if re.match(rf"\s*\[\[\s*{names[0]}\s*\]\]", ln)
            ]
            if int(index.group(1)) < len(heads):
                start = heads[int(index.group(1))]
            names = names[2:]
        else:
            for depth in range(len(names), 0, -1):
                head = r"\s*\.\s*".join(re.escape(n) for n in names[:depth])
                hit = next(
                    (i for i, ln in enumerate(self.lines) if re.match(rf"\s*\[\s*{head}\s*\]", ln)),
                    None,
                )
                if hit is not None:
                    start, names = hit, names[depth:]
                    break
        leaf = next((n for n in reversed(names) if not n.isdigit()), None)
        if leaf is not None:
            for i in range(start + 1, len(self.lines)):
                if start >= 0 and re.match(r"\[", self.lines[i]):  # the next table
                    break
                if re.search(rf"(^|[{{,\s]){re.escape(leaf)}\s*=", self.lines[i]):
                    return i + 1
        return start + 1 if start >= 0 else None

    def check_keys(self, table: Mapping, allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                path = f"{prefix}.{key}" if prefix else key
                raise self.fail(
                    path,
                    f"unknown key{did_you_mean(key, allowed)}; "
                    f"expected one of {', '.join(allowed)}",
                )

    def table(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {type_name(value)}")
        return value

    # -- the document -----------------------------------------------------------------

    def build(self) -> Sequence:
        doc = self.doc
        self.check_keys(doc, TOP_KEYS, "")
        if "sequence" not in doc:
            raise self.fail("sequence", "missing: a sequence file needs a [sequence] table")
        head = self.table(doc["sequence"], "sequence")
        self.check_keys(head, HEADER_KEYS, "sequence")

        title = self.string(
            head.get("title", self.source.stem if self.source else "untitled"), "sequence.title"
        )
        description = self.string(head.get("description", ""), "sequence.description")
        duration = self.number(head.get("duration"), "sequence.duration", "seconds")
        if not 0 < duration <= MAX_DURATION:
            raise self.fail(
                "sequence.duration",
                f"expected seconds above 0 and at most {MAX_DURATION:g}, got {duration:g}",
            )
        fps = self.number(head.get("fps", 30), "sequence.fps", "frames per second")
        if not 0 < fps <= MAX_FPS:
            raise self.fail(
                "sequence.fps", f"expected a frame rate above 0 and at most {MAX_FPS}, got {fps:g}"
            )
        if duration * fps > MAX_FRAMES:
            raise self.fail(
                "sequence.duration",
                f"{duration:g} s at {fps:g} fps is {duration * fps:.0f} frames; "
                f"the limit is {MAX_FRAMES}",
            )
        try:
            size = parse_size(head.get("size", "1920x1080"))
        except ValueError as exc:
            raise self.fail("sequence.size", str(exc)) from None
        seed = head.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
            raise self.fail(
                "sequence.seed", f"expected a whole number from 0 to 2^63-1, got {seed!r}"
            )
        loop = head.get("loop", False)
        if not isinstance(loop, bool):
            raise self.fail("sequence.loop", f"expected true or false, got {loop!r}")
        pal_name = self.string(head.get("palette", "neon"), "sequence.palette")
        near = self.source.parent if self.source else None
        palette = find_palette(pal_name, near, file=self.source, key="sequence.palette")

        tracks = self.tracks(doc.get("tracks", {}), duration, palette)
        from render.layers import LAYERS
        from render.post import EFFECT_PARAMS

        layer_params = {name: layer.params for name, layer in LAYERS.items()}
        if "layers" in doc:
            layers = self.elements(doc["layers"], "layers", layer_params, tracks, palette)
        else:
            layers = tuple(ElementSpec(name, MappingProxyType({})) for name in LAYERS)
        if "effects" in doc:
            effects = self.elements(doc["effects"], "effects", EFFECT_PARAMS, tracks, palette)
        else:
            effects = (ElementSpec("bloom", MappingProxyType({})),)
        return Sequence(
            title=title,
            duration=duration,
            fps=fps,
            size=size,
            seed=seed,
            palette=palette,
            loop=loop,
            tracks=MappingProxyType(tracks),
            layers=layers,
            effects=effects,
            source=self.source,
            source_hash=self.digest,
            description=description,
            text=self.text,
        )

    # -- scalars ------------------------------------------------------------------------

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected text, got {type_name(value)}")
        return value

    def number(self, value: Any, key: str, what: str) -> float:
        if value is None:
            raise self.fail(key, f"missing: expected a number ({what})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number ({what}), got {type_name(value)} {value!r}")
        if not math.isfinite(value):
            raise self.fail(key, f"expected a finite number ({what}), got {value!r}")
        return float(value)

    # -- tracks -------------------------------------------------------------------------

    def tracks(self, raw: Any, duration: float, palette: Palette) -> dict[str, Track]:
        raw = self.table(raw, "tracks")
        out: dict[str, Track] = {}
        for name, body in raw.items():
            key = f"tracks.{name}"
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
                raise self.fail(key, "track names are letters, digits, _ and -")
            if isinstance(body, list):
                keys_raw = body
                kpath = key
            else:
                body = self.table(body, key)
                self.check_keys(body, ("keys",), key)
                if "keys" not in body:
                    raise self.fail(f"{key}.keys", "missing: a track needs a list of keyframes")
                keys_raw = body["keys"]
                kpath = f"{key}.keys"
            if not isinstance(keys_raw, list) or not keys_raw:
                raise self.fail(kpath, "expected a non-empty list of keyframes")
            keys = [
                self.keyframe(k, f"{kpath}[{i}]", duration, palette) for i, k in enumerate(keys_raw)
            ]
            colour = isinstance(keys[0].value, tuple)
            for i, k in enumerate(keys):
                if isinstance(k.value, tuple) != colour:
                    raise self.fail(
                        f"{kpath}[{i}].value", "a track holds either numbers or colours, not both"
                    )
            for i in range(1, len(keys)):
                if keys[i].time < keys[i - 1].time:
                    raise self.fail(
                        f"{kpath}[{i}].at",
                        f"keyframes must be in time order: {keys[i].time:g} s comes after "
                        f"{keys[i - 1].time:g} s",
                    )
                if keys[i].time == keys[i - 1].time:
                    raise self.fail(
                        f"{kpath}[{i}].at", f"two keyframes at the same time ({keys[i].time:g} s)"
                    )
            out[name] = Track(name, tuple(keys), is_colour=colour)
        return out

    def keyframe(self, raw: Any, key: str, duration: float, palette: Palette) -> Keyframe:
        if isinstance(raw, list):
            if not 2 <= len(raw) <= 3:
                raise self.fail(key, "expected [at, value] or [at, value, ease]")
            raw = dict(zip(KEY_KEYS, raw, strict=False))
        if not isinstance(raw, dict):
            raise self.fail(
                key, f"expected a keyframe {{ at = ..., value = ... }}, got {type_name(raw)}"
            )
        self.check_keys(raw, KEY_KEYS, key)
        for needed in ("at", "value"):
            if needed not in raw:
                raise self.fail(f"{key}.{needed}", "missing")
        try:
            t = parse_time(raw["at"], duration)
        except ValueError as exc:
            raise self.fail(f"{key}.at", str(exc)) from None
        if not 0 <= t <= duration + 1e-9:
            raise self.fail(f"{key}.at", f"expected a time within 0..{duration:g} s, got {t:g} s")
        value = self.value(raw["value"], f"{key}.value", palette)
        ease_name = raw.get("ease", "linear")
        if not isinstance(ease_name, str):
            raise self.fail(f"{key}.ease", f"expected an easing name, got {type_name(ease_name)}")
        try:
            ease = parse_easing(ease_name)
        except ValueError as exc:
            raise self.fail(f"{key}.ease", str(exc)) from None
        return Keyframe(t, value, ease, ease_name, self.line_of(key))

    def value(self, raw: Any, key: str, palette: Palette) -> float | RGB:
        if isinstance(raw, bool):
            return 1.0 if raw else 0.0
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise self.fail(key, f"expected a finite number, got {raw!r}")
            return float(raw)
        if isinstance(raw, str):
            if raw in ROLES:
                return palette[raw]
            try:
                return parse_color(raw)
            except ValueError:
                raise self.fail(
                    key,
                    f'expected a number, a colour like "#ff3355" or a palette role '
                    f"({', '.join(ROLES)}), got {raw!r}{did_you_mean(raw, ROLES)}",
                ) from None
        raise self.fail(key, f"expected a number or a colour, got {type_name(raw)}")

    # -- layers and effects -------------------------------------------------------------

    def elements(
        self,
        raw: Any,
        section: str,
        registry: Mapping[str, Mapping[str, Any]],
        tracks: Mapping[str, Track],
        palette: Palette,
    ) -> tuple[ElementSpec, ...]:
        if not isinstance(raw, list):
            raise self.fail(
                section, f"expected a list of [[{section}]] tables, got {type_name(raw)}"
            )
        out = []
        for i, entry in enumerate(raw):
            key = f"{section}[{i}]"
            entry = self.table(entry, key)
            kind = entry.get("type")
            if not isinstance(kind, str):
                raise self.fail(f"{key}.type", f"missing: expected one of {', '.join(registry)}")
            if kind not in registry:
                raise self.fail(
                    f"{key}.type",
                    f"unknown {section[:-1]} {kind!r}{did_you_mean(kind, registry)}; "
                    f"expected one of {', '.join(registry)}",
                )
            defaults = registry[kind]
            enabled = entry.get("enabled", True)
            if not isinstance(enabled, bool):
                raise self.fail(f"{key}.enabled", f"expected true or false, got {enabled!r}")
            params: dict[str, Any] = {}
            for pname, pval in entry.items():
                if pname in ("type", "enabled"):
                    continue
                ppath = f"{key}.{pname}"
                if pname not in defaults:
                    allowed = sorted(defaults)
                    raise self.fail(
                        ppath,
                        f"unknown parameter of {kind}{did_you_mean(pname, allowed)}; "
                        f"expected one of {', '.join(allowed) or 'none'}",
                    )
                params[pname] = self.param(pval, defaults[pname], ppath, tracks, palette)
            out.append(ElementSpec(kind, MappingProxyType(params), enabled))
        return tuple(out)

    def param(
        self, raw: Any, default: Any, key: str, tracks: Mapping[str, Track], palette: Palette
    ) -> Any:
        if isinstance(raw, str) and (raw in tracks or raw in DERIVED or raw == "escalation"):
            return TrackRef(raw)
        if isinstance(default, TrackRef):
            default = 0.0
        if isinstance(default, bool):
            if not isinstance(raw, bool):
                raise self.fail(key, f"expected true or false, got {raw!r}")
            return raw
        if isinstance(default, int | float):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                hint = did_you_mean(raw, tracks) if isinstance(raw, str) else ""
                raise self.fail(key, f"expected a number or the name of a track, got {raw!r}{hint}")
            if not math.isfinite(raw):
                raise self.fail(key, f"expected a finite number, got {raw!r}")
            return float(raw)
        if isinstance(default, str):
            if not isinstance(raw, str):
                raise self.fail(key, f"expected text, got {type_name(raw)}")
            if default in ROLES or default.startswith("#"):
                return self.value(raw, key, palette)
            return raw
        return raw


def type_name(value: Any) -> str:
    return {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


__all__ = ["Sequence", "ElementSpec", "TrackRef", "load_sequence", "parse_sequence", "MAX_SIDE"]
