"""Tests for render.palette: shipped palettes, TOML and GIMP loading, lookup and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from render.color import lighten_to_white, luminance, parse_color
from render.errors import ConfigError
from render.palette import (
    PROJECT_PALETTES,
    ROLES,
    Palette,
    available_palettes,
    find_palette,
    load_palette,
    palette_search_dirs,
)

SHIPPED = sorted(p for p in PROJECT_PALETTES.iterdir() if p.suffix in (".toml", ".gpl"))

GOOD_COLORS = """\
[colors]
background = "#04060d"
primary = "#1ae3ff"
secondary = "#3f5bff"
alert = "#ff2340"
glow = "#8ef4ff"
text = "#cdfbff"
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------- shipped palettes


def test_expected_palettes_are_shipped() -> None:
    stems = {p.stem for p in SHIPPED}
    assert {"neon", "amber", "phosphor", "vapor", "print", "synthwave"} <= stems
    assert (PROJECT_PALETTES / "synthwave.gpl").is_file()


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_palette_loads_with_every_role(path: Path) -> None:
    palette = load_palette(path)
    assert palette.name == path.stem
    assert tuple(palette.colors) == ROLES
    for role in ROLES:
        assert all(0.0 <= c <= 1.0 for c in palette[role])
    # Near-black background so additive glow reads well.
    assert luminance(palette["background"]) < 0.03
    assert luminance(palette["glow"]) > luminance(palette["background"]) + 0.3


def test_shipped_names_unique() -> None:
    names = [load_palette(p).name for p in SHIPPED]
    assert len(names) == len(set(names))


def test_default_neon_exists() -> None:
    neon = find_palette("neon")
    assert neon.name == "neon"
    assert neon["primary"] == parse_color("#1ae3ff")
    assert neon.print_safe is False
    assert Path(neon.source) == PROJECT_PALETTES / "neon.toml"


def test_print_palette_is_print_safe() -> None:
    assert find_palette("print").print_safe is True


def test_available_palettes_sorted_and_includes_shipped() -> None:
    names = [p.name for p in available_palettes()]
    assert names == sorted(names)
    assert {"neon", "amber", "synthwave"} <= set(names)


# --------------------------------------------------------------------- Palette object


def test_palette_is_immutable_and_hot_defaults() -> None:
    colors = {
        r: parse_color(h)
        for r, h in [
            ("background", "#000"),
            ("primary", "#0ff"),
            ("secondary", "#00f"),
            ("alert", "#f00"),
            ("glow", "#8ff"),
            ("text", "#fff"),
        ]
    }
    palette = Palette("p", colors)
    assert palette["hot"] == lighten_to_white(colors["glow"], 0.7)
    with pytest.raises(TypeError):
        palette.colors["primary"] = (0.0, 0.0, 0.0)  # type: ignore[index]
    colors["primary"] = (0.5, 0.5, 0.5)  # mutating the input must not leak in
    assert palette["primary"] == (0.0, 1.0, 1.0)
    with pytest.raises(KeyError, match='did you mean "primary"'):
        palette["primery"]
    assert hash(palette) == hash(Palette("p", palette.colors))


# --------------------------------------------------------------------- TOML loading


def test_toml_name_defaults_to_stem_and_hot_defaults(tmp_path: Path) -> None:
    palette = load_palette(write(tmp_path / "mine.toml", GOOD_COLORS))
    assert palette.name == "mine"
    assert palette.description == ""
    assert palette["hot"] == lighten_to_white(parse_color("#8ef4ff"), 0.7)


def test_unknown_role_names_key_path(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", GOOD_COLORS + 'primery = "#ffffff"\n')
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    err = info.value
    assert err.key == "colors.primery"
    assert 'did you mean "primary"' in str(err)
    assert err.line == 8
    assert str(err).startswith(f"{path}:8: colors.primery: unknown role")


def test_unknown_top_level_key(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", 'descripton = "x"\n' + GOOD_COLORS)
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    assert info.value.key == "descripton"
    assert 'did you mean "description"' in str(info.value)
    assert info.value.line == 1


def test_missing_role(tmp_path: Path) -> None:
    text = GOOD_COLORS.replace('alert = "#ff2340"\n', "")
    with pytest.raises(ConfigError) as info:
        load_palette(write(tmp_path / "p.toml", text))
    assert info.value.key == "colors.alert"
    assert info.value.line == 1  # the [colors] header
    assert "colors.alert: missing; a palette needs background, primary" in str(info.value)


def test_missing_colors_table(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"colors: missing \[colors\] table"):
        load_palette(write(tmp_path / "p.toml", 'name = "x"\n'))


def test_bad_colour_value(tmp_path: Path) -> None:
    text = GOOD_COLORS.replace('primary = "#1ae3ff"', 'primary = "cyan"')
    with pytest.raises(ConfigError) as info:
        load_palette(write(tmp_path / "p.toml", text))
    assert info.value.key == "colors.primary"
    assert info.value.line == 3
    assert 'expected a colour like "#1ae3ff", got "cyan"' in str(info.value)


def test_bad_print_safe_type(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="print_safe: expected true or false"):
        load_palette(write(tmp_path / "p.toml", 'print_safe = "yes"\n' + GOOD_COLORS))


def test_bad_toml_gives_line_number(tmp_path: Path) -> None:
    path = write(tmp_path / "p.toml", 'name = "x"\ndescription = oops\n' + GOOD_COLORS)
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    assert info.value.line == 2
    assert str(info.value).startswith(f"{path}:2: not valid TOML")
    assert "(at line" not in str(info.value)


def test_unsupported_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected .toml or .gpl"):
        load_palette(write(tmp_path / "p.json", "{}"))
    with pytest.raises(ConfigError, match="not found"):
        load_palette(tmp_path / "nope.toml")


# --------------------------------------------------------------------- GIMP palettes


def test_gpl_by_order(tmp_path: Path) -> None:
    path = write(
        tmp_path / "gimp.gpl",
        "GIMP Palette\nName: Sunset Strip\nColumns: 4\n# a comment\n"
        "255 0 128\tPink\n10 5 20\tNight\n0 200 255\tSky\n"
        "255 40 40\tRed\n200 255 255\tIce\n240 240 240\tPaper\n",
    )
    palette = load_palette(path)
    assert palette.name == "Sunset Strip"
    pink, night, sky = (
        (255 / 255, 0.0, 128 / 255),
        (10 / 255, 5 / 255, 20 / 255),
        (0.0, 200 / 255, 1.0),
    )
    red, ice, paper = (1.0, 40 / 255, 40 / 255), (200 / 255, 1.0, 1.0), (240 / 255,) * 3
    assert palette["background"] == night  # darkest, though it is not first
    # the rest in file order
    assert [palette[r] for r in ("primary", "secondary", "alert", "glow", "text")] == [
        pink,
        sky,
        red,
        ice,
        paper,
    ]
    assert palette["hot"] == lighten_to_white(ice, 0.7)


@pytest.mark.parametrize(
    "colours, fragment",
    [
        # three unnamed colours for six roles: every role used to get one of two colours
        ("255 0 128 Pink\n10 5 20 Night\n0 200 255 Sky\n", "3 colours for 6 roles"),
        ("10 5 20 background\n255 0 0 alert\n255 0 128 Pink\n0 200 255 Sky\n",
         "2 unnamed colours for 4 roles (primary, secondary, glow, text)"),
    ],
)  # fmt: skip
def test_gpl_with_fewer_colours_than_roles_is_an_error(tmp_path, colours, fragment) -> None:
    path = write(tmp_path / "few.gpl", "GIMP Palette\n" + colours)
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and fragment in message, message
    assert "\n" not in message


def test_gpl_by_role_names_case_insensitive(tmp_path: Path) -> None:
    path = write(
        tmp_path / "roles.gpl",
        "GIMP Palette\n"
        "200 200 200 Text\n1 2 3 BACKGROUND\n0 255 255 primary\n0 0 255 Secondary\n"
        "255 0 0 alert\n128 255 255 glow\n",
    )
    palette = load_palette(path)
    assert palette.name == "roles"
    assert palette["background"] == (1 / 255, 2 / 255, 3 / 255)
    assert palette["text"] == (200 / 255,) * 3
    assert palette["alert"] == (1.0, 0.0, 0.0)
    assert palette["secondary"] == (0.0, 0.0, 1.0)


def test_shipped_synthwave_uses_role_names() -> None:
    palette = find_palette("synthwave")
    assert palette["background"] == (16 / 255, 8 / 255, 32 / 255)
    assert palette["secondary"] == (45 / 255, 226 / 255, 230 / 255)
    assert palette["hot"] == (1.0, 243 / 255, 214 / 255)


def test_gpl_malformed_line_number(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.gpl", "GIMP Palette\nName: x\n\n0 0 0 a\n12 three 4 b\n")
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    assert info.value.line == 5
    assert str(info.value).startswith(f"{path}:5: ")
    assert "12 three 4 b" in str(info.value)


def test_gpl_out_of_range_and_header(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_palette(write(tmp_path / "a.gpl", "GIMP Palette\n0 0 0 a\n0 0 256 b\n"))
    assert info.value.line == 3
    with pytest.raises(ConfigError, match='"GIMP Palette"') as info:
        load_palette(write(tmp_path / "b.gpl", "Not a palette\n0 0 0 a\n"))
    assert info.value.line == 1


def test_gpl_needs_two_colours(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least 2 colours, found 1"):
        load_palette(write(tmp_path / "one.gpl", "GIMP Palette\n0 0 0 a\n"))


# --------------------------------------------------------------------- lookup


def test_find_palette_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        find_palette("neonn", file="seq.toml", key="style.palette")
    message = str(info.value)
    assert message.startswith('seq.toml: style.palette: unknown palette "neonn"')
    assert 'did you mean "neon"' in message
    assert "available: amber, neon" in message


def test_find_palette_case_insensitive_name() -> None:
    assert find_palette("NEON").name == "neon"


def test_find_palette_by_path_relative_to_near(tmp_path: Path) -> None:
    write(tmp_path / "custom.toml", 'name = "custom"\n' + GOOD_COLORS)
    assert find_palette("custom.toml", near=tmp_path).name == "custom"
    with pytest.raises(ConfigError, match='palette file "gone.gpl" not found'):
        find_palette("gone.gpl", near=tmp_path)


def test_near_palettes_dir_wins(tmp_path: Path) -> None:
    local = tmp_path / "palettes"
    local.mkdir()
    write(local / "neon.toml", 'name = "neon"\ndescription = "local"\n' + GOOD_COLORS)
    assert palette_search_dirs(tmp_path)[0] == local.resolve()
    assert palette_search_dirs(tmp_path)[-1] == PROJECT_PALETTES
    assert find_palette("neon", near=tmp_path).description == "local"
    assert find_palette("neon").description != "local"


def test_search_dirs_dedupe_and_existing_only(tmp_path: Path) -> None:
    dirs = palette_search_dirs(tmp_path)
    assert dirs == [PROJECT_PALETTES]
    assert palette_search_dirs(PROJECT_PALETTES.parent) == [PROJECT_PALETTES]


def test_available_palettes_skips_broken(tmp_path: Path) -> None:
    local = tmp_path / "palettes"
    local.mkdir()
    write(local / "broken.toml", "name = [unclosed\n")
    write(local / "badgimp.gpl", "GIMP Palette\nnot a colour\n")
    write(local / "zeta.toml", GOOD_COLORS)
    names = [p.name for p in available_palettes(near=tmp_path)]
    assert "zeta" in names and "neon" in names
    assert "broken" not in names and "badgimp" not in names
    assert names == sorted(names)


def test_search_order_beside_the_sequence_then_user_then_built_in(tmp_path, monkeypatch):
    from render.palette import BUILTIN_PALETTES, find_palette, user_palettes

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    user = user_palettes()
    user.mkdir(parents=True)
    neon = (BUILTIN_PALETTES / "neon.toml").read_text()
    (user / "neon.toml").write_text(neon.replace("Electric", "User's electric"))
    mine = neon.replace('name = "neon"', 'name = "mine"')
    (user / "mine.toml").write_text(mine.replace("Electric", "Mine"))
    project = tmp_path / "project"
    (project / "palettes").mkdir(parents=True)
    (project / "palettes" / "mine.toml").write_text(mine.replace("Electric", "Beside"))
    assert find_palette("neon", project).description.startswith("User's")  # user over built-in
    assert find_palette("mine", project).description.startswith("Beside")  # beside over user
    assert find_palette("amber", project).source == str(BUILTIN_PALETTES / "amber.toml")
    monkeypatch.chdir(project)
    from click.testing import CliRunner

    from render.cli import cli

    out = CliRunner().invoke(cli, ["palettes"]).output
    assert f"user: {user / 'neon.toml'}" in out
    assert f"built in: {BUILTIN_PALETTES / 'amber.toml'}" in out
    assert "this folder: " in out and "synthwave" in out
    # a GIMP palette says how its colours became roles
    assert "background: the darkest unnamed colour, line" in out or "background: named" in out


def test_an_installed_renderer_finds_the_built_in_palettes_from_any_folder(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from render.palette import find_palette; print(find_palette('neon').source)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("render/palettes/neon.toml")


def test_palette_line_numbers_count_lines_as_toml_does(tmp_path):
    # A U+2028 inside a string is not a line break in TOML (str.splitlines thinks it is).
    path = tmp_path / "p.toml"
    path.write_text(
        'name = "p"\ndescription = "a\u2028b"\n[colors]\nbackground = "#000000"\n'
        'primary = "#ff0000"\nsecondary = "#00ff00"\nalert = "nope"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_palette(path)
    assert info.value.line == 7, str(info.value)
