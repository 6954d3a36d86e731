"""drafter's Python API: one `App`, built from settings, that owns the wiring every command uses.

    from drafter import App

    app = App.from_config()                  # drafter.toml, environment, defaults
    findings = app.review("Hi Jane, ...")    # review a reply against the team's guide
    result = app.lint(["canned/"])           # lint canned responses, as `draft lint` does
    with app.store() as store:               # the SQLite store: tickets, drafts, batch jobs
        ticket = store.get(1)
    draft = app.reply(ticket)                # draft, review and revise with the configured model

The CLI is a thin layer over this module: each command parses its flags, calls one method
here and renders what comes back. Heavy parts (the model client, Jinja, the store) are
imported only when a method needs them, so `draft lint` never pays for the model client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.config import Settings, default_store_path, load_settings
from drafter.errors import TemplateError

if TYPE_CHECKING:
    from drafter.helpdesk import Connector, NoteResult, TicketName
    from drafter.knowledge import Passage
    from drafter.knowledge.base import Knowledge
    from drafter.knowledge.sources import KnowledgeConfig
    from drafter.knowledge.start import CannedStart, Grounding
    from drafter.lint.engine import LintResult
    from drafter.pipeline import Result, Round
    from drafter.prompting import Prompts
    from drafter.review.context import ReviewContext
    from drafter.review.finding import Finding
    from drafter.review.registry import Rule
    from drafter.review.reviewer import Coverage, Reviewer
    from drafter.review.structure import Structure
    from drafter.store import Store
    from drafter.styleguide import StyleGuide
    from drafter.tickets.model import Ticket


# Passages searched per ticket for a canned start: its margin is over the next canned response
# among these.
CANDIDATES = 12


class App:
    """drafter for one team: its settings, style guide, prompts, reviewer and store."""

    def __init__(self, settings: Settings | None = None) -> None:
        from drafter.llm.endpoint import apply_bundled_defaults

        self.settings = settings if settings is not None else load_settings()
        apply_bundled_defaults(self.settings)  # the small model's prompt and limits

    @classmethod
    def from_config(cls, config_path: str | Path | None = None, **flags: Any) -> App:
        """Load settings as the CLI does (defaults < config file < environment < `flags`).

        `flags` are dotted keys, e.g. `App.from_config(**{"llm.model": "gpt-4o-mini"})`.
        """
        path = Path(config_path) if config_path is not None else None
        return cls(load_settings(flags=flags, config_path=path))

    # --- the team's guide, prompts and voice ---------------------------------------------

    @cached_property
    def guide(self) -> StyleGuide:
        """The team's style guide (the shipped one overlaid with `team.styleguide`)."""
        from drafter.styleguide import load_styleguide

        return load_styleguide([self.settings["team.styleguide"]])

    @cached_property
    def prompts(self) -> Prompts:
        """The prompt templates (the shipped ones overlaid with `team.prompts`)."""
        from drafter.prompting import Prompts

        s = self.settings
        return Prompts(s["team.prompts"], team_domains=self.team_domains,
                       team_addresses=[*s["team.addresses"], s["team.from_address"]],
                       short=s["draft.prompt"] == "short", examples=s["draft.examples"],
                       structured=s["draft.structured"])

    @property
    def team_domains(self) -> list[str]:
        """The team's own domains (`team.domains`): its mail, and the sites it links to."""
        return [d.strip().lower().lstrip("@") for d in self.settings["team.domains"] if d.strip()]

    @property
    def team(self) -> dict[str, Any]:
        """The team's settings (name, greeting, sign-off, ...) as a plain mapping; `greetings`
        is the table of greetings and sign-offs by channel and language."""
        team: dict[str, Any] = {k.split(".", 1)[1]: v for k, v in self.settings.values.items()
                                if k.startswith("team.") and isinstance(v, str)}
        team["greetings"] = self.settings["team.greetings"]
        return team

    def unset_team(self, keys: Sequence[str] = ("team.name", "team.product")) -> list[str]:
        """Those of `keys` still at their placeholder default (nothing set them)."""
        return [k for k in keys if self.settings.origins.get(k, "default") == "default"]

    # --- reviewing -------------------------------------------------------------------------

    def rules(self) -> list[Rule]:
        """Every rule of the catalogue (shipped and the guide's own), sorted by code."""
        from drafter.review.reviewer import catalogue

        return catalogue(self.guide)

    def reviewer(self, select: Iterable[str] | None = None, ignore: Iterable[str] = (),
                 severity: Mapping[str, str] | None = None) -> Reviewer:
        """The reviewer configured by `review.select`, `review.ignore` and `review.severity`.

        `select` replaces the configured selection; `ignore` and `severity` add to theirs.
        """
        from drafter.review.reviewer import Reviewer

        s = self.settings
        return Reviewer(
            self.guide,
            select=list(select) if select is not None else s["review.select"],
            ignore=[*s["review.ignore"], *ignore],
            severity={**s["review.severity"], **(severity or {})},
        )

    @cached_property
    def _default_reviewer(self) -> Reviewer:
        return self.reviewer()

    def context(self, ticket: Ticket | None = None, *, channel: str | None = None,
                customer_name: str | None = None, body_only: bool = False,
                grounding: Grounding | None = None,
                reference: Iterable[str] = ()) -> ReviewContext:
        """The review context: taken from `ticket` when there is one, else from the arguments.

        With a ticket and knowledge configured, what the team knows about it (`grounding`, else
        retrieved now) is part of the context: its passages, with `reference`, are what the
        unsupported-fact rule (GRD001) counts as known.
        """
        from dataclasses import replace

        from drafter.review.context import ReviewContext

        # A draft has no template language: the team's own slots in it are unfilled too.
        own = _slot_pattern(self.settings["lint.slot_pattern"])
        s = self.settings
        contacts = (s["team.from_address"], *s["team.addresses"], *self.team_domains,
                    s["team.signature"])
        if ticket is None:
            return ReviewContext(channel=channel, customer_name=customer_name, body_only=body_only,
                                 slot_pattern=own, team_contacts=contacts,
                                 reference=tuple(reference))
        from drafter.prompting import instructions
        from drafter.review.signals import context_from_ticket

        context = context_from_ticket(ticket, self.guide, channel=channel, body_only=body_only)
        if grounding is None:
            grounding = self.ground(ticket)
        try:  # the prompt this ticket would get, for the echo rule (SAN001)
            prompt: str | None = instructions(self.reply_messages(ticket, channel, grounding))
        except TemplateError:
            prompt = None  # a broken team template does not stop a review
        return replace(context, prompt=prompt, slot_pattern=own, team_contacts=contacts,
                       customer_name=customer_name or context.customer_name,
                       reference=(*grounding.texts, *reference))

    def review(self, text: str, ticket: Ticket | None = None, *,
               context: ReviewContext | None = None, reviewer: Reviewer | None = None,
               **context_args: Any) -> list[Finding]:
        """Review one reply; the context comes from `context`, else `ticket` and `context_args`."""
        if context is None:
            context = self.context(ticket, **context_args)
        return (reviewer or self._default_reviewer).review(text, context)

    def coverage(self, text: str, reviewer: Reviewer | None = None) -> Coverage:
        """The language `text` is reviewed in, and the principles left unchecked in it."""
        return (reviewer or self._default_reviewer).coverage_of(text)

    def ticket_language(self, ticket: Ticket) -> str | None:
        """The language of the customer's latest message (ISO 639-1), or None when unsure."""
        from drafter.language import ticket_language

        return ticket_language(ticket)

    def structure(self, text: str, ticket: Ticket | None = None, *,
                  context: ReviewContext | None = None, reviewer: Reviewer | None = None,
                  **context_args: Any) -> Structure:
        """How the reviewer reads `text`: greeting, body blocks, sign-off, signature, furniture."""
        if context is None:
            context = self.context(ticket, **context_args)
        structure: Structure = (reviewer or self._default_reviewer).doc(text, context).structure
        return structure

    # --- tickets and the store ---------------------------------------------------------------

    @property
    def store_path(self) -> Path:
        """Where the SQLite store lives (`store.path`, DRAFTER_STORE, or the user's data folder)."""
        configured = self.settings["store.path"]
        return Path(configured) if configured else default_store_path()

    def store(self) -> Store:
        """Open the store: tickets, drafts, batch jobs, sync state (a context manager)."""
        from drafter.store import Store

        return Store(self.store_path)

    def import_tickets(self, paths: Iterable[str | Path], max_bytes: int | None = None) -> Any:
        """Import mail, mbox and JSON ticket files (folders: the files inside) into the store;
        a file that fails is reported in the result and the others are imported."""
        from drafter.tickets.importers import DEFAULT_MAX_BYTES, read_paths

        with self.store() as store:
            return store.import_found(read_paths([Path(p) for p in paths],
                                                 max_bytes or DEFAULT_MAX_BYTES))

    def sync_mailbox(self, batch_size: int | None = None, max_bytes: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> Any:
        """Import new mail from the configured IMAP mailbox into the store, once each."""
        from drafter.store.imap_sync import DEFAULT_BATCH_SIZE, sync
        from drafter.tickets.importers import DEFAULT_MAX_BYTES

        with self.store() as store:
            return sync(self.settings, store, batch_size=batch_size or DEFAULT_BATCH_SIZE,
                        max_bytes=max_bytes or DEFAULT_MAX_BYTES, progress=progress)

    def ticket(self, ticket_id: int) -> Ticket:
        """Return ticket `ticket_id` from the store."""
        with self.store() as store:
            ticket: Ticket = store.get(ticket_id)
            return ticket

    def helpdesk(self) -> Connector:
        """The configured helpdesk's connector, `[helpdesk]` (use it as a context manager)."""
        from drafter.helpdesk import open_connector

        return open_connector(self.settings)

    def ticket_name(self, name: str) -> TicketName:
        """Read a ticket name: `local:7`, `rt:123`, or a bare number (the configured helpdesk,
        else the store)."""
        from drafter.helpdesk import parse_ticket_name

        return parse_ticket_name(name, self.settings["helpdesk.kind"])

    def sync_helpdesk(self, scope: str | None = None, since: datetime | None = None,
                      progress: Callable[[str], None] | None = None, *,
                      status: str | None = None) -> Any:
        """Copy the helpdesk's tickets in `scope` (default `helpdesk.queue`) updated after
        `since` (with `status`, only those) into the store as `kind:N`, their public messages
        once each, their status, tags and customer language as the helpdesk has them; a ticket
        whose newest stored message is as new as its last update is not fetched again."""
        return self.helpdesk_selection(scope, since, progress, status=status).report

    def helpdesk_selection(self, scope: str | None = None, since: datetime | None = None,
                           progress: Callable[[str], None] | None = None, *,
                           status: str | None = None, workers: int = 1) -> HelpdeskSelection:
        """Sync the helpdesk's tickets in scope (as `sync_helpdesk`, fetching on `workers`
        threads) and return them: their store ids, and each ticket fetched, internal notes
        included, by store id (a ticket not fetched again is not among them)."""
        from drafter.helpdesk import HelpdeskError, Listed
        from drafter.helpdesk.poster import Connectors, fetch_many
        from drafter.store.tickets import ImportReport
        from drafter.tickets.model import public_thread

        report = ImportReport()
        chosen = HelpdeskSelection(report)
        connectors = Connectors(self.helpdesk)
        try:
            helpdesk = connectors.get()
            with self.store() as store:
                known = store.synced_from(helpdesk.kind)
                todo: list[Listed] = []
                for listed in helpdesk.list_tickets(scope or helpdesk.config.queue, since, status):
                    name = helpdesk.name(listed.number)
                    stored, newest = known.get(name, (None, None))
                    if stored is not None:
                        chosen.ids.append(stored)
                    if stored is not None and newest is not None and listed.updated and \
                            datetime.fromisoformat(listed.updated).timestamp() <= newest:
                        continue
                    todo.append(listed)
                for listed, fetched in fetch_many(connectors, todo, workers,
                                                  lambda c, t: c.fetch_listed(t)):
                    name = helpdesk.name(listed.number)
                    if isinstance(fetched, HelpdeskError):  # deleted or merged meanwhile: go on
                        report.failed.append((name, fetched.message))
                        continue
                    assert not isinstance(fetched, Exception)
                    public = public_thread(fetched)
                    if not public.messages:
                        continue
                    one = store.import_ticket(public, external_id=name)
                    ticket_id = one.ticket_ids[0]
                    store.follow_helpdesk(ticket_id, public)
                    report.add(one)
                    if ticket_id not in chosen.ids:
                        chosen.ids.append(ticket_id)
                    chosen.tickets[ticket_id] = fetched
                    if progress is not None:
                        progress(name)
        finally:
            connectors.close()
        return chosen

    def note_poster(self, store: Store, tickets: Mapping[int, Ticket] | None = None, *,
                    force: bool = False, workers: int = 2) -> NotePosting:
        """Post stored drafts of `store` as internal notes on `workers` threads while a batch
        runs (`tickets`: those at hand, fetched with their notes, by store id); close it to wait
        for the notes."""
        from drafter.helpdesk.poster import Connectors, NotePoster

        connectors = Connectors(self.helpdesk)
        return NotePosting(NotePoster(connectors, workers, force), connectors, store,
                           dict(tickets or {}))

    def post_note(self, helpdesk: Connector, ticket: Ticket, result: Result, *,
                  force: bool = False) -> NoteResult:
        """Add the draft and the reviewer's findings to `ticket` as an internal note, once per
        latest customer message (`force`: again)."""
        return helpdesk.post_note(ticket, note_text(result), force=force)

    # --- knowledge ---------------------------------------------------------------------------

    def knowledge_config(self) -> KnowledgeConfig:
        """The `[knowledge]` settings, paths resolved (`configured` is False when none are set)."""
        from drafter.knowledge.sources import KnowledgeConfig

        return KnowledgeConfig.from_settings(self.settings, self._source_options())

    @property
    def has_knowledge(self) -> bool:
        """Whether `[knowledge]` names any knowledge."""
        s = self.settings
        return bool(s["knowledge.canned"] or s["knowledge.articles"]
                    or s["knowledge.past_replies"] or s["knowledge.facts"])

    def knowledge(self) -> Knowledge:
        """The configured knowledge with its retriever (a context manager: it holds the store);
        ConfigError when `[knowledge]` names none or a folder is missing."""
        from drafter.knowledge.base import Knowledge

        config = self.knowledge_config()
        knowledge = Knowledge(config, self.store_path)
        config.check()
        return knowledge

    @cached_property
    def _knowledge(self) -> Knowledge | None:
        """The knowledge replies retrieve from, its index refreshed once (None: none configured)."""
        if not self.has_knowledge:
            return None
        knowledge = self.knowledge()
        knowledge.index()  # incremental: only what changed since the last run is read
        return knowledge

    def retrieval_query(self, ticket: Ticket) -> str:
        """What retrieval searches for a ticket: its subject and the customer's latest message."""
        latest = ticket.latest_customer_message
        parts = [ticket.subject or "", latest.latest if latest is not None else ""]
        return "\n".join(p for p in parts if p)

    def retrieve(self, ticket: Ticket, limit: int | None = None) -> list[Passage]:
        """The passages most relevant to `ticket`'s latest customer message (and subject), best
        first; none when no knowledge is configured. `limit` defaults to `knowledge.passages`."""
        knowledge = self._knowledge
        if knowledge is None:
            return []
        limit = self.settings["knowledge.passages"] if limit is None else limit
        return self._search(ticket, limit + 1)[:limit]

    def _search(self, ticket: Ticket, limit: int) -> list[Passage]:
        """The best `limit` passages for `ticket` but its own earlier replies (which are in the
        thread already, not reference material)."""
        knowledge = self._knowledge
        if knowledge is None or limit <= 0:
            return []
        found = knowledge.search(self.retrieval_query(ticket), limit)
        own = f"replies/ticket-{ticket.id}#" if ticket.id is not None else None
        return [p for p in found if own is None or not p.id.startswith(own)]

    def canned_start(self, ticket: Ticket, passages: Sequence[Passage]) -> CannedStart | None:
        """The canned response a draft of `ticket` starts from, when one of `passages` is a
        clear best match: its greeting and sign-off cut (drafter adds its own), its variables
        filled from the ticket (customer name, order number, agent)."""
        from dataclasses import replace

        from drafter.knowledge.start import canned_start
        from drafter.pipeline import clean_body

        signature = (self.settings["team.signature"] or "").strip().splitlines()
        start = canned_start(ticket, passages, self.retrieval_query(ticket),
                             agent=signature[0] if signature else None)
        return None if start is None else replace(start, text=clean_body(start.text))

    def ground(self, ticket: Ticket, limit: int | None = None) -> Grounding:
        """What a draft of `ticket` is grounded in: the retrieved passages and, when one is a
        clear best match, the canned response to start from (empty without knowledge)."""
        from drafter.knowledge.start import Grounding

        limit = self.settings["knowledge.passages"] if limit is None else limit
        if self._knowledge is None or limit <= 0:
            return Grounding()
        # More than are given to the model: a canned start must stand out from the canned
        # responses ranked after it too.
        found = self._search(ticket, max(limit + 1, CANDIDATES))
        passages = found[:limit]
        if not passages:
            return Grounding()
        start = self.canned_start(ticket, found)
        rest = tuple(p for p in passages if start is None or p.id != start.id)
        return Grounding(rest, start)

    # --- drafting ----------------------------------------------------------------------------

    def channel_for(self, ticket: Ticket, channel: str | None = None) -> str:
        """The channel to answer `ticket` on: `channel`, else the ticket's, else `draft.channel`."""
        from drafter.tickets.model import reply_channel

        return channel or reply_channel(ticket, self.settings["draft.channel"])

    def reply_messages(self, ticket: Ticket, channel: str | None = None,
                       grounding: Grounding | None = None) -> list[dict[str, str]]:
        """The prompt messages a reply to `ticket` would send (no model call), with what the
        team knows about it (`grounding`, else retrieved now when knowledge is configured)."""
        from drafter.tickets.model import public_thread

        ticket = public_thread(ticket)
        if grounding is None:
            grounding = self.ground(ticket)
        extra: dict[str, Any] = {"reference": grounding.reference, "start": grounding.start} \
            if grounding else {}
        if self.prompts.short:  # its principles follow what the customer wrote
            from drafter.pipeline import signals_of
            from drafter.review.signals import context_from_ticket

            extra["signals"] = signals_of(context_from_ticket(ticket, self.guide))
        messages: list[dict[str, str]] = self.prompts.reply_messages(
            self.guide, self.team, ticket, self.channel_for(ticket, channel), **extra)
        return messages

    def reply(
        self,
        ticket: Ticket,
        *,
        channel: str | None = None,
        on_token: Callable[[str], None] | None = None,
        on_round: Callable[[Round, bool], None] | None = None,
        on_retry: Callable[[int, str, float], None] | None = None,
        on_status: Callable[[str], None] | None = None,
        language: str | None = None,
    ) -> Result:
        """Draft a reply to `ticket` with the configured model, review it and revise it;
        `language` (ISO 639-1; default: the customer's, detected) picks the greeting and sign-off."""
        from drafter import pipeline
        from drafter.llm.endpoint import open_client
        from drafter.tickets.model import public_thread

        ticket = public_thread(ticket)  # a helpdesk's internal notes never reach the model
        chan = self.channel_for(ticket, channel)
        grounding = self.ground(ticket)
        context = self.context(ticket, channel=chan, body_only=True, grounding=grounding)
        with open_client(self.settings, on_retry=on_retry, on_status=on_status) as client:
            if on_status is not None:
                on_status(f"drafting with {client.model} at {client.base_url}")
            return pipeline.run(
                ticket, prompts=self.prompts, guide=self.guide, client=client,
                reviewer=self._default_reviewer, context=context, team=self.team, channel=chan,
                max_revisions=self.settings["draft.max_revisions"],
                revise_on=self.settings["draft.revise_on"], on_token=on_token, on_round=on_round,
                reference=grounding.reference, start=grounding.start,
                language=language or self.ticket_language(ticket),
            )

    def keep_ticket(self, ticket: Ticket) -> int:
        """Store `ticket` (a piped email, a file, a helpdesk's ticket by its name) once, and
        return its id in the store; its messages already there are not stored twice."""
        from drafter.tickets.model import public_thread

        with self.store() as store:
            report = store.import_ticket(public_thread(ticket), external_id=ticket.name)
            return report.ticket_ids[0]

    def store_reply(self, ticket_id: int, result: Result) -> None:
        """Store `result` as the draft of stored ticket `ticket_id` (as `draft batch` would)."""
        from drafter.batch.runner import stored_draft

        with self.store() as store:
            store.save_draft(stored_draft(ticket_id, result, self.batch_spec(), result.model,
                                          via="reply"))

    def batch_spec(self, fail_on: str | None = None) -> Any:
        """What a batch run needs: prompts, guide, reviewer, team, limits and prices."""
        from drafter.batch.costs import PriceTable, prompt_version
        from drafter.batch.runner import BatchSpec

        s = self.settings
        origin = str(s.config_file) if s.config_file else "[prices]"
        return BatchSpec(
            prompts=self.prompts, guide=self.guide, reviewer=self._default_reviewer,
            team=self.team, default_channel=s["draft.channel"],
            max_revisions=s["draft.max_revisions"], revise_on=s["draft.revise_on"],
            fail_on=None if fail_on in (None, "never") else fail_on,
            concurrency=s["batch.concurrency"] or 1,
            prices=PriceTable(s["prices"], s["batch.api_discount"], origin=origin),
            max_cost=s["batch.max_cost"], max_tokens=s["llm.max_tokens"],
            prompt_version=prompt_version(self.prompts, self.guide, self.team),
            ground=self.ground if self.has_knowledge else None,
            language=self.ticket_language,
        )

    def batch(self, store: Store, ticket_ids: Sequence[int], spec: Any, *, events: Any = None,
              on_status: Callable[[str], None] | None = None,
              on_start: Callable[[str, str], None] | None = None,
              runner_ready: Callable[[Any], None] | None = None) -> Any:
        """Draft, review and revise `ticket_ids` concurrently (`spec.concurrency` at a time),
        storing each result as soon as it is done; return the runner (summary, fatal error).

        `events` receives progress (started, finished, failed, retry, stopping, tick);
        `on_start` the model and its server's URL once known. The local model is started for
        the run when the settings ask for it, sized to the machine: `spec.concurrency` is
        lowered to the requests it answers at once (and `on_status` told so).
        """
        from drafter.batch.runner import run_concurrent
        from drafter.llm.aclient import AsyncChatClient
        from drafter.llm.endpoint import client_options, serve_endpoint

        store.check_writable()  # before spending anything on answers it could not keep
        with serve_endpoint(self.settings, on_status=on_status,
                            concurrency=spec.concurrency) as endpoint:
            assert endpoint.base_url is not None and endpoint.model is not None
            plan = endpoint.plan
            if plan is not None and plan.slots < spec.concurrency:
                # More workers than slots would only queue in the servers (or here).
                if on_status is not None:
                    on_status(f"the local model answers {plan.slots} request"
                              f"{'s' if plan.slots != 1 else ''} at a time on this machine "
                              f"({plan.limit}): concurrency {spec.concurrency} lowered to "
                              f"{plan.slots}")
                spec.concurrency = plan.slots
            client = AsyncChatClient(endpoint.base_url, endpoint.api_key, endpoint.model,
                                     max_connections=spec.concurrency,
                                     slot_urls=endpoint.slot_urls,
                                     **client_options(self.settings))
            if on_start is not None:
                on_start(client.model, client.base_url)
            return run_concurrent(store, ticket_ids, client, spec, events,
                                  runner_ready=runner_ready)

    # --- linting -----------------------------------------------------------------------------

    def lint(self, paths: Sequence[str | Path], *, exclude: Sequence[str] = (),
             force_exclude: bool = False, jobs: int = 0, channel: str | None = None,
             write_baseline: str | Path | None = None,
             reports: Sequence[tuple[int, int]] = ()) -> LintResult:
        """Lint the canned responses in `paths` (files and folders), as `draft lint` does.

        Rules, severities, per-path ignores, the baseline and the `lint.*` settings come from
        the settings; `exclude` adds to `lint.exclude`; `jobs` as `draft lint --jobs`;
        `channel` replaces `lint.channel` (files matched by `lint.channels` keep theirs). With
        `write_baseline`, every finding is recorded in that file and no baseline hides any.
        `reports` are the files (device, inode) this run writes its report to: they are not
        linted (`draft lint . > report.json` would read its own, empty, report), as tar skips
        its own archive; nor is the baseline read or written.
        """
        from drafter.lint.engine import Linter, LintOptions
        from drafter.lint.rules import LINT_RULES
        from drafter.lint.sources import discover_real, display_path
        from drafter.review.reviewer import Reviewer, catalogue
        from drafter.review.selection import RuleSelection

        s = self.settings
        selection = RuleSelection.build(
            [*catalogue(self.guide), *LINT_RULES.values()], s["review.select"],
            s["review.ignore"], {str(k): v for k, v in s["review.severity"].items()},
            _per_path_ignores(s["review.per_path_ignores"]))
        reviewer = Reviewer(self.guide, selection=selection)
        base_file = s["review.baseline"] if write_baseline is None else None
        if base_file is not None or write_baseline is not None:
            from drafter.lint.baseline import Baseline
        options = LintOptions(
            selection=selection,
            sources=self._source_options(channel),
            baseline=Baseline.load(base_file) if base_file is not None else None,
            review=bool(reviewer.rules),
            keep_accepted=write_baseline is not None,
            coverage=reviewer.coverage_of,
        )
        found = discover_real([Path(p) for p in paths], [*s["lint.exclude"], *exclude],
                              force_exclude)
        ours = [*reports, *(i for f in (base_file, write_baseline) if f is not None
                            and (i := _identity(os.fspath(f))) is not None)]
        own = [(path, real) for path, real in found if ours and _identity(real) in ours]
        if own:
            found = [f for f in found if f not in own]
        result = Linter(reviewer, options).lint([path for path, _ in found], jobs=jobs,
                                                real_paths=[real for _, real in found])
        result.skipped += [(display_path(path), "it is this run's report or baseline")
                           for path, _ in own]
        if write_baseline is not None:
            Baseline.of(Path(write_baseline), result.accepted).write(Path(write_baseline))
        return result

    def _source_options(self, channel: str | None = None) -> Any:
        """How canned-response files are read (`lint.*`): by `draft lint` and the knowledge."""
        from drafter.lint.sources import SourceOptions

        s = self.settings
        return SourceOptions(variables=frozenset(s["lint.variables"]),
                             extra_keys=frozenset(s["lint.extra_keys"]),
                             body_only=s["lint.body_only"],
                             channel=channel or s["lint.channel"],
                             channels=_channel_globs(s["lint.channels"]),
                             max_bytes=s["lint.max_file_size"] * 1024 * 1024,
                             templates=_templates(s["lint.templates"]),
                             slot_pattern=_slot_pattern(s["lint.slot_pattern"]))


def _identity(path: str) -> tuple[int, int] | None:
    """The (device, inode) of the file at `path`, or None if it cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def note_text(result: Result) -> str:
    """The internal note for a draft: the draft, then what the reviewer still found in it."""
    return note_from(result.text, result.model, [f.to_dict() for f in result.findings])


def note_from(text: str, model: str | None, findings: Sequence[Mapping[str, Any]]) -> str:
    """The internal note for a draft's text and findings (as the store keeps them)."""
    lines = [text.rstrip(), "", "-- ", f"Draft by drafter ({model}), not sent. "
             + (f"The reviewer found {len(findings)} issue{'s' if len(findings) != 1 else ''}:"
                if findings else "The reviewer found no issues.")]
    for f in findings:
        line = f"- {f['line']}:{f['column']} {f['code']} ({f['severity']}) {f['message']}"
        lines.append(line + (f" (suggest: {f['suggestion']!r})" if f.get("suggestion") else ""))
    return "\n".join(lines)


class HelpdeskSelection:
    """The helpdesk tickets a batch works on: what their sync did, their store ids, and the
    tickets fetched on the way (internal notes included), by store id."""

    def __init__(self, report: Any) -> None:
        self.report = report
        self.ids: list[int] = []
        self.tickets: dict[int, Ticket] = {}


class NotePosting:
    """A batch's notes: `watch(events)` wraps a batch's progress events so that each draft, as
    it is stored, is handed to the poster threads; `also(ids)` queues the stored drafts of
    tickets drafted before (a resumed run); `close()` waits and returns the PostReport."""

    def __init__(self, poster: Any, connectors: Any, store: Store,
                 tickets: dict[int, Ticket]) -> None:
        self.poster = poster
        self.connectors = connectors
        self.store = store
        self.tickets = tickets  # fetched by the sync, with their notes

    def watch(self, events: Any = None) -> Any:
        """`events` (batch progress events, or none), also posting each finished draft."""
        if events is None:
            from drafter.batch.runner import Events

            events = Events()
        return _PostingEvents(events, self)

    def submit(self, ticket_id: int, draft: Any) -> None:
        """Queue stored ticket `ticket_id`'s draft (a StoredDraft) as a note."""
        from drafter.helpdesk.poster import NoteJob

        if draft is None or draft.status != "done" or not draft.draft:
            return
        ticket = self.store.get(ticket_id)
        if not ticket.name:
            return
        latest = ticket.latest_customer_message
        self.poster.submit(NoteJob(
            number=ticket.name.split(":", 1)[1],
            text=note_from(draft.draft, draft.model, draft.findings),
            answers=latest.message_id if latest else None, ticket=self.tickets.get(ticket_id)))

    def also(self, ticket_ids: Iterable[int]) -> None:
        """Queue the stored drafts of `ticket_ids` (drafted by an earlier run)."""
        for ticket_id in ticket_ids:
            self.submit(ticket_id, self.store.get_draft(ticket_id))

    def close(self) -> Any:
        """Wait for every queued note; return what was posted (a PostReport)."""
        try:
            return self.poster.close()
        finally:
            self.connectors.close()


class _PostingEvents:
    """Batch events that also post each finished draft; everything else goes to `inner`."""

    def __init__(self, inner: Any, posting: NotePosting) -> None:
        self._inner = inner
        self._posting = posting

    def finished(self, draft: Any) -> None:
        self._inner.finished(draft)
        self._posting.submit(draft.ticket_id, draft)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _templates(names: Sequence[Any]) -> frozenset[str]:
    """`lint.templates`, checked: the template languages drafter knows."""
    from drafter.review.rules.hygiene import TEMPLATE_LANGUAGES

    unknown = [n for n in names if n not in TEMPLATE_LANGUAGES]
    if unknown:
        from drafter.errors import ConfigError

        raise ConfigError(f"`lint.templates` names an unknown template language: {unknown[0]!r}",
                          hint=f"use some of {', '.join(TEMPLATE_LANGUAGES)}")
    return frozenset(names)


def _slot_pattern(pattern: str | None) -> re.Pattern[str] | None:
    """`lint.slot_pattern`, compiled (None when not set)."""
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as exc:
        from drafter.errors import ConfigError

        raise ConfigError(f"`lint.slot_pattern` is not a valid regular expression: {exc}",
                          hint=r"for example '@@[A-Z_]+@@'") from None


def _channel_globs(table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """`lint.channels`, checked: glob -> channel."""
    from drafter.review.context import CHANNELS

    for pattern, channel in table.items():
        if channel not in CHANNELS:
            from drafter.errors import ConfigError

            raise ConfigError(f"`lint.channels` entry {pattern!r} must be one of "
                              f"{', '.join(CHANNELS)}, got {channel!r}",
                              hint='for example "social/**" = "social"')
    return tuple((str(k), str(v)) for k, v in table.items())


def _per_path_ignores(table: Mapping[str, Any]) -> dict[str, list[str]]:
    """`review.per_path_ignores`, checked: glob -> rule codes."""
    out: dict[str, list[str]] = {}
    for pattern, codes in table.items():
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            from drafter.errors import ConfigError

            raise ConfigError(f"`review.per_path_ignores` entry {pattern!r} must be a list of "
                              "rule codes", hint='for example "legacy/*" = ["EMP", "TON002"]')
        out[str(pattern)] = codes
    return out
