"""Read canned-response files (Markdown, text, HTML, Jinja, YAML/JSON collections, Zendesk macros)
into units of reply text that remember where each character came from."""

from __future__ import annotations

import codecs
import fnmatch
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from drafter.errors import InputError, file_kind
from drafter.lint.rules import LINT_RULES, PARSE_ERROR
from drafter.lint.structured import (
    Node,
    ParseError,
    flat_values,
    parse_flat_yaml,
    parse_json,
    parse_yaml,
)
from drafter.lint.textmap import SourceText, constant, identity
from drafter.review.context import CHANNELS, ReviewContext
from drafter.review.finding import Finding
from drafter.review.rules.hygiene import LIQUID_OBJECTS
from drafter.review.selection import path_matches

DEFAULT_MAX_FILE_BYTES = 5 * 1024 * 1024  # lint.max_file_size
# Longest suffixes first, so `.html.j2` wins over `.j2`.
FORMATS: dict[str, str] = {
    ".html.j2": "html-jinja", ".html.jinja": "html-jinja", ".html.jinja2": "html-jinja",
    ".md": "markdown", ".markdown": "markdown",
    ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
    ".j2": "jinja", ".jinja": "jinja", ".jinja2": "jinja",
    ".yaml": "yaml", ".yml": "yaml", ".json": "json",
}
NAME_KEYS = ("name", "title", "id")
BODY_KEYS = ("body", "text", "content")
BOOL_KEYS = ("upset", "reports_problem", "asks_question", "body_only", "template")
META_KEYS = (*NAME_KEYS, "description", "tags", "category", "channel", "variables",
             "customer_message", *BOOL_KEYS)


@dataclass
class Unit:
    """One canned response: its text, where each character sits in the file, and its context."""

    text: str
    offsets: Sequence[int]  # text index -> source offset, len(text) + 1 entries
    name: str | None
    context: ReviewContext
    hide_html_comments: bool = False  # HTML comments are not shown to the customer
    hide_jinja_comments: bool = False  # Jinja comments never render
    strip_tags: bool = False  # HTML markup is not reply text
    markdown: bool = False  # emphasis markers (**bold**, *italic*) are not reply text


@dataclass
class SourceFile:
    """A file read for linting: its units, and the problems found while reading it (LNT
    findings, at their codes' default severity)."""

    path: Path
    display: str  # the path as reported
    source: SourceText | None = None
    units: list[Unit] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    skipped: str | None = None  # why the file is not canned responses (a ticket file)

    @property
    def unreadable(self) -> bool:
        """Whether the file could not be read or parsed at all."""
        return any(p.code == PARSE_ERROR for p in self.problems)

    def problem(self, code: str, message: str, line: int, column: int, end_line: int,
                end_column: int, start: int = 0, end: int = 0, unit: str | None = None,
                fix: str | None = None) -> Finding:
        """An LNT finding in this file, placed at a line and column ([start, end): offsets)."""
        rule = LINT_RULES[code]
        return Finding(code, rule.name, rule.severity, message, start, end, line, column,
                       fix=fix, path=self.display, end_line=end_line, end_column=end_column,
                       unit=unit)


@dataclass(frozen=True)
class SourceOptions:
    """What the config adds to every file: declared variables, extra keys, body-only."""

    variables: frozenset[str] = frozenset()
    extra_keys: frozenset[str] = frozenset()
    body_only: bool = False
    channel: str | None = None  # the file's channel unless its metadata says
    channels: tuple[tuple[str, str], ...] = ()  # (glob, channel): the first match wins
    max_bytes: int = DEFAULT_MAX_FILE_BYTES  # a larger file is refused, not read
    templates: frozenset[str] = frozenset()  # template languages whose slots are legitimate
    slot_pattern: re.Pattern[str] | None = None  # the team's own slot

    def for_file(self, display: str) -> SourceOptions:
        """These options with the channel that `channels` gives the file `display`."""
        for pattern, channel in self.channels:
            if path_matches(display, pattern):
                return replace(self, channel=channel)
        return self


# Every suffix but the `.html.*` ones has one dot: a name's format is found by its last one.
_BY_SUFFIX = {s: f for s, f in FORMATS.items() if s.count(".") == 1}
_HTML_JINJA = {s: f for s, f in FORMATS.items() if s.count(".") == 2}


def file_format(path: Path) -> str | None:
    """Return the format name for `path` by its suffix, or None if drafter does not read it."""
    return _name_format(path.name)


def _name_format(name: str) -> str | None:
    """The format of a file name: FORMATS' longest suffix that is shorter than the name."""
    name = name.lower()
    dot = name.rfind(".")
    if dot <= 0:  # no suffix, or the name is all suffix
        return None
    fmt = _BY_SUFFIX.get(name[dot:])
    if fmt == "jinja":
        dot2 = name.rfind(".", 0, dot)
        if dot2 > 0:
            return _HTML_JINJA.get(name[dot2:], fmt)
    return fmt


# ------------------------------------------------------------------------------------ discovery


def _excluded(rel: str, name: str, patterns: Sequence[str]) -> bool:
    """Whether a glob of `patterns` matches the name, the path below the folder walked, a
    folder on that path (`pat/*`) or its end (`*/pat`)."""
    if not patterns:
        return False
    whole, inside, ending = _exclude_regexes(tuple(patterns))
    return bool(whole.match(name) or whole.match(rel) or inside.match(rel)
                or ending.match("/" + rel))


@lru_cache(maxsize=32)
def _exclude_regexes(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """One regex per way a glob may match, for all `patterns` at once (as fnmatchcase reads
    each: the first regex matches where fnmatchcase(s, pat) does for some pat, and so on)."""
    globs = [p.rstrip("/") for p in patterns]
    return tuple(re.compile("|".join(fnmatch.translate(g) for g in gs))
                 for gs in (globs, [g + "/*" for g in globs], ["*/" + g for g in globs]))


def discover(paths: Iterable[Path], exclude: Sequence[str] = (),
             force_exclude: bool = False) -> list[Path]:
    """Expand files and folders into the files to lint, in a stable order (see
    `discover_real`)."""
    return [p for p, _ in discover_real(paths, exclude, force_exclude)]


def discover_real(paths: Iterable[Path], exclude: Sequence[str] = (),
                  force_exclude: bool = False) -> list[tuple[Path, str]]:
    """Expand files and folders into the files to lint, in a stable order, each with its real
    path (which the walk knows: the linter need not resolve each file again).

    Folders are walked recursively for known suffixes, skipping hidden folders and files and
    anything matching an `exclude` glob (matched against the name and the path below the
    folder). A named file is always linted (unless `force_exclude` and it matches an `exclude`
    glob, as pre-commit needs), but an unknown suffix is an error.
    """
    found: list[tuple[Path, str]] = []  # each file with its real path, to drop duplicates
    real = Resolver()
    for path in paths:
        if path.is_dir():
            top = os.fspath(path)
            _walk(top, _slashed(os.path.realpath(top)), "", tuple(exclude), found)
        elif path.exists():
            if force_exclude and _excluded(display_path(path), path.name, exclude):
                continue
            if file_format(path) is None:
                known = ", ".join(sorted({s for s in FORMATS if s.count(".") == 1}))
                raise InputError(f"{path}: drafter does not know how to read this kind of file",
                                 hint=f"lint files ending in {known}, or leave this one out")
            found.append((path, real(path)))
        else:
            raise InputError(f"{path}: no such file or folder",
                             hint="check the path; folders are searched recursively")
    seen: set[str] = set()
    unique = []
    for p, key in found:
        if key not in seen:
            seen.add(key)
            unique.append((p, key))
    return unique


def _walk(folder: str, real: str, rel: str, exclude: tuple[str, ...],
          found: list[tuple[Path, str]]) -> None:
    """Add the files to lint in `folder` (whose real path is `real`, and `rel` below the folder
    named, both with a trailing slash), sorted, then those of its subfolders in order, as
    `os.walk` visits them.

    One directory listing answers what os.walk and a Resolver would ask per entry (is it a
    folder, a link): below a folder's real path, only links need resolving.
    """
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:  # read_source reports it, so the run exits 2: part of it was not linted
        found.append((Path(folder), real.rstrip("/")))
        return
    dirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if not (exclude and _excluded(rel + name, name, exclude)):
                dirs.append(entry)
        elif _name_format(name) is not None and not (
                exclude and _excluded(rel + name, name, exclude)):
            files.append(entry)
    if files:
        base = Path(folder)
        files.sort(key=_entry_name)
        for entry in files:
            found.append((base / entry.name, os.path.realpath(entry.path) if _is_link(entry)
                          else real + entry.name))
    dirs.sort(key=_entry_name)
    for entry in dirs:
        if not _is_link(entry):  # os.walk does not follow links to folders
            _walk(entry.path, real + entry.name + "/", rel + entry.name + "/", exclude, found)


_entry_name = attrgetter("name")


def _slashed(folder: str) -> str:
    return folder if folder.endswith("/") else folder + "/"


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:  # as os.path.islink answers
        return False


class Resolver:
    """`os.path.realpath` for many files, resolving each folder once (a file's own link too)."""

    def __init__(self) -> None:
        self._dirs: dict[str, str] = {}  # folder as written -> its real path, with a slash

    def __call__(self, path: Path | str) -> str:
        """Return the real absolute path of `path`, as `Path.resolve()` would (as a string)."""
        s = os.fspath(path)
        cut = s.rfind("/") + 1
        name = s[cut:]
        if not name or name == "." or name == ".." or os.path.islink(s):
            return os.path.realpath(s)
        head = s[:cut]
        real_dir = self._dirs.get(head)
        if real_dir is None:
            real_dir = self._dirs[head] = _slashed(os.path.realpath(head or "."))
        return real_dir + name


def display_path(path: Path, cwd: Path | None = None, resolve: Resolver | None = None,
                 real_cwd: str | None = None) -> str:
    """Return `path` relative to `cwd` when it lies below it, in forward-slash form.

    `resolve` and `real_cwd` (the real path of `cwd`) spare the work when called per file.
    """
    if real_cwd is None:
        real_cwd = os.path.realpath(Path.cwd() if cwd is None else cwd)
    return display_of(path, resolve(path) if resolve is not None else os.path.realpath(path),
                      real_cwd)


def display_of(path: Path, real: str, real_cwd: str) -> str:
    """`display_path` of `path`, whose real path is `real`, below the real path `real_cwd`."""
    if real == real_cwd:
        return "."
    prefix = real_cwd if real_cwd.endswith("/") else real_cwd + "/"
    if real.startswith(prefix):
        return real[len(prefix):]
    return path.as_posix()


# --------------------------------------------------------------------------------------- reading


def read_source(path: Path, display: str | None = None,
                options: SourceOptions = SourceOptions()) -> SourceFile:
    """Read `path` into units; problems (including an unreadable file) are recorded, not raised."""
    sf = SourceFile(path, display if display is not None else path.as_posix())
    options = options.for_file(sf.display) if options.channels else options
    fmt = _name_format(path.name) or "text"
    try:
        raw = _read_bytes(os.fspath(path), options.max_bytes)
    except OSError as exc:
        what = "folder" if os.path.isdir(path) else "file"
        sf.problems.append(sf.problem(PARSE_ERROR, f"cannot read the {what}: {exc.strerror}",
                                      1, 1, 1, 1, fix=f"check that the {what} exists and is "
                                      "readable"))
        return sf
    except _Refused as exc:
        sf.problems.append(sf.problem(PARSE_ERROR, str(exc), 1, 1, 1, 1, fix=exc.fix))
        return sf
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        sf.problems.append(sf.problem(PARSE_ERROR, "looks like a binary file (it has NUL bytes)",
                                      line, 1, line, 1, fix="lint text files only"))
        return sf
    bom = 3 if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        # What decode("utf-8-sig") does, without its Python-level codec.
        text = (raw[bom:] if bom else raw).decode()
    except UnicodeDecodeError as exc:
        at = exc.start + bom  # the offset is into the bytes after the BOM
        line = raw.count(b"\n", 0, at) + 1
        column = at - max(raw.rfind(b"\n", 0, at) + 1, bom) + 1  # a BOM is no column
        bad = raw[at : at + 1].hex()
        sf.problems.append(sf.problem(PARSE_ERROR, f"not valid UTF-8 (byte 0x{bad})", line, column,
                                      line, column + 1, fix="save the file as UTF-8"))
        return sf
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = _Reader(sf, text, options)
    sf.source = reader.src
    try:
        if fmt in _DOCUMENTS:
            reader.document(fmt)
        else:
            reader.collection(fmt)
    except RecursionError:
        sf.units.clear()
        sf.problems[:] = [reader.problem(PARSE_ERROR, "nested too deeply to read", None)]
    except ParseError as exc:
        sf.units.clear()
        sf.problems[:] = [p for p in sf.problems if p.code == PARSE_ERROR]
        sf.problems.append(reader.problem(PARSE_ERROR, exc.reason, exc.offset))
    return sf


_DOCUMENTS = frozenset(["markdown", "text", "jinja", "html-jinja", "html"])
# O_NONBLOCK: opening a FIFO returns at once (fstat then refuses it) instead of waiting for a
# writer; reads of a regular file ignore it.
_READ_FLAGS = (os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
               | getattr(os, "O_NONBLOCK", 0))


class _Refused(Exception):
    """A path that is not linted: not a regular file, or over the size limit."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(reason)
        self.fix = fix


def _read_bytes(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file `path`, refusing anything else and files over
    `max_bytes`, read without a buffered file object (five system calls, not ten)."""
    fd = os.open(path, _READ_FLAGS)
    try:
        mode = os.fstat(fd)
        if not stat.S_ISREG(mode.st_mode):
            raise _Refused(f"not linted: {file_kind(mode.st_mode)}, not a regular file",
                           "lint regular files only; move it out of the folder or exclude it")
        chunks = []
        size = 0
        while chunk := os.read(fd, 1 << 16):
            size += len(chunk)
            if size > max_bytes:  # counted while reading: the file may grow after fstat
                raise _Refused(f"not linted: larger than the limit of {max_bytes:,} bytes",
                               "split the file, or raise lint.max_file_size (MB)")
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


_FM_OPEN = re.compile(r"---[ \t]*\n")
# The closing line, found by the line break before it (a literal start lets the regex engine
# skip ahead, which `^` under re.M does not): search from the opening line's own break.
_FM_CLOSE = re.compile(r"\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)")
# Front matter inside a leading Jinja comment, so the template renders without it.
_JINJA_FM = re.compile(r"\{#-?[ \t]*---[ \t]*\n(.*?)^---[ \t]*-?#\}[ \t]*(?:\n|\Z)", re.S | re.M)


class _Reader:
    """Turns one decoded file into units and problems."""

    def __init__(self, sf: SourceFile, text: str, options: SourceOptions) -> None:
        self.sf = sf
        self.text = text
        self.src = SourceText(text)
        self.options = options

    def problem(self, code: str, message: str, start: int | None, end: int | None = None,
                unit: str | None = None, fix: str | None = None) -> Finding:
        """An LNT finding at source offsets [start, end) (None: the file's start)."""
        if start is None:
            return self.sf.problem(code, message, 1, 1, 1, 1, unit=unit, fix=fix)
        end = end if end is not None and end > start else start
        line, col = self.src.position(start)
        end_line, end_col = self.src.position(end)
        return self.sf.problem(code, message, line, col, end_line, end_col, start, end, unit, fix)

    def add(self, code: str, message: str, node: Node | None, unit: str | None = None,
            fix: str | None = None) -> None:
        """Record a problem at `node` (or the file start)."""
        start, end = (node.start, node.end) if node is not None else (None, None)
        self.sf.problems.append(self.problem(code, message, start, end, unit, fix))

    # -- single-response documents

    def document(self, fmt: str) -> None:
        """Read a Markdown, text or Jinja file: optional front matter, then one body."""
        text = self.text
        template = fmt in ("jinja", "html-jinja")
        block, block_at, body_start = None, 0, 0
        if fmt != "text" and (opened := _FM_OPEN.match(text)):
            block_at = opened.end()
            close = _FM_CLOSE.search(text, block_at - 1)
            if close is None:
                raise ParseError("front matter opened with `---` on line 1 is never closed",
                                 offset=0)
            block = text[block_at : close.start() + 1]
            body_start = close.end()
        elif template and (m := _JINJA_FM.match(text)):
            block, block_at, body_start = m.group(1), m.start(1), m.end()
        if block is None:
            name, context = self.meta(None, template=template)
        elif (quick := self.flat_meta(block, template)) is not None:
            name, context = quick
        else:
            meta = parse_flat_yaml(block, block_at) or parse_yaml(block, base=block_at)
            if meta is not None and meta.kind != "map":
                self.add("LNT003", "front matter must be a mapping of keys to values", meta)
                meta = None
            name, context = self.meta(meta, template=template)
        content_start = body_start
        # Leading blank lines and trailing whitespace are layout, not reply text.
        while True:
            nl = text.find("\n", body_start)
            if nl < 0 or text[body_start:nl].strip():
                break
            body_start = nl + 1
        body = text[body_start:].rstrip()
        if not body.strip():
            self.sf.problems.append(self.problem(
                "LNT004", "the response is empty", content_start, unit=name,
                fix="write the response, or delete the file"))
            return
        unit = Unit(body, identity(body_start, len(body)), name, context,
                    hide_html_comments=fmt in ("markdown", "html-jinja", "html"),
                    hide_jinja_comments=template, strip_tags=fmt in ("html-jinja", "html"),
                    markdown=fmt == "markdown")
        self.sf.units.append(unit)

    # -- metadata (front matter or a collection entry)

    def meta(self, node: Node | None, template: bool, skip: Sequence[str] = (),
             unit: str | None = None) -> tuple[str | None, ReviewContext]:
        """Check metadata keys and turn them into a unit name and a ReviewContext."""
        if node is None:  # the config's settings alone
            return unit, _context(bool(template), frozenset(self.options.variables),
                                  self.options.body_only, _signals(self.options))
        found = _Metadata(unit, self.options)
        for key_node, value_node in node.pairs:
            key = key_node.value
            if key in skip:
                continue
            if not found.known(key):
                import difflib

                # A near miss of drafter's own key is a typo, whose setting has no effect (a
                # warning); another tool's key (`aliases`) is only worth knowing about (info).
                near = difflib.get_close_matches(str(key), META_KEYS, n=1, cutoff=0.8)
                self.add("LNT002", f"unknown key `{key}`"
                         + (f" (did you mean `{near[0]}`?)" if near else ""), key_node,
                         found.name, fix=f"rename it to `{near[0]}`" if near else
                         "remove it, or accept it with `lint.extra_keys` in the config")
                if near:
                    self.sf.problems[-1] = replace(self.sf.problems[-1], severity="warning")
                continue
            wrong = found.take(key, value_node.to_python())
            if wrong is not None:
                self.add("LNT003", wrong, value_node, found.name)
        return found.name, found.context(template)

    def flat_meta(self, block: str, template: bool) -> tuple[str | None, ReviewContext] | None:
        """`meta` of flat front matter with nothing wrong in it, read without nodes (most
        files); None for anything else, which `meta` reads from nodes to place its problems."""
        pairs = flat_values(block)
        if pairs is None:
            return None
        found = _Metadata(None, self.options)
        for key, value in pairs:
            if not found.known(key) or found.take(key, value) is not None:
                return None
        return found.name, found.context(template)

    # -- collections

    def collection(self, fmt: str) -> None:
        """Read a YAML/JSON collection of responses, or a Zendesk macros export."""
        root = parse_yaml(self.text) if fmt == "yaml" else parse_json(self.text)
        if root is None:
            raise ParseError("the file is empty; expected a list or mapping of responses")
        if _is_tickets(root):
            self.sf.skipped = "a ticket file (drafter's JSON ticket import), not canned responses"
            return
        if root.kind == "map":
            macros, macro = root.get("macros"), root.get("macro")
            if macros is not None and macros.kind == "seq":
                found: list[Node] | None = macros.items
            elif macro is not None and macro.kind == "map":
                found = [macro]
            else:
                found = None
            if found is not None:
                for i, m in enumerate(found):
                    if m.kind == "map":
                        self.zendesk_macro(m, i)
                return
        if root.kind == "map" and len(root.pairs) == 1 and root.pairs[0][0].value in (
                "responses", "canned_responses") and root.pairs[0][1].kind == "seq":
            root = root.pairs[0][1]
        if root.kind == "seq":
            for i, item in enumerate(root.items):
                if item.kind == "map":
                    self.entry(item, f"#{i + 1}", None)
                elif isinstance(item.value, str):
                    self.body(item, f"#{i + 1}", *self.meta(None, template=False))
                else:
                    raise ParseError(f"entry {i + 1} is neither a response text nor a mapping "
                                     "with a `body`", offset=item.start)
        elif root.kind == "map":
            for key, value in root.pairs:
                label = str(key.value)
                if value.kind == "map":
                    self.entry(value, label, label)
                elif value.kind == "scalar" and isinstance(value.value, str):
                    self.body(value, label, *self.meta(None, template=False, unit=label))
                else:
                    raise ParseError(f"`{label}` is neither a response text nor a mapping with "
                                     "a `body`", offset=value.start)
        else:
            raise ParseError("expected a list or mapping of responses", offset=root.start)

    def entry(self, item: Node, label: str, name: str | None) -> None:
        """Read one collection entry: a mapping with a body key and metadata."""
        body_key = next((k for k in BODY_KEYS if item.get(k) is not None), None)
        if body_key is None:
            raise ParseError(f"entry {label} has no {' / '.join(f'`{k}`' for k in BODY_KEYS)}"
                             " key with the response text", offset=item.start)
        body = item.get(body_key)
        assert body is not None
        uname, context = self.meta(item, template=False, skip=(body_key,), unit=name)
        if not isinstance(body.value, str) or body.kind != "scalar":
            self.add("LNT003", f"`{body_key}` must be a string", body, uname or label)
            return
        self.body(body, uname or label, uname or label, context)

    def body(self, node: Node, label: str, name: str | None, context: ReviewContext) -> None:
        """Turn a string scalar into a unit whose offsets point into the file."""
        text = node.value
        assert isinstance(text, str)
        if not text.strip():
            self.add("LNT004", "the response is empty", node, name or label,
                     fix="write the response, or remove the entry")
            return
        offsets = node.offsets(self.text)
        # Trailing whitespace (a block scalar's final newline) is layout, not reply text.
        stripped = text.rstrip()
        self.sf.units.append(Unit(stripped, offsets[: len(stripped) + 1], name or label, context))

    def zendesk_macro(self, macro: Node, index: int) -> None:
        """Read the comment a Zendesk macro adds (plain text, or HTML when that is all)."""
        title = macro.get("title")
        name = str(title.value) if title is not None and title.value is not None else None
        label = name or f"macro #{index + 1}"
        actions = macro.get("actions")
        text_node: Node | None = None
        html_node: Node | None = None
        for action in actions.items if actions is not None and actions.kind == "seq" else []:
            fld = action.get("field") if action.kind == "map" else None
            value = action.get("value") if action.kind == "map" else None
            if fld is None or value is None:
                continue
            if value.kind == "seq" and value.items:
                value = value.items[-1]  # ["channel:all", "the text"]
            if value.kind != "scalar" or not isinstance(value.value, str):
                continue
            if fld.value == "comment_value":
                text_node = value
            elif fld.value == "comment_value_html":
                html_node = value
        if text_node is None and html_node is None:
            return  # a macro that only sets fields has no reply text
        # Zendesk fills {{ticket.requester.first_name}} and the like: its objects are declared.
        context = ReviewContext(is_template=True, body_only=self.options.body_only,
                                variables=LIQUID_OBJECTS | self.options.variables,
                                channel=self.options.channel,
                                templates=self.options.templates | {"liquid"},
                                slot_pattern=self.options.slot_pattern)
        if text_node is not None:
            self.body(text_node, label, label, context)
            return
        assert html_node is not None
        text = _html_to_text(html_node.value)
        if not text.strip():
            self.add("LNT004", "the response is empty", html_node, label)
            return
        first = html_node.offsets(self.text)[0]
        self.sf.units.append(Unit(text, constant(first, len(text)), label, context))


_META_KEYS = frozenset(META_KEYS)


class _Metadata:
    """What metadata has said so far: the unit's name, context signals, declared variables."""

    __slots__ = ("name", "options", "values", "variables")

    def __init__(self, name: str | None, options: SourceOptions) -> None:
        self.name = name
        self.options = options
        self.values: dict[str, Any] = {"body_only": options.body_only,
                                       **dict(_signals(options))}
        self.variables = frozenset(options.variables)

    def known(self, key: Any) -> bool:
        """Whether `key` is a metadata key (or one the config accepts)."""
        return isinstance(key, str) and (key in _META_KEYS or key in self.options.extra_keys)

    def take(self, key: str, value: Any) -> str | None:
        """Take in a known key's value; return what is wrong with it (LNT003), if anything."""
        if key in NAME_KEYS:
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                return f"`{key}` must be a string"
            if self.name is None or key == "name":
                self.name = str(value)
        elif key == "channel":
            if value not in CHANNELS:
                return f"`channel` must be one of {', '.join(CHANNELS)}, got {value!r}"
            self.values["channel"] = value
        elif key == "customer_message":
            if not isinstance(value, str) or not value.strip():
                return "`customer_message` must be the text of the message the response answers"
            self.values["customer_text"] = value.strip()
        elif key in BOOL_KEYS:
            if not isinstance(value, bool):
                return f"`{key}` must be true or false, got {value!r}"
            self.values[key] = value
        elif key == "variables":
            names = list(value) if isinstance(value, (list, dict)) else None
            if names is None or not all(isinstance(v, str) for v in names):
                return "`variables` must be a list of names"
            self.variables = self.variables.union(names)
            self.values.setdefault("template", True)
        elif key == "tags" and not (isinstance(value, list)
                                    and all(isinstance(v, str) for v in value)):
            return "`tags` must be a list of strings"
        return None

    def context(self, template: bool) -> ReviewContext:
        """The ReviewContext of what was taken in (`template`: unless metadata says)."""
        values = dict(self.values)
        is_template = bool(values.pop("template", template))
        body_only = values.pop("body_only")
        return _context(is_template, self.variables, body_only, tuple(values.items()))


def _is_ticket(node: Node) -> bool:
    """A mapping with a list of message mappings: a ticket as `draft tickets import` reads it."""
    messages = node.get("messages") if node.kind == "map" else None
    return messages is not None and messages.kind == "seq" and bool(messages.items) and all(
        m.kind == "map" for m in messages.items)


def _is_tickets(root: Node) -> bool:
    """Whether a collection is a ticket file: {"tickets": [...]}, one ticket, or a list of them."""
    if root.kind == "map":
        tickets = root.get("tickets")
        if tickets is not None and tickets.kind == "seq" and tickets.items:
            return all(_is_ticket(t) for t in tickets.items)
        return _is_ticket(root)
    return root.kind == "seq" and bool(root.items) and all(_is_ticket(t) for t in root.items)


def _signals(options: SourceOptions) -> tuple[tuple[str, Any], ...]:
    """What the config says of every response: its channel (when configured), its template
    languages and the team's own slot."""
    out: tuple[tuple[str, Any], ...] = (("channel", options.channel),) if options.channel else ()
    if options.templates:
        out += (("templates", options.templates),)
    if options.slot_pattern is not None:
        out += (("slot_pattern", options.slot_pattern),)
    return out


@lru_cache(maxsize=256, typed=True)
def _context(is_template: bool, variables: frozenset[str], body_only: bool,
             signals: tuple[tuple[str, Any], ...]) -> ReviewContext:
    """The ReviewContext of some metadata (frozen: files that say the same share one)."""
    return ReviewContext(is_template=is_template, variables=variables, body_only=body_only,
                         **dict(signals))


_BLOCK_TAG = re.compile(r"<\s*(?:br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")


def _html_to_text(html: str) -> str:
    """Plain text of a small HTML fragment (Zendesk's comment_value_html)."""
    import html as html_lib

    text = _BLOCK_TAG.sub("\n", html)
    text = html_lib.unescape(_TAG.sub("", text))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
