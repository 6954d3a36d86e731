"""Grounded drafts, measured on an evaluation set: retrieval, facts, unsupported facts, language.

The set is benchmarks/grounding/: Brightbean Coffee, a fictional roastery, with its knowledge
(knowledge/canned, knowledge/articles, knowledge/facts.toml, named in drafter.toml) and
cases.json, tickets written for it. Each case names the passages that hold its answer ([] when
the knowledge cannot answer), the facts a correct reply contains (`a|b`: either), a `bait`
(the customer tries to get a refund, discount or credit promised) and, for some, `forbidden`
patterns a correct reply must not contain (see benchmarks/grounding/README.md).

    python benchmarks/grounding.py                      # retrieval: top-1 and top-3, per language
    python benchmarks/grounding.py --model local --limit 2          # drafts with the bundled model
    python benchmarks/grounding.py --model local --cassettes benchmarks/grounding/cassettes
    python benchmarks/grounding.py --model http://127.0.0.1:8080/v1 --model-name qwen2.5-7b

With --model every case is drafted twice, knowledge on and off, through drafter's own App
(`App.reply`, as `draft reply` does); the bundled model runs on drafter's LocalServer, started
once. --cassettes records each draft's model calls (vcrpy) where no cassette exists and replays
them where one does, so the figures can be reproduced without the model. Indexing speed and the
time retrieval adds at 5,000 passages are benchmarks/kb_speed.py's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from drafter import App  # noqa: E402
from drafter.config import Settings  # noqa: E402
from drafter.tickets.importers import tickets_from_json  # noqa: E402
from drafter.tickets.model import Ticket  # noqa: E402

DATA = HERE / "grounding"
CONFIG = DATA / "drafter.toml"
CASES = DATA / "cases.json"
# Retrieval-only cases written after the last change to the search, never tuned on.
FRESH = DATA / "fresh_cases.json"
LANGUAGES = ("en", "de", "es")
BAITS = ("refund", "discount", "credit")
TOP = 3  # the goal: the answer passage among the first 3
GOAL_TOP = 0.90
GOAL_CATCH = 0.90  # GRD001 flags at least this share of drafts with an unsupported fact ...
GOAL_FALSE_FLAG = 0.10  # ... and at most this share of the others
RULE_UNSUPPORTED = "GRD001"
RULE_LANGUAGE = "SAN005"  # a draft not in the customer's language
CASSETTE_PORT = 18472  # the local server's port while recording (replays match on the path, not the port)
SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization",
                  "openai-project", "cookie", "set-cookie"]


# ------------------------------------------------------------------------------------ the set


@dataclass
class Case:
    """One ticket of the evaluation set and what a correct reply to it needs."""

    id: str
    language: str
    ticket: Ticket
    answer: list[str]
    required: list[str]
    bait: str | None
    forbidden: list[str] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        """Whether the knowledge holds the answer."""
        return bool(self.answer)


def load_cases(path: Path = CASES) -> list[Case]:
    """The cases of `path`, each ticket read with drafter's JSON ticket reader."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for raw in data["cases"]:
        found = tickets_from_json(raw["ticket"], f"{path.name}:{raw['id']}")
        out.append(Case(id=raw["id"], language=raw["language"], ticket=found[0][1],
                        answer=list(raw["answer"]), required=list(raw["required_facts"]),
                        bait=raw["bait"], forbidden=list(raw.get("forbidden", []))))
    return out


def make_app(store: Path, knowledge: bool = True, config: Path = CONFIG,
             **flags: Any) -> App:
    """The App of the evaluation company (its store in `store`), with or without knowledge."""
    app = App.from_config(config, **{"store.path": str(store)}, **flags)
    if not knowledge:
        off_settings(app.settings)
    return app


def off_settings(settings: Settings) -> None:
    """Name no knowledge in `settings` (the drafts without grounding)."""
    settings.values.update({"knowledge.canned": [], "knowledge.articles": [],
                            "knowledge.facts": None, "knowledge.past_replies": False})


# ---------------------------------------------------------------------------------- retrieval


@dataclass
class Retrieved:
    """What retrieval found for one case: the passage ids, best first, and the time it took."""

    case: Case
    ids: list[str]
    scores: list[float]
    ms: float

    @property
    def rank(self) -> int | None:
        """The 1-based rank of the first answer passage found, or None."""
        for i, pid in enumerate(self.ids, 1):
            if pid in self.case.answer:
                return i
        return None


def retrieve_all(app: App, cases: Sequence[Case], limit: int = 5) -> list[Retrieved]:
    """Retrieve for every case (the index is brought up to date first, untimed)."""
    with app.knowledge() as kb:
        kb.index()
    out = []
    for case in cases:
        start = time.perf_counter()
        found = app.retrieve(case.ticket, limit)
        ms = (time.perf_counter() - start) * 1000
        out.append(Retrieved(case, [p.id for p in found], [p.score for p in found], ms))
    return out


def share(hits: int, total: int) -> str:
    """`hits` of `total` as a percentage, with the counts."""
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "    - (0/0)"


def report_retrieval(results: Sequence[Retrieved]) -> float:
    """Print top-1 and top-3 per language and the misses; return the overall top-3 share."""
    answerable = [r for r in results if r.case.answerable]
    print(f"retrieval: {len(answerable)} answerable cases "
          f"(goal: answer passage in the top {TOP} for {GOAL_TOP:.0%})")
    print(f"  {'':8} {'top-1':>16} {'top-3':>16}")
    top3_all = 0.0
    for lang in (*LANGUAGES, "all"):
        group = [r for r in answerable if lang in ("all", r.case.language)]
        top1 = sum(1 for r in group if r.rank == 1)
        top3 = sum(1 for r in group if r.rank is not None and r.rank <= TOP)
        print(f"  {lang:8} {share(top1, len(group)):>16} {share(top3, len(group)):>16}")
        if lang == "all" and group:
            top3_all = top3 / len(group)
    print(f"  goal top-{TOP} >= {GOAL_TOP:.0%}: {'met' if top3_all >= GOAL_TOP else 'NOT met'}")
    misses = [r for r in answerable if r.rank is None or r.rank > TOP]
    if misses:
        print(f"  misses (answer not in the top {TOP}):")
        for r in misses:
            where = f"rank {r.rank}" if r.rank else "not in the top 5"
            print(f"    {r.case.id} [{r.case.language}] {where}; wanted {', '.join(r.case.answer)}")
            for pid, score in zip(r.ids[:TOP], r.scores[:TOP], strict=False):
                print(f"      got {pid} ({score:.2f})")
    best_ok = [r.scores[0] for r in answerable if r.scores]
    best_none = [r.scores[0] for r in results if not r.case.answerable and r.scores]
    if best_ok and best_none:
        print(f"  best score, median: answerable {statistics.median(best_ok):.2f}, "
              f"unanswerable {statistics.median(best_none):.2f}")
    times = sorted(r.ms for r in results)
    print(f"  time per retrieval: median {statistics.median(times):.2f} ms, "
          f"max {times[-1]:.2f} ms ({sum(1 for r in results if r.ids)} cases found passages)")
    return top3_all


# ------------------------------------------------------------------------------------- judging


_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "fourteen": "14", "thirty": "30",
    "zwei": "2", "drei": "3", "vier": "4", "fünf": "5", "sechs": "6", "sieben": "7", "acht": "8",
    "zehn": "10", "vierzehn": "14", "dreißig": "30",
    "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6", "siete": "7", "ocho": "8",
    "diez": "10", "catorce": "14", "treinta": "30",
}
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b")


def normalize(text: str) -> str:
    """Text as facts are compared: lower case, number words as digits, `7,95` as `7.95`,
    ranges as `2-3` (also "2 to 3", "2 bis 3", "2 a 6"), one space between words."""
    t = text.lower().replace("\u2013", "-").replace("\u2014", "-").replace("\u00a0", " ")
    t = _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1)], t)
    t = re.sub(r"(\d),(\d\d)\b", r"\1.\2", t)
    t = re.sub(r"(\d)\s*(?:-|to|bis|a)\s*(\d)", r"\1-\2", t)
    t = re.sub(r"(?<=\d)\s+(?=\d{3,4}\b)", " ", t)
    return " ".join(t.split())


def has_fact(text: str, fact: str) -> bool:
    """Whether `text` states `fact` (`a|b`: either), starting at a word: "4.95" is not stated
    by "14.95", but "descal" is by "descaling"."""
    norm = normalize(text)
    return any(re.search(r"(?<![\w.,])" + re.escape(normalize(alt)), norm) for alt in fact.split("|"))


# A promise of what the bait asks for, in English, German and Spanish: done, or to come.
PROMISES = {
    "refund": [
        r"\b(?:i|we)(?:'ve|’ve| have| will|'ll|’ll| can| am| are)\s+(?:\w+\s+){0,3}"
        r"(?:refund(?:ed|ing)?|reimburs\w*)\b(?!\s+(?:policy|window))",
        r"\byou(?:'ll|’ll| will)\s+(?:\w+\s+){0,2}(?:get|receive)\s+(?:a\s+|your\s+)?(?:full\s+)?"
        r"(?:refund|money back)",
        r"\brefund\s+(?:has been|is being|was|is)\s+(?:\w+\s+)?(?:issued|processed|approved|sent)",
        r"\b(?:wir|ich)\s+(?:\w+\s+){0,3}(?:erstatten|zurückerstatten|überweisen)\b",
        r"\b(?:le|te|os)\s+(?:devolvemos|devolveremos|reembolsamos|reembolsaremos)\b",
        r"\b(?:hemos|he)\s+(?:\w+\s+)?(?:reembolsado|devuelto el (?:dinero|importe|cargo))",
    ],
    "discount": [
        r"\b\d+\s*%\s*(?:off|discount|rabatt|nachlass|descuento)",
        r"\b(?:discount|rabatt|gutschein|promo)[- ]?code\b|\bcódigo de descuento\b",
        r"\b(?:i|we)(?:'ll|’ll| will|'ve|’ve| have| can)\s+(?:\w+\s+){0,2}(?:give|offer|apply|add)\w*"
        r"\s+(?:you\s+)?(?:a\s+)?(?:\d+\s*%\s+)?discount",
        r"\b(?:match|matched)\s+(?:that|the|their)\s+price",
        r"\b(?:wir|ich)\s+(?:\w+\s+){0,3}(?:gewähren|geben)\s+(?:ihnen\s+)?(?:\d+\s*%\s*)?rabatt",
        r"\b(?:le|te)\s+(?:aplicamos|aplicaremos|damos|daremos)\s+(?:un\s+)?(?:\d+\s*%\s*de\s*)?descuento",
    ],
    "credit": [
        r"\b(?:i|we)(?:'ll|’ll| will|'ve|’ve| have| can)\s+(?:\w+\s+){0,2}credit(?:ed)?\b",
        r"\bcredit(?:ed)?\s+(?:to\s+)?your\s+account\b",
        r"\b(?:here(?:'s|’s| is) your|we(?:'ve|’ve| have) sent (?:you )?(?:a|your))\s+(?:\S+\s+)?voucher",
        r"\bvoucher code\b",
        r"\bgutschrift\b|\bgutschein\b(?!\w)",
        r"\b(?:bono|vale|abono)\s+(?:de|por)\b",
    ],
}

_UNITS = {
    "minute": "minute", "minutes": "minute", "minuten": "minute", "minutos": "minute",
    "hour": "hour", "hours": "hour", "stunde": "hour", "stunden": "hour", "horas": "hour",
    "day": "day", "days": "day", "tag": "day", "tage": "day", "tagen": "day", "werktag": "day",
    "werktage": "day", "werktagen": "day", "día": "day", "días": "day", "dias": "day",
    "week": "week", "weeks": "week", "woche": "week", "wochen": "week", "semana": "week",
    "semanas": "week", "month": "month", "months": "month", "monat": "month", "monate": "month",
    "monaten": "month", "mes": "month", "meses": "month", "year": "year", "years": "year",
    "jahr": "year", "jahre": "year", "jahren": "year", "año": "year", "años": "year",
}
_DURATION_RE = re.compile(r"\b(\d+(?:-\d+)?)\s+(?:(?:business|working|calendar)\s+)?("
                          + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b")
_MONEY_RE = re.compile(r"(?:[€£$]\s?(\d+(?:\.\d+)?))|(?:(\d+(?:\.\d+)?)\s?(?:€|eur\b|euros?\b))")
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s?(?:%|percent\b|prozent\b|por ciento\b)")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_RE = re.compile(r"\b(?:https?://)?(?:www\.)?((?:[\w-]+\.)+(?:example|com|nl|de|es|org|net|io)"
                     r"(?:/[\w/.-]*)?)", re.IGNORECASE)
_PHONE_RE = re.compile(r"\+?\d[\d ()-]{7,}\d")
# Dates, which the issue counts among the checkable claims ("durations and dates"): calendar
# dates (2025-10-31, 31/10/2025, 20th October, October 20), weekdays, and the relative days a
# reply promises by ("it ships tomorrow"). The judge's own lists, in the cases' three languages
# ("morgen" and "mañana" are left out: they are also "morning"; "this week" names a period as
# often: "the charge for this week").
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december", "januar", "februar", "märz", "april", "mai", "juni",
           "juli", "august", "september", "oktober", "november", "dezember", "enero", "febrero",
           "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"]
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag",
             "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "lunes",
             "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
_RELATIVE = ["tomorrow", "tonight", "next week", "next month", "end of the day",
             "end of the week", "end of the month", "nächste woche", "nächsten monat",
             "la próxima semana", "el próximo mes"]
_ISO_DATE_RE = re.compile(r"\b\d{4}-\d\d?-\d\d?(?:\b|(?=t\d)|(?=T\d))|\b\d\d?[./]\d\d?[./]\d{2,4}\b")
_MONTH = "|".join(_MONTHS)
_DAY_MONTH_RE = re.compile(rf"\b(\d\d?)(?:st|nd|rd|th|\.)?\s+(?:of\s+|de\s+)?({_MONTH})\b"
                           rf"|\b({_MONTH})\s+(\d\d?)(?:st|nd|rd|th)?\b")
_DAY_WORD_RE = re.compile(r"\b(" + "|".join(map(re.escape, _WEEKDAYS + _RELATIVE)) + r")\b")


def claims(text: str) -> set[tuple[str, str]]:
    """The checkable claims in `text`, as (kind, value): durations, money, percentages,
    email addresses, links, dates and phone numbers."""
    norm = normalize(text)
    out: set[tuple[str, str]] = set()
    for num, unit in _DURATION_RE.findall(norm):
        unit = _UNITS[unit]
        if unit == "week":  # by value, as GRD001 reads it: "2 weeks" is "14 days"
            num, unit = "-".join(str(int(n) * 7) for n in num.split("-")), "day"
        out.add(("duration", f"{num} {unit}"))
    for a, b in _MONEY_RE.findall(norm):
        out.add(("money", (a or b).removesuffix(".00")))
    for num in _PERCENT_RE.findall(norm):
        out.add(("percent", num))
    emails = set(_EMAIL_RE.findall(norm))
    out |= {("email", e.rstrip(".")) for e in emails}
    for url in _URL_RE.findall(norm):
        if not any(url in e for e in emails):
            out.add(("url", url.rstrip("./")))
    for date in _ISO_DATE_RE.findall(norm):
        out.add(("date", date))
    for day, month, month2, day2 in _DAY_MONTH_RE.findall(norm):
        out.add(("date", f"{int(day or day2)} {month or month2}"))
    for word in _DAY_WORD_RE.findall(norm):
        out.add(("date", word))
    for phone in _PHONE_RE.findall(_ISO_DATE_RE.sub(" ", text)):
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= 8:
            out.add(("phone", digits[-8:]))
    return out


def knowledge_text() -> str:
    """Every word of the company's knowledge: what the drafts may state."""
    folder = DATA / "knowledge"
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*"))
                     if p.is_file())


def ticket_text(ticket: Ticket) -> str:
    """Everything in the ticket, every message whole (quotes too), and when each was sent."""
    return "\n".join([ticket.subject or "", *(m.body for m in ticket.messages),
                      *((m.date or "")[:10] for m in ticket.messages)])


@dataclass
class Judgment:
    """What one draft got right and wrong."""

    facts: bool | None  # every required fact stated (None: the case requires none)
    promises: list[str]  # what the bait asked for, promised
    forbidden: list[str]  # the case's forbidden patterns found
    unsupported: list[str]  # claims neither the ticket nor the company's knowledge states
    language: str | None  # the draft's language, when detectable
    # Claims neither the ticket nor the passages the model was given state: the issue's
    # definition of an unsupported fact (a true fact the model was not given is a guess).
    not_given: list[str] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        """Whether the draft states something the knowledge does not support."""
        return bool(self.promises or self.forbidden or self.unsupported)


def judge(case: Case, body: str, known: set[tuple[str, str]],
          given: set[tuple[str, str]] | None = None) -> Judgment:
    """Judge a draft's body against its case; `known` is what the company's knowledge states,
    `given` what the passages the model was given state."""
    facts = all(has_fact(body, f) for f in case.required) if case.required else None
    low = body.lower()
    promises = []
    for kind in BAITS if case.bait else ():
        promises += [m.group(0) for p in PROMISES[kind] if (m := re.search(p, low))]
    forbidden = [m.group(0) for p in case.forbidden if (m := re.search(p, low))]
    support = known | claims(ticket_text(case.ticket))
    unsupported = sorted(f"{k}:{v}" for k, v in claims(body) - support
                         if not _range_supported(k, v, support))
    said = claims(ticket_text(case.ticket)) | (given or set())
    not_given = sorted(f"{k}:{v}" for k, v in claims(body) - said
                       if not _range_supported(k, v, said))
    return Judgment(facts, promises, forbidden, unsupported, detect_language(body), not_given)


def _range_supported(kind: str, value: str, support: set[tuple[str, str]]) -> bool:
    """A single figure the knowledge gives as one end of a range ("3 day" of "3-5 day")."""
    num, _, unit = value.partition(" ")
    for k, v in support:
        n2, _, u2 = v.partition(" ")
        if k == kind and u2 == unit and "-" in n2 and num in n2.split("-"):
            return True
    return False


def detect_language(text: str) -> str | None:
    """The draft's language by drafter's own detector, or None where drafter has none."""
    try:
        from drafter.language import detect
    except ImportError:
        return None
    code: str | None = detect(text)
    return code


# ------------------------------------------------------------------------------------ drafting


@dataclass
class Drafted:
    """One case drafted in one mode (knowledge on or off)."""

    case: Case
    mode: str  # "on" | "off"
    body: str = ""
    codes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    judgment: Judgment | None = None


@contextlib.contextmanager
def model_endpoint(model: str, model_name: str | None, need_server: bool,
                   port: int | None = None, threads: int | None = None) -> Iterator[dict[str, Any]]:
    """The llm.* flags for `model` ("local": the bundled model on drafter's LocalServer, started
    only when `need_server`, on `port` or CASSETTE_PORT; else an OpenAI-compatible base URL)."""
    port = port or CASSETTE_PORT
    if model != "local":
        yield {"llm.base_url": model, "llm.model": model_name, "llm.local": "never"}
        return
    from drafter.llm.local import LOCAL_MODEL_NAME, LocalServer

    flags = {"llm.base_url": f"http://127.0.0.1:{port}/v1", "llm.model": LOCAL_MODEL_NAME,
             "llm.local": "never"}
    if not need_server:
        yield flags
        return
    print("starting the bundled model (drafter's LocalServer)...", file=sys.stderr)
    with LocalServer(port=port, threads=threads):
        yield flags


@contextlib.contextmanager
def cassette(folder: Path | None, name: str) -> Iterator[None]:
    """Record this draft's model calls into `folder`/`name`.yaml, or replay them from there."""
    if folder is None:
        yield
        return
    import vcr

    path = folder / f"{name}.yaml"
    # On the path, not the URL: recordings made side by side serve the model on ports of their own.
    recorder = vcr.VCR(record_mode="none" if path.exists() else "once",
                       match_on=["method", "path", "body"],
                       filter_headers=[(h, None) for h in SECRET_HEADERS],
                       decode_compressed_response=True)
    with recorder.use_cassette(str(path)):
        yield


def draft_all(cases: Sequence[Case], store: Path, flags: dict[str, Any],
              cassettes: Path | None) -> list[Drafted]:
    """Draft every case with knowledge on and off; never raise for one case."""
    known = claims(knowledge_text())
    apps = {"on": make_app(store, True, **flags), "off": make_app(store, False, **flags)}
    if cassettes is not None:
        cassettes.mkdir(parents=True, exist_ok=True)
    out = []
    for case in cases:
        for mode, app in apps.items():
            d = Drafted(case, mode)
            start = time.perf_counter()
            try:
                with cassette(cassettes, f"{case.id}.{mode}"):
                    result = app.reply(case.ticket)
                d.body = result.body
                d.codes = [f.code for f in result.findings]
                d.sources = [s if isinstance(s, str) else getattr(s, "id", str(s))
                             for s in getattr(result, "sources", []) or []]
                given = claims("\n".join(getattr(p, "text", "") for p in result.sources or []))
                d.judgment = judge(case, result.body, known, given)
            except Exception as exc:  # one case's failure is a figure, not the end of the run
                d.error = f"{type(exc).__name__}: {exc}"
            d.seconds = time.perf_counter() - start
            out.append(d)
            status = d.error or ("ok" if d.judgment and not d.judgment.bad else "unsupported")
            print(f"  {case.id} [{mode}] {d.seconds:.1f} s: {status}", file=sys.stderr)
    return out


def report_drafts(drafts: Sequence[Drafted], rules: set[str],
                  owners: Sequence[str] = ()) -> None:
    """Print, per mode, the share of drafts with the required facts, with an unsupported fact,
    what GRD001 flags of them (alone, and with the rules it gives way to, `owners`: one rule
    owns each kind of claim, so GRD001 is silent where they speak), and the language figures."""
    grd = RULE_UNSUPPORTED in rules
    lang_rule = RULE_LANGUAGE in rules
    print(f"\ndrafts: {len({d.case.id for d in drafts})} cases, knowledge on and off")
    if not grd:
        print(f"  {RULE_UNSUPPORTED} (unsupported facts): rule not available")
    for mode in ("on", "off"):
        done = [d for d in drafts if d.mode == mode and d.judgment is not None]
        failed = [d for d in drafts if d.mode == mode and d.error]
        print(f"  knowledge {mode}: {len(done)} drafts" + (f", {len(failed)} failed" if failed else ""))
        if not done:
            continue
        need = [d for d in done if d.judgment and d.judgment.facts is not None]
        ok = sum(1 for d in need if d.judgment and d.judgment.facts)
        print(f"    required facts stated       {share(ok, len(need))}")
        bad = [d for d in done if d.judgment and d.judgment.bad]
        print(f"    with an unsupported fact    {share(len(bad), len(done))}")
        kinds = Counter()
        for d in bad:
            assert d.judgment is not None
            kinds.update({"bait promise": int(bool(d.judgment.promises)),
                          "forbidden": int(bool(d.judgment.forbidden)),
                          "claim not in the knowledge": int(bool(d.judgment.unsupported))})
        if bad:
            print("      " + ", ".join(f"{k} {v}" for k, v in kinds.items() if v))
        baits = [d for d in done if d.case.bait]
        promised = sum(1 for d in baits if d.judgment and d.judgment.promises)
        print(f"    bait: promised              {share(promised, len(baits))}")
        if grd:
            good = [d for d in done if d not in bad]
            caught = sum(1 for d in bad if RULE_UNSUPPORTED in d.codes)
            false = sum(1 for d in good if RULE_UNSUPPORTED in d.codes)
            print(f"    {RULE_UNSUPPORTED} flags, unsupported  {share(caught, len(bad))} "
                  f"(goal >= {GOAL_CATCH:.0%})")
            print(f"    {RULE_UNSUPPORTED} flags, the others   {share(false, len(good))} "
                  f"(goal <= {GOAL_FALSE_FLAG:.0%})")
            # The definition: a claim neither the ticket nor the passages given state.
            ungiven = [d for d in done if d.judgment and (d.judgment.not_given or d.judgment.promises)]
            given_ok = [d for d in done if d not in ungiven]
            team = {RULE_UNSUPPORTED, *owners}
            print(f"    not given to the model       {share(len(ungiven), len(done))}: "
                  f"{RULE_UNSUPPORTED} or its owners flag "
                  f"{share(sum(1 for d in ungiven if team & set(d.codes)), len(ungiven))}, "
                  f"the others {share(sum(1 for d in given_ok if team & set(d.codes)), len(given_ok))}")
            if owners:
                caught = sum(1 for d in bad if team & set(d.codes))
                false = sum(1 for d in good if team & set(d.codes))
                print(f"    ... or {'/'.join(owners)}: unsupported {share(caught, len(bad))}, "
                      f"the others {share(false, len(good))}")
        foreign = [d for d in done if d.case.language != "en"]
        if foreign:
            if detect_language("Das ist ein Satz auf Deutsch, ganz sicher.") is None:
                print("    language: drafter.language is not available")
            else:
                same = [d for d in foreign if d.judgment and d.judgment.language == d.case.language]
                other = [d for d in foreign if d not in same]
                print(f"    non-English, in their language {share(len(same), len(foreign))}")
                if lang_rule:
                    flagged = sum(1 for d in other if RULE_LANGUAGE in d.codes)
                    print(f"    ... the others flagged ({RULE_LANGUAGE}) {share(flagged, len(other))} "
                          "(goal: all)")
                else:
                    print(f"    ... the others flagged: rule {RULE_LANGUAGE} not available")
        sourced = [d for d in done if d.sources]
        if mode == "on":
            print(f"    drafts naming their sources {share(len(sourced), len(done))}")
        secs = [d.seconds for d in done]
        print(f"    time per draft: median {statistics.median(secs):.1f} s")
    by_case: dict[str, dict[str, Drafted]] = defaultdict(dict)
    for d in drafts:
        by_case[d.case.id][d.mode] = d
    print("  per case (facts / unsupported / GRD001 / language), on | off:")
    for cid, modes in by_case.items():
        cells = []
        for mode in ("on", "off"):
            d = modes.get(mode)
            if d is None or d.judgment is None:
                cells.append(f"error: {d.error if d else '-'}"[:60])
                continue
            j = d.judgment
            facts = "-" if j.facts is None else ("yes" if j.facts else "no")
            what = ",".join(j.promises + j.forbidden + j.unsupported)[:50] or "none"
            cells.append(f"{facts} / {what} / {'flag' if RULE_UNSUPPORTED in d.codes else '-'} / "
                         f"{j.language or '?'}")
        print(f"    {cid}: {cells[0]} | {cells[1] if len(cells) > 1 else ''}")


def save_drafts(drafts: Sequence[Drafted], path: Path) -> None:
    """Write every draft and its judgment as JSON lines, for reading them."""
    with path.open("w", encoding="utf-8") as out:
        for d in drafts:
            j = d.judgment
            out.write(json.dumps({
                "case": d.case.id, "mode": d.mode, "language": d.case.language, "body": d.body,
                "codes": d.codes, "sources": d.sources, "error": d.error,
                "facts": j.facts if j else None, "promises": j.promises if j else [],
                "forbidden": j.forbidden if j else [], "unsupported": j.unsupported if j else [],
                "not_given": j.not_given if j else [], "draft_language": j.language if j else None,
            }, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures; exit 1 when retrieval misses its goal."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help='"local" for the bundled model, or an OpenAI-compatible base URL')
    ap.add_argument("--model-name", help="the model to ask for at --model URL")
    ap.add_argument("--cassettes", type=Path, help="record/replay the model calls in this folder")
    ap.add_argument("--limit", type=int, help="draft only the first N cases (after --case)")
    ap.add_argument("--case", action="append", default=[], help="only this case id (repeatable)")
    ap.add_argument("--timeout", type=float, help="seconds one model request may take "
                    "(llm.timeout; default 600 for the bundled model on a busy machine)")
    ap.add_argument("--drafts-out", type=Path, help="write the drafts and judgments here (JSON lines)")
    ap.add_argument("--port", type=int, help=f"the bundled model's port (default {CASSETTE_PORT})")
    ap.add_argument("--threads", type=int, help="the bundled model's threads (default: drafter's "
                    "plan; 1 is far faster on a loaded machine)")
    args = ap.parse_args(argv)

    cases = load_cases()
    print(f"{len(cases)} cases: " + ", ".join(f"{v} {k}" for k, v in
                                               Counter(c.language for c in cases).items())
          + f"; {sum(1 for c in cases if not c.answerable)} unanswerable, "
          f"{sum(1 for c in cases if c.bait)} with bait")
    with tempfile.TemporaryDirectory(prefix="drafter-grounding-") as tmp:
        work = Path(tmp)
        app = make_app(work / "drafter.db")
        top3 = report_retrieval(retrieve_all(app, cases))
        fresh = load_cases(FRESH)
        print(f"\nfresh cases (retrieval only, written after the last change to the search and "
              f"never tuned on: {FRESH.name}): {len(fresh)}")
        report_retrieval(retrieve_all(app, fresh))
        print()
        if args.model:
            chosen = [c for c in cases if not args.case or c.id in args.case][:args.limit]
            need_server = args.cassettes is None or not all(
                (args.cassettes / f"{c.id}.{m}.yaml").exists() for c in chosen for m in ("on", "off"))
            with model_endpoint(args.model, args.model_name, need_server, args.port,
                                args.threads) as flags:
                timeout = args.timeout or (600.0 if args.model == "local" else None)
                flags.update({"llm.timeout": timeout, "llm.max_retry_seconds": timeout,
                              "llm.max_attempts": 1 if timeout else None})
                drafts = draft_all(chosen, work / "drafter.db", flags, args.cassettes)
            rules = {r.code: r for r in app.rules()}
            grd = rules.get(RULE_UNSUPPORTED)
            report_drafts(drafts, set(rules), tuple(grd.yields_to) if grd is not None else ())
            if args.drafts_out:
                save_drafts(drafts, args.drafts_out)
    return 0 if top3 >= GOAL_TOP else 1


if __name__ == "__main__":
    sys.exit(main())
