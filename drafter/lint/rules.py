"""The linter's own codes (LNT): problems with the files themselves, not with the replies."""

from __future__ import annotations

from dataclasses import dataclass

from drafter.review.finding import Severity


@dataclass(frozen=True)
class LintRule:
    """One LNT code: its name, default severity and what it means."""

    code: str
    name: str
    severity: Severity
    summary: str
    description: str


LINT_RULES: dict[str, LintRule] = {
    r.code: r
    for r in (
        LintRule("LNT001", "parse-error", "error", "The file cannot be read or parsed.",
                 "The file is not valid UTF-8, not valid YAML/JSON, has unterminated front "
                 "matter, or is not shaped like a collection of responses. Nothing in it was "
                 "reviewed. `draft lint` exits with 2; this code cannot be ignored, suppressed "
                 "or baselined."),
        LintRule("LNT002", "unknown-key", "info", "Unknown front-matter or collection key.",
                 "A key that drafter does not know: another tool's (`aliases:`, `embed:`), or a "
                 "typo (`chanel:`, reported with a “did you mean”), so the setting it meant to "
                 "make has no effect. Info by default, so another tool's metadata never fails "
                 "CI; accept a team's keys with `lint.extra_keys`, or make typos fail with "
                 "`LNT002 = \"warning\"` under `[review.severity]`."),
        LintRule("LNT003", "invalid-value", "error", "A front-matter or collection value has "
                 "the wrong type or is not one of the allowed values.",
                 "For example `channel: sms` (allowed: email, chat, social) or `upset: maybe` (true or "
                 "false). The value is ignored and the response is still reviewed."),
        LintRule("LNT004", "empty-response", "warning", "The response has no text.",
                 "An entry of a collection, or a file, whose body is empty or only whitespace: "
                 "an agent who sends it sends nothing."),
    )
}

PARSE_ERROR = "LNT001"
