"""`translator batch`: durable, rate-limited, resumable re-translation of a corpus."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.evaluation import is_written_blind
from tests.support.openai_server import OpenAIServer
from tests.support.responders import ChainModel
from translator.batch import BatchOptions, RateLimiter, run_batch
from translator.batch.limiter import WINDOW
from translator.batch.naming import OutputNamer
from translator.cli import main
from translator.drafting import DraftOptions
from translator.rubric import score_file

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "eval_sets" / "notes"
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"


@pytest.fixture(autouse=True)
def _no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def corpus(folder: Path, copies: int = 1) -> list[Path]:
    """The labelled notes plus the complete example, in nested folders, as a corpus: the 31
    original and b-prefixed notes these tests were sized for (about 100 model calls a pass; the
    later d- and e-prefixed dev notes would double the calls and the run time)."""
    files = []
    notes = [p for p in sorted(NOTES.iterdir()) if not is_written_blind(p.name) or p.name.startswith("b")]
    for n in range(copies):
        for source in [
            *(p for p in notes if p.suffix == ".md"),
            *(p for p in notes if p.suffix == ".txt"),
            *(p for p in notes if p.suffix == ".ipynb"),
            EXAMPLE,
        ]:
            target = folder / f"team{n % 2}" / f"{n}-{source.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text(encoding="utf-8")
            target.write_text(
                text if n == 0 or source.suffix == ".ipynb" else text + f"\n\nCopy {n}.\n", encoding="utf-8"
            )
            files.append(target)
    return files


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_offline_batch_mirrors_folders_and_reports_the_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = corpus(tmp_path / "reports")
    code = main(["batch", str(tmp_path / "reports"), "--out", str(tmp_path / "specs"), "-q"])
    assert code == 1  # most notes leave gaps: rejected with questions
    report = summary(tmp_path / "specs")
    assert report["corpus"]["total"] == len(files)
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses["0-fraud-velocity.md"] == "accepted"
    assert set(statuses.values()) <= {"accepted", "rejected"}
    assert (tmp_path / "specs" / "team0" / "0-fraud-velocity.spec.md").is_file()
    assert (tmp_path / "specs" / "team0" / "0-01-fraud-velocity-jottings.rejected.md").is_file()
    assert report["corpus"]["lacking"]["latency_cost"] >= 10
    index = (tmp_path / "specs" / "index.md").read_text()
    assert "What the reports lack" in index and "0-fraud-velocity.spec.md" in index


def test_score_agrees_with_what_the_batch_reported(tmp_path: Path) -> None:
    corpus(tmp_path / "reports")
    asyncio.run(
        run_batch(
            [str(tmp_path / "reports")], BatchOptions(out_dir=tmp_path / "specs", draft=DraftOptions(engine="offline"))
        )
    )
    for record in summary(tmp_path / "specs")["files"]:
        rescored = score_file(tmp_path / "specs" / record["outputs"][0])
        assert rescored.score == record["score"], record["path"]
        assert rescored.passed == (record["status"] == "accepted"), record["path"]


def test_rerun_skips_finished_reports_and_redoes_changed_ones(tmp_path: Path) -> None:
    files = corpus(tmp_path / "reports")
    options = BatchOptions(out_dir=tmp_path / "specs", draft=DraftOptions(engine="offline"))
    asyncio.run(run_batch([str(tmp_path / "reports")], options))
    files[0].write_text(files[0].read_text() + "\nValidation: shadow for 48 hours; promote if precision >= 0.65.\n")
    (tmp_path / "specs" / "team0" / "0-fraud-velocity.spec.md").unlink()  # a lost output is redone
    again = asyncio.run(run_batch([str(tmp_path / "reports")], options))
    assert again.progress.skipped == len(files) - 2
    assert again.progress.done == len(files)


def test_one_bad_file_never_stops_the_batch(tmp_path: Path) -> None:
    corpus(tmp_path / "reports")
    (tmp_path / "reports" / "broken.ipynb").write_text("{ not a notebook")
    (tmp_path / "reports" / "binary.md").write_bytes(b"\x00\x01\x02")
    result = asyncio.run(
        run_batch(
            [str(tmp_path / "reports")], BatchOptions(out_dir=tmp_path / "specs", draft=DraftOptions(engine="offline"))
        )
    )
    failed = {
        Path(f["path"]).name: f["reason"] for f in summary(tmp_path / "specs")["files"] if f["status"] == "failed"
    }
    assert set(failed) == {"broken.ipynb", "binary.md"} and all(failed.values())
    assert result.progress.accepted >= 1


def test_faults_injected_every_file_ends_with_a_status(tmp_path: Path) -> None:
    """Faults at a 20% rate, four attempts a call: the retries cure them, so the outcomes are the
    fault-free run's. A call fails all four attempts 0.16% of the time, so at most a couple of
    the corpus's ~100 calls may end a file as failed, and then only after its attempts.

    No timeouts among the faults: the test server is on loopback, where a timed-out request is
    deliberately not sent again (it is most likely still being generated; see
    ModelSettings.resends_after_timeout and tests/test_model_servers.py)."""
    files = corpus(tmp_path / "reports")

    def options(server: OpenAIServer) -> DraftOptions:
        return DraftOptions(
            engine="openai",
            base_url=server.base_url,
            api_key="test-key",
            model="gpt-4o-mini",
            cache=False,
            timeout=0.5,
            attempts=4,
        )

    with OpenAIServer(responder=ChainModel()) as server:
        asyncio.run(
            run_batch(
                [str(tmp_path / "reports")],
                BatchOptions(out_dir=tmp_path / "clean", draft=options(server), concurrency=6),
            )
        )
    clean = {r["path"]: (r["status"], r["score"]) for r in summary(tmp_path / "clean")["files"]}
    assert len(clean) == len(files) and all(status != "failed" for status, _ in clean.values())

    with OpenAIServer(responder=ChainModel(), fault_rate=0.2, faults=("429", "500", "malformed"), seed=7) as server:
        result = asyncio.run(
            run_batch(
                [str(tmp_path / "reports")],
                BatchOptions(out_dir=tmp_path / "specs", draft=options(server), concurrency=6),
            )
        )
        faults = [r["fault"] for r in server.requests if r.get("fault")]
    records = summary(tmp_path / "specs")["files"]
    assert len(records) == len(files)  # none lost
    assert {"429", "500", "malformed"} <= set(faults)
    failed = [record for record in records if record["status"] == "failed"]
    assert len(failed) <= 2, [record["reason"] for record in failed]
    # Failed only after every attempt: "... after 4 attempts", or, when each attempt got a
    # malformed body, "... answered with a malformed body 4 times".
    after_all = [r for r in failed if "attempts" in r["reason"] or "4 times" in r["reason"]]
    assert after_all == failed, [record["reason"] for record in failed]
    for record in records:
        if record["status"] != "failed":
            assert (record["status"], record["score"]) == clean[record["path"]], record["path"]
            for output in record["outputs"]:
                path = tmp_path / "specs" / output
                json.loads(path.read_text()) if path.suffix == ".json" else path.read_text()
    lost = {record["path"] for record in failed}
    assert result.progress.accepted == sum(s == "accepted" for p, (s, _) in clean.items() if p not in lost)
    assert result.progress.accepted + result.progress.rejected + result.progress.failed == len(files)


def test_a_429_slows_the_whole_batch() -> None:
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(rpm=1000, clock=lambda: clock[0], sleep=sleep)

    async def scenario() -> None:
        await limiter.acquire(10)
        limiter.penalize(5.0)  # one worker heard a 429 with Retry-After: 5
        await limiter.acquire(10)  # another worker waits too

    asyncio.run(scenario())
    assert clock[0] == pytest.approx(5.0)


@pytest.mark.parametrize(("rpm", "tpm", "tokens"), [(30, None, 100), (None, 5_000, 700), (20, 3_000, 400)])
def test_limiter_never_exceeds_a_limit_in_any_window(rpm: int | None, tpm: int | None, tokens: int) -> None:
    clock = [0.0]
    stamps: list[tuple[float, int]] = []

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    limiter = RateLimiter(rpm=rpm, tpm=tpm, clock=lambda: clock[0], sleep=sleep)

    async def scenario() -> None:
        for n in range(200):
            await limiter.acquire(tokens)
            stamps.append((clock[0], tokens))
            clock[0] += 0.05 * (n % 3)

    asyncio.run(scenario())
    for start, _ in stamps:
        window = [t for s, t in stamps if start <= s < start + WINDOW]
        assert rpm is None or len(window) <= rpm
        assert tpm is None or sum(window) <= tpm
    assert clock[0] > WINDOW  # it did have to wait


def test_mirror_root_of_folders_files_and_globs(tmp_path: Path) -> None:
    from translator.batch.naming import mirror_root

    (tmp_path / "reports" / "2023").mkdir(parents=True)
    assert mirror_root([str(tmp_path / "reports")]) == tmp_path / "reports"
    assert mirror_root([str(tmp_path / "reports" / "**" / "*.md")]) == tmp_path / "reports"
    assert (
        mirror_root([str(tmp_path / "reports" / "2023" / "a.md"), str(tmp_path / "reports" / "b.md")])
        == tmp_path / "reports"
    )


def test_output_names_never_escape_and_never_collide(tmp_path: Path) -> None:
    root = tmp_path / "in"
    namer = OutputNamer(root)
    assert str(namer.base(str(root / "a" / "q1 eval.ipynb"))) == "a/q1 eval"
    assert str(namer.base(str(root / "a" / "q1 eval.md"))) == "a/q1 eval.md"  # same stem: keeps its extension
    outside = namer.base(str(tmp_path / "elsewhere" / "..weird:name?.md"))
    assert ".." not in outside.parts and not outside.is_absolute()
    assert str(namer.base(str(root / "rm -rf $HOME;.md"))) == "rm -rf _HOME_"


def _start_server(tmp_path: Path, latency_ms: int) -> tuple[subprocess.Popen[str], str, Path]:
    log = tmp_path / "requests.jsonl"
    server = subprocess.Popen(
        [
            sys.executable,
            "tests/support/openai_server.py",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--log",
            str(log),
            "--responder",
            "tests.support.responders:chain_model",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    line = server.stdout.readline().strip()
    assert line.startswith("listening on "), line
    return server, line.removeprefix("listening on "), log


def _requests_by_notes(log: Path, names: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(names, 0)
    for line in log.read_text().splitlines():
        body = json.dumps(json.loads(line).get("body") or {})
        for name in names:
            if f"Copy for {name}." in body:
                counts[name] += 1
    return counts


@pytest.mark.e2e
def test_sigkill_then_rerun_repeats_no_finished_files_calls(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    names = []
    for n in range(12):
        name = f"r{n:02d}"
        (reports / name).parent.mkdir(parents=True, exist_ok=True)
        (reports / f"{name}.md").write_text(EXAMPLE.read_text() + f"\n\nCopy for {name}.\n")
        names.append(name)
    server, base_url, log = _start_server(tmp_path, latency_ms=150)
    # PYTHONPATH: the batch runs from tmp_path, and must import the translator under test (the
    # one the fake server's responders use), not whichever checkout is installed.
    env = {
        **os.environ,
        "OPENAI_API_KEY": "test-key",
        "TRANSLATOR_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    command = [
        sys.executable,
        "-m",
        "translator",
        "batch",
        str(reports),
        "--out",
        str(tmp_path / "specs"),
        "--base-url",
        base_url,
        "--model",
        "gpt-4o-mini",
        "--concurrency",
        "2",
        "--no-cache",
        "-q",
    ]
    try:
        run = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        journal = tmp_path / "specs" / "journal.jsonl"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not journal.exists() or len(journal.read_text().splitlines()) < 4):
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        finished = [json.loads(line)["path"] for line in journal.read_text().splitlines() if line.strip()]
        assert 4 <= len(finished) < 12
        for output in (tmp_path / "specs").rglob("*.md"):
            assert output.read_text().endswith("\n")  # written whole or not at all
        calls_before = _requests_by_notes(log, names)

        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        calls_after = _requests_by_notes(log, names)
        for path in finished:
            name = Path(path).stem
            assert calls_after[name] == calls_before[name], f"{name} was finished yet called again"
        assert all(calls_after[name] >= 2 for name in names)
        records = summary(tmp_path / "specs")["files"]
        assert len(records) == 12 and all(r["status"] == "accepted" for r in records)
        for record in records:
            json.loads((tmp_path / "specs" / record["outputs"][1]).read_text())
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_html_and_word_reports_are_translated(tmp_path: Path) -> None:
    import docx

    reports = tmp_path / "reports"
    reports.mkdir()
    text = EXAMPLE.read_text().split("---\n", 2)[2]
    paragraphs = [p for p in text.split("\n\n") if p.strip() and not p.startswith("#")]
    html = (
        "<html><body><h1>Fraud model v14</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<script>x()</script></body></html>"
    )
    (reports / "report.html").write_text(html)
    document = docx.Document()
    document.add_heading("Fraud model v14", level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(reports / "memo.docx"))
    asyncio.run(
        run_batch(
            [str(reports)],
            BatchOptions(out_dir=tmp_path / "specs", kind="model-change", draft=DraftOptions(engine="offline")),
        )
    )
    records = {Path(r["path"]).name: r for r in summary(tmp_path / "specs")["files"]}
    assert set(records) == {"report.html", "memo.docx"}
    for record in records.values():
        assert record["status"] in {"accepted", "rejected"} and record["score"] is not None
        assert "transaction_velocity_last_1h" in (tmp_path / "specs" / record["outputs"][0]).read_text()


def test_a_batch_always_shares_a_limiter() -> None:
    from translator.batch.runner import _session

    session = _session(
        DraftOptions(engine="openai", base_url="http://127.0.0.1:9/v1", api_key="k", cache=False),
        BatchOptions(out_dir=Path(".")),
    )
    assert isinstance(session.throttle, RateLimiter)  # type: ignore[attr-defined]
    asyncio.run(session.aclose())  # type: ignore[attr-defined]


def test_usage_per_report_counts_only_its_own_calls(tmp_path: Path) -> None:
    """Workers share one session; each report's usage must still be its own calls only."""
    corpus(tmp_path / "reports")
    with OpenAIServer(responder=ChainModel()) as server:
        draft = DraftOptions(
            engine="openai", base_url=server.base_url, api_key="test-key", model="gpt-4o-mini", cache=False
        )
        result = asyncio.run(
            run_batch([str(tmp_path / "reports")], BatchOptions(out_dir=tmp_path / "specs", draft=draft, concurrency=8))
        )
        served = len(server.requests)
    corpus_usage = summary(tmp_path / "specs")["corpus"]["usage"]
    assert corpus_usage["calls"] == served == result.progress.usage.calls
