"""Neon dream renderer: keyframed sequence files in, neon frames out."""

__version__ = "0.1.0"
