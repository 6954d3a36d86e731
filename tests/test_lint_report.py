"""Report formatters: each renders findings to a string, compared here exactly or validated."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from lint_fixtures import lint, placed

from drafter.lint.report import (
    FORMATTERS,
    GithubFormatter,
    JsonFormatter,
    JunitFormatter,
    ReportContext,
    RuleMeta,
    SarifFormatter,
    TextFormatter,
    lint_rule_meta,
    render,
    summary,
)

FINDINGS = [
    placed("canned/a.md", 3, 5, 3, 20, "HYG001", "unfilled-placeholder", "error",
                "Unfilled placeholder “[Customer Name]”", None,
                "Fill in the placeholder before sending", "Refund"),
    placed("canned/b,c.yaml", 7, 1, 8, 4, "EMP002", "canned-apology", "warning",
                "Stock apology: 100% canned\nsecond line", "I'm sorry the parcel is late", None,
                None),
    placed("canned/d.txt", 1, 3, 1, 4, "LNT001", "parse-error", "error",
                "not valid UTF-8 (byte 0xff)", None, "save the file as UTF-8", None),
    placed("canned/e.md", 2, 1, 2, 9, "EMP003", "over-apologizing", "info",
                'Apology <b>"sorry"</b> & more \x1b[31m', None, None, None),
]
FILES = ["canned/a.md", "canned/b,c.yaml", "canned/clean.md", "canned/d.txt", "canned/e.md"]
CTX = ReportContext(files=FILES, suppressed=2, baselined=1)


def test_text_format_exact() -> None:
    assert render(TextFormatter, FINDINGS, CTX) == (
        "canned/a.md:3:5: HYG001 Unfilled placeholder “[Customer Name]”\n"
        "  fix: Fill in the placeholder before sending\n"
        "canned/b,c.yaml:7:1: EMP002 Stock apology: 100% canned second line\n"
        "  suggestion: \"I'm sorry the parcel is late\"\n"
        "canned/d.txt:1:3: LNT001 not valid UTF-8 (byte 0xff)\n"
        "  fix: save the file as UTF-8\n"
        'canned/e.md:2:1: EMP003 Apology <b>"sorry"</b> & more \ufffd[31m\n'  # no raw ESC
    )
    assert render(TextFormatter, [], CTX) == ""


def test_text_format_colors_only_when_asked() -> None:
    plain = render(TextFormatter, FINDINGS[:1], ReportContext())
    colored = render(TextFormatter, FINDINGS[:1], ReportContext(color=True))
    assert "\x1b[" not in plain
    assert "\x1b[1;31mHYG001\x1b[0m" in colored  # errors in red


def test_summary_line() -> None:
    assert summary(FINDINGS, CTX) == (
        "4 findings in 4 files (2 errors, 1 warning, 1 info); 5 files checked; "
        "2 suppressed inline, 1 in the baseline")
    assert summary([], ReportContext(files=["a.md"])) == (
        "0 findings in 0 files (0 errors, 0 warnings); 1 file checked")


# A schema for the JSON report, as documented in docs/lint.md.
JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "tool", "summary", "findings"],
    "properties": {
        "version": {"const": 1},
        "tool": {"type": "object", "required": ["name", "version"]},
        "summary": {
            "type": "object",
            "required": ["files", "files_with_findings", "findings", "errors", "warnings", "info",
                         "unreadable", "suppressed", "baselined"],
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "findings": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["path", "line", "column", "end_line", "end_column", "code", "name",
                         "severity", "message", "suggestion", "fix", "unit"],
            "properties": {
                "path": {"type": "string"},
                "line": {"type": "integer", "minimum": 1},
                "column": {"type": "integer", "minimum": 1},
                "end_line": {"type": "integer", "minimum": 1},
                "end_column": {"type": "integer", "minimum": 1},
                "code": {"type": "string", "pattern": "^[A-Z]+[0-9]{3}$"},
                "name": {"type": "string"},
                "severity": {"enum": ["error", "warning", "info"]},
                "message": {"type": "string"},
                "suggestion": {"type": ["string", "null"]},
                "fix": {"type": ["string", "null"]},
                "unit": {"type": ["string", "null"]},
            },
        }},
    },
}


def test_json_format_schema_and_values() -> None:
    data = json.loads(render(JsonFormatter, FINDINGS, CTX))
    assert data["version"] == 1 and data["tool"]["name"] == "drafter"
    assert data["summary"] == {"files": 5, "files_with_findings": 4, "findings": 4, "errors": 2,
                               "warnings": 1, "info": 1, "unreadable": 1, "suppressed": 2,
                               "baselined": 1}
    assert data["findings"][0] == {
        "path": "canned/a.md", "line": 3, "column": 5, "end_line": 3, "end_column": 20,
        "code": "HYG001", "name": "unfilled-placeholder", "severity": "error",
        "message": "Unfilled placeholder “[Customer Name]”", "suggestion": None,
        "fix": "Fill in the placeholder before sending", "unit": "Refund"}
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(data, JSON_SCHEMA)


def test_github_format_escapes_data_and_properties() -> None:
    lines = render(GithubFormatter, FINDINGS, CTX).splitlines()
    assert lines == [
        "::error file=canned/a.md,line=3,col=5,endLine=3,endColumn=19,"
        "title=HYG001 unfilled-placeholder::Unfilled placeholder “[Customer Name]”"
        "%0Afix: Fill in the placeholder before sending",
        "::warning file=canned/b%2Cc.yaml,line=7,col=1,endLine=8,"
        "title=EMP002 canned-apology::Stock apology: 100%25 canned%0Asecond line",
        "::error file=canned/d.txt,line=1,col=3,endLine=1,endColumn=3,"
        "title=LNT001 parse-error::not valid UTF-8 (byte 0xff)%0Afix: save the file as UTF-8",
        "::notice file=canned/e.md,line=2,col=1,endLine=2,endColumn=8,"
        'title=EMP003 over-apologizing::Apology <b>"sorry"</b> & more \x1b[31m',
    ]
    cr = placed("x:y.md", 1, 1, 1, 2, "EMP002", "a:b", "warning", "a\r\nb", None, None)
    assert render(GithubFormatter, [cr]) == ("::warning file=x%3Ay.md,line=1,col=1,endLine=1,endColumn=1,"
                                   "title=EMP002 a%3Ab::a%0D%0Ab\n")


# A minimal SARIF 2.1.0 schema written from the OASIS spec: what every consumer requires.
_MESSAGE = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
SARIF_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["tool"],
            "properties": {
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "informationUri": {"type": "string", "pattern": "^https?://"},
                        "rules": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                                "shortDescription": _MESSAGE,
                                "fullDescription": _MESSAGE,
                                "helpUri": {"type": "string"},
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                            },
                        }},
                    },
                }}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": -1},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": _MESSAGE,
                        "locations": {"type": "array", "items": {
                            "type": "object",
                            "properties": {"physicalLocation": {
                                "type": "object",
                                "required": ["artifactLocation"],
                                "properties": {
                                    "artifactLocation": {
                                        "type": "object", "required": ["uri"],
                                        "properties": {"uri": {"type": "string"},
                                                       "uriBaseId": {"type": "string"}}},
                                    "region": {"type": "object", "properties": {
                                        k: {"type": "integer", "minimum": 1}
                                        for k in ("startLine", "startColumn", "endLine",
                                                  "endColumn")}},
                                },
                            }},
                        }},
                    },
                }},
            },
        }},
    },
}


def test_sarif_structure() -> None:
    rules = {**lint_rule_meta(), "HYG001": RuleMeta(
        "HYG001", "unfilled-placeholder", "Placeholders left.", "Finds placeholders.", "error",
        help_uri="https://example.com/rules/HYG001")}
    log = json.loads(render(SarifFormatter, FINDINGS, ReportContext(files=FILES, rules=rules)))
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "drafter" and driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == ["EMP002", "EMP003", "HYG001", "LNT001"]  # the rules that have results
    hyg = driver["rules"][ids.index("HYG001")]
    assert hyg == {"id": "HYG001", "name": "unfilled-placeholder",
                   "shortDescription": {"text": "Placeholders left."},
                   "fullDescription": {"text": "Finds placeholders."},
                   "defaultConfiguration": {"level": "error"},
                   "helpUri": "https://example.com/rules/HYG001"}
    lnt = driver["rules"][ids.index("LNT001")]
    assert lnt["defaultConfiguration"]["level"] == "error"
    assert lnt["shortDescription"]["text"] == "The file cannot be read or parsed."
    first = run["results"][0]
    assert first["ruleId"] == "HYG001" and ids[first["ruleIndex"]] == "HYG001"
    assert first["level"] == "error" and first["message"]["text"].startswith("Unfilled")
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "canned/a.md", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 20}
    assert run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "canned/b%2Cc.yaml"
    assert [r["level"] for r in run["results"]] == ["error", "warning", "error", "note"]
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, SARIF_SCHEMA)


def test_sarif_without_findings_is_still_a_valid_log() -> None:
    log = json.loads(render(SarifFormatter, [], ReportContext()))
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, SARIF_SCHEMA)


def test_junit_is_well_formed_one_testcase_per_file() -> None:
    xml = render(JunitFormatter, FINDINGS, CTX)
    root = ET.fromstring(xml)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == FILES
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "3", "1")
    by_name = {c.get("name"): c for c in cases}
    assert list(by_name["canned/clean.md"]) == []
    (err,) = by_name["canned/d.txt"]
    assert err.tag == "error" and err.get("type") == "LNT001"
    (fail,) = by_name["canned/e.md"]
    assert fail.tag == "failure" and fail.get("type") == "EMP003"
    assert fail.get("message") == '2:1: EMP003 Apology <b>"sorry"</b> & more \ufffd[31m'
    assert by_name["canned/b,c.yaml"][0].get("message").endswith("100% canned\nsecond line")
    assert "fix: Fill in the placeholder" in (by_name["canned/a.md"][0].text or "")


def test_every_formatter_renders_a_real_lint_run(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.md": "Hi [Customer Name]\n", "ok.md": "Hello.\n",
                             "bad.json": "{"})
    ctx = ReportContext(files=result.files, rules=lint_rule_meta())
    for name, fmt in FORMATTERS.items():
        out = render(fmt, result.findings, ctx)
        assert "a.md" in out and "bad.json" in out, name
    assert json.loads(render(SarifFormatter, result.findings, ctx))["runs"][0]["results"][0]["ruleId"] \
        == "HYG001"
    ET.fromstring(render(JunitFormatter, result.findings, ctx))
