"""Render lint findings: text, json, github, sarif, junit. Each formatter returns a string."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring as _encode_str
from operator import attrgetter
from typing import Any
from urllib.parse import quote

from drafter import __version__
from drafter.lint.engine import LintFinding
from drafter.lint.rules import LINT_RULES, PARSE_ERROR

JSON_VERSION = 1
TOOL_NAME = "drafter"
INFORMATION_URI = "https://pypi.org/project/drafter/"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


@dataclass(frozen=True)
class RuleMeta:
    """What a report says about a rule (SARIF's reportingDescriptor)."""

    id: str
    name: str
    short: str
    full: str
    level: str  # default severity: error | warning | info
    help_uri: str | None = None


@dataclass(frozen=True)
class ReportContext:
    """What formatters may need besides the findings."""

    files: Sequence[str] = ()  # every file checked, as displayed
    rules: Mapping[str, RuleMeta] = field(default_factory=dict)
    color: bool = False
    suppressed: int = 0
    baselined: int = 0
    # Findings already written as JSON report items (JsonItems), by id(finding).
    json_items: Mapping[int, str] = field(default_factory=dict)
    # Findings already written as text report lines (TextItems), by id(finding).
    text_items: Mapping[int, str] = field(default_factory=dict)


Formatter = Callable[[Sequence[LintFinding], ReportContext], str]


def lint_rule_meta() -> dict[str, RuleMeta]:
    """RuleMeta for the linter's own LNT codes."""
    return {r.code: RuleMeta(r.code, r.name, r.summary, r.description, r.severity)
            for r in LINT_RULES.values()}


def counts(findings: Iterable[LintFinding]) -> dict[str, int]:
    """Number of findings per severity."""
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.severity] += 1
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")


def summary(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """One line for stderr: "N findings in M files (E errors, W warnings)" and what was hidden."""
    c = counts(findings)
    with_findings = len({f.path for f in findings})
    parts = [_plural(c["error"], "error"), _plural(c["warning"], "warning")]
    if c["info"]:
        parts.append(_plural(c["info"], "info"))
    line = (f"{_plural(len(findings), 'finding')} in {_plural(with_findings, 'file')} "
            f"({', '.join(parts)}); {_plural(len(ctx.files), 'file')} checked")
    hidden = []
    if ctx.suppressed:
        hidden.append(f"{ctx.suppressed} suppressed inline")
    if ctx.baselined:
        hidden.append(f"{ctx.baselined} in the baseline")
    return line + (f"; {', '.join(hidden)}" if hidden else "")


# ------------------------------------------------------------------------------------------ text

_COLORS = {"error": "31", "warning": "33", "info": "34"}


def _c(text: str, code: str, on: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if on else text


def format_text(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """`path:line:col: CODE message`, then an indented fix hint where there is one."""
    done = ctx.text_items
    if isinstance(done, TextItems) and done.color != ctx.color:
        done = {}
    if done:
        return "".join([done.get(id(f)) or _text_item(f, ctx.color) for f in findings])
    return "".join([_text_item(f, ctx.color) for f in findings])


def _text_item(f: LintFinding, color: bool) -> str:
    """The text report's line for `f` (and its hint line), each ending in a line break."""
    hint = _hint(f)
    if not color:
        line = f"{f.path}:{f.line}:{f.column}: {f.code} {_one_line(f.message)}\n"
        return f"{line}  {hint}\n" if hint else line
    where = _c(f"{f.path}:{f.line}:{f.column}:", "1", True)
    code = _c(f.code, "1;" + _COLORS[f.severity], True)
    line = f"{where} {code} {_one_line(f.message)}\n"
    return line + _c(f"  {hint}", "2", True) + "\n" if hint else line


class TextItems(dict[int, str]):
    """Text report lines written during a parallel lint, each by the process that linted its
    finding, as JsonItems are: pass this as `Linter.lint(report=...)` and as
    `ReportContext.text_items`."""

    def __init__(self, color: bool = False) -> None:
        super().__init__()
        self.color = color

    def render(self, finding: LintFinding) -> str:
        """The line of `finding` (for Linter.lint's `report`)."""
        return _text_item(finding, self.color)


def _one_line(text: str) -> str:
    if text.isprintable():
        return text  # most messages: no line breaks or control characters to replace
    # Control characters from the linted files must not drive the terminal.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", re.sub(r"\s*\n\s*", " ", text))


def _hint(f: LintFinding) -> str | None:
    parts = []
    if f.fix:
        parts.append(f"fix: {_one_line(f.fix)}")
    if f.suggestion is not None and "\n" not in f.suggestion and len(f.suggestion) <= 80 \
            and (not f.suggestion or f.suggestion not in (f.fix or "")):
        parts.append(f"suggestion: {f.suggestion!r}" if f.suggestion else "suggestion: delete it")
    return " · ".join(parts) or None


# ------------------------------------------------------------------------------------------ json


def json_data(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext(),
              with_findings: bool = True) -> dict[str, Any]:
    """The JSON report as data (schema in docs/lint.md)."""
    c = counts(findings)
    return {
        "version": JSON_VERSION,
        "tool": {"name": TOOL_NAME, "version": __version__},
        "summary": {
            "files": len(ctx.files),
            "files_with_findings": len({f.path for f in findings}),
            "findings": len(findings),
            "errors": c["error"],
            "warnings": c["warning"],
            "info": c["info"],
            "unreadable": len({f.path for f in findings if f.code == PARSE_ERROR}),
            "suppressed": ctx.suppressed,
            "baselined": ctx.baselined,
        },
        "findings": [f.to_dict() for f in findings] if with_findings else [],
    }


class _Unsupported(Exception):
    pass


def dumps_indented(obj: Any) -> str:
    """`json.dumps(obj, indent=2, ensure_ascii=False)`, faster for plain data (dicts with string
    keys, lists, strings, numbers, booleans, None); anything else goes to `json.dumps`."""
    from json.encoder import encode_basestring

    def enc(o: Any, nl: str) -> str:
        if isinstance(o, str):
            return encode_basestring(o)
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if type(o) is int:
            return int.__repr__(o)
        if type(o) is dict:
            if not o:
                return "{}"
            inner = nl + "  "
            parts = []
            for k, v in o.items():
                if type(k) is not str:
                    raise _Unsupported
                parts.append(encode_basestring(k) + ": " + enc(v, inner))
            return "{" + inner + ("," + inner).join(parts) + nl + "}"
        if type(o) is list:
            if not o:
                return "[]"
            inner = nl + "  "
            return "[" + inner + ("," + inner).join([enc(v, inner) for v in o]) + nl + "]"
        raise _Unsupported  # floats, tuples, subclasses: the standard encoder's business

    try:
        return enc(obj, "\n")
    except (_Unsupported, RecursionError):
        return json.dumps(obj, indent=2, ensure_ascii=False)


def format_json(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """The JSON report (schema in docs/lint.md)."""
    head = dumps_indented(json_data(findings, ctx, with_findings=False))
    tail = '"findings": []\n}'
    items = _findings_json(findings, ctx.json_items)
    if items is None or not head.endswith(tail):
        return dumps_indented(json_data(findings, ctx)) + "\n"
    if not items:
        return head + "\n"
    # One join makes the whole report: each copy of a report of megabytes costs milliseconds.
    items[0] = head[:-len(tail)] + '"findings": [\n    ' + items[0]
    items[-1] += "\n  ]\n}\n"
    return ",\n    ".join(items)


_FINDING_ITEM = "{\n      " + ",\n      ".join(
    json.dumps(k) + ": %s" for k in LintFinding.__dataclass_fields__) + "\n    }"
_finding_values = attrgetter(*LintFinding.__dataclass_fields__)


def _scalar(value: Any) -> str:
    """A string, whole number or None as JSON (as json.dumps writes it)."""
    kind = type(value)
    if kind is str:
        return _encode_str(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    raise _Unsupported


def _findings_json(findings: Sequence[LintFinding], done: Mapping[int, str] | None = None
                   ) -> list[str] | None:
    """The items of the findings list as `dumps_indented` writes them inside the report (None:
    a value that is not a string, whole number or None, left to the general encoder). `done`
    holds items written beforehand (JsonItems), by id(finding)."""
    try:
        if done:
            return [done.get(id(f)) or _finding_item(f) for f in findings]
        return [_finding_item(f) for f in findings]
    except _Unsupported:
        return None


def _finding_item(f: LintFinding) -> str:
    values = _finding_values(f)
    path, line, column, end_line, end_column, code, name, severity, message, sug, fix, unit \
        = values
    if type(line) is int and type(column) is int and type(end_line) is int \
            and type(end_column) is int:
        # The usual types, written without a call per value (thousands of findings).
        try:
            return _FINDING_ITEM % (
                _encode_str(path), line, column, end_line, end_column, _encode_str(code),
                _encode_str(name), _encode_str(severity), _encode_str(message),
                "null" if sug is None else _encode_str(sug),
                "null" if fix is None else _encode_str(fix),
                "null" if unit is None else _encode_str(unit))
        except TypeError:  # a value that is not a string
            pass
    return _FINDING_ITEM % tuple(map(_scalar, values))


class JsonItems(dict[int, str]):
    """JSON report items written during a parallel lint, each by the process that linted its
    finding (so that writing the report is shared out as the linting is): pass this as
    `Linter.lint(report=...)` and as `ReportContext.json_items`."""

    def render(self, finding: LintFinding) -> str | None:
        """The item of `finding` (for Linter.lint's `report`; None: left to the end)."""
        try:
            return _finding_item(finding)
        except _Unsupported:
            return None


# ---------------------------------------------------------------------------------------- github


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """GitHub Actions workflow commands: one `::error file=...::message` line per finding."""
    out = []
    for f in findings:
        props = [f"file={_gh_prop(f.path)}", f"line={f.line}", f"col={f.column}",
                 f"endLine={f.end_line}"]
        if f.end_line == f.line and f.end_column > f.column:
            props.append(f"endColumn={f.end_column - 1}")  # GitHub's end column is inclusive
        props.append(f"title={_gh_prop(f.code + ' ' + f.name)}")
        message = f.message + (f"\nfix: {f.fix}" if f.fix else "")
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(message)}\n")
    return "".join(out)


# ----------------------------------------------------------------------------------------- sarif


def _uri(path: str) -> tuple[str, bool]:
    """SARIF artifact URI of a displayed path, and whether it is relative to %SRCROOT%."""
    if path.startswith("/"):
        return "file://" + quote(path), False
    return quote(path), True


def sarif_data(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()
               ) -> dict[str, Any]:
    """The SARIF 2.1.0 log as data."""
    used = sorted({f.code for f in findings})
    names = {f.code: f.name for f in findings}
    severities = {f.code: f.severity for f in findings}
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for code in used:
        meta = ctx.rules.get(code) or RuleMeta(code, names[code], names[code], names[code],
                                               severities[code])
        desc: dict[str, Any] = {
            "id": code,
            "name": meta.name,
            "shortDescription": {"text": meta.short},
            "fullDescription": {"text": meta.full},
            "defaultConfiguration": {"level": _SARIF_LEVEL.get(meta.level, "warning")},
        }
        if meta.help_uri:
            desc["helpUri"] = meta.help_uri
        index[code] = len(rules)
        rules.append(desc)
    results = []
    for f in findings:
        uri, relative = _uri(f.path)
        artifact: dict[str, Any] = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        region = {"startLine": f.line, "startColumn": f.column,
                  "endLine": f.end_line, "endColumn": max(f.end_column, f.column)}
        result: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        }
        props = {k: v for k, v in (("fix", f.fix), ("suggestion", f.suggestion),
                                   ("unit", f.unit)) if v is not None}
        if props:
            result["properties"] = props
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def format_sarif(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """A SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers)."""
    return dumps_indented(sarif_data(findings, ctx)) + "\n"


# ----------------------------------------------------------------------------------------- junit

_XML_BAD = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"  # not allowed in XML 1.0


def _xml(text: str, attr: bool = False) -> str:
    text = re.sub(_XML_BAD, "\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attr:
        text = (text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
                .replace("\t", "&#9;"))
    return text


def format_junit(findings: Sequence[LintFinding], ctx: ReportContext = ReportContext()) -> str:
    """JUnit XML: one testsuite, one testcase per file, one failure (or error) per finding."""
    by_file: dict[str, list[LintFinding]] = {p: [] for p in ctx.files}
    for f in findings:
        by_file.setdefault(f.path, []).append(f)
    failing = sum(1 for fs in by_file.values() if fs and not any(f.code == PARSE_ERROR
                                                                  for f in fs))
    errors = sum(1 for fs in by_file.values() if any(f.code == PARSE_ERROR for f in fs))
    head = (f'tests="{len(by_file)}" failures="{failing}" errors="{errors}" skipped="0"')
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n',
           f'<testsuites name="draft lint" {head}>\n',
           f'  <testsuite name="draft lint" {head}>\n']
    for path, fs in by_file.items():
        name = _xml(path, attr=True)
        if not fs:
            out.append(f'    <testcase classname="draft lint" name="{name}" file="{name}"/>\n')
            continue
        out.append(f'    <testcase classname="draft lint" name="{name}" file="{name}">\n')
        for f in fs:
            tag = "error" if f.code == PARSE_ERROR else "failure"
            message = _xml(f"{f.line}:{f.column}: {f.code} {f.message}", attr=True)
            body = f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity}] {f.message}"
            if f.fix:
                body += f"\nfix: {f.fix}"
            out.append(f'      <{tag} type="{_xml(f.code, attr=True)}" message="{message}">'
                       f"{_xml(body)}</{tag}>\n")
        out.append("    </testcase>\n")
    out.append("  </testsuite>\n</testsuites>\n")
    return "".join(out)


FORMATTERS: dict[str, Formatter] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
    "junit": format_junit,
}
