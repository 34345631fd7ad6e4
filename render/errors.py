"""Errors that reach the user as one readable line, never as a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class RenderError(Exception):
    """A problem the user can fix; the CLI prints it on one line and exits non-zero."""

    exit_code = 1


class InputError(RenderError):
    """A request that is refused before any work starts: bad options, an output that would
    destroy an input (exit status 2)."""

    exit_code = 2


class ConfigError(RenderError):
    """Bad input in a sequence or palette file: names the file, the key path and what was wanted."""

    exit_code = 2

    def __init__(
        self,
        file: str | Path | None,
        key: str,
        message: str,
        line: int | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.key = key
        self.message = message
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            return f"{where}: {self.key}: {self.message}"
        return f"{where}: {self.message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for a near miss, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters shown as escapes."""
    return str(text).translate(_CONTROL)
