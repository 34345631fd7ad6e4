"""The layers and effects a sequence can name: built-ins, plugins and script additions.

Built-in layers live one per file in `render/layers/`, built-in effects in
`render/post.py`. Third-party packages add theirs through the entry-point groups
``render.layers`` and ``render.effects`` (an entry point names a `Layer`/`Effect`, a
list of them, or a function returning either); a script calls `register`. Worker
processes load the entry points themselves and receive a script's registrations with
the sequence (see `render.sequence.Sequence.__reduce__`), so every kind of addition
works with `--workers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points

from render.errors import RenderError
from render.post import BUILTIN, Effect
from render.scene import Layer

LAYERS: dict[str, Layer] = {}
EFFECTS: dict[str, Effect] = {}

_loaded_plugins = False


def register(*items: Layer | Effect, replace: bool = False) -> None:
    """Make layers and effects available to sequences loaded from now on (in this process
    and in the worker processes of its renders)."""
    for item in items:
        table = LAYERS if isinstance(item, Layer) else EFFECTS if isinstance(item, Effect) else None
        if table is None:
            raise TypeError(f"expected a render Layer or Effect, got {type(item).__name__}")
        if item.name in table and table[item.name] is not item and not replace:
            kind = "layer" if table is LAYERS else "effect"
            raise RenderError(
                f"a {kind} named {item.name!r} is already registered; "
                "pass replace=True to replace it"
            )
        table[item.name] = item


def _flatten(obj: object) -> Iterable[Layer | Effect]:
    if callable(obj) and not isinstance(obj, Layer | Effect):
        obj = obj()
    if isinstance(obj, Layer | Effect):
        yield obj
    elif isinstance(obj, Iterable):
        for o in obj:
            yield from _flatten(o)
    else:
        raise TypeError(f"expected a Layer or Effect, got {type(obj).__name__}")


def load_plugins() -> None:
    """Register every installed plugin's layers and effects (once per process). A plugin
    that fails to load is reported on one line naming its entry point."""
    global _loaded_plugins
    if _loaded_plugins:
        return
    _loaded_plugins = True
    for group in ("render.layers", "render.effects"):
        for ep in entry_points(group=group):
            try:
                items = list(_flatten(ep.load()))
            except Exception as exc:  # a broken plugin must not take the renderer down
                raise RenderError(
                    f"plugin {ep.name} ({ep.value}, group {group}) failed to load: {exc}"
                ) from None
            for item in items:
                if item.name not in (LAYERS if isinstance(item, Layer) else EFFECTS):
                    register(item)


def _builtins() -> None:
    """Every module in render/layers that defines LAYER, back to front: a new built-in
    layer is one new file."""
    import importlib
    import pkgutil

    import render.layers

    found = []
    for info in pkgutil.iter_modules(render.layers.__path__):
        module = importlib.import_module(f"render.layers.{info.name}")
        if isinstance(getattr(module, "LAYER", None), Layer):
            found.append(module.LAYER)
    register(*sorted(found, key=lambda la: (la.order, la.name)))
    register(*BUILTIN)


_builtins()

__all__ = ["EFFECTS", "LAYERS", "load_plugins", "register"]
