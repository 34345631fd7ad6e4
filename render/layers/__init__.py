"""Layer registry: each layer owns one file here and is drawn in this order by default."""

from __future__ import annotations

from render.layers import chamber, console, core, klaxon, vapor, wake, web, whispers
from render.scene import Layer

LAYERS: dict[str, Layer] = {
    m.LAYER.name: m.LAYER for m in (chamber, web, core, console, vapor, whispers, klaxon, wake)
}
