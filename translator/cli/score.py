"""`translator score`: check specs against the rubric, line by line."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from translator import __version__
from translator.config import load_config
from translator.errors import InputError, OutputError
from translator.outputs import refuse_input_as_output
from translator.rubric import Severity, Verdict, score_files
from translator.rubric.formats import FORMATS, to_github, to_json, to_junit, to_sarif

_EPILOG = (
    "Exit codes: 0 every document passes, 1 some document fails, 2 a usage or input error.\n\n"
    "Examples:\n\n"
    "  translator score spec.md\n\n"
    "  translator score docs/specs/ --format sarif -o results.sarif\n\n"
    "  cat spec.md | translator score - --kind feature-spec --fail-on warning\n\n"
    "  translator score spec.md --fix --diff      (then --fix to write the missing sections' skeletons)\n\n"
    "Silence a rule in a document with <!-- translator: disable=RULE -->. "
    "Defaults come from [tool.translator] in pyproject.toml or .translator.toml. "
    "--output needs a machine format (json, sarif, junit or github): the table is for the terminal."
)


def register(app: typer.Typer) -> None:
    app.command("score", epilog=_EPILOG)(score)


def score(
    paths: list[str] = typer.Argument(
        ..., metavar="PATH...", help="Spec files, folders (searched recursively), globs, or - for stdin."
    ),
    kind: str | None = typer.Option(
        None,
        "--kind",
        "-k",
        help="Score as this kind (see `translator rubrics list`); default: front matter `kind:` or detection.",
    ),
    rubric: str | None = typer.Option(
        None, "--rubric", "-r", help="A rubric kind or YAML file to use for every document."
    ),
    output_format: str | None = typer.Option(None, "--format", "-f", help=f"Output format: {', '.join(FORMATS)}."),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the report to this file instead of stdout (a machine --format only: json, sarif, junit, github).",
    ),
    fail_under: float | None = typer.Option(
        None, "--fail-under", min=0, max=100, help="Fail a document scoring below N (default: the rubric's pass score)."
    ),
    fail_on: str | None = typer.Option(
        None,
        "--fail-on",
        help="Fail a document with any finding of this severity or worse: error, warning or info (default: error).",
    ),
    max_bytes: int | None = typer.Option(None, "--max-bytes", help="Refuse files larger than this (default 5 MB)."),
    sarif_root: Path | None = typer.Option(
        None, "--sarif-root", help="Make SARIF URIs relative to this folder (default: the git repository root)."
    ),
    fix: bool = typer.Option(
        False, "--fix", help="Insert a section skeleton for each missing concern (a person still fills it in)."
    ),
    diff: bool = typer.Option(
        False, "--diff", help="Print what --fix would insert, as a unified diff, and write nothing (exit 1 if any)."
    ),
) -> int:
    """Score specs against the rubric: each concern present, incomplete or missing, with line-precise findings."""
    config = load_config()
    if output is not None:
        for path in paths:  # the report never lands on a spec it scores
            refuse_input_as_output(path, [output])
    chosen_format = output_format or config.format
    if chosen_format not in FORMATS:
        raise InputError(f"--format must be one of {', '.join(FORMATS)}, not {chosen_format!r}")
    severity = fail_on or config.fail_on
    if severity not in Severity.__members__:
        raise InputError(f"--fail-on must be error, warning or info, not {severity!r}")
    verdict = Verdict(
        fail_under=fail_under if fail_under is not None else config.fail_under, fail_on=Severity(severity)
    )
    if fix or diff:
        from translator.cli.fix import fix_files  # only --fix pays for importing it

        plans, problems = fix_files(
            paths,
            kind=kind or config.kind,
            rubric=rubric or config.rubric,
            verdict=verdict,
            max_bytes=max_bytes or config.max_bytes,
            write=not diff,
        )
        if diff:
            return 2 if problems else (1 if any(plan.changed for plan in plans) else 0)
    report = score_files(
        paths,
        kind=kind,
        default_kind=config.kind,
        rubric=rubric or config.rubric,
        verdict=verdict,
        max_bytes=max_bytes or config.max_bytes,
    )
    if chosen_format == "table":
        if output is not None:
            raise InputError(
                "--output needs a machine format: add --format json, sarif, junit or github (the table format prints to the terminal)"
            )
        # rich only for people: machine formats are written without it (it is start-up time).
        from translator.cli.console import out
        from translator.cli.render import render_report

        render_report(report, out)
    else:
        text = {
            "json": to_json,
            "sarif": lambda r: to_sarif(r, __version__, sarif_root),
            "junit": to_junit,
            "github": to_github,
        }[chosen_format](report)
        if output is None:
            sys.stdout.write(text + "\n")
        else:
            _write_report(output, text + "\n")
        for problem in report.errors:
            print(f"translator: {problem.path}: {problem.message}", file=sys.stderr)
    return report.exit_code


def _write_report(output: Path, text: str) -> None:
    if output.is_dir():
        raise OutputError("is a folder; give a file name (-o results.sarif)", path=str(output))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot be written ({exc.strerror or exc.__class__.__name__})", path=str(output)) from None
