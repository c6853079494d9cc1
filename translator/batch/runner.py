"""Run the draft path over a corpus: concurrent, rate-limited, journalled, resumable.

Inputs stream through a bounded queue to N workers, so memory stays flat however large the
corpus. Every worker drafts with the same chain and gate as `translator draft` (adraft), sharing
one model session: one limiter, one cache, one usage ledger. Each finished input is written
atomically and journalled before the next is taken; one failing input never stops the batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from translator.batch.journal import Entry, Journal, notes_fingerprint
from translator.batch.limiter import RateLimiter
from translator.batch.lock import OutputLock
from translator.batch.naming import output_bases
from translator.batch.report import check_corpus_targets, write_corpus_report
from translator.drafting.api import DEFAULT_MODEL, DraftOptions, adraft, check_kind, model_session, served_locally
from translator.drafting.gate_pool import gates_off_loop
from translator.drafting.usage import Usage
from translator.errors import InputError, OutputError, TranslatorError
from translator.fileio import remove_stale_temporaries
from translator.inputs import Problem, Skipped, expand_inputs
from translator.outputs import OutputPaths, carries_marker, is_output_folder, mark_output_folder, write_draft
from translator.sources import DOCUMENT_SUFFIXES, read_notes
from translator.sources.text import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from translator.drafting.service import ModelSession

Outcome = Literal["accepted", "rejected", "failed", "skipped"]


@dataclass
class BatchOptions:
    out_dir: Path
    draft: DraftOptions = field(default_factory=DraftOptions)
    kind: str | None = None
    concurrency: int = 4
    rpm: int | None = None
    tpm: int | None = None
    resume: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass
class Progress:
    """Counts so far, handed to the progress callback after each input."""

    total: int = 0
    done: int = 0
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    skipped: int = 0
    usage: Usage = field(default_factory=Usage)
    last: str = ""

    def count(self, outcome: Outcome, path: str) -> None:
        self.done += 1
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.last = path


@dataclass
class BatchResult:
    progress: Progress
    summary_path: Path
    index_path: Path
    problems: list[Problem]
    corpus: dict[str, object]
    skipped_inputs: list[Skipped] = field(
        default_factory=list
    )  # the tool's own outputs, left out  # summary.json's corpus view: counts over every input, resumed ones too

    @property
    def all_accepted(self) -> bool:
        return self.corpus["rejected"] == 0 and self.corpus["failed"] == 0


async def run_batch(
    arguments: Iterable[str],
    options: BatchOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> BatchResult:
    # The model's drafts are gated on the other core while the event loop keeps requests going
    # (the offline engine has no model calls to overlap with).
    if options.draft.resolved().engine_to_use()[0] != "openai":
        return await _run_batch(arguments, options, on_progress)
    async with gates_off_loop() as gates:
        if gates is not None:
            gates.start()  # it warms up while the first model calls are in flight
        return await _run_batch(arguments, options, on_progress)


async def _run_batch(
    arguments: Iterable[str],
    options: BatchOptions,
    on_progress: Callable[[Progress], None] | None,
) -> BatchResult:
    opts = options.draft.resolved()
    engine, _ = opts.engine_to_use()
    if engine == "local":  # one server for the whole batch; then it is the openai engine
        with served_locally(opts) as served:
            local = replace(options, draft=replace(served, engine="openai"))
            return await run_batch(arguments, local, on_progress)
    model = (opts.model or DEFAULT_MODEL) if engine == "openai" else None
    versions = _prompt_versions() if engine == "openai" else None

    if options.kind is not None:  # a bad --kind is a usage error before any call is paid for
        check_kind(options.kind)

    arguments = list(arguments)
    out_dir = options.out_dir
    refuse_out_as_input(out_dir, arguments)
    files, problems, skipped = batch_files(arguments, out_dir=out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot be created ({exc.strerror or exc.__class__.__name__})", path=str(out_dir)) from None
    with OutputLock(out_dir):
        check_corpus_targets(out_dir)  # the user's own index.md is never replaced
        try:
            mark_output_folder(out_dir)
        except OSError as exc:
            raise OutputError(
                f"cannot be written ({exc.strerror or exc.__class__.__name__})", path=str(out_dir)
            ) from None
        remove_stale_temporaries(out_dir)  # left by a killed run; the lock says no writer is live
        journal = Journal(out_dir) if options.resume else _fresh_journal(out_dir)
        progress, stopped = await _run(files, arguments, journal, options, opts, engine, model, versions, on_progress)
        try:
            summary_path, index_path, summary = write_corpus_report(out_dir, journal, files, problems)
        except (OSError, OutputError) as exc:
            if stopped is None:
                if isinstance(exc, OutputError):
                    raise
                raise OutputError(
                    f"cannot be written ({exc.strerror or exc.__class__.__name__})", path=str(out_dir)
                ) from None
            summary_path, index_path, summary = out_dir, out_dir, {}  # the first write error is the one to tell
    if stopped is not None:
        raise OutputError(
            f"{stopped}; the batch stopped after {progress.done} of {progress.total} reports (a rerun resumes)"
        )
    corpus = summary["corpus"]
    assert isinstance(corpus, dict)
    return BatchResult(
        progress=progress,
        summary_path=summary_path,
        index_path=index_path,
        problems=problems,
        corpus=corpus,
        skipped_inputs=skipped,
    )


async def _run(
    files: list[str],
    arguments: list[str],
    journal: Journal,
    options: BatchOptions,
    opts: DraftOptions,
    engine: str,
    model: str | None,
    versions: str | None,
    on_progress: Callable[[Progress], None] | None,
) -> tuple[Progress, OutputError | None]:
    """Draft every file; the progress, and the write error that stopped the batch, if one did.

    A worker never dies outside its try: an output or journal that cannot be written stops the
    batch (every worker then drains the queue without drafting, so the producer never blocks)."""
    out_dir = options.out_dir
    bases = output_bases(arguments, files)  # names first, so collisions resolve in input order
    progress = Progress(total=len(files))
    notify = on_progress or (lambda _: None)
    session = _session(opts, options) if engine == "openai" else None
    stopped: list[OutputError] = []

    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=options.concurrency * 2)

    async def worker() -> None:
        while (path := await queue.get()) is not None:
            if stopped:
                continue  # drain: the producer must never block on a full queue
            try:
                outcome = await _one(
                    path, bases[path], journal, out_dir, opts, options, engine, model, versions, session, progress
                )
                progress.count(outcome, path)
                notify(progress)
            except OutputError as exc:
                stopped.append(exc)
            except Exception as exc:  # the last guard: a worker that died would hang the batch
                stopped.append(OutputError(f"internal error: {exc.__class__.__name__}: {exc}"))

    async def producer() -> None:
        for path in files:
            if stopped:
                break
            await queue.put(path)
        for _ in workers:
            await queue.put(None)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, options.concurrency))]
    feeding = asyncio.create_task(producer())
    try:
        await asyncio.gather(feeding, *workers)
    finally:
        for task in (feeding, *workers):
            task.cancel()
        if session is not None:
            await session.aclose()
    return progress, (stopped[0] if stopped else None)


def refuse_out_as_input(out_dir: Path, arguments: list[str]) -> None:
    """--out that is an input folder itself would put index.md and summary.json among the notes
    (replacing the user's own index.md). Inside an input folder is fine: the walk skips it."""
    try:
        target = out_dir.resolve()
    except OSError:
        return
    for argument in arguments:
        path = Path(argument)
        if argument != "-" and path.is_dir() and path.resolve() == target and not is_output_folder(path):
            raise InputError(
                f"--out {out_dir} is the input folder itself; choose a folder for the outputs, e.g. --out {out_dir / 'specs'}"
            )


def batch_files(arguments: list[str], out_dir: Path | None = None) -> tuple[list[str], list[Problem], list[Skipped]]:
    """The files a batch translates, the arguments that name none, and the tool's own outputs left
    out (a batch output folder, or a draft's X.spec.md / X.rejected.md beside the notes). Raises
    InputError when nothing at all is left to translate."""
    problems: list[Problem] = []
    files: list[str] = []
    skipped: list[Skipped] = []
    excluded = out_dir.resolve() if out_dir is not None else None

    def walk_folder(folder: Path) -> bool:
        return not is_output_folder(folder) and folder.resolve() != excluded

    def skip_file(path: Path, explicit: bool) -> str | None:
        return "was written by translator (an output, not notes); skipped" if carries_marker(path) else None

    for item in expand_inputs(
        arguments, DOCUMENT_SUFFIXES, regular_only=True, skip_file=skip_file, walk_folder=walk_folder
    ):
        if isinstance(item, Skipped):
            skipped.append(item)
        elif isinstance(item, Problem):
            problems.append(item)
        elif item != "-":
            files.append(item)
        else:
            problems.append(Problem("-", "batch reads files, not standard input"))
    if not files:
        first = problems[0] if problems else (skipped[0] if skipped else None)
        raise InputError("no input files to translate" + (f" ({first.path}: {first.message})" if first else ""))
    return files, problems, skipped


async def _one(
    path: str,
    base: object,
    journal: Journal,
    out_dir: Path,
    opts: DraftOptions,
    options: BatchOptions,
    engine: str,
    model: str | None,
    versions: str | None,
    session: ModelSession | None,
    progress: Progress,
) -> Outcome:
    started = time.monotonic()
    try:
        notes = read_notes(path, max_bytes=options.max_bytes)
        fingerprint = (notes_fingerprint(notes), engine, model, versions)
        if journal.finished(path, fingerprint, out_dir) is not None:
            return "skipped"
        result = await adraft(notes, kind=options.kind, options=opts, session=session)
        paths = OutputPaths.beside(out_dir / f"{base}.spec.md")
        written = write_draft(result, paths.markdown, owned_by_folder=out_dir)
        progress.usage.add(result.usage)
        entry = Entry.of_draft(
            result,
            path=path,
            sha256=fingerprint[0],
            engine=engine,
            model=model,
            prompt_versions=versions,
            written=written,
            out_dir=out_dir,
            usage=result.usage,
            seconds=time.monotonic() - started,
        )
    except OutputError:
        raise  # an output that cannot be written stops the batch; the journal stays as it was
    except (TranslatorError, OSError) as exc:
        entry = _failed(path, engine, model, versions, str(exc), started)
    except Exception as exc:  # one bad input never stops the batch; its reason is kept
        entry = _failed(path, engine, model, versions, f"internal error: {exc.__class__.__name__}: {exc}", started)
    journal.record(entry)
    return entry.status


def _failed(path: str, engine: str, model: str | None, versions: str | None, reason: str, started: float) -> Entry:
    return Entry.failed(
        path=path,
        sha256="",
        engine=engine,
        model=model,
        prompt_versions=versions,
        reason=reason,
        seconds=time.monotonic() - started,
    )


def _fresh_journal(out_dir: Path) -> Journal:
    journal = Journal(out_dir)
    journal.latest.clear()
    return journal


def _prompt_versions() -> str:
    from translator.drafting.prompts import prompt_versions

    return prompt_versions()


def _session(opts: DraftOptions, options: BatchOptions) -> ModelSession:
    # Always a limiter, even without --rpm/--tpm: a 429 heard by one worker pauses them all.
    return model_session(opts, throttle=RateLimiter(rpm=options.rpm, tpm=options.tpm))
