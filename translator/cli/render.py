"""Human-readable rendering of reports with rich: readable at a glance, greppable by line."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from translator.cli.console import terminal_safe
from translator.rubric.report import DocumentReport, Report

STATUS_STYLE = {"present": "green", "incomplete": "yellow", "missing": "red"}
STATUS_MARK = {"present": "✓", "incomplete": "~", "missing": "✗"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "dim"}


def render_report(report: Report, console: Console) -> None:
    for document in report.documents:
        render_document(document, console)
    for problem in report.errors:
        console.print(f"[red]✗ {escape(problem.path)}[/]: {escape(problem.message)}")
    summary = report.summary
    if summary.documents + summary.errors > 1 or summary.errors:
        parts = [f"{summary.documents} scored", f"[green]{summary.passed} passed[/]"]
        if summary.failed:
            parts.append(f"[red]{summary.failed} failed[/]")
        if summary.errors:
            parts.append(f"[red]{summary.errors} unreadable[/]")
        if summary.mean_score is not None:
            parts.append(f"mean score {summary.mean_score}")
        console.print(", ".join(parts))
        if summary.gaps:
            gaps = ", ".join(f"{key} {count}" for key, count in list(summary.gaps.items())[:6])
            console.print(f"[dim]most common gaps: {gaps}[/]")


# How the kind was chosen, said so that a guessed kind is never mistaken for a declared one.
KIND_SOURCE_NOTE = {
    "declared": "",
    "detected": " (detected; declare it with front matter kind: or --kind)",
    "fallback": " (no kind was clear, so general; declare it with front matter kind: or --kind)",
}


def render_document(document: DocumentReport, console: Console) -> None:
    verdict = "[bold green]PASS[/]" if document.passed else "[bold red]FAIL[/]"
    console.print(
        f"{verdict} [bold]{escape(document.path)}[/]  score {document.score}/100  "
        f"[dim]kind {document.kind}{KIND_SOURCE_NOTE[document.kind_source]}, rubric {escape(document.rubric)}[/]"
    )
    concerns = Table(
        show_header=True, header_style="bold", box=None, pad_edge=False, padding=(0, 2, 0, 2), expand=False
    )
    # Identify-columns never shrink; only the evidence gives way on a narrow terminal.
    concerns.add_column("concern", no_wrap=True, min_width=14)
    concerns.add_column("status", no_wrap=True, min_width=12)
    concerns.add_column("line", justify="right", no_wrap=True, min_width=4)
    concerns.add_column("evidence", overflow="ellipsis", no_wrap=True, ratio=1, max_width=70)
    for key, result in document.concerns.items():
        style = STATUS_STYLE[result.status]
        concerns.add_row(
            key,
            Text(f"{STATUS_MARK[result.status]} {result.status}", style=style),
            str(result.line) if result.line else "",
            Text(terminal_safe(result.evidence or ""), style="dim"),
        )
    console.print(concerns)
    for finding in document.findings:
        where = f"{document.path}:{finding.line}" if finding.line else document.path
        style = SEVERITY_STYLE[finding.severity.value]
        console.print(
            f"  [{style}]{finding.severity.value:<7}[/] {escape(where)} [dim]{finding.rule}[/]  {escape(finding.message)}"
        )
        if finding.hint and finding.severity.value != "info":
            console.print(f"          [dim]→ {escape(finding.hint)}[/]")
    if document.suppressed:
        console.print(f"  [dim]{document.suppressed} finding(s) suppressed inline[/]")
    console.print()
