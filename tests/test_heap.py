"""A rendering process reuses the last frame's pages instead of faulting in new ones."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the allocator setting is glibc's",
)

# A fresh process each: the setting is the whole process's, and pytest's own allocations
# would blur the count. Page faults, not time: the count does not depend on the load.
CHILD = r"""
import json, resource, sys
import render.frame
if sys.argv[1] == "off":
    render.frame.keep_freed_pages = lambda: False
from render.sequence import parse_sequence
seq = parse_sequence('''
[sequence]
duration = 2
fps = 10
size = [1920, 1080]
[tracks]
escalation = [[0, 0.3], [2, 0.9]]
[[effects]]
type = "bloom"
''')
r = render.frame.Renderer(seq)
r.render(0)
faults = []
for i in range(1, 8):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    r.render(i)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(sorted(faults)[len(faults) // 2]))
"""


def faults_per_frame(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_frames_reuse_freed_pages():
    kept, handed_back = faults_per_frame("on"), faults_per_frame("off")
    # Without the setting each frame's large buffers are new mappings, faulted in page by
    # page (a 1080p surface alone is 2,025 pages); with it they come from the heap.
    assert handed_back > 300
    assert kept < handed_back / 4


def test_the_setting_is_taken_once_and_reported():
    from render.heap import keep_freed_pages

    assert keep_freed_pages() is True
    assert keep_freed_pages() is True  # asking again changes nothing
