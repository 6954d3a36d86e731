"""The speed-ups of the reviewer and `draft lint` change nothing that they find.

Each fast path is checked against the plain way it replaces: the matching engine's phrases
over word runs (against a plain regex scan, tests/matching_oracle.py), its literal pre-filter
for patterns, the rewritten capitals regexes, per-folder path resolution, the unchanged-text
shortcut of `prepare`, and linting in worker processes.
"""

from __future__ import annotations

import gc
import os
import re
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from matching_oracle import plain_scan

from drafter.lint.engine import Linter, LintOptions
from drafter.lint.sources import Resolver, discover, discover_real, display_path
from drafter.lint.suppress import prepare
from drafter.review import checks, matching
from drafter.review import text as text_mod
from drafter.review.context import ReviewContext
from drafter.review.finding import Finding
from drafter.review.reviewer import Reviewer
from drafter.review.rules import plain, tone
from drafter.review.text import Doc
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()
FULL_REVIEWER = Reviewer(GUIDE)


@lru_cache(maxsize=1)
def all_phrases() -> list[matching.Phrases]:
    """Every phrase list compiled by the time of the first call (the guide's, by
    FULL_REVIEWER, and this module's) whose patterns compile."""
    found = []
    for o in gc.get_objects():
        if isinstance(o, matching.Phrases):
            try:
                o.regex  # noqa: B018
            except re.error:  # a test's broken pattern
                continue
            found.append(o)
    return found

# -- phrase lists -------------------------------------------------------------------------------


def test_literal_phrases_need_no_regex() -> None:
    found = checks.compile_phrases(["lazy phrase one", "lazy phrase two"])
    assert isinstance(found, matching.Phrases)
    assert found.regex is None  # matched over word runs, not compiled into a regex
    m = found.search("It was Lazy  phrase two, then.")
    assert m is not None and m.group() == "Lazy  phrase two"
    assert checks.compile_phrases(["lazy phrase two", "lazy phrase one"]) is found  # once


def test_broken_pattern_is_still_reported_when_the_rule_is_built() -> None:
    with pytest.raises(checks.SettingError, match="valid regular expressions"):
        checks.compile_phrases(["fine"], ["(unclosed"])


def test_changed_team_guide_is_picked_up_by_a_new_reviewer(tmp_path: Path) -> None:
    team = tmp_path / "guide"
    team.mkdir()
    toml = team / "ours.toml"

    def write(phrase: str) -> None:
        toml.write_text(
            'id = "ours"\ntitle = "Ours"\nguidance = "No competitors."\n'
            '[rules.ACME001]\ntype = "existence"\nname = "competitors"\n'
            f'phrases = ["{phrase}"]\n', encoding="utf-8")

    text = "MegaCorp and Initech both sell this."
    write("MegaCorp")
    found = Reviewer(load_styleguide([team]), select=["ACME001"]).review(text)
    assert [text[f.start:f.end] for f in found] == ["MegaCorp"]
    write("Initech")
    found = Reviewer(load_styleguide([team]), select=["ACME001"]).review(text)
    assert [text[f.start:f.end] for f in found] == ["Initech"]


def test_style_guide_is_parsed_once_and_every_change_is_seen(tmp_path: Path) -> None:
    team = tmp_path / "guide"
    team.mkdir()
    toml = team / "tone.toml"  # overrides the shipped tone.toml
    body = 'id = "tone"\ntitle = "Tone"\nguidance = "Be kind."\n'
    toml.write_text(body + '[glossary]\n"alpha" = "one"\n', encoding="utf-8")
    first = load_styleguide([team])
    assert load_styleguide([team]) is first  # same files, same contents: not parsed again
    assert first.glossary["alpha"] == "one"
    # The same size, rewritten at once (the same mtime tick): still seen.
    toml.write_text(body + '[glossary]\n"alpha" = "two"\n', encoding="utf-8")
    second = load_styleguide([team])
    assert second is not first and second.glossary["alpha"] == "two"
    toml.unlink()
    assert "alpha" not in load_styleguide([team]).glossary
    assert load_styleguide() is load_styleguide([])


# -- the literal pre-filter -------------------------------------------------------------------


def test_needed_strings_of_a_pattern() -> None:
    def words(pattern: str) -> frozenset[str] | None:
        return matching.needed_strings(pattern)

    assert words(r"\bfoo\s+barbaz") == {"barbaz"}
    assert words(r"\b(?:sorry|apologies)\s+for") == {"sorry", "apologies"}
    assert words(r"(?:x|)abc") == {"abc", "xabc"}
    assert words(r"\b[rs]k_(?:live|test)_\w+") == {"rk_live_", "rk_test_", "sk_live_",
                                                       "sk_test_"}
    assert words(r"\d+\s*(?:am|pm)") == {"am", "pm"}
    assert words(r"(?:abc)?\d+") is None  # nothing required
    assert words(r"a|bcd") is None  # one alternative requires too little
    assert words(r"(?<!\bas )\bsoon\b(?!\s+as\b)") == {"soon"}  # look-arounds need nothing
    assert words(r"(?-i:\bTODO\b)|note(?i:s)?") == {"todo", "note"}
    assert words(r"(?x) foo") is None  # verbose syntax is not read
    assert words(r"(a)\1") is None  # nor back-references


SAF004 = checks.compile_phrases(patterns=GUIDE.rule_settings("SAF004")[0]["patterns"],  # type: ignore[index]
                                case_sensitive=True)
# Syntax the pre-filter reads, or must give up on, in patterns of the kind a team writes.
TRICKY = checks.compile_phrases(patterns=[
    r"\bre-?(?:send|ship)(?:ed|ing)?\b", r"[Tt]o[-_ ]?do\s*[:=]", r"(?<=\bno\s)refunds?",
    r"\bd[o0]n['’]?t\b", r"x{2,}y?z", r"(?i:K)it", r"\d{3,}\s*(?:am|pm)", r"[^a]bc[.]d",
    r"(?P<w>wo)(?P=w)", r"a\u017fb", r"qu(?!x)ick|sl(?=o)ow",
])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.one_of(st.sampled_from([
    "we apologize for any inconvenience", "INCONVENIENCE", "TODO:", "todo ", "soon", "'ll",
    "by 5 pm", "the customer", "refund", "sk-abcdefghijklmnopqrstuvwxyz", "AKIA", "ſ", "K",
    "İ", "ı", " ", "\n", "ll", "by", "reply", "resend", "re-shipped", "todo:", "To_do =",
    "no refunds", "d0n't", "xxz", "\u212ait", "123 pm", "xbc.d", "wowo", "aſb", "quick", "slow",
]), st.text(max_size=6)), max_size=12).map("".join))
def test_pre_filter_never_hides_a_match(text: str) -> None:
    with_patterns = [p for p in all_phrases() if p.regex is not None]
    assert len(with_patterns) >= 5 and SAF004 in with_patterns and TRICKY in with_patterns
    runs = matching.Runs(text)
    for phrases in with_patterns:
        # (Phrase patterns anchored on their first words are tried by `pattern_hits`.)
        if phrases.regex_for(runs) is None and not phrases.pattern_hits(runs):
            assert phrases.regex.search(text) is None, phrases.source


def test_only_the_known_letters_fold_to_ascii() -> None:
    # The pre-filter compares lower-cased ASCII; these are the only other characters that
    # re.IGNORECASE or str.lower() turn into ASCII.
    ascii_any = re.compile("[\x00-\x7f]", re.IGNORECASE)
    found = {chr(i) for i in range(128, 0x110000)
             if ascii_any.fullmatch(chr(i)) or any(ord(c) < 128 for c in chr(i).lower())}
    assert found == set(matching._FOLDING)


def test_pre_filter_skips_texts_without_the_words_and_not_texts_with_folding_letters() -> None:
    found = checks.compile_phrases(patterns=[r"\bincon\w+\b"])
    assert found is not None
    assert found.regex_for(matching.Runs("Your parcel ships today.")) is None
    assert found.regex_for(matching.Runs("An INCONvenience.")) is not None
    # "K" (Kelvin sign) matches "k" under IGNORECASE: no shortcut for such a text.
    kelvin = checks.compile_phrases(patterns=[r"\bkit\b"])
    assert kelvin is not None
    assert kelvin.regex_for(matching.Runs("the \u212ait")) is not None
    assert kelvin.search("the \u212ait") is not None


def test_first_words_of_a_regex() -> None:
    first = matching.first_words
    assert first(r"(?<!\bas )\bsoon\b(?!\s+as\b)") == {"soon"}
    assert first(r"\b(?:we|I)\s+(?:do\s+)?regret") == {"we", "i"}
    assert first(r"\b(?:you\s+will|you['’]ll)\s+get") == {"you"}
    assert first(r"\bsk-(?:live-)?\w{20,}") == {"sk"}
    assert first(r"\b(?:please\s+)?accept") is None  # may start with "accept"
    assert first(r"\bsoons?\b") is None  # the word may go on
    assert first(r"\bsoon\b|later") is None  # an alternative that starts elsewhere
    assert first(r"soon\b") is None  # may start inside a word
    assert first(r"\bgithub_pat_\w+") is None
    assert first(r"(?-i:\bTODO\b)") is None  # not read
    # A word ends where a group follows whose every alternative opens with a break.
    assert first(r"\b(?:I|we)(?:['’]ll|\s+will)\s+refund") == {"i", "we"}
    assert first(r"(?<!\bif\s)\byou(?:\s+are|['’]re)\s+eligible") == {"you"}
    assert first(r"\byou(?:\s+are|r)\b") is None  # "your"
    assert first(r"\byou(?:\s+are)?r") is None  # an optional group
    assert first(r"\byou(?:\s[)]|r)") is None  # a class the group's reading does not see into


# Patterns that open with known words are tried only where those words start.
WORD_STARTED = checks.compile_phrases(["soon", "by monday", "sorry"], [
    r"(?<!\bas )\bsoon\b(?!\s+as\b)", r"\bby\s+\d{1,2}\s*(?:am|pm)\b",
    r"\b(?:you\s+will|you['’]ll)\s+(?:get|receive)\b", r"\b(?:sorry|apologies)\s+for\b",
])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from([
    "soon", "as soon as", "as ", "Soon", "ſoon", "by", "5 pm", " ", "\n", "you will get",
    "you'll receive", "you’ll", "sorry for", "apologies for", "by monday", "x", "İ", ".",
]), max_size=12).map("".join), data=st.data())
def test_regexes_tried_where_their_words_start_find_what_a_plain_scan_finds(
        text: str, data: st.DataObject) -> None:
    phrases = WORD_STARTED
    assert phrases is not None and phrases.scanned == 4 and None not in phrases.starts_with
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    doc = Doc(text, ReviewContext())
    plain = plain_scan(phrases, doc.prose, start, end)
    assert [m.span() for m in checks.finditer_span(doc, phrases, "prose", start, end)] == plain
    assert checks.search(doc, phrases, start, end) == bool(plain)
    found = phrases.search(doc.prose, start, end)
    assert (found.span() if found else None) == (plain[0] if plain else None)


# -- rewritten regexes and the word index ---------------------------------------------------


OLD_CAPS = re.compile(r"(?<![\w'’-])[A-Z][A-Z'’]*[A-Z](?![\w'’-])")
OLD_ACRONYM = re.compile(r"(?<![\w'’-])[A-Z][A-Z0-9&]*[A-Z0-9](?:s)?(?![\w'’-])")


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="AB Cs1&'’-_ xé\n.", max_size=14), data=st.data())
def test_capitals_regexes_match_their_plain_forms(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    for old, new in ((OLD_CAPS, tone._CAPS_WORD), (OLD_ACRONYM, plain._ACRONYM_RE)):
        assert [m.span() for m in old.finditer(text, start, end)] == [
            m.span() for m in new.finditer(text, start, end)]


def test_word_runs_offsets_after_a_letter_that_lower_cases_longer() -> None:
    regex = checks.compile_phrases(["sorry", "it"])
    doc = Doc("İ'sorry İt", ReviewContext())
    assert [m.span() for m in checks.finditer(doc, regex)] == [(2, 7), (8, 10)]
    assert doc.runs().keys == ["i", "sorry", "it"]


FAST_TEXTS = st.lists(st.one_of(st.sampled_from([
    "sorry ", "I'm sorry", "I’m ", "İ", "ı", "ſ", "\u212a", "'", "’", "e.g. ", "ie. ", "it ",
    "as soon as ", "soon ", "we'll ", "don't forget to ", "the customer ", "thank you for ",
    "I think ", "send a replacement ", "or ", "\n", ". ", "-", "_",
]), st.text(max_size=5)), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=FAST_TEXTS)
def test_every_guide_phrase_list_finds_what_a_plain_scan_finds(text: str) -> None:
    doc = Doc(text, ReviewContext())
    for phrases in all_phrases():
        fast = [m.span() for m in checks.finditer(doc, phrases)]
        assert fast == plain_scan(phrases, doc.prose), (phrases.literals[:5], text)


@settings(max_examples=200, deadline=None)
@given(text=FAST_TEXTS, data=st.data())
def test_search_and_spans_over_word_runs_agree_with_a_plain_scan(text: str,
                                                                  data: st.DataObject) -> None:
    doc = Doc(text, ReviewContext())
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    for phrases in all_phrases():
        plain = plain_scan(phrases, doc.prose, start, end)
        assert [m.span() for m in checks.finditer_span(doc, phrases, "prose", start, end)] == plain
        assert checks.search(doc, phrases, start, end) == bool(plain)
        found = phrases.search(doc.prose, start, end)
        assert (found.span() if found else None) == (plain[0] if plain else None)
        at = phrases.match(doc.prose, start, end)
        assert (at.span() if at else None) == (plain[0] if plain and plain[0][0] == start
                                               else None)


# Phrases whose words meet apostrophes: the word trie must start a phrase after an apostrophe
# ("o'sorry"), end one before an apostrophe ("sorry's") and go on only from a word's end.
APOSTROPHE_PHRASES = checks.compile_phrases([
    "sorry", "sorry for", "we're sorry", "o'sorry", "customers' orders", "re sorry",
    "m sorry for the", "i'm", "for the delay", "rock 'n' roll", "n't", "don't worry",
])
APOSTROPHE_TEXTS = st.lists(st.sampled_from([
    "sorry", "for", "the", "delay", "we", "re", "o", "m", "i", "customers", "orders", "rock",
    "n", "roll", "don", "t", "worry", "'", "’", "'s", " ", "  ", "\n", "-", "_", ".", "x",
    "İ", "é", "Sorry", "WE", "o'sorry", "sorry's", "we're ", "x'we're ", "i'm'", "'m ",
    "customers' ", "'n' ", "don't ", "n't", " sorry ", " for ", "x'sorry for", "sorry'x for",
    "for's", "the'delay",
]), max_size=16).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=APOSTROPHE_TEXTS, data=st.data())
@example(text="o'sorry x", data=None)
@example(text="sorry's for", data=None)
@example(text="we sorry for's", data=None)
@example(text="I'm sorry for the delay", data=None)
@example(text="x'we're sorry", data=None)
@example(text="i'm'm sorry for the", data=None)
@example(text="customers' orders rock 'n' roll", data=None)
def test_word_runs_find_phrases_around_apostrophes_as_a_plain_scan_does(
        text: str, data: st.DataObject) -> None:
    phrases = APOSTROPHE_PHRASES
    assert phrases is not None
    doc = Doc(text, ReviewContext())
    assert [m.span() for m in checks.finditer(doc, phrases)] == plain_scan(phrases, doc.prose)
    if data is None:
        return
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    plain = plain_scan(phrases, doc.prose, start, end)
    assert [m.span() for m in checks.finditer_span(doc, phrases, "prose", start, end)] == plain
    assert checks.search(doc, phrases, start, end) == bool(plain)


PARAGRAPH_TEXTS = st.lists(st.one_of(st.sampled_from([
    "Hi Jane,\n\n", "\n\n", "\n \n", "\n", ". ", "? ", "!' ", "e.g. ", "Mr. ", "1.5 ",
    ":\n", "\n- item", "\n2) two", "word ", "it's ", "well-known ", "x_y ", "“quote” ",
    '"said" ', "https://example.com/a ", "`code` ", "> quoted\n", "{{ name }} ", "[NAME] ",
    "Jane ", "…", "Best regards,\nSam",
]), st.text(max_size=8)), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=PARAGRAPH_TEXTS, name=st.sampled_from([None, "Jane Doe"]))
def test_the_words_of_a_paragraph_are_the_words_of_its_sentences(text: str,
                                                                name: str | None) -> None:
    # DIR004 counts a paragraph's words from its sentences unless the sum is over the limit.
    from drafter.review.rules import directness
    from drafter.review.structure import PARAGRAPH

    doc = FULL_REVIEWER.doc(text, ReviewContext(customer_name=name))
    # Where DIR004 takes that shortcut: a paragraph of the body that no sentence crosses.
    b0, b1 = doc.body
    sents = doc.sentences
    for ps, pe in doc.structure.spans((PARAGRAPH,)):
        if not (b0 <= ps and pe <= b1) or any(s < ps < e or s < pe < e for s, e in sents):
            continue
        inside = [i for i, (s, e) in enumerate(doc.sentences) if s >= ps and e <= pe]
        assert sum(len(doc.sentence_words[i]) for i in inside) == directness._word_count(
            doc, ps, pe), (text, ps, pe)


def test_a_span_that_ends_inside_a_word_is_searched_as_the_regex_would() -> None:
    regex = checks.compile_phrases(["sorry"])
    assert regex is not None
    doc = Doc("0I'm sorrysorry ", ReviewContext())
    assert [m.span() for m in checks.finditer_span(doc, regex, "prose", 0, 10)] == [(5, 10)]
    assert checks.search(doc, regex, 0, 10)
    assert not checks.search(doc, regex, 0, 16)


@pytest.mark.parametrize("text", ["İe.g. x", "ſorry, it is late", "ıt might be", "I\u212aNOW"])
def test_letters_that_fold_to_ascii_are_found_like_a_plain_scan(text: str) -> None:
    doc = Doc(text, ReviewContext())
    for phrases in all_phrases():
        assert [m.span() for m in checks.finditer(doc, phrases)] == plain_scan(phrases, doc.prose)


# -- paths, prepare, workers -----------------------------------------------------------------


def test_resolver_and_display_path_agree_with_path_resolve(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.md").write_text("Hi")
    outside = tmp_path / "outside.md"
    outside.write_text("Hi")
    os.symlink(real / "sub", real / "linkdir")
    os.symlink(outside, real / "sub" / "linkfile.md")
    monkeypatch.chdir(real)
    resolve = Resolver()
    cases = [Path("sub/a.md"), Path("linkdir/a.md"), Path("sub/linkfile.md"),
             Path("sub/../sub/a.md"), Path("a-missing.md"), Path("."), outside,
             Path("../outside.md")]
    for p in cases:
        assert resolve(p) == str(p.resolve())
        try:
            expected = p.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            expected = p.as_posix()
        assert display_path(p, resolve=resolve, real_cwd=str(Path.cwd().resolve())) == expected
        assert display_path(p) == expected


def test_discover_finds_the_real_paths_a_resolver_finds(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    real = tmp_path / "real"
    (real / "sub" / "deeper").mkdir(parents=True)
    for name in ("sub/a.md", "sub/deeper/b.txt", "c.md"):
        (real / name).write_text("Hi")
    outside = tmp_path / "outside.md"
    outside.write_text("Hi")
    os.symlink(outside, real / "sub" / "linkfile.md")
    os.symlink(real / "sub" / "deeper", real / "linkdir")  # not followed by the walk
    monkeypatch.chdir(real / "sub")
    found = discover_real([Path(".."), Path("a.md"), outside])
    assert [(p.as_posix(), r) for p, r in found] == [
        (p.as_posix(), str(p.resolve())) for p, _ in found]
    # Each file once: a.md and outside.md (the link's target) are named twice.
    assert [p.as_posix() for p, _ in found] == [
        "../c.md", "../sub/a.md", "../sub/linkfile.md", "../sub/deeper/b.txt"]
    plain = Linter(FULL_REVIEWER).lint([p for p, _ in found])
    known = Linter(FULL_REVIEWER).lint([p for p, _ in found], real_paths=[r for _, r in found])
    assert known.files == plain.files and known.findings == plain.findings


def test_prepare_keeps_a_text_without_comments_as_it_is() -> None:
    from drafter.lint.sources import Unit

    unit = Unit("Hi Jane,\n\nAll <b>set</b>.", list(range(5, 32)), None, ReviewContext(),
                hide_html_comments=True, hide_jinja_comments=True)
    prepared = prepare(unit)
    assert prepared.text == unit.text
    assert list(prepared.offsets) == unit.offsets
    assert list(prepared.origin) == list(range(len(unit.text) + 1))
    assert not prepared.suppressions.suppressed("EMP001", "x", 3)
    # With a directive the slow path runs and takes it out.
    unit.text = "Hi <!-- draft-disable EMP -->Jane"
    unit.offsets = list(range(len(unit.text) + 1))
    assert prepare(unit).text == "Hi Jane"


def _library(root: Path, n: int) -> None:
    bodies = [
        "Hi {name},\n\nWe apologize for any inconvenience. I think it will ship soon.\n\nBest,\nSam",
        "---\nchannel: email\nupset: true\n---\n\nYour order shipped.\n",
        "Thanks pls wait!!! <!-- draft-disable TON -->gonna check ASAP\n",
        "---\nchanel: chat\n---\n\nTODO: fill in [Customer Name]\n",
    ]
    for i in range(n):
        folder = root / f"f{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        suffix = ".txt" if i % 5 == 0 else ".md"
        (folder / f"r{i:03d}{suffix}").write_text(bodies[i % 4].replace("{name}", f"N{i}"))
    (root / "broken.md").write_bytes(b"\xff\xfe bad")


def test_workers_give_the_same_result_as_one_process(tmp_path: Path) -> None:
    _library(tmp_path, 90)
    files = discover([tmp_path])
    linter = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path))
    one = linter.lint(files, jobs=1)
    two = linter.lint(files, jobs=2)
    assert one.findings and one.unreadable and one.suppressed
    for field in ("findings", "files", "unreadable", "suppressed", "baselined", "accepted"):
        assert getattr(two, field) == getattr(one, field), field


def test_workers_give_findings_of_the_same_class_as_one_process(tmp_path: Path) -> None:
    _library(tmp_path, 150)
    files = discover([tmp_path])
    linter = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path))
    one = linter.lint(files, jobs=1)
    two = linter.lint(files, jobs=2)
    for field in ("findings", "files", "unreadable", "suppressed", "baselined", "accepted"):
        assert getattr(two, field) == getattr(one, field), field
    assert all(type(f) is Finding for f in two.findings)


class _FaultyReviewer:
    """The real reviewer, but a text holding `marker` ends the process that reviews it (as the
    kernel's OOM killer may end a worker) or raises: faults a test cannot cause otherwise."""

    def __init__(self, marker: str, fault: str, main_pid: int, log: Path | None = None) -> None:
        self.inner = Reviewer(GUIDE)
        self.marker, self.fault, self.main_pid, self.log = marker, fault, main_pid, log

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]:
        if self.marker in text:
            if self.fault == "die" and os.getpid() != self.main_pid:
                if self.log is not None:
                    self.log.write_text("a worker died")
                os._exit(9)
            if self.fault == "raise":
                raise RuntimeError(f"rule crashed on {self.marker}")
            if self.fault == "interrupt" and os.getpid() == self.main_pid:
                raise KeyboardInterrupt
        return self.inner.review(text, context)


def _children() -> set[int]:
    """This process's child processes, running or not yet reaped (other fixtures may have
    servers of their own running)."""
    me = str(os.getpid())
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if fields[1] == me:
            out.add(int(stat.parent.name))
    return out


def test_a_worker_that_dies_loses_no_file(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    _library(lib, 200)
    # One file in ten (one in every chunk) ends the worker that lints it: the chunk it had
    # taken is linted by the main process instead, as are all the others.
    for i in range(0, 200, 10):
        (lib / f"f{i % 3}" / f"r{i:03d}.md").write_text("Your order DIE-NOW shipped.\n")
    files = discover([lib])
    one = Linter(Reviewer(GUIDE), LintOptions(cwd=lib)).lint(files, jobs=1)
    log = tmp_path / "died"
    before = _children()
    two = Linter(_FaultyReviewer("DIE-NOW", "die", os.getpid(), log), LintOptions(cwd=lib)
                 ).lint(files, jobs=2)
    assert log.exists()
    for field in ("findings", "files", "unreadable", "suppressed", "baselined", "accepted"):
        assert getattr(two, field) == getattr(one, field), field
    assert len(two.files) == len(files) and _children() == before


def test_no_process_to_be_had_means_linting_in_this_one(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # fork failing (EAGAIN: the user's process limit) is a fault a test cannot cause safely.

    _library(tmp_path, 90)
    files = discover([tmp_path])
    linter = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path))
    one = linter.lint(files, jobs=1)

    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    before = _children()
    two = linter.lint(files, jobs=2)
    # (multiprocessing's own fork leaves the pipes it opened for the child open when the fork
    # fails: open descriptors are not counted here.)
    assert _children() == before
    for field in ("findings", "files", "unreadable", "suppressed", "baselined", "accepted"):
        assert getattr(two, field) == getattr(one, field), field


@pytest.mark.parametrize(("fault", "error"), [("raise", RuntimeError),
                                              ("interrupt", KeyboardInterrupt)])
def test_an_error_in_a_parallel_run_is_raised_as_in_one_process_and_ends_the_workers(
        tmp_path: Path, fault: str, error: type[BaseException]) -> None:
    _library(tmp_path, 200)
    # In every file: whichever process lints it first meets it (the main process, for
    # Ctrl-C, which reaches the workers but is ignored there).
    for path in tmp_path.rglob("r*"):
        path.write_text("Your order BREAK-HERE shipped.\n")
    files = discover([tmp_path])
    linter = Linter(_FaultyReviewer("BREAK-HERE", fault, os.getpid()), LintOptions(cwd=tmp_path))
    before = _children()
    with pytest.raises(error):
        linter.lint(files, jobs=1)
    with pytest.raises(error):
        linter.lint(files, jobs=2)
    assert _children() == before


@pytest.mark.parametrize(("n", "workers"), [(0, 2), (10, 2), (2000, 2), (130_000, 2),
                                            (1_000_000, 64), (300_000, 256), (7, 300)])
def test_chunks_cover_the_files_in_order(n: int, workers: int) -> None:
    from drafter.lint.engine import _chunks

    chunks = _chunks(range(n), workers)  # type: ignore[arg-type]
    assert [i for c in chunks for i in c] == list(range(n)) and all(chunks)
    if n == 2000:  # a run of the usual size: chunks of 64, smaller towards the end
        assert len(chunks[0]) == 64 and len(chunks[-1]) <= 4


def test_accepted_findings_are_kept_only_when_asked(tmp_path: Path) -> None:
    _library(tmp_path, 20)
    files = discover([tmp_path])
    keep = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path)).lint(files)
    lean = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path, keep_accepted=False)).lint(files)
    assert keep.accepted and not lean.accepted
    assert lean.findings == keep.findings


def test_workers_apply_a_baseline_as_one_process_does(tmp_path: Path) -> None:
    from drafter.lint.baseline import Baseline

    _library(tmp_path / "lib", 80)
    files = discover([tmp_path / "lib"])
    linter = Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path))
    full = linter.lint(files, jobs=1)
    # Accept the findings of every other file; the rest stay visible.
    keep = {f.path for i, f in enumerate(full.findings) if i % 2}
    base = tmp_path / "baseline.json"
    Baseline.of(base, [a for a in full.accepted if a[0].relative_to(tmp_path).as_posix() in keep]
                ).write(base)
    results = [Linter(Reviewer(GUIDE), LintOptions(cwd=tmp_path, baseline=Baseline.load(base))
                      ).lint(files, jobs=j) for j in (1, 2)]
    assert results[0].baselined > 0 and results[0].findings
    assert results[1].findings == results[0].findings
    assert results[1].baselined == results[0].baselined


def test_cli_jobs_option_changes_nothing_in_the_report(draft, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _library(tmp_path, 70)
    monkeypatch.chdir(tmp_path)
    outs = [draft(["lint", ".", "--format", "json", "-q", *extra])
            for extra in ([], ["-j", "1"], ["--jobs", "2"])]
    assert {r.code for r in outs} == {2}  # broken.md is unreadable
    assert outs[0].stdout == outs[1].stdout == outs[2].stdout
    assert '"findings": [' in outs[0].stdout


OLD_TLD_HINT = re.compile(r"(?i)\." + text_mod._TLDS + r"\b|://|www\.")


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from([
    ".com", ".CoM", "WwW.", "ww", "w", ":/", "://", ".", "io", "x", " ", "\u212a", "ſ", "İ",
    ".uk1", "/", "e.g.", "Ww", "W.",
]), max_size=8).map("".join))
def test_url_hint_is_the_plain_regex(text: str) -> None:
    fast = "." in text and ("://" in text or bool(text_mod._DOT_TLD_RE.search(text))
                            or "www." in text.lower())
    assert fast == ("." in text and OLD_TLD_HINT.search(text) is not None)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.tuples(st.text(max_size=12), st.integers(0, 10**6),
                               st.text(max_size=30), st.one_of(st.none(), st.text(max_size=8))),
                     max_size=6))
def test_json_report_reads_back_as_its_data_one_finding_a_line(
        rows: list[tuple[str, int, str, str | None]]) -> None:
    import json

    from lint_fixtures import placed

    from drafter.lint.report import JsonFormatter, ReportContext, json_data, render

    findings = [placed(path, line, 1, line, 2, "EMP002", "canned-apology", "warning",
                       message, suggestion, suggestion, None)
                for path, line, message, suggestion in rows]
    ctx = ReportContext(files=sorted({f.path for f in findings}), suppressed=1)
    out = render(JsonFormatter, findings, ctx)
    assert json.loads(out) == json_data(findings, ctx)
    lines = out.split("\n")[:-1]  # (splitlines would split at U+0085 in a message too)
    # (the head has 20 lines with an empty "languages" list)
    assert out.endswith("\n") and len(lines) == (21 + len(findings) if findings else 20)


@settings(max_examples=200, deadline=None)
@given(values=st.tuples(
    st.integers(0, 99) | st.booleans() | st.floats(0, 9), st.text(max_size=5) | st.integers(),
    st.none() | st.text(max_size=5) | st.integers() | st.booleans()
    | st.lists(st.integers() | st.text(max_size=3), max_size=3)
    | st.dictionaries(st.text(max_size=3), st.lists(st.none(), max_size=2), max_size=2)))
def test_json_report_with_unusual_field_types_reads_back_as_its_data(
        values: tuple[object, object, object]) -> None:
    # Not what drafter makes, but what a caller of the formatter may pass: the fast path for
    # strings and whole numbers must hand anything else to the general encoder.
    import json

    from lint_fixtures import placed

    from drafter.lint.report import JsonFormatter, ReportContext, json_data, render

    line, message, unit = values
    findings = [placed("a.md", line, 1, 1, 2, "EMP002", "canned-apology",  # type: ignore[arg-type]
                       "warning", message, None, "fix", unit)]  # type: ignore[arg-type]
    ctx = ReportContext(files=["a.md"])
    assert json.loads(render(JsonFormatter, findings, ctx)) == json_data(findings, ctx)


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet=st.characters(max_codepoint=127), max_size=40), data=st.data())
def test_ascii_word_regexes_find_what_the_unicode_ones_find(text: str,
                                                            data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert text_mod.word_re(text) is text_mod.WORD_ASCII_RE
    assert [m.span() for m in text_mod.WORD_ASCII_RE.finditer(text, start, end)] == [
        m.span() for m in text_mod.WORD_RE.finditer(text, start, end)]


PLAIN_ASCII = st.lists(st.one_of(st.sampled_from([
    "we can't ship it until Friday. ", "you'll receive a full refund ", "the customer ",
    "soon ", "as soon as ", "TODO: ", "by 5 pm ", "We apologize for any inconvenience ",
    "I'm sorry ", "e.g. ", "50% off ", "SK-", "\n", " ", "_", "-", "'",
]), st.text(alphabet=st.characters(max_codepoint=127, blacklist_characters="\x1c\x1d\x1e\x1f"),
            max_size=8)), max_size=14).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=PLAIN_ASCII)
def test_ascii_twins_find_what_their_regexes_find_on_plain_ascii_text(text: str) -> None:
    from drafter.review.rules import safety as safety_rules
    from drafter.review.rules import tone as tone_rules

    assert Doc(text, ReviewContext()).plain_ascii
    assert [m.groupdict() for m in tone_rules._CANT_UNTIL_ASCII.finditer(text)] == [
        m.groupdict() for m in tone_rules._CANT_UNTIL.finditer(text)]
    assert bool(safety_rules._13_DIGITS_ASCII.match(text)) == bool(
        safety_rules._13_DIGITS.match(text))


def test_plain_ascii_is_ascii_without_the_separators_only_unicode_reads_as_space() -> None:
    assert Doc("Hello, world.\n", ReviewContext()).plain_ascii
    assert not Doc("a\x1cb", ReviewContext()).plain_ascii
    assert not Doc("café", ReviewContext()).plain_ascii


def _excluded_by_fnmatch(rel: str, name: str, patterns: list[str]) -> bool:
    import fnmatch

    for pat in patterns:
        pat = pat.rstrip("/")
        if fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(rel, pat):
            return True
        if fnmatch.fnmatchcase(rel, pat + "/*") or fnmatch.fnmatchcase("/" + rel, "*/" + pat):
            return True
    return False


@settings(max_examples=500, deadline=None)
@given(rel=st.text(alphabet="ab/.R-", max_size=8),
       patterns=st.lists(st.text(alphabet="ab/*?.[]!-R", max_size=5), max_size=3))
def test_exclude_globs_match_as_fnmatch_matches_them(rel: str, patterns: list[str]) -> None:
    from drafter.lint.sources import _excluded

    name = rel.rsplit("/", 1)[-1]
    assert _excluded(rel, name, patterns) == _excluded_by_fnmatch(rel, name, patterns)


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.one_of(st.sampled_from([
    "password", "PIN", "pin code", "passwd", "pwd", "passcode", "shipping", "x'", "_", " is ",
    ": ", "hunter2", "1234", "İ", "ſ", "é", "\n",
]), st.text(max_size=4)), max_size=10).map("".join))
def test_secret_word_test_never_hides_a_password_match(text: str) -> None:
    from drafter.review.rules import safety

    if safety._PASSWORD_RE.search(text):
        assert safety._has_secret_word(Doc(text, ReviewContext()))


@settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from([
    "https://", "http://x.io/a(b)", "www.", "WwW.", "example", ".com", ".CoM", ".uk", "/path",
    " ", "\n", "\u2003", "(", ")", ".", ",", "a@b.com", "e.g.", "x", "ſ", "\u212a", "-", "_",
    "1.5", "help.example.com/reset", "\"", "'", "]", "<", ">",
]), max_size=16).map("".join))
def test_urls_found_run_by_run_are_the_urls_of_a_whole_scan(text: str) -> None:
    assert text_mod._url_spans(text) == text_mod._url_spans_in(text, 0, len(text))


def test_urls_in_a_very_long_run_are_found_by_a_whole_scan() -> None:
    text = "x" * 2000 + "https://example.com/a" + "y" * 10 + " and www.example.org."
    assert text_mod._url_chunks(text) == [(0, len(text))]
    assert text_mod._url_spans(text) == text_mod._url_spans_in(text, 0, len(text))


def _sentences_as_before(doc: Doc) -> list[tuple[int, int]]:
    """Doc.sentences as first written: the word before every full stop looked at."""
    prose = doc.prose
    b0, b1 = doc.body
    out: list[tuple[int, int]] = []
    start = b0
    for m in text_mod._SENT_END_RE.finditer(prose, b0, b1):
        if m.group() == ".":
            before = text_mod.WORD_RE.findall(prose[max(start, m.start() - 12):m.start()])
            if before and (before[-1].lower() in text_mod._ABBREV or len(before[-1]) == 1):
                continue
            if m.end() < len(prose) and prose[m.end():m.end() + 1].isdigit():
                continue
        end = m.end() if m.group()[0] in ".!?…" else m.start()
        _append_trimmed(out, prose, start, end)
        start = m.end()
    _append_trimmed(out, prose, start, b1)
    return out


def _append_trimmed(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    """Add the span of text[start:end] without its outer whitespace, if it has a word."""
    piece = text[start:end]
    core = piece.strip()
    if core:
        start += len(piece) - len(piece.lstrip())
        if text_mod.WORD_RE.search(text, start, start + len(core)):
            out.append((start, start + len(core)))


@settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from([
    "etc. ", "Mrs. ", "approx. ", "Inc. ", "Dept.", "prof. ", "a. ", "e.g. ", "today. ",
    "ETC. ", "xetc. ", "fig.", "1.5 ", "Ltd.\n", "word", " ", "\n\n", "? ", "é", "İnc. ", "_etc.",
    "o'etc. ", "-etc. ", "abc", ".", "x",
]), max_size=14).map("".join))
def test_sentences_split_as_before(text: str) -> None:
    doc = FULL_REVIEWER.doc(text, ReviewContext())
    assert doc.sentences == _sentences_as_before(doc)
    words = [tuple(text_mod.WORD_RE.findall(doc.prose, s, e)) for s, e in doc.sentences]
    assert doc.sentence_words == words
    other = FULL_REVIEWER.doc(text, ReviewContext())
    assert other.sentence_words == words  # asked for before the sentences
    assert other.sentences == doc.sentences


def test_findings_made_fast_are_the_findings_dataclasses_make() -> None:
    import dataclasses
    import pickle

    from drafter.review.finding import new_finding

    args = ("EMP002", "canned-apology", "warning", "m", 3, 9, 1, 4, None, "fix it")
    for extra in ((), ("a.md", 1, 10, "Refund")):
        fast, slow = new_finding(*args, *extra), Finding(*args, *extra)  # type: ignore[arg-type]
        assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
        assert dataclasses.asdict(fast) == dataclasses.asdict(slow)
        assert fast.to_dict() == slow.to_dict()
        assert pickle.loads(pickle.dumps(fast)) == slow
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.code = "X"  # type: ignore[misc]


@settings(max_examples=500, deadline=None)
@given(text=st.lists(st.sampled_from([
    "Hi Jane,\n", "Jane's ", "x'Jane ", "“quoted words”", '"said it" ', "`code it` ", "> quoted line\n",
    "https://example.com/a ", "a@b.com ", "{{ name }}", "[NAME]", "note to self ", "TODO: ",
    "don't ", " ", "\n", "İ", "ſ", "é", "’", "'", "-", "_", "internal only", "x",
]), max_size=14).map("".join), name=st.sampled_from([None, "Jane Doe", "O'Neil"]))
def test_word_runs_of_a_view_are_its_words(text: str, name: str | None) -> None:
    doc = FULL_REVIEWER.doc(text, ReviewContext(customer_name=name))
    for view in ("prose", "nocode", "text"):
        runs = doc.runs(view)
        assert runs.text is text_mod.view_of(doc, view)
        words = list(re.finditer(r"\w+", runs.text))
        assert [(m.start(), m.end()) for m in words] == list(zip(runs.starts, runs.ends,
                                                                 strict=True))
        assert runs.keys == [matching.fold(m.group()) for m in words]
        assert set(runs.index) == runs.words == set(runs.keys)


@settings(max_examples=200, deadline=None)
@given(text=st.lists(st.one_of(st.sampled_from([
    "TODO: ", "note to self ", "internal only ", "`note to self` ", "“internal only” ",
    "https://x.io/internal ", "{{ note }} ", "Jane ", "> do not send\n", "don't send this ",
    "do not share with the customer", "'", "’", "İ", " ", "\n",
]), st.text(max_size=4)), max_size=12).map("".join), name=st.sampled_from([None, "Jane Doe"]))
def test_phrase_regexes_find_in_every_view_what_a_plain_scan_finds(text: str,
                                                                 name: str | None) -> None:
    doc = FULL_REVIEWER.doc(text, ReviewContext(customer_name=name))
    for view in ("nocode", "text", "prose"):
        source = text_mod.view_of(doc, view)
        for phrases in all_phrases():
            assert [m.span() for m in checks.finditer(doc, phrases, view)] == plain_scan(
                phrases, source), view


# -- words found once for the sentences --------------------------------

WORDY_TEXTS = st.text(alphabet="aB1 '’-_.!?\n:é", max_size=40)


@given(text=WORDY_TEXTS)
@example(text="I’m well-known, o''k? foo_bar. it's done.\n\nNext: e-mail")
def test_sentence_words_are_what_their_own_scan_finds(text: str) -> None:
    doc = Doc(text, ReviewContext())
    words = text_mod.word_re(doc.prose)
    assert doc.sentence_words == [tuple(words.findall(doc.prose, s, e)) for s, e in doc.sentences]
