"""Report lint findings as text, json, github, sarif or junit: one formatter class per format.

A formatter is given the findings one at a time, in order: `start()`, then `handle(finding)`
for each, then `stop()` (the shape of flake8's BaseFormatter). Line formats write each finding
as it comes; document formats (json, sarif, junit) write the whole document at `stop`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO
from urllib.parse import quote

from drafter import __version__
from drafter.lint.rules import LINT_RULES, PARSE_ERROR
from drafter.review.finding import Finding

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
    # Per file and language, what its review left unchecked: (file, coverage as data).
    languages: Sequence[tuple[str, Mapping[str, Any]]] = ()


def lint_rule_meta() -> dict[str, RuleMeta]:
    """RuleMeta for the linter's own LNT codes."""
    return {r.code: RuleMeta(r.code, r.name, r.summary, r.description, r.severity)
            for r in LINT_RULES.values()}


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """Number of findings per severity."""
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.severity] += 1
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 or word == "info" else "s")


def summary(findings: Sequence[Finding], ctx: ReportContext = ReportContext()) -> str:
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


def _span(f: Finding) -> tuple[str, int, int, int, int]:
    """Where `f` is: path, line, column, end line, end column (its start, if no end is known)."""
    return (f.path or "", f.line, f.column, f.end_line if f.end_line is not None else f.line,
            f.end_column if f.end_column is not None else f.column)


class Formatter:
    """A report format: `start()`, `handle(finding)` for each finding in order, `stop()`."""

    def __init__(self, out: TextIO, ctx: ReportContext = ReportContext()) -> None:
        self.out = out
        self.ctx = ctx

    def start(self) -> None:
        """Write what comes before the findings."""

    def handle(self, finding: Finding) -> None:
        """Take one finding (line formats write it now)."""
        raise NotImplementedError

    def stop(self) -> None:
        """Write what comes after the findings."""


class _DocumentFormatter(Formatter):
    """A format written as one document at `stop`, once every finding is known."""

    def __init__(self, out: TextIO, ctx: ReportContext = ReportContext()) -> None:
        super().__init__(out, ctx)
        self.findings: list[Finding] = []

    def handle(self, finding: Finding) -> None:
        self.findings.append(finding)


def render(formatter: type[Formatter], findings: Iterable[Finding],
           ctx: ReportContext = ReportContext()) -> str:
    """The report `formatter` writes for `findings`, as a string."""
    out = io.StringIO()
    fmt = formatter(out, ctx)
    fmt.start()
    for f in findings:
        fmt.handle(f)
    fmt.stop()
    return out.getvalue()


# ------------------------------------------------------------------------------------------ text

_COLORS = {"error": "31", "warning": "33", "info": "34"}


def _c(text: str, code: str) -> str:
    return f"\x1b[{code}m{text}\x1b[0m"


class TextFormatter(Formatter):
    """`path:line:col: CODE message`, then an indented fix hint where there is one."""

    def handle(self, finding: Finding) -> None:
        self.out.write(_text_item(finding, self.ctx.color))


def _text_item(f: Finding, color: bool) -> str:
    """The text report's line for `f` (and its hint line), each ending in a line break."""
    hint = _hint(f)
    if not color:
        line = f"{f.path}:{f.line}:{f.column}: {f.code} {_one_line(f.message)}\n"
        return f"{line}  {hint}\n" if hint else line
    where = _c(f"{f.path}:{f.line}:{f.column}:", "1")
    code = _c(f.code, "1;" + _COLORS[f.severity])
    line = f"{where} {code} {_one_line(f.message)}\n"
    return line + _c(f"  {hint}", "2") + "\n" if hint else line


def _one_line(text: str) -> str:
    if text.isprintable():
        return text  # most messages: no line breaks or control characters to replace
    # Control characters from the linted files must not drive the terminal.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "\ufffd", re.sub(r"\s*\n\s*", " ", text))


def _hint(f: Finding) -> str | None:
    parts = []
    if f.fix:
        parts.append(f"fix: {_one_line(f.fix)}")
    if f.suggestion is not None and "\n" not in f.suggestion and len(f.suggestion) <= 80 \
            and (not f.suggestion or f.suggestion not in (f.fix or "")):
        parts.append(f"suggestion: {f.suggestion!r}" if f.suggestion else "suggestion: delete it")
    return " · ".join(parts) or None


# ------------------------------------------------------------------------------------------ json


def json_data(findings: Sequence[Finding], ctx: ReportContext = ReportContext()) -> dict[str, Any]:
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
        "findings": [f.to_dict() for f in findings],
        # The files whose language leaves some rules unchecked, and which.
        "languages": [{"path": path, **data} for path, data in ctx.languages],
    }


class JsonFormatter(_DocumentFormatter):
    """The JSON report (schema in docs/lint.md): indented, with each finding on a line of its
    own."""

    def stop(self) -> None:
        data = json_data(self.findings, self.ctx)
        findings = data.pop("findings")
        # The findings are written compactly, one a line: `json` encodes those in C, where
        # indent=2 would take its pure-Python encoder (three times slower on a large report).
        head = json.dumps(data, indent=2, ensure_ascii=False)
        one = json.JSONEncoder(ensure_ascii=False).encode
        self.out.write(head[:-2] + ',\n  "findings": [' + ",".join(
            "\n    " + one(f) for f in findings) + ("\n  ]\n}\n" if findings else "]\n}\n"))


# ---------------------------------------------------------------------------------------- github


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubFormatter(Formatter):
    """GitHub Actions workflow commands: one `::error file=...::message` line per finding."""

    def handle(self, finding: Finding) -> None:
        f = finding
        path, line, column, end_line, end_column = _span(f)
        props = [f"file={_gh_prop(path)}", f"line={line}", f"col={column}", f"endLine={end_line}"]
        if end_line == line and end_column > column:
            props.append(f"endColumn={end_column - 1}")  # GitHub's end column is inclusive
        props.append(f"title={_gh_prop(f.code + ' ' + f.name)}")
        message = f.message + (f"\nfix: {f.fix}" if f.fix else "")
        self.out.write(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_gh_data(message)}\n")


# ----------------------------------------------------------------------------------------- sarif


def _uri(path: str) -> tuple[str, bool]:
    """SARIF artifact URI of a displayed path, and whether it is relative to %SRCROOT%."""
    if path.startswith("/"):
        return "file://" + quote(path), False
    return quote(path), True


def sarif_data(findings: Sequence[Finding], ctx: ReportContext = ReportContext()
               ) -> dict[str, Any]:
    """The SARIF 2.1.0 log as data."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    last = {f.code: f for f in findings}  # the last finding of each code
    for code in sorted(last):
        f = last[code]
        meta = ctx.rules.get(code) or RuleMeta(code, f.name, f.name, f.name, f.severity)
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
        path, line, column, end_line, end_column = _span(f)
        uri, relative = _uri(path)
        artifact: dict[str, Any] = {"uri": uri}
        if relative:
            artifact["uriBaseId"] = "%SRCROOT%"
        region = {"startLine": line, "startColumn": column,
                  "endLine": end_line, "endColumn": max(end_column, column)}
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


class SarifFormatter(_DocumentFormatter):
    """A SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers)."""

    def stop(self) -> None:
        self.out.write(json.dumps(sarif_data(self.findings, self.ctx), indent=2,
                                  ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------------------- junit

# Characters XML 1.0 does not allow at all (ElementTree would write them as they are).
_XML_BAD = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"  # compiled on first use


def _xml(text: str) -> str:
    return re.sub(_XML_BAD, "\ufffd", text)


class JunitFormatter(_DocumentFormatter):
    """JUnit XML: one testsuite, one testcase per file, one failure (or error) per finding."""

    def stop(self) -> None:
        import xml.etree.ElementTree as ET

        by_file: dict[str, list[Finding]] = {p: [] for p in self.ctx.files}
        for f in self.findings:
            by_file.setdefault(f.path or "", []).append(f)
        errors = sum(1 for fs in by_file.values() if any(f.code == PARSE_ERROR for f in fs))
        failing = sum(1 for fs in by_file.values() if fs) - errors
        head = {"name": "draft lint", "tests": str(len(by_file)), "failures": str(failing),
                "errors": str(errors), "skipped": "0"}
        root = ET.Element("testsuites", head)
        suite = ET.SubElement(root, "testsuite", head)
        for path, fs in by_file.items():
            case = ET.SubElement(suite, "testcase", {"classname": "draft lint",
                                                     "name": _xml(path), "file": _xml(path)})
            for f in fs:
                tag = "error" if f.code == PARSE_ERROR else "failure"
                body = f"{f.path}:{f.line}:{f.column}: {f.code} [{f.severity}] {f.message}"
                if f.fix:
                    body += f"\nfix: {f.fix}"
                item = ET.SubElement(case, tag, {
                    "type": _xml(f.code),
                    "message": _xml(f"{f.line}:{f.column}: {f.code} {f.message}")})
                item.text = _xml(body)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode"))
        self.out.write("\n")


FORMATTERS: dict[str, type[Formatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "github": GithubFormatter,
    "sarif": SarifFormatter,
    "junit": JunitFormatter,
}
