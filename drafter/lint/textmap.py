"""Map offsets in an extracted text back to line and column in the file it came from."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate


class SourceText:
    """A decoded source file with its line starts, to turn character offsets into line/column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts: list[int] | None = None  # found when first asked for

    @property
    def line_starts(self) -> list[int]:
        """The offset where each line begins (a file without problems or findings never asks)."""
        if self._line_starts is None:
            # Each line starts one past the end of the one before (lengths summed in C).
            ends = list(accumulate(map((1).__add__, map(len, self.text.split("\n")))))
            self._line_starts = [0, *ends[:-1]]
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of character `offset`."""
        starts = self.line_starts
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    def line_text(self, line: int) -> str:
        """Return the text of 1-based `line`, without its newline."""
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


def identity(start: int, length: int) -> range:
    """Offsets table for a text copied verbatim from `start` in the source."""
    return range(start, start + length + 1)


def constant(offset: int, length: int) -> list[int]:
    """Offsets table that sends every character to one source offset (mapping unknown)."""
    return [offset] * (length + 1)


# YAML double-quoted escapes (JSON's are a subset); `None` marks an escaped line break.
_SIMPLE_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def _escape(src: str, i: int) -> tuple[str, int]:
    """Decode the escape at src[i] == '\\'; return (decoded text, source length)."""
    kind = src[i + 1 : i + 2]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind], 2
    if kind == "\n":
        return "", 2
    if kind in _HEX_LEN:
        n = _HEX_LEN[kind]
        code = int(src[i + 2 : i + 2 + n], 16)
        if 0xD800 <= code < 0xDC00 and src[i + 2 + n : i + 4 + n] == "\\u":
            low = int(src[i + 4 + n : i + 8 + n], 16)
            if 0xDC00 <= low < 0xE000:
                return chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)), 2 + n + 6
        return chr(code), 2 + n
    raise ValueError(f"unknown escape \\{kind}")


def align(value: str, src: str, start: int, end: int, style: str) -> list[int] | None:
    """Map each character of a scalar's `value` to its offset in `src[start:end]`.

    `style` is "plain", "block", "single" or "double" (JSON strings are "double"). Source
    characters that are not in the value may only be whitespace (indentation, folded line
    breaks), quote doubling or escapes; anything else means the two do not line up, and
    None is returned so the caller can fall back to a coarser position.
    """
    out: list[int] = []
    i = start
    for ch in value:
        while True:
            if i >= end:
                if ch.isspace():  # chomping can keep line breaks past the node's end
                    out.append(end)
                    break
                return None
            c = src[i]
            if style == "double" and c == "\\":
                try:
                    decoded, n = _escape(src, i)
                except (ValueError, IndexError):
                    return None
                if decoded == "":
                    i += n
                    continue
                if decoded == ch:
                    out.append(i)
                    i += n
                    break
                if len(decoded) == 1 and ch.isspace() and decoded.isspace():
                    out.append(i)
                    i += n
                    break
                return None
            if style == "single" and c == "'" and src[i + 1 : i + 2] == "'":
                if ch != "'":
                    return None
                out.append(i)
                i += 2
                break
            if c == ch or (ch in " \n" and c == "\n"):
                out.append(i)
                i += 1
                break
            if c in " \t\n":
                i += 1
                continue
            return None
    out.append(min(i, end))
    return out


def compose(outer: Sequence[int], inner: Iterable[int]) -> list[int]:
    """Chain two offset tables: `inner` maps into the text that `outer` maps into the source."""
    return [outer[k] for k in inner]
