"""The post-effect parameters a sequence may set, read from the effect functions themselves.

`effects.py` stays a set of plain ndarray -> ndarray functions; this module
turns their signatures into the table the sequence loader validates against.
"""

from __future__ import annotations

import inspect
from typing import Any

from render.effects import EFFECTS

# Defaults for parameters the functions leave to the caller.
_AMOUNTS = {"grain": {"amount": 0.04}, "flicker": {"amount": 0.04}}


def _params(name: str, fn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in list(inspect.signature(fn).parameters.values())[1:]:
        if p.name == "rng":
            continue
        out[p.name] = _AMOUNTS.get(name, {}).get(p.name, p.default)
    return out


EFFECT_PARAMS: dict[str, dict[str, Any]] = {name: _params(name, fn) for name, fn in EFFECTS.items()}
