"""What revising and the small-model prompt variants buy, over a fixed set of 15 tickets.

The set (TICKETS) is 5 of the example tickets (examples/, the Lumen shop) and 10 cases of the
grounding set (benchmarks/grounding/, the Brightbean roastery), each drafted with its own
company's knowledge: 11 English, 2 German, 1 Spanish and 1 chat; two that the knowledge cannot
answer, three with bait.

    python benchmarks/revise_rates.py --rates --threads 1     # per rule: does a revision fix it?
    python benchmarks/revise_rates.py --variants base,short   # prompt variants through the pipeline
    # the recorded figures (docs/local-model.md), replayed without a server:
    python benchmarks/revise_rates.py --rates --variants base,stop+200,short,short+examples,short+json \
        --cassettes benchmarks/revise_rates/cassettes --replay
    # ... the first drafts alone: --max-revisions 0; the rates after the short variants'
    # drafts: --rates --rates-with short (or short+json)

--rates drafts each ticket and then asks for `--revisions` revision rounds whatever the rules'
`revise` settings say, with every finding at or above `warning`, and prints per rule how often
a round removed that rule's findings, and how often it did so without adding a finding of a
rule the draft did not have before ("clean"). Those are the figures the guide's per-rule
`revise` defaults are set from (a rule is revised when its clean rate is at least REVISE_FLOOR).

--variants drafts each ticket through drafter's own pipeline (as `draft reply` does, shipped
revise settings) once per variant (VARIANTS: settings over the shipped ones) and prints, per
variant: the share of final and first drafts with a sanity error (SAN*), errors and warnings
per draft, the share with neither, mean rounds and model seconds per reply.

The bundled model runs on drafter's LocalServer (benchmarks/grounding.py's `model_endpoint`);
--cassettes records each ticket's model calls (vcrpy) or replays them where recorded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from grounding import SECRET_HEADERS, load_cases, model_endpoint  # noqa: E402

from drafter import App  # noqa: E402
from drafter.llm.client import ChatClient  # noqa: E402
from drafter.llm.endpoint import client_options  # noqa: E402
from drafter.pipeline import Result, blocking, clean_body, run  # noqa: E402
from drafter.prompting import instructions  # noqa: E402
from drafter.review.finding import Finding  # noqa: E402
from drafter.tickets.importers import ticket_from_input  # noqa: E402
from drafter.tickets.model import Ticket, public_thread  # noqa: E402

ROOT = HERE.parent
EXAMPLES = ROOT / "examples"
GROUNDING = HERE / "grounding"
# (company, ticket): an example ticket file, or a grounding case id. Fixed: the figures in
# docs/local-model.md are over exactly these.
TICKETS: tuple[tuple[str, str], ...] = (
    ("examples", "01-damaged-order.eml"),
    ("examples", "02-simple-question.eml"),
    ("examples", "03-delivery-time-de.eml"),
    ("examples", "04-refund-question.eml"),
    ("examples", "07-chat-login.json"),
    ("grounding", "saturday-order-dispatch"),
    ("grounding", "utrecht-postage"),
    ("grounding", "delivered-not-here-refund"),
    ("grounding", "reset-link-expired"),
    ("grounding", "charged-twice-refund"),
    ("grounding", "wrong-coffee-decaf"),
    ("grounding", "grinder-motor-hums"),
    ("grounding", "nespresso-pods"),
    ("grounding", "student-discount"),
    ("grounding", "es-canarias"),
)
CONFIGS = {"examples": EXAMPLES / "drafter.toml", "grounding": GROUNDING / "drafter.toml"}
SANITY = "SAN"
PORT = 18480  # not the grounding benchmark's (tests and other runs record on that one)
REVISE_FLOOR = 0.5  # a rule is revised when a round removes it cleanly at least this often
# Stop sequences on the prompt's delimiters and role words (the `stop` variants).
STOP = ["<ticket", "<message", "</", "\nCustomer:", "\nUser:"]
# Each variant: settings over the built-in defaults, every one of them named (the bundled
# model's own defaults, drafter/llm/endpoint.py, would otherwise fill in what a variant leaves
# out). draft.structured: JSON through the server's schema support, assembled into the body.
FULL = {"draft.prompt": "full", "llm.max_tokens": 350, "llm.stop": [], "draft.examples": False,
        "draft.structured": False}
VARIANTS: dict[str, dict[str, Any]] = {
    "base": FULL,
    "stop": {**FULL, "llm.stop": STOP},
    "stop+200": {**FULL, "llm.stop": STOP, "llm.max_tokens": 200},
    "short": {**FULL, "llm.stop": STOP, "llm.max_tokens": 200, "draft.prompt": "short"},
    "short+examples": {**FULL, "llm.stop": STOP, "llm.max_tokens": 200, "draft.prompt": "short",
                       "draft.examples": True},
    "short+json": {**FULL, "llm.max_tokens": 200, "draft.prompt": "short", "draft.structured": True},
}


@dataclass
class Item:
    """One ticket of the set, with the App of its company."""

    name: str
    company: str
    ticket: Ticket


def load_items() -> list[Item]:
    """The fixed set of tickets (TICKETS), read with drafter's own readers."""
    cases = {c.id: c for c in load_cases()}
    out = []
    for company, name in TICKETS:
        if company == "examples":
            path = EXAMPLES / "tickets" / name
            ticket = ticket_from_input(path.read_bytes(), str(path))
            out.append(Item(Path(name).stem, company, ticket))
        else:
            out.append(Item(name, company, cases[name].ticket))
    return out


@contextlib.contextmanager
def cassette(folder: Path | None, name: str, replay: bool = False) -> Iterator[None]:
    """Replay the calls recorded in `folder`/`name`.yaml and record the ones it lacks (with
    `replay`, a call not recorded fails instead)."""
    if folder is None:
        yield
        return
    import vcr

    # On the path, not the URL: runs side by side serve the model on ports of their own.
    recorder = vcr.VCR(record_mode="none" if replay else "new_episodes", match_on=["method", "path", "body"],
                       filter_headers=[(h, None) for h in SECRET_HEADERS],
                       decode_compressed_response=True)
    with recorder.use_cassette(str(folder / f"{name}.yaml")):
        yield


def counts(findings: Sequence[Finding]) -> Counter[str]:
    """How many findings each rule has."""
    return Counter(f.code for f in findings)


# ----------------------------------------------------------------------------- revise rates


@dataclass
class Trial:
    """One revision round: the findings it was asked to fix, before and after."""

    item: str
    asked: Counter[str]
    before: Counter[str]
    after: Counter[str]
    better: bool


def revise_trials(app: App, item: Item, client: ChatClient, revisions: int,
                  threshold: str = "warning") -> list[Trial]:
    """Draft `item` and ask `revisions` rounds to fix every finding at or above `threshold`,
    whatever the rules' `revise` settings: one Trial per round."""
    ticket = public_thread(item.ticket)
    channel = app.channel_for(ticket)
    grounding = app.ground(ticket)
    context = app.context(ticket, channel=channel, body_only=True, grounding=grounding)
    first = app.reply_messages(ticket, channel, grounding)
    context = replace(context, prompt=instructions(first), model_draft=True)
    reviewer = app.reviewer()
    completion = client.complete(first)
    body = clean_body(completion.text, completion.finish_reason == "length")
    findings = reviewer.review(body, context)
    trials = []
    for _ in range(revisions):
        asked = blocking(findings, threshold)
        if not asked:
            break
        messages = app.prompts.revise_messages(first, body, asked)
        completion = client.complete(messages)
        new_body = clean_body(completion.text, completion.finish_reason == "length")
        new = reviewer.review(new_body, replace(context, prompt=instructions(messages)))
        trials.append(Trial(item.name, counts(asked), counts(findings), counts(new),
                            score(new) < score(findings)))
        body, findings = new_body, new
    return trials


def score(findings: Sequence[Finding]) -> tuple[int, int, int]:
    """Errors, warnings, infos: the pipeline's order of better."""
    c = Counter(f.severity for f in findings)
    return c["error"], c["warning"], c["info"]


def report_rates(trials: Sequence[Trial], guide_of: Callable[[str], bool]) -> None:
    """Print per rule: rounds asked to fix it, removed, removed cleanly, and the verdict."""
    asked: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    clean: Counter[str] = Counter()
    for t in trials:
        added = {c for c in t.after if c not in t.before}
        for code in t.asked:
            asked[code] += 1
            if t.after[code] == 0:
                removed[code] += 1
                if not added:
                    clean[code] += 1
    print(f"\nrevise rates: {len(trials)} revision rounds over {len({t.item for t in trials})} "
          f"tickets; {sum(t.better for t in trials)} rounds better than the draft they revised")
    print(f"  {'rule':8} {'asked':>5} {'removed':>8} {'clean':>6} {'clean rate':>10}  "
          f"shipped revise  verdict (floor {REVISE_FLOOR:.0%})")
    for code in sorted(asked, key=lambda c: (-asked[c], c)):
        rate = clean[code] / asked[code]
        verdict = "revise" if rate >= REVISE_FLOOR else "no"
        print(f"  {code:8} {asked[code]:5} {removed[code]:8} {clean[code]:6} {rate:10.0%}  "
              f"{'true' if guide_of(code) else 'false':>14}  {verdict}")


# ----------------------------------------------------------------------------- variants


@dataclass
class Outcome:
    """One ticket drafted under one variant."""

    item: str
    final: list[Finding] = field(default_factory=list)
    first: list[Finding] = field(default_factory=list)
    rounds: int = 0
    model_s: float = 0.0
    body: str = ""
    error: str | None = None


def draft_variant(app: App, item: Item, client: Any) -> Result:
    """Draft `item` through drafter's pipeline, as App.reply does, with `client`."""
    ticket = public_thread(item.ticket)
    channel = app.channel_for(ticket)
    grounding = app.ground(ticket)
    context = app.context(ticket, channel=channel, body_only=True, grounding=grounding)
    s = app.settings
    return run(ticket, prompts=app.prompts, guide=app.guide, client=client,
               reviewer=app.reviewer(), context=context, team=app.team, channel=channel,
               max_revisions=s["draft.max_revisions"], revise_on=s["draft.revise_on"],
               reference=grounding.reference, start=grounding.start,
               language=app.ticket_language(ticket))


def report_variants(results: dict[str, list[Outcome]]) -> None:
    """Print one line of figures per variant."""
    print(f"\nvariants over {max(len(v) for v in results.values())} tickets "
          "(share of drafts; errors/warnings per draft; mean per reply)")
    print(f"  {'variant':15} {'SAN final':>9} {'SAN first':>9} {'errors':>6} {'warns':>6} "
          f"{'clean':>6} {'rounds':>6} {'model s':>7} {'failed':>6}")
    for name, outs in results.items():
        done = [o for o in outs if o.error is None]
        n = len(done) or 1

        def sanity(fs: Sequence[Finding]) -> bool:
            return any(f.code.startswith(SANITY) and f.severity == "error" for f in fs)

        errors = sum(1 for o in done for f in o.final if f.severity == "error") / n
        warns = sum(1 for o in done for f in o.final if f.severity == "warning") / n
        clean = sum(1 for o in done if not blocking(o.final, "warning")) / n
        print(f"  {name:15} {sum(sanity(o.final) for o in done) / n:9.0%} "
              f"{sum(sanity(o.first) for o in done) / n:9.0%} {errors:6.2f} {warns:6.2f} "
              f"{clean:6.0%} {statistics.mean(o.rounds for o in done) if done else 0:6.2f} "
              f"{statistics.mean(o.model_s for o in done) if done else 0:7.1f} "
              f"{len(outs) - len(done):6}")
    print("  per ticket, final codes:")
    for name, outs in results.items():
        for o in outs:
            codes = ",".join(sorted({f.code for f in o.final if f.severity != "info"})) or "-"
            print(f"    {name:15} {o.item:26} r{o.rounds} {o.model_s:5.1f}s  "
                  f"{o.error or codes}")


# ----------------------------------------------------------------------------------------- main


def make_client(app: App) -> ChatClient:
    """A chat client for the App's configured endpoint (the local server already running)."""
    s = app.settings
    return ChatClient(s["llm.base_url"], s["llm.api_key"], s["llm.model"], **client_options(s))


def main(argv: Sequence[str] | None = None) -> int:
    """Print the revise rates and/or the variants' figures."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rates", action="store_true", help="measure per-rule revise rates")
    ap.add_argument("--revisions", type=int, default=1, help="revision rounds per ticket (--rates)")
    ap.add_argument("--rates-with", default="base", choices=list(VARIANTS),
                    help="the variant whose drafts --rates revises (default: base)")
    ap.add_argument("--variants", default="", help=f"comma-separated, or all: {', '.join(VARIANTS)}")
    ap.add_argument("--cassettes", type=Path, help="record/replay the model calls in this folder")
    ap.add_argument("--limit", type=int, help="only the first N tickets")
    ap.add_argument("--replay", action="store_true",
                    help="every call is in --cassettes: start no model server")
    ap.add_argument("--max-revisions", type=int, help="draft.max_revisions for --variants")
    ap.add_argument("--port", type=int, default=PORT,
                    help=f"serve the model on this port (default {PORT}; runs side by side)")
    ap.add_argument("--threads", type=int, help="the server's threads (default: drafter's plan)")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds one model request may take")
    ap.add_argument("--drafts-out", type=Path, help="write the variants' drafts here (JSON lines)")
    args = ap.parse_args(argv)
    items = load_items()[:args.limit]
    names = list(VARIANTS) if args.variants == "all" else [v for v in args.variants.split(",") if v]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variant {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if args.cassettes is not None:
        args.cassettes.mkdir(parents=True, exist_ok=True)
    # Recorded calls replay; a call not recorded (a revision asking for other findings) needs
    # the server, so it is started unless --replay says every call is recorded.
    need_server = not args.replay
    with tempfile.TemporaryDirectory(prefix="drafter-revise-") as tmp, \
            model_endpoint("local", None, need_server, args.port, args.threads) as flags:
        flags.update({"llm.timeout": args.timeout, "llm.max_retry_seconds": args.timeout,
                      "llm.max_attempts": 1})

        def app_for(company: str, extra: dict[str, Any]) -> App:
            settings = dict(extra)
            if args.max_revisions is not None:
                settings["draft.max_revisions"] = args.max_revisions
            return App.from_config(CONFIGS[company], **{"store.path": str(Path(tmp) / f"{company}.db")},
                                   **flags, **settings)

        if args.rates:
            apps = {c: app_for(c, VARIANTS[args.rates_with]) for c in CONFIGS}
            trials: list[Trial] = []
            for item in items:
                app = apps[item.company]
                client = make_client(app)
                start = time.perf_counter()
                try:
                    prefix = "rates" if args.rates_with == "base" else f"rates-{args.rates_with}"
                    with cassette(args.cassettes, f"{prefix}.{item.name}", args.replay):
                        got = revise_trials(app, item, client, args.revisions)
                    trials += got
                    print(f"  rates {item.name}: {len(got)} rounds, "
                          f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
                except Exception as exc:  # one ticket's failure is a figure, not the end
                    print(f"  rates {item.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                finally:
                    client.close()
            guide = apps["grounding"].guide

            def revised(code: str) -> bool:
                found = guide.rule_settings(code)
                return bool(found[0].get("revise", True)) if found else True

            report_rates(trials, revised)
            sys.stdout.flush()

        results: dict[str, list[Outcome]] = defaultdict(list)
        drafts = []
        for name in names:
            variant = VARIANTS[name]
            apps = {c: app_for(c, variant) for c in CONFIGS}
            for item in items:
                app = apps[item.company]
                out = Outcome(item.name)
                rates = "rates" if name == "base" else f"rates-{name}"
                first = args.cassettes / f"{rates}.{item.name}.yaml" if args.cassettes else None
                if first is not None and first.exists() \
                        and not (args.cassettes / f"{name}.{item.name}.yaml").exists():
                    # The same first draft: its recorded call is replayed, not made again.
                    shutil.copy(first, args.cassettes / f"{name}.{item.name}.yaml")
                client = make_client(app)
                try:
                    with cassette(args.cassettes, f"{name}.{item.name}", args.replay):
                        result = draft_variant(app, item, client)
                    out.final, out.first = result.findings, result.rounds[0].findings
                    out.rounds = len(result.rounds)
                    out.model_s = sum(r.latency for r in result.rounds)
                    out.body = result.body
                except Exception as exc:  # one ticket's failure is a figure, not the end
                    out.error = f"{type(exc).__name__}: {exc}"[:120]
                finally:
                    client.close()
                results[name].append(out)
                drafts.append({"variant": name, "ticket": item.name, "body": out.body,
                               "codes": [f.code for f in out.final], "rounds": out.rounds,
                               "model_s": round(out.model_s, 1), "error": out.error})
                print(f"  {name} {item.name}: r{out.rounds} {out.model_s:.1f} s "
                      f"{out.error or ','.join(sorted({f.code for f in out.final}))}",
                      file=sys.stderr)
            report_variants(results)  # the figures so far, after each variant
            sys.stdout.flush()
        if args.drafts_out:
            args.drafts_out.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n"
                                               for d in drafts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
