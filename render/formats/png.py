"""A folder of numbered PNG frames (written by render.encode's folder writers, not ffmpeg)."""

from __future__ import annotations

from render.formats import OutputFormat, register

PNG = register(OutputFormat("png", "PNG folder", alpha=True))  # RGBA frames
