"""Reading canned-response files: every format, positions in the source file, broken files.

Findings come from the real reviewer limited to HYG001 (unfilled placeholder), so each test
places a "[Customer Name]" and checks the line and column reported for it in the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_fixtures import PLACEHOLDER, lint, where, write

from drafter.errors import InputError
from drafter.lint.sources import SourceOptions, discover, read_source


def col_of(line: str, needle: str = PLACEHOLDER) -> int:
    """1-based column of `needle` in `line`."""
    return line.index(needle) + 1


# ------------------------------------------------------------------------------------ markdown


def test_markdown_front_matter_sets_context_and_positions(tmp_path: Path) -> None:
    text = (
        "---\n"
        "title: Refund delay\n"
        "channel: chat\n"
        "upset: true\n"
        "reports_problem: true\n"
        "asks_question: false\n"
        "variables: [first_name, order_id]\n"
        "tags: [billing]\n"
        "---\n"
        "\n"
        "Hi {{ first_name }},\n"
        "\n"
        "Thanks for waiting, dear [Customer Name].\n"
    )
    result = lint(tmp_path, {"refund.md": text})
    assert where(result) == [("refund.md", 13, col_of(text.splitlines()[12]), "HYG001")]
    assert result.findings[0].unit == "Refund delay"
    (unit,) = read_source(tmp_path / "refund.md").units
    ctx = unit.context
    assert (ctx.channel, ctx.upset, ctx.reports_problem, ctx.asks_question) == (
        "chat", True, True, False)
    assert ctx.is_template and ctx.variables == {"first_name", "order_id"}
    assert unit.text.startswith("Hi {{ first_name }},")  # front matter and blank line are not text


def test_markdown_without_front_matter_is_plain_reply(tmp_path: Path) -> None:
    text = "Hello,\n\nYour order {{ order_id }} is late, [Customer Name].\n"
    result = lint(tmp_path, {"a.md": text})
    # Not a template: the Jinja placeholder is unfilled too.
    assert [(f.line, f.column) for f in result.findings] == [(3, 12), (3, 36)]
    (unit,) = read_source(tmp_path / "a.md").units
    assert not unit.context.is_template and unit.context.channel is None


def test_unknown_front_matter_key_is_a_warning_at_the_key(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.md": "---\ntitle: x\nchanel: email\n---\nHello [Customer Name]\n"})
    assert where(result) == [("a.md", 3, 1, "LNT002"), ("a.md", 5, 7, "HYG001")]
    lnt = result.findings[0]
    assert lnt.severity == "warning" and "`chanel`" in lnt.message and "`channel`" in lnt.message
    assert result.exit_code("error") == 1  # HYG001 is an error; the unknown key alone is not
    assert not result.unreadable


def test_extra_keys_from_config_are_accepted(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "---\nauthor: Dana\n---\nHello there.\n"})
    sf = read_source(tmp_path / "a.md", options=SourceOptions(extra_keys=frozenset({"author"})))
    assert sf.problems == [] and len(sf.units) == 1


def test_bad_front_matter_values_are_errors_and_the_body_is_still_reviewed(tmp_path: Path) -> None:
    text = "---\nchannel: sms\nupset: maybe\nvariables: first_name\n---\nHi [Customer Name]\n"
    result = lint(tmp_path, {"a.md": text})
    assert where(result) == [("a.md", 2, 10, "LNT003"), ("a.md", 3, 8, "LNT003"),
                             ("a.md", 4, 12, "LNT003"), ("a.md", 6, 4, "HYG001")]
    assert all(f.severity == "error" for f in result.findings)
    (unit,) = read_source(tmp_path / "a.md").units
    assert unit.context.channel is None and unit.context.upset is None


def test_one_bad_front_matter_value_keeps_the_good_ones(tmp_path: Path) -> None:
    write(tmp_path, {"a.md": "---\ntitle: Late\nchannel: chat\nupset: maybe\n---\nHi there.\n"})
    sf = read_source(tmp_path / "a.md")
    assert [(p.code, p.line, p.column) for p in sf.problems] == [("LNT003", 4, 8)]
    (unit,) = sf.units
    assert unit.name == "Late" and unit.context.channel == "chat" and unit.context.upset is None


def test_unterminated_front_matter_is_a_parse_error(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.md": "---\ntitle: x\n\nHello [Customer Name]\n"})
    assert where(result) == [("a.md", 1, 1, "LNT001")]
    assert "never closed" in result.findings[0].message
    assert result.unreadable == ["a.md"] and result.exit_code("error") == 2


def test_invalid_yaml_front_matter_points_at_the_line(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.md": "---\ntitle: x\ntags: [a, b\n---\nHello\n"})
    (f,) = result.findings
    assert f.code == "LNT001" and f.line in (4, 5) and "invalid YAML" in f.message


def test_crlf_and_bom_keep_lines_and_columns(tmp_path: Path) -> None:
    raw = "\ufeff---\r\ntitle: x\r\n---\r\nHi there,\r\nDear [Customer Name]\r\n".encode()
    result = lint(tmp_path, {"a.md": raw})
    assert where(result) == [("a.md", 5, 6, "HYG001")]


def test_bytes_that_are_not_utf8_are_placed_after_a_bom_too(tmp_path: Path) -> None:
    for name, raw in (("a.txt", b"Hi \xff there\n"), ("b.txt", b"\xef\xbb\xbfHi \xff there\n"),
                      ("c.txt", b"\xef\xbb\xbfHello\n\nHi \xfe\n")):
        (f,) = lint(tmp_path / name, {name: raw}).findings
        expected = (3, 4, "0xfe") if name == "c.txt" else (1, 4, "0xff")
        assert (f.code, f.line, f.column, f.message[-5:-1]) == ("LNT001", *expected)


def test_a_control_character_yaml_refuses_is_a_parse_error_of_that_file(tmp_path: Path) -> None:
    files = {"a.md": "---\ntitle: x\n\x0b\n---\nHi\n", "b.yaml": "- body: \"Hi\x01\"\n",
             "c.md": "Dear [Customer Name]\n"}
    result = lint(tmp_path, files)
    assert where(result) == [("a.md", 3, 1, "LNT001"), ("b.yaml", 1, 12, "LNT001"),
                             ("c.md", 1, 6, "HYG001")]
    assert "U+000B is not allowed" in result.findings[0].message
    assert result.unreadable == ["a.md", "b.yaml"]


def test_html_comments_are_not_reply_text_in_markdown(tmp_path: Path) -> None:
    text = "Hello,\n<!-- editor note: use [Customer Name] here -->\nThanks, [Customer Name]\n"
    result = lint(tmp_path, {"a.md": text})
    assert where(result) == [("a.md", 3, 9, "HYG001")]


def test_empty_response_is_reported(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.md": "---\ntitle: x\n---\n\n   \n"})
    assert where(result) == [("a.md", 4, 1, "LNT004")]


# ---------------------------------------------------------------------------------------- text


def test_text_file_has_no_front_matter(tmp_path: Path) -> None:
    text = "---\nchanel: x\n---\nHi [Customer Name]\n"
    result = lint(tmp_path, {"a.txt": text})
    assert where(result) == [("a.txt", 4, 4, "HYG001")]  # no LNT002: the dashes are text


# --------------------------------------------------------------------------------------- jinja


def test_jinja_template_declared_variables_are_legitimate(tmp_path: Path) -> None:
    text = (
        "{# ---\n"
        "title: Order status\n"
        "variables: [first_name, order_id]\n"
        "--- #}\n"
        "Hi {{ first_name }},\n"
        "{# reviewers: [Customer Name] stays out of the reply #}\n"
        "Your order {{ order_id }} ships today. Your code is {{ promo_code }}.\n"
    )
    result = lint(tmp_path, {"status.j2": text})
    (f,) = result.findings
    assert (f.line, f.column, f.code) == (7, col_of(text.splitlines()[6], "{{ promo_code }}"),
                                          "HYG001")
    assert "promo_code" in f.message and f.unit == "Order status"
    (unit,) = read_source(tmp_path / "status.j2").units
    assert unit.context.is_template and unit.context.variables == {"first_name", "order_id"}


def test_jinja_misspelled_variable_gets_a_suggestion(tmp_path: Path) -> None:
    text = "---\nvariables: [first_name]\n---\nHi {{ frist_name }},\n"
    result = lint(tmp_path, {"a.jinja2": text})
    (f,) = result.findings
    assert (f.line, f.column) == (4, 4) and f.suggestion == "{{ first_name }}"


def test_jinja_variables_from_config(tmp_path: Path) -> None:
    write(tmp_path, {"a.j2": "Hi {{ first_name }}, order {{ order_id }}.\n"})
    from lint_fixtures import reviewer

    from drafter.lint.engine import Linter, LintOptions

    opts = LintOptions(cwd=tmp_path, sources=SourceOptions(variables=frozenset({"first_name"})))
    result = Linter(reviewer(), opts).lint([tmp_path / "a.j2"])
    assert [f.message for f in result.findings] == [
        "“{{ order_id }}” uses `order_id`, which the template does not declare "
        "(declared: first_name)"]


def test_html_template_tags_are_not_text(tmp_path: Path) -> None:
    text = "<p>Hello,</p>\n<p>Your order is ready, <b>[Customer Name]</b>.</p>\n"
    result = lint(tmp_path, {"welcome.html.j2": text})
    assert where(result) == [("welcome.html.j2", 2, col_of(text.splitlines()[1]), "HYG001")]
    (unit,) = read_source(tmp_path / "welcome.html.j2").units
    assert unit.strip_tags and unit.context.is_template


# ----------------------------------------------------------------------------------------- yaml

YAML_COLLECTION = """\
# Canned responses for the billing queue
- name: refund-delay
  channel: email
  upset: true
  body: |
    Hi there,
    Thanks for waiting, [Customer Name].
    Best regards
- title: folded
  body: >
    This text is folded
    onto one line for [Customer Name]
    when it is read.
- name: double-quoted
  body: "Line one\\nwith \\"quotes\\" and \\u00e9 then [Customer Name] here"
- name: single-quoted
  body: 'It''s ready, [Customer Name].'
- name: plain
  body: Plain text
    that continues for [Customer Name]
- name: commented-header
  body: |-  # a comment after the indicator
      Indented more: [Customer Name]
- name: emoji
  body: "Thanks 😀🎉 café, [Customer Name]"
"""


def test_yaml_collection_finding_on_line_7_is_reported_on_line_7(tmp_path: Path) -> None:
    result = lint(tmp_path, {"billing.yaml": YAML_COLLECTION})
    lines = YAML_COLLECTION.splitlines()
    expected = [(n, col_of(lines[n - 1])) for n in (7, 12, 15, 17, 20, 23, 25)]
    assert [(f.line, f.column) for f in result.findings] == expected
    assert [f.unit for f in result.findings] == [
        "refund-delay", "folded", "double-quoted", "single-quoted", "plain", "commented-header",
        "emoji"]
    f = result.findings[0]
    assert (f.end_line, f.end_column) == (7, f.column + len(PLACEHOLDER))


def test_yaml_collection_entry_metadata_becomes_context(tmp_path: Path) -> None:
    write(tmp_path, {"c.yml": YAML_COLLECTION})
    units = read_source(tmp_path / "c.yml").units
    assert units[0].context.channel == "email" and units[0].context.upset is True
    assert units[1].context.channel is None
    assert units[2].text.startswith('Line one\nwith "quotes" and é')


def test_yaml_mapping_of_name_to_body(tmp_path: Path) -> None:
    text = "greeting: Hello there.\nplaceholder: |\n  Dear [Customer Name],\n  thanks.\n"
    result = lint(tmp_path, {"m.yaml": text})
    assert where(result) == [("m.yaml", 3, 8, "HYG001")]
    assert result.findings[0].unit == "placeholder"


def test_yaml_wrapped_responses_list(tmp_path: Path) -> None:
    text = "responses:\n  - title: a\n    text: Hi [Customer Name]\n"
    assert where(lint(tmp_path, {"r.yaml": text})) == [("r.yaml", 3, 14, "HYG001")]


def test_yaml_entry_without_body_is_a_parse_error(tmp_path: Path) -> None:
    result = lint(tmp_path, {"c.yaml": "- name: a\n  body: Hi.\n- name: b\n  message: Hi.\n"})
    assert where(result) == [("c.yaml", 3, 3, "LNT001")]
    assert "`body`" in result.findings[0].message


def test_yaml_unknown_entry_key_and_non_string_body(tmp_path: Path) -> None:
    result = lint(tmp_path, {"c.yaml": "- name: a\n  chanel: chat\n  body: 42\n"})
    assert where(result) == [("c.yaml", 2, 3, "LNT002"), ("c.yaml", 3, 9, "LNT003")]


def test_invalid_yaml_is_a_parse_error_with_its_line(tmp_path: Path) -> None:
    result = lint(tmp_path, {"c.yaml": "- name: a\n  body: Hi\n - name: b\n"})
    (f,) = result.findings
    assert f.code == "LNT001" and f.line == 3 and f.message.startswith("invalid YAML")


# ----------------------------------------------------------------------------------------- json


def test_json_collection_with_escapes_maps_columns(tmp_path: Path) -> None:
    text = (
        "[\n"
        '  {"title": "escapes", "body": "Caf\\u00e9 \\"menu\\"\\n\\tDear [Customer Name]"},\n'
        '  {"name": "emoji", "text": "\\ud83d\\ude00 [Customer Name]"}\n'
        "]\n"
    )
    result = lint(tmp_path, {"c.json": text})
    lines = text.splitlines()
    assert [(f.line, f.column, f.unit) for f in result.findings] == [
        (2, col_of(lines[1]), "escapes"), (3, col_of(lines[2]), "emoji")]


def test_json_mapping_of_name_to_body(tmp_path: Path) -> None:
    text = '{\n  "hello": "Hello!",\n  "late": "Sorry, [Customer Name]."\n}\n'
    line = text.splitlines()[2]
    assert where(lint(tmp_path, {"c.json": text})) == [("c.json", 3, col_of(line), "HYG001")]


def test_invalid_json_is_a_parse_error_with_line_and_column(tmp_path: Path) -> None:
    result = lint(tmp_path, {"c.json": '[\n  {"body": "a"},\n  {"body": }\n]\n'})
    (f,) = result.findings
    assert (f.code, f.line, f.column) == ("LNT001", 3, 12)
    assert f.message.startswith("invalid JSON")


# -------------------------------------------------------------------------------------- zendesk

# A macros export as the Zendesk API returns it (GET /api/v2/macros).
ZENDESK = """\
{
  "macros": [
    {
      "id": 360001,
      "title": "Shipping::Delayed",
      "active": true,
      "actions": [
        {"field": "status", "value": "pending"},
        {"field": "comment_value", "value": "Hi {{ticket.requester.first_name}},\\n\\nYour parcel is late, [Customer Name]."}
      ]
    },
    {
      "id": 360002,
      "title": "Close: solved",
      "actions": [{"field": "status", "value": "solved"}]
    },
    {
      "id": 360003,
      "title": "Billing::Refund",
      "actions": [
        {"field": "comment_value", "value": ["channel:all", "Refund sent for {{ticket.id}}, [Customer Name]."]}
      ]
    },
    {
      "id": 360004,
      "title": "HTML only",
      "actions": [
        {"field": "comment_value_html", "value": "<p>Hello,</p><p>Dear [Customer Name]</p>"}
      ]
    }
  ],
  "next_page": null,
  "count": 4
}
"""  # noqa: E501


def test_zendesk_macros_export(tmp_path: Path) -> None:
    result = lint(tmp_path, {"macros.json": ZENDESK})
    lines = ZENDESK.splitlines()
    n_text, n_list, n_html = (next(i for i, x in enumerate(lines) if key in x) + 1
                              for key in ("late, [", "channel:all", "<p>Hello"))
    assert [(f.line, f.column, f.unit) for f in result.findings] == [
        (n_text, col_of(lines[n_text - 1]), "Shipping::Delayed"),
        (n_list, col_of(lines[n_list - 1]), "Billing::Refund"),
        (n_html, col_of(lines[n_html - 1], "<p>Hello"), "HTML only"),  # HTML: the body's start
    ]
    units = read_source(tmp_path / "macros.json").units
    assert len(units) == 3  # the macro that only sets a status has no reply text
    assert units[2].text == "Hello,\nDear [Customer Name]"
    assert all(u.context.is_template for u in units)


def test_zendesk_single_macro_in_yaml(tmp_path: Path) -> None:
    text = ("macro:\n  title: One\n  actions:\n    - field: comment_value\n"
            "      value: Hello {{ticket.requester.name}}\n")
    assert lint(tmp_path, {"m.yaml": text}).findings == []


# ---------------------------------------------------------------------------- broken files, walk


def test_broken_file_among_good_ones_others_still_linted(tmp_path: Path) -> None:
    result = lint(tmp_path, {
        "a.md": "Hi [Customer Name]\n",
        "b.txt": b"Hello \xff\xfe there\nline two\n",
        "c.json": '{"x": "Hi [Customer Name]",}',
        "d.yaml": "- body: Hi [Customer Name]\n",
    })
    assert where(result) == [("a.md", 1, 4, "HYG001"), ("b.txt", 1, 7, "LNT001"),
                             ("c.json", 1, 28, "LNT001"), ("d.yaml", 1, 12, "HYG001")]
    assert "UTF-8" in result.findings[1].message
    assert result.unreadable == ["b.txt", "c.json"]
    assert result.exit_code("error") == 2


def test_discover_walks_known_suffixes_skipping_hidden_and_excluded(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.md": "x", "sub/b.txt": "x", "sub/deep/c.html.j2": "x", "d.yml": "- x",
        ".hidden/e.md": "x", "sub/.f.md": "x", "notes.docx": "x", "drafts/g.md": "x",
        "README.md": "x", "sub/old.json": "[]",
    })
    found = [p.relative_to(tmp_path).as_posix()
             for p in discover([tmp_path], exclude=["drafts", "README*", "sub/*.json"])]
    assert found == ["a.md", "d.yml", "sub/b.txt", "sub/deep/c.html.j2"]


def test_explicit_file_of_unknown_kind_is_an_error_naming_it(tmp_path: Path) -> None:
    write(tmp_path, {"notes.docx": "x"})
    with pytest.raises(InputError, match=r"notes\.docx"):
        discover([tmp_path / "notes.docx"])
    with pytest.raises(InputError, match=r"missing\.md: no such file"):
        discover([tmp_path / "missing.md"])


def test_explicit_file_is_linted_even_if_excluded_and_listed_once(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x"})
    readme = tmp_path / "README.md"
    assert discover([readme, tmp_path, readme], exclude=["README*"]) == [readme]


def test_binary_file_is_a_parse_error(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.txt": b"Hello\n\x00\x01\x02", "b.md": "Hi [Customer Name]\n"})
    assert where(result) == [("a.txt", 2, 1, "LNT001"), ("b.md", 1, 4, "HYG001")]
    assert "binary" in result.findings[0].message


def test_deeply_nested_json_is_a_parse_error_not_a_crash(tmp_path: Path) -> None:
    result = lint(tmp_path, {"a.json": "[" * 5000 + "]" * 5000})
    assert [f.code for f in result.findings] == ["LNT001"]
