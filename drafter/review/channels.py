"""Rule settings given per channel: `{ social = ["t.co"] }` in a rule's table of the guide."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drafter.review.checks import SettingError
from drafter.review.context import CHANNELS


def per_channel(settings: Mapping[str, Any], key: str) -> dict[str, frozenset[str]]:
    """Setting `key` as a table of channel -> list of strings (empty when absent)."""
    value = settings.get(key, {})
    expected = f"a table of channel ({', '.join(CHANNELS)}) = list of strings"
    if not isinstance(value, dict):
        raise SettingError(key, expected, value)
    for channel, items in value.items():
        if channel not in CHANNELS or not isinstance(items, list) or not all(
                isinstance(v, str) for v in items):
            raise SettingError(key, expected, value)
    return {channel: frozenset(items) for channel, items in value.items()}
