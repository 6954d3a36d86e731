"""The OpenAI Batch API path: submit drafting requests as JSONL, then poll, collect and revise.

`submit` writes one request per ticket (custom_id = the ticket id), uploads the file through the
Files API, creates the batch and records it. `collect_all` fetches finished jobs, reviews each
reply, stores finished drafts and failures, and submits the revisions that findings call for as
a follow-up job; a job is marked collected in the same transaction that stores its results, so
collecting twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from drafter import pipeline
from drafter.batch.costs import estimate_tokens
from drafter.batch.runner import USAGE_KEYS, BatchSpec, CachedPrompts
from drafter.config import Settings
from drafter.errors import ConfigError, LLMError
from drafter.review.finding import Finding, at_or_above
from drafter.store import BatchItem, BatchJob, Store, StoredDraft
from drafter.tickets.model import reply_channel

ENDPOINT = "/v1/chat/completions"
FINAL = ("completed", "expired", "failed", "cancelled")
MAX_REQUESTS_PER_JOB = 50_000  # the Batch API's limit per batch


class BatchAPI:
    """The Files and Batches endpoints of one provider, with drafter's retry policy.

    Each attempt has a real deadline (`llm.timeout`, and no more than the retry budget left), as
    for chat calls: a blocking read times out per read only, so a server sending a byte now and
    then would hold it for ever. The async SDK runs on an event loop of its own.
    """

    def __init__(self, base_url: str, api_key: str | None, model: str, settings: Settings) -> None:
        import openai

        from drafter.config import redact
        from drafter.llm.client import RetryPolicy
        from drafter.llm.client import httpx as _httpx

        self.base_url = redact(base_url)  # as shown and stored: credentials masked
        self.model = model
        self.settings = settings
        timeout = settings["llm.timeout"]
        self.policy = RetryPolicy(base_url, model, timeout=timeout,
                                  max_attempts=settings["llm.max_attempts"],
                                  max_retry_seconds=settings["llm.max_retry_seconds"],
                                  backoff_initial=settings["llm.backoff_initial"],
                                  backoff_max=settings["llm.backoff_max"])
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed",
                                         max_retries=0,
                                         timeout=_httpx.Timeout(timeout, connect=min(10.0, timeout)))
        self._runner = asyncio.Runner()

    def call(self, what: str, fn: Callable[[], Awaitable[Any]]) -> Any:
        """Run one API call under the retry policy; raise LLMError naming `what` if it fails."""
        return self._runner.run(self._call(what, fn))

    async def _call(self, what: str, fn: Callable[[], Awaitable[Any]]) -> Any:
        from tenacity import AsyncRetrying

        from drafter.llm.client import _Retryable

        started = time.monotonic()
        attempts = 0
        try:
            async for attempt in AsyncRetrying(**self.policy._retry_args()):
                with attempt:
                    attempts += 1
                    return await self.policy.within_deadline(fn(), started)
        except _Retryable as exc:
            raise LLMError(f"the Batch API at {self.base_url} failed to {what} after {attempts} "
                           f"attempt{'s' if attempts != 1 else ''}: {exc.reason}",
                           hint="try again later; nothing was lost") from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Release the HTTP connection pool and the event loop."""
        self._runner.run(self.client.close())
        self._runner.close()

    def upload(self, path: str) -> str:
        """Upload a JSONL file for a batch; return its file id."""
        with open(path, "rb") as fh:
            data = fh.read()
        return str(self.call("upload the requests", lambda: self.client.files.create(
            file=("drafter-batch.jsonl", data), purpose="batch")).id)

    def create(self, file_id: str, round_: int) -> Any:
        """Create a batch over an uploaded file."""
        return self.call("create the batch", lambda: self.client.batches.create(
            input_file_id=file_id, endpoint=ENDPOINT,  # type: ignore[arg-type]
            completion_window=self.settings["batch.completion_window"],
            metadata={"created_by": "drafter", "round": str(round_)}))

    def retrieve(self, batch_id: str) -> Any:
        """Return the provider's view of a batch."""
        return self.call("read the batch", lambda: self.client.batches.retrieve(batch_id))

    def content(self, file_id: str) -> str:
        """Return the text of an output or error file."""
        async def text() -> str:
            return (await self.client.files.content(file_id)).text
        return str(self.call("download the results", text))


@contextlib.contextmanager
def open_batch_api(settings: Settings) -> Iterator[BatchAPI]:
    """Yield a BatchAPI for the configured endpoint; the local model server has no Batch API."""
    from drafter.llm.endpoint import resolve_endpoint

    endpoint = resolve_endpoint(settings)
    if endpoint.local:
        raise ConfigError("the bundled local model (llama.cpp) does not implement the Batch API",
                          hint="use `draft batch` without --via batch-api, or set OPENAI_API_KEY "
                          "(and OPENAI_BASE_URL) to a provider that has it")
    if not endpoint.model:
        raise ConfigError("the Batch API needs a model name",
                          hint="pass --model or set llm.model / DRAFTER_MODEL")
    assert endpoint.base_url is not None
    api = BatchAPI(endpoint.base_url, endpoint.api_key, endpoint.model, settings)
    try:
        yield api
    finally:
        api.close()


def _request(api: BatchAPI, ticket_id: int, messages: Sequence[dict[str, str]]) -> str:
    body = {"model": api.model, "messages": list(messages), **_sampling(api.settings)}
    return json.dumps({"custom_id": str(ticket_id), "method": "POST", "url": ENDPOINT, "body": body},
                      ensure_ascii=False)


def _sampling(settings: Settings) -> dict[str, Any]:
    params: dict[str, Any] = {"temperature": settings["llm.temperature"],
                              "max_tokens": settings["llm.max_tokens"]}
    if settings["llm.seed"] is not None:
        params["seed"] = settings["llm.seed"]
    return params


def _send(store: Store, api: BatchAPI, spec: BatchSpec, lines: list[tuple[BatchItem, str]],
          round_: int, parent: str | None) -> tuple[BatchJob, list[BatchItem]]:
    """Upload the request lines and create the batch; return the job to record (not yet stored)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=True) as fh:
        for _, line in lines:
            fh.write(line + "\n")
        fh.flush()
        file_id = api.upload(fh.name)
    batch = api.create(file_id, round_)
    job = BatchJob(id=str(batch.id), status=str(batch.status), round=round_, parent=parent,
                   model=api.model, prompt_version=spec.prompt_version, base_url=api.base_url,
                   input_file_id=file_id)
    return job, [item for item, _ in lines]


def submit(store: Store, api: BatchAPI, ticket_ids: Sequence[int], spec: BatchSpec,
           settings: Settings, on_status: Callable[[str], None] | None = None) -> list[BatchJob]:
    """Submit first drafts for `ticket_ids` as Batch API jobs and record them; return the jobs."""
    prompts = CachedPrompts(spec.prompts)
    if spec.max_cost is not None and spec.prices.price(api.model) is None:
        raise ConfigError(f"--max-cost needs the price of `{api.model}`, and [prices] has none",
                          hint=f'add [prices."{api.model}"] with input and output prices per million '
                          "tokens to drafter.toml")
    store.check_writable()  # a job the store cannot record would be paid for and lost
    jobs: list[BatchJob] = []
    lines: list[tuple[BatchItem, str]] = []
    estimate = 0.0
    for ticket_id in ticket_ids:
        ticket = store.get(ticket_id)
        channel = reply_channel(ticket, spec.default_channel)
        messages = prompts.reply_messages(spec.guide, spec.team, ticket, channel)
        cost = spec.prices.estimate(api.model, estimate_tokens(messages), spec.max_tokens,
                                    "batch-api") or 0.0
        if spec.max_cost is not None and estimate + cost > spec.max_cost:
            if on_status:
                sent = len(lines) + sum(j.tickets for j in jobs)
                on_status(f"--max-cost {spec.max_cost:g} reached after {sent} tickets (about "
                          f"{estimate:.4f} estimated); the rest are not submitted")
            break
        estimate += cost
        lines.append((BatchItem(ticket_id, channel), _request(api, ticket_id, messages)))
        if len(lines) == MAX_REQUESTS_PER_JOB:
            jobs.append(_record(store, *_send(store, api, spec, lines, 0, None)))
            lines = []
    if lines:
        jobs.append(_record(store, *_send(store, api, spec, lines, 0, None)))
    return jobs


def _record(store: Store, job: BatchJob, items: list[BatchItem]) -> BatchJob:
    store.add_batch_job(job, items)
    return store.batch_job(job.id)


def refresh(store: Store, api: BatchAPI, job_id: str) -> Any:
    """Ask the provider about a job and record what it says; return the provider's batch."""
    batch = api.retrieve(job_id)
    counts = batch.request_counts
    note = None
    errors = getattr(batch, "errors", None)
    if errors is not None and getattr(errors, "data", None):
        note = "; ".join(f"{e.code}: {e.message}" for e in errors.data if e is not None)[:500]
    store.update_batch_job(
        job_id, status=str(batch.status),
        counts={"total": counts.total, "completed": counts.completed, "failed": counts.failed}
        if counts is not None else None,
        output_file_id=batch.output_file_id, error_file_id=batch.error_file_id, note=note)
    return batch


@dataclass
class CollectReport:
    """What `collect_all` did."""

    collected: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)  # follow-up jobs with revisions
    already: list[str] = field(default_factory=list)
    done: int = 0
    failed: int = 0
    revising: int = 0
    blocking: int = 0
    line_errors: int = 0
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    usage: dict[str, int] = field(default_factory=lambda: dict.fromkeys(USAGE_KEYS, 0))
    cost: float | None = 0.0
    failures: list[tuple[int, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "collected": self.collected, "pending": self.pending, "submitted": self.submitted,
            "already_collected": self.already, "done": self.done, "failed": self.failed,
            "revising": self.revising, "blocking": self.blocking, "line_errors": self.line_errors,
            "findings_by_rule": dict(sorted(self.findings_by_rule.items())), "usage": self.usage,
            "cost": None if self.cost is None else round(self.cost, 6),
            "failures": [{"ticket": t, "reason": r} for t, r in self.failures],
        }

    def lines(self) -> list[str]:
        """Return the report for people."""
        from drafter.batch.costs import format_money

        out = []
        if self.already:
            out.append(f"already collected: {', '.join(self.already)} (nothing to do)")
        if self.collected:
            out.append(f"collected {len(self.collected)} job{'s' if len(self.collected) != 1 else ''}: "
                       f"{self.done} drafted, {self.failed} failed, {self.revising} sent back for "
                       "revision")
        if self.submitted:
            out.append(f"submitted revisions as {', '.join(self.submitted)}; collect them later")
        if self.pending:
            out.append(f"still running: {', '.join(self.pending)}")
        if not (self.collected or self.pending or self.already):
            out.append("no Batch API jobs to collect")
        if self.findings_by_rule:
            ranked = sorted(self.findings_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))
            out.append("findings by rule: " + ", ".join(f"{c} ×{n}" for c, n in ranked))
        if self.collected:
            u = self.usage
            out.append(f"tokens: {u['prompt_tokens']:,} prompt ({u['cached_tokens']:,} cached) + "
                       f"{u['completion_tokens']:,} completion = {u['total_tokens']:,}")
            out.append(f"cost: {format_money(self.cost)} (Batch API prices)")
        for t, r in self.failures[:20]:
            out.append(f"  ticket {t} failed: {r}")
        return out


def collect_all(store: Store, api: BatchAPI, spec: BatchSpec, settings: Settings, *,
                job_id: str | None = None, wait: bool = False,
                on_status: Callable[[str], None] | None = None) -> CollectReport:
    """Collect every finished job not yet collected (or just `job_id`); with `wait`, until none run."""
    report = CollectReport()
    if job_id is not None and store.batch_job(job_id).collected_at is not None:
        report.already.append(job_id)
        return report
    while True:
        ids = [job_id] if job_id is not None else [j.id for j in store.batch_jobs(uncollected_only=True)]
        report.pending = []
        for jid in ids:
            if store.batch_job(jid).collected_at is not None:
                continue
            batch = refresh(store, api, jid)
            if batch.status not in FINAL:
                report.pending.append(jid)
                continue
            follow = _collect_one(store, api, spec, store.batch_job(jid), batch, report)
            if follow is not None and job_id is not None:
                job_id = follow  # with --wait on one job, follow its revisions too
        left = ([job_id] if store.batch_job(job_id).collected_at is None else []) if job_id \
            else [j.id for j in store.batch_jobs(uncollected_only=True)]
        if not wait or not left:
            return report
        if on_status:
            on_status(f"waiting for {', '.join(left)}…")
        time.sleep(settings["batch.poll_interval"])


def _parse_lines(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        if line.strip():
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict):
                yield data


def _line_error(data: dict[str, Any]) -> str | None:
    """Return why a result line failed, or None if it carries a usable completion."""
    if data.get("error"):
        err = data["error"]
        if isinstance(err, dict):
            return f"{err.get('code') or 'error'}: {err.get('message') or err}"
        return str(err)
    response = data.get("response") or {}
    code = response.get("status_code")
    body = response.get("body") or {}
    if code != 200:
        message = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
        return f"the request failed with status {code}" + (f": {message}" if message else "")
    choices = body.get("choices") if isinstance(body, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return "the response had no choices"
    if (choices[0].get("message") or {}).get("content") is None:
        return "the response had no text"
    return None


def _usage(body: dict[str, Any]) -> dict[str, int]:
    raw = body.get("usage") or {}
    details = raw.get("prompt_tokens_details") or {}
    prompt, completion = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "cached_tokens": int(details.get("cached_tokens") or 0),
            "total_tokens": prompt + completion}


def _collect_one(store: Store, api: BatchAPI, spec: BatchSpec, job: BatchJob, batch: Any,
                 report: CollectReport) -> str | None:
    """Collect one finished job; return the id of its follow-up job, if one was submitted."""
    from drafter.prompting import instructions
    from drafter.review.signals import context_from_ticket

    results: dict[str, dict[str, Any]] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            for line in _parse_lines(api.content(file_id)):
                if "custom_id" in line:
                    results.setdefault(str(line["custom_id"]), line)
    prompts = CachedPrompts(spec.prompts)
    drafts: list[StoredDraft] = []
    follow: list[tuple[BatchItem, str]] = []
    for item in store.batch_items(job.id):
        data = results.get(str(item.ticket_id))
        ticket = store.get(item.ticket_id)
        rounds = list(item.rounds)
        why: str | None
        if data is None:
            why = f"the batch {batch.status} before this request ran" + (
                f" ({job.note})" if job.note and batch.status == "failed" else "")
        else:
            why = _line_error(data)
            if why is not None:
                report.line_errors += 1
        if why is None and data is not None:
            body = data["response"]["body"]
            choice = body["choices"][0]
            clean = pipeline.clean_body(choice["message"]["content"],
                                        choice.get("finish_reason") == "length")
            first = prompts.reply_messages(spec.guide, spec.team, ticket, item.channel)
            context = replace(context_from_ticket(ticket, spec.guide, channel=item.channel,
                                                  body_only=True),
                              prompt=instructions(first), model_draft=True)
            findings = spec.reviewer.review(clean, context)
            rounds.append({"index": len(rounds), "body": clean, "usage": _usage(body),
                           "findings": [f.to_dict() for f in findings]})
            remaining, _ = pipeline.next_revision(_rounds(rounds), spec.revise_on, spec.guide,
                                                  spec.max_revisions)
            if remaining:
                messages = prompts.revise_messages(first, clean, remaining)
                follow.append((BatchItem(item.ticket_id, item.channel, rounds),
                               _request(api, item.ticket_id, messages)))
                continue
        if not rounds:
            assert why is not None
            drafts.append(StoredDraft(item.ticket_id, "failed", reason=why, model=api.model,
                                      prompt_version=job.prompt_version, via="batch-api",
                                      job_id=job.id))
            continue
        # A failed revision keeps the best of the rounds that came back.
        drafts.append(_finished(ticket, rounds, spec, api, job))
    follow_up = None
    if follow:
        follow_up = _send(store, api, spec, follow, job.round + 1, job.id)
    store.finish_batch_job(job.id, drafts, follow_up)
    report.collected.append(job.id)
    report.revising += len(follow)
    if follow_up is not None:
        report.submitted.append(follow_up[0].id)
    for d in drafts:
        if d.status == "failed":
            report.failed += 1
            report.failures.append((d.ticket_id, d.reason or ""))
            continue
        report.done += 1
        for f in d.findings:
            report.findings_by_rule[f["code"]] += 1
        if spec.fail_on and any(at_or_above(f["severity"], spec.fail_on) for f in d.findings):
            report.blocking += 1
    for d in drafts:
        for key in USAGE_KEYS:
            report.usage[key] += int(d.usage.get(key, 0))
        report.cost = None if report.cost is None or d.cost is None else report.cost + d.cost
    return follow_up[0].id if follow_up is not None else None


def _rounds(rounds: list[dict[str, Any]]) -> list[pipeline.Round]:
    """The rounds as stored with a Batch API item, as the pipeline's."""
    return [pipeline.Round(r["index"], r["body"], [Finding(**f) for f in r["findings"]],
                           r["usage"], 0.0, 1) for r in rounds]


def _finished(ticket: Any, rounds: list[dict[str, Any]], spec: BatchSpec, api: BatchAPI,
              job: BatchJob) -> StoredDraft:
    kept = pipeline.result_of(_rounds(rounds), ticket, spec.team, api.model,
                              channel=reply_channel(ticket, spec.default_channel))
    usage = kept.usage
    return StoredDraft(
        ticket_id=int(ticket.id), status="done", draft=kept.text, body=kept.body,
        findings=[f.to_dict() for f in kept.findings], usage=usage,
        cost=spec.prices.cost(api.model, usage, "batch-api"), model=api.model,
        prompt_version=job.prompt_version, rounds=len(rounds), kept_round=kept.kept_round,
        via="batch-api", job_id=job.id,
    )
