"""`translator draft`: raw notes in, an accepted spec (or the questions to ask) out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from translator.cli.console import err, out, terminal_safe
from translator.config import Config, load_config
from translator.errors import InputError
from translator.rubric import Severity, Verdict

if TYPE_CHECKING:
    from translator.drafting import DraftOptions

_EPILOG = (
    "Exit codes: 0 accepted, 2 usage or input error, 3 not accepted (the questions to ask are printed), "
    "4 the model service failed.\n\n"
    "Examples:\n\n"
    "  translator draft notes.md                      offline unless OPENAI_API_KEY or --base-url is set\n\n"
    "  translator draft eval.ipynb --kind model-change -o specs/fraud.md\n\n"
    "  translator draft notes.md --base-url http://localhost:11434/v1 --model llama3.1   (Ollama)\n\n"
    "  translator draft notes.md --engine local --model model.gguf   (starts llama.cpp's server; needs the [local] extra)\n\n"
    "Accepted: OUT.md and OUT.json. Not accepted: <name>.rejected.md and <name>.rejected.json."
)


def register(app: typer.Typer) -> None:
    app.command("draft", epilog=_EPILOG)(draft_command)


def draft_command(
    notes: str = typer.Argument(..., metavar="NOTES", help="Notes: .md .txt .ipynb .html .docx .pdf, or - for stdin."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Where to write the spec (default: <notes>.spec.md beside the notes)."
    ),
    kind: str | None = typer.Option(
        None,
        "--kind",
        "-k",
        help="Spec kind (see `translator rubrics list`); default: front matter, else chosen from the notes.",
    ),
    engine: str | None = typer.Option(
        None,
        "--engine",
        "-e",
        help="offline (rules, no model), openai (any OpenAI-compatible server), local (llama.cpp on a GGUF file), or auto.",
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Model name (default: TRANSLATOR_MODEL, config, or gpt-5-mini); for --engine local a .gguf file or model package.",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="OpenAI-compatible endpoint (default: OPENAI_BASE_URL), e.g. http://localhost:11434/v1.",
    ),
    max_repairs: int | None = typer.Option(
        None, "--max-repairs", min=0, max=10, help="Repair rounds after a failed gate (default 2)."
    ),
    structured_output: str | None = typer.Option(
        None,
        "--structured-output",
        help="auto, json_schema, json_object (with a schema, llama.cpp), tools or json (for servers without json_schema).",
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        min=0.1,
        help="Longest silence from the model server, in seconds (default 60; 600 on loopback and the local engine).",
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ask the model again even if the same call is cached."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output paths and errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the draft result as JSON on stdout."),
    show_sources: bool = typer.Option(
        False, "--show-sources", help="End the spec with a table: each claim and the notes line it comes from."
    ),
    max_bytes: int | None = typer.Option(None, "--max-bytes", help="Refuse notes larger than this (default 5 MB)."),
) -> int:
    """Draft a spec from research notes; the rubric and a grounding check decide whether it is accepted."""
    from translator.drafting import OutputPaths, default_output, draft, with_sources, write_draft
    from translator.sources import read_notes

    config = load_config()
    options = _options(config, engine, model, base_url, max_repairs, structured_output, no_cache, timeout)
    chosen, notice = options.resolved().engine_to_use()
    if notice and not quiet and not as_json:
        err.print(f"[dim]note: {notice}[/]")
    target = output or default_output(None if notes == "-" else notes)
    OutputPaths.beside(target).check(notes=notes)  # before reading and paying: never onto the notes
    loaded = read_notes(notes, max_bytes=max_bytes or config.max_bytes)

    show_progress = not quiet and not as_json and sys.stderr.isatty()
    if show_progress:
        with err.status("reading notes") as status:
            result = draft(loaded, kind=kind or config.kind, options=options, on_step=lambda step: status.update(step))
    else:
        result = draft(loaded, kind=kind or config.kind, options=options)
    if show_sources:
        result = with_sources(result)
    written = write_draft(result, target)

    if as_json:
        out.file.write(result.model_dump_json(indent=2) + "\n")
    elif quiet:
        for path in written:
            out.print(str(path), markup=False)
    else:
        _panel(result, written, chosen)
    return 0 if result.accepted else 3


def _options(
    config: Config,
    engine: str | None,
    model: str | None,
    base_url: str | None,
    max_repairs: int | None,
    structured_output: str | None,
    no_cache: bool,
    timeout: float | None = None,
) -> DraftOptions:
    """Draft options from the command line over config over defaults."""
    from translator.drafting import DraftOptions

    chosen_engine = engine or config.engine
    if chosen_engine not in ("auto", "offline", "openai", "local"):
        raise InputError(f"--engine must be auto, offline, openai or local, not {chosen_engine!r}")
    method = structured_output or config.structured_output
    if method not in ("auto", "json_schema", "json_object", "tools", "json"):
        raise InputError(f"--structured-output must be auto, json_schema, json_object, tools or json, not {method!r}")
    return DraftOptions(
        engine=chosen_engine,  # type: ignore[arg-type]
        model=model or config.model,
        base_url=base_url or config.base_url,
        structured_output=method,
        max_repairs=config.max_repairs if max_repairs is None else max_repairs,
        timeout=timeout or config.timeout,
        max_tokens=config.max_tokens,
        cache=config.cache and not no_cache,
        prices=config.prices,
        verdict=Verdict(fail_under=config.fail_under, fail_on=Severity(config.fail_on), rubric=config.rubric),
    )


def _panel(result, written: list[Path], engine: str) -> None:  # type: ignore[no-untyped-def]
    from rich.panel import Panel
    from rich.table import Table

    title = "[bold green]accepted[/]" if result.accepted else "[bold red]not accepted[/]"
    body = Table.grid(padding=(0, 2))
    body.add_column(style="dim", no_wrap=True)
    body.add_column()
    from translator.cli.render import KIND_SOURCE_NOTE

    body.add_row("kind", result.kind + escape(KIND_SOURCE_NOTE.get(result.kind_source, "")))
    body.add_row("engine", engine + (f" ({escape(result.model)})" if result.model else ""))
    if result.report is not None:
        body.add_row("score", f"{result.report.score}/100")
        gaps = [f"{k} {v.status}" for k, v in result.report.concerns.items() if v.status != "present"]
        body.add_row("gaps", escape(", ".join(gaps)) or "none")
    invented = result.grounding.ungrounded
    if invented:
        body.add_row("invented", escape("; ".join(f"{c.claim} ({c.reason})" for c in invented[:3])))
    if result.failure:
        body.add_row("model", escape(result.failure))
    if result.engine in ("openai", "local"):
        usage = result.usage
        cost = "unknown price" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"
        body.add_row(
            "usage",
            f"{usage.calls} calls ({usage.cached_calls} cached), {usage.input_tokens:,} in / {usage.output_tokens:,} out tokens, {cost}",
        )
        body.add_row("repairs", str(result.rounds))
    body.add_row("wrote", escape(terminal_safe(", ".join(str(p) for p in written))))
    out.print(Panel(body, title=title, title_align="left", expand=False))
    if result.questions:
        out.print("[bold]Ask the researcher:[/]" if not result.accepted else "[bold]Open questions:[/]")
        for number, question in enumerate(result.questions, start=1):
            out.print(f"  {number}. {escape(question.question)} [dim]({question.concern})[/]")
