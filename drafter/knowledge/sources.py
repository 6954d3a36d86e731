"""What the `[knowledge]` settings name, and reading each kind of source into passages:
canned responses (through `draft lint`'s readers), help articles split at their headings,
the facts file, and the replies the team sent (from the store)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.config import Settings
from drafter.errors import ConfigError
from drafter.knowledge.model import Passage
from drafter.lint.sources import SourceOptions, discover, read_source

ARTICLE_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".txt", ".text")
MAX_PASSAGE_CHARS = 1500  # a longer section is cut at paragraphs into passages of about this
PAST_REPLIES = "store:past_replies"  # the source name of the store's past replies


@dataclass(frozen=True)
class KnowledgeConfig:
    """The `[knowledge]` settings, paths resolved, and the project they belong to."""

    root: Path  # the folder of the config file that names the knowledge: the project's key
    canned: tuple[Path, ...] = ()
    articles: tuple[Path, ...] = ()
    past_replies: bool = False
    facts: Path | None = None
    terms: Path | None = None  # the team's search terms, over the shipped ones
    retriever: str = "fts"
    passages: int = 4
    exclude: tuple[str, ...] = ()  # lint.exclude: what a canned folder walk skips
    source_options: SourceOptions = field(default_factory=SourceOptions)
    origin: str = "the config"  # where the settings came from, for messages

    @property
    def configured(self) -> bool:
        """Whether any knowledge is named at all."""
        return bool(self.canned or self.articles or self.past_replies or self.facts)

    @classmethod
    def from_settings(cls, settings: Settings,
                      source_options: SourceOptions | None = None) -> KnowledgeConfig:
        """The knowledge `settings` name (`source_options`: how `draft lint` reads canned files)."""
        s = settings
        root = (s.config_file.parent if s.config_file is not None else Path.cwd()).resolve()
        return cls(root=root, canned=tuple(s["knowledge.canned"]),
                   articles=tuple(s["knowledge.articles"]),
                   past_replies=bool(s["knowledge.past_replies"]), facts=s["knowledge.facts"],
                   terms=s["knowledge.terms"], retriever=s["knowledge.retriever"] or "fts",
                   passages=s["knowledge.passages"],
                   exclude=tuple(s["lint.exclude"]),
                   source_options=source_options or SourceOptions(),
                   origin=str(s.config_file) if s.config_file is not None else "the settings")

    def check(self) -> None:
        """Raise ConfigError naming a configured folder or file that does not exist, and the fix."""
        for key, paths in (("canned", self.canned), ("articles", self.articles)):
            for path in paths:
                if not path.exists():
                    raise ConfigError(
                        f"[knowledge] {key}: {path} does not exist",
                        hint=f"create the folder, or fix `{key}` in [knowledge] of {self.origin}")
        if self.facts is not None and not self.facts.is_file():
            raise ConfigError(f"[knowledge] facts: {self.facts} is not a file",
                              hint=f"create it, or fix `facts` in [knowledge] of {self.origin}")

    def name(self, path: Path) -> str:
        """The name a file goes by in passage ids: its path below the project's folder, or
        (outside it) below its configured folder's parent."""
        real = path.resolve()
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            pass
        for top in (*self.canned, *self.articles):
            top_real = top.resolve()
            if real == top_real or top_real in real.parents:
                return real.relative_to(top_real.parent).as_posix()
        return real.name


@dataclass(frozen=True)
class SourceFile:
    """One file of knowledge to index: its kind and name."""

    path: Path
    kind: str  # canned | article | fact
    name: str


def source_files(config: KnowledgeConfig) -> list[SourceFile]:
    """Every file the config names, in a stable order (checked: a missing folder is an error)."""
    config.check()
    found: dict[str, SourceFile] = {}
    if config.canned:
        for path in discover(list(config.canned), config.exclude):
            name = config.name(path)
            found.setdefault(name, SourceFile(path, "canned", name))
    for top in config.articles:
        for path in _walk_articles(top):
            name = config.name(path)
            found.setdefault(name, SourceFile(path, "article", name))
    if config.facts is not None:
        name = config.name(config.facts)
        found.setdefault(name, SourceFile(config.facts, "fact", name))
    return list(found.values())


def _walk_articles(top: Path) -> Iterator[Path]:
    if top.is_file():
        yield top
        return
    for folder, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.lower().endswith(ARTICLE_SUFFIXES):
                yield Path(folder) / name


def content_hash(raw: bytes) -> str:
    """The hash a source's content is compared by."""
    return hashlib.sha256(raw).hexdigest()


def read_passages(source: SourceFile, raw: bytes, options: SourceOptions) -> list[Passage]:
    """The passages of one file whose bytes are `raw`."""
    if source.kind == "canned":
        return canned_passages(source, options)
    text = raw.decode("utf-8", "replace").lstrip("\ufeff").replace("\r\n", "\n")
    if source.kind == "fact":
        return fact_passages(source, raw)
    return article_passages(source, text)


# --------------------------------------------------------------------------- canned responses


def canned_passages(source: SourceFile, options: SourceOptions) -> list[Passage]:
    """A canned file's responses, read as `draft lint` reads them (one passage each)."""
    from drafter.tickets.htmltext import html_to_text

    read = read_source(source.path, source.name, options)
    units = read.units
    out: list[Passage] = []
    taken: set[str] = set()
    for i, unit in enumerate(units):
        text = html_to_text(unit.text) if unit.strip_tags else unit.text
        if not text.strip():
            continue
        label = unit.name or (source.path.stem if len(units) == 1 else f"#{i + 1}")
        pid = source.name if len(units) == 1 else f"{source.name}#{_unique(_slug(label), taken)}"
        out.append(Passage(id=pid, kind="canned", source=source.name,
                           heading=unit.name or _title_of(source.path), text=text.strip(),
                           context=unit.context.customer_text,
                           variables=tuple(sorted(unit.context.variables))))
    return out


# ------------------------------------------------------------------------------- help articles

_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_SETEXT = re.compile(r"^(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_HTML_HEADING = re.compile(r"<h[1-6]\b", re.I)
_HTML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.I | re.S)


def article_passages(source: SourceFile, text: str) -> list[Passage]:
    """A help article split at its headings (Markdown `#` and underlined, HTML `<h1>`-`<h6>`);
    plain text is one article cut at paragraphs when long."""
    suffix = source.path.suffix.lower()
    title = _title_of(source.path)
    if suffix in (".html", ".htm"):
        sections = _html_sections(text)
        found = _HTML_TITLE.search(text)
        if found:
            import html

            title = " ".join(html.unescape(found.group(1)).split()) or title
    elif suffix in (".md", ".markdown"):
        front = _FRONT.match(text)
        if front:
            for line in front.group(1).splitlines():
                key, _, value = line.partition(":")
                if key.strip() == "title" and value.strip():
                    title = value.strip().strip("'\"")
            text = text[front.end():]
        sections = _markdown_sections(text)
    else:
        sections = [(None, text)]
    out: list[Passage] = []
    taken: set[str] = set()
    for heading, body in sections:
        body = body.strip()
        if not body:
            continue
        base = source.name if heading is None else f"{source.name}#{_unique(_slug(heading), taken)}"
        for n, chunk in enumerate(_chunks(body)):
            pid = base if n == 0 else f"{base}~{n + 1}"
            out.append(Passage(id=pid, kind="article", source=source.name,
                               heading=heading if heading is not None else title,
                               text=chunk))
    return out


def _markdown_sections(text: str) -> list[tuple[str | None, str]]:
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    fenced = False
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced:
            atx = _ATX.match(line)
            if atx:
                sections.append((atx.group(2).strip(), []))
                continue
            if (_SETEXT.match(line) and i > 0 and sections[-1][1] and lines[i - 1].strip()
                    and (i < 2 or not lines[i - 2].strip())):
                heading = sections[-1][1].pop()
                sections.append((heading.strip(), []))
                continue
        sections[-1][1].append(line)
    return [(h, "\n".join(body)) for h, body in sections]


def _html_sections(html: str) -> list[tuple[str | None, str]]:
    from drafter.tickets.htmltext import html_to_text

    starts = [m.start() for m in _HTML_HEADING.finditer(html)]
    pieces = [html[a:b] for a, b in zip([0, *starts], [*starts, len(html)], strict=True)]
    out: list[tuple[str | None, str]] = []
    for n, piece in enumerate(pieces):
        text = html_to_text(piece).strip()
        if n == 0 and starts:  # what comes before the first heading
            out.append((None, text))
            continue
        if not starts:
            out.append((None, text))
            continue
        heading, _, body = text.partition("\n")
        out.append((heading.strip().lstrip("#").strip() or None, body))
    return out


def _chunks(body: str) -> list[str]:
    """`body` as it is, or cut at blank lines into pieces of about MAX_PASSAGE_CHARS."""
    if len(body) <= MAX_PASSAGE_CHARS:
        return [body]
    out: list[str] = []
    current = ""
    for para in re.split(r"\n\s*\n", body):
        if current and len(current) + len(para) > MAX_PASSAGE_CHARS:
            out.append(current.strip())
            current = ""
        current += para + "\n\n"
    if current.strip():
        out.append(current.strip())
    return out


# ------------------------------------------------------------------------------------- facts


def fact_passages(source: SourceFile, raw: bytes) -> list[Passage]:
    """The facts file: a `[facts]` table of `key = "one sentence"`, and/or `[[fact]]` entries
    with `id`, `text` and optional `keywords`; each fact one passage."""
    where = f"[knowledge] facts file {source.path}"
    from drafter import cache

    try:
        data = cache.toml(str(source.path), raw)
    except cache.TOMLError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}",
                          hint="fix the syntax at that line") from None
    out: list[Passage] = []
    table = data.get("facts", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [facts] must be a table of key = \"one sentence\"",
                          hint='for example refund_window = "Refunds are possible within 30 days."')
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where}: fact `{key}` must be a sentence in quotes",
                              hint=f'for example {key} = "..."')
        out.append(_fact(source, key, value, ()))
    entries = data.get("fact", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{where}: `fact` must be [[fact]] entries",
                          hint='write [[fact]] then id = "...", text = "..."')
    for n, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str) \
                or not isinstance(entry.get("id", ""), str):
            raise ConfigError(f"{where}: [[fact]] number {n} needs `id` and `text` strings",
                              hint='for example id = "hours", text = "We answer 9-17 CET."')
        keywords = entry.get("keywords", [])
        if isinstance(keywords, str):
            keywords = [keywords]
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ConfigError(f"{where}: [[fact]] `{entry.get('id', n)}`: `keywords` must be a "
                              "list of strings")
        out.append(_fact(source, entry.get("id") or f"fact-{n}", entry["text"], keywords))
    unknown = [k for k in data if k not in ("facts", "fact")]
    if unknown:
        raise ConfigError(f"{where}: unknown table `{unknown[0]}`",
                          hint="write the facts in [facts] or as [[fact]] entries")
    return out


def _fact(source: SourceFile, key: str, text: str, keywords: Sequence[str]) -> Passage:
    return Passage(id=f"{source.name}#{key}", kind="fact", source=source.name,
                   heading=key.replace("_", " ").replace("-", " "), text=text.strip(),
                   context=" ".join(keywords) or None)


# ------------------------------------------------------------------------------ past replies


def past_reply_passages(rows: Sequence[Any]) -> list[Passage]:
    """The team's sent replies (rows of the store's `past_replies`), each with the customer's
    question it answered as its context."""
    out: list[Passage] = []
    for row in rows:
        text = (row["latest"] or "").strip()
        if not text:
            continue
        out.append(Passage(id=f"replies/ticket-{row['ticket_id']}#{row['id']}", kind="past_reply",
                           source="store", heading=row["subject"], text=text,
                           context=(row["question"] or "").strip() or None))
    return out


# ------------------------------------------------------------------------------------ helpers


def _title_of(path: Path) -> str:
    stem = path.name.split(".")[0]
    return stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:60] or "section"


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate
