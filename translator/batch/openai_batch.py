"""The OpenAI Batch API mode of `translator batch`: the drafting chain as phases of Batch jobs.

Each report steps the same round machine as the live chain (translator.drafting.rounds), so
the requests are the live chain's byte for byte and every answer is judged alike; only the
transport differs. Each job holds the next request of every report still pending, at half the
price and within the 24 h completion window:

* phase ``extract``: one request per notes chunk (asked again, up to max_repairs times, when
  an answer was unusable);
* phase ``classify``: one request per report whose kind is neither given nor in its front matter;
* phase ``draft`` (round 0): one request per report;
* phase ``repair`` (rounds 1..max_repairs): one request per report whose draft failed the gate
  with findings a repair can act on, or whose answer was unusable.

The kind is chosen as in a live draft: --kind, the notes' front matter, else the classify
step (a job can then hold classify requests for some reports and draft requests for others;
its phase names both, "classify+draft"). An error line counts as an unusable answer (a
failed round); an unusable classify answer falls back to the rubric's detection; a refusal,
or findings that no round could extract, fail the report as they fail a live draft. Finished reports are written and journalled exactly as the live runner does, with
engine ``openai-batch``.

Between commands the run lives in ``batch_state.json`` in the output folder, written
atomically. The state is saved with ``batch_id`` null before each job is submitted, so a crash
(or a network failure) between the two leaves a state that the next ``collect`` resubmits.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from translator.batch.journal import Entry, Journal, notes_fingerprint
from translator.batch.naming import output_bases
from translator.batch.report import check_corpus_targets, write_corpus_report
from translator.batch.runner import BatchOptions, BatchResult, Progress, batch_files, refuse_out_as_input
from translator.drafting.options import DEFAULT_MODEL
from translator.drafting.result import Draft
from translator.drafting.rounds import Answer, RoundRules, Rounds, RoundState, check_kind
from translator.drafting.usage import Usage, cost_of
from translator.errors import InputError, ModelServiceError, OutputInvalid, Refused, TranslatorError
from translator.fileio import write_atomic
from translator.inputs import Problem
from translator.outputs import OutputPaths, mark_output_folder, write_draft
from translator.rubric import Severity, Verdict
from translator.sources import read_notes
from translator.sources.model import Notes

ENGINE = "openai-batch"
STATE_NAME = "batch_state.json"
ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# The Batch API bills half the synchronous price: costs here are the price table's, halved.
BATCH_PRICE_FACTOR = 0.5
MAX_REQUESTS = 50_000  # the Batch API's limits per input file
MAX_FILE_BYTES = 200 * 1024 * 1024
RUNNING = ("validating", "in_progress", "finalizing", "cancelling")
ENDED = ("failed", "expired", "cancelled")

ReportStatus = Literal["pending", "accepted", "rejected", "failed"]


class ReportState(BaseModel):
    """One report's progress through the phases."""

    path: str
    sha256: str  # the journal fingerprint's content hash: notes and front matter
    base: str  # output path without suffixes, relative to the output folder
    status: ReportStatus = "pending"
    rounds: RoundState  # the round machine's state: what the pending job asks of this report
    requests: int = 0  # lines of the pending job that are this report's
    reason: str | None = None  # why the report failed
    usage: Usage = Field(default_factory=Usage)
    started: float = Field(default_factory=time.time)


class BatchState(BaseModel):
    """Everything `status` and `collect` need, in batch_state.json. Never holds the API key."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[2] = 2
    phase: str  # the step the current job asks (extract, draft, repair)
    round: int = 0
    batch_id: str | None = None  # null: the phase's job is not submitted yet
    input_file_id: str | None = None
    requests: int = 0  # requests in the current job
    jobs: list[dict[str, str]] = Field(default_factory=list)  # every job so far: phase and batch id
    model: str
    base_url: str | None = None
    prompt_versions: str
    max_repairs: int
    fail_under: float | None = None
    fail_on: str = "error"
    prices: dict[str, dict[str, float]] = Field(default_factory=dict)
    max_bytes: int
    inputs: list[str]  # every input file, for the corpus report
    problems: list[dict[str, str]] = Field(default_factory=list)  # inputs that could not be listed
    skipped: int = 0  # reports the journal already had as finished
    reports: list[ReportState]

    @property
    def verdict(self) -> Verdict:
        return Verdict(fail_under=self.fail_under, fail_on=Severity(self.fail_on))

    def pending(self) -> list[tuple[int, ReportState]]:
        return [(i, r) for i, r in enumerate(self.reports) if r.status == "pending"]

    @property
    def rules(self) -> RoundRules:
        return RoundRules(
            verdict=self.verdict,
            max_repairs=self.max_repairs,
            engine=ENGINE,
            model=self.model,
            prompt_versions=self.prompt_versions,
        )

    def start(self, notes: Notes, kind: str | None) -> RoundState:
        """A new report's round state, as a live draft starts it."""
        return Rounds.start(notes, kind, self.rules).state

    def rounds(self, notes: Notes, report: ReportState) -> Rounds:
        """The report's round machine, over its saved state (changed in place)."""
        return Rounds(notes, self.rules, report.rounds, usage=report.usage)


@dataclass
class Step:
    """What a submit, status or collect found and did."""

    action: Literal["submitted", "waiting", "done"]
    out_dir: Path
    phase: str | None = None
    round: int = 0
    batch_id: str | None = None
    batch_status: str | None = None
    requests: int = 0  # requests in the job submitted or looked at
    request_counts: dict[str, int] = field(default_factory=dict)  # total, completed, failed
    progress: Progress = field(default_factory=Progress)
    result: BatchResult | None = None  # the corpus report, once the run is over
    note: str | None = None  # why a job ended early (failed, expired, cancelled)


# --- the commands -----------------------------------------------------------------------------


def submit(arguments: Iterable[str], options: BatchOptions) -> Step:
    """List and read the inputs, skip journalled ones, and submit the extract job."""
    opts = options.draft.resolved()
    engine, _ = opts.engine_to_use()
    if engine != "openai":
        raise InputError(
            "--mode openai-batch sends the drafting requests to the OpenAI Batch API: set OPENAI_API_KEY or --base-url"
        )
    from translator.drafting.prompts import prompt_versions

    out_dir = options.out_dir
    state_path = out_dir / STATE_NAME
    if state_path.exists():
        raise InputError(
            f"{out_dir} already has a batch in progress ({STATE_NAME}); "
            f"run `translator batch status {out_dir}` / `translator batch collect {out_dir}`"
        )
    arguments = list(arguments)
    if options.kind is not None:
        check_kind(options.kind)  # before a job is paid for
    refuse_out_as_input(out_dir, arguments)
    files, problems, _ = batch_files(arguments, out_dir=options.out_dir)

    out_dir.mkdir(parents=True, exist_ok=True)
    check_corpus_targets(out_dir)
    mark_output_folder(out_dir)
    journal = Journal(out_dir)
    if not options.resume:
        journal.latest.clear()
    model = opts.model or DEFAULT_MODEL
    state = BatchState(
        phase="extract",
        model=model,
        base_url=opts.base_url,
        prompt_versions=prompt_versions(),
        max_repairs=opts.max_repairs,
        fail_under=opts.verdict.fail_under,
        fail_on=opts.verdict.fail_on.value,
        prices=opts.prices,
        max_bytes=options.max_bytes,
        inputs=files,
        problems=[{"path": p.path, "message": p.message} for p in problems],
        reports=[],
    )
    bases = output_bases(arguments, files)
    notes_cache: dict[int, Notes] = {}
    for path in files:
        started = time.time()
        try:
            notes = read_notes(path, max_bytes=options.max_bytes)
            sha = notes_fingerprint(notes)
            if journal.finished(path, (sha, ENGINE, model, state.prompt_versions), out_dir) is not None:
                state.skipped += 1
                continue
            rounds = state.start(notes, options.kind)  # checks --kind and the front matter now
        except (TranslatorError, OSError) as exc:
            journal.record(_entry_failed(state, path, "", str(exc), started))
            continue
        report = ReportState(path=path, sha256=sha, base=str(bases[path]), rounds=rounds, started=started)
        notes_cache[len(state.reports)] = notes
        state.reports.append(report)
    client = _client(state.base_url, opts.api_key)
    return _submit_or_finish(state, out_dir, journal, client, notes_cache)


def load_state(out_dir: Path) -> BatchState:
    """The run in progress in ``out_dir``; a one-line InputError when there is none or it is unreadable."""
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: no such folder")
    path = out_dir / STATE_NAME
    if not path.is_file():
        raise InputError(
            f"{out_dir}: no batch in progress (no {STATE_NAME}); start one with "
            f"`translator batch INPUT... --out {out_dir} --mode openai-batch`"
        )
    try:
        return BatchState.model_validate_json(path.read_bytes())
    except (ValidationError, ValueError, OSError) as exc:
        detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc.__class__.__name__
        raise InputError(f"{path}: not a valid batch state file ({detail}); remove it and submit again") from None


def status(out_dir: Path, *, base_url: str | None = None, api_key: str | None = None) -> Step:
    """The phase, the job's status and its request counts (nothing changes)."""
    state = load_state(out_dir)
    step = Step(
        action="waiting",
        out_dir=out_dir,
        phase=state.phase,
        round=state.round,
        batch_id=state.batch_id,
        requests=state.requests,
        progress=_progress(state),
    )
    if state.batch_id is None:
        step.batch_status = "not submitted"
        return step
    client = _client(_base_url(base_url, state), api_key)
    batch = _api(client, "read the batch", lambda: client.batches.retrieve(state.batch_id))
    step.batch_status = batch.status
    step.request_counts = _counts(batch)
    return step


def collect(out_dir: Path, *, base_url: str | None = None, api_key: str | None = None) -> Step:
    """Advance the run: when the job is done, gate what came back and submit the next phase."""
    state = load_state(out_dir)
    journal = Journal(out_dir)
    client = _client(_base_url(base_url, state), api_key)
    if state.batch_id is None:  # saved but never submitted (a crash or a network failure): submit it now
        return _submit_or_finish(state, out_dir, journal, client, {})
    batch = _api(client, "read the batch", lambda: client.batches.retrieve(state.batch_id))
    if batch.status in RUNNING:
        return Step(
            action="waiting",
            out_dir=out_dir,
            phase=state.phase,
            round=state.round,
            batch_id=state.batch_id,
            batch_status=batch.status,
            requests=state.requests,
            request_counts=_counts(batch),
            progress=_progress(state),
        )
    if batch.status != "completed":
        reason = _ended_reason(batch)
        for _, report in state.pending():
            _fail(state, report, journal, reason)
        step = _finish(state, out_dir, journal)
        step.batch_id, step.batch_status, step.note = state.batch_id, batch.status, reason
        return step
    rows: dict[str, dict[str, Any]] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if file_id:
            text: str = _api(client, "download the batch results", partial(_file_text, client, file_id))
            for line in text.splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a torn line: its request counts as unanswered
                if isinstance(row, dict) and isinstance(row.get("custom_id"), str):
                    rows[row["custom_id"]] = row
    finished_job = state.batch_id
    notes_cache = _advance(state, rows, out_dir, journal)
    state.batch_id = state.input_file_id = None
    state.requests = 0
    step = _submit_or_finish(state, out_dir, journal, client, notes_cache)
    step.request_counts = _counts(batch)
    step.note = f"collected {finished_job}"
    return step


# --- phases -----------------------------------------------------------------------------------


def _submit_or_finish(
    state: BatchState, out_dir: Path, journal: Journal, client: Any, notes_cache: dict[int, Notes]
) -> Step:
    """Submit the current phase's job over the pending reports, or end the run if none is left."""
    lines = _request_lines(state, journal, notes_cache)
    if not lines:
        return _finish(state, out_dir, journal)
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    if len(lines) > MAX_REQUESTS or len(payload) > MAX_FILE_BYTES:
        raise InputError(
            f"the {state.phase} job would hold {len(lines):,} requests ({len(payload) / 1e6:,.0f} MB), over the Batch API's "
            f"limits of {MAX_REQUESTS:,} requests and 200 MB per job; translate the corpus in parts"
        )
    _save(state, out_dir)  # batch_id null: a crash from here on is resubmitted by `collect`
    upload = _api(
        client,
        "upload the batch input",
        lambda: client.files.create(
            file=(f"translator-{state.phase}.jsonl", payload, "application/jsonl"), purpose="batch"
        ),
    )
    batch = _api(
        client,
        "create the batch",
        lambda: client.batches.create(
            input_file_id=upload.id,
            endpoint=ENDPOINT,
            completion_window=COMPLETION_WINDOW,
            metadata={"tool": "spec-translator", "phase": state.phase, "round": str(state.round)},
        ),
    )
    state.batch_id, state.input_file_id, state.requests = batch.id, upload.id, len(lines)
    state.jobs.append({"phase": state.phase, "round": str(state.round), "batch_id": batch.id})
    _save(state, out_dir)
    return Step(
        action="submitted",
        out_dir=out_dir,
        phase=state.phase,
        round=state.round,
        batch_id=batch.id,
        batch_status=batch.status,
        requests=len(lines),
        progress=_progress(state),
    )


def _request_lines(state: BatchState, journal: Journal, notes_cache: dict[int, Notes]) -> list[str]:
    """The next request of every pending report, as Batch input lines; sets the job's phase."""
    from translator.drafting.service import structured_request

    lines: list[str] = []
    steps: list[tuple[str, int]] = []
    for index, report in state.pending():
        notes = notes_cache.get(index) or _reread(state, report, journal)
        if notes is None:
            continue
        ask = state.rounds(notes, report).request()
        report.requests = len(ask.parts)
        steps.append((ask.step, ask.round))
        for part, variables in enumerate(ask.parts):
            body = structured_request(ask.step, variables, ask.schema, state.model)
            line = {"custom_id": _custom_id(index, report, part), "method": "POST", "url": ENDPOINT, "body": body}
            lines.append(json.dumps(line, ensure_ascii=False))
    if steps:  # the reports move in step (one kind of request per job); name the job after it
        state.phase = "+".join(sorted({step for step, _ in steps}))
        state.round = max(number for _, number in steps)
    return lines


def _advance(state: BatchState, rows: dict[str, dict[str, Any]], out_dir: Path, journal: Journal) -> dict[int, Notes]:
    """Take every pending report one step on: the round machine judges the finished job's answers."""
    return asyncio.run(_judge_all(state, rows, out_dir, journal))


async def _judge_all(
    state: BatchState, rows: dict[str, dict[str, Any]], out_dir: Path, journal: Journal
) -> dict[int, Notes]:
    from translator.drafting.service import parse_structured_response

    notes_cache: dict[int, Notes] = {}
    for index, report in state.pending():
        bodies = [_answer(rows.get(_custom_id(index, report, part)), state, report) for part in range(report.requests)]
        notes = _reread(state, report, journal)
        if notes is None:
            continue
        rounds = state.rounds(notes, report)
        schema = rounds.request().schema
        answers: list[Answer] = []
        for body, error in bodies:
            try:
                if error is not None:
                    raise OutputInvalid(error)
                answers.append(parse_structured_response(body, schema))
            except (OutputInvalid, Refused) as exc:
                answers.append(exc)
        try:
            outcome = await rounds.answer(answers)
        except TranslatorError as exc:  # a refusal or no usable findings, as in a live draft
            _fail(state, report, journal, str(exc))
            continue
        if isinstance(outcome, Draft):
            _write(state, report, outcome, out_dir, journal)
        else:
            notes_cache[index] = notes
    return notes_cache


def _answer(row: dict[str, Any] | None, state: BatchState, report: ReportState) -> tuple[Any, str | None]:
    """One output line: the chat.completion body, or why there is none. Its usage is added to the report."""
    if row is None:
        return None, "the batch returned no result for this request"
    response: dict[str, Any] = row["response"] if isinstance(row.get("response"), dict) else {}
    body = response.get("body")
    if isinstance(body, dict) and isinstance(body.get("usage"), dict):
        usage = body["usage"]
        input_tokens, output_tokens = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
        cost = cost_of(state.model, input_tokens, output_tokens, state.prices)
        report.usage.add(
            Usage(
                calls=1,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                cost_usd=None if cost is None else round(cost * BATCH_PRICE_FACTOR, 6),  # the Batch API's half price
            )
        )
    error = row.get("error")
    if isinstance(error, dict) and error:
        return (
            None,
            f"the request failed ({error.get('code') or 'error'}: {_one_line(str(error.get('message') or ''))})",
        )
    code = response.get("status_code")
    if code != 200:
        detail = (
            body.get("error", {}).get("message")
            if isinstance(body, dict) and isinstance(body.get("error"), dict)
            else None
        )
        return None, f"the request failed with status {code}" + (f": {_one_line(str(detail))}" if detail else "")
    return body, None


def _write(state: BatchState, report: ReportState, result: Draft, out_dir: Path, journal: Journal) -> None:
    """Write and journal a finished report, as the live runner does."""
    paths = OutputPaths.beside(out_dir / f"{report.base}.spec.md")
    written = write_draft(result, paths.markdown, owned_by_folder=out_dir)
    report.status = "accepted" if result.accepted else "rejected"
    report.rounds = RoundState(kind=report.rounds.kind)  # done: keep the state file small
    journal.record(
        Entry.of_draft(
            result,
            path=report.path,
            sha256=report.sha256,
            engine=ENGINE,
            model=state.model,
            prompt_versions=state.prompt_versions,
            written=written,
            out_dir=out_dir,
            usage=report.usage,
            seconds=time.time() - report.started,
        )
    )


def _fail(state: BatchState, report: ReportState, journal: Journal, reason: str) -> None:
    report.status, report.reason = "failed", _one_line(reason)
    report.rounds = RoundState(kind=report.rounds.kind)
    entry = _entry_failed(state, report.path, report.sha256, reason, report.started)
    entry.kind, entry.usage = report.rounds.kind, report.usage
    journal.record(entry)


def _entry_failed(state: BatchState, path: str, sha256: str, reason: str, started: float) -> Entry:
    return Entry.failed(
        path=path,
        sha256=sha256,
        engine=ENGINE,
        model=state.model,
        prompt_versions=state.prompt_versions,
        reason=reason,
        seconds=time.time() - started,
    )


def _finish(state: BatchState, out_dir: Path, journal: Journal) -> Step:
    """No report needs a call: write the corpus report and end the run."""
    problems = [Problem(p["path"], p["message"]) for p in state.problems]
    summary_path, index_path, summary = write_corpus_report(out_dir, journal, state.inputs, problems)
    (out_dir / STATE_NAME).unlink(missing_ok=True)
    corpus = summary["corpus"]
    assert isinstance(corpus, dict)
    progress = _progress(state)
    result = BatchResult(
        progress=progress, summary_path=summary_path, index_path=index_path, problems=problems, corpus=corpus
    )
    return Step(action="done", out_dir=out_dir, phase=state.phase, round=state.round, progress=progress, result=result)


# --- helpers ----------------------------------------------------------------------------------


def _custom_id(index: int, report: ReportState, part: int) -> str:
    """The id of one line: the report, the step and round its machine awaits, and the part."""
    return f"r{index}-{report.rounds.step}-{report.rounds.round}-{part}"


def _reread(state: BatchState, report: ReportState, journal: Journal) -> Notes | None:
    """The report's notes, read again; None (and the report failed) if they changed or vanished."""
    try:
        notes = read_notes(report.path, max_bytes=state.max_bytes)
    except (TranslatorError, OSError) as exc:
        _fail(state, report, journal, str(exc))
        return None
    if notes_fingerprint(notes) != report.sha256:
        _fail(state, report, journal, f"{report.path}: changed while its batch ran; run `translator batch` on it again")
        return None
    return notes


def _progress(state: BatchState) -> Progress:
    progress = Progress(total=len(state.inputs), skipped=state.skipped)
    for report in state.reports:
        progress.usage.add(report.usage)
        if report.status != "pending":
            setattr(progress, report.status, getattr(progress, report.status) + 1)
    progress.failed += len(state.inputs) - state.skipped - len(state.reports)  # unreadable at submit
    progress.done = progress.total - sum(1 for r in state.reports if r.status == "pending")
    return progress


def _save(state: BatchState, out_dir: Path) -> None:
    write_atomic(out_dir / STATE_NAME, state.model_dump_json(indent=1) + "\n")


def _base_url(explicit: str | None, state: BatchState) -> str | None:
    """The server the job was submitted to, unless --base-url says otherwise."""
    return explicit or state.base_url or os.environ.get("OPENAI_BASE_URL") or None


def _client(base_url: str | None, api_key: str | None) -> Any:
    import openai

    return openai.OpenAI(
        base_url=base_url, api_key=api_key or os.environ.get("OPENAI_API_KEY") or "unset", max_retries=2, timeout=120.0
    )


T = TypeVar("T")


def _api(client: Any, what: str, call: Callable[[], T]) -> T:
    """One Files/Batches call; its failure as a one-line ModelServiceError."""
    import openai

    where = str(client.base_url).rstrip("/") if client.base_url else "the OpenAI API"
    try:
        return call()
    except openai.AuthenticationError:
        raise ModelServiceError(
            f"{where} rejected the API key (401) when asked to {what}; check OPENAI_API_KEY"
        ) from None
    except openai.APIStatusError as exc:
        raise ModelServiceError(f"{where} could not {what} ({exc.status_code}): {_one_line(exc.message)}") from None
    except openai.APIConnectionError:
        raise ModelServiceError(f"cannot reach {where} to {what}; check --base-url and the network") from None


def _file_text(client: Any, file_id: str) -> str:
    return str(client.files.content(file_id).text)


def _counts(batch: Any) -> dict[str, int]:
    counts = getattr(batch, "request_counts", None)
    if counts is None:
        return {}
    return {"total": counts.total, "completed": counts.completed, "failed": counts.failed}


def _ended_reason(batch: Any) -> str:
    if batch.status == "expired":
        reason = f"the Batch API job {batch.id} expired: it did not finish within its {COMPLETION_WINDOW} window"
    elif batch.status == "cancelled":
        reason = f"the Batch API job {batch.id} was cancelled"
    else:
        reason = f"the Batch API job {batch.id} {batch.status}"
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    if errors:
        first = errors[0]
        where = f" (line {first.line})" if getattr(first, "line", None) else ""
        reason += f": {_one_line(str(first.message or first.code))}{where}"
    return reason + "; run `translator batch` again to retry"


def _one_line(text: str) -> str:
    return " ".join(text.split())
