"""`translator batch`: re-translate a whole corpus of old reports into specs."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from translator.cli.console import err, out
from translator.config import load_config
from translator.errors import InputError

_EPILOG = (
    "Outputs mirror the input folders: <name>.spec.md + .spec.json when accepted, <name>.rejected.md + "
    ".rejected.json when not; index.md and summary.json describe the corpus; journal.jsonl lets a rerun "
    "skip finished files (a killed run resumes where it stopped).\n\n"
    "Exit codes: 0 every report accepted, 1 some rejected or failed, 2 usage or input error.\n\n"
    "Examples:\n\n"
    "  translator batch old-reports/ --out specs/\n\n"
    "  translator batch 'reports/**/*.ipynb' --out specs/ --concurrency 16 --rpm 500 --tpm 200000"
)


def register(app: typer.Typer) -> None:
    app.command("batch", epilog=_EPILOG)(batch_command)


def batch_command(
    inputs: list[str] = typer.Argument(..., metavar="INPUT...", help="Files, folders (recursive) and globs of .md .txt .ipynb .html .docx .pdf."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Output folder (created if missing)."),
    kind: str | None = typer.Option(None, "--kind", "-k", help="Spec kind for every report; default: per report."),
    engine: str | None = typer.Option(None, "--engine", "-e", help="offline, openai, or auto (openai when a key or base URL is set)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (default: TRANSLATOR_MODEL, config, or gpt-5-mini)."),
    base_url: str | None = typer.Option(None, "--base-url", help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL)."),
    concurrency: int | None = typer.Option(None, "--concurrency", "-c", min=1, max=256, help="Reports drafted at once (default 4)."),
    rpm: int | None = typer.Option(None, "--rpm", min=1, help="Never exceed this many model requests per minute."),
    tpm: int | None = typer.Option(None, "--tpm", min=1, help="Never exceed this many tokens per minute (estimated before sending)."),
    max_repairs: int | None = typer.Option(None, "--max-repairs", min=0, max=10, help="Repair rounds per report (default 2)."),
    structured_output: str | None = typer.Option(None, "--structured-output", help="auto, json_schema, tools or json."),
    no_resume: bool = typer.Option(False, "--no-resume", help="Redo every report, ignoring the journal."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not reuse cached model answers."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display; one summary line (for CI logs)."),
) -> int:
    """Re-translate a corpus of reports and notebooks into specs, within rate limits, resumably."""
    from translator.batch import BatchOptions, run_batch
    from translator.cli.draft import _options

    config = load_config()
    draft_options = _options(config, engine, model, base_url, max_repairs, structured_output, no_cache)
    chosen, notice = draft_options.resolved().engine_to_use()
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
    if quiet or not sys.stderr.isatty():
        result = asyncio.run(run_batch(inputs, options))
    else:
        result = _with_progress(inputs, options, run_batch)
    counts = result.progress
    usage = counts.usage
    cost = "unknown price" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
    out.print(
        f"{counts.total} reports: [green]{counts.accepted} accepted[/], [yellow]{counts.rejected} rejected[/], "
        f"[red]{counts.failed} failed[/], {counts.skipped} already done; "
        f"{usage.input_tokens + usage.output_tokens:,} tokens, {cost} ({chosen})"
    )
    out.print(f"report: {result.index_path}  summary: {result.summary_path}", markup=False)
    for problem in result.problems:
        err.print(f"translator: {problem.path}: {problem.message}", markup=False)
    return 0 if result.all_accepted else 1


def _with_progress(inputs, options, run_batch):  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (
        TextColumn("[bold]translating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[accepted]} ok[/] [yellow]{task.fields[rejected]} rejected[/] [red]{task.fields[failed]} failed[/]"),
        TextColumn("{task.fields[tokens]} tok {task.fields[cost]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task("batch", total=None, accepted=0, rejected=0, failed=0, tokens=0, cost="")

        def update(progress) -> None:  # type: ignore[no-untyped-def]
            usage = progress.usage
            cost = "" if usage.cost_usd is None else f"${usage.cost_usd:.3f}"
            bar.update(
                task, total=progress.total, completed=progress.done, accepted=progress.accepted + progress.skipped,
                rejected=progress.rejected, failed=progress.failed, tokens=f"{usage.input_tokens + usage.output_tokens:,}", cost=cost,
            )

        return asyncio.run(run_batch(inputs, options, on_progress=update))
