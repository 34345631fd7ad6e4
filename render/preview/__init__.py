"""`render preview`: a live view of a sequence in the browser.

The server (`server`) shows the frame at the playhead, rendered in background processes
(`frames`), with a timeline of the story's beats and every track's curve
(`render.curves`), and reloads when the sequence or its palette is saved (`watch`,
`session`). The page's script and style sheet ship in `assets/`: it needs no network.
"""

from __future__ import annotations


def serve(*args, **kwargs) -> None:
    """See `render.preview.server.serve` (imported on call: the server pulls in starlette
    and uvicorn, which the other commands don't need)."""
    from render.preview.server import serve as run

    run(*args, **kwargs)


__all__ = ["serve"]
