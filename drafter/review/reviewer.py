"""Run the rule catalogue over a text (placeholder until the rule catalogue lands)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drafter.review.context import ReviewContext
from drafter.review.finding import Finding
from drafter.styleguide import StyleGuide


class Reviewer:
    """Review texts with the rules selected from the catalogue, configured by the guide."""

    def __init__(
        self,
        guide: StyleGuide,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        severity: Mapping[str, str] | None = None,
    ) -> None:
        self.guide = guide

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]:
        """Return the findings for `text`, sorted by position."""
        return []
