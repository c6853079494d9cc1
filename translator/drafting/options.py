"""How to draft: the engine, the model and its service settings, and the gate's verdict.

No LLM imports: the model session is built on the drafting path only (``model_session``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from translator.rubric import Verdict

if TYPE_CHECKING:  # the LLM stack loads only when the OpenAI engine runs
    from translator.drafting.service import ModelSession, Throttle

DEFAULT_MODEL = "gpt-5-mini"
Engine = Literal["auto", "offline", "openai"]
OFFLINE_NOTICE = "no OPENAI_API_KEY or --base-url set: drafting with the offline engine (rules, no model)"


@dataclass
class DraftOptions:
    engine: Engine = "auto"
    model: str | None = None  # default: TRANSLATOR_MODEL, then DEFAULT_MODEL
    base_url: str | None = None  # default: OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # default: OPENAI_API_KEY; never printed
    structured_output: str = "auto"
    max_repairs: int = 2
    timeout: float = 60.0
    attempts: int = 5
    cache: bool = True
    cache_path: Path | None = None
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    verdict: Verdict = Verdict()

    def resolved(self) -> DraftOptions:
        """Fill what the environment supplies."""
        return replace(
            self,
            model=self.model or os.environ.get("TRANSLATOR_MODEL") or DEFAULT_MODEL,
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=self.api_key or os.environ.get("OPENAI_API_KEY") or None,
        )

    def engine_to_use(self) -> tuple[str, str | None]:
        """The engine that will run, and a notice when auto fell back to offline."""
        if self.engine != "auto":
            return self.engine, None
        if self.api_key or self.base_url:
            return "openai", None
        return "offline", OFFLINE_NOTICE


def model_session(opts: DraftOptions, throttle: Throttle | None = None) -> ModelSession:
    """The model session for these options: one client, cache and usage ledger (and, for a
    batch, one limiter) shared by every call made with it."""
    from translator.drafting.cache import CallCache
    from translator.drafting.service import ModelSession, ModelSettings

    settings = ModelSettings(
        model=opts.model or DEFAULT_MODEL,
        base_url=opts.base_url,
        api_key=opts.api_key,
        structured_output=opts.structured_output,
        timeout=opts.timeout,
        attempts=opts.attempts,
        prices=opts.prices,
    )
    return ModelSession(settings, cache=CallCache(opts.cache_path) if opts.cache else None, throttle=throttle)
