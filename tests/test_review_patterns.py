"""Phrase patterns: the documented examples, the syntax's errors, and agreement with a plain
scan on arbitrary text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafter.errors import ConfigError
from drafter.review import checks
from drafter.review.context import ReviewContext
from drafter.review.matching import (
    PATTERN_EXAMPLES,
    PatternError,
    compile_phrases,
    inflections,
    is_phrase_pattern,
    phrase_regex,
)
from drafter.review.reviewer import Reviewer
from drafter.review.text import Doc
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()


@pytest.mark.parametrize("pattern,finds,misses", PATTERN_EXAMPLES)
def test_documented_examples(pattern: str, finds: str, misses: str) -> None:
    assert is_phrase_pattern(pattern)
    found = compile_phrases((pattern,), (), False)
    assert found.search(finds) is not None, f"{pattern!r} should find {finds!r}"
    assert found.search(misses) is None, f"{pattern!r} should not find {misses!r}"


@pytest.mark.parametrize("pattern,text,expected", [
    ("sorry for [the|any] trouble", "Sorry for trouble, sorry for any trouble.",
     ["Sorry for trouble", "sorry for any trouble"]),
    ("{I'm|we're} here to help", "We are here to help; I’m here to help.",
     ["We are here to help", "I’m here to help"]),
    ("we('ll| will) be in touch", "we'll be in touch and we will be in touch",
     ["we'll be in touch", "we will be in touch"]),
    ("I ... understand", "I really, truly do understand", ["I really, truly do understand"]),
    ("I ... understand", "I really do truly deeply understand", []),
    ("help~", "helps helped helping helpful", ["helps", "helped", "helping"]),
    ("follow~ up", "follow-up and follow  up", ["follow-up", "follow  up"]),
    ("[we] can't", "cannot, can not, can't, can’t", ["cannot", "can not", "can't", "can’t"]),
    # no pattern syntax: a literal phrase, matched as it is written
    ("can't", "cannot, can not, can't, can’t", ["can't", "can’t"]),
    ("[please] contact {another|a different} department~",
     "Please contact another department. Contact a different departments.",
     ["Please contact another department", "Contact a different departments"]),
    ("sorry {0,1} for", "sorry. For", []),
    ("{sorry|apologies} for the trouble", "notsorry for the trouble, sorry for the troubles", []),
])
def test_pattern_matches(pattern: str, text: str, expected: list[str]) -> None:
    found = compile_phrases((pattern,), (), False)
    assert [m.group() for m in found.finditer(text)] == expected


def test_inflections_follow_common_spelling_rules() -> None:
    assert {"apologize", "apologise", "apologizes", "apologised", "apologizing"} <= set(
        inflections("apologize"))
    assert {"apology", "apologies"} <= set(inflections("apology"))
    assert {"stop", "stopped", "stopping", "stops"} <= set(inflections("stop"))
    assert {"reach", "reaches", "reached", "reaching"} <= set(inflections("reach"))


@pytest.mark.parametrize("bad", [
    "{sorry|apologize", "sorry]", "...", "sorry ...", "[sorry]", "sorry {0,9} for", "~sorry",
    "{sorry|}", "sorry\\",
])
def test_malformed_patterns_are_errors_naming_the_pattern(bad: str) -> None:
    with pytest.raises(PatternError) as exc:
        phrase_regex(bad)
    assert repr(bad) in str(exc.value)


def _team_file(tmp_path: Path, body: str) -> Path:
    team = tmp_path / "guide"
    team.mkdir()
    (team / "ours.toml").write_text(
        'id = "ours"\ntitle = "Ours"\nguidance = "Our words."\n' + body, encoding="utf-8")
    return team


def test_team_rule_with_phrase_patterns(tmp_path: Path) -> None:
    team = _team_file(tmp_path, '[rules.ACME001]\ntype = "existence"\nname = "stock-thanks"\n'
                      'phrases = ["thank~ you for your {patience|understanding}"]\n')
    text = "Thanks for waiting. Thank you for your understanding."
    found = Reviewer(load_styleguide([team]), select=["ACME001"]).review(text)
    assert [text[f.start:f.end] for f in found] == ["Thank you for your understanding"]


def test_malformed_team_pattern_is_a_config_error_naming_file_rule_and_pattern(
        tmp_path: Path) -> None:
    team = _team_file(tmp_path, '[rules.ACME001]\ntype = "existence"\nname = "stock-thanks"\n'
                      'phrases = ["fine", "thank you for your {patience|understanding"]\n')
    with pytest.raises(ConfigError) as exc:
        Reviewer(load_styleguide([team]), select=["ACME001"])
    message = exc.value.message
    assert "ours.toml" in message and "ACME001" in message
    assert "thank you for your {patience|understanding" in message


def test_malformed_pattern_in_a_shipped_rules_settings_is_a_config_error(
        tmp_path: Path) -> None:
    team = tmp_path / "guide"
    team.mkdir()
    shipped = (Path(checks.__file__).parents[2] / "styleguide" / "empathy.toml").read_text(
        encoding="utf-8")
    (team / "empathy.toml").write_text(
        shipped + '\n[rules.EMP900]\ntype = "existence"\nname = "x-y"\nphrases = ["[a]"]\n',
        encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        Reviewer(load_styleguide([team]))
    assert "empathy.toml" in exc.value.message and "EMP900" in exc.value.message


# Property: the engine finds what one plain regex alternation finds, with the new rules' lists.
WORDY = st.lists(st.one_of(st.sampled_from([
    "I ", "I'm ", "I’m ", "am ", "here ", "to ", "help ", "you ", "with ", "sorry ", "for ",
    "the ", "any ", "trouble", "confusion", "understand ", "that ", "would ", "like ",
    "we'll ", "be ", "in ", "touch", "contact ", "another ", "department", ". ", ", ", "—",
    "-", "\n", "store ", "visit ", "our ", "colleagues ", "there ", "will ",
]), st.text(max_size=4)), max_size=30).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=WORDY)
def test_phrase_patterns_match_a_plain_scan(text: str) -> None:
    from matching_oracle import plain_scan

    doc = Doc(text, ReviewContext())
    for code, key in (("DIR007", "phrases"), ("DIR008", "phrases"), ("EMP005", "phrases"),
                      ("OWN006", "phrases"), ("OWN005", "promises")):
        s = GUIDE.rule_settings(code)
        assert s is not None
        found = checks.compile_phrases(s[0][key], s[0].get("patterns", []))
        assert found is not None
        assert [m.span() for m in checks.finditer(doc, found)] == plain_scan(found, doc.prose)
        # and the compiled source is what plain `re` reads
        re.compile(found.source)
