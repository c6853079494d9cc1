"""`translator rubrics`: list, show and check rubric files."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from translator.cli.console import out
from translator.rubric import builtin_kinds, load_rubric, load_vocabulary

app = typer.Typer(
    help="List, show and check rubrics (built-in kinds or your own YAML).", no_args_is_help=True, rich_markup_mode=None
)


@app.command("list")
def list_rubrics() -> None:
    """List the built-in rubrics: one per spec kind, plus `general`."""
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column("kind")
    table.add_column("title")
    table.add_column("concerns")
    for kind in builtin_kinds():
        rubric = load_rubric(kind)
        table.add_row(kind, rubric.title, ", ".join(rubric.concerns))
    out.print(table)


@app.command("show")
def show(kind: str = typer.Argument(..., help="A built-in kind (feature-spec) or a rubric file.")) -> None:
    """Show a rubric's criteria after `extends:` is resolved: what each checks, its severity and weight."""
    rubric = load_rubric(kind)
    vocabulary = load_vocabulary()
    out.print(f"[bold]{escape(rubric.title)}[/] ({rubric.kind}), pass score {rubric.pass_score:g}")
    if rubric.description:
        out.print(f"[dim]{escape(rubric.description)}[/]")
    # A list, not a table: it stays readable at any terminal width.
    for criterion in rubric.criteria:
        style = {"error": "red", "warning": "yellow", "info": "dim"}[criterion.severity.value]
        about = ", ".join(part for part in (criterion.concern, criterion.check) if part)
        out.print(
            f"[{style}]{criterion.severity.value:<7}[/] w{criterion.weight:<3g} [bold]{criterion.id}[/] [dim]({about})[/]"
        )
        if criterion.require:
            requires = " AND ".join(
                "(" + " or ".join(vocabulary.signals[s].label for s in group) + ")" for group in criterion.require
            )
            out.print(f"             [dim]requires {escape(requires)}[/]")


@app.command("check")
def check(path: str = typer.Argument(..., help="A rubric YAML file.")) -> None:
    """Validate a rubric file: YAML, fields, extends chain, concern and signal names."""
    rubric = load_rubric(path)
    out.print(f"[green]✓[/] {escape(path)}: valid rubric '{rubric.kind}' with {len(rubric.criteria)} criteria")


def register(parent: typer.Typer) -> None:
    parent.add_typer(app, name="rubrics")
