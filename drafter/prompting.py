"""Render the prompt messages (system, reply, revise) from Jinja templates and the style guide."""

from __future__ import annotations

import contextvars
import functools
import json
import operator
import re
import signal
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from drafter.errors import TemplateError
from drafter.resources import shipped_dir
from drafter.styleguide import StyleGuide
from drafter.tickets.model import Message, author_role

ChatMessage = dict[str, str]

# The tags of the reply prompt's data blocks (the ticket, and the team's knowledge quoted as
# reference material); neither customer text nor a passage must be able to write them.
DATA_TAGS = ("ticket", "message", "subject", "reference", "passage", "canned")
# What the prompt calls the author of each message (see author_role).
ROLE_NAMES = {"customer": "customer", "team": "support team", "other": "someone else"}

# Characters that look like "<" or "/" to a reader (or a model) but that NFKC leaves alone.
# (Not the guillemet «: French quotes «ticket» are ordinary text.)
_LT = "<\u2039\u2329\u27e8\u3008\u276e\u276c\u02c2\u1438"
_SLASH = "/\u2044\u2215\u29f8"
_DELIMITER = re.compile(
    rf"[{_LT}]\s*[{_SLASH}]?\s*(?:{'|'.join(DATA_TAGS)})\b", re.IGNORECASE)
# Special tokens and role markers of the chat templates a server may apply: ChatML and Qwen
# (<|im_start|>), Llama 3 (<|start_header_id|>, <|eot_id|>), Phi (<|user|>, <|end|>), DeepSeek
# (<｜…｜>, folded by NFKC), GPT (<|endoftext|>), Llama 2 and Mistral ([INST], <<SYS>>,
# [SYSTEM_PROMPT], <s>), Gemma (<start_of_turn>, <end_of_turn>, <bos>).
_SPECIAL = re.compile(
    r"<\|[^|<>\n]{0,64}\|>"
    r"|<\s*/?\s*(?:s|bos|eos|unk|pad|start_of_turn|end_of_turn|start_of_text|end_of_text)\s*>"
    r"|<</?SYS>>"
    r"|\[/?(?:INST|SYS|SYSTEM_PROMPT|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS|TOOL_CONTENT)\]",
    re.IGNORECASE)
_ESCAPES = {"<": "&lt;", "[": "&#91;"}

# The short system prompt (draft.prompt = "short") always carries these principles; the others
# only where the ticket calls for them (see `focus`).
ALWAYS = ("answer_directly", "grounding", "next_step")
# A ticket about money: the principle against promising refunds, credits and discounts.
_MONEY = re.compile(r"refund|discount|credit|voucher|compensat|money back|price match|rabatt|"
                    r"erstatt|gutschrift|gutschein|reembols|descuento|devoluci", re.IGNORECASE)


def focus(guide: StyleGuide, ticket_text: str, signals: Mapping[str, bool | None]) -> list[Any]:
    """The principles that matter for one ticket, in the guide's order: answering, grounding and
    the next step always; acknowledging feelings when the customer is upset or reports a problem
    (`signals`, the reviewer's); promising nothing when the ticket is about money."""
    wanted = set(ALWAYS)
    if signals.get("upset") or signals.get("reports_problem"):
        wanted.add("empathy")
    if _MONEY.search(ticket_text):
        wanted.add("safety")
    return [p for p in guide.principles if p.id in wanted]


def ticket_words(ticket: Any) -> str:
    """The ticket's subject and messages as one text (what `focus` and the glossary read)."""
    return "\n".join([getattr(ticket, "subject", None) or "",
                      *(m.latest or m.body for m in getattr(ticket, "messages", ()))])


def quote_data(value: Any) -> str:
    """Jinja filter: untrusted text made safe to quote (no delimiter, role marker or special token)."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    # Invisible format characters (zero-width spaces and joiners, bidi controls, tag
    # characters) hide text from the agent while the model still reads it.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    previous = None
    while previous != text:  # an escape can never form a new marker, but make sure
        previous = text
        text = _SPECIAL.sub(_escape_first, text)
        text = _DELIMITER.sub(lambda m: "&lt;" + m.group(0)[1:], text)
    return text


def quote_line(value: Any) -> str:
    """Jinja filter: untrusted text as one line for an attribute (no newline, no double quote)."""
    return " ".join(quote_data(value).split()).replace('"', "'")


def _escape_first(match: re.Match[str]) -> str:
    text = match.group(0)
    return _ESCAPES.get(text[0], text[0]) + text[1:]


def instructions(messages: Sequence[ChatMessage]) -> str:
    """The prompt's own words: every message with the data block's contents cut out.

    What the reviewer compares a draft against to catch prompt echo; never the customer's text
    (that has its own rule) nor any reference material the model was given to use.
    """
    parts = []
    for message in messages:
        if message["role"] == "assistant":
            continue
        pieces = _DATA_BLOCK.split(message["content"])
        # Quoted text in the instructions is examples of wording ("Like this: …") or, in a
        # revision request, the findings quoting the draft: not the prompt's own words.
        parts.append("".join(_emptied(p) for p in pieces))
    return "\n\n".join(parts)


def _emptied(piece: str) -> str:
    """A piece of a prompt message without its data: the ticket block kept as its two tags, the
    reference material dropped, quotations blanked."""
    if piece.startswith("<ticket>"):
        return "<ticket>\n</ticket>"
    if piece.startswith(("\n<reference>", "\n<canned ")):
        return ""
    return _QUOTED.sub(" ", piece)


_DATA_BLOCK = re.compile(r"(<ticket>.*?</ticket>|\n<reference>.*?</reference>"
                         r"|\n<canned id=.*?</canned>)", re.DOTALL)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")


@dataclass(frozen=True)
class Limits:
    """What one render of a template may take: seconds of work and characters of output."""

    seconds: float = 2.0
    chars: int = 20_000_000


class RenderLimit(Exception):
    """A template went over a render limit (caught by Prompts.render and named there)."""


_OPERATORS = {"*": operator.mul, "**": operator.pow, "+": operator.add, "%": operator.mod}
_BUDGET: contextvars.ContextVar[tuple[float, int] | None] = contextvars.ContextVar(
    "render_budget", default=None)


def _check(size: int = 0) -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    deadline, chars = budget
    if size > chars:
        raise RenderLimit(f"it would build a value of {size:,} characters (limit {chars:,})")
    if time.monotonic() > deadline:
        raise RenderLimit("it ran out of time")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, bytes, list, tuple, dict, set)) else 0


def _bounded_range(*args: int) -> Iterator[int]:
    for i in range(*args):
        _check()
        yield i


def _widths(text: Any) -> int:
    """The largest number in a format string: a field width it would pad to."""
    return max((int(n) for n in re.findall(r"\d+", text)), default=0) if isinstance(text, str) else 0


def _guarded(function: Callable[..., Any], formats: bool = False) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        _check(max((abs(a) for a in (*args[1:], *kwargs.values())
                    if isinstance(a, int) and not isinstance(a, bool)), default=0))
        if formats and args:
            _check(_widths(args[0]))
        result = function(*args, **kwargs)
        _check(_size(result))
        return result

    # Jinja passes the context or environment to filters marked for it; keep those marks.
    return functools.update_wrapper(run, function)


class _Environment(ImmutableSandboxedEnvironment):
    """The immutable sandbox with every call, lookup, loop and growing operator on a budget."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Any, op: str, left: Any, right: Any) -> Any:
        """Refuse operations that would build a huge value before building it."""
        if op == "*" and isinstance(right, int) and _size(left):
            _check(_size(left) * abs(right))
        elif op == "*" and isinstance(left, int) and _size(right):
            _check(_size(right) * abs(left))
        elif op == "**" and isinstance(right, (int, float)) and abs(right) > 64:
            raise RenderLimit(f"it raised a number to the power {right}")
        elif op == "%":
            _check(_widths(left))
        result = _OPERATORS[op](left, right)
        _check(_size(result))
        return result

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call `obj` from a template, within the budget."""
        _check(max((abs(a) for a in (*args, *kwargs.values())
                    if isinstance(a, int) and not isinstance(a, bool)), default=0))
        if getattr(obj, "__name__", "") in ("format", "format_map"):
            # The sandbox wraps str.format; the format string is the wrapped method's self.
            target = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
            _check(max((_widths(a) for a in (target, *args)), default=0))
        result = super().call(context, obj, *args, **kwargs)
        _check(_size(result))
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Look up an attribute, within the budget."""
        _check()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """Look up an item, within the budget."""
        _check()
        return super().getitem(obj, argument)


class _Alarm:
    """On the main thread, interrupt a render that overruns (a bare loop calls no hook)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        # Only where the timer is free: never cancel or replace someone else's alarm.
        self.armed = (threading.current_thread() is threading.main_thread()
                      and hasattr(signal, "setitimer")
                      and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN)
                      and signal.getitimer(signal.ITIMER_REAL)[0] == 0)

    def __enter__(self) -> None:
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)

    @staticmethod
    def _fire(signum: int, frame: object) -> None:
        raise RenderLimit("it ran out of time")


class Prompts:
    """The Jinja environment over the team's prompt folder (first) and the shipped one."""

    def __init__(self, team_folder: Path | None = None, *, team_addresses: Iterable[str] = (),
                 team_domains: Iterable[str] = (), limits: Limits | None = None,
                 short: bool = False, examples: bool = False, structured: bool = False) -> None:
        self.folders = [f for f in (team_folder, shipped_dir("prompts")) if f is not None]
        if team_folder is not None and not team_folder.is_dir():
            raise TemplateError(f"prompt folder {team_folder} does not exist",
                                hint="fix `team.prompts` in your config or create the folder")
        self.team_addresses = tuple(a.strip().lower() for a in team_addresses if a.strip())
        self.team_domains = tuple(d.strip().lower().lstrip("@") for d in team_domains if d.strip())
        self.limits = limits or Limits()
        self.short = short  # system_short.j2: only the principles that matter for the ticket
        self.examples = examples  # the short prompt quotes each principle's good example
        self.structured = structured  # the answer is JSON (structured_ask.j2, structured.j2)
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in self.folders])
        # Sandboxed (immutable, on a budget) because a team's templates are code we run;
        # StrictUndefined so that a missing variable fails loudly instead of rendering as "".
        self.env = _Environment(
            loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters = {name: _guarded(f, formats=name == "format")
                            for name, f in self.env.filters.items()}
        self.env.filters["data"] = quote_data
        self.env.filters["data_line"] = quote_line
        self.env.globals["range"] = _bounded_range
        self.env.globals.pop("lipsum", None)
        self.env.globals["author"] = self.author

    def author(self, message: Message) -> str:
        """Template function: who wrote `message`, as the prompt names it."""
        return ROLE_NAMES[author_role(message, self.team_addresses, self.team_domains)]

    def render(self, name: str, **variables: Any) -> str:
        """Render template `name` within the limits; errors name the template and the way out."""
        token = _BUDGET.set((time.monotonic() + self.limits.seconds, self.limits.chars))
        try:
            template = self.env.get_template(name)
            size = 0
            chunks = []
            with _Alarm(self.limits.seconds):
                for chunk in template.generate(**variables):
                    size += len(chunk)
                    _check(size)
                    chunks.append(chunk)
            return "".join(chunks).strip()
        except jinja2.TemplateNotFound as exc:
            looked = ", ".join(str(f) for f in self.folders)
            raise TemplateError(f"prompt template `{exc.name}` not found (looked in {looked})",
                                hint="add the file to your prompts folder or fix its name") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"prompt template `{name}`: {exc.message}",
                                hint=_where(exc) + "define the variable or guard it with "
                                "`{% if x is defined %}`") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}",
                                hint="fix the Jinja syntax at that line") from None
        except SecurityError as exc:
            raise TemplateError(f"prompt template `{name}` did something unsafe: {exc}",
                                hint="templates may only read the variables they are given") from None
        except (RenderLimit, RecursionError, MemoryError) as exc:
            why = str(exc) if isinstance(exc, RenderLimit) else (
                "it recursed too deeply" if isinstance(exc, RecursionError) else "it ran out of memory")
            raise TemplateError(
                f"prompt template `{name}` went over its render limits: {why}",
                hint=f"a render may take {self.limits.seconds:g} s and write "
                     f"{self.limits.chars:,} characters; simplify the template") from None
        except (TypeError, ValueError, ArithmeticError, LookupError, jinja2.TemplateError) as exc:
            raise TemplateError(f"prompt template `{name}` failed: {exc}",
                                hint=_where(exc) + "fix the expression in the template") from None
        finally:
            _BUDGET.reset(token)

    def system(self, guide: StyleGuide, team: Mapping[str, str], channel: str,
               ticket: Any = None, signals: Mapping[str, bool | None] | None = None) -> str:
        """Render the system prompt: the guide, then the channel's partial; the short one
        (`short`) with only the principles and glossary entries that matter for `ticket`."""
        if not self.short:
            return self.render("system.j2", guide=guide, glossary=guide.glossary, team=team,
                               channel=channel)
        text = ticket_words(ticket).lower() if ticket is not None else ""
        glossary = {j: p for j, p in guide.glossary.items()
                    if re.search(rf"\b{re.escape(j.lower())}\b", text)}
        return self.render("system_short.j2", principles=focus(guide, text, signals or {}),
                           glossary=glossary, examples=self.examples, team=team,
                           channel=channel)

    def reply_messages(self, guide: StyleGuide, team: Mapping[str, str], ticket: Any,
                       channel: str, *, reference: Sequence[Any] = (),
                       start: Any = None,
                       signals: Mapping[str, bool | None] | None = None) -> list[ChatMessage]:
        """Return the messages asking for a first draft; `reference` (passages with `id`,
        `heading` and `text`) and `start` (a canned response to start from, with `id` and
        `text`) are quoted as data after the ticket; `signals` (upset, reports_problem) pick
        the short prompt's principles."""
        return [
            {"role": "system", "content": self.system(guide, team, channel, ticket, signals)},
            {"role": "user", "content": self.reply_prompt(ticket, channel, reference, start)},
        ]

    def reply_prompt(self, ticket: Any, channel: str, reference: Sequence[Any] = (),
                     start: Any = None) -> str:
        """Render the user turn of a first draft (reply.j2, and structured_ask.j2 when the
        answer is to be JSON)."""
        text = self.render("reply.j2", ticket=ticket, channel=channel,
                           reference=list(reference), start=start)
        return text + "\n\n" + self.render("structured_ask.j2") if self.structured else text

    def assemble(self, answer: str) -> str:
        """The body of a structured answer (structured.j2 over its JSON object's parts); an
        answer that is no JSON object is returned as it is, one cut off at the token limit
        with the parts it finished."""
        parts = json_parts(answer)
        return self.render("structured.j2", parts=parts) if parts is not None else answer

    def revise_messages(self, first: Sequence[ChatMessage], draft: str,
                        findings: Iterable[Any]) -> list[ChatMessage]:
        """Return the messages asking to revise `draft` given the reviewer's `findings`."""
        ask = self.render("revise.j2", draft=draft, findings=list(findings))
        if self.structured:
            ask += "\n\n" + self.render("structured_ask.j2")
        return [*first, {"role": "assistant", "content": draft}, {"role": "user", "content": ask}]


# One finished "key": "text" pair of a JSON object (what is left of one cut off mid-answer).
_PAIR = re.compile(r'"(\w+)"\s*:\s*"((?:[^"\\]|\\.)*)"')


def json_parts(answer: str) -> dict[str, str] | None:
    """The string parts of a JSON object answer, or of its finished pairs when it was cut off;
    None when the answer is no JSON object."""
    text = answer.strip()
    if not text.startswith("{"):
        return None
    try:  # strict=False: a small model writes raw newlines inside its strings
        data = json.loads(text, strict=False)
    except ValueError:
        found = {}
        for key, value in _PAIR.findall(text):
            try:
                found[key] = str(json.loads(f'"{value}"', strict=False)).strip()
            except ValueError:  # a broken escape: the text as written
                found[key] = value.strip()
        return found or None
    if not isinstance(data, dict):
        return None
    return {str(k): str(v).strip() for k, v in data.items() if isinstance(v, (str, int, float))}


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2") or "template" in tb.tb_frame.f_code.co_name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"(around line {line}) " if line else ""
