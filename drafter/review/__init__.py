"""The deterministic reviewer: rules over a reply text, returning `Finding`s."""

from drafter.review.context import ReviewContext
from drafter.review.finding import Finding, Severity, at_or_above

__all__ = ["Finding", "ReviewContext", "Severity", "at_or_above"]
