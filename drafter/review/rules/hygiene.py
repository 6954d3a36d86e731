"""Hygiene (HYG): a finished message: no placeholders, broken templates, internal notes, and
the greeting, sign-off and length the channel needs."""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drafter.review import checks
from drafter.review.checks import SettingError, get_list, quote
from drafter.review.context import ReviewContext
from drafter.review.matching import phrase_pattern
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import Doc, first_name
from drafter.styleguide import StyleGuide

P = "hygiene"
WHY = "The guide's principle “Send a finished message”: the customer sees exactly what is sent."

# Placeholder styles. Each has one group: the placeholder's name (or expression).
_JINJA = re.compile(r"\{\{-?\s*([^{}\n]{0,120}?)\s*-?\}\}")
# The brace comes first, so that the regex engine skips from one "{" to the next; the
# lookbehind after it checks the character before it.
_BRACE = re.compile(r"\{(?<![{$%\\]\{)(?![{%#])\s*([A-Za-z_][\w .-]{0,40}?)\s*\}(?!\})")
_BRACKET = re.compile(r"\[\s*([^\[\]\n]{1,40}?)\s*\](?![(\[:])")
_ANGLE = re.compile(r"<\s*([A-Za-z_][\w .-]{0,40}?)\s*>")
_XXX = re.compile(r"(?<![\w-])[Xx]{3,}(?![\w-])")
_PERCENT = re.compile(r"(?<!\w)%([A-Z][A-Z0-9_]{1,40})%(?!\w)")
_DUNDER = re.compile(r"(?<!\w)__([A-Z][A-Z0-9_]{1,40})__(?!\w)")
_TBD = re.compile(r"(?<!\w)(TBD|TBC)(?!\w)")
# A statement tag of Jinja or Liquid ({% if x %}), or a Help Scout variable
# ({%customer.firstName,fallback=there%}: its first word names an object's property).
_TAG = re.compile(r"\{%-?\s*([^{}%\n]{0,200}?)\s*-?%\}")
_HELPSCOUT_NAME = re.compile(r"[A-Za-z]\w*\.\w[\w.]*\s*(?:,|$)")
_HTML_TAGS = frozenset(
    ["a", "b", "i", "u", "p", "br", "hr", "em", "li", "ol", "ul", "tr", "td", "th", "div",
     "span", "table", "strong", "small", "big", "code", "pre", "img", "html", "head", "body",
     "title", "style", "script", "font", "center", "sub", "sup", "h1", "h2", "h3", "h4", "h5",
     "h6"]
)
_DEFAULT_WORDS = ("name", "insert", "customer", "number", "date", "address")


@dataclass(frozen=True)
class Placeholder:
    """A placeholder found in a text."""

    start: int
    end: int
    style: str  # jinja | tag | helpscout | brace | bracket | angle | xxx | percent | dunder | tbd
    name: str


_SNAKE_FIELD = re.compile(r"[a-z]+(?:_[a-z0-9]+)+")  # order_number, customer_name


def _is_caps(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


class PlaceholderFinder:
    """Finds placeholders; bracket and angle styles count when ALL CAPS or naming a field."""

    def __init__(self, words: list[str]) -> None:
        self.words_re = checks.compile_phrases(words) if words else None

    def _named(self, inners: list[str]) -> list[bool]:
        """Whether each inner text of a bracket or angle placeholder names a field."""
        named = [_is_caps(s) or _SNAKE_FIELD.fullmatch(s) is not None for s in inners]
        if self.words_re is not None and not all(named):
            # One search over all the inner texts, not one per bracket (a text may have 100,000
            # brackets). They are joined by a NUL, which no phrase matches across (words are
            # separated by spaces, commas or dashes); a match counts for the text it lies in.
            joined = "\0".join(inners)
            starts = list(itertools.accumulate((len(s) + 1 for s in inners[:-1]), initial=0))
            for m in self.words_re.finditer(joined):
                i = bisect_right(starts, m.start()) - 1
                if m.end() <= starts[i] + len(inners[i]):
                    named[i] = True
        return named

    def _slots(self, style: str, found: list[re.Match[str]]) -> list[Placeholder]:
        """The bracket or angle matches in `found` whose inner text names a field."""
        inners = [m.group(1) for m in found]
        return [Placeholder(*m.span(), style, inner) for m, inner, named
                in zip(found, inners, self._named(inners), strict=True) if named]

    def find(self, text: str) -> list[Placeholder]:
        """Return the placeholders in `text` (code spans already blanked)."""
        out: list[Placeholder] = []
        if "{" in text:
            out += [Placeholder(*m.span(), "jinja", m.group(1)) for m in _JINJA.finditer(text)]
            out += [Placeholder(*m.span(), "brace", m.group(1)) for m in _BRACE.finditer(text)]
            if "{%" in text:
                out += [Placeholder(*m.span(), "helpscout" if _HELPSCOUT_NAME.match(m.group(1))
                                    else "tag", m.group(1)) for m in _TAG.finditer(text)]
        if "[" in text:
            out += self._slots("bracket", [m for m in _BRACKET.finditer(text)
                                           if not m.group(1)[:1].isdigit()])
        if "<" in text:
            out += self._slots("angle", [m for m in _ANGLE.finditer(text)
                                         if m.group(1).lower() not in _HTML_TAGS
                                         and "@" not in m.group(1)])
        # A text without the characters a style needs is not searched for it (a one-character
        # test first: it is many times faster than a longer one).
        for style, regex, could in (
            ("xxx", _XXX, ("x" in text or "X" in text) and "xxx" in text.lower()),
            ("percent", _PERCENT, "%" in text),
            ("dunder", _DUNDER, "_" in text and "__" in text),
            ("tbd", _TBD, "TB" in text),
        ):
            if could:
                out += [Placeholder(*m.span(), style, m.group(m.lastindex or 0))
                        for m in regex.finditer(text)]
        out.sort(key=lambda p: (p.start, -p.end))
        # Drop placeholders nested inside another (a [NAME] inside {{ ... }}).
        kept: list[Placeholder] = []
        for p in out:
            if kept and p.start < kept[-1].end:
                continue
            kept.append(p)
        return kept

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return only the spans (for masking)."""
        return [(p.start, p.end) for p in self.find(text)]


@dataclass(frozen=True)
class Prepass:
    """What every `Doc` needs from the hygiene settings: placeholders, greeting, sign-off."""

    find_placeholders: Callable[[str], list[Placeholder]]
    greeting_re: re.Pattern[str] | None
    sign_off_re: re.Pattern[str] | None


def _settings(guide: StyleGuide, code: str) -> Mapping[str, Any]:
    found = guide.rule_settings(code)
    return found[0] if found else {}


def greeting_regex(phrases: list[str]) -> re.Pattern[str] | None:
    """A regex matching a line that opens with one of the greeting `phrases`."""
    if not phrases:
        return None
    return re.compile(r"(?:" + "|".join(map(phrase_pattern, phrases)) + r")", re.I)


def sign_off_regex(phrases: list[str]) -> re.Pattern[str] | None:
    """A regex matching a whole sign-off line ("Best regards," / "Thanks, Sam")."""
    if not phrases:
        return None
    alts = "|".join(map(phrase_pattern, sorted(phrases, key=len, reverse=True)))
    return re.compile(r"(?:" + alts + r")(?:\s*[,.!\-–—]+\s*[\w .'’-]{0,30}|\s*)", re.I)


def prepass(guide: StyleGuide) -> Prepass:
    """Build the pre-pass from the guide's HYG001/HYG004/HYG005 settings."""
    try:
        words = get_list(_settings(guide, "HYG001"), "field_words") or list(_DEFAULT_WORDS)
        greetings = get_list(_settings(guide, "HYG004"), "greetings")
        sign_offs = get_list(_settings(guide, "HYG005"), "sign_offs")
    except SettingError:
        words, greetings, sign_offs = list(_DEFAULT_WORDS), [], []  # reported by the rule itself
    finder = PlaceholderFinder(words)
    return Prepass(finder.find, greeting_regex(greetings), sign_off_regex(sign_offs))


def _norm_name(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def placeholder_name(p: Placeholder) -> str | None:
    """The variable a placeholder names (None for a Jinja literal such as {{ "x" }})."""
    if p.style == "jinja":
        m = re.match(r"\s*([A-Za-z_][\w.]*)", p.name)
        return m.group(1) if m else None
    return p.name.strip()


def declared(name: str, variables: frozenset[str]) -> bool:
    """Return whether the placeholder `name` is one of the declared `variables`."""
    if name in variables or name.split(".")[0] in variables:
        return True
    norm = _norm_name(name)
    return any(_norm_name(v) == norm or v.startswith(name + ".") for v in variables)


MAX_HITS = 50  # a text with more is broken throughout: the first ones, then one for the rest


def at_most(hits: Iterable[Hit], end: int, what: str) -> Iterator[Hit]:
    """The first MAX_HITS of `hits`, then one finding from the next one to `end` (the rest are
    not looked for: a megabyte of broken template would otherwise make a finding per brace)."""
    for i, hit in enumerate(hits):
        if i == MAX_HITS:
            yield Hit(hit.start, end, f"More {what} from here on; fix the ones before first")
            return
        yield hit


# The template languages a team can declare for its canned responses (`lint.templates`), and the
# placeholder styles whose slots each one fills.
TEMPLATE_LANGUAGES: dict[str, frozenset[str]] = {
    "jinja": frozenset({"jinja", "tag"}),
    "liquid": frozenset({"jinja", "tag"}),  # Zendesk, Shopify, Intercom, Freshdesk
    "helpscout": frozenset({"helpscout"}),  # {%customer.firstName,fallback=there%}
    "slots": frozenset({"brace", "bracket", "angle", "xxx", "percent", "dunder"}),  # saved replies
}
# The objects Zendesk fills in a Liquid placeholder ({{ticket.requester.first_name}}).
LIQUID_OBJECTS = frozenset({"ticket", "current_user", "satisfaction", "dc", "account"})
# A slot that tells the author what to write ({explain why we closed it}) is a note, not a slot.
_NOTE = re.compile(r"\s*(?:add|explain|describe|mention|say|write|include|remove|delete|check|"
                   r"ask|confirm|update|fix|change|replace|fill|pick|choose|todo|note)\b", re.I)
_WORD = re.compile(r"[A-Za-z_][\w.-]*")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_KEYWORDS = frozenset(["and", "or", "not", "in", "is", "if", "else", "for", "true", "false",
                       "none", "null", "nil"])


def accepted_styles(languages: frozenset[str]) -> frozenset[str]:
    """The placeholder styles that the template `languages` fill."""
    return frozenset().union(*(TEMPLATE_LANGUAGES.get(lang, ()) for lang in languages))


def is_note(p: Placeholder) -> bool:
    """Whether a slot's inside is words for the author rather than a name the template fills."""
    if p.style == "jinja":
        bare = _QUOTED.sub('""', p.name)
        words = list(_WORD.finditer(bare))
        # Two names side by side (“{{ Customer Name }}”) are no expression of Jinja or Liquid.
        return any(not bare[a.end():b.start()].strip() and a.group().lower() not in _KEYWORDS
                   and b.group().lower() not in _KEYWORDS for a, b in itertools.pairwise(words))
    if p.style in ("brace", "bracket", "angle"):
        return bool(_NOTE.match(p.name)) or len(p.name.split()) >= 5
    return False


def _undeclared(p: Placeholder, found: str, ctx: ReviewContext) -> Iterator[Hit]:
    """The finding on a template variable that the template does not declare, if it is one."""
    name = placeholder_name(p)
    if name is None or not ctx.variables or declared(name, ctx.variables) or (
            "liquid" in ctx.templates and name.split(".")[0] in LIQUID_OBJECTS):
        return
    import difflib  # here, not at the top: only a template with undeclared variables needs it

    near = difflib.get_close_matches(name, sorted(ctx.variables), n=1, cutoff=0.6)
    if near:
        m = re.search(re.escape(name), found)
        assert m is not None
        repl = found[:m.start()] + near[0] + found[m.end():]
        yield Hit(p.start, p.end, f"{quote(found)} uses `{name}`, which the template does not "
                  f"declare; did you mean `{near[0]}`?", suggestion=repl, fix=f"Use `{near[0]}`")
    else:
        yield Hit(p.start, p.end, f"{quote(found)} uses `{name}`, which the template does not "
                  f"declare (declared: {', '.join(sorted(ctx.variables))})",
                  fix="Use a declared variable")


@rule(
    "HYG001", "unfilled-placeholder", "error", P,
    "Placeholders such as [Customer Name], {{ name }} or XXX left in the text.",
    what="Finds placeholders left unfilled: {{ name }}, {% if %} tags, Help Scout's "
         "{%customer.firstName%}, {Order Number}, [Customer Name], <NAME>, XXX, %NAME%, __NAME__, "
         "TBD. In a draft or a sent reply every one is an error. In a canned response (`draft "
         "lint`) the slots of the template languages the team declares (`lint.templates`: "
         "jinja, liquid, helpscout, slots; and its own `lint.slot_pattern`) are legitimate, and "
         "only leftovers are flagged: a slot of an undeclared language, an authoring note in "
         "slot brackets ({explain why we closed it}, {{ Customer Name }}), and, where the "
         "template declares its variables, an unknown one (often a misspelling, with the "
         "nearest declared variable as the suggestion).",
    why=WHY + " A placeholder in a sent reply looks careless and can expose template names.",
    example="Hi [Customer Name], your order {Order Number} has shipped.",
    instead="Hi Jane, your order 48213 has shipped.",
    fix="Fill in the placeholder before sending",
    defaults={"field_words": list(_DEFAULT_WORDS)},
)
def _hyg001(settings: Mapping[str, Any]) -> Check:
    finder = PlaceholderFinder(get_list(settings, "field_words"))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        yield from at_most(unfilled(doc, ctx), len(doc.text), "placeholders")

    def unfilled(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        # The pre-pass already found them (same settings); a bare Doc gets its own search.
        items = doc.placeholder_items if doc._find_placeholders else finder.find(doc.nocode)
        own: list[tuple[int, int]] = []
        if ctx.slot_pattern is not None:
            own = [m.span() for m in ctx.slot_pattern.finditer(doc.nocode) if m.end() > m.start()]
            if not ctx.templates:  # a draft: the team's own slots are unfilled too
                for s, e in own:
                    yield Hit(s, e, f"Unfilled placeholder {quote(doc.text[s:e])}")
        styles = accepted_styles(ctx.templates)
        for p in items:
            if own and any(s < p.end and p.start < e for s, e in own):
                continue
            found = doc.text[p.start:p.end]
            if p.style in styles or (ctx.is_template and p.style in ("jinja", "tag")):
                if is_note(p):
                    yield Hit(p.start, p.end, f"Authoring note {quote(found)} left in the "
                              "response", fix="Write what it asks for, or remove it")
                elif p.style == "jinja":
                    yield from _undeclared(p, found, ctx)
                continue
            if ctx.is_template and declared(p.name, ctx.variables):
                continue
            langs = [lang for lang, st in TEMPLATE_LANGUAGES.items() if p.style in st]
            yield Hit(p.start, p.end, f"Unfilled placeholder {quote(found)}",
                      fix=f"Fill it in, or add “{langs[-1]}” to `lint.templates`"
                      if ctx.templates and langs else None)

    return check


_CLOSER = {"{{": "}}", "{%": "%}", "{#": "#}"}
# One piece of template syntax: a whole {{ ... }}, {% ... %} (group 1: its inside) or {# ... #}
# that no other opener interrupts, else a lone delimiter. Each character is read a bounded
# number of times, so a text of any shape is checked in linear time.
_PIECE = re.compile(
    r"\{\{(?:(?!\{[{%#]).)*?\}\}"
    r"|\{%((?:(?!\{[{%#]).)*?)%\}"
    r"|\{#(?:(?!\{[{%#]).)*?#\}"
    r"|\{\{|\{%|\{#|\}\}|%\}|#\}",
    re.S,
)
# Block tags of Jinja and Liquid; the content of raw and comment blocks is not template code.
_BLOCK_TAGS = frozenset(
    ["if", "for", "block", "macro", "call", "filter", "with", "raw", "autoescape", "trans", "set",
     "unless", "case", "capture", "comment", "tablerow"]
)
_VERBATIM = frozenset(["raw", "comment"])
_MIDDLE = {"else": ("if", "for", "unless", "case"), "elif": ("if",), "elsif": ("if", "unless"),
           "when": ("case",), "pluralize": ("trans",)}


def template_errors(text: str) -> Iterator[Hit]:
    """Yield the syntax errors of a Jinja- or Liquid-style template: unbalanced delimiters and
    blocks, in time linear in the text."""
    # Every delimiter has a brace: two one-character tests rule out most texts.
    if ("{" not in text and "}" not in text) or not any(
            d in text for d in ("{{", "}}", "{%", "%}", "{#", "#}")):
        return
    stack: list[tuple[str, int, int]] = []  # open block tags: (name, start, end)
    verbatim = False
    for m in _PIECE.finditer(text):
        start, end = m.span()
        if end - start == 2:  # a lone delimiter
            tok = m.group()
            if not verbatim:
                if tok in _CLOSER:
                    yield Hit(start, end, f"“{tok}” is never closed with “{_CLOSER[tok]}”",
                              fix=f"Close it with “{_CLOSER[tok]}”")
                else:
                    yield Hit(start, end, f"“{tok}” closes nothing",
                              fix="Remove it or add the opening delimiter")
            continue
        inner = m.group(1)
        if inner is None:
            continue
        inner = inner.strip().strip("-+").strip()
        word = inner.split(None, 1)[0] if inner else ""
        if verbatim and word not in ("endraw", "endcomment"):
            continue
        if word in _BLOCK_TAGS and not (word == "set" and "=" in inner):
            stack.append((word, start, end))
            verbatim = word in _VERBATIM
        elif word.startswith("end") and word[3:] in _BLOCK_TAGS:
            want_tag = word[3:]
            if stack and stack[-1][0] == want_tag:
                stack.pop()
                verbatim = False
            elif stack:
                yield Hit(start, end, f"“{{% {word} %}}” closes “{stack[-1][0]}”, opened "
                          f"earlier; expected “{{% end{stack[-1][0]} %}}”",
                          suggestion=f"{{% end{stack[-1][0]} %}}",
                          fix=f"Close “{stack[-1][0]}” first")
                stack.pop()
            else:
                yield Hit(start, end, f"“{{% {word} %}}” has no opening “{{% {want_tag} %}}”",
                          fix="Remove it or add the opening tag")
        elif word in _MIDDLE and not (stack and stack[-1][0] in _MIDDLE[word]):
            yield Hit(start, end, f"“{{% {word} %}}” outside “{{% {_MIDDLE[word][0]} %}}”",
                      fix="Move it inside the block")
    for name, s, e in stack:
        yield Hit(s, e, f"“{{% {name} %}}” is never closed with “{{% end{name} %}}”",
                  fix=f"Add “{{% end{name} %}}”")


@rule(
    "HYG002", "template-syntax", "error", P,
    "Broken template syntax: unbalanced {{ }} / {% %}, unclosed or mismatched blocks.",
    what="Checks Jinja-style template syntax without running the template: every “{{”, “{%” and "
         "“{#” is closed, no stray closer, and every block tag (if, for, with, ...) is closed by "
         "its own end tag in the right order.",
    why=WHY + " A broken canned response fails to render, or sends raw braces to the customer.",
    example="Hi {{ first_name },\n{% if order %}Your order has shipped.",
    instead="Hi {{ first_name }},\n{% if order %}Your order has shipped.{% endif %}",
    fix="Fix the template syntax",
    example_context={"is_template": True, "variables": frozenset({"first_name", "order"})},
)
def _hyg002(settings: Mapping[str, Any]) -> Check:
    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        yield from at_most(template_errors(doc.nocode), len(doc.text), "template syntax errors")

    return check


@rule(
    "HYG003", "internal-note", "error", P,
    "Internal notes left in the text (TODO, FIXME, internal only, note to self).",
    what="Finds notes meant for colleagues, not the customer: TODO, FIXME, “internal only”, "
         "“note to self”, “do not send” and the other phrases of the `phrases` / `patterns` "
         "settings.",
    why=WHY + " An internal note that reaches a customer leaks how the team talks about them.",
    example="Your refund is on its way. TODO: check with billing.",
    instead="Your refund is on its way and should reach your card by Friday.",
    fix="Remove the internal note",
)
def _hyg003(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Internal note left in the text: {match}", view="nocode",
                            fix="Remove the internal note")


def _first_line(text: str) -> tuple[int, int] | None:
    m = re.search(r"\S", text)
    if not m:
        return None
    end = text.find("\n", m.start())
    return m.start(), len(text) if end == -1 else end


def _last_line(text: str) -> tuple[int, int] | None:
    stripped = text.rstrip()
    if not stripped:
        return None
    start = stripped.rfind("\n") + 1
    while start < len(stripped) and stripped[start] in " \t":
        start += 1
    return start, len(stripped)


@rule(
    "HYG004", "missing-greeting", "warning", P,
    "An email reply without a greeting.",
    what="In an email (channel “email”) the reply opens with a greeting line from the `greetings` "
         "setting (“Hi”, “Hello”, “Dear”, ...). Silent for chat, for an unknown channel, and for a "
         "body-only draft (drafter adds the greeting itself).",
    why=WHY + " An email that starts mid-thought reads as curt or automated.",
    example="Your order has shipped and arrives on Friday.\n\nBest regards,\nSam",
    instead="Hi Jane,\n\nYour order has shipped and arrives on Friday.\n\nBest regards,\nSam",
    fix="Add a greeting",
    example_context={"channel": "email"},
    needs=("channel",),
    languages=("en",),
)
def _hyg004(settings: Mapping[str, Any]) -> Check:
    template = checks.get_str(settings, "greeting", "Hi {name},")
    no_name = checks.get_str(settings, "greeting_no_name", "Hello,")
    get_list(settings, "greetings")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if ctx.channel != "email" or ctx.body_only or doc._greeting_re is None:
            return
        if doc.greeting is not None:
            return
        span = _first_line(doc.text)
        if span is None:
            return
        name = first_name(ctx.customer_name)
        greeting = template.replace("{name}", name) if name else no_name
        yield Hit(*span, "The email has no greeting", suggestion=f"{greeting}\n\n"
                  + doc.text[span[0]:span[1]], fix=f"Open with “{greeting}”")

    return check


@rule(
    "HYG005", "missing-sign-off", "warning", P,
    "An email reply without a sign-off.",
    what="In an email (channel “email”) the reply closes with a sign-off from the `sign_offs` "
         "setting (“Best regards”, “Kind regards”, “Thanks”, ...) among its last lines. Silent for "
         "chat, for an unknown channel, and for a body-only draft.",
    why=WHY + " A reply that stops without a sign-off looks unfinished.",
    example="Hi Jane,\n\nYour order has shipped and arrives on Friday.",
    instead="Hi Jane,\n\nYour order has shipped and arrives on Friday.\n\nBest regards,\nSam",
    fix="Add a sign-off",
    example_context={"channel": "email"},
    needs=("channel",),
    languages=("en",),
)
def _hyg005(settings: Mapping[str, Any]) -> Check:
    sign_off = checks.get_str(settings, "sign_off", "Best regards,")
    get_list(settings, "sign_offs")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if ctx.channel != "email" or ctx.body_only or doc._sign_off_re is None:
            return
        if doc.sign_off is not None:
            return
        span = _last_line(doc.text)
        if span is None:
            return
        yield Hit(*span, "The email has no sign-off",
                  suggestion=doc.text[span[0]:span[1]] + f"\n\n{sign_off}",
                  fix=f"Close with “{sign_off}”")

    return check


@rule(
    "HYG006", "channel-length", "warning", P,
    "A message longer than its channel allows (a chat message over the limit).",
    what="Compares the length of the text with the `max_chars` limit of its channel (for "
         "example chat = 600). The finding covers the part beyond the limit. Silent when the "
         "channel is unknown or has no limit.",
    why=WHY + " Long chat messages get cut off or skimmed; a chat reply is read on a phone.",
    example="Here is everything about your order. " * 20,
    instead="Your order shipped today; it arrives on Friday.",
    fix="Shorten it, or split it into several messages",
    defaults={"max_chars": {"chat": 600}},
    example_context={"channel": "chat"},
    needs=("channel",),
)
def _hyg006(settings: Mapping[str, Any]) -> Check:
    limits = settings.get("max_chars", {})
    if not isinstance(limits, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in limits.values()
    ):
        raise SettingError("max_chars", "a table of channel = positive whole number", limits)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        limit = limits.get(ctx.channel or "")
        text = doc.text.rstrip()
        if not limit or len(text) <= limit:
            return
        yield Hit(limit, len(text), f"The {ctx.channel} message is {len(text):,} characters; "
                  f"the {ctx.channel} limit is {limit:,}")

    return check
