"""`translator batch --mode openai-batch`: the drafting chain as OpenAI Batch API jobs.

Runs against the project's test server in-process, whose /v1/files and /v1/batches behave
like the real API (a job completes on the first look after ``batch_delay_s``); ChainModel
answers each batch line exactly as it answers a live request.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.support.openai_server import OpenAIServer, Reply
from tests.support.responders import ChainModel, notes_in, requested_schema, without
from translator.batch.openai_batch import STATE_NAME
from translator.cli import main
from translator.drafting import DraftOptions, draft
from translator.drafting.findings import Findings
from translator.drafting.prompts import load_prompt
from translator.drafting.requests import draft_variables, repair_variables
from translator.drafting.service import ModelSession, ModelSettings, structured_request
from translator.drafting.usage import cost_of
from translator.kinds import SPEC_KINDS, spec_model
from translator.outputs import mark_markdown

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "eval_sets" / "notes"
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"
IN_EXAMPLE = "freshness SLA of 5 minutes"  # a line only the example's notes hold
IN_NOTEBOOK = "churn_lgbm v8 retrain"  # only 02-churn-retrain-eval.ipynb's
KEY = "test-key"
MODEL = "gpt-4o-mini"
DELAY = 0.05
_SPEC_SCHEMAS = {model.__name__ for model in SPEC_KINDS.values()}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def corpus(folder: Path) -> Path:
    """Three labelled notes (one a notebook) and the complete example, in two folders."""
    for name in ("01-fraud-velocity-jottings.md", "02-churn-retrain-eval.ipynb", "07-user-segment-service.md"):
        (folder / "team-a").mkdir(parents=True, exist_ok=True)
        shutil.copy(NOTES / name, folder / "team-a" / name)
    (folder / "team-b").mkdir(parents=True, exist_ok=True)
    shutil.copy(EXAMPLE, folder / "team-b" / "fraud-velocity.md")
    return folder


def submit(reports: Path, out: Path, server: OpenAIServer, *extra: str) -> int:
    return main(
        [
            "batch",
            str(reports),
            "--out",
            str(out),
            "--mode",
            "openai-batch",
            "--model",
            MODEL,
            "--base-url",
            server.base_url,
            *extra,
        ]
    )


def collect_until_done(out: Path, capsys: pytest.CaptureFixture[str], limit: int = 60) -> tuple[int, list[str]]:
    printed = []
    for _ in range(limit):
        code = main(["batch", "collect", str(out)])
        printed.append(capsys.readouterr().out)
        if not (out / STATE_NAME).exists():
            return code, printed
        assert code == 0, printed[-1]
        time.sleep(DELAY)
    raise AssertionError(f"the batch never finished: {printed[-1]}")


def journal(out: Path) -> dict[str, dict[str, Any]]:
    return {Path(e["path"]).name: e for e in map(json.loads, (out / "journal.jsonl").read_text().splitlines())}


def summary(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text())


def jobs(server: OpenAIServer) -> list[dict[str, Any]]:
    """The batch creations the server saw, in order."""
    return [r["body"] for r in server.requests.for_path("/v1/batches", "POST")]


def age_job(server: OpenAIServer, batch_id: str, seconds: float) -> None:
    """Make a job on the test server ``seconds`` old, as if that much time had passed."""
    record = server._batches[batch_id]
    with record["lock"]:
        record["started"] = time.monotonic() - seconds


def lines_of(server: OpenAIServer, job: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in server.file_bytes(job["input_file_id"]).decode().splitlines()]


def step_lines(server: OpenAIServer, step: str) -> list[dict[str, Any]]:
    """Every line of every job that asks ``step`` (custom ids name the step and round)."""
    return [line for job in jobs(server) for line in lines_of(server, job) if f"-{step}-" in line["custom_id"]]


class Faulty(ChainModel):
    """ChainModel, except for the first draft (not repair) request of notes containing a marker."""

    def __init__(self, faults: dict[str, Any]) -> None:
        super().__init__()
        self.faults = faults  # marker in the notes -> (body, model) -> Reply
        self.seen: set[str] = set()

    def __call__(self, body: dict[str, Any]) -> Reply:
        repair = "The current draft (JSON):" in str(body["messages"][-1]["content"])
        if requested_schema(body) in _SPEC_SCHEMAS and not repair:
            for marker, fault in self.faults.items():
                if marker in notes_in(body) and marker not in self.seen:
                    self.seen.add(marker)
                    return fault(body, self)
        return super().__call__(body)


# --- the requests are the live path's ----------------------------------------------------------


def test_structured_request_is_what_model_session_sends() -> None:
    notes = EXAMPLE.read_text()
    findings = Findings(
        decisions=["ship v14"],
        claims=["precision 0.62 -> 0.67"],
        metric_deltas=[],
        identifiers=[],
        constraints=[],
        uncertainties=[],
    )
    spec = SPEC_KINDS["model-change"].model_validate(
        ChainModel().answer(
            structured_request(
                "draft", draft_variables("model-change", findings, notes), spec_model("model-change"), MODEL
            )
        )
    )
    calls = [
        ("extract", {"notes": notes}, Findings),
        ("draft", draft_variables("model-change", findings, notes), spec_model("model-change")),
        ("repair", repair_variables(spec, ["[validation] Validation is missing."], notes), spec_model("model-change")),
    ]

    async def live() -> None:
        session = ModelSession(
            ModelSettings(model=MODEL, base_url=server.base_url, api_key=KEY, structured_output="json_schema")
        )
        try:
            for step, variables, schema in calls:
                await session.structured(step, load_prompt(step).template, variables, schema)
        finally:
            await session.aclose()

    import asyncio

    with OpenAIServer(responder=ChainModel()) as server:
        asyncio.run(live())
        sent = [r["body"] for r in server.requests]
    assert len(sent) == 3
    for body, (step, variables, schema) in zip(sent, calls, strict=False):
        assert structured_request(step, variables, schema, MODEL) == body, step


def test_batch_lines_are_the_live_chains_requests(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "in" / "fraud-velocity.md")
    with OpenAIServer(responder=ChainModel(), batch_delay_s=0) as server:
        live = draft(
            tmp_path / "in" / "fraud-velocity.md",
            options=DraftOptions(
                engine="openai",
                base_url=server.base_url,
                api_key=KEY,
                model=MODEL,
                cache=False,
                structured_output="json_schema",
            ),
        )
        live_bodies = [r["body"] for r in server.requests.for_path("/v1/chat/completions")]
        assert submit(tmp_path / "in", tmp_path / "out", server) == 0
        assert main(["batch", "collect", str(tmp_path / "out")]) == 0  # extract done, draft submitted
        assert main(["batch", "collect", str(tmp_path / "out")]) == 0  # draft done: accepted
        batch_bodies = [line["body"] for job in jobs(server) for line in lines_of(server, job)]
    assert live.accepted and live.rounds == 0
    assert batch_bodies == live_bodies  # extract then draft: byte for byte the same requests
    saved = json.loads((tmp_path / "out" / "fraud-velocity.spec.json").read_text())
    assert saved["engine"] == "openai-batch" and saved["usage"]["calls"] == 2
    assert (tmp_path / "out" / "fraud-velocity.spec.md").read_text() == mark_markdown(
        live.markdown
    )  # the output marker is its last line


# --- the whole run ----------------------------------------------------------------------------


def test_submit_status_collect_until_done(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    with OpenAIServer(responder=ChainModel(), batch_delay_s=100, api_key=KEY) as server:
        assert submit(reports, out, server) == 0
        printed = capsys.readouterr().out
        state = json.loads((out / STATE_NAME).read_text())
        assert state["phase"] == "extract" and state["batch_id"] in printed
        assert f"translator batch status {out}" in printed and f"translator batch collect {out}" in printed
        assert KEY not in (out / STATE_NAME).read_text()

        assert main(["batch", "collect", str(out)]) == 0  # still validating: nothing changes
        printed = capsys.readouterr().out
        assert f"batch {state['batch_id']} is validating" in printed and "not finished, collect again later" in printed
        assert json.loads((out / STATE_NAME).read_text()) == state

        age_job(server, state["batch_id"], 60)  # past half its delay: the server shows it in progress
        assert main(["batch", "status", str(out)]) == 0
        printed = capsys.readouterr().out
        assert f"phase extract: batch {state['batch_id']} in_progress, 0/0 requests done" in printed
        assert "reports: 4 pending" in printed

        age_job(server, state["batch_id"], 100)
        assert main(["batch", "status", str(out)]) == 0
        assert "completed, 4/4 requests done, 0 failed" in capsys.readouterr().out
        server.batch_delay_s = DELAY

        code, printed_collects = collect_until_done(out, capsys)
        created = jobs(server)
        uploads = [r["body"]["multipart"] for r in server.requests.for_path("/v1/files", "POST")]
        extract_lines = lines_of(server, created[0])

    assert code == 1  # some reports are rejected with questions, as in the live batch
    # The three reports without a kind in their front matter are classified, as in a live draft.
    assert [job["metadata"]["phase"] for job in created] == ["extract", "classify+draft", "draft"]
    assert all(job["endpoint"] == "/v1/chat/completions" and job["completion_window"] == "24h" for job in created)
    assert len(uploads) == 3 and all(upload["purpose"] == "batch" for upload in uploads)
    assert all(line["method"] == "POST" and line["url"] == "/v1/chat/completions" for line in extract_lines)
    assert {line["body"]["response_format"]["json_schema"]["name"] for line in extract_lines} == {"Findings"}
    assert (
        "submitted phase classify+draft" in printed_collects[0]
        and "4 reports: 1 accepted, 3 rejected" in printed_collects[-1]
    )

    entries = journal(out)
    assert set(entries) == {
        "01-fraud-velocity-jottings.md",
        "02-churn-retrain-eval.ipynb",
        "07-user-segment-service.md",
        "fraud-velocity.md",
    }
    assert {e["engine"] for e in entries.values()} == {"openai-batch"}
    accepted = entries["fraud-velocity.md"]
    assert accepted["status"] == "accepted" and accepted["outputs"] == [
        "team-b/fraud-velocity.spec.md",
        "team-b/fraud-velocity.spec.json",
    ]
    usage = accepted["usage"]
    assert usage["calls"] == 2 and usage["input_tokens"] > 0
    assert usage["cost_usd"] == pytest.approx(
        cost_of(MODEL, usage["input_tokens"], usage["output_tokens"]) / 2, abs=2e-6
    )
    rejected = entries["01-fraud-velocity-jottings.md"]
    assert rejected["status"] == "rejected" and rejected["open_questions"] and rejected["gaps"]
    assert (out / "team-a" / "01-fraud-velocity-jottings.rejected.md").is_file()

    report = summary(out)
    assert report["corpus"]["total"] == 4 and report["corpus"]["accepted"] == 1 and report["corpus"]["rejected"] == 3
    assert report["corpus"]["usage"]["calls"] == 11  # 4 extract, 3 classify, 4 draft
    assert not (out / STATE_NAME).exists() and (out / "index.md").is_file()
    for record in report["files"]:
        expected = 0 if record["status"] == "accepted" else 1
        assert main(["score", str(out / record["outputs"][0])]) == expected, record["path"]
    saved = json.loads((out / "team-b" / "fraud-velocity.spec.json").read_text())
    assert saved["engine"] == "openai-batch" and saved["model"] == MODEL and saved["rounds"] == 0


def test_a_failed_gate_goes_out_as_a_repair_job(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    responder = Faulty({IN_EXAMPLE: without("validation")})
    with OpenAIServer(responder=responder, batch_delay_s=DELAY) as server:
        assert submit(reports, out, server) == 0
        collect_until_done(out, capsys)
        repair_lines = step_lines(server, "repair")
    assert len(repair_lines) == 1  # only the report whose draft failed the gate
    user = repair_lines[0]["body"]["messages"][-1]["content"]
    assert "The current draft (JSON):" in user and "[validation]" in user
    saved = json.loads((out / "team-b" / "fraud-velocity.spec.json").read_text())
    assert saved["accepted"] and saved["rounds"] == 1 and saved["usage"]["calls"] == 3
    assert journal(out)["fraud-velocity.md"]["status"] == "accepted"


def test_unusable_answers_are_failed_rounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An error line and malformed output each count as a failed round, as OutputInvalid does in
    the live loop: the next round repairs from an empty spec, told why the answer was unusable."""
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    responder = Faulty(
        {
            IN_EXAMPLE: lambda body, model: Reply.server_error(),
            IN_NOTEBOOK: lambda body, model: Reply(content='{"title": "Churn", "recommendation": [unterminated'),
        }
    )
    with OpenAIServer(responder=responder, batch_delay_s=DELAY) as server:
        assert submit(reports, out, server, "--max-repairs", "1") == 0
        collect_until_done(out, capsys)
        repair_lines = step_lines(server, "repair")
    asked = {line["custom_id"]: line["body"]["messages"][-1]["content"] for line in repair_lines}
    unusable = [text for text in asked.values() if "your previous answer was unusable" in text]
    assert len(unusable) == 2  # the example's and the notebook's, repaired from an empty spec
    example = next(text for text in unusable if IN_EXAMPLE in text)
    notebook_repair = next(text for text in unusable if IN_NOTEBOOK in text)
    assert "the request failed with status 500" in example
    assert "does not fit the schema" in notebook_repair or "could not be parsed" in notebook_repair
    saved = json.loads((out / "team-b" / "fraud-velocity.spec.json").read_text())
    assert saved["accepted"] and saved["rounds"] == 1 and saved["failure"] is None
    notebook = json.loads((out / "team-a" / "02-churn-retrain-eval.rejected.json").read_text())
    assert notebook["rounds"] == 1 and notebook["spec"] is not None  # a usable draft came back from the repair


def test_a_refusal_fails_the_report_with_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A refusal is a model-service failure, as in a live draft (exit 4): never repaired, even
    with repairs left, and no draft is written."""
    (tmp_path / "in").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "in" / "fraud-velocity.md")
    responder = Faulty({IN_EXAMPLE: lambda body, model: Reply(refusal="I can't help with that request.")})
    with OpenAIServer(responder=responder, batch_delay_s=DELAY) as server:
        assert submit(tmp_path / "in", tmp_path / "out", server, "--max-repairs", "2") == 0
        code, _ = collect_until_done(tmp_path / "out", capsys)
        phases = [job["metadata"]["phase"] for job in jobs(server)]
    assert code == 1
    assert phases == ["extract", "draft"]  # no repair job for a refusal
    entry = journal(tmp_path / "out")["fraud-velocity.md"]
    assert entry["status"] == "failed" and "the model refused" in entry["reason"]
    assert "no spec was drafted" in entry["reason"]
    assert not list((tmp_path / "out").glob("fraud-velocity.*"))


def test_rerun_skips_journalled_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    with OpenAIServer(responder=ChainModel(), batch_delay_s=DELAY) as server:
        assert submit(reports, out, server) == 0
        collect_until_done(out, capsys)
        uploads_before = len(server.requests.for_path("/v1/files", "POST"))

        assert submit(reports, out, server) == 1  # nothing to send: the corpus report is written again
        assert "4 already done" in capsys.readouterr().out
        assert len(server.requests.for_path("/v1/files", "POST")) == uploads_before
        assert not (out / STATE_NAME).exists()

        changed = reports / "team-b" / "fraud-velocity.md"
        changed.write_text(changed.read_text() + "\nThe March holdout was re-checked.\n")
        assert submit(reports, out, server) == 0
        extract = lines_of(server, jobs(server)[-1])
        collect_until_done(out, capsys)
    assert len(extract) == 1 and "re-checked" in extract[0]["body"]["messages"][-1]["content"]
    assert summary(out)["corpus"]["total"] == 4


@pytest.mark.parametrize("ending", ["expired", "failed", "cancelled"])
def test_an_ended_job_fails_its_pending_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ending: str
) -> None:
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    with OpenAIServer(responder=ChainModel(), batch_delay_s=30) as server:
        assert submit(reports, out, server) == 0
        batch_id = json.loads((out / STATE_NAME).read_text())["batch_id"]
        if ending == "cancelled":
            openai.OpenAI(base_url=server.base_url, api_key=KEY).batches.cancel(batch_id)
        else:  # what the real service does after 24 h, or on a job it cannot run
            record = server._batches[batch_id]
            with record["lock"]:
                record["obj"]["status"] = ending
                if ending == "failed":
                    record["obj"]["errors"] = {
                        "object": "list",
                        "data": [
                            {
                                "code": "token_limit_exceeded",
                                "message": "Enqueued token limit reached for gpt-4o-mini.",
                                "param": None,
                                "line": None,
                            }
                        ],
                    }
        capsys.readouterr()
        assert main(["batch", "collect", str(out)]) == 1
        captured = capsys.readouterr()

        assert not (out / STATE_NAME).exists()
        records = summary(out)["files"]
        assert len(records) == 4 and {r["status"] for r in records} == {"failed"}
        reason = records[0]["reason"]
        assert (
            batch_id in reason
            and {"expired": "24h", "failed": "token limit", "cancelled": "cancelled"}[ending] in reason
        )
        assert reason in captured.err and "Traceback" not in captured.err
        assert {e["status"] for e in journal(out).values()} == {"failed"}

        server.batch_delay_s = DELAY
        assert submit(reports, out, server) == 0  # failed reports are never skipped
        assert len(lines_of(server, jobs(server)[-1])) == 4


# --- the command line -------------------------------------------------------------------------


def test_status_and_collect_without_a_run_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "specs").mkdir()
    for argv, message in [
        (["batch", "status", str(tmp_path / "specs")], "no batch in progress"),
        (["batch", "collect", str(tmp_path / "specs")], "no batch in progress"),
        (["batch", "status", str(tmp_path / "missing")], "no such folder"),
        (["batch", "collect"], "needs the output folder"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    (tmp_path / "specs" / STATE_NAME).write_text('{"phase": "draft", "reports": [')
    assert main(["batch", "status", str(tmp_path / "specs")]) == 2
    err = capsys.readouterr().err
    assert "not a valid batch state file" in err and len(err.strip().splitlines()) == 1


def test_openai_batch_needs_the_openai_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    reports = corpus(tmp_path / "reports")
    assert main(["batch", str(reports), "--out", str(tmp_path / "specs"), "--mode", "openai-batch"]) == 2
    err = capsys.readouterr().err
    assert "needs the openai engine" in err and len(err.strip().splitlines()) == 1
    assert main(["batch", str(reports), "--out", str(tmp_path / "specs"), "--mode", "fast"]) == 2
    assert "--mode must be sync or openai-batch" in capsys.readouterr().err


def test_a_second_submit_while_a_job_runs_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    with OpenAIServer(responder=ChainModel(), batch_delay_s=30) as server:
        assert submit(reports, out, server) == 0
        assert submit(reports, out, server) == 2
        assert len(jobs(server)) == 1
    assert "already has a batch in progress" in capsys.readouterr().err


def test_a_job_saved_but_not_submitted_is_submitted_by_collect(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crash (or a network failure) between saving the state and creating the job loses nothing."""
    reports, out = corpus(tmp_path / "reports"), tmp_path / "specs"
    with OpenAIServer(responder=ChainModel(), batch_delay_s=DELAY) as server:
        assert submit(reports, out, server) == 0
        state = json.loads((out / STATE_NAME).read_text())
        state.update(batch_id=None, input_file_id=None)
        (out / STATE_NAME).write_text(json.dumps(state))
        assert main(["batch", "status", str(out)]) == 0
        assert "not submitted" in capsys.readouterr().out
        _, printed = collect_until_done(out, capsys)
        assert "submitted phase extract" in printed[0]
        assert [job["metadata"]["phase"] for job in jobs(server)] == ["extract", "extract", "classify+draft", "draft"]
    assert summary(out)["corpus"]["accepted"] == 1


def test_a_file_named_status_is_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    (tmp_path / "status").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "status" / "fraud-velocity.md")
    monkeypatch.chdir(tmp_path)
    assert main(["batch", "status", "--out", "specs", "-q"]) == 0  # the folder "status", drafted offline
    assert (tmp_path / "specs" / "fraud-velocity.spec.md").is_file()
