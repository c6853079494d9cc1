#!/usr/bin/env python3
"""Drafting on a real local model: llama-cpp-python's server on a GGUF file, on loopback.

    python bench/local_model.py                    # the Gemma 3 270M package, 3 drafts
    python bench/local_model.py --model x.gguf --drafts 2 --max-tokens 512

Starts the local engine's server once (translator.drafting.local_server), then drafts short
notes --drafts times through the openai engine's path exactly as `--engine local` does
(streamed, json_object with a schema once discovered), with no answer cache, the mode memory in
a fresh folder. Per draft it reports:

- wall time of the draft (adraft, from notes to gated result);
- the time spent waiting on the server: every HTTP request from sending it until its answer's
  stream closed, timed at the HTTP transport;
- client overhead: wall time minus that wait, as a share of the wall time (target <= 5 %);
- tokens/s as the server reports them: the server's own `llama_perf` lines (eval time and runs)
  from its log; and its generation time (prompt eval + eval), so that the server's own overhead
  beyond generating (grammar set-up, HTTP) shows too;
- the structured-output mode taken and the requests spent discovering it.

Prints a Markdown table and the drafts' verdicts; nothing is written outside a temp folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

import httpx2

from translator.drafting import DraftOptions, adraft
from translator.drafting.api import model_session
from translator.drafting.local_server import local_server
from translator.errors import ModelServiceError

NOTES = """---
kind: model-change
title: Fraud model v14 velocity feature
---
We recommend shipping fraud_gbdt v14 with transaction_velocity_last_1h.
Precision went 0.62 -> 0.67 on the March holdout.
Latency: the Redis lookup adds 6 ms p95.
"""
_PERF = re.compile(
    r"^llama_perf_context_print:\s+(prompt eval|eval) time =\s+([\d.]+) ms /\s+(\d+) (?:tokens|runs)", re.M
)


class TimedTransport(httpx2.AsyncBaseTransport):
    """Times each request from sending it until its response's stream is closed."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.spans: list[float] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        inner, spans = response.stream, self.spans

        class Stream(httpx2.AsyncByteStream):
            async def __aiter__(self) -> Any:
                async for chunk in inner:  # type: ignore[union-attr]
                    yield chunk

            async def aclose(self) -> None:
                await inner.aclose()  # type: ignore[union-attr]
                spans.append(time.perf_counter() - started)

        response.stream = Stream()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Run:
    wall: float
    waited: float
    requests: int
    generation_ms: float
    eval_ms: float
    eval_tokens: int
    method: str
    discovery: int
    verdict: str
    calls: int
    output_tokens: int


def server_perf(log: Path, since: int) -> tuple[float, float, int, int]:
    """Generation time (prompt eval + eval, ms), eval ms, eval tokens from the server's log after
    byte ``since``; and the log's new length."""
    text = log.read_bytes()
    generation = eval_ms = 0.0
    tokens = 0
    for kind, ms, count in _PERF.findall(text[since:].decode(errors="replace")):
        generation += float(ms)
        if kind == "eval":
            eval_ms += float(ms)
            tokens += int(count)
    return generation, eval_ms, tokens, len(text)


async def one_draft(opts: DraftOptions, notes: str, log: Path) -> Run:
    session = model_session(opts)
    timed = TimedTransport(session._http._transport)
    session._http._transport = timed
    since = log.stat().st_size
    result = None
    started = time.perf_counter()
    try:
        result = await adraft(notes, options=opts, session=session)
        verdict = (
            "accepted"
            if result.accepted
            else (f"rejected, score {result.score}" if result.report else f"no spec: {result.failure}")
        )
    except ModelServiceError as exc:  # exit 4 for the CLI: e.g. no usable findings
        verdict = f"model service error: {exc}"
    finally:
        wall = time.perf_counter() - started
        await session.aclose()
    generation, eval_ms, tokens, _ = server_perf(log, since)
    return Run(
        wall=wall,
        waited=sum(timed.spans),
        requests=len(timed.spans),
        generation_ms=generation,
        eval_ms=eval_ms,
        eval_tokens=tokens,
        method=session.method,
        discovery=session.discovery_requests,
        verdict=verdict,
        calls=session.usage.calls,
        output_tokens=session.usage.output_tokens,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a .gguf file or model package (default: the Gemma 270M one)")
    parser.add_argument("--drafts", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=256)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-local-"))
    os.environ["TRANSLATOR_CACHE_DIR"] = str(folder)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with local_server(args.model) as server:
        opts = DraftOptions(
            engine="openai",
            base_url=server.base_url,
            model=server.model_name,
            server_id=server.server_id,
            stream=True,
            max_tokens=args.max_tokens,
            max_repairs=0,
            cache=False,
            cache_path=folder / "calls.sqlite3",
        )
        runs = []
        for number in range(args.drafts):
            notes = NOTES + f"\nRun {number + 1}.\n"  # no two drafts share a prompt (no server prompt cache)
            runs.append(asyncio.run(one_draft(replace(opts), notes, server.log_path)))
            print(f"draft {number + 1}: {runs[-1]}", file=sys.stderr)
    print(
        f"model {server.model_name}, max_tokens {args.max_tokens}, load average at start {load}, {os.cpu_count()} cores\n"
    )
    print(
        "| draft | wall s | waiting on server s | client overhead | server generation s | tokens/s (server) | mode | discovery requests | requests | verdict |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for number, run in enumerate(runs, start=1):
        overhead = (run.wall - run.waited) / run.wall
        rate = run.eval_tokens / (run.eval_ms / 1000) if run.eval_ms else 0.0
        print(
            f"| {number} | {run.wall:.1f} | {run.waited:.1f} | {overhead:.1%} ({run.wall - run.waited:.2f} s) | "
            f"{run.generation_ms / 1000:.1f} | {rate:.1f} ({run.eval_tokens} tokens) | {run.method} | {run.discovery} | "
            f"{run.requests} | {run.verdict} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
