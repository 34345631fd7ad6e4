"""Where things go, for any aspect ratio.

The composition is decided here once per frame size, so a phone, a 16:9
screen and a 32:9 double monitor all keep the core whole and centred and
rearrange the panels around it instead of stretching or cropping.
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[float, float, float, float]  # x, y, w, h in pixels


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    core: tuple[float, float, float]  # cx, cy, radius
    web: Rect  # the overhead screen with the neural web
    panels: tuple[Rect, ...]  # console panels (readouts, switches, status lines)
    headline: Rect  # where SYSTEM INTEGRITY COMPROMISED goes
    portrait: bool


def layout_for(width: int, height: int) -> Layout:
    w, h = float(width), float(height)
    aspect = w / h
    if aspect < 0.9:  # portrait: stack web, core, console
        r = 0.3 * w
        core = (0.5 * w, 0.47 * h, r)
        web = (0.04 * w, 0.05 * h, 0.92 * w, 0.34 * h)
        panel_h = 0.2 * h
        panels = (
            (0.04 * w, 0.74 * h, 0.44 * w, panel_h),
            (0.52 * w, 0.74 * h, 0.44 * w, panel_h),
        )
        headline = (0.05 * w, 0.66 * h, 0.9 * w, 0.05 * h)
        return Layout(width, height, core, web, panels, headline, True)
    r = 0.27 * h
    core = (0.5 * w, 0.55 * h, r)
    side = min(0.27 * w, 0.62 * h)  # panels stay readable on very wide screens
    # The massive screen overhead: hung high in the middle of the room, behind the core,
    # with the room's walls and machines visible on either side of it.
    web_w = min(0.62 * w, 1.7 * h)
    web = ((w - web_w) / 2, 0.035 * h, web_w, 0.4 * h)
    panel_y = 0.5 * h
    panels = (
        (0.025 * w, panel_y, side, 0.46 * h),
        (w - 0.025 * w - side, panel_y, side, 0.46 * h),
    )
    headline_w = min(0.8 * w, 1.5 * h)
    headline = ((w - headline_w) / 2, 0.1 * h, headline_w, 0.075 * h)
    return Layout(width, height, core, web, panels, headline, False)
