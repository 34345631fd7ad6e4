"""Keep freed memory in the process for the next frame instead of handing it back.

A frame allocates a dozen buffers of several megabytes (cairo surfaces, the pixels taken
out of them, the light, the tone map's output, OpenCV's results) and frees them before
the next. glibc serves an allocation that large with a fresh mmap and unmaps it when it
is freed (its dynamic threshold rises to the size of a freed block, but cairo, numpy and
OpenCV free so many sizes in between that it rarely settles), so every frame touched
new pages: 2,400-3,600 page faults a 1080p frame (10-14 MB zeroed by the kernel) and
5,500 at 4K. Against the commit before this one, bench/bench_frame_cost.py's frames cost
0.94 as much at 1080p and 0.87 at 4K (four runs each, alternating); peak memory is the
same.

Raising the mmap threshold to its maximum (32 MiB, just over a 4K frame's ARGB32
surface) serves those buffers from the heap, and a large trim threshold keeps the heap's
top from being returned, so the next frame reuses the same pages. A rendering process's
peak does not change (it reaches it every frame anyway); its memory is simply not handed
back between frames. Elsewhere than glibc (musl's mallopt does nothing; macOS has none)
this does nothing.
"""

from __future__ import annotations

import ctypes

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest (HEAP_MAX_SIZE / 2 on 64-bit machines)
TRIM_THRESHOLD = 1 << 30

_took: bool | None = None


def keep_freed_pages() -> bool:
    """Once per process: serve large allocations from a heap that keeps freed pages.
    True if the allocator took the settings."""
    global _took
    if _took is None:
        try:  # the C library's mallopt, among the symbols the interpreter already has
            mallopt = ctypes.CDLL(None).mallopt
        except (OSError, AttributeError):
            _took = False
        else:
            mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
            mallopt.restype = ctypes.c_int
            mmap = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
            _took = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and mmap
    return _took
