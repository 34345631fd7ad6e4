"""Built-in layers, one per file, drawn in the registry's order by default.

The table of every registered layer (built-ins and plugins) is `render.registry.LAYERS`;
it is re-exported here for old imports.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name == "LAYERS":
        from render.registry import LAYERS

        return LAYERS
    raise AttributeError(name)
