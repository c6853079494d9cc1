"""`translator batch`: re-translate a whole corpus of old reports into specs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from translator.cli.console import err, out
from translator.config import load_config
from translator.errors import InputError

if TYPE_CHECKING:
    from translator.batch.runner import BatchOptions
    from translator.batch.runner import Progress as BatchProgress

_EPILOG = (
    "Outputs mirror the input folders: <name>.spec.md + .spec.json when accepted, <name>.rejected.md + "
    ".rejected.json when not; index.md and summary.json describe the corpus; journal.jsonl lets a rerun "
    "skip finished files (a killed run resumes where it stopped).\n\n"
    "Exit codes: 0 every report accepted, 1 some rejected or failed, 2 usage, input or output error (an --out "
    "that cannot be written, another batch holding it); a report whose model calls fail counts as failed (1).\n\n"
    "OpenAI Batch API (--mode openai-batch, half the price, results within 24 h): each step of the chain "
    "(extract, draft, then up to --max-repairs repair rounds) goes out as one Batch job over every pending "
    "report; the gate runs locally on what comes back. The kind is chosen locally (--kind, front matter, "
    "else detection), without the classify step; requests ask for json_schema structured output, and --concurrency, --rpm, "
    "--tpm and the cache do not apply. Submitting prints the batch id and exits 0; then:\n\n"
    "  translator batch status DIR     the phase, the job's status and its request counts\n\n"
    "  translator batch collect DIR    when the job is done: write and journal the finished reports and submit "
    "the next phase; after the last one, write index.md and summary.json (exit 0 or 1 as above). "
    "While the job runs it says so and exits 0. The run's state is DIR/batch_state.json.\n\n"
    "Examples:\n\n"
    "  translator batch old-reports/ --out specs/\n\n"
    "  translator batch 'reports/**/*.ipynb' --out specs/ --concurrency 16 --rpm 500 --tpm 200000\n\n"
    "  translator batch old-reports/ --out specs/ --mode openai-batch    then: translator batch collect specs/"
)
_SUBCOMMANDS = ("status", "collect")


def register(app: typer.Typer) -> None:
    app.command("batch", epilog=_EPILOG)(batch_command)


def batch_command(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="Files, folders (recursive) and globs of .md .txt .ipynb .html .docx .pdf; or `status DIR` / `collect DIR` (openai-batch mode).",
    ),
    out_dir: Path | None = typer.Option(None, "--out", "-o", help="Output folder (created if missing); required."),
    mode: str = typer.Option(
        "sync",
        "--mode",
        help="sync (live calls) or openai-batch (the OpenAI Batch API: half the price, within 24 h; needs a key or --base-url; "
        "chooses the kind locally, without the classify step).",
    ),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Spec kind for every report; default: per report."),
    engine: str | None = typer.Option(
        None,
        "--engine",
        "-e",
        help="offline, openai, local (llama.cpp on a GGUF file), or auto (openai when a key or base URL is set).",
    ),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Model name (default: TRANSLATOR_MODEL, config, or gpt-5-mini)."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL)."
    ),
    concurrency: int | None = typer.Option(
        None, "--concurrency", "-c", min=1, max=256, help="Reports drafted at once (default 4)."
    ),
    rpm: int | None = typer.Option(None, "--rpm", min=1, help="Never exceed this many model requests per minute."),
    tpm: int | None = typer.Option(
        None, "--tpm", min=1, help="Never exceed this many tokens per minute (estimated before sending)."
    ),
    max_repairs: int | None = typer.Option(
        None, "--max-repairs", min=0, max=10, help="Repair rounds per report (default 2)."
    ),
    structured_output: str | None = typer.Option(
        None, "--structured-output", help="auto, json_schema, json_object, tools or json."
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        help="Longest silence from the model server, in seconds (default 60; 600 on loopback).",
    ),
    no_resume: bool = typer.Option(False, "--no-resume", help="Redo every report, ignoring the journal."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached model answers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display; one summary line (for CI logs)."),
) -> int:
    """Re-translate a corpus of reports and notebooks into specs, within rate limits, resumably."""
    from translator.batch import BatchOptions, run_batch
    from translator.cli.draft import _options

    if inputs[0] in _SUBCOMMANDS and not Path(inputs[0]).exists():
        return _subcommand(inputs[0], inputs[1:], out_dir, base_url)
    if mode not in ("sync", "openai-batch"):
        raise InputError(f"--mode must be sync or openai-batch, not {mode!r}")
    if out_dir is None:
        raise InputError("--out DIR is required: translator batch INPUT... --out DIR")
    config = load_config()
    draft_options = _options(config, engine, model, base_url, max_repairs, structured_output, no_cache, timeout)
    chosen, notice = draft_options.resolved().engine_to_use()
    if mode == "openai-batch" and chosen != "openai":
        raise InputError(
            "--mode openai-batch needs the openai engine: set OPENAI_API_KEY or --base-url (and not --engine offline)"
        )
    if notice and not quiet:
        err.print(f"[dim]note: {notice}[/]")
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir} exists and is not a folder")
    options = BatchOptions(
        out_dir=out_dir,
        draft=draft_options,
        kind=kind or config.kind,
        concurrency=concurrency or config.concurrency,
        rpm=rpm or config.rpm,
        tpm=tpm or config.tpm,
        resume=not no_resume,
        max_bytes=config.max_bytes,
    )
    if mode == "openai-batch":
        from translator.batch.openai_batch import submit

        return _report_step(submit(inputs, options))
    if quiet or not sys.stderr.isatty():
        import asyncio

        result = asyncio.run(run_batch(inputs, options))
    else:
        result = _with_progress(inputs, options, run_batch)
    return _print_outcome(result, result.progress, chosen)


def _subcommand(name: str, rest: list[str], out_dir: Path | None, base_url: str | None) -> int:
    """`translator batch status DIR` and `translator batch collect DIR` (the openai-batch mode)."""
    from translator.batch.openai_batch import collect, status

    if len(rest) > 1:
        raise InputError(f"translator batch {name} takes one folder, not {len(rest)}: translator batch {name} DIR")
    folder = Path(rest[0]) if rest else out_dir
    if folder is None:
        raise InputError(f"translator batch {name} needs the output folder: translator batch {name} DIR")
    if name == "collect":
        return _report_step(collect(folder, base_url=base_url))
    step = status(folder, base_url=base_url)
    job = f"batch {step.batch_id}" if step.batch_id else "its job"
    out.print(f"phase {_phase(step)}: {job} {step.batch_status}{_done(step)}", markup=False)
    out.print(_report_counts(step.progress), markup=False)
    if step.batch_id is None:
        out.print(f"run `translator batch collect {folder}` to submit it", markup=False)
    return 0


def _report_step(step) -> int:  # type: ignore[no-untyped-def]
    """What submit or collect did, for people; the exit code of the batch command."""
    folder = step.out_dir
    if step.action == "waiting":
        out.print(
            f"phase {_phase(step)}: batch {step.batch_id} is {step.batch_status}{_done(step)}; not finished, collect again later",
            markup=False,
        )
        return 0
    if step.action == "submitted":
        out.print(f"submitted phase {_phase(step)}: batch {step.batch_id} ({step.requests} requests)", markup=False)
        out.print(_report_counts(step.progress), markup=False)
        out.print(f"run `translator batch status {folder}` / `translator batch collect {folder}`", markup=False)
        return 0
    if step.batch_status and step.batch_status != "completed" and step.note:
        err.print(f"translator: {step.note}", markup=False)
    return _print_outcome(step.result, step.progress, "openai-batch, at half price")


def _phase(step) -> str:  # type: ignore[no-untyped-def]
    return f"repair (round {step.round})" if step.phase == "repair" else str(step.phase)


def _done(step) -> str:  # type: ignore[no-untyped-def]
    counts = step.request_counts
    if not counts:
        return ""
    return f", {counts.get('completed', 0)}/{counts.get('total', 0)} requests done, {counts.get('failed', 0)} failed"


def _report_counts(progress) -> str:  # type: ignore[no-untyped-def]
    return (
        f"reports: {progress.total - progress.done} pending, {progress.accepted} accepted, {progress.rejected} rejected, "
        f"{progress.failed} failed, {progress.skipped} already done"
    )


def _with_progress(inputs: list[str], options: BatchOptions, run_batch: Callable[..., Any]) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[bold]translating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "[green]{task.fields[accepted]} ok[/] [yellow]{task.fields[rejected]} rejected[/] [red]{task.fields[failed]} failed[/]"
        ),
        TextColumn("{task.fields[tokens]} tok {task.fields[cost]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("batch", total=None, accepted=0, rejected=0, failed=0, tokens=0, cost="")

        def update(progress: BatchProgress) -> None:
            usage = progress.usage
            cost = "" if usage.cost_usd is None else f"${usage.cost_usd:.3f}"
            bar.update(
                task,
                total=progress.total,
                completed=progress.done,
                accepted=progress.accepted + progress.skipped,
                rejected=progress.rejected,
                failed=progress.failed,
                tokens=f"{usage.input_tokens + usage.output_tokens:,}",
                cost=cost,
            )

        import asyncio

        return asyncio.run(run_batch(inputs, options, on_progress=update))


def _print_outcome(result, counts, engine: str) -> int:  # type: ignore[no-untyped-def]
    """One summary line, where the reports are, any unreadable input; the exit code."""
    usage = counts.usage
    cost = "unknown price" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    out.print(
        f"{counts.total} reports: [green]{counts.accepted} accepted[/], [yellow]{counts.rejected} rejected[/], "
        f"[red]{counts.failed} failed[/], {counts.skipped} already done; "
        f"{usage.input_tokens + usage.output_tokens:,} tokens, {cost} ({engine})"
    )
    out.print(f"report: {result.index_path}  summary: {result.summary_path}", markup=False)
    for problem in result.problems:
        err.print(f"translator: {problem.path}: {problem.message}", markup=False)
    skipped = getattr(result, "skipped_inputs", [])
    if skipped:
        err.print(
            f"translator: note: left out {len(skipped)} file(s) that are not notes ({skipped[0].path} {skipped[0].message})",
            markup=False,
        )
    return 0 if result.all_accepted else 1
