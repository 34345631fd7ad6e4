"""`render preview` and `render check --plot`: the curves, the session that survives bad
saves, the frame service's cancellation and cache, the HTTP endpoints (with their Host
and path checks), and one end-to-end run of the real command in headless Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from render.api import time_of
from render.cli import cli
from render.curves import as_json, curves_of, draw_curves, plot_curves, plot_size
from render.frame import Renderer, argb_to_rgb
from render.preview.frames import FrameCache, FrameKey, FrameService, Superseded
from render.preview.server import is_local_host, make_app
from render.preview.session import Session, still_time
from render.sequence import load_sequence, parse_sequence

ROOT = Path(__file__).resolve().parents[1]
SEQUENCES = sorted((ROOT / "sequences").glob("*.toml"))

TINY = """\
[sequence]
title = "Preview test"
duration = 4
fps = 10
size = "96x54"
seed = 5
palette = "{palette}"

[tracks.escalation]
keys = [
  {{ at = 0, value = 0.0, ease = "linear" }},
  {{ at = "100%", value = 1.0 }},
]

[tracks.tint]
keys = [{{ at = 0, value = "#ff0000" }}, {{ at = 2, value = "primary", ease = "in-out-sine" }}]

[[layers]]
type = "chamber"
colour = "tint"

[[layers]]
type = "core"
"""

PALETTE = """\
name = "mine"
description = "a test palette"

[colors]
background = "{background}"
primary = "#1ae3ff"
secondary = "#3f5bff"
alert = "#ff2340"
glow = "#8ef4ff"
text = "#cdfbff"
hot = "#fff3e4"
"""


def write_tiny(folder: Path, background: str = "#04060d") -> Path:
    (folder / "mine.toml").write_text(PALETTE.format(background=background))
    path = folder / "tiny.toml"
    path.write_text(TINY.format(palette="mine.toml"))
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def wait_for(condition, timeout: float = 20.0, every: float = 0.05):
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        time.sleep(every)


# --------------------------------------------------------------------------- curves


@pytest.mark.parametrize("path", SEQUENCES, ids=lambda p: p.stem)
def test_curves_follow_the_tracks_and_their_lines(path):
    seq = load_sequence(path)
    curves = curves_of(seq)
    lines = seq.text.splitlines()
    assert [c.name for c in curves.curves] == list(seq.tracks)
    for curve in curves.curves:
        track = seq.tracks[curve.name]
        n = len(curve.samples)
        for k in (0, n // 3, n - 1):
            assert curve.samples[k] == track.sample(
                seq.duration * k / (n - 1), seq.duration, seq.loop
            )
        for key, point in zip(track.keys, curve.keys, strict=True):
            assert (point.time, point.value, point.line) == (key.time, key.value, key.line)
            assert point.source == lines[key.line - 1].strip()
        if not curve.is_colour:
            assert curve.lo <= min(curve.samples) and max(curve.samples) <= curve.hi
    frames = [b.frame for b in curves.beats]
    assert frames == sorted(frames) and curves.beats[0].name == "hum"
    json.dumps(as_json(curves))  # all plain data


def test_beats_land_where_escalation_reaches_them():
    seq = load_sequence(ROOT / "sequences" / "dream.toml")
    escalation = seq.tracks["escalation"]
    starts = dict(__import__("render.story", fromlist=["BEATS"]).BEATS)
    beats = curves_of(seq).beats
    assert [b.name for b in beats] == list(starts)
    for beat in beats[1:]:
        at = escalation.sample(seq.time_of(beat.frame), seq.duration)
        before = escalation.sample(seq.time_of(beat.frame - 1), seq.duration)
        assert before < starts[beat.name] <= at + 1e-9


def test_a_colour_track_is_a_band_of_its_colours(tmp_path):
    seq = load_sequence(write_tiny(tmp_path))
    tint = next(c for c in curves_of(seq).curves if c.name == "tint")
    assert tint.is_colour and tint.samples[0] == (1.0, 0.0, 0.0)
    assert as_json(curves_of(seq))["tracks"][1]["samples"][0] == "#ff0000"
    rgb = argb_to_rgb(draw_curves(seq, 600))
    row_top = 44 + 96 + 10  # second row (see render.curves)
    start = rgb[row_top + 36, 160:170].astype(int)  # past the first keyframe: red
    assert (start[:, 0] > 200).all() and (start[:, 0] - start[:, 1] > 120).all()
    end = rgb[row_top + 36, 560:570].astype(int)  # after the second: the palette's cyan
    assert (end[:, 1] > 180).all() and (end[:, 0] < 80).all()


def test_check_plot_writes_the_curves(tmp_path):
    out = tmp_path / "curves.png"
    result = run("check", str(ROOT / "sequences" / "dream.toml"), "--plot", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("ok")
    seq = load_sequence(ROOT / "sequences" / "dream.toml")
    with Image.open(out) as img:
        assert img.size == plot_size(curves_of(seq))
        rgb = np.asarray(img.convert("RGB"))
    curve_colour = np.array([round(c * 255) for c in seq.palette.colors["primary"]])
    assert (np.abs(rgb.astype(int) - curve_colour).sum(axis=2) < 40).sum() > 500


@pytest.mark.parametrize(
    "name, why",
    [("curves.svg", "written as .png"), ("tiny.toml", "")],
)
def test_check_plot_refuses_bad_outputs_on_one_line(tmp_path, name, why):
    seq_path = write_tiny(tmp_path)
    result = run("check", str(seq_path), "--plot", str(tmp_path / name))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")
    assert why in result.output
    assert seq_path.read_text() == TINY.format(palette="mine.toml")


def test_plot_curves_refuses_another_suffix(tmp_path):
    seq = load_sequence(write_tiny(tmp_path))
    with pytest.raises(Exception, match="png"):
        plot_curves(seq, tmp_path / "x.jpg")


# --------------------------------------------------------------------------- session


@pytest.mark.parametrize("fps", [30, 24, 29.97, 7, 60])
def test_still_time_lands_on_every_frame(fps):
    seq = parse_sequence(TINY.format(palette="neon")).replace(fps=fps)
    for index in range(seq.frames):
        at = still_time(seq, index)
        assert seq.index_at(time_of(seq, at, "--at")) == index, (fps, index, at)
        assert len(at) <= 8


def test_still_time_is_short():
    seq = parse_sequence(TINY.format(palette="neon")).replace(fps=30, duration=10)
    assert still_time(seq, 120) == "4"
    assert still_time(seq, 121) == "4.04"


def test_session_keeps_the_last_good_version(tmp_path):
    path = write_tiny(tmp_path)
    session = Session(str(path))
    assert session.reload() and session.version == 1 and session.error is None
    good = session.snapshot
    path.write_text(TINY.format(palette="mine.toml").replace("duration = 4", "duration = -4"))
    assert not session.reload()
    assert session.snapshot is good and session.version == 1
    assert re.match(rf"{re.escape(str(path))}:3: sequence.duration: ", session.error)
    path.write_text("[sequence\n")
    assert not session.reload() and "\n" not in session.error and ":1:" in session.error
    path.write_text(TINY.format(palette="mine.toml").replace("seed = 5", "seed = 6"))
    assert session.reload() and session.version == 2 and session.error is None
    assert session.snapshot.seq.seed == 6
    assert session.watched_files() == {path, tmp_path / "mine.toml"}


def test_session_survives_a_loader_that_crashes(tmp_path):
    def broken(path):
        raise RuntimeError("boom\nsecond line")

    session = Session(str(tmp_path / "x.toml"), load=broken)
    assert not session.reload()
    assert session.error.endswith("RuntimeError: boom\\nsecond line")


# --------------------------------------------------------------------------- frames


def _frame_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def test_frame_cache_keeps_recent_frames_within_budget():
    from render.preview.frames import Frame

    cache = FrameCache(budget=250)
    keys = [FrameKey("v1", i, 8, 8, "png") for i in range(4)]
    for key in keys[:3]:
        cache.put(key, Frame(b"x" * 100, "image/png", 1.0))
    assert cache.get(keys[0]) is None and cache.get(keys[1]) is not None  # oldest went
    cache.put(keys[3], Frame(b"x" * 100, "image/png", 1.0))
    assert cache.get(keys[2]) is None and cache.get(keys[1]) is not None  # used: kept
    cache.put(FrameKey("v2", 0, 8, 8, "png"), Frame(b"y" * 10, "image/png", 1.0))
    cache.keep_only("v2")
    assert len(cache) == 1 and cache.used == 10


def test_scrubbing_fast_supersedes_waiting_frames(tmp_path):
    seq = load_sequence(write_tiny(tmp_path))
    expected = Renderer(seq)

    async def scrub():
        service = FrameService(workers=1)
        service.start()
        try:
            asks = [
                asyncio.ensure_future(service.frame(seq, FrameKey("t", i, *seq.size, "png"), "a"))
                for i in range(12)
            ]
            saved = asyncio.ensure_future(
                service.frame(seq, FrameKey("t", 20, *seq.size, "png"), "a", keep=True)
            )
            other = asyncio.ensure_future(
                service.frame(seq, FrameKey("t", 30, *seq.size, "png"), "b")
            )
            last = asyncio.ensure_future(
                service.frame(seq, FrameKey("t", 39, *seq.size, "png"), "a")
            )
            results = await asyncio.gather(*asks, saved, other, last, return_exceptions=True)
            again = await service.frame(seq, FrameKey("t", 39, *seq.size, "png"), "a")
            return results, again, dict(service.counts)
        finally:
            service.close()

    results, again, counts = asyncio.run(scrub())
    *scrubbed, saved, other, last = results
    # The first went to the idle worker at once; the other scrubbed frames only waited,
    # and each newer one from the same page replaced them.
    assert not isinstance(scrubbed[0], Exception)
    assert all(isinstance(r, Superseded) for r in scrubbed[1:])
    for kept, index in ((scrubbed[0], 0), (saved, 20), (other, 30), (last, 39)):
        assert np.array_equal(_frame_png(kept.data), expected.render(index)), index
    assert again is last  # from the cache
    assert counts["rendered"] == 4 and counts["superseded"] == 11 and counts["cached"] == 1


# --------------------------------------------------------------------------- endpoints


@pytest.fixture(scope="module")
def app_env(tmp_path_factory):
    from starlette.testclient import TestClient

    folder = tmp_path_factory.mktemp("preview")
    path = write_tiny(folder)
    session = Session(str(path))
    assert session.reload()
    service = FrameService(workers=1)
    app = make_app(session, service, watch=True)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        yield client, session, service, path


def test_page_and_assets_are_served_with_a_strict_policy(app_env):
    client = app_env[0]
    page = client.get("/")
    assert page.status_code == 200 and "/assets/app.js" in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    for name, kind in (("app.js", "javascript"), ("app.css", "css")):
        answer = client.get(f"/assets/{name}")
        assert answer.status_code == 200 and kind in answer.headers["content-type"]
        assert len(answer.content) > 1000
    for text in (page.text, client.get("/assets/app.js").text, client.get("/assets/app.css").text):
        assert not re.search(r"https?://|//[a-z]", text)  # nothing from elsewhere: no CDN


TRAVERSALS = [
    "/assets/../../pyproject.toml",
    "/assets/..%2F..%2Fpyproject.toml",
    "/assets/%2e%2e/%2e%2e/pyproject.toml",
    "/assets/..%5c..%5cpyproject.toml",
    "/assets/index.html",
    "/assets/",
    "/..%2Fpyproject.toml",
    "/tiny.toml",
    "/mine.toml",
    "/render/preview/assets/app.js",
    "/assets/%2Fetc%2Fpasswd",
    "//etc/passwd",
]


@pytest.mark.parametrize("url", TRAVERSALS)
def test_nothing_but_the_page_is_served(app_env, url):
    client = app_env[0]
    answer = client.get(url)
    assert answer.status_code == 404, url
    assert answer.json() == {"error": "not found"}


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example:8765",
        "",
        "[::1",
        "192.168.1.20:8765",
        "0.0.0.0:8765",
    ],
)
def test_requests_for_another_host_are_refused(app_env, host):
    client = app_env[0]
    for url in ("/", "/api/state", "/frame?i=0", "/assets/app.js"):
        answer = client.get(url, headers={"host": host})
        assert answer.status_code == 403, (url, host)
        assert "refused" in answer.text and "I am" not in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost"])
def test_requests_for_this_machine_are_served(app_env, host):
    assert app_env[0].get("/api/state", headers={"host": host}).status_code == 200


@pytest.mark.parametrize(
    "header, bound, local",
    [
        ("192.168.1.20:8765", "0.0.0.0", True),  # bound to every address on purpose
        ("evil.example:8765", "0.0.0.0", False),  # a name still needs to be local
        ("studio.lan:8765", "studio.lan", True),
        ("127.0.0.9", "127.0.0.1", True),
        ("[::1]:8765", "127.0.0.1", True),
        ("[::2]:8765", "127.0.0.1", False),
    ],
)
def test_host_rules(header, bound, local):
    assert is_local_host(header, bound) is local


def test_state_describes_the_sequence(app_env):
    client, session, _, path = app_env
    state = client.get("/api/state").json()
    seq = session.snapshot.seq
    assert state["file"] == str(path) and state["size"] == list(seq.size)
    assert state["error"] is None and state["version"] == session.version
    assert state["timeline"]["frames"] == seq.frames
    assert [t["name"] for t in state["timeline"]["tracks"]] == ["escalation", "tint"]


def test_frames_are_the_renderers_pixels(app_env):
    client, session, service, _ = app_env
    seq = session.snapshot.seq
    full = client.get("/frame", params={"i": 17})
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert full.headers["x-frame"] == "17" and full.headers["x-size"] == "96x54"
    assert np.array_equal(_frame_png(full.content), Renderer(seq).render(17))
    proxy = client.get("/frame", params={"i": 17, "w": 48})
    assert proxy.headers["content-type"] == "image/jpeg"
    small = Renderer(seq.replace(size=(48, 27))).render(17).astype(int)
    assert np.abs(_frame_png(proxy.content).astype(int) - small).mean() < 6
    cached = service.counts["cached"]
    assert client.get("/frame", params={"i": 17}).content == full.content
    assert service.counts["cached"] == cached + 1


@pytest.mark.parametrize(
    "params",
    [
        {"i": "-1"},
        {"i": "40"},
        {"i": "abc"},
        {"i": "1e99"},
        {},
        {"i": "3", "w": "4"},
        {"i": "3", "w": "x" * 5000},
    ],
)
def test_bad_frame_requests_get_a_one_line_400(app_env, params):
    answer = app_env[0].get("/frame", params=params)
    assert answer.status_code == 400
    assert "\n" not in answer.json()["error"] and len(answer.json()["error"]) < 120


def test_save_and_copy_reproduce_the_frame(app_env, tmp_path, monkeypatch):
    client, session, _, path = app_env
    answer = client.get("/frame", params={"i": 23, "save": "1"})
    assert answer.headers["content-disposition"] == 'attachment; filename="tiny-0023.png"'
    command = client.get("/api/still", params={"i": 23}).json()["command"]
    args = shlex.split(command)
    assert args[:3] == ["render", "still", str(path)] and args[-2:] == ["-o", "tiny-0023.png"]
    monkeypatch.chdir(tmp_path)
    result = run(*args[1:], "-q")
    assert result.exit_code == 0, result.output
    still = np.asarray(Image.open(tmp_path / "tiny-0023.png").convert("RGB"))
    assert np.array_equal(still, _frame_png(answer.content))


def test_hot_reload_keeps_the_last_good_version(app_env):
    client, session, _, path = app_env
    good = path.read_text()
    before = client.get("/api/state").json()["version"]
    try:
        path.write_text(good.replace("seed = 5", "seed = 9"))
        wait_for(lambda: client.get("/api/state").json()["version"] == before + 1)
        assert session.snapshot.seq.seed == 9
        path.write_text(good.replace("duration = 4", 'duration = "long"'))
        state = wait_for(lambda: (s := client.get("/api/state").json())["error"] and s)
        assert state["version"] == before + 1 and "\n" not in state["error"]
        assert re.match(rf"{re.escape(str(path))}:3: sequence.duration: ", state["error"])
        assert client.get("/frame", params={"i": 3}).status_code == 200  # the last good one
        # The palette file is watched too.
        palette = path.parent / "mine.toml"
        path.write_text(good)
        wait_for(lambda: client.get("/api/state").json()["version"] == before + 2)
        palette.write_text(PALETTE.format(background="#402000"))
        wait_for(lambda: client.get("/api/state").json()["version"] == before + 3)
        assert session.snapshot.seq.palette.colors["background"][0] == pytest.approx(0x40 / 255)
        assert client.get("/api/state").json()["error"] is None
    finally:
        path.write_text(good)
        (path.parent / "mine.toml").write_text(PALETTE.format(background="#04060d"))


# --------------------------------------------------------------------------- the command


def test_preview_refuses_a_bad_sequence_on_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[sequence]\nduration = 'x'\n")
    for path in (bad, tmp_path / "missing.toml"):
        result = run("preview", str(path), "--no-open", "--port", "0")
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and result.output.startswith(f"error: {path}")


def test_preview_refuses_a_port_in_use_on_one_line(tmp_path):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("preview", str(write_tiny(tmp_path)), "--no-open", "--port", str(port))
    assert result.exit_code == 2
    assert (
        result.output
        == f"error: --port {port}: cannot listen on 127.0.0.1: Address already in use\n"
    )


def test_preview_prints_the_warnings_check_would(tmp_path):
    path = write_tiny(tmp_path)
    path.write_text(path.read_text() + '\n[tracks.craks]\nkeys = [[0, 0.5]]\n')
    with socket.create_server(("127.0.0.1", 0)) as taken:  # it stops before serving
        port = taken.getsockname()[1]
        result = run("preview", str(path), "--no-open", "--port", str(port))
    warning, error = result.output.splitlines()  # the sequence's own tracks are all used
    assert warning.startswith(f"warning: {path}:") and 'did you mean "cracks"' in warning
    assert error.startswith("error: --port")
    session = Session(str(path))
    assert session.reload() and session.state()["warnings"] == [warning.removeprefix("warning: ")]


# --------------------------------------------------------------------------- in a browser

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@contextlib.contextmanager
def preview_server(path: Path):
    """`render preview PATH` as a person runs it, in its own process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "render", "preview", str(path), "--no-open", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), (url, proc.stderr.read() if proc.poll() else "")
        yield proc, url
    finally:
        proc.send_signal(2)  # Ctrl-C
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError("render preview did not stop on Ctrl-C") from None


def raw_get(url: str, path: str, host: str | None = None) -> tuple[int, bytes]:
    """A request with its path exactly as written (browsers and httpx tidy `..` away)."""
    address = url.split("//")[1].rstrip("/")
    hostname, port = address.rsplit(":", 1)
    with socket.create_connection((hostname, int(port)), timeout=10) as conn:
        conn.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host or address}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def browser(tmp_path_factory):
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromium-driver are needed (./dev installs them)")
        pytest.skip("chromium and chromium-driver are not installed (./dev test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_script_timeout(20)
    driver.shots = tmp_path_factory.mktemp("preview-screenshots")
    try:
        yield driver
    finally:
        driver.quit()


# The picture on the page, boiled down to 16x9 RGB values read back through a canvas.
PIXELS = """
const img = document.getElementById('view');
const c = document.createElement('canvas'); c.width = 16; c.height = 9;
const g = c.getContext('2d'); g.drawImage(img, 0, 0, 16, 9);
return Array.from(g.getImageData(0, 0, 16, 9).data);
"""


def test_in_a_real_browser(browser, tmp_path, capsys):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path = write_tiny(tmp_path)
    good = path.read_text()
    step = "start"

    def view() -> dict:
        return browser.execute_script(
            "const v = document.getElementById('view');"
            "return {frame: v.dataset.frame, full: v.dataset.full, version: v.dataset.version,"
            " page: document.body.dataset.version, error: document.body.dataset.error,"
            " banner: document.getElementById('error').hidden ? null :"
            " document.getElementById('error').textContent};"
        )

    def pixels() -> np.ndarray:
        return np.array(browser.execute_script(PIXELS), float)

    try:
        with preview_server(path) as (proc, url):
            step = "load"
            browser.get(url)
            wait_for(lambda: view()["full"] == "1" and view()["frame"] == "0")
            assert browser.find_element(By.ID, "title").text == "Preview test"
            keys = browser.find_element(By.ID, "keys").text
            assert "Space" in keys and "play / pause" in keys
            first = pixels()

            step = "scrub"
            timeline = browser.find_element(By.ID, "timeline")
            width = timeline.size["width"]
            left = int(-width / 2 + 130 + 2)  # the curves start 130 px in (app.js TL.left)
            span = width - 130 - 16
            ActionChains(browser).move_to_element_with_offset(
                timeline, left, 0
            ).click_and_hold().move_by_offset(int(span * 0.4), 0).move_by_offset(
                int(span * 0.35), 0
            ).release().perform()
            shown = wait_for(lambda: (v := view())["full"] == "1" and v["frame"] != "0" and v)
            assert 27 <= int(shown["frame"]) <= 31  # 75% of 40 frames
            scrubbed = pixels()
            assert np.abs(scrubbed - first).mean() > 3, "the picture did not change"

            step = "keys"
            ActionChains(browser).send_keys("]").perform()  # the next beat
            beat = wait_for(lambda: int((v := view())["frame"]) > int(shown["frame"]) and v)
            beats = browser.execute_script(
                "return fetch('/api/state').then(r => r.json()).then(s => s.timeline.beats)"
            )
            later = [b["frame"] for b in beats if b["frame"] > int(shown["frame"])]
            assert int(beat["frame"]) == min(later)

            step = "play"
            ActionChains(browser).send_keys("1").perform()  # the first beat: frame 0
            wait_for(lambda: view()["frame"] == "0")
            ActionChains(browser).send_keys(" ").perform()
            wait_for(lambda: view()["full"] == "0" and int(view()["frame"]) > 0)  # a proxy
            # Not a loop: playback stops on the last frame, which then comes at full size.
            wait_for(lambda: view()["full"] == "1" and view()["frame"] == "39")

            step = "back to the scrubbed frame"
            ActionChains(browser).move_to_element_with_offset(
                timeline, left + int(span * 0.75), 0
            ).click().perform()
            here = wait_for(lambda: (v := view())["full"] == "1" and v["frame"] != "39" and v)
            assert abs(int(here["frame"]) - int(shown["frame"])) <= 1
            scrubbed = pixels()

            step = "edit"
            version = view()["version"]
            saved = time.monotonic()
            path.write_text(good.replace('"mine.toml"', '"amber"'))
            wait_for(lambda: view()["version"] != version and view()["full"] == "1", every=0.01)
            latency = time.monotonic() - saved
            assert view()["frame"] == here["frame"], "the playhead moved on reload"
            edited = pixels()
            assert np.abs(edited - scrubbed).mean() > 3, "the edit did not show"

            step = "break"
            path.write_text(good.replace("duration = 4", "duration = -4"))
            banner = wait_for(lambda: view()["banner"])
            assert banner.startswith(f"{path}:3: sequence.duration: ") and "\n" not in banner
            time.sleep(0.5)
            assert np.array_equal(pixels(), edited), "the last good picture went away"
            assert proc.poll() is None

            step = "fix"
            path.write_text(good)
            wait_for(
                lambda: (
                    (v := view())["banner"] is None
                    and v["full"] == "1"
                    and v["version"] == str(int(version) + 2)
                )
            )
            assert view()["frame"] == here["frame"]
            assert np.abs(pixels() - scrubbed).mean() < 1, "not back to the fixed file's picture"

            step = "loop"
            path.write_text(good.replace("seed = 5", "seed = 5\nloop = true"))
            wait_for(lambda: view()["version"] == str(int(version) + 3))
            ActionChains(browser).send_keys(Keys.END).perform()
            wait_for(lambda: view()["frame"] == "39" and view()["full"] == "1")
            ActionChains(browser).send_keys(" ").perform()
            seam = "return !document.getElementById('seam').hidden"
            wait_for(lambda: browser.execute_script(seam), every=0.02)
            wait_for(lambda: int(view()["frame"]) < 39)  # wrapped round to the start
            ActionChains(browser).send_keys(" ").perform()
            wait_for(lambda: view()["full"] == "1")

            step = "traversal"
            browser.get(url + "assets/..%2F..%2Fpyproject.toml")
            assert "not found" in browser.page_source and "[project]" not in browser.page_source
            for raw in ("/assets/../../pyproject.toml", "/../tiny.toml", "/assets/../mine.toml"):
                status, body = raw_get(url, raw)
                assert status == 404 and b"[project]" not in body and b"duration" not in body
            assert raw_get(url, "/", host="rebind.example:80")[0] == 403
            assert proc.poll() is None
        assert proc.returncode == 0, proc.stderr.read()
    except BaseException:
        shot = browser.shots / f"failed-at-{step}.png"
        browser.save_screenshot(str(shot))
        print(f"screenshot of the page when step {step!r} failed: {shot}", file=sys.stderr)
        raise
    with capsys.disabled():
        print(f"\n  preview: save to new full frame on the page in {latency * 1000:.0f} ms")
