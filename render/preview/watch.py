"""Reload the preview when the sequence or its palette file is saved.

Editors save in different ways -- writing in place, or writing a temporary file and
renaming it over the old one -- so the folders holding the files are watched (with
watchfiles) and changes are matched against the files' paths. When a reload changes which
files matter (the header names another palette), the watch starts again on the new set.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

from watchfiles import awatch

from render.preview.session import Session


async def watch(
    session: Session,
    changed: Callable[[], None],
    stop: asyncio.Event,
    warn: Callable[[str], None] = lambda message: None,
) -> None:
    """Until `stop` is set: reload `session` after each save of a file it reads, then call
    `changed`. Failures of the watcher itself are reported through `warn` and retried."""
    force_polling: bool | None = None
    while not stop.is_set():
        files = session.watched_files()
        folders = sorted({str(f.parent) for f in files if f.parent.is_dir()})
        if not folders:
            await _sleep_or_stop(stop, 0.5)
            continue
        try:
            # debounce/step: changes are grouped for 50 ms and yielded within 300 ms, so a
            # save reaches the page well within a second.
            async for changes in awatch(
                *folders,
                stop_event=stop,
                debounce=300,
                step=50,
                recursive=False,
                force_polling=force_polling,
                poll_delay_ms=200,
            ):
                touched = {Path(os.path.abspath(path)) for _, path in changes}
                if touched & files:
                    session.reload()
                    changed()
                    if session.watched_files() != files:
                        break  # another palette file: watch the new set
        except Exception as exc:  # noqa: BLE001 -- no inotify here, or a folder vanished
            warn(f"watching {', '.join(folders)} failed ({exc}); polling instead")
            force_polling = True
            await _sleep_or_stop(stop, 0.5)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
