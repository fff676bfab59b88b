"""Finds the line of a key or an array-of-tables element in TOML text, for error messages. Pure.

tomllib reports no positions for values, so this scanner reads the raw text once and records
where each table header and key is written. It understands headers (``[a.b]``, ``[[a]]``),
dotted and quoted keys, strings (including multi-line ones) and values spanning several lines.
Inline tables are not entered: a key inside one is located at the line of the key holding it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.config_loader.schema import Loc

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _read_key(text: str, pos: int) -> tuple[list[str], int] | None:
    """Parse a (dotted, possibly quoted) key at `pos`; return its parts and the end position."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos >= len(text):
            return None
        quote = text[pos]
        if quote in "\"'":
            end = text.find(quote, pos + 1)
            if end < 0:
                return None
            parts.append(text[pos + 1 : end])  # escapes in quoted keys are left as written
            pos = end + 1
        else:
            start = pos
            while pos < len(text) and text[pos] in _BARE:
                pos += 1
            if pos == start:
                return None
            parts.append(text[start:pos])
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return parts, pos


@dataclass
class _Scanner:
    """Tracks strings and brackets across lines so that only statement lines are read."""

    in_string: str = ""  # the closing delimiter of the string we are in, if any
    depth: int = 0  # open [ and { of values spanning lines

    @property
    def at_statement(self) -> bool:
        return not self.in_string and self.depth == 0

    def feed(self, line: str) -> None:
        pos = 0
        while pos < len(line):
            if self.in_string:
                if self.in_string in ('"', '"""') and line[pos] == "\\":
                    pos += 2
                    continue
                if line.startswith(self.in_string, pos):
                    pos += len(self.in_string)
                    self.in_string = ""
                    continue
                pos += 1
                continue
            char = line[pos]
            if char == "#":
                return
            if char in "\"'":
                triple = char * 3
                self.in_string = triple if line.startswith(triple, pos) else char
                pos += len(self.in_string)
                continue
            if char in "[{":
                self.depth += 1
            elif char in "]}":
                self.depth -= 1
            pos += 1
        if self.in_string in ('"', "'"):
            self.in_string = ""  # single-line strings end with the line


@dataclass
class KeyLines:
    """Where each table, array element and key of a TOML document is written (1-based lines)."""

    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, else of its nearest written parent; None when nothing matches."""
        for length in range(len(loc), 0, -1):
            if (line := self.lines.get(loc[:length])) is not None:
                return line
        return None


def locate_keys(text: str) -> KeyLines:
    """Scan TOML text (already known to parse) and record the line of every header and key."""
    found = KeyLines()
    arrays: dict[Loc, int] = {}  # array-of-tables path -> elements seen so far
    table: Loc = ()
    scanner = _Scanner()
    for number, line in enumerate(text.splitlines(), start=1):
        if not scanner.at_statement:
            scanner.feed(line)
            continue
        stripped = line.lstrip()
        rest = line
        if stripped.startswith("["):
            is_array = stripped.startswith("[[")
            parsed = _read_key(stripped, 2 if is_array else 1)
            if parsed is not None:
                table = _resolve(parsed[0], arrays, is_array)
                found.lines.setdefault(table, number)
                if is_array:
                    found.lines.setdefault(table[:-1], number)
                rest = stripped[parsed[1] :].lstrip("]")
        elif stripped and not stripped.startswith("#"):
            parsed = _read_key(stripped, 0)
            if parsed is not None and stripped[parsed[1] :].startswith("="):
                path: Loc = table
                for part in parsed[0]:
                    path = (*path, part)
                    found.lines.setdefault(path, number)
                rest = stripped[parsed[1] + 1 :]
        scanner.feed(rest)
    return found


def _resolve(parts: list[str], arrays: dict[Loc, int], is_array: bool) -> Loc:
    """The path of a header, with the current element index after every array it goes through."""
    path: Loc = ()
    for position, part in enumerate(parts):
        path = (*path, part)
        last = position == len(parts) - 1
        if last and is_array:
            arrays[path] = arrays.get(path, 0) + 1
            return (*path, arrays[path] - 1)
        if path in arrays:
            path = (*path, arrays[path] - 1)
    return path
