"""Reading sequence and palette files as untrusted input, and finding where a key is in
them: tomllib keeps no line numbers, so error messages find the line of a key path
(``layers[2].colour``, ``colors.glow``) in the text.

Shared by sequence and palette files, so both are read within the same bounds and count
lines as TOML does.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import stat

# Sequence and palette files are a few kilobytes; the shipped ones are under 3 KB, and a
# track of 20,000 keyframes is about 700 KB. Anything bigger is refused before it is read.
MAX_INPUT_BYTES = 256 << 10  # a hundred times the dream; every shipped file is under 3 KB

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
)


class NotReadable(ValueError):
    """A path that is not a regular file of at most MAX_INPUT_BYTES; the message says
    what it is instead (as in "is a named pipe, not a regular file")."""


def not_a_file(mode: int) -> str | None:
    """What a path of this `st_mode` is, when it is neither a regular file nor a folder:
    "is a named pipe, not a regular file"."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file"
    return "is not a regular file"


def _check_kind(mode: int, size: int, limit: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError
    problem = not_a_file(mode)
    if problem is not None:
        raise NotReadable(problem)
    if size > limit:
        raise NotReadable(
            f"is {size / 2**20:.1f} MiB, larger than the {limit / 2**20:g} MiB a sequence or "
            "palette file may be"
        )


def read_input(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a sequence or palette file, read only if it is a regular file of at
    most `limit` bytes: /dev/zero would fill the memory and a named pipe would wait
    forever for a writer. Raises OSError (FileNotFoundError, IsADirectoryError, ...) or
    NotReadable."""
    _check_kind(*_mode_and_size(os.stat(path)), limit)
    # Checked again on the open descriptor, in case the name now points elsewhere;
    # O_NONBLOCK keeps a pipe swapped in meanwhile from blocking the open.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        _check_kind(*_mode_and_size(os.fstat(fd)), limit)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:  # it grew while we read it
        _check_kind(stat.S_IFREG, total, limit)
    return b"".join(chunks)


def _mode_and_size(st: os.stat_result) -> tuple[int, int]:
    return st.st_mode, st.st_size


# Possessive quantifiers: a header-like line of a million spaces (inside a multi-line
# string, say) is matched in one pass, not retried from every space.
_HEADER = re.compile(
    r"[ \t]*+(\[\[?+)[ \t]*+"
    r"((?:[A-Za-z0-9_\-. \t]++|\"(?:[^\"\\\n]|\\.)*+\"|'[^'\n]*+')++)"
    r"\]\]?+[ \t]*+(#.*)?\r?$"
)
_NAME = re.compile(r"([A-Za-z0-9_-]+)|\"((?:[^\"\\\n]|\\.)*)\"|'([^'\n]*)'")
_PATH_PART = re.compile(r"\[(\d+)\]|\.?(\"(?:[^\"\\]|\\.)*\"|[^.\[\]]+)")
# `name =` where a key can be: after a line start, a blank, "{", "," or "." (a dotted key).
_ASSIGNED = re.compile(
    r"(?:(?<=[{,.\s])|^)"
    r"(?:([A-Za-z0-9_-]++)|\"((?:[^\"\\\n]|\\.)*+)\"|'([^'\n]*+)')[ \t]*+=[ \t]*+",
    re.M,
)

MAX_KEY_PARTS = 32
"""Parts of one dotted key or table header (`a.b.c` has 3). A sequence needs 4 at most;
tomllib's time grows with the square of the count (50,000 parts took 12 s)."""

_KEY_PART = r"(?:[A-Za-z0-9_-]++|\"(?:[^\"\\\n]|\\.)*+\"|'[^'\n]*+')"
_DEEP_KEY = re.compile(
    rf"(?:^[ \t]*+\[{{0,2}}+|[{{,])[ \t]*+{_KEY_PART}"
    rf"(?:[ \t]*+\.[ \t]*+{_KEY_PART}){{{MAX_KEY_PARTS},}}",
    re.M,
)


def deep_key_error(text: str) -> tuple[str, int] | None:
    """(message, line) for a key or header of more than MAX_KEY_PARTS dotted parts, if
    there is one: refused before tomllib spends minutes on it. Looks only where a key can
    start (a line's start, after "{" or ","), so dots in text values are left alone."""
    if text.count(".") < MAX_KEY_PARTS:
        return None
    m = _DEEP_KEY.search(text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start() + 1) + 1
    return f"a key or table name of more than {MAX_KEY_PARTS} dotted parts", line


def _names(header: str) -> list[str]:
    """The parts of a table header's name: `a . "b.c" . 'd'` -> a, b.c, d."""
    names = []
    for m in _NAME.finditer(header):
        if m.group(2) is not None:
            try:
                names.append(json.loads(f'"{m.group(2)}"'))
            except ValueError:
                names.append(m.group(2))
        else:
            names.append(m.group(1) if m.group(1) is not None else m.group(3))
    return names


class Locator:
    """Line numbers of key paths in one TOML text; built and queried in time linear in
    the text (a file of 40,000 tables is looked up as fast as one of 4)."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Lines as TOML counts them: only "\n" ends a line (str.splitlines also splits on
        # form feeds, U+2028 and friends, which would put every later line number off).
        self.lines = text.split("\n")
        self._line_starts = [0]
        for ln in self.lines[:-1]:
            self._line_starts.append(self._line_starts[-1] + len(ln) + 1)
        self._tables: dict[tuple[str, ...], int] = {}  # [a.b] -> its line index
        self._arrays: dict[tuple[str, ...], list[int]] = {}  # [[a]] -> their line indices
        self._heads: list[int] = []
        for i, ln in enumerate(self.lines):
            if "[" not in ln:
                continue
            m = _HEADER.match(ln)
            if not m:
                continue
            names = tuple(_names(m.group(2)))
            self._heads.append(i)
            if m.group(1) == "[[":
                self._arrays.setdefault(names, []).append(i)
            else:
                self._tables.setdefault(names, i)
        self._items: dict[int, list[int]] = {}
        self._assigned: dict[str, tuple[list[int], list[int]]] | None = None

    def line_of(self, key: str) -> int | None:
        """Best-effort line of a key path (tomllib keeps none), for editors that jump to file:line.

        Finds the table that owns the key ([a.b], or the nth [[a]] for an indexed array of
        tables), then walks the rest of the path through the text: `name =` for a key, the
        nth item of an array for an index (so each keyframe written on its own line, inline
        table or [at, value] pair, has its own line).
        """
        parts: list[str | int] = []
        for m in _PATH_PART.finditer(key):
            if m.group(1) is not None:
                parts.append(int(m.group(1)))
            else:
                name = m.group(2)
                try:
                    parts.append(json.loads(name) if name.startswith('"') else name)
                except ValueError:
                    parts.append(name)
        if not parts:
            return None
        head = -1
        if len(parts) >= 2 and isinstance(parts[0], str) and isinstance(parts[1], int):
            heads = self._arrays.get((parts[0],), [])
            if parts[1] < len(heads):
                head, parts = heads[parts[1]], parts[2:]
        if head < 0:
            for depth in range(len(parts), 0, -1):
                names = parts[:depth]
                if all(isinstance(n, str) for n in names) and tuple(names) in self._tables:
                    head, parts = self._tables[tuple(names)], parts[depth:]  # type: ignore[arg-type]
                    break
        lo = self._line_starts[head + 1] if head + 1 < len(self.lines) else len(self.text)
        later = bisect.bisect_right(self._heads, head)
        hi = self._line_starts[self._heads[later]] if later < len(self._heads) else len(self.text)
        found = None
        pos: int | None = lo
        for k, part in enumerate(parts):
            if pos is None or (k and isinstance(parts[k - 1], int) and isinstance(part, str)):
                break  # a key inside an array item: the item's line says it best
            if isinstance(part, int):
                items = self._array_items(pos, hi)
                pos = items[part] if part < len(items) else None
            else:
                pos = self._assignment(part, pos, hi)
            if pos is not None:
                found = pos
        if found is not None:
            return bisect.bisect_right(self._line_starts, min(found, len(self.text) - 1))
        return head + 1 if head >= 0 else None

    def _assignment(self, name: str, lo: int, hi: int) -> int | None:
        """Where the value of the first `name =` from `lo` (up to `hi`) begins. Every
        `name =` in the text is indexed in one pass, the first time one is asked for:
        searching the text for each key would make a file of many tables quadratic."""
        if self._assigned is None:
            self._assigned = {}
            for m in _ASSIGNED.finditer(self.text):
                starts, ends = self._assigned.setdefault(m.group(m.lastindex or 0), ([], []))
                starts.append(m.start())
                ends.append(m.end())
        starts, ends = self._assigned.get(name, ((), ()))  # type: ignore[assignment]
        i = bisect.bisect_left(starts, lo)
        return ends[i] if i < len(starts) and starts[i] < hi else None

    def _array_items(self, pos: int, hi: int) -> list[int]:
        """Offsets where each item of the array value starting at `pos` begins."""
        if pos in self._items:
            return self._items[pos]
        text, n = self.text, min(hi, len(self.text))
        i = pos
        while i < n and text[i] in " \t":
            i += 1
        starts: list[int] = []
        depth, expect = 0, True
        if i < n and text[i] == "[":
            while i < n:
                c = text[i]
                opens_item = depth == 1 and expect and not c.isspace() and c not in ",]#"
                if opens_item:
                    starts.append(i)
                    expect = False
                if c == "#":
                    nl = text.find("\n", i)
                    i = n if nl < 0 else nl
                    continue
                if c in "\"'":
                    quote = c * 3 if text.startswith(c * 3, i) else c
                    j = i + len(quote)
                    while j < n and not text.startswith(quote, j):
                        if len(quote) == 1 and text[j] == "\n":
                            break
                        j += 2 if c == '"' and text[j] == "\\" else 1
                    i = j + len(quote)
                    continue
                if c in "[{":
                    depth += 1
                elif c in "]}":
                    depth -= 1
                    if depth == 0:
                        break
                elif c == "," and depth == 1:
                    expect = True
                i += 1
        self._items[pos] = starts
        return starts
