"""Tests of the OpenAI-compatible test server, driven through the real openai SDK."""

from __future__ import annotations

import json
import math
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import openai
import pydantic
import pytest
from openai.types import Batch, FileObject
from openai.types.chat import ChatCompletion

ROOT = Path(__file__).resolve().parents[1]
import contextlib

from tests.support.openai_server import (
    EchoResponder,
    OpenAIServer,
    Reply,
    ScriptedResponder,
    parse_multipart,
)

API_KEY = "test-key-DO-NOT-LOG-4f9a"  # not sk-shaped, so a leak scan of tests/ stays meaningful
MODEL = "gpt-4o-mini"


def make_client(srv: OpenAIServer, **kwargs) -> openai.OpenAI:
    kwargs.setdefault("max_retries", 0)
    kwargs.setdefault("timeout", 5.0)
    return openai.OpenAI(base_url=srv.base_url, api_key=API_KEY, **kwargs)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def wait_for(predicate, timeout: float = 1.5, step: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


# ---------------------------------------------------------------------------------------------
# Chat completions
# ---------------------------------------------------------------------------------------------


def test_plain_completion_matches_real_shape_and_usage():
    prompt = "Summarise the finding in one sentence, please."  # 47 chars -> 12 tokens
    answer = "The model improves recall by 3 points."  # 38 chars -> 10 tokens
    responder = ScriptedResponder([answer])
    with OpenAIServer(responder=responder) as srv:
        client = make_client(srv)
        raw = client.chat.completions.with_raw_response.create(
            model="my-model", messages=[{"role": "system", "content": "Be brief."}, *user(prompt)]
        )
        completion = raw.parse()
        payload = raw.http_response.json()

    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["content-length"] == str(len(raw.http_response.content))
    assert completion.choices[0].message.content == answer
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == "my-model"
    assert completion.id.startswith("chatcmpl-")
    expected_prompt = math.ceil(len("Be brief." + prompt) / 4)
    assert completion.usage.prompt_tokens == expected_prompt
    assert completion.usage.completion_tokens == math.ceil(len(answer) / 4)
    assert completion.usage.total_tokens == expected_prompt + math.ceil(len(answer) / 4)

    # The exact wire shape: validation against the SDK's model (the SDK itself does not
    # validate by default), and the literal keys.
    ChatCompletion.model_validate(payload)
    assert {"id", "object", "created", "model", "system_fingerprint", "choices", "usage"} <= set(payload)
    assert payload["object"] == "chat.completion" and payload["system_fingerprint"] == "fp_test"
    choice = payload["choices"][0]
    assert choice["logprobs"] is None and choice["index"] == 0
    assert choice["message"] == {"role": "assistant", "content": answer, "refusal": None, "annotations": []}
    assert payload["usage"]["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert payload["usage"]["completion_tokens_details"] == {
        "reasoning_tokens": 0,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    }
    assert responder.calls[0]["model"] == "my-model"


def test_connections_are_kept_alive():
    with OpenAIServer(responder=EchoResponder()) as srv:
        client = make_client(srv)
        for _ in range(3):
            client.chat.completions.create(model=MODEL, messages=user("x"))
        ports = [e["client_port"] for e in srv.requests]
    assert len(ports) == 3 and len(set(ports)) == 1


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "record_finding",
            "parameters": {"type": "object", "properties": {"claim": {"type": "string"}}},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "write_spec",
            "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
        },
    },
]


def test_tool_call_uses_first_tool_or_forced_choice():
    args = json.dumps({"claim": "dropout helps"})
    responder = ScriptedResponder([Reply(tool_call_arguments=args)] * 2)
    with OpenAIServer(responder=responder) as srv:
        client = make_client(srv)
        auto = client.chat.completions.create(model=MODEL, messages=user("go"), tools=TOOLS)
        forced = client.chat.completions.create(
            model=MODEL,
            messages=user("go"),
            tools=TOOLS,
            tool_choice={"type": "function", "function": {"name": "write_spec"}},
        )

    for completion, name in ((auto, "record_finding"), (forced, "write_spec")):
        choice = completion.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content is None
        (call,) = choice.message.tool_calls
        assert call.type == "function"
        assert call.id.startswith("call_")
        assert call.function.name == name
        assert json.loads(call.function.arguments) == {"claim": "dropout helps"}
    assert auto.choices[0].message.tool_calls[0].id != forced.choices[0].message.tool_calls[0].id


def test_structured_output_with_parse():
    class Finding(pydantic.BaseModel):
        claim: str
        effect_size: float

    responder = ScriptedResponder([Reply(content=json.dumps({"claim": "warmup matters", "effect_size": 0.4}))])
    with OpenAIServer(responder=responder) as srv:
        completion = make_client(srv).chat.completions.parse(
            model=MODEL, messages=user("extract"), response_format=Finding
        )

    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Finding)
    assert parsed == Finding(claim="warmup matters", effect_size=0.4)
    sent = responder.calls[0]
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "Finding"
    assert sent["stream"] is False  # parse() sends stream=false explicitly; the server accepts it


def test_streaming_is_refused_with_400():
    with OpenAIServer(responder=EchoResponder()) as srv:
        with pytest.raises(openai.BadRequestError) as info:
            make_client(srv).chat.completions.create(model=MODEL, messages=user("x"), stream=True)
    assert "not supported by the test server" in info.value.message
    assert info.value.param == "stream"


def test_missing_messages_is_a_400_like_the_real_api():
    with OpenAIServer() as srv:
        with pytest.raises(openai.BadRequestError) as info:
            make_client(srv).post("/chat/completions", body={"model": MODEL}, cast_to=ChatCompletion)
    assert info.value.code == "missing_required_parameter"
    assert info.value.param == "messages"


# ---------------------------------------------------------------------------------------------
# Errors and faults
# ---------------------------------------------------------------------------------------------


def test_injected_429_surfaces_as_rate_limit_error_with_retry_after():
    with OpenAIServer(fault_rate=1.0, faults=("429",), retry_after="1") as srv:
        with pytest.raises(openai.RateLimitError) as info:
            make_client(srv).chat.completions.create(model=MODEL, messages=user("x"))
        log = srv.requests.snapshot()

    err = info.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "1"
    assert err.response.headers["retry-after-ms"] == "1000"
    assert err.code == "rate_limit_exceeded" and err.type == "requests"
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert [(e["status"], e["fault"]) for e in log] == [(429, "429")]


def test_sdk_retry_prefers_retry_after_ms_over_retry_after():
    # retry-after says 3 s, retry-after-ms says 0.1 s: the SDK waits ~0.1 s (it reads -ms first).
    responder = ScriptedResponder(
        [Reply(status=429, headers={"retry-after": "3", "retry-after-ms": "100"}), "second time lucky"]
    )
    with OpenAIServer(responder=responder) as srv:
        started = time.monotonic()
        completion = make_client(srv, max_retries=1).chat.completions.create(model=MODEL, messages=user("x"))
        elapsed = time.monotonic() - started
        log = srv.requests.snapshot()

    assert completion.choices[0].message.content == "second time lucky"
    assert 0.09 <= elapsed < 1.5
    assert [e["status"] for e in log] == [429, 200]
    assert [e["headers"]["x-stainless-retry-count"] for e in log] == ["0", "1"]


def test_injected_500_is_internal_server_error():
    with OpenAIServer(fault_rate=1.0, faults=("500",)) as srv:
        with pytest.raises(openai.InternalServerError) as info:
            make_client(srv).chat.completions.create(model=MODEL, messages=user("x"))
    assert info.value.status_code == 500
    assert info.value.type == "server_error"


def test_malformed_json_body_raises_json_decode_error_not_openai_error():
    responder = ScriptedResponder([Reply.malformed(), "unused"])
    with OpenAIServer(responder=responder) as srv:
        with pytest.raises(json.JSONDecodeError) as info:
            # max_retries=2: body decoding happens after the retry loop, so no retry happens.
            make_client(srv, max_retries=2).chat.completions.create(model=MODEL, messages=user("x"))
        log = srv.requests.snapshot()
    assert not isinstance(info.value, openai.OpenAIError)
    assert [e["status"] for e in log] == [200]
    assert responder.remaining == 1


def test_injected_malformed_fault_truncates_a_200_and_skips_the_responder():
    responder = ScriptedResponder([])
    with OpenAIServer(responder=responder, fault_rate=1.0, faults=("malformed",)) as srv:
        client = make_client(srv)
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=user("x"))
        with pytest.raises(json.JSONDecodeError):
            raw.parse()
        assert raw.status_code == 200
        assert raw.http_response.content.startswith(b'{"id": "chatcmpl-')
        assert srv.requests[0]["fault"] == "malformed"
    assert responder.calls == []


def test_injected_hang_triggers_client_timeout_and_is_logged():
    responder = ScriptedResponder(["late"])
    with OpenAIServer(responder=responder, fault_rate=1.0, faults=("timeout",), hang_s=5) as srv:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            make_client(srv, timeout=0.3).chat.completions.create(model=MODEL, messages=user("x"))
        assert time.monotonic() - started < 1.5
        entry = wait_for(lambda: next((e for e in srv.requests if e["outcome"] != "in_flight"), None))
        assert entry is not None
        assert entry["fault"] == "timeout"
        assert entry["outcome"] == "client_closed" and entry["status"] is None
    assert responder.calls == []  # the hung request never consumed the script


def test_fault_injection_is_reproducible_per_seed():
    def fault_sequence(seed: int) -> list:
        with OpenAIServer(responder=EchoResponder(), fault_rate=0.5, faults=("429", "500"), seed=seed) as srv:
            client = make_client(srv)
            for _ in range(16):
                with contextlib.suppress(openai.RateLimitError, openai.InternalServerError):
                    client.chat.completions.create(model=MODEL, messages=user("x"))
            return [(e["fault"], e["status"]) for e in srv.requests]

    first, again, other = fault_sequence(7), fault_sequence(7), fault_sequence(8)
    assert first == again
    assert first != other
    faults = {f for f, _ in first}
    assert {None, "429", "500"} <= faults
    expected_status = {None: 200, "429": 429, "500": 500}
    assert all(status == expected_status[fault] for fault, status in first)


def test_latency_is_the_whole_answer_time_and_the_responder_runs_within_it():
    def slow(body):
        time.sleep(0.4)  # a responder that takes most of the latency
        return Reply(content="ok")

    with OpenAIServer(responder=slow, latency_s=0.5) as srv:
        client = make_client(srv)
        started = time.monotonic()
        client.chat.completions.create(model=MODEL, messages=user("x"))
        elapsed = time.monotonic() - started
    # At least the latency, but far from latency + responder time (0.9 s): the two overlap.
    assert 0.5 <= elapsed < 0.8


def test_latency_is_applied_to_chat_requests():
    with OpenAIServer(responder=EchoResponder(), latency_s=0.2) as srv:
        client = make_client(srv)
        started = time.monotonic()
        client.models.list()
        models_time = time.monotonic() - started
        started = time.monotonic()
        client.chat.completions.create(model=MODEL, messages=user("x"))
        chat_time = time.monotonic() - started
    assert chat_time >= 0.2
    assert models_time < 0.2


def test_scripted_responder_exhaustion_is_a_clear_500():
    with OpenAIServer(responder=ScriptedResponder(["only one"])) as srv:
        client = make_client(srv)
        assert client.chat.completions.create(model=MODEL, messages=user("a")).choices[0].message.content == "only one"
        with pytest.raises(openai.InternalServerError) as info:
            client.chat.completions.create(model=MODEL, messages=user("b"))
    assert "ScriptedResponder exhausted" in info.value.message
    assert "#2" in info.value.message


def test_responses_api_is_not_served():
    with OpenAIServer(responder=EchoResponder()) as srv:
        with pytest.raises(openai.NotFoundError) as info:
            make_client(srv).responses.create(model=MODEL, input="hello")
        log = srv.requests.snapshot()
    assert info.value.status_code == 404
    assert "Unrecognized request URL (POST: /v1/responses)" in info.value.message
    assert info.value.type == "invalid_request_error"
    assert [(e["path"], e["status"]) for e in log] == [("/v1/responses", 404)]


def test_models_list_and_required_api_key():
    with OpenAIServer(api_key=API_KEY, models=("gpt-4o-mini", "gpt-4o")) as srv:
        models = make_client(srv).models.list()
        assert [m.id for m in models.data] == ["gpt-4o-mini", "gpt-4o"]
        wrong = openai.OpenAI(base_url=srv.base_url, api_key="wrong", max_retries=0, timeout=5)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()


# ---------------------------------------------------------------------------------------------
# Files and batches
# ---------------------------------------------------------------------------------------------


def _batch_input(n: int, model: str = MODEL) -> bytes:
    lines = [
        json.dumps(
            {
                "custom_id": f"finding-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": model, "messages": user(f"question {i}")},
            }
        )
        for i in range(n)
    ]
    return ("\n".join(lines) + "\n").encode()


def test_files_and_batches_flow():
    def responder(body: dict) -> Reply:
        return Reply(content="answer to " + body["messages"][-1]["content"])

    data = _batch_input(3)
    with OpenAIServer(responder=responder) as srv:
        client = make_client(srv)
        uploaded = client.files.create(file=("findings.jsonl", data), purpose="batch")
        assert isinstance(uploaded, FileObject)
        assert uploaded.id.startswith("file-")
        assert (uploaded.bytes, uploaded.filename, uploaded.purpose, uploaded.status) == (
            len(data),
            "findings.jsonl",
            "batch",
            "processed",
        )
        assert client.files.retrieve(uploaded.id).id == uploaded.id
        assert client.files.content(uploaded.id).content == data  # multipart round-trip is byte-exact

        created = client.batches.create(
            input_file_id=uploaded.id,
            endpoint="/v1/chat/completions",
            completion_window="24h",
            metadata={"run": "unit"},
        )
        assert created.status == "validating"
        assert created.metadata == {"run": "unit"}

        batch = client.batches.retrieve(created.id)
        assert isinstance(batch, Batch)
        assert batch.status == "completed"
        assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (3, 3, 0)
        assert batch.error_file_id is None
        assert batch.output_file_id is not None

        output = client.files.content(batch.output_file_id).text
        assert client.files.retrieve(batch.output_file_id).purpose == "batch_output"

    lines = [json.loads(line) for line in output.splitlines()]
    assert sorted(line["custom_id"] for line in lines) == ["finding-0", "finding-1", "finding-2"]
    for line in lines:
        assert line["id"].startswith("batch_req_")
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        assert line["response"]["request_id"].startswith("req_")
        body = ChatCompletion.model_validate(line["response"]["body"])
        number = line["custom_id"].split("-")[1]
        assert body.choices[0].message.content == f"answer to question {number}"
        assert body.model == MODEL
        assert body.usage.total_tokens > 0


def test_batch_progresses_over_time_and_failed_lines_go_to_error_file():
    replies = ScriptedResponder(
        [
            "fine",
            Reply(status=400, error={"message": "bad", "type": "invalid_request_error", "param": None, "code": None}),
        ]
    )
    with OpenAIServer(responder=replies, batch_delay_s=0.4) as srv:
        client = make_client(srv)
        uploaded = client.files.create(file=("in.jsonl", _batch_input(2)), purpose="batch")
        created = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert client.batches.retrieve(created.id).status == "validating"
        time.sleep(0.25)
        assert client.batches.retrieve(created.id).status == "in_progress"
        time.sleep(0.2)
        done = client.batches.retrieve(created.id)
        assert done.status == "completed"
        assert (done.request_counts.completed, done.request_counts.failed) == (1, 1)
        errors = [json.loads(x) for x in client.files.content(done.error_file_id).text.splitlines()]
    assert [e["response"]["status_code"] for e in errors] == [400]
    assert errors[0]["response"]["body"]["error"]["message"] == "bad"


def test_batch_cancel():
    with OpenAIServer(responder=EchoResponder(), batch_delay_s=60) as srv:
        client = make_client(srv)
        uploaded = client.files.create(file=("in.jsonl", _batch_input(1)), purpose="batch")
        created = client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        assert client.batches.cancel(created.id).status == "cancelling"
        cancelled = client.batches.retrieve(created.id)
        assert cancelled.status == "cancelled"
        assert cancelled.output_file_id is None
        with pytest.raises(openai.BadRequestError):
            client.batches.cancel(created.id)


def test_parse_multipart_handles_binary_crlf_content():
    payload = b"line1\r\n--notboundary\r\n\r\n\x00\xff"
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a b.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + payload + b"\r\n--XyZ--\r\n"
    )
    form = parse_multipart(body, "multipart/form-data; boundary=XyZ")
    assert form["purpose"]["data"] == b"batch"
    assert form["file"]["filename"] == "a b.jsonl"
    assert form["file"]["data"] == payload
    with pytest.raises(ValueError):
        parse_multipart(body[:-9], "multipart/form-data; boundary=XyZ")


# ---------------------------------------------------------------------------------------------
# Request log
# ---------------------------------------------------------------------------------------------


def test_request_log_never_contains_credentials(tmp_path):
    log_path = tmp_path / "requests.jsonl"
    responder = ScriptedResponder(["ok", Reply.rate_limited(retry_after_s=0)])
    with OpenAIServer(responder=responder, log_path=log_path) as srv:
        client = make_client(srv)
        client.chat.completions.create(model=MODEL, messages=user("x"))
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model=MODEL, messages=user("y"))
        client.files.create(file=("in.jsonl", _batch_input(1)), purpose="batch")
        client.models.list()
        entries = srv.requests.snapshot()

    file_lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [e["status"] for e in entries] == [200, 429, 200, 200]
    assert [(e["method"], e["path"], e["status"]) for e in file_lines] == [
        (e["method"], e["path"], e["status"]) for e in entries
    ]
    assert entries[0]["body"]["messages"] == user("x")
    assert entries[2]["body"] == {
        "multipart": {"purpose": "batch", "file": {"filename": "in.jsonl", "bytes": len(_batch_input(1))}}
    }
    for entry in entries + file_lines:
        assert "authorization" not in {k.lower() for k in entry["headers"]}
        assert entry["headers"]["user-agent"].startswith("OpenAI/Python")
    assert API_KEY not in json.dumps(entries)
    assert API_KEY not in log_path.read_text()
    assert "Bearer" not in log_path.read_text()


# ---------------------------------------------------------------------------------------------
# Command-line mode
# ---------------------------------------------------------------------------------------------


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not selector.select(timeout):
            return ""
        return proc.stdout.readline()
    finally:
        selector.close()


def test_cli_mode_serves_until_terminated(tmp_path):
    log_path = tmp_path / "cli.jsonl"
    proc = subprocess.Popen(
        [
            sys.executable,
            "tests/support/openai_server.py",
            "--port",
            "0",
            "--latency-ms",
            "10",
            "--fault-rate",
            "0",
            "--seed",
            "1",
            "--hang-s",
            "5",
            "--log",
            str(log_path),
            "--responder",
            "tests.support.openai_server:EchoResponder",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "0"},
    )
    try:
        line = _read_line(proc, timeout=5)
        assert line.startswith("listening on http://127.0.0.1:") and line.endswith("/v1\n"), (
            line,
            proc.stderr.read() if proc.poll() is not None else "",
        )
        base_url = line.split("listening on ", 1)[1].strip()
        client = openai.OpenAI(base_url=base_url, api_key=API_KEY, max_retries=0, timeout=5)
        completion = client.chat.completions.create(model=MODEL, messages=user("ping"))
        assert completion.choices[0].message.content == EchoResponder().text
        assert proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert proc.stdout.read() == ""  # exactly one line was printed
    entries = [json.loads(x) for x in log_path.read_text().splitlines()]
    assert [(e["path"], e["status"]) for e in entries] == [("/v1/chat/completions", 200)]
    assert API_KEY not in log_path.read_text()
