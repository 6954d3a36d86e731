"""Canned responses as support teams keep them: template languages declared once in config,
another tool's front matter, HTML responses, and template checks that stay linear."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from lint_fixtures import lint, where, write

from drafter.lint.sources import SourceOptions
from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.review.rules.hygiene import template_errors
from drafter.styleguide import load_styleguide

SAVED_REPLY = ("Thanks @{issue-author}! This is a duplicate of #<ISSUE_NUMBER>; see [Issue URL].\n"
               "Hi {{ticket.requester.first_name | capitalize}}, "
               "{%customer.firstName,fallback=there%}. {% if vip %}Priority!{% endif %}\n")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder as the working directory (no config above it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name,text", [
    ("a.md", SAVED_REPLY),
    ("a.txt", SAVED_REPLY),
    ("a.yaml", "- name: dup\n  body: |\n" + "".join(f"    {line}\n"
                                                  for line in SAVED_REPLY.splitlines())),
    # In HTML a slot in angle brackets is written as character references.
    ("a.html", "<p>" + SAVED_REPLY.replace("\n", "</p>\n<p>").replace(
        "<ISSUE_NUMBER>", "&lt;ISSUE_NUMBER&gt;") + "</p>\n"),
])
def test_declared_languages_make_their_slots_legitimate_in_every_format(
        tmp_path: Path, name: str, text: str) -> None:
    every = SourceOptions(templates=frozenset({"jinja", "liquid", "helpscout", "slots"}))
    assert where(lint(tmp_path, {name: text}, select=("HYG",), sources=every)) == []
    default = SourceOptions(templates=frozenset({"jinja", "liquid", "helpscout"}))
    slots = [f.message for f in lint(tmp_path, select=("HYG001",), sources=default).findings]
    assert len(slots) == 3 and all("Unfilled placeholder" in m for m in slots)  # not declared


def test_leftovers_stay_findings_in_a_canned_response(tmp_path: Path) -> None:
    text = ("Hi {{ frist_name }}, see {{the community forum and/or documentation}}.\n"
            "{explain why we closed it}\n{% if vip %}Priority!\n")
    opts = SourceOptions(templates=frozenset({"liquid", "slots"}),
                         variables=frozenset({"first_name"}))
    found = lint(tmp_path, {"a.md": text}, select=("HYG",), sources=opts).findings
    assert [(f.code, f.line, f.column) for f in found] == [
        ("HYG001", 1, 4), ("HYG001", 1, 26), ("HYG001", 2, 1), ("HYG002", 3, 1)]
    assert found[0].suggestion == "{{ first_name }}"
    assert "Authoring note" in found[1].message and "Authoring note" in found[2].message


def test_a_draft_flags_every_slot() -> None:
    reviewer = Reviewer(load_styleguide(), select=["HYG001"])
    found = reviewer.review(SAVED_REPLY, ReviewContext())
    assert len(found) == 7 and {f.severity for f in found} == {"error"}  # {% endif %} too
    own = ReviewContext(slot_pattern=re.compile(r"@@[A-Z_]+@@"))
    assert [f.message for f in reviewer.review("Hi @@NAME@@,", own)] == [
        "Unfilled placeholder “@@NAME@@”"]


def test_templates_and_slot_pattern_come_from_the_config(draft, repo: Path) -> None:
    write(repo, {"canned/a.md": "Thanks @{issue-author}! Hi @@FIRST@@, see #<ISSUE_NUMBER>.\n"})
    assert draft(["lint", "canned", "--select", "HYG001"]).code == 1
    write(repo, {"drafter.toml": '[lint]\ntemplates = ["slots"]\nslot_pattern = "@@[A-Z]+@@"\n'})
    r = draft(["lint", "canned", "--select", "HYG001"])
    assert r.code == 0, r
    write(repo, {"drafter.toml": '[lint]\ntemplates = ["handlebars"]\n'})
    r = draft(["lint", "canned"])
    assert r.code == 2 and "handlebars" in r.stderr and "slots" in r.stderr, r
    write(repo, {"drafter.toml": '[lint]\nslot_pattern = "@@[A-Z"\n'})
    r = draft(["lint", "canned"])
    assert r.code == 2 and "slot_pattern" in r.stderr, r


def test_another_tools_front_matter_does_not_fail_ci(draft, repo: Path) -> None:
    write(repo, {"canned/a.md": "---\ntitle: x\naliases: [y]\nembed: true\nchanel: email\n---\n"
                                "Thanks, that's exactly what I needed.\n"})
    r = draft(["lint", "canned", "--format", "json", "--select", "LNT"])
    import json

    found = {(f["line"], f["severity"]) for f in json.loads(r.stdout)["findings"]}
    assert found == {(3, "info"), (4, "info"), (5, "warning")}  # the typo of `channel` warns
    write(repo, {"canned/a.md": "---\ntitle: x\naliases: [y]\n---\nThanks, that's it.\n"})
    assert draft(["lint", "canned", "--select", "LNT"]).code == 0
    write(repo, {"drafter.toml": '[review.severity]\nLNT002 = "warning"\n'})
    assert draft(["lint", "canned", "--select", "LNT"]).code == 1  # strict, for those who want it


def test_html_response_is_read_as_text_with_positions(tmp_path: Path) -> None:
    text = ("<html><head><title>Refund [NAME]</title><style>p {}</style></head><body>\n"
            "<p>Hi [Customer Name],</p>\n"
            "<p>We apologize for any inconvenience &amp; it won&#39;t happen again.</p>\n"
            "<!-- draft-disable-next-line EMP002 -->\n"
            "<p>We apologize for any inconvenience.</p>\n</body></html>\n")
    found = lint(tmp_path, {"a.html": text}, select=("HYG001", "EMP002"))
    assert where(found) == [("a.html", 2, 7, "HYG001"), ("a.html", 3, 4, "EMP002")]
    assert found.suppressed == 1


@pytest.mark.parametrize("shape", ["{{", "{%", "}}", "{% if a %}", "{{ x }", "{%-", "{#", "%}{{"])
def test_template_check_is_linear(shape: str) -> None:
    small, big = shape * (20_000 // len(shape)), shape * (400_000 // len(shape))
    t0 = time.perf_counter()
    n_small = sum(1 for _ in template_errors(small))
    t1 = time.perf_counter()
    n_big = sum(1 for _ in template_errors(big))
    t2 = time.perf_counter()
    assert n_big >= n_small
    # 20 times the text in well under 20 squared times the time (a quadratic check took ~55 s
    # on 400 KB of "{{"); the floor keeps a noisy machine's tiny timings out of the ratio.
    assert t2 - t1 < max(60 * (t1 - t0), 0.5), (shape, t1 - t0, t2 - t1)


def test_markdown_emphasis_markers_are_not_reply_text(tmp_path: Path) -> None:
    text = "Please don't comment on already **closed issues**. See `snake_case_name` and _docs_.\n"
    found = lint(tmp_path, {"a.md": text}, select=("TON006",)).findings
    # The finding ends at the last word, before the closing **.
    assert [(f.line, f.column, f.end_column) for f in found] == [(1, 1, 48)]
