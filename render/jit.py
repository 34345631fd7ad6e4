"""Numba kernels compiled, or loaded from numba's disk cache, on their first call.

Importing numba costs about half a second that commands which never render (`render
check`, `--help`) should not pay, so a module does not compile its kernels on import:

    @kernel(fastmath=True)
    def _fill(out, ...):  # pragma: no cover - compiled
        ...

makes `_fill` a stand-in that compiles the function with `numba.njit(cache=True,
**options)` the first time it is called, and calls the compiled kernel from then on.
For a kernel that other kernels call, or that reads `prange`, a module compiles its
kernels together instead (see render/tonemap.py's `_compile`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class _Kernel:
    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        self.fn, self.options = fn, options
        self.compiled: Callable[..., Any] | None = None
        self.__doc__, self.__name__ = fn.__doc__, fn.__name__

    def __call__(self, *args: Any) -> Any:
        if self.compiled is None:
            import numba

            self.compiled = numba.njit(cache=True, **self.options)(self.fn)
        return self.compiled(*args)


def kernel(**options: Any) -> Callable[[Callable[..., Any]], _Kernel]:
    """A decorator: the function compiled by numba on its first call (see the module)."""

    def wrap(fn: Callable[..., Any]) -> _Kernel:
        return _Kernel(fn, options)

    return wrap


__all__ = ["kernel"]
