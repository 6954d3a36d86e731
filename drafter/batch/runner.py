"""Concurrent batches: draft, review and revise many stored tickets with bounded requests in flight.

Every ticket's outcome is written to the store in its own transaction the moment it is known, so
an interrupted or killed run leaves finished drafts in place and nothing half-written; the next
run skips what is done. A fault that hits every request (a refused key, an unknown model, a
broken template) or the store (full, read-only) stops the run at once instead of failing each
ticket in turn. Each ticket is claimed in the store before its first request, so runs at the
same time on one store share the work instead of drafting every ticket twice.

At most `concurrency` tickets are worked on at once: as many workers take tickets in turn and
take each through its requests, review and storing; so at most `concurrency` model requests
are in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from drafter import pipeline
from drafter.batch.costs import PriceTable, estimate_tokens
from drafter.config import redact
from drafter.errors import ConfigError, DrafterError, TemplateError
from drafter.llm.client import ServiceRefused
from drafter.review.finding import at_or_above
from drafter.store import Store, StoredDraft
from drafter.store.claims import CLAIM_SECONDS, new_owner
from drafter.tickets.model import reply_channel

CURRENT_TICKET: contextvars.ContextVar[int | None] = contextvars.ContextVar("ticket", default=None)
USAGE_KEYS = ("prompt_tokens", "cached_tokens", "completion_tokens", "total_tokens")


class CachedPrompts:
    """The Prompts object with each channel's system prompt rendered once per run, not per ticket."""

    def __init__(self, prompts: Any) -> None:
        self.prompts = prompts
        self.env = prompts.env
        self._system: dict[tuple[int, str], str] = {}

    def system(self, guide: Any, team: Mapping[str, str], channel: str) -> str:
        """Return the system prompt for `channel`, rendered on first use."""
        key = (id(guide), channel)
        if key not in self._system:
            self._system[key] = self.prompts.system(guide, team, channel)
        return self._system[key]

    def reply_messages(self, guide: Any, team: Mapping[str, str], ticket: Any,
                       channel: str, *, reference: Sequence[Any] = (),
                       start: Any = None) -> list[dict[str, str]]:
        """Return the messages asking for a first draft (as Prompts.reply_messages)."""
        return [
            {"role": "system", "content": self.system(guide, team, channel)},
            {"role": "user", "content": self.prompts.reply_prompt(ticket, channel, reference,
                                                                  start)},
        ]

    def revise_messages(self, first: Sequence[dict[str, str]], draft: str,
                        findings: Any) -> list[dict[str, str]]:
        """Return the messages asking for a revision (as Prompts.revise_messages)."""
        result: list[dict[str, str]] = self.prompts.revise_messages(first, draft, findings)
        return result


@dataclass
class Summary:
    """What a batch run did: counts, findings by rule, tokens, cost and time."""

    selected: int = 0
    skipped: int = 0  # already had a finished draft
    elsewhere: int = 0  # being drafted by another run at the same time
    done: int = 0
    failed: int = 0
    not_started: int = 0  # left for the next run (budget reached, or stopped)
    retries: int = 0
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    findings_by_severity: Counter[str] = field(default_factory=Counter)
    blocking: int = 0  # drafts with findings at or above --fail-on
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USAGE_KEYS, 0))
    cost: float | None = 0.0
    elapsed: float = 0.0
    stopped: str | None = None  # why no new requests were started
    failures: list[tuple[int, str]] = field(default_factory=list)
    via: str = "concurrent"

    def add_usage(self, usage: Mapping[str, int]) -> None:
        """Add one ticket's token counts."""
        for key in USAGE_KEYS:
            self.usage[key] = self.usage.get(key, 0) + int(usage.get(key, 0))

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return {
            "via": self.via, "selected": self.selected, "skipped": self.skipped,
            "elsewhere": self.elsewhere, "done": self.done,
            "failed": self.failed, "not_started": self.not_started, "retries": self.retries,
            "findings_by_rule": dict(sorted(self.findings_by_rule.items())),
            "findings_by_severity": dict(self.findings_by_severity), "blocking": self.blocking,
            "usage": self.usage, "cost": None if self.cost is None else round(self.cost, 6),
            "elapsed_s": round(self.elapsed, 3), "stopped": self.stopped,
            "failures": [{"ticket": t, "reason": r} for t, r in self.failures],
        }


class Events:
    """Callbacks for progress; the CLI renders them, the core only calls them."""

    def started(self, ticket_id: int) -> None:
        """A ticket's first model request is about to go out."""

    def finished(self, draft: StoredDraft) -> None:
        """A ticket's draft is stored."""

    def failed(self, ticket_id: int, reason: str) -> None:
        """A ticket failed after the retry budget; the reason is stored."""

    def retry(self, ticket_id: int | None, attempt: int, reason: str, wait: float) -> None:
        """A model request failed transiently and will be retried."""

    def stopping(self, reason: str) -> None:
        """No new requests will be started."""

    def tick(self) -> None:
        """A second has passed (progress shows time passing while tickets are in flight)."""


@dataclass
class BatchSpec:
    """How to draft: the prompts, guide, reviewer and team, and the limits of a run."""

    prompts: Any
    guide: Any
    reviewer: Any
    team: Mapping[str, str]
    default_channel: str = "email"
    max_revisions: int = 2
    revise_on: str = "warning"
    fail_on: str | None = None
    concurrency: int = 4
    prices: PriceTable = field(default_factory=lambda: PriceTable({}))
    max_cost: float | None = None
    max_tokens: int = 350
    prompt_version: str | None = None
    # When the run was planned: a ticket another run finished since is not drafted again. Make
    # a spec per run (before choosing its tickets).
    since: float = field(default_factory=time.time)
    # What a ticket's draft is grounded in (App.ground: passages and a canned start); None
    # without knowledge.
    ground: Callable[[Any], Any] | None = None
    # The customer's language of a ticket (ISO 639-1) for its greeting and sign-off; None is
    # English (App.batch_spec: the language detected in the latest message).
    language: Callable[[Any], str | None] = field(default=lambda ticket: None)


def stored_draft(ticket_id: int, result: pipeline.Result, spec: BatchSpec, model: str,
                 via: str = "concurrent") -> StoredDraft:
    """Return a finished draft as the store keeps it, with its cost at `model`'s price."""
    return StoredDraft(
        ticket_id=ticket_id, status="done", draft=result.text, body=result.body,
        findings=[f.to_dict() for f in result.findings], usage=result.usage,
        cost=spec.prices.cost(model, result.usage), model=result.model,
        prompt_version=spec.prompt_version, rounds=len(result.rounds),
        kept_round=result.kept_round, via=via,
    )


def plan(store: Store, ids: Sequence[int], redo: bool) -> tuple[list[int], int]:
    """Return the tickets to draft (those without a finished draft unless `redo`) and how many
    were skipped."""
    if redo:
        return list(ids), 0
    done = store.done_ids()
    todo = [i for i in ids if i not in done]
    return todo, len(ids) - len(todo)


class BatchRunner:
    """Draft tickets concurrently with one async client, storing each outcome as it comes."""

    def __init__(self, store: Store, client: Any, spec: BatchSpec, events: Any = None) -> None:
        self.store = store
        self.client = client
        self.spec = spec
        self.prompts = CachedPrompts(spec.prompts)
        self.events = events or Events()
        self.summary = Summary()
        self.in_flight = 0  # tickets started and not yet stored
        self.requests = 0  # model requests sent and not yet answered
        self.fatal: DrafterError | None = None
        self._reserved = 0.0  # estimated cost of first requests in flight
        self._spent = 0.0  # cost of every answer received (stored or not yet), for --max-cost
        self._started = time.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self.owner = new_owner()  # whose the claims of this run are
        if spec.max_cost is not None and spec.prices.price(client.model) is None:
            raise ConfigError(f"--max-cost needs the price of `{client.model}`, and [prices] has none",
                              hint=f'add [prices."{client.model}"] with input and output prices per '
                              "million tokens to drafter.toml")

    def on_retry(self, attempt: int, reason: str, wait: float) -> None:
        """The client's retry callback: count it and tell the events which ticket it was."""
        self.summary.retries += 1
        self.events.retry(CURRENT_TICKET.get(), attempt, reason, wait)

    async def run(self, ids: Sequence[int]) -> Summary:
        """Draft every ticket in `ids` (already planned) with at most `concurrency` in flight."""
        self.summary.selected += len(ids)
        self._started = time.monotonic()
        queue: Iterator[int] = iter(ids)
        workers = [asyncio.create_task(self._worker(queue))
                   for _ in range(max(1, self.spec.concurrency))]
        self._tasks.update(workers)
        renewing = asyncio.create_task(self._renew_claims())
        ticking = asyncio.create_task(self._tick())
        try:
            await asyncio.gather(*workers)
        finally:
            renewing.cancel()
            ticking.cancel()
            for w in workers:
                w.cancel()
            with contextlib.suppress(DrafterError):  # a full store: the claims lapse by themselves
                self.store.release_claims(self.owner)
            s = self.summary
            s.elapsed = time.monotonic() - self._started
            s.not_started = s.selected - s.done - s.failed - s.skipped - s.elsewhere
        return self.summary

    async def _renew_claims(self) -> None:
        """Keep this run's claims alive while it runs (a dead run's lapse)."""
        while True:
            await asyncio.sleep(CLAIM_SECONDS / 3)
            try:
                self.store.renew_claims(self.owner)
            except DrafterError as exc:
                self._fatal(exc)
                return

    async def _tick(self) -> None:
        """Tell the events each second that time passes."""
        while True:
            await asyncio.sleep(1.0)
            self.events.tick()

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._started

    def _stop(self, reason: str) -> None:
        if self.summary.stopped is None:
            self.summary.stopped = reason
            self.events.stopping(reason)

    async def _worker(self, queue: Iterator[int]) -> None:
        for ticket_id in queue:
            if self.summary.stopped is not None:
                return
            await self._one(ticket_id)

    def _budget_allows(self, messages: Sequence[Mapping[str, str]]) -> float | None:
        """Reserve the estimated cost of a first request and return it (0 with no --max-cost), or
        return None (and stop) if over budget."""
        if self.spec.max_cost is None:
            return 0.0
        estimate = self.spec.prices.estimate(self.client.model, estimate_tokens(messages),
                                             self.spec.max_tokens) or 0.0
        spent = self._spent
        if spent + self._reserved + estimate > self.spec.max_cost:
            self._stop(f"--max-cost {self.spec.max_cost:g} reached: spent about {spent:.4f}, "
                       f"{self._reserved:.4f} more in flight; the next request would pass it")
            return None
        self._reserved += estimate
        return estimate

    async def _one(self, ticket_id: int) -> None:
        from drafter.review.signals import context_from_ticket

        spec = self.spec
        CURRENT_TICKET.set(ticket_id)
        try:
            claim = self.store.claim(ticket_id, self.owner, spec.since)
        except DrafterError as exc:  # the store cannot take writes: stop before spending
            self._fatal(exc)
            return
        if claim != "claimed":
            if claim == "taken":
                self.summary.elsewhere += 1
            else:
                self.summary.skipped += 1
            return
        try:
            ticket = self.store.get(ticket_id)
        except DrafterError as exc:
            self._failed(ticket_id, exc.message)
            return
        channel = reply_channel(ticket, spec.default_channel)
        client = _TicketClient(self, ticket_id)
        try:
            grounding = spec.ground(ticket) if spec.ground is not None else None
            context = context_from_ticket(ticket, spec.guide, channel=channel, body_only=True)
            extra = {"reference": grounding.reference, "start": grounding.start} \
                if grounding else {}
            if grounding:  # what the unsupported-fact rule (GRD001) counts as known
                context = replace(context, reference=grounding.texts)
            result = await pipeline.arun(
                ticket, prompts=self.prompts, guide=spec.guide,
                client=client, reviewer=spec.reviewer, context=context, team=spec.team,
                channel=channel, max_revisions=spec.max_revisions, revise_on=spec.revise_on,
                **extra,
                language=spec.language(ticket),
            )
        except _NotStarted:
            self.store.release_claims(self.owner, ticket_id)
            return
        except (ServiceRefused, TemplateError) as exc:
            self._fatal(exc)
            return
        except DrafterError as exc:
            self._failed(ticket_id, exc.message)
            return
        except Exception as exc:
            if os.environ.get("DRAFTER_DEBUG"):
                raise
            self._failed(ticket_id, f"internal error: {type(exc).__name__}: {exc}")
            return
        finally:
            if client.started:
                self.in_flight -= 1
        self._store_result(ticket_id, result)

    def _store_result(self, ticket_id: int, result: pipeline.Result) -> None:
        draft = stored_draft(ticket_id, result, self.spec, self.client.model)
        if self._save(draft):
            self.count_done(draft)
            self.events.finished(draft)

    def _save(self, draft: StoredDraft) -> bool:
        """Store a ticket's outcome and finish its claim, together; a store that cannot take it
        (full, read-only) stops the run, so no more is spent on answers that would be lost."""
        try:
            with self.store.transaction():
                self.store.save_draft(draft)
                self.store.finish_claim(draft.ticket_id, self.owner)
        except ConfigError as exc:
            exc.message += (f" (the outcome of ticket {draft.ticket_id} is lost; "
                            f"the {self.summary.done + self.summary.failed} stored before it are kept)")
            self._fatal(exc)
            return False
        return True

    def count_done(self, draft: StoredDraft) -> None:
        """Add a stored draft to the summary."""
        s = self.summary
        s.done += 1
        s.add_usage(draft.usage)
        s.cost = None if s.cost is None or draft.cost is None else s.cost + draft.cost
        for f in draft.findings:
            s.findings_by_rule[f["code"]] += 1
            s.findings_by_severity[f["severity"]] += 1
        if self.spec.fail_on and any(at_or_above(f["severity"], self.spec.fail_on) for f in draft.findings):
            s.blocking += 1

    def _failed(self, ticket_id: int, reason: str) -> None:
        reason = redact(reason)
        if not self._save(StoredDraft(ticket_id=ticket_id, status="failed", reason=reason,
                                      model=self.client.model,
                                      prompt_version=self.spec.prompt_version)):
            return
        self.summary.failed += 1
        self.summary.failures.append((ticket_id, reason))
        self.events.failed(ticket_id, reason)

    def _fatal(self, exc: DrafterError) -> None:
        if self.fatal is None:
            self.fatal = exc
            self.summary.stopped = exc.message  # reported once, as the run's error
        # Requests in flight meet the same refusal; no need to wait for them.
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()


class _NotStarted(Exception):
    """The ticket's first request was not sent: the run is stopping or --max-cost is reached."""


class _TicketClient:
    """The run's client as one ticket uses it: its first request passes the --max-cost check and
    marks the ticket started; every answer's cost is counted."""

    def __init__(self, runner: BatchRunner, ticket_id: int) -> None:
        self.runner = runner
        self.ticket_id = ticket_id
        self.model = runner.client.model
        self.started = False

    async def complete(self, messages: Sequence[dict[str, str]],
                       on_token: Callable[[str], None] | None = None) -> Any:
        """Send `messages`; return the completion."""
        runner = self.runner
        reserved = 0.0
        if not self.started:
            # Checked now, not when the run began: the answers that came back meanwhile are
            # counted, so the budget is as exact as one request at a time.
            if runner.summary.stopped is not None:
                raise _NotStarted
            allowed = runner._budget_allows(messages)
            if allowed is None:
                raise _NotStarted
            reserved = allowed
            self.started = True
            runner.in_flight += 1
            runner.requests += 1
            runner.events.started(self.ticket_id)
        else:
            runner.requests += 1
        try:
            completion = await runner.client.complete(messages, on_token=on_token)
        finally:
            runner.requests -= 1
            runner._reserved -= reserved
        runner._spent += runner.spec.prices.cost(runner.client.model,
                                                 completion.usage.to_dict()) or 0.0
        return completion


def run_concurrent(store: Store, ids: Sequence[int], client: Any, spec: BatchSpec,
                   events: Any = None,
                   runner_ready: Callable[[BatchRunner], None] | None = None) -> BatchRunner:
    """Run a batch to the end on a fresh event loop; return the runner (its summary, its fatal)."""
    runner = BatchRunner(store, client, spec, events)
    client.on_retry = runner.on_retry
    if runner_ready is not None:
        runner_ready(runner)

    async def main() -> None:
        try:
            await runner.run(ids)
        except asyncio.CancelledError:
            if runner.fatal is None:
                raise
        finally:
            await client.aclose()

    asyncio.run(main())
    return runner
