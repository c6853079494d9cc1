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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from translator.batch.journal import Entry, Journal, notes_fingerprint
from translator.batch.limiter import RateLimiter
from translator.batch.naming import output_bases
from translator.batch.report import write_corpus_report
from translator.drafting.api import DEFAULT_MODEL, DraftOptions, OutputPaths, adraft, model_session, write_draft
from translator.drafting.usage import Usage
from translator.errors import InputError, TranslatorError
from translator.inputs import Problem, expand_inputs
from translator.sources import SUPPORTED_SUFFIXES, read_notes
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
    corpus: dict[str, object]  # summary.json's corpus view: counts over every input, resumed ones too

    @property
    def all_accepted(self) -> bool:
        return self.corpus["rejected"] == 0 and self.corpus["failed"] == 0


async def run_batch(
    arguments: Iterable[str],
    options: BatchOptions,
    on_progress: Callable[[Progress], None] | None = None,
) -> BatchResult:
    opts = options.draft.resolved()
    engine, _ = opts.engine_to_use()
    model = (opts.model or DEFAULT_MODEL) if engine == "openai" else None
    versions = _prompt_versions() if engine == "openai" else None

    arguments = list(arguments)
    files, problems = batch_files(arguments)

    out_dir = options.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    journal = Journal(out_dir) if options.resume else _fresh_journal(out_dir)
    bases = output_bases(arguments, files)
    progress = Progress(total=len(files))
    notify = on_progress or (lambda _: None)
    session = _session(opts, options) if engine == "openai" else None

    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=options.concurrency * 2)

    async def worker() -> None:
        while (path := await queue.get()) is not None:
            outcome = await _one(
                path, bases[path], journal, out_dir, opts, options, engine, model, versions, session, progress
            )
            progress.count(outcome, path)
            notify(progress)

    workers = [asyncio.create_task(worker()) for _ in range(max(1, options.concurrency))]
    try:
        for path in files:
            await queue.put(path)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        if session is not None:
            await session.aclose()
    summary_path, index_path, summary = write_corpus_report(out_dir, journal, files, problems)
    corpus = summary["corpus"]
    assert isinstance(corpus, dict)
    return BatchResult(
        progress=progress, summary_path=summary_path, index_path=index_path, problems=problems, corpus=corpus
    )


def batch_files(arguments: list[str]) -> tuple[list[str], list[Problem]]:
    """The files a batch translates, and the arguments that name none. Raises InputError when
    nothing at all is left to translate."""
    problems: list[Problem] = []
    files: list[str] = []
    for item in expand_inputs(arguments, SUPPORTED_SUFFIXES):
        if isinstance(item, Problem):
            problems.append(item)
        elif item != "-":
            files.append(item)
        else:
            problems.append(Problem("-", "batch reads files, not standard input"))
    if not files:
        raise InputError(
            "no input files to translate" + (f" ({problems[0].path}: {problems[0].message})" if problems else "")
        )
    return files, problems


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
        written = write_draft(result, paths.markdown)
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
