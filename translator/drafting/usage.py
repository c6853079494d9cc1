"""Token usage and its estimated cost, summed over every model call of a draft or a batch."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

_PRICES_FILE = Path(__file__).with_name("prices.yaml")


class Usage(BaseModel):
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0  # None: the model's price is unknown

    def add(self, other: Usage) -> None:
        self.calls += other.calls
        self.cached_calls += other.cached_calls
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        if self.cost_usd is None or other.cost_usd is None:
            self.cost_usd = None
        else:
            self.cost_usd = round(self.cost_usd + other.cost_usd, 6)


@cache
def builtin_prices() -> dict[str, dict[str, float]]:
    return dict(yaml.safe_load(_PRICES_FILE.read_text(encoding="utf-8"))["prices"])


def cost_of(
    model: str, input_tokens: int, output_tokens: int, overrides: dict[str, dict[str, float]] | None = None
) -> float | None:
    """Estimated USD cost, or None when the model has no known price.

    A dated model name ("gpt-4o-mini-2024-07-18") takes the price of its family ("gpt-4o-mini").
    """
    table = {**builtin_prices(), **(overrides or {})}
    price = table.get(model)
    if price is None:
        family = max((name for name in table if model.startswith(name + "-")), key=len, default=None)
        price = table.get(family) if family else None
    if price is None:
        return None
    return round((input_tokens * price["input"] + output_tokens * price["output"]) / 1_000_000, 6)
