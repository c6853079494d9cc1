#!/usr/bin/env python3
"""CPU per model call, layer by layer: where a batch's client time goes.

    python bench/model_call_layers.py          # about 30 s

One extract request (the notes of eval_sets/notes/03-churn-engagement-decay.md) is sent to the
project's test server (a separate process, latency 0, ChainModel answering) through each layer
of the stack the drafting chain uses, from a raw httpx POST up to ModelSession.structured.
Each layer: 5 warm-up calls, then 60 timed calls; process CPU time per call (time.process_time,
so the server's work is not counted). Three rounds, interleaved, so that a drift in the
machine's speed touches every layer alike. Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from batch_speed import API_KEY, MODEL, Server  # after the path set-up above

NOTES = ROOT / "eval_sets" / "notes" / "03-churn-engagement-decay.md"
WARM_UP, CALLS, ROUNDS = 5, 60, 3


async def cpu_per_call(call: Callable[[], Awaitable[object]]) -> float:
    for _ in range(WARM_UP):
        await call()
    started = time.process_time()
    for _ in range(CALLS):
        await call()
    return (time.process_time() - started) / CALLS * 1000


async def measure(base_url: str) -> dict[str, list[float]]:
    from translator.drafting.api import DraftOptions, model_session
    from translator.drafting.findings import Findings
    from translator.drafting.prompts import load_prompt
    from translator.drafting.service import structured_request
    from translator.sources import read_notes

    notes = read_notes(NOTES)
    options = DraftOptions(engine="openai", base_url=base_url, api_key=API_KEY, model=MODEL, cache=False).resolved()
    session = model_session(options)
    prompt = load_prompt("extract").template
    messages = prompt.format_messages(notes=notes.text)
    body = structured_request("extract", {"notes": notes.text}, Findings, MODEL)
    client = session.chat.root_async_client
    structured = session.chat.with_structured_output(Findings, method="json_schema")
    with_raw = session.chat.with_structured_output(Findings, method="json_schema", include_raw=True)
    layers: dict[str, Callable[[], Awaitable[object]]] = {
        "httpx POST of the same body (no SDK)": lambda: session._http.post(
            f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {API_KEY}"}
        ),
        "openai SDK `chat.completions.create` (response_format as a dict)": lambda: client.chat.completions.create(
            **body
        ),
        "openai SDK `chat.completions.parse` (the pydantic class)": lambda: client.chat.completions.parse(
            model=MODEL, messages=body["messages"], response_format=Findings
        ),
        "LangChain `with_structured_output(..., method='json_schema')`, built once": lambda: structured.ainvoke(
            messages
        ),
        "the same with `include_raw=True`": lambda: with_raw.ainvoke(messages),
        "`ModelSession.structured` (what the chain calls; cached runnable, usage callback, retries)": lambda: (
            session.structured("extract", prompt, {"notes": notes.text}, Findings)
        ),
    }
    results: dict[str, list[float]] = {name: [] for name in layers}
    try:
        for _ in range(ROUNDS):
            for name, call in layers.items():
                results[name].append(await cpu_per_call(call))
    finally:
        await session.aclose()
    return results


def main() -> int:
    with Server(0, None) as server:
        results = asyncio.run(measure(server.base_url))
    print(f"| layer (CPU of the calling process per call; {ROUNDS} rounds of {CALLS} calls) | median | rounds |")
    print("|---|---|---|")
    for name, values in results.items():
        print(f"| {name} | {statistics.median(values):.2f} ms | {', '.join(f'{v:.2f}' for v in values)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
