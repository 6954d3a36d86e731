"""`draft batch`: draft replies for many stored tickets, concurrently or through the Batch API.

`draft batch OPTIONS` is short for `draft batch run OPTIONS`; `status` and `collect` follow
Batch API jobs submitted with `--via batch-api`.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import click

from drafter.cli.common import app_from, diag, emit_json, use_color, warn_unset_team
from drafter.config import Settings
from drafter.errors import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_LLM, EXIT_USAGE, ConfigError, InputError

if TYPE_CHECKING:
    from drafter.app import App

FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="text: a summary for people; json: for programs.")
STORE = click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
                     help="SQLite ticket store (default: `store.path`, DRAFTER_STORE, or the user's "
                     "data folder).")


class _DefaultRun(click.Group):
    """A group whose first word, when it is not a subcommand, starts `run` (`draft batch --ids 1`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("batch", cls=_DefaultRun)
def command() -> None:
    """Draft (review, revise) replies for many stored tickets; each result is stored at once.

    \b
      draft batch --all                       every ticket without a finished draft
      draft batch --ids 1,2,7-9 --concurrency 8
      draft batch --status open --tag billing --max-cost 2.50
      draft batch --all --dry-run             estimate tokens and cost; call no model
      draft batch --all --via batch-api       submit to the OpenAI Batch API
      draft batch status                      poll submitted Batch API jobs
      draft batch collect                     fetch, review, store; submit revisions

    `draft batch OPTIONS` is short for `draft batch run OPTIONS`. Re-running skips tickets that
    already have a draft (--redo drafts them again). See the stored drafts with `draft drafts`.
    """


def parse_ids(text: str) -> list[int]:
    """Parse `1,2,7-9` into [1, 2, 7, 8, 9]; raise InputError naming the bad part."""
    ids: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            if "-" in part:
                low, high = (int(x) for x in part.split("-", 1))
                if high < low or high - low > 1_000_000:
                    raise ValueError
                ids.extend(range(low, high + 1))
            else:
                ids.append(int(part))
        except ValueError:
            raise InputError(f"--ids: `{part}` is not a ticket id or a range like 7-9",
                             hint="give ids separated by commas: --ids 1,2,7-9") from None
    return list(dict.fromkeys(ids))


def _app(ctx: click.Context, store_path: str | None, **flags: Any) -> App:
    return app_from(ctx, **{"store.path": store_path, **flags})


@command.command("run")
@click.option("--ids", help="Tickets by id: 1,2,7-9.")
@click.option("--status", type=click.Choice(["open", "pending", "closed"]),
              help="Tickets with this status.")
@click.option("--tag", "tags", multiple=True, help="Tickets with this tag (repeat: all of them).")
@click.option("--all", "all_", is_flag=True, help="Every ticket in the store (without a draft, "
              "unless --redo).")
@click.option("--redo", is_flag=True, help="Draft again tickets that already have a draft.")
@click.option("--concurrency", type=click.IntRange(1, 256), help="Requests in flight at once "
              "(default: batch.concurrency, 4).")
@click.option("--via", type=click.Choice(["concurrent", "batch-api"]), default="concurrent",
              show_default=True, help="concurrent: call the model now; batch-api: submit a job "
              "to the OpenAI Batch API and collect it later.")
@click.option("--max-cost", type=click.FloatRange(min=0), help="Stop starting requests once the "
              "estimated spend would pass this amount (needs [prices] for the model).")
@click.option("--dry-run", is_flag=True, help="Estimate prompt tokens and cost; call no model.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              default="never", show_default=True,
              help="Exit 1 when a stored draft has findings at or above this severity.")
@click.option("--model", help="Model name (overrides llm.model / DRAFTER_MODEL).")
@click.option("--max-revisions", type=click.IntRange(0, 10), help="Revision rounds (default 2).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: when stderr is a terminal; else log lines).")
@click.option("--from", "source", type=click.Choice(["store", "helpdesk"]), default="store",
              show_default=True, help="helpdesk: sync the configured helpdesk's tickets in "
              "--queue (with --status, those) into the store first, and draft those.")
@click.option("--queue", default=None, help="With --from helpdesk: the scope (default "
              "`helpdesk.queue`).")
@click.option("--post-note", is_flag=True, help="With --from helpdesk: add each draft to its "
              "ticket as an internal note as soon as it is stored (once per customer message).")
@FORMAT
@STORE
@click.pass_context
def run(ctx: click.Context, ids: str | None, status: str | None, tags: tuple[str, ...], all_: bool,
        redo: bool, concurrency: int | None, via: str, max_cost: float | None, dry_run: bool,
        fail_on: str, model: str | None, max_revisions: int | None, progress: bool | None,
        source: str, queue: str | None, post_note: bool, fmt: str, store_path: str | None) -> None:
    """Draft replies for the chosen tickets and store each draft, its findings and its cost."""
    from_helpdesk = source == "helpdesk"
    if not (ids or status or tags or all_ or from_helpdesk):
        raise click.UsageError("choose tickets: --ids 1,2,7-9, --status, --tag, --all, or "
                               "--from helpdesk")
    if ((queue or post_note) and not from_helpdesk) or \
            (from_helpdesk and (ids or via != "concurrent")):
        raise click.UsageError("--queue and --post-note go with --from helpdesk, which drafts "
                               "now (--via concurrent) and chooses by --status and --tag")
    app = _app(ctx, store_path, **{
        "llm.model": model, "draft.max_revisions": max_revisions, "batch.concurrency": concurrency,
        "batch.max_cost": max_cost})
    chosen = app.helpdesk_selection(queue, status=status, workers=2) if from_helpdesk else None
    wanted = chosen.ids if chosen is not None else parse_ids(ids) if ids else None
    settings = app.settings
    with app.store() as store:
        if wanted is not None:
            unknown = store.missing_ids(wanted)
            if unknown:
                raise InputError(f"no ticket with id {', '.join(map(str, unknown[:10]))} in the store "
                                 f"{store.path}", hint="see the ticket ids with `draft tickets list`")
        selected = store.select_ids(wanted, status, tags)
        from drafter.batch.runner import plan

        spec = app.batch_spec(fail_on)  # first: its time is when the run was planned
        todo, skipped = plan(store, selected, redo)
        if chosen is not None and not redo:  # a customer wrote since the draft: draft again
            again = store.stale_ids(set(selected) - set(todo)) | set(todo)
            todo, skipped = [t for t in selected if t in again], len(selected) - len(again)
        if via == "batch-api" and not dry_run:
            pending = store.pending_batch_ids()
            todo = [t for t in todo if t not in pending]
        if dry_run:
            _dry_run(store, todo, skipped, settings, spec, via, fmt)
            return
        notes = app.note_poster(store, chosen.tickets) if chosen and post_note else None
        if notes is not None:
            drafting = set(todo)
            notes.also(t for t in selected if t not in drafting)  # a resumed run's drafts
        if not todo:
            diag(f"nothing to do: {len(selected)} selected, {skipped} already drafted"
                 + ("" if redo else " (--redo drafts them again)"))
            if fmt == "json":
                emit_json({"selected": len(selected), "skipped": skipped, "done": 0, "failed": 0})
            code = _report_notes(notes.close()) if notes is not None else 0
            if code:
                ctx.exit(code)
            return
        warn_unset_team(app)
        if via == "batch-api":
            from drafter.batch.batchapi import submit

            with _batch_client(settings) as api:
                jobs = submit(store, api, todo, spec, settings, on_status=diag)
            sent = sum(j.tickets for j in jobs)
            _show_jobs(jobs, fmt, title=f"submitted {sent} ticket{'s' if sent != 1 else ''} in "
                       f"{len(jobs)} Batch API job{'s' if len(jobs) != 1 else ''}"
                       + (f" ({skipped} already drafted, skipped)" if skipped else "")
                       + "; follow with `draft batch status`, fetch with `draft batch collect`")
            return
        code = _run_concurrent(app, store, todo, skipped, spec, progress, fmt, notes)
        if notes is not None:
            code = code or _report_notes(notes.close())
    if code:
        ctx.exit(code)


def _report_notes(report: Any) -> int:
    diag(f"notes: {len(report.posted)} posted, {len(report.there)} there already"
         + (f", {len(report.failed)} failed" if report.failed else ""))
    for name, reason in report.failed[:20]:
        diag(f"  {name}: {reason}")
    return EXIT_LLM if report.unavailable else EXIT_USAGE if report.failed else 0


def _run_concurrent(app: App, store: Any, todo: list[int], skipped: int, spec: Any,
                    progress: bool | None, fmt: str, notes: Any = None) -> int:
    live = sys.stderr.isatty() if progress is None else progress
    events = _Progress(len(todo), live)
    runner = None

    def ready(r: Any) -> None:
        nonlocal runner
        runner = r
        events.runner = r

    def start(model: str, base_url: str) -> None:
        diag(f"drafting {len(todo)} ticket{'s' if len(todo) != 1 else ''} with {model} at "
             f"{base_url}, {spec.concurrency} at a time"
             + (f" ({skipped} already drafted, skipped)" if skipped else ""))

    try:
        app.batch(store, todo, spec, events=notes.watch(events) if notes else events,
                  on_status=diag, on_start=start, runner_ready=ready)
    except KeyboardInterrupt:
        events.close()
        if runner is None:
            raise  # the CLI says "interrupted"
        s = runner.summary
        diag(f"interrupted: {s.done} drafted and {s.failed} failed in this run are stored; "
             "run the same command again to resume")
        return EXIT_INTERRUPTED  # said once, here
    events.close()
    assert runner is not None
    summary = runner.summary
    summary.skipped += skipped
    summary.selected += skipped
    if runner.fatal is not None:
        summary.stopped = None  # the error below says why, once
    _print_summary(summary, fmt, runner.client.model)
    if runner.fatal is not None:
        diag(f"error: {runner.fatal.message}")
        if runner.fatal.hint:
            diag(f"  hint: {runner.fatal.hint}")
        return runner.fatal.exit_code if isinstance(runner.fatal, ConfigError) else EXIT_LLM
    if summary.failed:
        return EXIT_LLM
    return EXIT_FINDINGS if summary.blocking else 0


class _Progress:
    """Progress for people: on a terminal a status line redrawn every second and at each event;
    else one log line per ticket, and a status line every HEARTBEAT seconds."""

    HEARTBEAT = 30.0

    def __init__(self, total: int, live: bool) -> None:
        self.total = total
        self.live = live
        self.runner: Any = None
        self.n_done = self.n_failed = 0
        self._last = 0.0
        self._last_plain = time.monotonic()
        self.color = use_color(sys.stderr)

    def started(self, ticket_id: int) -> None:
        self._draw()

    def finished(self, draft: Any) -> None:
        self.n_done += 1
        if self.live:
            self._draw(force=True)
        else:
            n = len(draft.findings)
            tokens = draft.usage.get("total_tokens")
            diag(f"ticket {draft.ticket_id}: drafted ({n} finding{'s' if n != 1 else ''}, "
                 f"{draft.rounds} round{'s' if draft.rounds != 1 else ''}, "
                 f"{'unknown' if tokens is None else tokens} tokens)")

    def failed(self, ticket_id: int, reason: str) -> None:
        self.n_failed += 1
        self._line(f"ticket {ticket_id}: failed: {reason}")

    def retry(self, ticket_id: int | None, attempt: int, reason: str, wait: float) -> None:
        if self.live:
            self._draw(force=True)
        else:
            diag(f"ticket {ticket_id}: {reason}; retry {attempt} in {wait:.1f} s")

    def stopping(self, reason: str) -> None:
        self._line(f"stopping: {reason}")

    def tick(self) -> None:
        if self.live:
            self._draw(force=True)
        elif time.monotonic() - self._last_plain >= self.HEARTBEAT and self.runner is not None:
            self._last_plain = time.monotonic()
            diag(f"progress: {self.status()}")

    def _line(self, text: str) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[2K")
        diag(text)
        self._draw(force=True)

    def status(self) -> str:
        """The run so far: tickets finished, requests in flight, retries, time, ETA."""
        r = self.runner
        finished = self.n_done + self.n_failed
        elapsed = r.elapsed()
        # The ETA needs one finished ticket to go by; before that it would be a guess.
        eta = (elapsed / finished * (self.total - finished)) if finished else None
        tokens = r.summary.usage.get("total_tokens", 0)
        retries = r.summary.retries
        return (f"{finished}/{self.total} · {self.n_done} done · {self.n_failed} failed · "
                f"{r.requests} in flight"
                + (f" · {retries} {'retry' if retries == 1 else 'retries'}" if retries else "")
                + f" · {tokens:,} tokens · {_clock(elapsed)}"
                + (f" · ~{_clock(eta)} left" if eta is not None else ""))

    def _draw(self, force: bool = False) -> None:
        if not self.live or self.runner is None:
            return
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        finished = self.n_done + self.n_failed
        width = 24
        fill = int(width * finished / self.total) if self.total else width
        bar = "█" * fill + "░" * (width - fill)
        sys.stderr.write("\r\x1b[2K" + bar + " " + self.status())
        sys.stderr.flush()

    def close(self) -> None:
        if self.live:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _print_summary(summary: Any, fmt: str, model: str) -> None:
    from drafter.batch.costs import format_money

    if fmt == "json":
        emit_json({"model": model, **summary.to_dict()})
        return
    s = summary
    click.echo(f"{s.selected} ticket{'s' if s.selected != 1 else ''}: {s.done} drafted, {s.failed} "
               f"failed, {s.skipped} skipped (already drafted), {s.not_started} not started"
               + (f", {s.elsewhere} left to another run drafting them now" if s.elsewhere else ""))
    if s.findings_by_rule:
        rules = ", ".join(f"{code} ×{n}" for code, n in sorted(
            s.findings_by_rule.items(), key=lambda kv: (-kv[1], kv[0])))
        click.echo(f"findings by rule: {rules}")
    elif s.done:
        click.echo("findings by rule: none")
    u = s.usage
    click.echo(f"tokens: {u['prompt_tokens']:,} prompt ({u['cached_tokens']:,} cached) + "
               f"{u['completion_tokens']:,} completion = {u['total_tokens']:,}")
    click.echo(f"cost: {format_money(s.cost)}"
               + (f" (no price for `{model}` in [prices])" if s.cost is None else ""))
    click.echo(f"time: {s.elapsed:.1f} s" + (f", {s.retries} retries" if s.retries else ""))
    if s.stopped:
        click.echo(f"stopped early: {s.stopped}")
    for ticket, reason in s.failures[:20]:
        click.echo(f"  ticket {ticket} failed: {reason}")
    if len(s.failures) > 20:
        click.echo(f"  … and {len(s.failures) - 20} more (see `draft drafts list --status failed`)")


def _dry_run(store: Any, todo: list[int], skipped: int, settings: Settings, spec: Any, via: str,
             fmt: str) -> None:
    from drafter.batch.costs import estimate_tokens, format_money
    from drafter.batch.runner import CachedPrompts
    from drafter.llm.endpoint import resolve_endpoint
    from drafter.tickets.model import reply_channel

    endpoint = resolve_endpoint(settings)
    model = endpoint.model or "?"
    prompts = CachedPrompts(spec.prompts)
    prompt_tokens = 0
    for ticket_id in todo:
        ticket = store.get(ticket_id)
        messages = prompts.reply_messages(spec.guide, spec.team, ticket,
                                          reply_channel(ticket, spec.default_channel))
        prompt_tokens += estimate_tokens(messages)
    completion_max = spec.max_tokens * len(todo)
    cost = spec.prices.estimate(model, prompt_tokens, completion_max, via)
    data = {"dry_run": True, "via": via, "model": model, "tickets": len(todo), "skipped": skipped,
            "prompt_tokens_estimate": prompt_tokens, "completion_tokens_max": completion_max,
            "cost_estimate_max": None if cost is None else round(cost, 6),
            "max_revisions": spec.max_revisions}
    if fmt == "json":
        emit_json(data)
        return
    click.echo(f"{len(todo)} ticket{'s' if len(todo) != 1 else ''} to draft with {model}"
               + (f" ({skipped} already drafted, skipped)" if skipped else "") + "; no model called")
    click.echo(f"first drafts: about {prompt_tokens:,} prompt tokens, at most {completion_max:,} "
               "completion tokens")
    click.echo(f"cost of the first drafts: at most {format_money(cost)}"
               + (f" (no price for `{model}` in [prices])" if cost is None else "")
               + (" with the Batch API discount" if via == "batch-api" and cost is not None else ""))
    if spec.max_revisions:
        click.echo(f"each revision round (up to {spec.max_revisions}) a draft needs costs about as "
                   "much again for that ticket")


# --- the Batch API ---------------------------------------------------------------------------


def _batch_client(settings: Settings) -> Any:
    from drafter.batch.batchapi import open_batch_api

    return open_batch_api(settings)


def _show_jobs(jobs: list[Any], fmt: str, title: str | None = None) -> None:
    if fmt == "json":
        emit_json([j.to_dict() for j in jobs])
        return
    if title:
        diag(title)
    if not jobs:
        click.echo("no Batch API jobs")
        return
    click.echo(f"{'JOB':<34}  {'ROUND':>5}  {'STATUS':<11}  {'TICKETS':>7}  {'DONE/FAILED':>11}  COLLECTED")
    for j in jobs:
        c = j.counts or {}
        counts = f"{c.get('completed', 0)}/{c.get('failed', 0)}" if c else "-"
        click.echo(f"{j.id:<34}  {j.round:>5}  {j.status:<11}  {j.tickets:>7}  {counts:>11}  "
                   f"{j.collected_at or '-'}")
        if j.note:
            click.echo(f"{'':<36}{j.note}")


@command.command("status")
@click.argument("job_id", required=False)
@click.option("--all", "all_", is_flag=True, help="Also jobs already collected.")
@FORMAT
@STORE
@click.pass_context
def status(ctx: click.Context, job_id: str | None, all_: bool, fmt: str, store_path: str | None) -> None:
    """Poll the provider for Batch API jobs not yet collected (or JOB_ID) and show them."""
    from drafter.batch.batchapi import refresh

    app = _app(ctx, store_path)
    settings = app.settings
    with app.store() as store:
        jobs = [store.batch_job(job_id)] if job_id else store.batch_jobs(uncollected_only=not all_)
        live = [j for j in jobs if j.collected_at is None]
        if live:
            with _batch_client(settings) as api:
                for j in live:
                    refresh(store, api, j.id)
        jobs = [store.batch_job(j.id) for j in jobs]
    _show_jobs(jobs, fmt)


@command.command("collect")
@click.argument("job_id", required=False)
@click.option("--wait", is_flag=True, help="Wait (polling every batch.poll_interval seconds) "
              "until every job, follow-ups included, is collected.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              default="never", show_default=True,
              help="Exit 1 when a stored draft has findings at or above this severity.")
@FORMAT
@STORE
@click.pass_context
def collect(ctx: click.Context, job_id: str | None, wait: bool, fail_on: str, fmt: str,
            store_path: str | None) -> None:
    """Fetch finished Batch API jobs: review each reply, store drafts and failures, and submit
    the revisions that findings call for as a follow-up job. Collecting twice is harmless."""
    from drafter.batch.batchapi import collect_all

    app = _app(ctx, store_path)
    settings, spec = app.settings, app.batch_spec(fail_on)
    with app.store() as store, _batch_client(settings) as api:
        report = collect_all(store, api, spec, settings, job_id=job_id, wait=wait, on_status=diag)
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        for line in report.lines():
            click.echo(line)
    if report.failed:
        ctx.exit(EXIT_LLM)
    if report.blocking:
        ctx.exit(EXIT_FINDINGS)

