"""The library API as the README shows it, sequences built in code, and plugins."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import render
from render.errors import ConfigError, InputError
from render.params import TrackRef
from render.sequence import ElementSpec, Sequence
from render.tracks import Keyframe, Track

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_example() -> str:
    m = re.search(r"## Use it from Python.*?```python\n(.*?)```", README, re.S)
    assert m, "README has no 'Use it from Python' example"
    return m.group(1)


@pytest.mark.slow
def test_the_readme_example_runs_with_two_workers(tmp_path):
    script = tmp_path / "example.py"
    script.write_text(_readme_example(), encoding="utf-8")
    (tmp_path / "sequences").mkdir()  # "from the repository's folder"; its out/ stays clean
    (tmp_path / "sequences" / "dream.toml").write_bytes(
        (ROOT / "sequences/dream.toml").read_bytes()
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    clip = tmp_path / "out" / "hum.mp4"
    meta = iio.immeta(clip, plugin="FFMPEG")
    assert meta["fps"] == 30 and meta["codec"] == "h264"
    frames = iio.imread(clip, plugin="FFMPEG")
    assert frames.shape == (30, 90, 160, 3)  # one second at 30 fps
    still = iio.imread(tmp_path / "out" / "split.png")
    assert still.shape == (90, 160, 3)


def test_frame_is_the_still_cli_pixels(tmp_path):
    from click.testing import CliRunner

    from render.cli import cli

    seq = render.load(ROOT / "sequences" / "dream.toml", size=(96, 54))
    out = tmp_path / "x.png"
    result = CliRunner().invoke(
        cli,
        [
            "still",
            str(ROOT / "sequences/dream.toml"),
            "--at",
            "62%",
            "--size",
            "96x54",
            "-o",
            str(out),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert np.array_equal(iio.imread(out), seq.frame_at("62%"))
    # the three spellings of one moment
    i = seq.index_at(0.62 * seq.duration)
    assert np.array_equal(seq.frame_at(f"{i}f"), seq.frame(i))
    assert np.array_equal(seq.frame_at(i / seq.fps), seq.frame(i))


def test_overrides_and_bad_arguments():
    seq = render.load(
        ROOT / "sequences" / "dream.toml", size=(64, 36), seed=5, fps=12, palette="amber"
    )
    assert (seq.size, seq.seed, seq.fps, seq.palette.name) == ((64, 36), 5, 12.0, "amber")
    with pytest.raises(InputError, match=f"within 0..{seq.duration:g} s"):
        seq.frame_at(f"{seq.duration + 4:g}s")
    with pytest.raises(InputError, match="frame 9999"):
        seq.frame(9999)
    with pytest.raises(ConfigError, match="palette"):
        render.load(ROOT / "sequences" / "dream.toml", palette="nope")


def test_animate_refuses_bad_options_before_rendering(tmp_path, monkeypatch):
    import render.pipeline

    def no_rendering(*a, **k):
        raise AssertionError("rendering started")

    monkeypatch.setattr(render.pipeline, "render_frames", no_rendering)
    seq = render.load(ROOT / "sequences" / "dream.toml", size=(64, 36))
    out = tmp_path / "a.mp4"
    with pytest.raises(InputError, match='unknown x264 preset .*did you mean "veryfast"'):
        render.animate(seq, out, preset="veryfas", workers=1)
    with pytest.raises(InputError, match="--start"):
        render.animate(seq, out, start=f"{seq.duration + 1:g}", workers=1)
    assert list(tmp_path.iterdir()) == []


def _code_built() -> Sequence:
    """A sequence with no TOML text behind it."""
    from render.easing import parse_easing
    from render.palette import find_palette

    esc = Track(
        "escalation",
        (
            Keyframe(0.0, 0.5, parse_easing("in-out-sine"), "in-out-sine"),
            Keyframe(1.0, 0.8, parse_easing("linear")),
        ),
    )
    return Sequence(
        title="in code",
        duration=1.0,
        fps=8,
        size=(64, 36),
        seed=3,
        palette=find_palette("neon", None),
        loop=False,
        tracks={"escalation": esc},
        layers=(
            ElementSpec("core", {"size": 1.2}),
            ElementSpec("web", {"breaks": TrackRef("breaks")}),
        ),
        effects=(ElementSpec("bloom", {}),),
    )


@pytest.mark.slow
def test_a_sequence_built_in_code_renders_the_same_with_two_workers(tmp_path):
    seq = _code_built()
    calls = []
    done = render.animate(seq, tmp_path / "frames", workers=2, progress=calls.append)
    assert done.frames == 8 and sum(calls) == 8
    for i in (0, 5):
        got = iio.imread(tmp_path / "frames" / f"frame_{i:06d}.png")
        assert np.array_equal(got, seq.frame(i))


PLUGIN = """
import cairo
from render.params import colour, number
from render.post import Effect
from render.scene import Layer


def draw(cr, frame, params, built):
    cr.set_source_rgb(*params["colour"])
    w, h = frame.scene.width, frame.scene.height
    cr.rectangle(0, 0, params["width"] * w, h)
    cr.fill()


def invert(rgb, amount=1.0):
    return (255 - rgb) if amount > 0.5 else rgb.copy()


LAYER = Layer("stripe", draw, {
    "colour": colour("colour", "alert", "the stripe"),
    "width": number("width", 0.25, "how wide", 0, 1),
}, doc="A stripe down the left side.", default=False)
EFFECT = Effect("invert", invert, {"amount": number("amount", 1.0, "on above 0.5", 0, 1)},
                "Inverts the frame.")
"""


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """A tiny plugin package, installed (pip, into a folder of its own) as a user would."""
    base = tmp_path_factory.mktemp("plugin")
    pkg = base / "stripe-plugin"
    (pkg / "stripe_plugin").mkdir(parents=True)
    (pkg / "stripe_plugin" / "__init__.py").write_text(PLUGIN)
    (pkg / "pyproject.toml").write_text(
        textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=68"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "stripe-plugin"
        version = "1.0"
        [project.entry-points."render.layers"]
        stripe = "stripe_plugin:LAYER"
        [project.entry-points."render.effects"]
        invert = "stripe_plugin:EFFECT"
    """)
    )
    site = base / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(pkg),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return site


@pytest.mark.slow
def test_an_installed_plugin_renders_with_two_workers_and_is_validated(tmp_path, plugin_site):
    seq = tmp_path / "s.toml"
    seq.write_text(
        textwrap.dedent("""
        [sequence]
        duration = 0.5
        fps = 8
        size = "64x36"
        [[layers]]
        type = "stripe"
        width = 0.5
        [[effects]]
        type = "invert"
    """)
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_site), str(ROOT)])}
    run = [sys.executable, "-m", "render"]
    out = tmp_path / "f"
    done = subprocess.run(
        [*run, "animate", str(seq), "-o", str(out), "--workers", "2", "-q"],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()
    frame = iio.imread(out / "frame_000002.png").astype(int)
    # the stripe (alert colour, inverted) covers the left half, the background the rest
    assert np.abs(frame[:, :30] - frame[:, 34:]).mean() > 40
    assert np.abs(frame[:, 34:].mean(axis=(0, 1)) - (255 - np.array([5, 5, 12]))).max() < 30
    # validated from its declarations like a built-in
    seq.write_text(seq.read_text().replace("width = 0.5", "width = 3"))
    bad = subprocess.run([*run, "check", str(seq)], env=env, capture_output=True, timeout=120)
    assert bad.returncode == 2
    assert "layers[0].width: expected a number in 0..1, got 3" in bad.stderr.decode()
    # and documented with the built-ins
    docs = subprocess.run(
        [sys.executable, "-c", "from render.docs import tables; print(tables())"],
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert "### `stripe`" in docs.stdout.decode() and "### `invert`" in docs.stdout.decode()


@pytest.mark.slow
def test_a_layer_registered_in_a_script_works_with_two_workers(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        PLUGIN
        + textwrap.dedent(f"""
        import render
        if __name__ == "__main__":
            render.register(LAYER, EFFECT)
            import render.sequence as rs
            seq = rs.parse_sequence('''
        [sequence]
        duration = 0.5
        fps = 8
        size = "64x36"
        [[layers]]
        type = "stripe"
        [[effects]]
        type = "invert"
        ''')
            render.animate(seq, {str(tmp_path / "f")!r}, workers=2)
    """)
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    frame = iio.imread(tmp_path / "f" / "frame_000003.png").astype(int)
    assert frame[:, :10].mean() < 200 < frame[:, 40:].mean()  # inverted stripe vs background
