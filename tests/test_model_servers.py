"""Drafting against servers that are not OpenAI: capability errors in their real forms, the
mode memory, timeouts that fit local models, streaming, bad answers, and the local engine's
one-line errors. The test server plays each server's part on loopback; tests/test_local_model.py
checks the same against the real llama.cpp server.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.openai_server import OpenAIServer, Reply
from tests.support.responders import ChainModel
from translator.cli import main
from translator.drafting import DraftOptions, adraft, draft
from translator.drafting.api import model_session
from translator.drafting.capabilities import ModeMemory
from translator.drafting.service import ModelSettings
from translator.errors import ModelServiceError

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"

# The bodies real servers send when they do not take a request format (shortened, same shape).
LLAMA_CPP_500 = Reply(
    status=500,
    error={
        "message": "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
        "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema'}]",
        "type": "internal_server_error",
        "param": None,
        "code": None,
    },
)
FASTAPI_422 = Reply(
    status=422,
    raw_body=json.dumps(
        {
            "detail": [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", "response_format", "schema"],
                    "msg": "Extra inputs are not permitted",
                }
            ]
        }
    ).encode(),
)
NO_TOOLS_400 = Reply(
    status=400,
    error={
        "message": "tool_choice is not supported by this server",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    },
)


def mode_of(body: dict[str, Any]) -> str:
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return "json_schema"
    if response_format.get("type") == "json_object":
        return "json_object_schema" if "schema" in response_format else "json_mode"
    return "function_calling" if body.get("tools") else "text"


class Dialect(ChainModel):
    """A competent model behind a server that refuses some structured-output modes."""

    def __init__(self, refuses: dict[str, Reply]) -> None:
        super().__init__()
        self.refuses = refuses

    def __call__(self, body: dict[str, Any]) -> Reply:
        return self.refuses.get(mode_of(body)) or super().__call__(body)


def options(base_url: str, **extra: Any) -> DraftOptions:
    settings: dict[str, Any] = {"engine": "openai", "api_key": "test-key", "model": "local-model", "cache": False}
    return DraftOptions(base_url=base_url, **{**settings, **extra})


@pytest.mark.parametrize(
    ("refuses", "taken"),
    [
        ({"json_schema": LLAMA_CPP_500}, "json_object_schema"),
        ({"json_schema": FASTAPI_422, "json_object_schema": FASTAPI_422}, "function_calling"),
        (
            {"json_schema": LLAMA_CPP_500, "json_object_schema": FASTAPI_422, "function_calling": NO_TOOLS_400},
            "json_mode",
        ),
    ],
    ids=["llama.cpp-500", "fastapi-422", "no-tools-400"],
)
def test_capability_errors_fall_back_in_order_once(refuses: dict[str, Reply], taken: str) -> None:
    with OpenAIServer(responder=Dialect(refuses)) as server:
        result = draft(EXAMPLE, options=options(server.base_url))
        modes = [mode_of(r["body"]) for r in server.requests]
    order = ["json_schema", "json_object_schema", "function_calling", "json_mode"]
    expected_discovery = order[: order.index(taken)]
    assert result.accepted
    # each refused mode was tried exactly once (a capability error is never retried), then the
    # session kept the mode that worked for every later call
    assert modes[: len(expected_discovery)] == expected_discovery
    assert set(modes[len(expected_discovery) :]) == {taken} and len(modes) == len(expected_discovery) + 2


def test_the_working_mode_is_remembered_per_server_and_model(tmp_path: Path) -> None:
    cache = tmp_path / "calls.sqlite3"
    with OpenAIServer(responder=Dialect({"json_schema": LLAMA_CPP_500})) as server:
        first = draft(EXAMPLE, options=options(server.base_url, cache_path=cache))
        after_first = len(server.requests)
        second = draft(EXAMPLE.read_text() + "\nOne more line.\n", options=options(server.base_url, cache_path=cache))
        later = [mode_of(r["body"]) for r in server.requests[after_first:]]
        other_model = draft(EXAMPLE, options=options(server.base_url, cache_path=cache, model="another-model"))
        other = [mode_of(r["body"]) for r in server.requests[after_first + len(later) :]]
        base_url = server.base_url
    assert first.accepted and second.accepted and other_model.accepted
    assert later == ["json_object_schema", "json_object_schema"]  # no discovery request at all
    assert other[0] == "json_schema"  # memory is per model: another model is asked afresh
    assert ModeMemory(cache).get(base_url, "local-model") == "json_object_schema"


def test_a_forced_mode_the_server_refuses_is_one_line_exit_4() -> None:
    with OpenAIServer(responder=Dialect({"json_schema": LLAMA_CPP_500})) as server:
        with pytest.raises(ModelServiceError, match=r"failed with 500") as caught:
            draft(EXAMPLE, options=options(server.base_url, structured_output="json_schema"))
        assert len(server.requests) == 1  # refused, not retried as if the server were overloaded
    assert "\n" not in str(caught.value)


def test_a_server_error_that_names_nothing_is_still_retried() -> None:
    with OpenAIServer(responder=Dialect({"json_schema": Reply.server_error(500)})) as server:
        with pytest.raises(ModelServiceError, match=r"failed with 500 after 2 attempts"):
            draft(EXAMPLE, options=options(server.base_url, attempts=2))
        assert [mode_of(r["body"]) for r in server.requests] == ["json_schema", "json_schema"]


NOT_A_COMPLETION = {
    "html-200": Reply(
        raw_body=b"<html><body><h1>502 Bad Gateway</h1></body></html>", headers={"content-type": "text/html"}
    ),
    "no-choices": Reply(raw_body=b'{"id": "chatcmpl-1", "object": "chat.completion", "choices": []}'),
    "wrong-shape": Reply(raw_body=b'{"result": {"text": "hello"}}'),
    "not-the-schema": Reply(content='{"summary": "a spec"}'),
}


@pytest.mark.parametrize("structured_output", ["auto", "json_object", "tools", "json"])
@pytest.mark.parametrize("bad", list(NOT_A_COMPLETION))
def test_bad_extract_answers_are_failed_rounds_then_exit_4(bad: str, structured_output: str) -> None:
    with OpenAIServer(responder=lambda body: NOT_A_COMPLETION[bad]) as server:
        with pytest.raises(ModelServiceError, match=r"no usable findings in 2 round\(s\)") as caught:
            draft(EXAMPLE, options=options(server.base_url, structured_output=structured_output, max_repairs=1))
        assert len(server.requests) == 2  # one failed round, asked again once, then given up
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", list(NOT_A_COMPLETION))
def test_a_bad_classify_answer_falls_back_to_the_rubrics_detection(bad: str) -> None:
    notes = "\n".join(EXAMPLE.read_text().splitlines()[5:])  # no front matter: the model is asked
    model = ChainModel()

    def responder(body: dict[str, Any]) -> Reply:
        return NOT_A_COMPLETION[bad] if "KindChoice" in json.dumps(body.get("response_format")) else model(body)

    with OpenAIServer(responder=responder) as server:
        result = draft(notes, options=options(server.base_url))
    assert result.kind == "model-change" and result.accepted


@pytest.mark.parametrize("bad", list(NOT_A_COMPLETION))
def test_bad_answers_exit_4_from_the_cli_never_70(bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with OpenAIServer(responder=lambda body: NOT_A_COMPLETION[bad]) as server:
        code = main(
            ["draft", str(EXAMPLE), "--base-url", server.base_url, "--model", "m", "-o", str(tmp_path / "s.md"), "-q"]
        )
    err = capsys.readouterr().err
    assert code == 4 and "internal error" not in err and len(err.strip().splitlines()) == 1


def test_a_timeout_on_loopback_is_not_resent() -> None:
    # The server is still working on the first request: a second copy would only queue behind it.
    with OpenAIServer(responder=ChainModel(), fault_rate=1.0, faults=("timeout",), hang_s=3) as server:
        with pytest.raises(ModelServiceError, match=r"did not answer within 0\.3 s \(1 attempt\); raise --timeout"):
            draft(EXAMPLE, options=options(server.base_url, attempts=5, timeout=0.3))
        assert len(server.requests) == 1


def test_silence_limits_default_by_where_the_server_is() -> None:
    assert ModelSettings(model="m", base_url="http://127.0.0.1:8080/v1").silence_limit == 600
    assert ModelSettings(model="m", base_url="http://localhost:11434/v1").silence_limit == 600
    assert ModelSettings(model="m", base_url="https://api.example.com/v1").silence_limit == 60
    assert ModelSettings(model="m").silence_limit == 60 and ModelSettings(model="m").resends_after_timeout
    assert ModelSettings(model="m", base_url="http://127.0.0.1:1/v1", timeout=5).silence_limit == 5


def test_timeout_option_and_config_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with OpenAIServer(responder=ChainModel(), fault_rate=1.0, faults=("timeout",), hang_s=3) as server:
        args = ["draft", str(EXAMPLE), "--base-url", server.base_url, "--model", "m", "-o", str(tmp_path / "s.md")]
        assert main([*args, "--timeout", "0.4"]) == 4
        assert "did not answer within 0.4 s" in capsys.readouterr().err
        (tmp_path / ".translator.toml").write_text("timeout = 0.3\n")
        assert main(args) == 4
        assert "did not answer within 0.3 s" in capsys.readouterr().err
    (tmp_path / ".translator.toml").write_text("timeout = -1\n")
    assert main(args) == 2


def test_streaming_outlasts_the_timeout_while_tokens_arrive_and_shows_progress() -> None:
    # Each chunk comes 20 ms after the last: an answer of a few hundred chunks takes seconds,
    # far beyond the 0.5 s timeout, which only measures silence.
    model = ChainModel()
    with OpenAIServer(responder=lambda body: _slow(model(body), 0.004), streaming=True) as server:
        steps: list[str] = []
        result = draft(EXAMPLE, options=options(server.base_url, stream=True, timeout=0.5), on_step=steps.append)
        bodies = [r["body"] for r in server.requests]
    assert result.accepted and all(b["stream"] is True for b in bodies)
    assert result.usage.calls == 2 and result.usage.output_tokens > 0  # usage from the stream's last chunk
    drafting = [
        int(m.group(1))
        for s in steps
        if (m := re.fullmatch(r"drafting the model-change spec \((\d+) tokens so far\)", s))
    ]
    assert len(drafting) > 3 and drafting == sorted(drafting)  # the status line counts the draft's tokens


def test_a_stream_that_goes_silent_is_a_stall_and_is_not_resent() -> None:
    model = ChainModel()
    stalled = lambda body: _slow(model(body), 0, stall_after=5)  # noqa: E731
    with OpenAIServer(responder=stalled, streaming=True, hang_s=5) as server:
        with pytest.raises(ModelServiceError, match=r"went silent for 0\.5 s after \d+ tokens \(1 attempt\)"):
            draft(EXAMPLE, options=options(server.base_url, stream=True, timeout=0.5, attempts=5))
        assert len(server.requests) == 1


@pytest.mark.parametrize("structured_output", ["json_object", "tools", "json", "json_schema"])
def test_every_mode_streams(structured_output: str) -> None:
    with OpenAIServer(responder=ChainModel(), streaming=True) as server:
        result = draft(EXAMPLE, options=options(server.base_url, stream=True, structured_output=structured_output))
    assert result.accepted and result.usage.calls == 2


def test_a_batch_shares_the_discovered_mode(tmp_path: Path) -> None:
    import asyncio

    async def two_drafts(base_url: str) -> int:
        session = model_session(options(base_url, cache_path=tmp_path / "c.sqlite3"))
        try:
            await asyncio.gather(
                *(
                    adraft(EXAMPLE.read_text() + f"\nrun {i}\n", options=options(base_url), session=session)
                    for i in range(3)
                )
            )
            return session.discovery_requests
        finally:
            await session.aclose()

    with OpenAIServer(responder=Dialect({"json_schema": LLAMA_CPP_500})) as server:
        discovery = asyncio.run(two_drafts(server.base_url))
        modes = [mode_of(r["body"]) for r in server.requests]
    # three concurrent workers may each hear the refusal once, never more; then all use one mode
    assert discovery == modes.count("json_schema") <= 3 and modes[-1] == "json_object_schema"
    assert modes.count("json_object_schema") == 6


def _slow(reply: Reply, chunk_delay_s: float, stall_after: int | None = None) -> Reply:
    reply.chunk_delay_s = chunk_delay_s
    reply.stall_after_chunks = stall_after
    return reply


def _run_cli(args: list[str], prelude: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nfrom translator.cli import main\nsys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.e2e
def test_local_engine_without_the_extra_is_one_line(tmp_path: Path) -> None:
    # sys.modules[name] = None is how Python spells "not installed" to importlib.
    done = _run_cli(
        ["draft", str(EXAMPLE), "--engine", "local", "-o", str(tmp_path / "s.md")],
        prelude="sys.modules['llama_cpp'] = None",
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "pip install 'spec-translator[local]'" in done.stderr
    assert "GGML_NATIVE=OFF" in done.stderr and not list(tmp_path.iterdir())


@pytest.mark.parametrize("model", ["missing.gguf", "no-such-model-package"])
def test_local_engine_with_an_unknown_model_is_one_line(
    model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("llama_cpp", reason="the [local] extra is not installed")
    code = main(["draft", str(EXAMPLE), "--engine", "local", "--model", model, "-o", str(tmp_path / "s.md")])
    err = capsys.readouterr().err
    assert code == 2 and f"--model {model}" in err and len(err.strip().splitlines()) == 1
