"""Draft -> review -> revise, up to N rounds; keep the best draft and what is still wrong."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from drafter.greetings import greeting_line, greetings_for, sign_off_line
from drafter.prompting import instructions
from drafter.review.context import ReviewContext
from drafter.review.finding import SEVERITY_RANK, Finding, at_or_above
from drafter.tickets.model import Ticket

if TYPE_CHECKING:
    from drafter.review.reviewer import Coverage


class Completer(Protocol):
    """What the pipeline needs from a model client."""

    model: str

    def complete(self, messages: Sequence[dict[str, str]],
                 on_token: Callable[[str], None] | None = None) -> Any: ...


class Reviewing(Protocol):
    """What the pipeline needs from the reviewer."""

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]: ...

    def coverage_of(self, text: str) -> Coverage: ...


@dataclass
class Round:
    """One model call and the reviewer's verdict on its draft."""

    index: int  # 0 is the first draft, 1.. are revisions
    body: str
    findings: list[Finding]
    usage: dict[str, int]
    latency: float
    attempts: int
    cut_off: bool = False  # the model hit the token limit; its unfinished sentence was dropped

    def score(self) -> tuple[int, ...]:
        """Sort key: fewer errors, then fewer warnings, then fewer infos is better."""
        counts = {s: 0 for s in SEVERITY_RANK}
        for f in self.findings:
            counts[f.severity] += 1
        return counts["error"], counts["warning"], counts["info"]


@dataclass
class Result:
    """The outcome of drafting a reply: the kept draft, what is still wrong, and the cost."""

    text: str  # greeting + body + sign-off, ready for an agent to check
    body: str
    findings: list[Finding]
    model: str
    rounds: list[Round]
    kept_round: int
    timings: dict[str, float] = field(default_factory=dict)
    # The draft's language and the principles the reviewer could not check in it.
    coverage: Coverage | None = None
    # The team's knowledge the model was given (Passages), and the canned response it started
    # from, if any (docs/knowledge.md).
    sources: list[Any] = field(default_factory=list)
    started_from: str | None = None
    why: str = ""  # which round was kept, and why the revising stopped

    @property
    def usage(self) -> dict[str, int]:
        """Token usage summed over every round; {} when a round's counts are unknown."""
        total: dict[str, int] = {}
        if any(not r.usage for r in self.rounds):
            return total
        for r in self.rounds:
            for k, v in r.usage.items():
                total[k] = total.get(k, 0) + v
        return total

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data."""
        return {
            "draft": self.text,
            "body": self.body,
            "findings": [f.to_dict() for f in self.findings],
            "model": self.model,
            "usage": self.usage,
            "revisions": len(self.rounds) - 1,
            "kept_round": self.kept_round,
            "kept_why": self.why,
            "rounds": [
                {"index": r.index, "findings": len(r.findings), "usage": r.usage,
                 "latency_s": round(r.latency, 4), "attempts": r.attempts, "cut_off": r.cut_off}
                for r in self.rounds
            ],
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "language": self.coverage.to_dict() if self.coverage is not None else None,
            "sources": [{"id": p.id, "kind": p.kind, "source": p.source, "heading": p.heading,
                         "score": round(p.score, 4)} for p in self.sources],
            "started_from": self.started_from,
        }


# Models (and canned responses) bring their own greeting and sign-off; drafter writes those
# itself. What SAN004 flags as a greeting or sign-off line inside a body is what is cut here.
_SUBJECT = re.compile(r"\A\s*subject:[^\n]*\n", re.IGNORECASE)
# Small models echo the data delimiters of the reply prompt around their answer.
_DELIMITER_LINE = re.compile(r"^[ \t]*</?(?:ticket|message|subject|reference|passage|canned)\b"
                             r"[^>\n]*>[ \t]*$\n?",
                             re.IGNORECASE | re.MULTILINE)
# The end of a finished sentence: . ! ? (or a colon ending a line), maybe closed by a quote or bracket.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s|\Z)|:(?=[ \t]*(?:\n|\Z))")


def drop_unfinished(text: str) -> str:
    """Cut a text the token limit stopped mid-sentence back to its last finished sentence."""
    ends = list(_SENTENCE_END.finditer(text))
    # With no finished sentence at all, a fragment is still more use to the agent than nothing.
    return text[: ends[-1].end()].rstrip() if ends else text.rstrip()


def clean_body(text: str, cut_off: bool = False) -> str:
    """Strip what the model should not have written: a subject, a greeting, a sign-off block.

    `cut_off` says the model stopped at the token limit: its unfinished last sentence goes too.
    """
    body = _DELIMITER_LINE.sub("", text).strip()
    if cut_off:
        body = drop_unfinished(body)
    body = _SUBJECT.sub("", body, count=1)
    opening = greeting_line().match(body)
    if opening is not None:
        body = body[opening.end():].strip()
    # Cut at the last sign-off line when only a short signature block follows it.
    matches = list(sign_off_line().finditer(body))
    if matches:
        tail = body[matches[-1].end():].strip()
        if len(tail.splitlines()) <= 3 and len(tail) <= 120:
            body = body[: matches[-1].start()].rstrip()
    # A draft that was nothing but furniture (an echoed "<ticket>" and "<subject>") stays as
    # written: the reviewer says what is wrong with it, and an empty draft would hide that.
    return body.strip() or text.strip()


def compose(body: str, ticket: Ticket | None, team: Mapping[str, Any], channel: str = "email",
            language: str | None = None) -> str:
    """Wrap the body in the team's greeting and sign-off for `channel` and the customer's
    `language` (drafter's job, not the model's; chat has none by default)."""
    words = greetings_for(team, channel, language)
    parts = [words.open(ticket.customer_first_name if ticket is not None else None), body,
             words.close()]
    return "\n\n".join(p for p in parts if p) + "\n"


def blocking(findings: Sequence[Finding], threshold: str) -> list[Finding]:
    """Return the findings at or above `threshold`."""
    return [f for f in findings if at_or_above(f.severity, threshold)]


def revisable(guide: Any, code: str) -> bool:
    """Whether a revision is asked to fix rule `code`'s findings: its `revise` setting in the
    guide (`[rules.CODE] revise = false` for what the model cannot fix), true when unset."""
    found = guide.rule_settings(code) if guide is not None else None
    return bool(found[0].get("revise", True)) if found else True


def next_revision(rounds: Sequence[Round], revise_on: str, guide: Any,
                  max_revisions: int) -> tuple[list[Finding], str]:
    """After the last of `rounds`: the findings to ask a revision to fix, or none and why not.

    A revision is asked for findings at or above `revise_on` of rules that may be revised, and
    only while revising helps: a round no better than the best before it ends the loop.
    """
    last = rounds[-1]
    if len(rounds) > 1:
        best = min(rounds[:-1], key=lambda r: (r.score(), r.index))
        if last.score() >= best.score():
            return [], f"round {last.index} was no better than round {best.index}"
    remaining = blocking(last.findings, revise_on)
    if not remaining:
        return [], f"no findings at or above {revise_on} (draft.revise_on)"
    fixable = [f for f in remaining if revisable(guide, f.code)]
    if not fixable:
        codes = ", ".join(sorted({f.code for f in remaining}))
        return [], f"its findings at or above {revise_on} are not revised ({codes}: revise = false)"
    if len(rounds) > max_revisions:
        return [], f"{max_revisions} revision{'s' if max_revisions != 1 else ''} (draft.max_revisions)"
    return fixable, ""


def _counts(r: Round) -> str:
    errors, warnings, infos = r.score()
    return f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning" \
        f"{'s' if warnings != 1 else ''}, {infos} info{'s' if infos != 1 else ''}"


class AsyncCompleter(Protocol):
    """What the async pipeline needs from a model client."""

    model: str

    async def complete(self, messages: Sequence[dict[str, str]],
                       on_token: Callable[[str], None] | None = None) -> Any: ...


# The loop body, shared by `run` and `arun`: it yields the messages to send and is sent back
# the model's completion; the caller only makes the call (blocking or awaited).
_Steps = Generator[list[dict[str, str]], Any, "Result"]


def _steps(
    ticket: Ticket,
    *,
    prompts: Any,
    guide: Any,
    model: str,
    reviewer: Reviewing,
    context: ReviewContext,
    team: Mapping[str, str],
    channel: str,
    max_revisions: int,
    revise_on: str,
    on_round: Callable[[Round, bool], None] | None,
    reference: Sequence[Any] = (),
    start: Any = None,
    language: str | None = None,
) -> _Steps:
    timings = {"prompting": 0.0, "model": 0.0, "review": 0.0}
    t0 = time.perf_counter()
    # Only with knowledge: a Prompts-like object of a team's own need not know the arguments.
    grounding: dict[str, Any] = {"reference": reference, "start": start} if reference or start else {}
    if getattr(prompts, "short", False):  # the short prompt picks principles by these
        grounding["signals"] = signals_of(context)
    first = prompts.reply_messages(guide, team, ticket, channel, **grounding)
    # The reviewer checks every draft against the prompt's own words (SAN001).
    context = replace(context, prompt=instructions(first), model_draft=True)
    first_context = context
    timings["prompting"] += time.perf_counter() - t0

    rounds: list[Round] = []
    messages = first
    while True:
        t0 = time.perf_counter()
        completion = yield messages
        timings["model"] += time.perf_counter() - t0

        t0 = time.perf_counter()
        cut_off = completion.finish_reason == "length"
        text = prompts.assemble(completion.text) if getattr(prompts, "structured", False) \
            else completion.text
        body = clean_body(text, cut_off)
        findings = reviewer.review(body, context)
        timings["review"] += time.perf_counter() - t0

        current = Round(len(rounds), body, findings, completion.usage.to_dict(),
                        completion.latency, completion.attempts, cut_off)
        rounds.append(current)
        remaining, stopped = next_revision(rounds, revise_on, guide, max_revisions)
        more = bool(remaining)
        if on_round is not None:
            on_round(current, more)
        if not more:
            break
        t0 = time.perf_counter()
        messages = prompts.revise_messages(first, body, remaining)
        context = replace(context, prompt=instructions(messages))  # the revision's prompt too
        timings["prompting"] += time.perf_counter() - t0
    result = result_of(rounds, ticket, team, model, timings, channel=channel, language=language,
                       stopped=stopped)
    if start is not None:
        t0 = time.perf_counter()
        body = clean_body(start.text)
        canned = Round(CANNED_ROUND, body, reviewer.review(body, first_context), {}, 0.0, 0)
        result.timings["review"] += time.perf_counter() - t0
        result = keep_canned_if_better(result, canned, start.id, ticket, team, channel, language)
    result.coverage = reviewer.coverage_of(result.body)
    result.sources = [*([start.passage] if start is not None else []), *reference]
    result.started_from = start.id if start is not None else None
    return result


def signals_of(context: ReviewContext) -> dict[str, bool | None]:
    """What the reviewer read in the customer's words, for choosing the short prompt's principles."""
    return {"upset": context.upset, "reports_problem": context.reports_problem,
            "asks_question": context.asks_question}


# `Result.kept_round` when no round of the model's beat the canned response it started from.
CANNED_ROUND = -1


def keep_canned_if_better(result: Result, canned: Round, canned_id: str, ticket: Ticket | None,
                          team: Mapping[str, Any], channel: str = "email",
                          language: str | None = None) -> Result:
    """`result`, or the canned response the draft started from (its variables filled, reviewed
    as `canned`) when it is strictly better than every round of the model's.

    The model was asked to adapt the team's own answer; an adaptation that leaves more wrong
    than the answer itself is not kept, as a revision is not kept unless it is better.
    """
    if canned.score() >= result.rounds[result.kept_round].score():
        return result
    return replace(
        result, text=compose(canned.body, ticket, team, channel, language), body=canned.body,
        findings=canned.findings, kept_round=CANNED_ROUND,
        why=f"the canned response {canned_id} as filled ({_counts(canned)}): no round of the "
            f"model's was better; the model's best: {result.why}")


def result_of(rounds: Sequence[Round], ticket: Ticket | None, team: Mapping[str, Any], model: str,
              timings: dict[str, float] | None = None, *, channel: str = "email",
              language: str | None = None, stopped: str = "") -> Result:
    """Keep the best of `rounds` and wrap it (greeting and sign-off for `channel` and
    `language`) as the Result; `stopped` says why no further round was asked for."""
    # A revision replaces the earlier draft only when it is strictly better.
    kept = min(rounds, key=lambda r: (r.score(), r.index))
    why = (f"round {kept.index} ({_counts(kept)})"
           + (f", the best of {len(rounds)} rounds" if len(rounds) > 1 else "")
           + (f"; no more revising: {stopped}" if stopped else ""))
    timings = dict(timings or {})
    timings["total"] = sum(timings.values())
    return Result(
        text=compose(kept.body, ticket, team, channel, language), body=kept.body, findings=kept.findings,
        model=model, rounds=list(rounds), kept_round=kept.index, timings=timings, why=why,
    )


def run(
    ticket: Ticket,
    *,
    prompts: Any,
    guide: Any,
    client: Completer,
    reviewer: Reviewing,
    context: ReviewContext,
    team: Mapping[str, str],
    channel: str,
    max_revisions: int = 2,
    revise_on: str = "warning",
    on_token: Callable[[str], None] | None = None,
    on_round: Callable[[Round, bool], None] | None = None,
    reference: Sequence[Any] = (),
    start: Any = None,
    language: str | None = None,
) -> Result:
    """Draft a reply to `ticket`, review it, and revise while findings at or above `revise_on` remain.

    `reference` (Passages) is given to the model as what the team knows; `start` (a canned
    response, with `id`, `text` and its `passage`) as the answer to start from. `language` is
    the customer's (ISO 639-1): the greeting and sign-off are in it.
    """
    steps = _steps(ticket, prompts=prompts, guide=guide, model=client.model, reviewer=reviewer,
                   context=context, team=team, channel=channel, max_revisions=max_revisions,
                   revise_on=revise_on, on_round=on_round, reference=reference, start=start,
                   language=language)
    try:
        messages = next(steps)
        while True:
            messages = steps.send(client.complete(messages, on_token=on_token))
    except StopIteration as done:
        result: Result = done.value
        return result


async def arun(
    ticket: Ticket,
    *,
    prompts: Any,
    guide: Any,
    client: AsyncCompleter,
    reviewer: Reviewing,
    context: ReviewContext,
    team: Mapping[str, str],
    channel: str,
    max_revisions: int = 2,
    revise_on: str = "warning",
    on_token: Callable[[str], None] | None = None,
    on_round: Callable[[Round, bool], None] | None = None,
    reference: Sequence[Any] = (),
    start: Any = None,
    language: str | None = None,
) -> Result:
    """`run` for asyncio: the same rounds, awaiting the model instead of blocking on it."""
    steps = _steps(ticket, prompts=prompts, guide=guide, model=client.model, reviewer=reviewer,
                   context=context, team=team, channel=channel, max_revisions=max_revisions,
                   revise_on=revise_on, on_round=on_round, reference=reference, start=start,
                   language=language)
    try:
        messages = next(steps)
        while True:
            messages = steps.send(await client.complete(messages, on_token=on_token))
    except StopIteration as done:
        result: Result = done.value
        return result
