"""Neon dream renderer: keyframed sequence files in, neon frames out.

The library API (README, "Use it from Python"):

- `load(path, **overrides)` -> `Sequence`; `seq.frame(i)`, `seq.frame_at(t)` -> pixels;
- `animate(seq, out, workers=None, progress=None)` and `still(seq, t, out)` write files;
- `register(layer_or_effect)` adds a layer or effect (plugins use entry points).

The names load on first use: `render` on the command line installs its signal handlers
before anything heavy is imported (render/entry.py).
"""

__version__ = "0.1.0"

_API = {
    "Rendered": "render.api",
    "animate": "render.api",
    "load": "render.api",
    "still": "render.api",
    "register": "render.registry",
    "Sequence": "render.sequence",
}


def __getattr__(name: str):
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'render' has no attribute {name!r}")


__all__ = ["Rendered", "Sequence", "__version__", "animate", "load", "register", "still"]
