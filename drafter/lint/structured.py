"""Parse YAML and JSON into nodes that remember where each value sits in the source."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from drafter.lint.textmap import align, constant


class ParseError(Exception):
    """The text is not valid YAML/JSON; `offset` is where the parser stopped, if known."""

    def __init__(self, reason: str, offset: int | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.line = line
        self.column = column


class Node:
    """A parsed value with its place in the source.

    `start`/`end` cover the whole node; for string scalars `content_start`/`content_end`
    cover the characters that hold the value and `style` says how it is written.
    """

    # A plain slotted class: front matter makes a dozen nodes per file, and a dataclass
    # __init__ with default factories costs about a fifth more.
    __slots__ = ("content_end", "content_start", "end", "items", "kind", "pairs", "start", "style",
                 "value")

    def __init__(self, kind: str, start: int, end: int, value: Any = None,
                 items: list[Node] | None = None, pairs: list[tuple[Node, Node]] | None = None,
                 style: str = "plain", content_start: int = 0, content_end: int = 0) -> None:
        self.kind = kind  # "map" | "seq" | "scalar"
        self.start = start
        self.end = end
        self.value = value  # python value for scalars
        self.items = [] if items is None else items  # seq items
        self.pairs = [] if pairs is None else pairs  # map entries
        self.style = style  # scalars: plain | block | single | double
        self.content_start = content_start
        self.content_end = content_end

    def __repr__(self) -> str:
        return (f"Node({self.kind!r}, {self.start}, {self.end}, value={self.value!r}, "
                f"items={self.items!r}, pairs={self.pairs!r}, style={self.style!r})")

    def get(self, key: str) -> Node | None:
        """Return the value node for `key` in a map node, if any."""
        for k, v in self.pairs:
            if k.value == key:
                return v
        return None

    def to_python(self) -> Any:
        """Return the plain Python value of this node."""
        if self.kind == "map":
            return {k.value: v.to_python() for k, v in self.pairs}
        if self.kind == "seq":
            return [n.to_python() for n in self.items]
        return self.value

    def offsets(self, src: str) -> list[int]:
        """Map each character of this string scalar to its source offset (see textmap.align)."""
        assert isinstance(self.value, str)
        table = align(self.value, src, self.content_start, self.content_end, self.style)
        if table is None:
            # Mapping is not exact (an unusual layout): point every character at where the
            # value begins, on the body's first line.
            first = self.content_start
            while first < self.content_end and src[first] in " \t\n":
                first += 1
            table = constant(first, len(self.value))
        return table


# ---------------------------------------------------------------------------------------- YAML


def parse_yaml(src: str, base: int = 0) -> Node | None:
    """Parse one YAML document of `src` into a Node tree; offsets are shifted by `base`."""
    import yaml  # only when a YAML file or front matter is present

    loader = None
    try:
        # libyaml finds a forbidden character while parsing, PyYAML's reader on construction
        loader = _bounded_loader()(src)
        root = loader.get_single_node()
        if root is None:
            return None
        return _from_yaml(loader, root, src, base)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, a control one
        where = getattr(exc, "position", None)
        char = getattr(exc, "character", None)
        what = f"U+{char:04X}" if isinstance(char, int) else "a character"
        raise ParseError(f"invalid YAML: {what} is not allowed in YAML",
                         offset=base + where if isinstance(where, int) else None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is not None:
            raise ParseError(f"invalid YAML: {reason}", offset=base + mark.index) from None
        raise ParseError(f"invalid YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise ParseError(f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


# What YAML aliases may add to a document, in nodes: enough for a shared list of tags or
# variables, far below "billion laughs" (nine nested levels of ten aliases: 10^9 nodes).
MAX_ALIAS_NODES = 10_000


@lru_cache(maxsize=1)
def _bounded_loader() -> type:
    """A safe YAML loader refusing aliases that expand past MAX_ALIAS_NODES (built on use)."""
    import yaml

    if yaml.__with_libyaml__:
        from yaml.composer import Composer
        from yaml.constructor import SafeConstructor
        from yaml.cyaml import CParser  # type: ignore[attr-defined]  # in cyaml.__all__
        from yaml.resolver import Resolver

        # libyaml's parser reads the events (about 8x faster than PyYAML's own on a 1 MB file)
        # and PyYAML's Python composer builds the nodes, so compose_node below can count
        # aliases; CSafeLoader would compose in C, past the bound.
        class Parsing(Composer, CParser, SafeConstructor, Resolver):
            """PyYAML's safe loading, with libyaml's parser under the Python composer."""

            def __init__(self, src: str) -> None:
                CParser.__init__(self, src)
                Composer.__init__(self)
                SafeConstructor.__init__(self)
                Resolver.__init__(self)

        base: type = Parsing
    else:
        base = yaml.SafeLoader

    class BoundedLoader(base):
        """Counts the nodes each alias stands for, as it is composed, and stops at the bound."""

        def __init__(self, src: str) -> None:
            super().__init__(src)
            self.expanded = 0
            self.sizes: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                target = self.anchors.get(event.anchor)
                if target is not None:
                    self.expanded += _size(target, self.sizes)
                    if self.expanded > MAX_ALIAS_NODES:
                        raise yaml.composer.ComposerError(
                            None, None, f"its aliases expand to more than {MAX_ALIAS_NODES:,} "
                            "values (a YAML bomb?); repeat the values instead", event.start_mark)
            return super().compose_node(parent, index)

    return BoundedLoader


def _size(node: Any, sizes: dict[int, int]) -> int:
    """The nodes under `node`, aliases counted in full (each node's count computed once)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    order, stack = [], [node]
    while stack:  # children before parents, without recursion
        current = stack.pop()
        if id(current) in sizes:
            continue
        order.append(current)
        if isinstance(current.value, list):
            for child in current.value:
                stack.extend(child if isinstance(child, tuple) else (child,))
    for current in reversed(order):
        total = 1
        if isinstance(current.value, list):
            for child in current.value:
                for item in child if isinstance(child, tuple) else (child,):
                    total += sizes.get(id(item), 1)
        sizes[id(current)] = total
    return sizes[id(node)]


def _from_yaml(loader: Any, node: Any, src: str, base: int) -> Node:
    import yaml

    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.MappingNode):
        pairs = [(_from_yaml(loader, k, src, base), _from_yaml(loader, v, src, base))
                 for k, v in node.value]
        return Node("map", base + start, base + end, pairs=pairs)
    if isinstance(node, yaml.SequenceNode):
        items = [_from_yaml(loader, n, src, base) for n in node.value]
        return Node("seq", base + start, base + end, items=items)
    value = loader.construct_object(node, deep=True)
    style = node.style
    if style in ("|", ">"):
        # The content begins on the line after the header (which may carry a comment).
        nl = src.find("\n", start)
        c_start, c_end, kind = (len(src) if nl < 0 else nl + 1), end, "block"
    elif style in ("'", '"'):
        c_start, c_end, kind = start + 1, end - 1, "single" if style == "'" else "double"
    else:
        c_start, c_end, kind = start, end, "plain"
    if isinstance(value, (bytes, bytearray)):
        value = None
    return Node("scalar", base + start, base + end, value=value, style=kind,
                content_start=base + c_start, content_end=base + c_end)


# A fast path for the flat front matter most canned responses have (`key: plain words`,
# `key: true`, `key: [a, b]`), so that linting them does not pay for importing PyYAML. Anything
# else returns None and goes to PyYAML; what is accepted here parses as PyYAML parses it.
# One match per line sorts the value too: group 2 a boolean, 3 a flow list, 4 plain words
# (a letter, then characters that are not YAML syntax, ending in one that is not a space).
_FLAT_LINE = re.compile(r"([A-Za-z_][\w-]*):[ \t]+(?:(true|false)|(\[.*\])"
                          r"|([A-Za-z](?:[^#:{}\[\]\"\t\n`]*[^#:{}\[\]\"\t\n` ])?))[ \t]*")
_FLAT_ITEM = re.compile(r"[ \t]*([A-Za-z_][\w.-]*(?: [\w.-]+)*)[ \t]*")
_BOOL, _LIST, _WORDS = 2, 3, 4
# Plain words that YAML 1.1 reads as booleans or null.
_YAML_SPECIAL = frozenset([
    "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
    "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
])


def parse_flat_yaml(src: str, base: int = 0) -> Node | None:
    """Parse flat front matter without PyYAML; None when it is not flat (ask PyYAML)."""
    pairs: list[tuple[Node, Node]] = []
    pos = base
    for line in src.split("\n"):
        start = pos
        pos += len(line) + 1
        entry = _flat_line(line)
        if entry is None:
            return None
        if entry is _BLANK:
            continue
        key, kind, v0, v1, words, items = entry
        v0 += start
        v1 += start
        k1 = start + len(key)
        # Nodes are made with positional arguments here: keyword ones cost half as much again.
        value: Node
        if kind == _BOOL:
            value = Node("scalar", v0, v1, words == "true")
        elif kind == _LIST:
            value = Node("seq", v0, v1, None, [
                Node("scalar", start + i0, start + i1, item, None, None, "plain", start + i0,
                     start + i1) for i0, i1, item in items])
        else:
            value = Node("scalar", v0, v1, words, None, None, "plain", v0, v1)
        pairs.append((Node("scalar", start, k1, key, None, None, "plain", start, k1), value))
    if not pairs:
        return None
    return Node("map", pairs[0][0].start, pairs[-1][1].end, None, None, pairs)


def flat_values(src: str) -> list[tuple[str, Any]] | None:
    """The keys and values of flat front matter (what parse_flat_yaml's nodes hold, without
    the nodes); None when it is not flat."""
    pairs: list[tuple[str, Any]] = []
    for line in src.split("\n"):
        entry = _flat_line(line)
        if entry is None:
            return None
        if entry is _BLANK:
            continue
        key, kind, _, _, words, items = entry
        pairs.append((key, words == "true" if kind == _BOOL
                      else [item for _, _, item in items] if kind == _LIST else words))
    return pairs or None


_FlatLine = tuple[str, int, int, int, str, tuple[tuple[int, int, str], ...]]
_BLANK: _FlatLine = ("", 0, 0, 0, "", ())


@lru_cache(maxsize=1024)  # front matter repeats its lines (`channel: email`) from file to file
def _flat_line(line: str) -> _FlatLine | None:
    """How a line of flat front matter reads: _BLANK (a blank line or a comment), None (not
    flat), or its key, value kind, value span, value text and list items (with their spans)."""
    if not line.isprintable():
        # PyYAML has its own rules for tabs ("x: a\t" is an error) and refuses control
        # characters.
        return None
    if not line.strip() or line.startswith("#"):
        return _BLANK
    m = _FLAT_LINE.fullmatch(line)
    if m is None or m.group(1) in _YAML_SPECIAL:
        return None
    kind = m.lastindex or 0
    v0, v1 = m.span(kind)
    words = m.group(kind)
    items: list[tuple[int, int, str]] = []
    if kind == _LIST:
        inner = words[1:-1]
        if inner.strip():
            at = v0 + 1
            for part in inner.split(","):
                im = _FLAT_ITEM.fullmatch(part)
                if im is None or im.group(1) in _YAML_SPECIAL:
                    return None
                items.append((at + im.start(1), at + im.end(1), im.group(1)))
                at += len(part) + 1
    elif kind == _WORDS and words in _YAML_SPECIAL:
        return None
    return m.group(1), kind, v0, v1, words, tuple(items)


# ---------------------------------------------------------------------------------------- JSON

_WS = re.compile(r"[ \t\n\r]*")
_LITERAL = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")


def parse_json(src: str) -> Node:
    """Parse a JSON document into a Node tree (json.loads checks validity first)."""
    try:
        json.loads(src, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg}", offset=exc.pos) from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None
    node, _ = _json_value(src, _skip(src, 0))
    return node


def _reject_constant(name: str) -> Any:
    raise ParseError(f"invalid JSON: {name} is not a JSON value")


def _skip(src: str, i: int) -> int:
    m = _WS.match(src, i)
    return m.end() if m else i


def _json_value(src: str, i: int) -> tuple[Node, int]:
    c = src[i]
    if c == "{":
        node = Node("map", i, i)
        i = _skip(src, i + 1)
        if src[i] == "}":
            node.end = i + 1
            return node, i + 1
        while True:
            key, i = _json_string(src, i)
            i = _skip(src, _skip(src, i) + 1)  # past ':'
            value, i = _json_value(src, i)
            node.pairs.append((key, value))
            i = _skip(src, i)
            if src[i] == "}":
                node.end = i + 1
                return node, i + 1
            i = _skip(src, i + 1)  # past ','
    if c == "[":
        node = Node("seq", i, i)
        i = _skip(src, i + 1)
        if src[i] == "]":
            node.end = i + 1
            return node, i + 1
        while True:
            item, i = _json_value(src, i)
            node.items.append(item)
            i = _skip(src, i)
            if src[i] == "]":
                node.end = i + 1
                return node, i + 1
            i = _skip(src, i + 1)
    if c == '"':
        return _json_string(src, i)
    m = _LITERAL.match(src, i)
    assert m is not None  # json.loads accepted the document
    return Node("scalar", i, m.end(), value=json.loads(m.group())), m.end()


def _json_string(src: str, i: int) -> tuple[Node, int]:
    j = i + 1
    while src[j] != '"':
        j += 2 if src[j] == "\\" else 1
    value = json.loads(src[i : j + 1])
    return Node("scalar", i, j + 1, value=value, style="double",
                content_start=i + 1, content_end=j), j + 1
