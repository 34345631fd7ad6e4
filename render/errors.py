"""Errors that reach the user as one readable line, never as a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

# What one error line may quote of the user's text: enough to find the mistake, never the
# whole of a megabyte key or a line from some file a `../` path reached.
MAX_KEY = 120
MAX_MESSAGE = 400
MAX_LINE = 1000


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis saying where."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        message = clip(self.message, MAX_MESSAGE)
        if self.key:
            return f"{where}: {clip(self.key, MAX_KEY)}: {message}"
        return f"{where}: {message}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ' (did you mean "x"?)' for a near miss, else ''. Names longer than any sane
    name are nobody's typo: no suggestion (and no quadratic comparison) for them."""
    word = str(word)
    if len(word) > MAX_KEY:
        return ""
    close = difflib.get_close_matches(
        word, [c for c in choices if len(c) <= MAX_KEY], n=1, cutoff=0.6
    )
    return f' (did you mean "{close[0]}"?)' if close else ""


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters shown as escapes."""
    return str(text).translate(_CONTROL)
