"""The gate off the event loop: a batch gates in a worker process, and gets the same verdicts."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import pytest

from tests.support.openai_server import OpenAIServer
from tests.support.responders import ChainModel
from translator.batch import BatchOptions, run_batch
from translator.drafting import DraftOptions, gate_pool
from translator.drafting.gate import run_gate
from translator.drafting.gate_pool import gates_off_loop, off_loop
from translator.drafting.offline import file_notes
from translator.drafting.questions import gate_with_questions
from translator.rubric import Verdict

ROOT = Path(__file__).resolve().parents[1]
NOTES = sorted((ROOT / "eval_sets" / "notes").glob("*.md"))

needs_two_cores = pytest.mark.skipif(not gate_pool.spare_core(), reason="the pool is used only with a second core")


def a_spec(index: int = 0):  # type: ignore[no-untyped-def]
    text = NOTES[index].read_text(encoding="utf-8")
    spec, _ = file_notes(text, "feature-spec")
    return spec, text


def test_without_a_pool_it_runs_here() -> None:
    assert asyncio.run(off_loop(os.getpid)) == os.getpid()


@needs_two_cores
def test_the_worker_starts_on_first_use_runs_elsewhere_and_stops_with_the_block() -> None:
    async def go() -> None:
        async with gates_off_loop() as pool:
            assert pool is not None and not pool.started
            worker = await off_loop(os.getpid)
            assert worker != os.getpid() and pool.started and pool.calls == 1
            os.kill(worker, 0)  # it runs
        with pytest.raises(ProcessLookupError):
            os.kill(worker, 0)  # and is gone with the block

    asyncio.run(go())


@needs_two_cores
def test_a_gate_in_the_worker_says_what_it_says_here() -> None:
    async def go() -> None:
        async with gates_off_loop():
            for index in range(3):
                spec, text = a_spec(index)
                verdict = Verdict(fail_on=Verdict().fail_on)
                here = run_gate(spec, text, verdict=verdict, front_matter={"title": "T"})
                there = await off_loop(run_gate, spec, text, verdict=verdict, front_matter={"title": "T"})
                assert there.markdown == here.markdown
                assert there.report.model_dump() == here.report.model_dump()
                assert there.grounding.model_dump() == here.grounding.model_dump()
                asked_here, gated_here = gate_with_questions(spec, text, expected=here.report.concerns)
                asked_there, gated_there = await off_loop(
                    gate_with_questions, spec, text, expected=here.report.concerns
                )
                assert asked_there == asked_here and gated_there.report.model_dump() == gated_here.report.model_dump()

    asyncio.run(go())


@needs_two_cores
def test_a_worker_that_dies_leaves_the_gate_inline_and_right() -> None:
    async def go() -> None:
        spec, text = a_spec()
        async with gates_off_loop() as pool:
            assert pool is not None
            worker = await off_loop(os.getpid)
            os.kill(worker, signal.SIGKILL)
            result = await off_loop(run_gate, spec, text)
            assert pool.broken
            assert result.report.model_dump() == run_gate(spec, text).report.model_dump()
            assert await off_loop(os.getpid) == os.getpid()

    asyncio.run(go())


def gate_workers() -> int:
    """Gate worker processes this process has started (from /proc)."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        count += ppid == os.getpid() and b"translator.drafting.gate_worker" in cmdline
    return count


def _batch(reports: Path, out: Path, base_url: str) -> tuple[dict, list[int]]:
    """summary.json's files by name, and how many worker processes ran at each report's end."""
    draft = DraftOptions(engine="openai", base_url=base_url, api_key="test-key", model="gpt-4o-mini", cache=False)
    children: list[int] = []
    asyncio.run(
        run_batch(
            [str(reports)],
            BatchOptions(out_dir=out, draft=draft, concurrency=6),
            on_progress=lambda _: children.append(gate_workers()),
        )
    )
    files = json.loads((out / "summary.json").read_text())["files"]
    return {Path(f["path"]).name: (f["status"], f.get("score")) for f in files}, children


@needs_two_cores
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts processes in /proc")
def test_an_openai_batch_gates_in_a_worker_and_reports_what_inline_gating_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    for note in NOTES[:8]:
        (reports / note.name).write_text(note.read_text(encoding="utf-8"), encoding="utf-8")
    with OpenAIServer(responder=ChainModel()) as server:
        pooled, children = _batch(reports, tmp_path / "pooled", server.base_url)
        assert children and all(count == 1 for count in children)  # one worker, for the whole batch
        assert gate_workers() == 0  # and gone when the batch ends
        monkeypatch.setattr(gate_pool, "spare_core", lambda: False)
        inline, children = _batch(reports, tmp_path / "inline", server.base_url)
        assert not any(children)
    assert pooled == inline
    assert {status for status, _ in pooled.values()} <= {"accepted", "rejected"}
