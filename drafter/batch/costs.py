"""Tokens into money: the [prices] table, estimates before a run, and the prompt version."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drafter.errors import ConfigError

# The bundled local model runs on the user's machine: it costs nothing per token.
FREE_MODELS = frozenset({"smollm2-135m-instruct"})
_PRICE_KEYS = ("input", "cached_input", "output", "batch_discount")


@dataclass(frozen=True)
class Price:
    """Prices of one model per million tokens; `batch_discount` overrides batch.api_discount."""

    input: float
    output: float
    cached_input: float | None = None
    batch_discount: float | None = None


class PriceTable:
    """The configured prices, turning token usage into an amount of money."""

    def __init__(self, table: Mapping[str, Any], api_discount: float = 0.5,
                 origin: str = "[prices]") -> None:
        self.api_discount = api_discount
        self.prices: dict[str, Price] = {}
        if not 0 <= api_discount <= 1:
            raise ConfigError(f"batch.api_discount must be between 0 and 1, got {api_discount}",
                              hint="0.5 means the Batch API costs half the list price")
        for model, entry in table.items():
            where = f'{origin} [prices."{model}"]'
            if not isinstance(entry, Mapping):
                raise ConfigError(f"{where} must be a table of prices per million tokens",
                                  hint=f'[prices."{model}"]\ninput = 0.15\noutput = 0.60')
            unknown = [k for k in entry if k not in _PRICE_KEYS]
            if unknown:
                raise ConfigError(f"{where}: unknown key `{unknown[0]}`",
                                  hint="known keys: " + ", ".join(_PRICE_KEYS))
            values: dict[str, float | None] = {}
            for key in _PRICE_KEYS:
                value = entry.get(key)
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                          or value < 0):
                    raise ConfigError(f"{where}: `{key}` must be a number of zero or more, got {value!r}",
                                      hint="prices are per million tokens, e.g. input = 0.15")
                values[key] = float(value) if value is not None else None
            if values["input"] is None or values["output"] is None:
                raise ConfigError(f"{where} needs both `input` and `output`",
                                  hint="prices are per million tokens, e.g. input = 0.15, output = 0.60")
            self.prices[model] = Price(values["input"], values["output"],
                                       values["cached_input"], values["batch_discount"])

    def price(self, model: str) -> Price | None:
        """Return the price of `model`: its own entry, the longest prefix entry, or free if local."""
        if model in self.prices:
            return self.prices[model]
        prefixes = [m for m in self.prices if model.startswith(m)]
        if prefixes:  # a dated snapshot (gpt-4o-mini-2024-07-18) costs what its family costs
            return self.prices[max(prefixes, key=len)]
        if model in FREE_MODELS:
            return Price(0.0, 0.0)
        return None

    def cost(self, model: str, usage: Mapping[str, int], via: str = "concurrent") -> float | None:
        """Return what `usage` cost on `model` (None when its price or the counts are unknown)."""
        price = self.price(model)
        if price is None or not usage:
            return None
        prompt = usage.get("prompt_tokens", 0)
        cached = min(usage.get("cached_tokens", 0), prompt)
        cached_rate = price.cached_input if price.cached_input is not None else price.input
        amount = ((prompt - cached) * price.input + cached * cached_rate
                  + usage.get("completion_tokens", 0) * price.output) / 1_000_000
        if via == "batch-api":
            discount = price.batch_discount if price.batch_discount is not None else self.api_discount
            amount *= 1 - discount
        return amount

    def estimate(self, model: str, prompt_tokens: int, completion_tokens: int,
                 via: str = "concurrent") -> float | None:
        """Return the estimated cost of one call of that many tokens (None if the price is unknown)."""
        return self.cost(model, {"prompt_tokens": prompt_tokens,
                                 "completion_tokens": completion_tokens}, via)


def estimate_tokens(messages: Sequence[Mapping[str, str]]) -> int:
    """Estimate the prompt tokens of `messages` without a tokenizer: about 4 characters a token.

    English prose averages close to that with OpenAI's and Llama's tokenizers; each message also
    carries a few tokens of chat framing.
    """
    return sum((len(m.get("content", "")) + 3) // 4 + 4 for m in messages) + 3


def prompt_version(prompts: Any, guide: Any, team: Mapping[str, str]) -> str:
    """Return a short hash of what the model is told: the system prompts and the reply templates."""
    digest = hashlib.sha256()
    for channel in ("email", "chat"):
        digest.update(prompts.system(guide, team, channel).encode("utf-8"))
        digest.update(b"\x00")
    for name in ("reply.j2", "revise.j2"):
        try:
            source = prompts.env.loader.get_source(prompts.env, name)[0]
        except Exception:  # a missing template fails later, where it is rendered, with its message
            source = ""
        digest.update(source.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:12]


def format_money(amount: float | None) -> str:
    """Show an amount of money for people: `$0.0123`, or `unknown`."""
    if amount is None:
        return "unknown"
    return f"${amount:.4f}" if amount < 100 else f"${amount:,.2f}"
