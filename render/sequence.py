"""Sequence files: TOML in, a validated frozen `Sequence` out.

Validation happens here, once, at the boundary. Every problem becomes a
`ConfigError` naming the file, the key path and (where it can be found) the
line, so the rest of the renderer only ever sees clean data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
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
from render.errors import ConfigError, did_you_mean, one_line
from render.palette import ROLES, Palette, find_palette
from render.params import Param, TrackRef
from render.story import STORY_TRACKS, derive
from render.tomlfile import Locator, NotReadable, deep_key_error, read_input
from render.tracks import Keyframe, Track
from render.units import (
    MAX_FRAMES,
    MAX_SIDE,
    frame_rate_problem,
    parse_size,
    parse_time,
)

MAX_DURATION = 3600.0
# Track values and numeric parameters: far beyond any useful setting, and small enough that
# no layer spends minutes drawing (a core of size 1e308 never finishes).
MAX_VALUE = 1e6
MAX_TEXT = 200  # words on screen: a banner, a whisper, a line of the wake

HEADER_KEYS = (
    "title", "duration", "fps", "size", "seed", "palette", "loop", "description", "background",
)  # fmt: skip
# `background = ...` in the header: the palette's background painted under everything (the
# default), or none at all: frames with an alpha channel (render.frame, `--transparent`).
BACKGROUNDS = ("palette", "transparent")
TOP_KEYS = ("sequence", "tracks", "camera", "layers", "effects")
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
    camera: Mapping[str, Any] = field(default_factory=dict)
    source: Path | None = None
    source_hash: str = ""
    description: str = ""
    text: str = field(default="", repr=False, compare=False)
    # No background painted: frames are (H, W, 4) RGBA (render.frame.Renderer.render).
    transparent: bool = False

    def __reduce__(self):
        # Tables are read-only proxies and easings closures, neither picklable: a worker
        # process gets every field as plain data (keyframes pickle by their easing's name,
        # see render.tracks), so a sequence built in code, with no TOML behind it, travels
        # as well as a loaded one. The layers and effects it draws travel with it too, so
        # a worker knows a layer a script registered (built-ins and plugins pickle as
        # references to their modules).
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["tracks"] = dict(self.tracks)
        fields["camera"] = dict(self.camera)
        for key in ("layers", "effects"):
            fields[key] = [(e.type, dict(e.params), e.enabled) for e in fields[key]]
        pal = self.palette
        fields["palette"] = (
            pal.name,
            dict(pal.colors),
            pal.description,
            pal.print_safe,
            pal.source,
        )
        registered = [self.layer(e.type) for e in self.layers]
        registered += [self.effect(e.type) for e in self.effects]
        return (_rebuild, (fields, registered))

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

    def renderer(self):
        """This sequence's `render.frame.Renderer` (made once: it keeps each layer's
        structure between frames)."""
        r = self.__dict__.get("_renderer")
        if r is None:
            from render.frame import Renderer

            r = Renderer(self)
            object.__setattr__(self, "_renderer", r)
        return r

    def frame(self, index: int):
        """Frame `index` as an (H, W, 3) uint8 RGB array: the pixels `render still` writes
        ((H, W, 4) straight RGBA when `transparent`)."""
        from render.api import frame

        return frame(self, index)

    def frame_at(self, t: float | str):
        """The frame shown at `t`: seconds, "12.5s", "800ms", "50%" or "120f"."""
        from render.api import time_of

        return self.frame(self.index_at(time_of(self, t, "t")))

    def drawn_tracks(self) -> frozenset[str]:
        """The tracks the enabled layers follow: named in their parameters or by default."""
        names = set()
        for spec in self.layers:
            if not spec.enabled:
                continue
            for pname, decl in self.layer(spec.type).params.items():
                ref = spec.params.get(pname, decl.default)
                if isinstance(ref, TrackRef):
                    names.add(ref.name)
        return frozenset(names)

    def layer(self, name: str):
        """The registered layer `name` (a `render.scene.Layer`)."""
        from render.registry import LAYERS

        return LAYERS[name]

    def effect(self, name: str):
        """The registered effect `name` (a `render.post.Effect`)."""
        from render.registry import EFFECTS

        return EFFECTS[name]

    def sample(self, t: float) -> dict[str, float | RGB]:
        """Every track's value at time t, story tracks derived (render.story) when absent."""
        values: dict[str, Any] = {
            name: track.sample(t, self.duration, self.loop) for name, track in self.tracks.items()
        }
        values["escalation"] = float(values.get("escalation", 0.0))
        return derive(values)


# --------------------------------------------------------------------------- loading


def _rebuild(fields: dict[str, Any], registered: list) -> Sequence:
    from render.registry import load_plugins, register

    load_plugins()
    register(*registered, replace=True)
    fields = dict(fields)
    for key in ("layers", "effects"):
        fields[key] = tuple(
            ElementSpec(kind, MappingProxyType(params), enabled)
            for kind, params, enabled in fields[key]
        )
    fields["palette"] = Palette(*fields["palette"])
    fields["tracks"] = MappingProxyType(fields["tracks"])
    fields["camera"] = MappingProxyType(fields["camera"])
    return Sequence(**fields)


def load_sequence(path: str | Path, palette: str | None = None) -> Sequence:
    path = Path(path)
    try:
        data = read_input(path)
    except NotReadable as exc:
        raise _one_line_error(ConfigError(path, "", str(exc))) from None
    except FileNotFoundError:
        raise _one_line_error(ConfigError(path, "", "no such file")) from None
    except IsADirectoryError:
        raise _one_line_error(
            ConfigError(path, "", "is a folder, expected a .toml sequence file")
        ) from None
    except OSError as exc:
        raise _one_line_error(ConfigError(path, "", f"cannot read: {exc.strerror}")) from None
    except ValueError:  # a NUL in the path
        raise _one_line_error(ConfigError(path, "", "not a valid file name")) from None
    return parse_sequence(data, source=path, palette=palette)


def parse_sequence(
    data: bytes | str, source: Path | None = None, palette: str | Palette | None = None
) -> Sequence:
    """A sequence from TOML text; `palette` (a name, as the header would give it, or a
    `Palette`) replaces the header's, roles in keyframes included."""
    try:
        return _parse(data, source, palette)
    except ConfigError as exc:
        clean = _one_line_error(exc)
        if clean is exc:
            raise
        raise clean from None


def _one_line_error(exc: ConfigError) -> ConfigError:
    """The same error on one line: user text (keys, easing names, paths) may hold newlines."""
    clean = ConfigError(
        one_line(exc.file) if exc.file is not None else None,
        one_line(exc.key),
        one_line(exc.message),
        line=exc.line,
    )
    return exc if str(clean) == str(exc) else clean


def _parse(
    data: bytes | str, source: Path | None, palette: str | Palette | None = None
) -> Sequence:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    try:
        text = raw.decode("utf-8-sig")  # a byte order mark, as some editors write, is skipped
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(source, "", f"not UTF-8 text (byte {exc.start})", line=line) from None
    deep = deep_key_error(text)
    if deep is not None:
        raise ConfigError(source, "", deep[0], line=deep[1])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", msg)
        line = int(m.group(1)) if m else None
        if line is None and "(at end of document)" in msg:
            line = max(1, len(text.rstrip("\n").split("\n")))
        msg = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg)
        raise ConfigError(source, "", f"not valid TOML: {msg}", line=line) from None
    except RecursionError:
        raise ConfigError(source, "", "not valid TOML: nested too deeply") from None
    except ValueError as exc:  # an integer with more digits than Python will convert
        what = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise ConfigError(source, "", f"not valid TOML: {what}") from None
    return _Loader(doc, text, source, hashlib.sha256(raw).hexdigest(), palette).build()


def show(value: Any, limit: int = 60) -> str:
    """A short repr of a user value for an error message (never thousands of digits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**18:
        return f"a whole number of about {int(abs(value).bit_length() * 0.30103) + 1} digits"
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return type_name(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_one_line(text: str) -> bool:
    return len(text) <= MAX_TEXT and one_line(text) == text


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def _key(name: str) -> str:
    """A key as it would be written in TOML: bare when it can be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else json.dumps(name, ensure_ascii=False)


class _Loader:
    def __init__(
        self,
        doc: dict,
        text: str,
        source: Path | None,
        digest: str,
        palette: str | Palette | None = None,
    ) -> None:
        self.doc = doc
        self.palette_override = palette
        self.text = text
        self.source = source
        self.digest = digest
        self.lines = Locator(text)

    # -- errors -----------------------------------------------------------------------

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(self.source, key, message, line=self.line_of(key))

    def line_of(self, key: str) -> int | None:
        return self.lines.line_of(key)

    def check_keys(self, table: Mapping, allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                path = f"{prefix}.{_key(key)}" if prefix else _key(key)
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

        # Every output's metadata carries the title (ffmpeg's -metadata, PNG text): one line
        # of words, checked here rather than failing in the encoder after the render.
        default_title = one_line(self.source.stem)[:MAX_TEXT] if self.source else "untitled"
        title = self.line_of_text(head.get("title", default_title), "sequence.title")
        description = self.string(head.get("description", ""), "sequence.description")
        raw_duration = head.get("duration")
        if isinstance(raw_duration, str):  # "6s", "800ms": the forms keyframes' `at` takes
            try:
                raw_duration = parse_time(raw_duration, None)
            except ValueError:
                raise self.fail(
                    "sequence.duration",
                    f'expected a number of seconds (6, "6s", "800ms"), got {show(raw_duration)}',
                ) from None
        duration = self.number(raw_duration, "sequence.duration", "seconds")
        if not 0 < duration <= MAX_DURATION:
            raise self.fail(
                "sequence.duration",
                f"expected seconds above 0 and at most {MAX_DURATION:g}, got {duration:g}",
            )
        fps = self.number(head.get("fps", 30), "sequence.fps", "frames per second")
        problem = frame_rate_problem(fps)
        if problem is not None:
            raise self.fail("sequence.fps", f"{problem}, got {fps:g}")
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
                "sequence.seed", f"expected a whole number from 0 to 2^63-1, got {show(seed)}"
            )
        loop = head.get("loop", False)
        if not isinstance(loop, bool):
            raise self.fail("sequence.loop", f"expected true or false, got {show(loop)}")
        background = head.get("background", "palette")
        if background not in BACKGROUNDS:
            raise self.fail(
                "sequence.background",
                f'expected "palette" or "transparent", got {show(background)}',
            )
        pal_name = self.string(head.get("palette", "neon"), "sequence.palette")
        near = self.source.parent if self.source else None
        override = self.palette_override
        if isinstance(override, Palette):
            palette = override
        else:
            palette = self.palette(override if override is not None else pal_name, near)

        tracks = self.tracks(doc.get("tracks", {}), duration, palette, fps)
        from render.camera import CAMERA
        from render.registry import EFFECTS, LAYERS, load_plugins

        load_plugins()
        layer_params = {name: layer.params for name, layer in LAYERS.items()}
        effect_params = {name: effect.params for name, effect in EFFECTS.items()}
        if "layers" in doc:
            layers = self.elements(doc["layers"], "layers", layer_params, tracks, palette)
        else:
            drawn = sorted((la for la in LAYERS.values() if la.default), key=lambda la: la.order)
            layers = tuple(ElementSpec(la.name, MappingProxyType({})) for la in drawn)
        if "effects" in doc:
            effects = self.elements(doc["effects"], "effects", effect_params, tracks, palette)
        else:
            effects = (ElementSpec("bloom", MappingProxyType({})),)
        camera = self.params(
            self.table(doc.get("camera", {}), "camera"), CAMERA, "camera", "camera", tracks, palette
        )
        self.check_ranges(
            tracks,
            duration,
            loop,
            [("camera", "camera", camera, CAMERA)]
            + [
                (f"layers[{i}]", e.type, e.params, layer_params[e.type])
                for i, e in enumerate(layers)
                if e.enabled
            ]
            + [
                (f"effects[{i}]", e.type, e.params, effect_params[e.type])
                for i, e in enumerate(effects)
                if e.enabled
            ],
        )
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
            camera=MappingProxyType(camera),
            source=self.source,
            source_hash=self.digest,
            description=description,
            text=self.text,
            transparent=background == "transparent",
        )

    def palette(self, name: str, near: Path | None) -> Palette:
        """The palette named by the header; a palette file's own error names both files."""
        key = "sequence.palette"
        try:
            return find_palette(name, near, file=self.source, key=key)
        except ConfigError as exc:
            if exc.key == key and exc.file == (str(self.source) if self.source else None):
                raise self.fail(key, exc.message) from None  # the lookup's own error
            raise self.fail(key, str(exc)) from None
        except (OSError, RuntimeError, ValueError) as exc:  # e.g. "~nobody/x.toml"
            raise self.fail(key, f"can't use palette {show(name)}: {exc}") from None

    # -- scalars ------------------------------------------------------------------------

    def string(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise self.fail(key, f"expected text, got {type_name(value)}")
        return value

    def line_of_text(self, value: Any, key: str) -> str:
        """Text shown as one line (a title, words on screen): at most MAX_TEXT characters,
        no line breaks or other control characters."""
        value = self.string(value, key)
        if not _is_one_line(value):
            raise self.fail(
                key, f"expected one line of at most {MAX_TEXT} characters, got {show(value)}"
            )
        return value

    def number(self, value: Any, key: str, what: str) -> float:
        if value is None:
            raise self.fail(key, f"missing: expected a number ({what})")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(
                key, f"expected a number ({what}), got {type_name(value)} {show(value)}"
            )
        if not _finite(value):
            raise self.fail(key, f"expected a finite number ({what}), got {show(value)}")
        return float(value)

    # -- tracks -------------------------------------------------------------------------

    def tracks(
        self, raw: Any, duration: float, palette: Palette, fps: float | None = None
    ) -> dict[str, Track]:
        raw = self.table(raw, "tracks")
        out: dict[str, Track] = {}
        for name, body in raw.items():
            key = f"tracks.{_key(name)}"
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
                self.keyframe(k, f"{kpath}[{i}]", duration, palette, fps)
                for i, k in enumerate(keys_raw)
            ]
            colour = isinstance(keys[0].value, tuple)
            if colour and (name == "escalation" or name in STORY_TRACKS):
                raise self.fail(
                    f"{kpath}[0].value", f"the story track {name} holds numbers, not colours"
                )
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
                        f"{keys[i - 1].time:g} s (keyframe {i - 1}{_on_line(keys[i - 1])})",
                    )
                if keys[i].time == keys[i - 1].time:
                    raise self.fail(
                        f"{kpath}[{i}].at",
                        f"two keyframes at the same time ({keys[i].time:g} s): this one and "
                        f"keyframe {i - 1}{_on_line(keys[i - 1])}",
                    )
            out[name] = Track(name, tuple(keys), is_colour=colour)
        return out

    def keyframe(
        self, raw: Any, key: str, duration: float, palette: Palette, fps: float | None = None
    ) -> Keyframe:
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
            t = parse_time(raw["at"], duration, fps)  # "120f": frames at the file's fps
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
            if not _finite(raw) or abs(raw) > MAX_VALUE:
                raise self.fail(key, f"expected a number within ±{MAX_VALUE:g}, got {show(raw)}")
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
                    f"({', '.join(ROLES)}), got {show(raw)}{did_you_mean(raw, ROLES)}",
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
            enabled = entry.get("enabled", True)
            if not isinstance(enabled, bool):
                raise self.fail(f"{key}.enabled", f"expected true or false, got {show(enabled)}")
            given = {k: v for k, v in entry.items() if k not in ("type", "enabled")}
            params = self.params(given, registry[kind], kind, key, tracks, palette)
            out.append(ElementSpec(kind, MappingProxyType(params), enabled))
        return tuple(out)

    def params(
        self,
        given: Mapping[str, Any],
        declared: Mapping[str, Param],
        owner: str,
        key: str,
        tracks: Mapping[str, Track],
        palette: Palette,
    ) -> dict[str, Any]:
        """Validate the parameters a sequence gives `owner` against its declarations."""
        out: dict[str, Any] = {}
        for pname, pval in given.items():
            ppath = f"{key}.{_key(pname)}"
            if pname not in declared:
                allowed = sorted(declared)
                raise self.fail(
                    ppath,
                    f"unknown parameter of {owner}{did_you_mean(pname, allowed)}; "
                    f"expected one of {', '.join(allowed) or 'none'}",
                )
            out[pname] = self.param(pval, declared[pname], ppath, tracks, palette)
        return out

    def check_ranges(
        self,
        tracks: Mapping[str, Track],
        duration: float,
        loop: bool,
        users: list[tuple[str, str, Mapping[str, Any], Mapping[str, Param]]],
    ) -> None:
        """Every track a numeric parameter follows stays within that parameter's range,
        everywhere an easing takes it (`back`, `elastic` and `spring` overshoot)."""
        for key, owner, given, declared in users:
            for pname, decl in declared.items():
                ref = given.get(pname, decl.default)
                if not decl.numeric or not isinstance(ref, TrackRef) or ref.name not in tracks:
                    continue
                track = tracks[ref.name]
                lo, hi, where = _extent(track, duration, loop)
                for value in (lo, hi):
                    if not decl.in_range(value):
                        seg = where[value]
                        how = f" with {seg.ease_name} easing" if seg.ease_name != "linear" else ""
                        raise ConfigError(
                            self.source,
                            f"tracks.{_key(ref.name)}",
                            f"reaches {value:.4g}{how} after the keyframe at {seg.time:g} s, "
                            f"outside {decl.describe_range()} for {key}.{pname} ({owner})",
                            line=seg.line,
                        )

    def param(
        self, raw: Any, decl: Param, key: str, tracks: Mapping[str, Track], palette: Palette
    ) -> Any:
        is_track = isinstance(raw, str) and (
            raw in tracks or raw in STORY_TRACKS or raw == "escalation"
        )
        if decl.numeric or decl.kind == "colour":
            if is_track:
                holds_colour = raw in tracks and tracks[raw].is_colour
                if decl.kind == "colour" and not holds_colour:
                    raise self.fail(key, f"expected a colour, but track {raw!r} holds numbers")
                if decl.numeric and holds_colour:
                    raise self.fail(key, f"expected a number, but track {raw!r} holds colours")
                return TrackRef(raw)
        if decl.kind == "flag":
            if not isinstance(raw, bool):
                raise self.fail(key, f"expected true or false, got {show(raw)}")
            return raw
        if decl.numeric:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                hint = did_you_mean(raw, tracks) if isinstance(raw, str) else ""
                raise self.fail(
                    key, f"expected a number or the name of a track, got {show(raw)}{hint}"
                )
            if not _finite(raw) or not decl.in_range(raw):
                unit = f" ({decl.unit})" if decl.unit else ""
                raise self.fail(
                    key, f"expected a number in {decl.describe_range()}{unit}, got {show(raw)}"
                )
            return float(raw)
        if not isinstance(raw, str):
            raise self.fail(key, f"expected text, got {type_name(raw)}")
        if decl.kind == "colour":
            return self.value(raw, key, palette)
        return self.line_of_text(raw, key)


def _extent(track: Track, duration: float, loop: bool) -> tuple[float, float, dict]:
    """Lowest and highest value a numeric track takes, and for each the keyframe whose
    segment reaches it. Eased segments are sampled finely: overshoot shows."""
    keys = track.keys
    seen: dict[float, Keyframe] = {}
    for k in keys:
        seen.setdefault(float(k.value), k)  # type: ignore[arg-type]
    pairs = list(zip(keys, keys[1:], strict=False))
    if loop and len(keys) > 1:
        pairs.append((keys[-1], keys[0]))
    u = [i / 512 for i in range(513)]
    for a, b in pairs:
        if a.ease_name == "linear":
            continue
        for x in u:
            v = float(a.value) + (float(b.value) - float(a.value)) * a.ease(x)  # type: ignore[arg-type]
            seen.setdefault(v, a)
    lo, hi = min(seen), max(seen)
    return lo, hi, seen


def _on_line(key: Keyframe) -> str:
    return f" on line {key.line}" if key.line is not None else ""


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
