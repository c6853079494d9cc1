"""How to draft: the engine, the model and its service settings, and the gate's verdict.

No LLM imports: the model session is built on the drafting path only (``model_session``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from translator.errors import InputError
from translator.redact import register_secret
from translator.rubric import Verdict

if TYPE_CHECKING:  # the LLM stack loads only when the OpenAI engine runs
    from translator.drafting.service import ModelSession, Throttle

DEFAULT_MODEL = "gpt-5-mini"
Engine = Literal["auto", "offline", "openai", "local"]
OFFLINE_NOTICE = "no OPENAI_API_KEY or --base-url set: drafting with the offline engine (rules, no model)"


@dataclass
class DraftOptions:
    engine: Engine = "auto"
    model: str | None = None  # default: TRANSLATOR_MODEL, then DEFAULT_MODEL
    base_url: str | None = None  # default: OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # default: OPENAI_API_KEY; never printed
    structured_output: str = "auto"
    max_repairs: int = 2
    timeout: float | None = None  # the longest silence from the server; default 60 s, 600 s on loopback
    attempts: int = 5
    stream: bool | None = None  # default: streamed on the local engine only
    max_tokens: int | None = None  # a cap on each answer's length
    server_id: str | None = None  # names the server in the mode memory (the local engine sets it)
    cache: bool = True
    cache_path: Path | None = None
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    verdict: Verdict = Verdict()

    def resolved(self) -> DraftOptions:
        """Fill what the environment supplies (the key is registered for redaction)."""
        api_key = self.api_key or os.environ.get("OPENAI_API_KEY") or None
        register_secret(api_key)
        if self.engine == "local":  # a hosted model's name in the environment means nothing to it
            from translator.drafting.local_server import DEFAULT_MODEL_PACKAGE

            return replace(self, model=self.model or DEFAULT_MODEL_PACKAGE)
        return replace(
            self,
            model=self.model or os.environ.get("TRANSLATOR_MODEL") or DEFAULT_MODEL,
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=api_key,
        )

    def engine_to_use(self) -> tuple[str, str | None]:
        """The engine that will run, and a notice when auto fell back to offline."""
        if self.engine == "openai" and not (self.api_key or self.base_url):
            # Said at once: otherwise the calls go out keyless and fail as "cannot reach" after retries.
            raise InputError(
                "--engine openai needs an API key: set OPENAI_API_KEY (or --base-url for a server that needs none)"
            )
        if self.engine != "auto":
            return self.engine, None
        if self.api_key or self.base_url:
            return "openai", None
        return "offline", OFFLINE_NOTICE


def model_session(opts: DraftOptions, throttle: Throttle | None = None) -> ModelSession:
    """The model session for these options: one client, cache and usage ledger (and, for a
    batch, one limiter) shared by every call made with it."""
    from translator.drafting.cache import CallCache
    from translator.drafting.capabilities import ModeMemory
    from translator.drafting.service import ModelSession, ModelSettings

    settings = ModelSettings(
        model=opts.model or DEFAULT_MODEL,
        base_url=opts.base_url,
        api_key=opts.api_key,
        structured_output=opts.structured_output,
        timeout=opts.timeout,
        attempts=opts.attempts,
        prices=opts.prices,
        stream=bool(opts.stream),
        max_tokens=opts.max_tokens,
        server_id=opts.server_id,
    )
    # The mode memory is kept even with --no-cache: it records what the server takes, not answers.
    return ModelSession(
        settings,
        cache=CallCache(opts.cache_path) if opts.cache else None,
        throttle=throttle,
        modes=ModeMemory(opts.cache_path),
    )


@contextmanager
def served_locally(opts: DraftOptions) -> Iterator[DraftOptions]:
    """For the local engine: its server runs for the block, and the options point the openai
    engine's one code path at it (streamed, so a long answer shows progress)."""
    from translator.drafting.local_server import LOCAL_MAX_TOKENS, local_server

    with local_server(opts.model) as server:
        yield replace(
            opts,
            base_url=server.base_url,
            model=server.model_name,
            api_key=None,  # the local server takes none; a real key must not go to it
            stream=True if opts.stream is None else opts.stream,
            max_tokens=opts.max_tokens or LOCAL_MAX_TOKENS,
            server_id=server.server_id,
        )
