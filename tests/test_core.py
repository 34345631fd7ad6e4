"""The core's failing heartbeat, as a still must show it: a monitor's trace around it."""

from __future__ import annotations

import numpy as np

from render.frame import Renderer
from render.layers.chamber import electrocardiogram, heartbeat
from render.sequence import parse_sequence


def _core(erratic: float, split: float = 0.0) -> str:
    return f"""
[sequence]
duration = 4
fps = 10
size = "640x360"
seed = 5
[tracks]
erratic = [[0, {erratic}], [4, {erratic}]]
split = [[0, {split}], [4, {split}]]
[[layers]]
type = "core"
vessels = "#3050ff"
"""


def _red_in_ring(rgb: np.ndarray) -> int:
    """Red-dominant pixels in the ring just outside the sphere (640x360: centre (320, 198),
    radius 97), where the trace runs; the sphere and its rings of light are blue."""
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    d = np.hypot(x - 320, y - 198) / 97.2
    ring = (d > 1.06) & (d < 1.5)
    r, g = rgb[..., 0].astype(int), rgb[..., 1].astype(int)
    return int(((r > 110) & (r > g + 50) & ring).sum())


def test_electrocardiogram_spikes_on_the_beat_and_dips_after_it():
    phase = np.linspace(0.0, 1.0, 2001)
    ecg = electrocardiogram(phase)
    assert abs(phase[np.argmax(ecg)] - 0.42) < 0.005  # where heartbeat() peaks too
    assert abs(phase[np.argmax(heartbeat(phase))] - 0.42) < 0.005
    assert ecg.min() < -0.2 and 0.43 < phase[np.argmin(ecg)] < 0.47  # the dip after
    assert np.allclose(electrocardiogram(phase + 3.0), ecg)  # one beat a cycle


def test_a_failing_core_traces_its_heartbeat_around_it():
    steady = Renderer(parse_sequence(_core(0.0)))
    failing = Renderer(parse_sequence(_core(0.9)))
    assert _red_in_ring(steady.render(20)) == 0
    traced = [_red_in_ring(failing.render(i)) for i in (10, 20, 30)]
    assert min(traced) > 150, traced
    # The writing head sweeps round: a second later the trace lies elsewhere.
    a, b = failing.render(20), failing.render(30)
    assert np.abs(a.astype(int) - b.astype(int)).max() > 100


def test_the_trace_fades_as_the_core_splits():
    def red(split: float) -> int:
        return _red_in_ring(Renderer(parse_sequence(_core(0.9, split))).render(20))

    # Split open, the red light pouring out fills the ring: look just as it parts.
    assert red(0.0) > 150 and red(0.1) > 0.5 * red(0.0) and red(0.3) < 20


def test_a_failing_core_reads_out_its_rate_beside_the_trace():
    def red_readout(erratic: float) -> int:
        rgb = Renderer(parse_sequence(_core(erratic))).render(20)
        box = rgb[
            int(198 - 0.95 * 97) : int(198 - 0.35 * 97), int(320 - 2.0 * 97) : int(320 - 1.05 * 97)
        ]
        r, g = box[..., 0].astype(int), box[..., 1].astype(int)
        return int(((r > 110) & (r > g + 50)).sum())

    assert red_readout(0.0) == 0
    assert red_readout(0.9) > 100


def _rolled(split: float) -> str:
    return f"""
[sequence]
duration = 4
fps = 10
size = "640x360"
seed = 5
[camera]
zoom = 1.1
roll = 2.5
pan_x = 0.03
[tracks]
erratic = [[0, 0.5], [4, 0.5]]
cracks = [[0, 0.8], [4, 0.8]]
split = [[0, {split}], [4, {split}]]
[[layers]]
type = "core"
vessels = "#3050ff"
"""


def test_the_core_fills_its_pictures_where_cairo_would(monkeypatch):
    """The sphere's shell, the split's hollow and its large sharp glows are filled from
    low_res's pictures with an exact whole-pixel shift (draw._on_grid, through
    draw.fill_smooth) under the camera's roll: the same pixels as cairo sampling them
    through the camera's transform."""
    import render.draw as draw

    for split in (0.0, 0.6):
        renderer = Renderer(parse_sequence(_rolled(split)))
        fast = [renderer.render(i).astype(int) for i in (3, 17)]
        with monkeypatch.context() as m:
            m.setattr(draw, "_on_grid", lambda cr, pattern: None)
            plain = [renderer.render(i).astype(int) for i in (3, 17)]
        for a, b in zip(fast, plain, strict=True):
            d = np.abs(a - b).max(axis=2)
            assert d.max() <= 2 and (d > 0).mean() < 1e-3, (split, d.max(), (d > 0).mean())
