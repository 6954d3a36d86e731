"""Context signals from a ticket: is the customer upset, reporting a problem, asking a question?

The word lists are data in the style guide (`[rules.EMP001]` upset_words / upset_mark_words /
upset_patterns / praise_words / problem_words, `[rules.DIR005]` question_starts /
question_phrases), next to the rules that use the signals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from drafter.review.checks import compile_phrases, get_list, negated
from drafter.review.context import ReviewContext
from drafter.review.matching import Phrases, Runs
from drafter.review.text import Doc

if TYPE_CHECKING:
    from drafter.styleguide import StyleGuide
    from drafter.tickets.model import Ticket


class Signals:
    """Compiled signal word lists; build once, then `detect` on many texts."""

    def __init__(self, guide: StyleGuide) -> None:
        emp = _settings(guide, "EMP001")
        direct = _settings(guide, "DIR005")
        self.upset = compile_phrases(get_list(emp, "upset_words"))
        # Marks that praise turns into cheer: swearing, "!!", capitals, faces.
        self.upset_marks = compile_phrases(get_list(emp, "upset_mark_words"),
                                           get_list(emp, "upset_patterns"),
                                           phrases_key="upset_mark_words", key="upset_patterns")
        self.praise = compile_phrases(get_list(emp, "praise_words"))
        self.problem = compile_phrases(get_list(emp, "problem_words"),
                                       get_list(emp, "problem_patterns"))
        # A sentence that opens with "how", "can you", ... asks even without a question mark.
        self.question = compile_phrases(get_list(direct, "question_starts"))
        # ... and one of these asks wherever it stands, in a run-on message with no "?".
        self.question_anywhere = compile_phrases(get_list(direct, "question_phrases"))

    def detect(self, text: str) -> dict[str, bool]:
        """Return upset / reports_problem / asks_question for the customer's words `text`."""
        doc = Doc(text, ReviewContext())
        prose = doc.prose  # quotes of earlier messages, URLs and code do not count
        return {
            # "!!!" and capitals in praise ("I LOVE this!!") are cheer, not anger.
            "upset": _found(self.upset, prose) or (
                _found(self.upset_marks, prose, marks=True) and not _found(self.praise, prose)),
            "reports_problem": _found(self.problem, prose),
            "asks_question": "?" in prose or _opens_a_sentence(self.question, prose)
            or _found(self.question_anywhere, prose),
        }


def _settings(guide: StyleGuide, code: str) -> Mapping[str, Any]:
    found = guide.rule_settings(code)
    return found[0] if found else {}


def _found(phrases: Phrases | None, prose: str, marks: bool = False) -> bool:
    """Whether one of `phrases` is in `prose`, not negated; with `marks`, a mark that is no word
    (an angry face, "!!") counts after a negation too: "not a member😠" is still angry."""
    if phrases is None:
        return False
    return any((marks and not prose[m.start()].isalnum()) or not negated(prose, m.start())
               for m in phrases.finditer(prose))


# Where a sentence's first word may stand: after the start, a line break or an end mark, and
# any space and @handles ("@TMobileHelp What app should I use").
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?\n]))\s*(?:[.]?@\w+[:,]?\s+)*", re.M)


def _opens_a_sentence(phrases: Phrases | None, prose: str) -> bool:
    """Whether one of `phrases` starts a sentence of `prose`."""
    if phrases is None:
        return False
    starts = {s for s, _ in phrases.literal_hits(Runs(prose))}
    regex = phrases.regex
    return any(m.end() in starts or (regex is not None and regex.match(prose, m.end()))
               for m in _SENTENCE_START.finditer(prose))


# Keyed by id; the guide is kept alive beside its signals, so an id is never reused.
_CACHE: dict[int, tuple[StyleGuide, Signals]] = {}


def signals_for(guide: StyleGuide) -> Signals:
    """The guide's compiled signal lists, built once per guide."""
    cached = _CACHE.get(id(guide))
    if cached is None:
        cached = _CACHE[id(guide)] = (guide, Signals(guide))
    return cached[1]


def fill(context: ReviewContext, guide: StyleGuide) -> ReviewContext:
    """`context` with the signals it leaves unknown read from its customer's words."""
    found = signals_for(guide).detect(context.customer_text or "")
    return replace(
        context,
        upset=found["upset"] if context.upset is None else context.upset,
        reports_problem=found["reports_problem"] if context.reports_problem is None
        else context.reports_problem,
        asks_question=found["asks_question"] if context.asks_question is None
        else context.asks_question)


def context_from_ticket(
    ticket: Ticket,
    guide: StyleGuide | None = None,
    channel: str | None = None,
    body_only: bool = False,
) -> ReviewContext:
    """Derive the review context from `ticket`: channel, name and the customer's latest words."""
    if guide is None:
        from drafter.styleguide import load_styleguide

        guide = load_styleguide()
    signals = signals_for(guide)
    latest = ticket.latest_customer_message
    words = (latest.latest or latest.body).strip() if latest is not None else ""
    detected: dict[str, bool | None] = dict(signals.detect(words)) if words else {
        "upset": None, "reports_problem": None, "asks_question": None}
    name = ticket.customer_name or (latest.sender_name if latest is not None else None)
    # Who wrote each message and when: a draft may name the date a message came.
    senders = [f"{m.sender_name or ''} {m.sender_address or ''} {m.date or ''}"
               for m in ticket.messages]
    return ReviewContext(
        channel=channel or ticket.channel or None,
        customer_name=name.strip().strip('"') if name and "@" not in name else None,
        customer_text=words or None,
        upset=detected["upset"],
        reports_problem=detected["reports_problem"],
        asks_question=detected["asks_question"],
        body_only=body_only,
        ticket_text="\n".join([
            ticket.subject or "", ticket.customer_name or "", ticket.customer_address or "",
            *(m.subject or "" for m in ticket.messages), *(m.body for m in ticket.messages),
            *senders]),
        team_text="\n".join([ticket.customer_name or "", ticket.customer_address or "", *senders,
                             *(m.body for m in ticket.messages if m.from_team)]),
    )
