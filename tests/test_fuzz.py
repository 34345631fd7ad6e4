"""Fuzzing the sequence loader and `render check`: whatever the input -- random bytes, random
TOML documents, mutations of every shipped sequence -- the answer is a valid Sequence or
one ConfigError line naming the file (and through the CLI: exit status 0 or 2, one line on
stderr, never a traceback, never a hang).

Reproducible: derandomized examples (the same ones on every run and machine), no example
database, and a per-example deadline that catches hangs.
"""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
import signal
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from render.cli import cli
from render.errors import ConfigError
from render.frame import Renderer
from render.lint import lint
from render.sequence import HEADER_KEYS, KEY_KEYS, TOP_KEYS, Sequence, parse_sequence

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "sequences").glob("*.toml"))
SOURCE = ROOT / "sequences" / "fuzzed.toml"  # beside the real ones: palettes resolve alike

FUZZ = settings(
    derandomize=True,
    database=None,
    max_examples=120,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Warm up once (palette lookup, layer registry, easing tables) so the deadline measures
# the loader, not first-time imports.
parse_sequence(SHIPPED[0].read_bytes(), source=SHIPPED[0])


def outcome(data: bytes | str, source: Path = SOURCE) -> Sequence | ConfigError:
    """Parse, and hold the loader to its promise: a Sequence or a one-line ConfigError."""
    try:
        seq = parse_sequence(data, source=source)
    except ConfigError as err:
        text = str(err)
        assert len(text.splitlines()) == 1 and "\n" not in text and "\r" not in text, text
        assert text.startswith(str(source)), text
        assert err.file == str(source)
        if err.line is not None:
            raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
            assert 1 <= err.line <= raw.count(b"\n") + 1, (err.line, text)
        return err
    assert isinstance(seq, Sequence)
    assert seq.frames >= 1 and 2 <= seq.width <= 16384 and 2 <= seq.height <= 16384
    assert 0 < seq.fps <= 240 and math.isfinite(seq.duration)
    for warning in lint(seq):  # what loads can be linted, each warning on one line
        assert len(str(warning).splitlines()) == 1, str(warning)
    return seq


# --------------------------------------------------------------------------- a tiny TOML writer


def toml_string(text: str) -> str:
    # JSON's escapes are TOML's, except that TOML also wants DEL escaped
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def dumps(doc: dict) -> str:
    """Serialise a dict as TOML: scalars and arrays first, then [tables], then [[layers]] and
    [[effects]], with keyframe arrays one inline table per line like the shipped files."""
    lines: list[str] = []

    def table(prefix: str | None, body: dict) -> None:
        subtables = []
        for k, v in body.items():
            if prefix is not None and isinstance(v, dict) and v:
                subtables.append((k, v))
            elif isinstance(v, list) and len(v) > 1 and all(isinstance(x, dict) for x in v):
                lines.append(f"{toml_key(k)} = [")
                lines.extend(f"  {toml_value(x)}," for x in v)
                lines.append("]")
            else:
                lines.append(f"{toml_key(k)} = {toml_value(v)}")
        for k, v in subtables:
            name = f"{prefix}.{toml_key(k)}" if prefix else toml_key(k)
            lines.append(f"\n[{name}]")
            table(name, v)

    arrays = {
        k: v
        for k, v in doc.items()
        if k in ("layers", "effects") and isinstance(v, list) and v
        and all(isinstance(x, dict) and x for x in v)
    }  # fmt: skip
    table("", {k: v for k, v in doc.items() if k not in arrays})
    for k, items in arrays.items():
        for item in items:
            lines.append(f"\n[[{k}]]")
            table(None, item)  # None: nested tables stay inline
    return "\n".join(lines) + "\n"


def test_the_tiny_toml_writer_round_trips_every_shipped_sequence():
    for path in SHIPPED:
        doc = tomllib.loads(path.read_text())
        assert tomllib.loads(dumps(doc)) == doc, path.name


# --------------------------------------------------------------------------- strategies

WORDS = [
    *TOP_KEYS, *HEADER_KEYS, *KEY_KEYS, "keys", "type", "enabled", "escalation", "glitch",
    "tint", "chamber", "web", "core", "console", "bloom", "grain", "strength", "radius",
    "amount", "colour", "intensity", "size", "breaks", "fpss", "durration", "kes",
    "a\nb", "cr\rlf", "ff\x0cx", "ls\u2028x", "", " ", "tab\tkey", "é",
]  # fmt: skip
ODD_STRINGS = [
    "1920x1080", "4k", "64x36", "0x0", "20000x20000", "30%", "120%", "-5s", "800ms", "1e999",
    "NaN", "nan", "-1", "", "#ff3355", "#ff335", "primary", "neon", "neonn", "linear",
    "in-out-cubc", "steps(0)", "steps(3, jump-none)", "cubic-bezier(2, 0, 0, 1)", "spring",
    "../../etc/passwd", "../../etc/passwd.toml", "~nobody/x.gpl", "a\nb", "é✓", "\x00",
    "in\nout", "x\u2028y", "\x1e", "\r",
]  # fmt: skip
HUGE = [10**400, -(10**400), 2**64, 10**30, 1e308, -1e308]
LAYER_TYPES = ["chamber", "web", "core", "console", "vapor", "whispers", "klaxon", "wake"]
EFFECT_TYPES = ["bloom", "chromatic_aberration", "scanlines", "vignette", "grain", "flicker"]
PARAMS = ["colour", "intensity", "rate", "size", "breaks", "cracks", "strength", "radius",
          "amount", "threshold", "period", "enabled", "fog", "pulse", "sizee"]  # fmt: skip

keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=8))
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**63, *HUGE]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(ODD_STRINGS),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@st.composite
def mostly_(draw, good, odd):
    # one_of() doesn't pick its branches evenly; a drawn number does
    return draw(odd) if draw(st.integers(0, 5)) == 0 else draw(st.sampled_from(good))


def mostly(*good, odd=scalars):
    """Usually one of `good` (so the loader gets past this key), sometimes anything."""
    return mostly_(good, odd)


times = mostly("0%", "50%", "100%", 0, 1, 1.5, "500ms", "2s")
numbers = st.floats(-2, 2, allow_nan=False) | st.sampled_from([0, 1, 0.5])
keyframe = st.one_of(
    st.fixed_dictionaries(
        {"at": times, "value": mostly(0, 0.5, 1, "#ff3355", "primary", odd=numbers | scalars)},
        optional={"ease": mostly("linear", "in-out-sine", "steps(4)", "spring", "hold", "in\nout")},
    ),
    st.tuples(times, numbers).map(list),
    st.lists(scalars, min_size=1, max_size=4),
)
keyframes = st.lists(keyframe, min_size=1, max_size=4)
header = st.fixed_dictionaries(
    {"duration": mostly(2, 0.5, 3)},
    optional={
        "fps": mostly(10, 30, 240, 0, 241),
        "size": mostly("64x36", "preview", [64, 36], "20000x20000", [64], "0x0"),
        "seed": mostly(0, 42, 2**63 - 1, 2**63, -1),
        "palette": mostly("neon", "amber", "synthwave", "neonn", "../palettes/vapor.toml",
                          "../../etc/passwd", "../README.md", "dream.toml", "nope.gpl",
                          "~nobody-here/x.toml", "a\x00.toml", "/", "../palettes"),
        "loop": mostly(True, False),
        "title": mostly("t", ""),
        "description": st.text(max_size=20),
    },
)  # fmt: skip
layer = st.fixed_dictionaries(
    {"type": mostly(*LAYER_TYPES, "webb")},
    optional={
        **{p: mostly(0.5, 1, "glitch", "tint", "primary", "x") for p in PARAMS[:8]},
        **{word: values for word in ('"x', "a\nb", "")},  # odd parameter names
    },
)
effect = st.fixed_dictionaries(
    {"type": mostly(*EFFECT_TYPES, "blom")},
    optional={p: mostly(0.5, 0.01, "glitch", "tint", -1) for p in PARAMS[6:]},
)
base = st.fixed_dictionaries(
    {"sequence": header},
    optional={
        "tracks": st.dictionaries(
            mostly("escalation", "glitch", "tint", "x", "aberration", odd=keys),
            st.one_of(keyframes, st.fixed_dictionaries({"keys": keyframes}), values),
            max_size=3,
        ),
        "layers": st.lists(layer, max_size=3),
        "effects": st.lists(effect, max_size=2),
    },
)


@st.composite
def documents(draw):
    doc = draw(base)
    kind = draw(st.integers(0, 7))
    if kind == 0:  # an unknown key at the top
        doc[draw(keys)] = draw(values)
    elif kind == 1:  # or in the header
        doc["sequence"] = {**doc["sequence"], draw(keys): draw(values)}
    return doc


documents = documents()


# --------------------------------------------------------------------------- mutations


def typo(word: str, rnd: random.Random) -> str:
    if len(word) < 2:
        return word + "x"
    i = rnd.randrange(len(word) - 1)
    kind = rnd.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]  # drop a letter
    if kind == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two
    return word[:i] + word[i] + word[i:]  # double one


REPLACEMENTS = [
    0, -1, *HUGE, "NaN", "nan", "inf", "-1", "", True, [], {}, -0.0, "#ff3355", "primary",
    "glitch", "aberration", "escalation", "a\nb",
]  # fmt: skip
# Number literals in the text, for text-level edits (digit runs too long to convert included).
NUMBER = re.compile(r"(?<![\w.#])-?\d+(\.\d+)?(?![\w%])")
NUMBER_EDITS = ["0", "-1", "9" * 400, "9" * 5000, "0x" + "f" * 300, "1e999", "nan", "-inf", '"NaN"']


def mutate(doc, rnd: random.Random):
    """One random edit somewhere in the tree: delete a key, change a type, zero/-1/huge/NaN a
    number, rename a key with a typo, shuffle or duplicate keyframes."""
    containers = []

    def walk(node):
        if isinstance(node, dict) and node:
            containers.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list) and node:
            containers.append(node)
            for v in node:
                walk(v)

    walk(doc)
    node = rnd.choice(containers)
    if isinstance(node, list):
        op = rnd.randrange(4)
        if op == 0:
            rnd.shuffle(node)
        elif op == 1:
            node.insert(rnd.randrange(len(node) + 1), rnd.choice(node))
        elif op == 2:
            del node[rnd.randrange(len(node))]
        else:
            node[rnd.randrange(len(node))] = rnd.choice(REPLACEMENTS)
        return
    key = rnd.choice(list(node))
    op = rnd.randrange(4)
    if op == 0:
        del node[key]
    elif op == 1:
        node[typo(key, rnd)] = node.pop(key)
    elif op == 2:
        value = node[key]
        if isinstance(value, int | float) and not isinstance(value, bool):
            node[key] = rnd.choice([0, -1, 10**30, -(10**30), 1e308, math.nan, math.inf])
        else:
            node[key] = rnd.choice(REPLACEMENTS)
    else:
        node[key] = str(node[key]) if not isinstance(node[key], str) else 1


def mutate_text(text: str, rnd: random.Random) -> str:
    lines = text.split("\n")
    i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
    op = rnd.randrange(7)
    numbers = list(NUMBER.finditer(text))
    if op >= 5 and numbers:  # a number becomes 0, -1, huge, NaN-like
        m = rnd.choice(numbers)
        return text[: m.start()] + rnd.choice(NUMBER_EDITS) + text[m.end() :]
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(j, lines[i])
    elif op == 2:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        return text[: rnd.randrange(len(text))]
    else:
        pos = rnd.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + rnd.choice('[]{}"=,#\\\n.x0') + lines[i][pos:]
    return "\n".join(lines)


# --------------------------------------------------------------------------- properties


@settings(FUZZ, max_examples=200)
@given(st.binary(max_size=400))
def test_any_bytes(data):
    outcome(data)


@settings(FUZZ, max_examples=200)
@given(st.text(alphabet=st.sampled_from("[]{}\"'=.,#\n \tabc01%-"), max_size=200))
def test_toml_shaped_noise(text):
    outcome(text)


@settings(FUZZ, max_examples=400)
@given(documents)
def test_any_toml_document(doc):
    outcome(dumps(doc))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(FUZZ, max_examples=150)
@given(seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
def test_mutations_of_shipped_sequences(path, seed, edits):
    rnd = random.Random(seed)
    doc = tomllib.loads(path.read_text())
    for _ in range(edits):
        mutate(doc, rnd)
    outcome(dumps(doc), source=path.with_name(f"mutated-{path.name}"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(FUZZ, max_examples=100)
@given(seed=st.integers(0, 2**32 - 1))
def test_text_mutations_of_shipped_sequences(path, seed):
    rnd = random.Random(seed)
    outcome(mutate_text(path.read_text(), rnd), source=path.with_name(f"mutated-{path.name}"))


def check_via_cli(tmp_path: Path, data: bytes) -> None:
    src = tmp_path / "fuzzed.toml"
    src.write_bytes(data)
    result = CliRunner().invoke(cli, ["check", str(src)])
    assert result.exit_code in (0, 2), (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit | None), result.exception
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"error: {src}"), lines[0]
        assert result.stdout == ""
    else:
        assert result.stdout.rstrip().endswith("ok")


@settings(FUZZ, max_examples=60)
@given(data=st.one_of(st.binary(max_size=200), documents.map(lambda d: dumps(d).encode())))
def test_render_check_on_anything(tmp_path_factory, data):
    check_via_cli(tmp_path_factory.mktemp("check"), data)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(FUZZ, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1))
def test_render_check_on_mutated_shipped_sequences(tmp_path_factory, path, seed):
    rnd = random.Random(seed)
    doc = tomllib.loads(path.read_text())
    mutate(doc, rnd)
    data = (dumps(doc) if rnd.random() < 0.5 else mutate_text(path.read_text(), rnd)).encode()
    check_via_cli(tmp_path_factory.mktemp("check"), data)


# --------------------------------------------------------------------------- found by fuzzing


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[sequence]\nduration = " + "9" * 400 + "\n", "finite number"),
        ("[sequence]\nduration = " + "9" * 5000 + "\n", "too many digits"),
        ("[sequence]\nduration = 0x" + "f" * 5000 + "\n", "finite number"),
        ("[sequence]\nduration = 2\n[tracks]\nx = [[" + "9" * 400 + ", 1]]\n", "too large"),
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ('[sequence]\nduration = 2\npalette = "~nobody-here/x.toml"\n', "sequence.palette"),
        ('[sequence]\nduration = 2\n[tracks]\nx = [[0, 1, """in\nout"""]]\n', "\\n"),
        ('"a\\nb" = 1\n', '"a\\nb"'),
        ('[sequence]\nduration = 2\n[[layers]]\ntype = "web"\n"\\"x" = 1\n', "layers[0]"),
        ("[sequence]\nduration = ", "line 2"),
        ('[sequence]\nduration = 2\n[[layers]]\ntype = "core"\nsize = 1e308\n', "in 0.05..3"),
        ('[sequence]\nduration = 2\n[tracks]\nescalation = [[0, "#ff0000"]]\n', "numbers"),
        ('[sequence]\nduration = 2\n[[layers]]\ntype = "core"\ncolour = "glitch"\n', "colour"),
        (
            '[sequence]\nduration = 2\n[tracks]\nt = [[0, "primary"]]\n'
            '[[effects]]\ntype = "bloom"\nstrength = "t"\n',
            "holds colours",
        ),
    ],  # fmt: skip
)
def test_inputs_that_used_to_crash_or_hang(text, fragment):
    err = outcome(text)
    assert isinstance(err, ConfigError)
    shown = str(err) if fragment != "line 2" else f"line {err.line}"
    assert fragment in shown, shown


# --------------------------------------------------------------------------- valid mutants render


class Hang(Exception):
    pass


@contextlib.contextmanager
def no_hang(seconds: float):
    """Fail instead of hanging: SIGALRM interrupts Python code that runs too long."""

    def alarm(*_):
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
@settings(FUZZ, max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutants_that_load_also_render(path, seed):
    """A sequence the loader accepts renders: no type left for a layer to trip on (a colour
    track where a number goes), no value so large a layer never finishes."""
    rnd = random.Random(seed)
    doc = tomllib.loads(path.read_text())
    for _ in range(rnd.randint(1, 3)):
        mutate(doc, rnd)
    result = outcome(dumps(doc), source=path)
    if isinstance(result, ConfigError):
        return
    small = result.replace(size=(32, 18))
    with no_hang(20):
        renderer = Renderer(small)
        for index in (0, small.frames // 2, small.frames - 1):
            frame = renderer.render(index)
            assert frame.shape == (18, 32, 3)


# --------------------------------------------------------------------------- error quality


def keyframe_lines(text: str) -> list[tuple[str, int, int]]:
    """(track, index, line) of every keyframe written as an inline table on its own line."""
    found, track, index = [], None, 0
    for number, line in enumerate(text.split("\n"), start=1):
        head = re.match(r"\s*\[tracks\.([\w-]+)\]", line)
        if head:
            track, index = head.group(1), 0
        elif line.startswith("["):
            track = None
        elif track and re.match(r"\s*\{\s*at\s*=", line):
            found.append((track, index, number))
            index += 1
    return found


def test_every_keyframe_error_points_at_that_keyframes_line():
    spots = [(path, *spot) for path in SHIPPED for spot in keyframe_lines(path.read_text())]
    assert len(spots) >= 5, "the shipped sequences have inline-table keyframes on their own lines"
    for path, track, index, number in spots:
        text = path.read_text()
        lines = text.split("\n")
        lines[number - 1] = re.sub(
            r"(\{\s*at\s*=\s*[^,]+,\s*value\s*=\s*[^,}]+)(.*)", r'\1, ease = "in-out-cubc" },',
            lines[number - 1],
        )  # fmt: skip
        err = outcome("\n".join(lines), source=path)
        assert isinstance(err, ConfigError)
        assert err.key == f"tracks.{track}.keys[{index}].ease", str(err)
        assert err.line == number, str(err)
        assert 'did you mean "in-out-cubic"' in str(err)


def test_keyframes_out_of_order_and_at_the_same_time_are_named_with_their_lines():
    head = "[sequence]\nduration = 10\n\n[tracks.glow]\nkeys = [\n"
    body = "  { at = 1, value = 0 },\n  { at = 5, value = 1 },\n  { at = 3, value = 0 },\n]\n"
    err = outcome(head + body)
    assert err.key == "tracks.glow.keys[2].at" and err.line == 8
    assert "time order" in err.message and "keyframe 1 on line 7" in err.message
    err = outcome(head + body.replace("at = 3", "at = 5"))
    assert err.key == "tracks.glow.keys[2].at" and err.line == 8
    assert "same time (5 s)" in err.message and "keyframe 1 on line 7" in err.message
    # the short form, one [at, value] per line
    err = outcome("[sequence]\nduration = 10\n[tracks]\nx = [\n  [0, 1],\n  [0, 2],\n]\n")
    assert err.key == "tracks.x[1].at" and err.line == 6


@pytest.mark.parametrize(
    ("body", "key", "suggestion"),
    [
        *[
            (f"[sequence]\nduration = 2\n{typo_}= 1\n", f"sequence.{typo_.strip()}", good)
            for typo_, good in [
                ("fpss ", "fps"),
                ("durration ", "duration"),
                ("sed ", "seed"),
                ("pallette ", "palette"),
                ("loops ", "loop"),
                ("tittle ", "title"),
                ("sise ", "size"),
                ("descripton ", "description"),
            ]
        ],
        ("[sequence]\nduration = 2\n[trakcs]\n", "trakcs", "tracks"),
        ("[sequence]\nduration = 2\n[tracks.x]\nkes = [[0, 1]]\n", "tracks.x.kes", "keys"),
        (
            "[sequence]\nduration = 2\n[tracks]\nx = [{ att = 0, value = 1 }]\n",
            "tracks.x[0].att",
            "at",
        ),
        ("[sequence]\nduration = 2\n[[layers]]\ntype = 'kore'\n", "layers[0].type", "core"),
        (
            "[sequence]\nduration = 2\n[[effects]]\ntype = 'bloom'\nstrenght = 1\n",
            "effects[0].strenght",
            "strength",
        ),
    ],  # fmt: skip
)
def test_unknown_keys_suggest_the_closest_known_one(body, key, suggestion):
    err = outcome(body)
    assert err.key == key, str(err)
    assert f'did you mean "{suggestion}"' in str(err)
    assert err.line is not None


def test_every_layer_and_effect_parameter_typo_is_caught_with_a_suggestion():
    from render.registry import EFFECTS, LAYERS

    tables = [("layers", n, dict(layer.params)) for n, layer in LAYERS.items()]
    tables += [("effects", n, dict(effect.params)) for n, effect in EFFECTS.items()]
    for section, kind, params in tables:
        for name in params:
            text = f"[sequence]\nduration = 2\n[[{section}]]\ntype = '{kind}'\n{name}x = 1\n"
            err = outcome(text)
            assert err.key == f"{section}[0].{name}x" and err.line == 5, str(err)
            assert f'did you mean "{name}"' in str(err), str(err)


def test_toml_syntax_errors_carry_a_line():
    for text in ("[sequence\n", "[sequence]\nduration = \n", "[sequence]\nduration = 2\nx = [1,\n"):
        err = outcome(text)
        assert err.line is not None and "not valid TOML" in str(err), str(err)
