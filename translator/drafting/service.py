"""The model service: one chat model, one retry policy, one cache, one usage ledger.

Every model call of the drafting chain goes through ModelSession.structured(), so that:
- retries happen here and only here (the SDK's own are off: max_retries=0), with the SDK's own
  semantics: Retry-After / retry-after-ms honoured, 408/409/429/5xx, timeouts and connection
  errors retried with exponential backoff and jitter, 400/401/403/404 never retried;
- a throttle (the batch limiter) is asked before each call and told about each 429;
- answers are cached by everything that determines them;
- failures become one-line ModelServiceErrors, or OutputInvalid when the model answered but
  its output does not fit the schema (a failed round the repair loop can use).

langchain_openai and openai are imported here and in the chain only: the score path never
loads them.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import httpx2
import openai
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage
from langchain_core.outputs import LLMResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI
from langchain_openai.chat_models.base import (
    OpenAIRefusalError,
    _convert_message_to_dict,
)
from openai.lib._parsing._completions import type_to_response_format_param
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from translator.drafting.cache import CallCache, cache_key
from translator.drafting.capabilities import MODES, ModeMemory, is_capability_error
from translator.drafting.prompts import load_prompt, prompt_text
from translator.drafting.tokens import estimate_tokens
from translator.drafting.usage import Usage, cost_of
from translator.errors import ModelServiceError, OutputInvalid, Refused

STRUCTURED_METHODS = {
    "json_schema": "json_schema",
    "json_object": "json_object_schema",
    "tools": "function_calling",
    "json": "json_mode",
}
REMOTE_TIMEOUT, LOOPBACK_TIMEOUT = 60.0, 600.0  # seconds of silence; a local model may think for minutes
_MAX_RETRY_AFTER = 120.0  # the SDK's own ceiling: a longer wait means "do not retry"
_INITIAL_BACKOFF, _MAX_BACKOFF = 0.5, 8.0
_SAY_WAITS_FROM = 5.0  # a wait this long is said (on stderr, through logging), not silent
_log = logging.getLogger("translator")


class Throttle(Protocol):
    """What a batch limiter offers the session: wait before a call, slow down after a 429."""

    @property
    def counts_tokens(self) -> bool: ...  # whether acquire() needs a token estimate (a tokens-per-minute limit)

    async def acquire(self, tokens: int) -> None: ...

    def penalize(self, seconds: float) -> None: ...


# Usage of the calls made by the current task (one draft), even while other tasks of a batch
# use the same session: asyncio gives every task its own copy of the context.
_TASK_LEDGER: ContextVar[Usage | None] = ContextVar("translator_task_usage", default=None)


@contextmanager
def usage_of_this_task() -> Iterator[Usage]:
    """Collect the usage of the model calls made inside the block by this task alone."""
    ledger = Usage()
    token = _TASK_LEDGER.set(ledger)
    try:
        yield ledger
    finally:
        _TASK_LEDGER.reset(token)


# Told the number of tokens streamed so far by the current task's call (a draft's status line).
_TASK_PROGRESS: ContextVar[Callable[[int], None] | None] = ContextVar("translator_task_progress", default=None)


@contextmanager
def progress_of_this_task(on_tokens: Callable[[int], None]) -> Iterator[None]:
    """While streaming, call ``on_tokens(n)`` as this task's answer grows."""
    token = _TASK_PROGRESS.set(on_tokens)
    try:
        yield
    finally:
        _TASK_PROGRESS.reset(token)


@cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle costs tens of milliseconds,
    which a fresh context per draft would pay each time."""
    return httpx2.create_ssl_context()


@cache
def _schema_json(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema(), sort_keys=True)


class _Unsupported(Exception):
    """The server does not take this structured-output mode (a capability error, not transient)."""

    def __init__(self, error: openai.APIStatusError) -> None:
        super().__init__(error.message)
        self.error = error


class _Stalled(Exception):
    """A streamed answer went silent for longer than the timeout."""

    def __init__(self, tokens: int) -> None:
        super().__init__(f"silent after {tokens} tokens")
        self.tokens = tokens


@dataclass
class ModelSettings:
    model: str
    base_url: str | None = None
    api_key: str | None = None  # from OPENAI_API_KEY; never logged, cached or written anywhere
    structured_output: str = "auto"  # auto | json_schema | json_object | tools | json
    timeout: float | None = None  # the longest silence, in seconds; None: see silence_limit
    attempts: int = 5
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    stream: bool = False  # stream answers: progress as tokens arrive, a stall is seen as silence
    max_tokens: int | None = None  # a cap on each answer's length, for servers that need one
    server_id: str | None = None  # names the server in the mode memory (default: the base URL)

    @property
    def loopback(self) -> bool:
        """A server on this machine: single-threaded llama.cpp, Ollama or LM Studio, usually."""
        host = httpx2.URL(self.base_url).host if self.base_url else ""
        return host in ("localhost", "::1", "[::1]") or host.startswith("127.")

    @property
    def silence_limit(self) -> float:
        """--timeout, else a minute for a hosted API and ten for a server on this machine, which
        can spend minutes on one long answer (and, without streaming, says nothing meanwhile)."""
        if self.timeout is not None:
            return self.timeout
        return LOOPBACK_TIMEOUT if self.loopback else REMOTE_TIMEOUT

    @property
    def resends_after_timeout(self) -> bool:
        """Whether a timed-out request is sent again. A hosted API serves it on another worker;
        a server on this machine is most likely still generating the first one, and a second
        copy would only queue behind it (llama.cpp's server is single-threaded)."""
        return not self.loopback


def structured_request(step: str, variables: dict[str, Any], schema: type[BaseModel], model: str) -> dict[str, Any]:
    """The Chat Completions body that asks for ``schema`` at ``step``, exactly as the live path sends
    it with method json_schema: the step's prompt rendered into OpenAI message dicts by
    langchain-openai's own converter, and response_format from the openai SDK's helper for pydantic
    models (what ChatOpenAI hands the SDK's parse()). The Batch API mode writes these bodies into its
    JSONL lines; tests check them against what ModelSession sends.
    """
    messages = load_prompt(step).template.format_messages(**variables)
    return {
        "model": model,
        "stream": False,
        "messages": [_convert_message_to_dict(message) for message in messages],
        "response_format": type_to_response_format_param(schema),
    }


def parse_structured_response(body: Any, schema: type[BaseModel]) -> BaseModel:
    """The ``schema`` instance in a chat.completion body (one Batch API output line's
    ``response.body``). Raises Refused for a refusal or filtered output, OutputInvalid for
    anything else that is not a valid instance: the same outcomes as the live call."""
    try:
        choice = body["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError):
        raise OutputInvalid("the answer holds no message (no choices)") from None
    if not isinstance(message, dict):
        raise OutputInvalid("the answer holds no message (no choices)")
    if message.get("refusal"):
        raise Refused(f"the model refused: {_one_line(str(message['refusal']))}")
    finish_reason = choice.get("finish_reason")
    if finish_reason == "length":
        raise OutputInvalid("the output was cut off (finish_reason=length)")
    if finish_reason == "content_filter":
        raise Refused("the model's output was filtered (content_filter)")
    content = message.get("content")
    calls = message.get("tool_calls") or []
    if calls and isinstance(calls, list) and isinstance(calls[0], dict):  # the tools mode answers in a call
        content = (calls[0].get("function") or {}).get("arguments")
    if not isinstance(content, str) or not content.strip():
        raise OutputInvalid("the model answered without the structured output (no tool call or empty output)")
    try:
        return schema.model_validate_json(content)
    except ValidationError as exc:
        raise OutputInvalid(_describe_invalid(exc)) from None


class ModelSession:
    def __init__(
        self,
        settings: ModelSettings,
        *,
        cache: CallCache | None = None,
        throttle: Throttle | None = None,
        modes: ModeMemory | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.throttle = throttle
        self.modes = modes if settings.structured_output == "auto" else None
        self.usage = Usage()
        self.discovery_requests = 0  # requests a server refused for their structured-output mode
        self._server = settings.server_id or settings.base_url or "https://api.openai.com/v1"
        self._remembered = self.modes.get(self._server, settings.model) if self.modes is not None else None
        self._methods = (
            list(MODES[MODES.index(self._remembered) if self._remembered else 0 :])
            if settings.structured_output == "auto"
            else [STRUCTURED_METHODS[settings.structured_output]]
        )
        # The session owns its async HTTP client: langchain-openai's shared default would keep
        # pooled connections bound to the event loop of the first asyncio.run(). The timeout is
        # per read, so it measures silence: while an answer streams, it never fires.
        timeout = settings.silence_limit
        self._http = openai.DefaultAsyncHttpxClient(timeout=timeout, verify=_tls_context())
        self.chat = ChatOpenAI(
            model=settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key or "unset",
            timeout=timeout,
            max_retries=0,  # tenacity below owns retries; otherwise attempts multiply
            use_responses_api=False,  # compatible servers do not serve /v1/responses
            http_async_client=self._http,
            **({"max_tokens": settings.max_tokens} if settings.max_tokens else {}),
        )
        self._structured: dict[tuple[type[BaseModel], str], Runnable[Any, Any]] = {}

    async def aclose(self) -> None:
        await self._http.aclose()
        if self.modes is not None:
            self.modes.close()

    @property
    def method(self) -> str:
        return self._methods[0]

    async def structured(
        self, step: str, prompt: ChatPromptTemplate, variables: dict[str, Any], schema: type[BaseModel]
    ) -> BaseModel:
        """Ask the model for an instance of ``schema``; cached, retried, accounted."""
        messages = prompt.format_messages(**variables)
        while True:
            method = self.method
            key = None
            if self.cache is not None:
                key = cache_key(
                    model=self.settings.model,
                    base_url=self.settings.base_url,
                    messages=[(m.type, m.content) for m in messages],
                    schema=_schema_json(schema),
                    method=method,
                )
                hit = self.cache.get(key)
                if hit is not None:
                    self._record(Usage(cached_calls=1))
                    return schema.model_validate(hit["output"])
            try:
                output = await self._call_with_retries(step, messages, schema, method)
            except _Unsupported as exc:
                self.discovery_requests += 1
                if self._methods[0] == method:  # another batch worker may have moved on already
                    if len(self._methods) == 1:
                        raise _service_error(exc.error, self.settings, messages) from None
                    self._methods.pop(0)  # fall back for the rest of the session
                continue
            self._remember(method)
            if self.cache is not None and key is not None:
                self.cache.put(key, {"output": output.model_dump(mode="json"), "step": step})
            return output

    def _remember(self, method: str) -> None:
        """Record the mode that worked, so that no later run rediscovers it."""
        if self.modes is not None and self._remembered != method:
            self.modes.put(self._server, self.settings.model, method)
            self._remembered = method

    async def _call_with_retries(
        self, step: str, messages: list[BaseMessage], schema: type[BaseModel], method: str
    ) -> BaseModel:
        # LangChain's structured output serves the modes it knows, unstreamed; the json_object
        # mode with a schema (llama.cpp's) and every streamed call go straight to the SDK client.
        direct = self.settings.stream or method == "json_object_schema"
        runnable = None if direct else self._structured_model(schema, method)
        if method == "json_mode":
            messages = [*messages, _json_instructions(schema)]
        # Counting tokens costs about a millisecond a call: only a tokens-per-minute limit needs it.
        counts = self.throttle is not None and self.throttle.counts_tokens
        tokens = sum(estimate_tokens(str(m.content)) for m in messages) if counts else 0
        resend = self.settings.resends_after_timeout
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: _retryable(exc, resend_after_timeout=resend)),
            wait=_wait,
            stop=stop_after_attempt(self.settings.attempts),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        answer = _AnswerUsage()
        try:
            async for attempt in retrying:
                with attempt:
                    if self.throttle is not None:
                        await self.throttle.acquire(tokens)
                    answer.seen = False
                    if runnable is None:
                        parsed = await self._ask_directly(messages, schema, method, answer)
                    else:
                        parsed = await runnable.ainvoke(messages, config={"run_name": step, "callbacks": [answer]})
        except openai.APIStatusError as exc:
            if _is_capability_error(exc):
                raise _Unsupported(exc) from None
            made = int(retrying.statistics.get("attempt_number", self.settings.attempts))
            raise _service_error(exc, self.settings, messages, attempts=made) from None
        except (openai.APIConnectionError, json.JSONDecodeError, _Stalled) as exc:
            raise _service_error(exc, self.settings, messages) from None
        except (
            openai.LengthFinishReasonError,
            ValidationError,
            ValueError,
            TypeError,
            OpenAIRefusalError,
            OutputInvalid,
            # A 200 that is no chat completion (an HTML page, no choices, another JSON shape)
            # fails inside the SDK or LangChain while they read it: a failed round, not a crash.
            AttributeError,
            KeyError,
            IndexError,
        ) as exc:
            # The model answered (and is paid) even when its output does not parse.
            if answer.seen:
                self._add_usage(answer.input_tokens, answer.output_tokens)
            else:
                self._account_failed(exc)
            if isinstance(exc, OpenAIRefusalError):
                raise Refused(f"the model refused: {_one_line(str(exc))}") from None
            if isinstance(exc, openai.ContentFilterFinishReasonError):
                raise Refused("the model's output was filtered (content_filter)") from None
            if isinstance(exc, OutputInvalid):
                raise
            raise OutputInvalid(_describe_invalid(exc)) from None
        except Refused:
            self._add_usage(answer.input_tokens, answer.output_tokens)
            raise
        self._add_usage(answer.input_tokens, answer.output_tokens)
        if parsed is None:
            raise OutputInvalid("the model answered without the structured output (no tool call or empty output)")
        return parsed

    async def _ask_directly(
        self, messages: list[BaseMessage], schema: type[BaseModel], method: str, answer: _AnswerUsage
    ) -> BaseModel:
        """One call through the SDK client ChatOpenAI holds (same base URL, key, HTTP client and
        timeout), streamed when the settings say so; parsed as the Batch API's answers are."""
        body = _mode_request(messages, schema, method, self.settings)
        client = self.chat.root_async_client
        if not self.settings.stream:
            completion = await client.chat.completions.create(**body)
            if not isinstance(completion, BaseModel):  # an HTML page or plain text with status 200
                raise OutputInvalid(
                    f"the server answered with something other than a chat completion: {_one_line(str(completion))[:120]}"
                )
            payload = completion.model_dump()
        else:
            payload = await self._stream(client, body)
        usage = payload.get("usage") or {}
        answer.seen = True
        answer.input_tokens = int(usage.get("prompt_tokens") or 0)
        answer.output_tokens = int(usage.get("completion_tokens") or 0)
        return parse_structured_response(payload, schema)

    async def _stream(self, client: openai.AsyncOpenAI, body: dict[str, Any]) -> dict[str, Any]:
        """Stream one answer and assemble it into a chat.completion body. The HTTP client's read
        timeout bounds each silence, not the whole answer; progress goes to the task's status."""
        on_tokens = _TASK_PROGRESS.get()
        content: list[str] = []
        arguments: list[str] = []
        finish_reason = None
        usage: dict[str, Any] | None = None
        tokens = 0
        try:
            stream = await client.chat.completions.create(**body, stream=True, stream_options={"include_usage": True})
        except (httpx2.TimeoutException, openai.APITimeoutError):
            raise _Stalled(0) from None
        try:
            async for chunk in stream:
                if getattr(chunk, "usage", None) is not None:
                    usage = chunk.usage.model_dump()
                for choice in chunk.choices or []:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        content.append(delta.content)
                        tokens += 1
                    for call in (delta.tool_calls or []) if delta is not None else []:
                        if call.function is not None and call.function.arguments:
                            arguments.append(call.function.arguments)
                            tokens += 1
                    finish_reason = choice.finish_reason or finish_reason
                if on_tokens is not None and tokens and tokens % 16 == 0:
                    on_tokens(tokens)
        except (httpx2.TimeoutException, openai.APITimeoutError):
            raise _Stalled(tokens) from None
        finally:
            # Hanging up tells the server to stop generating (llama.cpp's server stops a
            # streamed answer whose client is gone; an unstreamed one runs to its end).
            await stream.close()
        if usage is None:
            # Servers that ignore stream_options (llama-cpp-python 0.3) send one token a chunk;
            # the prompt's size is then estimated.
            prompt = sum(estimate_tokens(str(m.get("content") or "")) for m in body["messages"])
            usage = {"prompt_tokens": prompt, "completion_tokens": tokens}
        message: dict[str, Any] = {"role": "assistant", "content": "".join(content) or None}
        if arguments:
            message["tool_calls"] = [{"type": "function", "function": {"arguments": "".join(arguments)}}]
        return {"choices": [{"message": message, "finish_reason": finish_reason}], "usage": usage}

    def _structured_model(self, schema: type[BaseModel], method: str) -> Runnable[Any, Any]:
        """ChatOpenAI bound to ``schema``, built once per schema and method: building it
        converts the schema each time, which a batch would pay on every call. Usage comes from
        a callback (_AnswerUsage), not include_raw=True, whose extra runnables cost more CPU
        per call than the rest of LangChain's structured-output path."""
        key = (schema, method)
        runnable = self._structured.get(key)
        if runnable is None:
            runnable = self._structured[key] = self.chat.with_structured_output(schema, method=method)  # type: ignore[arg-type]
        return runnable

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        seconds = state.next_action.sleep if state.next_action is not None else _wait(state)
        if isinstance(exc, openai.RateLimitError) and self.throttle is not None:
            self.throttle.penalize(seconds)
        if seconds >= _SAY_WAITS_FROM:
            why = "rate-limited (429)" if isinstance(exc, openai.RateLimitError) else f"{exc.__class__.__name__}"
            _log.warning(
                "translator: %s %s: waiting %.0f s before retrying (attempt %d of %d)",
                self.settings.base_url or "the OpenAI API",
                why,
                seconds,
                state.attempt_number + 1,
                self.settings.attempts,
            )

    def _account_failed(self, exc: BaseException) -> None:
        """A failed call is still paid for; read its usage where the error carries it."""
        usage: dict[str, Any] = {}
        completion = getattr(exc, "completion", None)
        if completion is not None and getattr(completion, "usage", None) is not None:
            usage = {
                "prompt_tokens": completion.usage.prompt_tokens,
                "completion_tokens": completion.usage.completion_tokens,
            }
        else:
            response = getattr(exc, "response", None)
            try:
                usage = (response.json() or {}).get("usage") or {} if response is not None else {}
            except Exception:  # the body may be the malformed part
                usage = {}
        self._add_usage(int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0)))

    def _add_usage(self, input_tokens: int, output_tokens: int) -> None:
        cost = cost_of(self.settings.model, input_tokens, output_tokens, self.settings.prices)
        self._record(Usage(calls=1, input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost))

    def _record(self, usage: Usage) -> None:
        self.usage.add(usage)
        ledger = _TASK_LEDGER.get()
        if ledger is not None:
            ledger.add(usage)


class _AnswerUsage(BaseCallbackHandler):
    """The token usage LangChain reports when the model answers (on_llm_end): it is known, and
    paid, even when the structured output then fails to parse."""

    run_inline = True  # a few additions: no thread hop

    def __init__(self) -> None:
        self.seen = False
        self.input_tokens = 0
        self.output_tokens = 0

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.seen = True
        self.input_tokens = self.output_tokens = 0
        for generations in response.generations:
            for generation in generations:
                meta = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
                self.input_tokens += int(meta.get("input_tokens", 0))
                self.output_tokens += int(meta.get("output_tokens", 0))


def _json_instructions(schema: type[BaseModel]) -> BaseMessage:
    from langchain_core.messages import SystemMessage

    return SystemMessage(content=prompt_text("json_mode", schema=_schema_json(schema)))


def _mode_request(
    messages: list[BaseMessage], schema: type[BaseModel], method: str, settings: ModelSettings
) -> dict[str, Any]:
    """The Chat Completions arguments that ask for ``schema`` in ``method``, as ChatOpenAI would
    send them (json_schema from the SDK's own helper, tools forced to the one function)."""
    body: dict[str, Any] = {"model": settings.model, "messages": [_convert_message_to_dict(m) for m in messages]}
    if settings.max_tokens:
        body["max_tokens"] = settings.max_tokens
    if method == "json_schema":
        body["response_format"] = type_to_response_format_param(schema)
    elif method == "json_object_schema":  # llama.cpp turns the schema into a grammar
        body["response_format"] = {"type": "json_object", "schema": schema.model_json_schema()}
    elif method == "function_calling":
        tool = convert_to_openai_tool(schema)
        body["tools"] = [tool]
        body["tool_choice"] = {"type": "function", "function": {"name": tool["function"]["name"]}}
    else:
        body["response_format"] = {"type": "json_object"}
    return body


def _is_capability_error(exc: openai.APIStatusError) -> bool:
    return is_capability_error(exc.status_code, f"{exc.message} {getattr(exc, 'param', None) or ''} {exc.body}")


def _retryable(exc: BaseException, *, resend_after_timeout: bool = True) -> bool:
    """The SDK's own rule (BaseClient._should_retry), plus a 200 whose body is not JSON; never a
    capability error (it would fail the same way), and a timeout only where resending is safe."""
    if isinstance(exc, (openai.APITimeoutError, _Stalled)):
        return resend_after_timeout
    if isinstance(exc, (openai.APIConnectionError, json.JSONDecodeError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        if _is_capability_error(exc):
            return False
        after = _retry_after(exc.response.headers)
        if after is not None and after > _MAX_RETRY_AFTER:
            return False
        should = exc.response.headers.get("x-should-retry")
        if should in ("true", "false"):
            return should == "true"
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, openai.APIStatusError):
        after = _retry_after(exc.response.headers)
        if after is not None and 0 < after <= _MAX_RETRY_AFTER:
            return after
    backoff = min(_INITIAL_BACKOFF * 2.0 ** (state.attempt_number - 1), _MAX_BACKOFF)
    return backoff * (1 - 0.25 * random.random())


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait, from retry-after-ms, then retry-after (seconds or an HTTP date)."""
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
            return seconds if math.isfinite(seconds) else None
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return float(email.utils.mktime_tz(parsed) - time.time())
    return None


def _service_error(
    exc: BaseException, settings: ModelSettings, messages: list[BaseMessage], *, attempts: int | None = None
) -> ModelServiceError:
    where = settings.base_url or "the OpenAI API"
    made = settings.attempts if attempts is None else attempts
    if isinstance(exc, openai.AuthenticationError):
        return ModelServiceError(f"{where} rejected the API key (401); check OPENAI_API_KEY")
    if isinstance(exc, openai.PermissionDeniedError):
        return ModelServiceError(f"{where} denied access to model '{settings.model}' (403)")
    if isinstance(exc, openai.NotFoundError):
        return ModelServiceError(f"model '{settings.model}' not found at {where} (404); choose one with --model")
    if isinstance(exc, openai.BadRequestError):
        if (
            exc.code == "context_length_exceeded"
            or "context length" in exc.message.lower()
            or ("exceed" in exc.message.lower() and "token" in exc.message.lower())
        ):
            chars = sum(len(str(m.content)) for m in messages)
            tokens = sum(estimate_tokens(str(m.content)) for m in messages)
            return ModelServiceError(
                f"the request is {chars:,} characters (~{tokens:,} tokens), over the context "
                f"limit of model '{settings.model}': {_one_line(exc.message)}"
            )
        if exc.code == "content_filter":
            return ModelServiceError(f"{where} refused the notes (content_filter): {_one_line(exc.message)}")
        return ModelServiceError(f"{where} rejected the request (400): {_one_line(exc.message)}")
    if isinstance(exc, openai.RateLimitError):
        after = _retry_after(exc.response.headers)
        if after is not None and after > _MAX_RETRY_AFTER:
            return ModelServiceError(
                f"{where} is rate-limiting (429) and asks to wait {after:.0f} s, longer than the "
                f"{_MAX_RETRY_AFTER:.0f} s this tool waits; try again later, or lower --concurrency or --rpm"
            )
        return ModelServiceError(
            f"{where} kept rate-limiting after {made} attempt{'s' * (made != 1)} (429); lower --concurrency or --rpm"
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelServiceError(
            f"{where} failed with {exc.status_code} after {made} attempt{'s' * (made != 1)}: {_one_line(exc.message)}"
        )
    attempts = settings.attempts if settings.resends_after_timeout else 1
    if isinstance(exc, _Stalled):
        return ModelServiceError(
            f"{where} went silent for {settings.silence_limit:g} s after {exc.tokens} tokens "
            f"({attempts} attempt{'s' if attempts > 1 else ''}); raise --timeout for a slow model"
        )
    if isinstance(exc, openai.APITimeoutError):
        return ModelServiceError(
            f"{where} did not answer within {settings.silence_limit:g} s "
            f"({attempts} attempt{'s' if attempts > 1 else ''}); raise --timeout for a slow model"
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelServiceError(
            f"cannot reach {where} ({settings.attempts} attempts); check --base-url and the network"
        )
    if isinstance(exc, json.JSONDecodeError):
        return ModelServiceError(f"{where} answered with a malformed body {settings.attempts} times")
    return ModelServiceError(f"{where} failed: {exc.__class__.__name__}: {_one_line(str(exc))}")


def _describe_invalid(exc: BaseException) -> str:
    if isinstance(exc, openai.LengthFinishReasonError):
        return "the output was cut off (finish_reason=length)"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the output"
        return f"the output does not fit the schema ({where}: {first['msg']})"
    return f"the output could not be parsed ({exc.__class__.__name__}: {_one_line(str(exc))[:200]})"


def _one_line(text: str) -> str:
    return " ".join(text.split())
