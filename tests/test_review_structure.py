"""A reply's structure: a must-parse table of realistic replies, and properties of the spans on
arbitrary text."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from drafter.review import structure
from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.review.structure import (
    BLOCKS,
    GREETING,
    NOT_PROSE,
    PARAGRAPH,
    SIGN_OFF,
    Structure,
    parse,
)
from drafter.styleguide import load_styleguide


def parts_of(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each part of `text`."""
    return [(kind, text[start:end]) for kind, start, end in parse(text).parts]


# Written for these tests, in the shapes real replies take on each channel.
MUST_PARSE: list[tuple[str, list[tuple[str, str]]]] = [
    # Social: handles, an agent's initials in their common forms, split-message counters.
    ("@4471 Sorry the lounge was closed! Can you DM us your booking code? ^KJ",
     [("handle", "@4471"), ("paragraph", "Sorry the lounge was closed! Can you DM us your "
                                         "booking code?"), ("signature", "^KJ")]),
    ("@ana_b @shopco Thanks for the photo, we've passed it to the store team. -JN",
     [("handle", "@ana_b"), ("handle", "@shopco"),
      ("paragraph", "Thanks for the photo, we've passed it to the store team."),
      ("signature", "-JN")]),
    ("@881 Your seat is confirmed for tomorrow. *ACJ",
     [("handle", "@881"), ("paragraph", "Your seat is confirmed for tomorrow."),
      ("signature", "*ACJ")]),
    ("@881 Hi Sam, the update fixes the crash. ~Ann",
     [("handle", "@881"), ("greeting", "Hi Sam,"), ("paragraph", "the update fixes the crash."),
      ("signature", "~Ann")]),
    ("@881 We'll post the new times here tonight. - Becky",
     [("handle", "@881"), ("paragraph", "We'll post the new times here tonight."),
      ("signature", "- Becky")]),
    ("@881 Please return it to any of our shops with the receipt. TY - Struan 4/4",
     [("handle", "@881"), ("paragraph", "Please return it to any of our shops with the "
                                        "receipt."),
      ("sign_off", "TY"), ("signature", "- Struan"), ("counter", "4/4")]),
    ("@881 (2/3) The refund takes five working days to reach the card. ^mb",
     [("handle", "@881"), ("counter", "(2/3)"),
      ("paragraph", "The refund takes five working days to reach the card."),
      ("signature", "^mb")]),
    ("@881 We're looking into the outage now 1/2",
     [("handle", "@881"), ("paragraph", "We're looking into the outage now"),
      ("counter", "1/2")]),
    ("@881 Here's how to reset it: https://t.co/Xy12AbCd ^LM https://t.co/Qw34ErTy",
     [("handle", "@881"), ("paragraph", "Here's how to reset it: https://t.co/Xy12AbCd"),
      ("signature", "^LM"), ("attachment", "https://t.co/Qw34ErTy")]),
    ("@881 So glad you enjoyed the flight! ☺-Mia",
     [("handle", "@881"), ("paragraph", "So glad you enjoyed the flight! ☺"),
      ("signature", "-Mia")]),
    ("@881 Which phone are you using? KB",
     [("handle", "@881"), ("paragraph", "Which phone are you using?"), ("signature", "KB")]),
    # Email: greeting, paragraphs, lists, quote, code, link, closing, sign-off, signature.
    ("Hi Jane,\n\nYour order left the warehouse today.\n\n1. Open Orders.\n2. Tap Track.\n"
     "   The map shows where it is.\n\nHope this helps!\n\nBest regards,\nAnna Smith\n"
     "Customer Care, Lamp & Co",
     [("greeting", "Hi Jane,"), ("paragraph", "Your order left the warehouse today."),
      ("numbered_list", "1. Open Orders.\n2. Tap Track.\n   The map shows where it is."),
      ("closing", "Hope this helps!"), ("sign_off", "Best regards,"),
      ("signature", "Anna Smith\nCustomer Care, Lamp & Co")]),
    ("Dear Sir or Madam,\nWe have your request.\nBefore you send it back:\n- wipe it\n"
     "- pack the cable\nThanks,\nOmar",
     [("greeting", "Dear Sir or Madam,"), ("paragraph", "We have your request.\nBefore you "
                                                        "send it back:"),
      ("bulleted_list", "- wipe it\n- pack the cable"), ("sign_off", "Thanks,"),
      ("signature", "Omar")]),
    ("> Where is my parcel?\n> It was due Monday.\n\nIt is at the depot and goes out today.\n\n"
     "    $ lampctl reset --all\n\nhttps://help.example.com/reset\n\nSent from my iPhone",
     [("quote", "> Where is my parcel?\n> It was due Monday."),
      ("paragraph", "It is at the depot and goes out today."),
      ("code", "$ lampctl reset --all"), ("link", "https://help.example.com/reset"),
      ("signature", "Sent from my iPhone")]),
    ("Run this:\n```\nlampctl reset\n\nlampctl start\n```\nThen tell me what it prints.",
     [("paragraph", "Run this:"), ("code", "```\nlampctl reset\n\nlampctl start\n```"),
      ("paragraph", "Then tell me what it prints.")]),
    # What is not a signature: a list's last item, a link's path, the customer's name, a
    # capitalised last word with a full stop, a date.
    ("Pick one:\n- Anna\n- Becky", [("paragraph", "Pick one:"),
                                     ("bulleted_list", "- Anna\n- Becky")]),
    ("The guide is at https://help.example.com/Setup", [
        ("paragraph", "The guide is at https://help.example.com/Setup")]),
    ("Thanks for your patience, Phil.", [("paragraph", "Thanks for your patience, Phil.")]),
    ("One. Two. Three. Four. Five. Six.", [("paragraph", "One. Two. Three. Four. Five. Six.")]),
    ("The sale ends on 12/3", [("paragraph", "The sale ends on 12/3")]),
    ("and/or Settings", [("paragraph", "and/or Settings")]),
    ("Thanks!", [("paragraph", "Thanks!")]),
    ("Evening flights are full.\nMorning ones have seats.",
     [("paragraph", "Evening flights are full.\nMorning ones have seats.")]),
    ("Your parcel is on its way.\nSent from our Leeds depot",
     [("paragraph", "Your parcel is on its way.\nSent from our Leeds depot")]),
    ("Hey Daniel\nGreat idea, we'll pass it on.",
     [("greeting", "Hey Daniel"), ("paragraph", "Great idea, we'll pass it on.")]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), MUST_PARSE)
def test_must_parse(text: str, expected: list[tuple[str, str]]) -> None:
    assert parts_of(text) == expected


def check_spans(text: str, structure: Structure) -> None:
    """Spans are in order, non-empty, non-overlapping and within the text; no part starts or
    ends in whitespace."""
    end = 0
    for part in structure.parts:
        _, start, stop = part
        assert end <= start < stop <= len(text), (part, text)
        assert not text[start].isspace() and not text[stop - 1].isspace(), part
        end = stop


REPLY_PIECES = st.sampled_from([
    "@4471 ", "@shop_co ", "1/2 ", "(2/3) ", "Hi Jane,", "Hello there!", "Dear Sir or Madam,\n",
    "Your order shipped.", " We're sorry!", " Can you DM us?", "\n", "\n\n", "1. Open Orders.\n",
    "2) Tap Track.\n", "- wipe it\n", "* pack it\n", "> quoted line\n", "    $ lampctl reset\n",
    "```\n", "https://t.co/Xy12 ", "www.example.com/x\n", "Hope this helps!\n", "Best regards,\n",
    "Anna\n", "Sent from my iPhone", "-- \n", " ^KJ", " -JN", " *ACJ", " ~Ann", " - Becky",
    " TY - Struan", " 4/4", " KB", "Rgds, Idea Care", " ☺-Mia", " go-DD", "/BH", "  ", "\t",
])


@settings(max_examples=400, deadline=None)
@given(st.lists(REPLY_PIECES, max_size=25).map("".join))
def test_spans_in_order_and_inside_on_reply_like_text(text: str) -> None:
    check_spans(text, parse(text))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_spans_in_order_and_inside_on_arbitrary_text(text: str) -> None:
    check_spans(text, parse(text))


def test_doc_parses_once_with_the_guides_greetings_and_sign_offs() -> None:
    reviewer = Reviewer(load_styleguide())
    doc = reviewer.doc("Morning Jane,\n\nIt ships today.\n\nWarm regards,\nOmar", ReviewContext())
    assert doc.structure is doc.structure
    kinds = [kind for kind, _, _ in doc.structure.parts]
    assert kinds == ["greeting", "paragraph", "sign_off", "signature"]


@pytest.mark.parametrize("text", [
    "a-" * 100_000, "^" * 200_000, "@a " * 50_000, "1. x\n" * 40_000, "Hi " * 70_000,
    "A" * 200_000, "\n" * 200_000, ("word " * 40 + "\n") * 2_000,
])
def test_parse_time_grows_linearly(text: str) -> None:
    started = time.perf_counter()
    check_spans(text, parse(text))
    assert time.perf_counter() - started < 2.0


@settings(max_examples=300, deadline=None)
@given(st.lists(REPLY_PIECES, max_size=25).map("".join), st.data())
def test_inside_is_whether_one_part_of_the_kinds_holds_the_span(text: str,
                                                                 data: st.DataObject) -> None:
    # inside() looks only at the parts before the span (they ascend and do not overlap); the
    # answer is the definition's, read from every part.
    structure = parse(text)
    kinds = data.draw(st.sampled_from([NOT_PROSE, BLOCKS, frozenset({PARAGRAPH}),
                                       frozenset({GREETING, SIGN_OFF}), frozenset()]))
    for _ in range(10):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        every = any(s <= start and end <= e for kind, s, e in structure.parts if kind in kinds)
        assert structure.inside(start, end, kinds) == every, (start, end, structure.parts)


PROSE_PIECES = st.sampled_from(["a", "Your order shipped.", " ", "\t", "\r", "\n", "\n\n",
                                "\n \n", "\n\t\r\n", "\x0b", "\u2003", "é"])


@settings(max_examples=400, deadline=None)
@given(st.lists(PROSE_PIECES, max_size=30).map("".join))
def test_paragraphs_are_the_trimmed_stretches_between_blank_lines(text: str) -> None:
    assume(structure._SPECIAL_START_RE.search(text) is None)  # no line a list or code starts
    expected, at = [], 0
    for blank in [*re.finditer(r"\n[ \t\r]*\n", text), None]:
        stretch = text[at:blank.start() if blank else len(text)]
        if stretch.strip():
            start = at + len(stretch) - len(stretch.lstrip())
            expected.append((PARAGRAPH, start, start + len(stretch.strip())))
        at = blank.end() if blank else len(text)
    assert structure._blocks(text, 0, len(text)) == expected
