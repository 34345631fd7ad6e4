"""Palettes: named sets of role colours, loaded from TOML or GIMP ``.gpl`` files.

A palette gives one colour per role (``ROLES``). TOML files look like::

    name = "neon"                 # optional, defaults to the file stem
    description = "Neon blues with urgent reds"
    print_safe = false            # optional
    [colors]
    background = "#04060d"
    primary = "#1ae3ff"
    ...

``hot`` is optional and defaults to ``lighten_to_white(glow, 0.7)``.

GIMP palettes (``.gpl``) are imported too: colours whose names match a role
(case-insensitively) take that role; the roles still missing are filled from the
other colours: the darkest becomes ``background``, the rest in file order become
``primary, secondary, alert, glow, text``. Too few colours for the roles is an
error, as a TOML palette missing a role is (colours are never reused).

Bare palette names are looked up as ``NAME.toml`` then ``NAME.gpl`` in
``palette_search_dirs()``. Files are only ever read as data. Every bad input raises
``ConfigError`` naming the file, the key and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from render.color import RGB, lighten_to_white, luminance, parse_color
from render.errors import MAX_KEY, ConfigError, clip, did_you_mean
from render.tomlfile import Locator, NotReadable, deep_key_error, read_input

ROLES: tuple[str, ...] = ("background", "primary", "secondary", "alert", "glow", "text", "hot")
REQUIRED_ROLES: tuple[str, ...] = tuple(r for r in ROLES if r != "hot")
ORDERED_ROLES: tuple[str, ...] = ("primary", "secondary", "alert", "glow", "text")
"""Roles filled in file order when a GIMP palette's colour names are not role names."""

HOT_FROM_GLOW = 0.7
"""How far ``glow`` is pushed toward white to make the default ``hot``."""

SUFFIXES: tuple[str, ...] = (".toml", ".gpl")
TOP_LEVEL_KEYS: tuple[str, ...] = ("name", "description", "print_safe", "colors")
# The palettes that ship inside the package (the repository's palettes/ links here), so
# an installed renderer finds "neon" from any folder.
BUILTIN_PALETTES = Path(str(resources.files("render") / "palettes"))
PROJECT_PALETTES = BUILTIN_PALETTES  # the name older code and tests use


def user_palettes() -> Path:
    """The user's palette folder: $XDG_CONFIG_HOME/render/palettes (~/.config/...)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "render" / "palettes"


def origin(path: str | Path, near: Path | None = None) -> str:
    """Where a palette file was found, in the words of the search order."""
    p = Path(path).resolve()
    if p.parent == BUILTIN_PALETTES.resolve():
        return "built in"
    if p.parent == user_palettes().resolve():
        return "user"
    return "beside the sequence" if near is not None else "this folder"


_NEEDS = f"a palette needs {', '.join(REQUIRED_ROLES)} (hot is optional)"
_TOML_POS_RE = re.compile(r"\s*\((?:at line (\d+), column \d+|at end of document)\)\s*$")


def default_hot(glow: RGB) -> RGB:
    """The ``hot`` colour used when a palette does not give one."""
    return lighten_to_white(glow, HOT_FROM_GLOW)


@dataclass(frozen=True)
class Palette:
    """An immutable set of colours, one per role in ``ROLES``."""

    name: str
    colors: Mapping[str, RGB]
    description: str = ""
    print_safe: bool = False
    source: str = field(default="", compare=False)
    # How a GIMP palette's colours became roles: role -> "named, line 4" and the like.
    mapping: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        given = dict(self.colors)
        if "hot" not in given and "glow" in given:
            given["hot"] = default_hot(given["glow"])
        missing = [r for r in ROLES if r not in given]
        extra = [r for r in given if r not in ROLES]
        if missing or extra:
            raise ValueError(
                f"palette {self.name!r}: missing roles {missing}, unknown roles {extra}"
            )
        ordered = {r: (float(given[r][0]), float(given[r][1]), float(given[r][2])) for r in ROLES}
        object.__setattr__(self, "colors", types.MappingProxyType(ordered))

    def __getitem__(self, role: str) -> RGB:
        try:
            return self.colors[role]
        except KeyError:
            hint = did_you_mean(role, ROLES)
            raise KeyError(
                f"palette has no role {role!r}{hint}; roles are {', '.join(ROLES)}"
            ) from None

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.colors.items()), self.description, self.print_safe))


# --------------------------------------------------------------------------- loading


def load_palette(path: str | Path, *, quote: bool = True) -> Palette:
    """Load a ``.toml`` or ``.gpl`` palette file; any problem raises ``ConfigError``.

    With `quote` false the error says where the mistake is and what was expected, but
    quotes nothing the file holds (keys, values, lines): a palette a sequence names by path
    may be any file its author could reach (``../../secrets.toml``), and the error may be
    shown to that author."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(
            path, "", f'unsupported palette file type "{path.suffix}"; expected .toml or .gpl'
        )
    text = _read_text(path)
    shown = _Shown(quote)
    if suffix == ".toml":
        return _parse_toml(path, text, shown)
    return _parse_gpl(path, text, shown)


class _Shown:
    """How an error shows what a palette file holds: cut short, or (`quote` false) not at
    all, for a file that may not be a palette."""

    def __init__(self, quote: bool) -> None:
        self.quote = quote

    def key(self, key: str, instead: str = "") -> str:
        """A key path as the error names it: itself, or `instead` (a known parent)."""
        return clip(key, MAX_KEY) if self.quote else instead

    def value(self, value: Any) -> str:
        """What was found instead of the expected: its type, and (quoting) its text."""
        kind = _type_name(value)
        if not self.quote:
            return kind
        text = clip(repr(value) if not isinstance(value, str) else f'"{value}"', 40)
        return f"{kind} {text}" if kind != "text" else text

    def line(self, line: str) -> str:
        return f' "{clip(line, 40)}"' if self.quote else ""


def _type_name(value: Any) -> str:
    return {bool: "true/false", int: "a whole number", float: "a number", str: "text",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)  # fmt: skip


def _read_text(path: Path) -> str:
    try:
        data = read_input(path)
    except NotReadable as exc:
        raise ConfigError(path, "", str(exc)) from None
    except FileNotFoundError:
        raise ConfigError(path, "", "palette file not found") from None
    except IsADirectoryError:
        raise ConfigError(path, "", "is a directory, expected a palette file") from None
    except OSError as exc:
        raise ConfigError(path, "", f"cannot read palette file: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(path, "", "not UTF-8 text", line=line) from None


def _parse_toml(path: Path, text: str, shown: _Shown) -> Palette:
    deep = deep_key_error(text)
    if deep is not None:
        raise ConfigError(path, "", deep[0], line=deep[1])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        pos = _TOML_POS_RE.search(message)
        line = None
        if pos:
            message = message[: pos.start()]
            line = int(pos.group(1)) if pos.group(1) else len(text.splitlines()) or 1
        raise ConfigError(path, "", f"not valid TOML: {message}", line=line) from None
    except RecursionError:
        raise ConfigError(path, "", "not valid TOML: nested too deeply") from None
    except ValueError:  # an integer with more digits than Python will convert
        raise ConfigError(path, "", "not valid TOML: a number with too many digits") from None
    locator = Locator(text)

    def key_line(table: str, key: str) -> int | None:
        """Line of ``key`` inside ``[table]`` ('' = top level)."""
        return locator.line_of(f"{table}.{key}" if table else key)

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                path,
                shown.key(key),
                f"unknown key{did_you_mean(key.lower(), TOP_LEVEL_KEYS)}; "
                f"expected {', '.join(TOP_LEVEL_KEYS)}",
                line=key_line("", key),
            )

    def string(key: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise ConfigError(
                path, key, f"expected a string, got {shown.value(value)}", line=key_line("", key)
            )
        return value

    name = string("name", path.stem)
    if not name.strip():
        raise ConfigError(path, "name", "must not be empty", line=key_line("", "name"))
    description = string("description", "")
    print_safe = data.get("print_safe", False)
    if not isinstance(print_safe, bool):
        raise ConfigError(
            path,
            "print_safe",
            f"expected true or false, got {shown.value(print_safe)}",
            line=key_line("", "print_safe"),
        )

    if "colors" not in data:
        raise ConfigError(path, "colors", f"missing [colors] table; {_NEEDS}")
    table = data["colors"]
    if not isinstance(table, dict):
        raise ConfigError(
            path,
            "colors",
            f'expected a table like [colors] primary = "#1ae3ff", got {shown.value(table)}',
            line=key_line("", "colors"),
        )

    colors: dict[str, RGB] = {}
    for role, value in table.items():
        where = key_line("colors", role)
        if role not in ROLES:
            raise ConfigError(
                path,
                shown.key(f"colors.{role}", "colors"),
                f"unknown role{did_you_mean(role.lower(), ROLES)}; roles are {', '.join(ROLES)}",
                line=where,
            )
        try:
            colors[role] = parse_color(value)
        except ValueError:
            raise ConfigError(
                path,
                f"colors.{role}",
                f'expected a colour like "#1ae3ff", got {shown.value(value)}',
                line=where,
            ) from None
    for role in REQUIRED_ROLES:
        if role not in colors:
            raise ConfigError(
                path, f"colors.{role}", f"missing; {_NEEDS}", line=key_line("", "colors")
            )
    return Palette(
        name=name,
        colors=colors,
        description=description,
        print_safe=print_safe,
        source=str(path),
    )


def _parse_gpl(path: Path, text: str, shown: _Shown) -> Palette:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "GIMP Palette":
        raise ConfigError(path, "", 'not a GIMP palette: the first line must be "GIMP Palette"', 1)

    name = path.stem
    notes: list[str] = []
    entries: list[tuple[int, RGB, str]] = []  # (line number, colour, name)
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            note = line.lstrip("#").strip()
            if note and not entries:
                notes.append(note)
            continue
        if not entries and ":" in line and not line[0].isdigit():
            header, _, value = line.partition(":")
            header = header.strip().lower()
            if header == "name":
                name = value.strip() or name
                continue
            if header == "columns":
                if not value.strip().isdigit():
                    raise ConfigError(
                        path, "Columns", f"expected a whole number{shown.line(value.strip())}",
                        number,
                    )  # fmt: skip
                continue
        parts = line.split(None, 3)
        try:
            rgb = tuple(int(p) for p in parts[:3])
        except ValueError:
            rgb = ()
        if len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ConfigError(
                path,
                "",
                f'expected "R G B name" with R, G and B from 0 to 255{shown.line(line)}',
                number,
            )
        label = parts[3].strip() if len(parts) > 3 else ""
        entries.append((number, (rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0), label))

    if len(entries) < 2:
        raise ConfigError(
            path, "", f"a GIMP palette needs at least 2 colours, found {len(entries)}"
        )

    colors: dict[str, RGB] = {}
    mapping: dict[str, str] = {}
    named_at: dict[str, int] = {}
    unnamed: list[tuple[int, RGB]] = []
    for number, rgb, label in entries:
        role = label.lower()
        if role in ROLES:
            if role in named_at:
                raise ConfigError(
                    path,
                    role,
                    f"role colour given twice (lines {named_at[role]} and {number})",
                    number,
                )
            named_at[role] = number
            colors[role] = rgb
            mapping[role] = f"named, line {number}"
        else:
            unnamed.append((number, rgb))

    # One colour per role, as a TOML palette must give: filling roles by reusing colours
    # made the klaxon's alert the same colour as the panels.
    missing = [r for r in REQUIRED_ROLES if r not in colors]
    if len(unnamed) < len(missing):
        what = "unnamed colours" if named_at else "colours"
        raise ConfigError(
            path,
            "",
            f"{len(unnamed)} {what} for {len(missing)} roles ({', '.join(missing)}); "
            f"{_NEEDS}: add colours, or name colours after the roles they take",
        )
    if "background" not in colors:
        darkest = min(range(len(unnamed)), key=lambda i: luminance(unnamed[i][1]))
        number, colors["background"] = unnamed.pop(darkest)
        mapping["background"] = f"the darkest unnamed colour, line {number}"
    for role, (number, rgb) in zip(
        [r for r in ORDERED_ROLES if r not in colors], unnamed, strict=False
    ):
        colors[role] = rgb
        mapping[role] = f"unnamed colour in file order, line {number}"
    return Palette(
        name=name,
        colors=colors,
        description=notes[0] if notes else "",
        print_safe=False,
        source=str(path),
        mapping=mapping,
    )


# --------------------------------------------------------------------------- lookup


def palette_search_dirs(near: Path | None = None) -> list[Path]:
    """Directories searched for bare palette names, nearest first; existing ones only:
    palettes/ beside the sequence (or `near`) and beside its folder, the user's folder
    (`user_palettes`), then the built-in palettes."""
    candidates: list[Path] = []
    if near is not None:
        near = Path(near)
        candidates += [near / "palettes", near.parent / "palettes"]
    candidates += [user_palettes(), BUILTIN_PALETTES]
    result: list[Path] = []
    seen: set[Path] = set()
    for directory in candidates:
        resolved = directory.resolve()
        if resolved in seen or not resolved.is_dir():
            continue
        seen.add(resolved)
        result.append(resolved)
    return result


def _palette_files(near: Path | None) -> dict[str, Path]:
    """Lookup name -> file, nearest directory first and .toml before .gpl."""
    found: dict[str, Path] = {}
    for directory in palette_search_dirs(near):
        for suffix in SUFFIXES:
            for file in sorted(directory.glob(f"*{suffix}")):
                if file.is_file():
                    found.setdefault(file.stem, file)
    return found


def find_palette(
    name_or_path: str,
    near: Path | None = None,
    *,
    file: str | Path | None = None,
    key: str = "palette",
) -> Palette:
    """Resolve a palette name (``"neon"``) or file path (``"my.gpl"``) and load it.

    Paths are taken relative to ``near`` when given. ``file`` and ``key`` say where the
    request came from, for the error message when nothing matches.
    """
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise ConfigError(
            file, key, f'expected a palette name like "neon" or a file path, got {name_or_path!r}'
        )
    request = name_or_path.strip()
    if Path(request).suffix.lower() in SUFFIXES:
        path = Path(request).expanduser()
        if not path.is_absolute() and near is not None:
            base = Path(near)
            path = (base.parent if base.is_file() else base) / path
        if not path.exists():
            raise ConfigError(file, key, f'palette file "{request}" not found (looked for {path})')
        return load_palette(path, quote=False)  # any file: see load_palette

    files = _palette_files(near)
    match = files.get(request)
    if match is None:
        folded = [stem for stem in files if stem.lower() == request.lower()]
        if len(folded) == 1:
            match = files[folded[0]]
    if match is None:
        names = sorted(files)
        if names:
            available = f"; available: {', '.join(names)}"
        else:
            dirs = ", ".join(str(d) for d in palette_search_dirs(near)) or str(PROJECT_PALETTES)
            available = f"; no palettes found in {dirs}"
        raise ConfigError(
            file, key, f'unknown palette "{request}"{did_you_mean(request, names)}{available}'
        )
    return load_palette(match)


def available_palettes(near: Path | None = None) -> list[Palette]:
    """Every loadable palette in the search dirs, sorted by name; broken files are skipped."""
    palettes: dict[str, Palette] = {}
    for path in _palette_files(near).values():
        try:
            palette = load_palette(path)
        except ConfigError:
            continue
        palettes.setdefault(palette.name, palette)
    return [palettes[n] for n in sorted(palettes)]
