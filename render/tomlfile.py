"""Where a key is in a TOML file: tomllib keeps no line numbers, so error messages find
the line of a key path (``layers[2].colour``, ``colors.glow``) in the text.

Shared by sequence and palette files, so both count lines as TOML does.
"""

from __future__ import annotations

import bisect
import json
import re

_HEADER = re.compile(r"[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_\-.\"' \t]+?)[ \t]*\]\]?[ \t]*(#.*)?\r?$")
_PATH_PART = re.compile(r"\[(\d+)\]|\.?(\"(?:[^\"\\]|\\.)*\"|[^.\[\]]+)")


class Locator:
    """Line numbers of key paths in one TOML text."""

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
            m = _HEADER.match(ln)
            if not m:
                continue
            names = tuple(n.strip().strip("\"'") for n in m.group(2).split("."))
            self._heads.append(i)
            if m.group(1) == "[[":
                self._arrays.setdefault(names, []).append(i)
            else:
                self._tables.setdefault(names, i)
        self._items: dict[int, list[int]] = {}

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
        later = [h for h in self._heads if h > head]
        hi = self._line_starts[later[0]] if later else len(self.text)
        found = None
        pos: int | None = lo
        for k, part in enumerate(parts):
            if pos is None or (k and isinstance(parts[k - 1], int) and isinstance(part, str)):
                break  # a key inside an array item: the item's line says it best
            if isinstance(part, int):
                items = self._array_items(pos, hi)
                pos = items[part] if part < len(items) else None
            else:
                hit = re.compile(
                    rf"(?:^|[{{,.\s])(?:{re.escape(part)}|\"{re.escape(part)}\"|'{re.escape(part)}')"
                    r"[ \t]*=[ \t]*",
                    re.M,
                ).search(self.text, pos, hi)
                pos = hit.end() if hit else None
            if pos is not None:
                found = pos
        if found is not None:
            return bisect.bisect_right(self._line_starts, min(found, len(self.text) - 1))
        return head + 1 if head >= 0 else None

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

