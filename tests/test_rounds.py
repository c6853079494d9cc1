"""One round machine, two drivers: the same scripted answers give the same outcomes live and
through the Batch API.

The test server answers both modes with ChainModel, except where a script injects a fault at a
report's first extract, draft or repair request. The live batch (`translator batch`, which
drafts each report with the live chain) and the Batch API mode (`--mode openai-batch`) then
must agree on every report: status, reason, rounds, score, questions, the Markdown and the
saved JSON (all but the engine's name and the Batch API's half price).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.openai_server import OpenAIServer, Reply
from tests.support.responders import ChainModel, notes_in, requested_schema, without
from translator.batch import BatchOptions, run_batch
from translator.batch.openai_batch import STATE_NAME
from translator.cli import main
from translator.drafting import DraftOptions
from translator.drafting.findings import Findings
from translator.drafting.prompts import prompt_text
from translator.drafting.result import Draft
from translator.drafting.rounds import Ask, RoundRules, Rounds, RoundState, choose_kind
from translator.errors import ModelServiceError, OutputInvalid, Refused
from translator.kinds import SPEC_KINDS
from translator.rubric import Verdict
from translator.sources import read_notes, read_notes_text

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "eval_sets" / "notes"
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"
KEY = "test-key"
MODEL = "gpt-4o-mini"
_SPEC_SCHEMAS = {model.__name__ for model in SPEC_KINDS.values()}

Fault = Callable[[dict[str, Any], ChainModel], Reply]


MALFORMED: Fault = lambda body, model: Reply(content='{"title": "Spec", "recommendation": [unterminated')  # noqa: E731
REFUSAL: Fault = lambda body, model: Reply(refusal="I can't help with that request.")  # noqa: E731

# report -> (step, fault): each fault is injected once, at the report's first request of that step.
SCRIPT: dict[str, tuple[str, Fault]] = {
    "fraud-velocity.md": ("draft", without("validation")),  # repaired, then accepted
    "07-user-segment-service.md": ("draft", MALFORMED),  # a failed round, repaired from the empty spec
    "03-churn-engagement-decay.md": ("draft", REFUSAL),  # a model-service failure: the report fails
    "05-recsys-transformer-vs-gbdt.md": ("extract", MALFORMED),  # an unusable extract answer: asked again
    "13-ads-bid-shading-change.md": ("repair", MALFORMED),  # unusable repair: the last usable draft stays
    "01-fraud-velocity-jottings.md": ("none", MALFORMED),  # gaps only the researcher can close: rejected
}


def _step_of(body: dict[str, Any]) -> str:
    schema = requested_schema(body)
    if schema == "Findings":
        return "extract"
    if schema in _SPEC_SCHEMAS:
        return "repair" if "The current draft (JSON):" in str(body["messages"][-1]["content"]) else "draft"
    return "classify"


class Scripted(ChainModel):
    """ChainModel with SCRIPT's faults, keyed by a line only that report's notes hold."""

    def __init__(self, markers: dict[str, str]) -> None:
        super().__init__()
        self.markers = markers  # report -> a line of its notes no other report has
        self.seen: set[str] = set()

    def __call__(self, body: dict[str, Any]) -> Reply:
        notes, step = notes_in(body), _step_of(body)
        for name, (faulty_step, fault) in SCRIPT.items():
            if step == faulty_step and name not in self.seen and self.markers[name] in notes:
                self.seen.add(name)
                return fault(body, self)
        return super().__call__(body)


def _corpus(folder: Path) -> dict[str, str]:
    """The scripted reports in ``folder``, and a marker line for each."""
    folder.mkdir(parents=True)
    for name in SCRIPT:
        shutil.copy(EXAMPLE if name == "fraud-velocity.md" else NOTES / name, folder / name)
    texts = {name: read_notes(folder / name).text for name in SCRIPT}
    markers = {}
    for name, text in texts.items():
        lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 30]
        markers[name] = next(line for line in lines if not any(line in t for n, t in texts.items() if n != name))
    return markers


def _outcomes(out: Path) -> dict[str, dict[str, Any]]:
    """Per report: the journal entry and the files written, with what may differ between modes
    (the engine's name, time, and the price) left out."""
    entries = {Path(e["path"]).name: e for e in map(json.loads, (out / "journal.jsonl").read_text().splitlines())}
    outcomes = {}
    for name, entry in entries.items():
        entry = {k: v for k, v in entry.items() if k not in ("engine", "seconds", "path")}
        entry["usage"].pop("cost_usd")
        if entry["status"] == "failed":
            # The live runner's failed entries do not carry the hash, kind or usage (yet): the
            # judgement is what must agree.
            entry = {k: entry[k] for k in ("status", "reason", "outputs")}
        files = {}
        for output in entry["outputs"]:
            text = (out / output).read_text()
            if output.endswith(".json"):
                saved = json.loads(text)
                saved.pop("engine")
                saved["usage"].pop("cost_usd")
                files[output] = saved
            else:
                files[output] = text
        entry["files"] = files
        outcomes[name] = entry
    return outcomes


def test_both_modes_judge_the_same_answers_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    markers = _corpus(tmp_path / "reports")
    reports = str(tmp_path / "reports")

    with OpenAIServer(responder=Scripted(markers)) as server:
        options = DraftOptions(
            engine="openai", base_url=server.base_url, api_key=KEY, model=MODEL, cache=False, max_repairs=1
        )
        asyncio.run(run_batch([reports], BatchOptions(out_dir=tmp_path / "live", draft=options, concurrency=1)))
    live = _outcomes(tmp_path / "live")

    with OpenAIServer(responder=Scripted(markers), batch_delay_s=0) as server:
        base = ["--model", MODEL, "--base-url", server.base_url, "--max-repairs", "1"]
        assert main(["batch", reports, "--out", str(tmp_path / "api"), "--mode", "openai-batch", *base]) == 0
        for _ in range(10):
            if not (tmp_path / "api" / STATE_NAME).exists():
                break
            main(["batch", "collect", str(tmp_path / "api")])
            time.sleep(0.01)
        capsys.readouterr()
    api = _outcomes(tmp_path / "api")

    status = {name: entry["status"] for name, entry in live.items()}
    assert status == {  # each scripted case ends as the script says, so the comparison has teeth
        "fraud-velocity.md": "accepted",
        "07-user-segment-service.md": status["07-user-segment-service.md"],
        "03-churn-engagement-decay.md": "failed",
        "05-recsys-transformer-vs-gbdt.md": status["05-recsys-transformer-vs-gbdt.md"],
        "13-ads-bid-shading-change.md": status["13-ads-bid-shading-change.md"],
        "01-fraud-velocity-jottings.md": "rejected",
    }
    recovered = ("07-user-segment-service.md", "13-ads-bid-shading-change.md", "05-recsys-transformer-vs-gbdt.md")
    assert all(status[name] != "failed" for name in recovered)
    assert live["fraud-velocity.md"]["files"]["fraud-velocity.spec.json"]["rounds"] == 1
    assert "the model refused" in live["03-churn-engagement-decay.md"]["reason"]
    for name in SCRIPT:
        assert api[name] == live[name], name


# --- the machine alone ------------------------------------------------------------------------


def _machine(max_repairs: int = 1) -> Rounds:
    notes = read_notes_text(EXAMPLE.read_text())
    rules = RoundRules(verdict=Verdict(), max_repairs=max_repairs, engine="test", model=None, prompt_versions=None)
    return Rounds.start(notes, "model-change", rules)


def _findings() -> dict[str, list[str]]:
    keys = ("decisions", "claims", "metric_deltas", "identifiers", "constraints", "uncertainties")
    return {key: [] for key in keys}


def _answer(machine: Rounds, answers: list[Any]) -> Ask | Draft:
    return asyncio.run(machine.answer(answers))


def test_the_machine_saves_and_resumes_from_plain_json() -> None:
    machine = _machine()
    ask = machine.request()
    assert ask.step == "extract" and ask.schema is Findings
    following = _answer(machine, [Findings.model_validate(_findings())])
    assert isinstance(following, Ask) and following.step == "draft"
    saved = machine.state.model_dump_json()
    resumed = Rounds(machine.notes, machine.rules, RoundState.model_validate_json(saved))
    assert resumed.request() == following


def test_an_unusable_draft_is_a_failed_round_then_the_failed_draft() -> None:
    machine = _machine(max_repairs=1)
    _answer(machine, [Findings.model_validate(_findings())])
    repair = _answer(machine, [OutputInvalid("the output was cut off (finish_reason=length)")])
    assert isinstance(repair, Ask) and repair.step == "repair" and repair.round == 1
    told = prompt_text("unusable", reason="the output was cut off (finish_reason=length)")  # prompts/unusable.yaml
    assert repair.parts[0]["findings"] == f"- {told}"
    done = _answer(machine, [OutputInvalid("still cut off")])
    assert isinstance(done, Draft)
    assert done.accepted is False and done.spec is None and done.failure == "still cut off"
    assert "No spec drafted" in done.markdown and "after 2 round(s): still cut off" in done.markdown


def test_a_refusal_is_a_model_service_failure_at_any_step() -> None:
    machine = _machine()
    with pytest.raises(ModelServiceError, match=r"refused.*no spec was drafted"):
        _answer(machine, [Refused("the model refused: no")])
    _answer(machine, [Findings.model_validate(_findings())])
    with pytest.raises(ModelServiceError, match=r"refused.*no spec was drafted"):
        _answer(machine, [Refused("the model refused: no")])


def test_a_bad_extract_answer_is_a_failed_round_then_a_model_service_failure() -> None:
    machine = _machine(max_repairs=1)
    again = _answer(machine, [OutputInvalid("not JSON")])
    assert isinstance(again, Ask) and again.step == "extract" and again.round == 1
    with pytest.raises(ModelServiceError, match=r"no usable findings in 2 round\(s\): still not JSON"):
        _answer(machine, [OutputInvalid("still not JSON")])


def test_a_bad_classify_answer_falls_back_to_the_rubrics_detection() -> None:
    notes = read_notes_text(EXAMPLE.read_text())
    rules = RoundRules(verdict=Verdict(), max_repairs=1, engine="test", model=None, prompt_versions=None)
    machine = Rounds.start(notes.model_copy(update={"front_matter": {}}), None, rules)
    classify = _answer(machine, [Findings.model_validate(_findings())])
    assert isinstance(classify, Ask) and classify.step == "classify"
    drafting = _answer(machine, [OutputInvalid("not JSON")])
    assert isinstance(drafting, Ask) and drafting.step == "draft"
    assert machine.state.kind == choose_kind(None, machine.notes)


def test_the_machine_imports_no_llm_library() -> None:
    code = (
        "import sys, translator.drafting.rounds; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'langchain_core', 'langchain_openai')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
