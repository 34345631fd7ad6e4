"""Tests for render.easing: endpoints, clamping, monotonicity, known values, parse errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from render.easing import EASINGS, Easing, easing_names, parse_easing

GRID = [i / 199 for i in range(200)]
FAMILIES = ("sine", "quad", "cubic", "quart", "quint", "expo", "circ", "back", "elastic", "bounce")
MONOTONE_FAMILIES = ("sine", "quad", "cubic", "quart", "quint", "expo", "circ")
CSS_KEYWORDS = ("ease", "ease-in", "ease-out", "ease-in-out")
STEP_SPECS = [
    "steps(1)",
    "steps(4)",
    "steps(4, start)",
    "steps(4, end)",
    "steps(4, jump-start)",
    "steps(4, jump-end)",
    "steps(4, jump-none)",
    "steps(4, jump-both)",
    "steps(7, jump-both)",
]
MONOTONE_NAMES = [
    "linear",
    "hold",
    *[f"{kind}-{fam}" for fam in MONOTONE_FAMILIES for kind in ("in", "out", "in-out")],
    *CSS_KEYWORDS,
]
OVERSHOOTING = [
    *[f"{kind}-{fam}" for fam in ("back", "elastic") for kind in ("in", "out", "in-out")],
    "spring",
]
ALL_SPECS = [*sorted(EASINGS), *STEP_SPECS, "cubic-bezier(0.1, -0.6, 0.7, 1.8)"]


def _bezier_point(x1: float, y1: float, x2: float, y2: float, t: float) -> tuple[float, float]:
    """Point on the CSS bezier with control points (0,0), (x1,y1), (x2,y2), (1,1) at parameter t."""

    def coord(p1: float, p2: float) -> float:
        return 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t * t * p2 + t**3

    return coord(x1, x2), coord(y1, y2)


# --- registry ----------------------------------------------------------------------------------


def test_registry_has_every_named_easing() -> None:
    penner = {f"{kind}-{fam}" for fam in FAMILIES for kind in ("in", "out", "in-out")}
    assert len(penner) == 30
    expected = penner | {"linear", "hold", "spring", *CSS_KEYWORDS}
    assert set(EASINGS) == expected


def test_easing_names_is_sorted_registry() -> None:
    names = easing_names()
    assert names == sorted(names)
    assert set(names) == set(EASINGS)


@pytest.mark.parametrize("name", sorted(EASINGS))
def test_parse_plain_name_returns_registry_entry(name: str) -> None:
    assert parse_easing(name) is EASINGS[name]
    assert parse_easing(f"  {name.upper()}\t") is EASINGS[name]


# --- contract every easing must keep -------------------------------------------------------


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_endpoints_are_exact(spec: str) -> None:
    f = parse_easing(spec)
    assert f(0.0) == pytest.approx(0.0, abs=1e-9)
    assert f(1.0) == pytest.approx(1.0, abs=1e-9)
    # The contract is exact, not just close.
    assert f(0.0) == 0.0
    assert f(1.0) == 1.0


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_returns_float(spec: str) -> None:
    f = parse_easing(spec)
    for u in (0, 0.0, 0.25, 0.5, 0.75, 1, 1.0):
        assert type(f(u)) is float


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_clamps_input(spec: str) -> None:
    f = parse_easing(spec)
    for below in (-1e-9, -0.5, -3.0, -1e300, -math.inf):
        assert f(below) == f(0.0) == 0.0
    for above in (1.0 + 1e-9, 1.5, 7.0, 1e300, math.inf):
        assert f(above) == f(1.0) == 1.0


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_values_are_finite(spec: str) -> None:
    f = parse_easing(spec)
    assert all(math.isfinite(f(u)) for u in GRID)


@pytest.mark.parametrize("spec", [*MONOTONE_NAMES, *STEP_SPECS])
def test_monotone_non_decreasing(spec: str) -> None:
    f = parse_easing(spec)
    values = [f(u) for u in GRID]
    for u, a, b in zip(GRID, values, values[1:], strict=False):
        assert b >= a - 1e-12, f"{spec} decreases after u={u}: {a} -> {b}"
    assert all(-1e-12 <= v <= 1 + 1e-12 for v in values), f"{spec} leaves [0, 1]"


@pytest.mark.parametrize("name", OVERSHOOTING)
def test_overshooting_easings_really_overshoot(name: str) -> None:
    f = EASINGS[name]
    values = [f(u) for u in GRID]
    assert max(values) > 1.0 + 1e-3 or min(values) < -1e-3


def test_spring_overshoots_then_settles() -> None:
    f = EASINGS["spring"]
    values = [f(i / 1000) for i in range(1001)]
    assert max(values) > 1.05  # visible overshoot
    assert max(values) < 1.5  # but not wild
    # at least a couple of oscillations: the curve crosses 1 several times
    crossings = sum(1 for a, b in zip(values, values[1:], strict=False) if (a - 1) * (b - 1) < 0)
    assert crossings >= 3
    # and it has settled by the end
    assert all(abs(v - 1) < 0.02 for v in values[900:])


@pytest.mark.parametrize("name", ["in-bounce", "out-bounce", "in-out-bounce"])
def test_bounce_stays_in_range_but_is_not_monotone(name: str) -> None:
    values = [EASINGS[name](u) for u in GRID]
    assert all(-1e-12 <= v <= 1 + 1e-12 for v in values)
    assert any(b < a for a, b in zip(values, values[1:], strict=False))


# --- specific values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "u", "expected"),
    [
        ("linear", 0.37, 0.37),
        ("in-quad", 0.5, 0.25),
        ("out-quad", 0.5, 0.75),
        ("in-out-cubic", 0.5, 0.5),
        ("in-cubic", 0.5, 0.125),
        ("in-quart", 0.5, 0.0625),
        ("in-quint", 0.5, 0.03125),
        ("out-cubic", 0.5, 0.875),
        ("in-out-quad", 0.25, 0.125),
        ("in-sine", 0.5, 1 - math.cos(math.pi / 4)),
        ("out-sine", 0.5, math.sin(math.pi / 4)),
        ("in-out-sine", 0.5, 0.5),
        ("in-expo", 0.5, 2.0**-5),
        ("out-expo", 0.5, 1 - 2.0**-5),
        ("in-out-expo", 0.5, 0.5),
        ("in-circ", 0.5, 1 - math.sqrt(0.75)),
        ("out-circ", 0.5, math.sqrt(0.75)),
        ("out-bounce", 0.5, 0.765625),
        ("in-back", 0.5, 2.70158 / 8 - 1.70158 / 4),
        ("hold", 0.0, 0.0),
        ("hold", 0.5, 0.0),
        ("hold", 0.99, 0.0),
        ("hold", 0.999999, 0.0),
        ("hold", 1.0, 1.0),
        ("steps(4)", 0.3, 0.25),
        ("steps(4)", 0.25, 0.25),
        ("steps(4)", 0.24, 0.0),
        ("steps(4, end)", 0.99, 0.75),
        ("steps(4, start)", 0.3, 0.5),
        ("steps(4, start)", 0.01, 0.25),
        ("steps(4, jump-start)", 0.3, 0.5),
        ("steps(4, jump-none)", 0.3, 1 / 3),
        ("steps(4, jump-none)", 0.8, 1.0),
        ("steps(4, jump-both)", 0.3, 0.4),
        ("steps(4, jump-both)", 0.01, 0.2),
        ("steps(1)", 0.99, 0.0),
    ],
)
def test_known_values(spec: str, u: float, expected: float) -> None:
    assert parse_easing(spec)(u) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("spec", ["cubic-bezier(0.25, 0.1, 0.25, 1)", "ease"])
def test_css_ease_known_value(spec: str) -> None:
    # Browsers report ~0.8024 for the CSS `ease` curve half way through.
    assert parse_easing(spec)(0.5) == pytest.approx(0.8024, abs=1e-3)


def test_in_out_curves_are_symmetric() -> None:
    for fam in ("sine", "quad", "cubic", "quart", "quint", "expo", "circ", "back", "bounce"):
        f = EASINGS[f"in-out-{fam}"]
        for u in GRID:
            assert f(u) + f(1 - u) == pytest.approx(1.0, abs=1e-9), (fam, u)


def test_out_is_mirror_of_in() -> None:
    for fam in FAMILIES:
        f_in, f_out = EASINGS[f"in-{fam}"], EASINGS[f"out-{fam}"]
        for u in GRID:
            assert f_out(u) == pytest.approx(1 - f_in(1 - u), abs=1e-9), (fam, u)


def test_cubic_bezier_linear_matches_linear() -> None:
    f = parse_easing("cubic-bezier(0, 0, 1, 1)")
    for u in GRID:
        assert f(u) == pytest.approx(EASINGS["linear"](u), abs=1e-9)


@pytest.mark.parametrize(
    ("args", "keyword"),
    [
        ("0.25,0.1,0.25,1", "ease"),
        ("0.42,0,1,1", "ease-in"),
        ("0,0,0.58,1", "ease-out"),
        ("0.42, 0, 0.58, 1", "ease-in-out"),
    ],
)
def test_cubic_bezier_matches_css_keyword(args: str, keyword: str) -> None:
    f = parse_easing(f"cubic-bezier({args})")
    g = EASINGS[keyword]
    for u in GRID:
        assert f(u) == pytest.approx(g(u), abs=1e-12)


@pytest.mark.parametrize(
    "ctrl",
    [
        (0.25, 0.1, 0.25, 1.0),
        (0.42, 0.0, 0.58, 1.0),
        (0.68, -0.6, 0.32, 1.6),  # easeInOutBack-like: y outside [0, 1]
        (0.0, 0.0, 0.0, 1.0),  # flat x slope at t=0
        (1.0, 0.0, 1.0, 1.0),  # flat x slope at t=1
        (1.0, 0.0, 0.0, 1.0),  # x'(t) == 0 in the middle: Newton alone stalls there
        (0.9, 2.5, 0.1, -1.5),
    ],
)
def test_cubic_bezier_solves_curve_accurately(ctrl: tuple[float, float, float, float]) -> None:
    f = parse_easing("cubic-bezier({}, {}, {}, {})".format(*ctrl))
    for i in range(1, 400):
        u, expected = _bezier_point(*ctrl, i / 400)
        assert f(u) == pytest.approx(expected, abs=1e-6), (ctrl, i / 400)


@settings(max_examples=200, deadline=None)
@given(
    x1=st.floats(0, 1),
    y1=st.floats(-3, 3),
    x2=st.floats(0, 1),
    y2=st.floats(-3, 3),
    t=st.floats(0.001, 0.999),
)
def test_cubic_bezier_property(x1: float, y1: float, x2: float, y2: float, t: float) -> None:
    f: Easing = parse_easing(f"cubic-bezier({x1!r}, {y1!r}, {x2!r}, {y2!r})")
    u, expected = _bezier_point(x1, y1, x2, y2, t)
    assert f(u) == pytest.approx(expected, abs=1e-6)


# --- parsing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        "steps(4,start)",
        "  STEPS ( 4 , Start )  ",
        "steps(4,\tstart)",
    ],
)
def test_parse_is_whitespace_and_case_tolerant(spec: str) -> None:
    f = parse_easing(spec)
    assert [f(u) for u in GRID] == [parse_easing("steps(4, start)")(u) for u in GRID]


def test_parse_cubic_bezier_tolerates_spacing_and_case() -> None:
    f = parse_easing("  Cubic-Bezier( 0.42 ,0,  1,1 ) ")
    assert f(0.3) == pytest.approx(EASINGS["ease-in"](0.3), abs=1e-12)


def test_unknown_name_suggests_close_match() -> None:
    with pytest.raises(ValueError, match=r'unknown easing "in-out-cubc"') as info:
        parse_easing("in-out-cubc")
    assert '(did you mean "in-out-cubic"?)' in str(info.value)


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(ValueError, match=r'unknown easing "zzzzzz"') as info:
        parse_easing("zzzzzz")
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize(
    ("spec", "pattern"),
    [
        ("steps(0)", r'steps\(n\) needs a whole number n >= 1, got "0"'),
        ("steps(-2)", r'steps\(n\) needs a whole number n >= 1, got "-2"'),
        ("steps(x)", r'steps\(n\) needs a whole number n >= 1, got "x"'),
        ("steps(2.5)", r'steps\(n\) needs a whole number n >= 1, got "2.5"'),
        ("steps()", r"steps\(\) takes 1 or 2 arguments"),
        ("steps(3, start, end)", r"steps\(\) takes 1 or 2 arguments .* got 3"),
        ("steps(3, middle)", r'position .* got "middle"'),
        ("steps(3, jumpstart)", r'did you mean "jump-start"'),
        ("steps(1, jump-none)", r"jump-none\) needs n >= 2"),
        ("cubic-bezier(1.5, 0, 1, 1)", r"x1 and x2 in \[0, 1\], got x1=1.5"),
        ("cubic-bezier(0, 0, -0.1, 1)", r"x1 and x2 in \[0, 1\], got x2=-0.1"),
        ("cubic-bezier(1,2)", r"cubic-bezier\(\) takes 4 numbers .* got 2"),
        ("cubic-bezier(0,0,1,1,1)", r"cubic-bezier\(\) takes 4 numbers .* got 5"),
        ("cubic-bezier()", r"cubic-bezier\(\) takes 4 numbers .* got 0"),
        ("cubic-bezier(0, a, 1, 1)", r'y1 to be a finite number, got "a"'),
        ("cubic-bezier(0, nan, 1, 1)", r'y1 to be a finite number, got "nan"'),
        ("cubic-bezier(0, 0, 1, inf)", r'y2 to be a finite number, got "inf"'),
        ("cubic-bezeir(0, 0, 1, 1)", r'unknown easing function .*did you mean "cubic-bezier"'),
        ("ease(", r"malformed easing"),
        ("", r"empty easing"),
        ("   ", r"empty easing"),
    ],
)
def test_parse_errors(spec: str, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        parse_easing(spec)


def test_y_outside_unit_range_is_allowed() -> None:
    f = parse_easing("cubic-bezier(0.68, -0.6, 0.32, 1.6)")
    values = [f(u) for u in GRID]
    assert min(values) < 0 and max(values) > 1


@pytest.mark.parametrize(
    "ease, first",
    [
        ("steps(4)", 0.0),
        ("steps(4, end)", 0.0),
        ("steps(4, jump-none)", 0.0),
        ("steps(4, start)", 0.25),
        ("steps(4, jump-start)", 0.25),
        ("steps(4, jump-both)", 0.2),
    ],
)
@pytest.mark.parametrize("loop", [False, True])
def test_steps_show_their_first_step_on_the_keyframe_frame_as_css_does(ease, first, loop):
    from render.sequence import parse_sequence

    seq = parse_sequence(
        f"[sequence]\nduration = 4\nfps = 10\nloop = {str(loop).lower()}\n"
        f'[tracks]\nx = [[0, 0.0, "{ease}"], [2, 1.0, "{ease}"], [3, 0.0]]\n'
    )
    x = seq.tracks["x"]
    # CSS: at the keyframe (progress 0) jump-start and jump-both have already jumped once.
    assert x.sample(0.0, seq.duration, seq.loop) == pytest.approx(first)
    assert x.sample(2.0, seq.duration, seq.loop) == pytest.approx(1 - first)
    assert x.sample(3.0, seq.duration, seq.loop) == 0.0  # the last keyframe's own value
    assert seq.sample(0.0)["x"] == pytest.approx(first)
