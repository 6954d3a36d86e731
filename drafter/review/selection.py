"""Which rules run and how bad their findings are: select, ignore, severity overrides and
per-path ignores, for the reviewer and the linter alike.

An entry names rules by code (`TON001`), code prefix (`TON`), rule name (`hedging`) or `ALL`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, cast

from drafter.config import SEVERITIES
from drafter.errors import ConfigError
from drafter.review.finding import Severity


class NamedRule(Protocol):
    """What selection needs of a rule: its code and name (a review rule or an LNT code)."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


def matches(entry: str, code: str, name: str) -> bool:
    """Whether a select/ignore/severity entry names the rule `code` called `name`."""
    e = entry.strip()
    return e.upper() == "ALL" or code.startswith(e.upper()) or e.lower() == name


def path_matches(display: str, pattern: str) -> bool:
    """Whether a file (as displayed) matches a per-path glob (`*` also crosses folders)."""
    name = display.rsplit("/", 1)[-1]
    pattern = pattern.removeprefix("./")
    return (fnmatch.fnmatchcase(display, pattern) or fnmatch.fnmatchcase(name, pattern)
            or (pattern.startswith("**/") and fnmatch.fnmatchcase(display, pattern[3:]))
            or fnmatch.fnmatchcase(display, pattern.rstrip("/") + "/*"))


def _specificity(entry: str) -> int:
    return -1 if entry.strip().upper() == "ALL" else len(entry.strip())


@dataclass(frozen=True)
class RuleSelection:
    """Select, ignore, severity overrides and per-path ignores, answering for any rule."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    per_path_ignores: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, rules: Iterable[NamedRule], select: Iterable[str] = (),
              ignore: Iterable[str] = (), severity: Mapping[str, str] | None = None,
              per_path_ignores: Mapping[str, Sequence[str]] | None = None) -> RuleSelection:
        """The selection, checked against `rules` (every code it may name): an entry that
        names no rule, or a severity that is not error, warning or info, is a ConfigError."""
        sel = cls(tuple(select), tuple(ignore), dict(severity or {}), dict(per_path_ignores or {}))
        known = list(rules)
        sel._check("select", sel.select, known)
        sel._check("ignore", sel.ignore, known)
        for key, value in sel.severity.items():
            if value not in SEVERITIES:
                raise ConfigError(f"severity override for `{key}` must be error, warning or info, "
                                  f"got {value!r}", hint="fix `review.severity` in your config")
        sel._check("severity", sel.severity, known)
        return sel

    @staticmethod
    def _check(kind: str, entries: Iterable[str], rules: list[NamedRule]) -> None:
        for entry in entries:
            if any(matches(entry, r.code, r.name) for r in rules):
                continue
            import difflib  # only for a mistake's hint

            codes = [r.code for r in rules] + sorted({r.code.rstrip("0123456789") for r in rules})
            near = (difflib.get_close_matches(entry.upper(), codes, n=3)
                    or difflib.get_close_matches(entry.lower(), [r.name for r in rules], n=3))
            raise ConfigError(f"{kind}: `{entry}` matches no rule",
                              hint=(f"did you mean {', '.join(near)}? " if near else "")
                              + "`draft rules` lists the codes")

    def selected(self, code: str, name: str) -> bool:
        """Whether the rule runs at all: selected (or no selection) and not ignored."""
        return ((not self.select or any(matches(e, code, name) for e in self.select))
                and not any(matches(e, code, name) for e in self.ignore))

    def severity_of(self, code: str, name: str, default: str) -> Severity:
        """The rule's severity: the most specific matching override (a code beats a prefix
        beats ALL), else `default`."""
        best = max((k for k in self.severity if matches(k, code, name)), key=_specificity,
                   default=None)
        # Overrides are checked by `build`, defaults by the rules' own tests.
        return cast(Severity, self.severity[best] if best is not None else default)

    def ignored_in(self, display: str, code: str, name: str) -> bool:
        """Whether a per-path ignore hides the rule's findings in the file `display`."""
        return any(path_matches(display, pattern) and any(matches(e, code, name) for e in codes)
                   for pattern, codes in self.per_path_ignores.items())
