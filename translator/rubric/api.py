"""Score files: read them with the shared input rules, score each, collect one Report."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from translator.errors import InputError, TranslatorError
from translator.inputs import STDIN, Problem, Skipped, expand_inputs, refuse_a_path_as_text
from translator.outputs import INDEX_NAME, carries_marker, is_output_folder
from translator.rubric.loader import load_rubric
from translator.rubric.model import Rubric
from translator.rubric.report import DocumentReport, InputProblem, Report
from translator.rubric.scoring import Verdict, score_text
from translator.sources import text as source_text

SPEC_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd")
DEFAULT_MAX_BYTES = 5_000_000


def _not_a_spec(path: Path, explicit: bool) -> str | None:
    """A batch folder's index.md is the corpus report, not a spec: scoring it would fail it."""
    if path.name == INDEX_NAME and is_output_folder(path.parent):
        return "is a batch's corpus report, not a spec; score the .spec.md files beside it"
    if path.suffix.lower() == ".json" and carries_marker(path):  # summary.json, X.spec.json
        return "is a JSON output of translator, not a spec; score the .md file beside it"
    return None


def score(
    source: str | Path,
    *,
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    default_kind: str | None = None,
    verdict: Verdict = Verdict(),
) -> DocumentReport:
    """Score a spec: a Path is read as a file, a str is the Markdown itself.

    A str that names an existing file is refused (InputError): pass a Path, or call score_file()
    for a file and score_text() for Markdown."""
    if isinstance(source, Path):
        return score_file(source, kind=kind, rubric=rubric, default_kind=default_kind, verdict=verdict)
    refuse_a_path_as_text(source, instead=f"pass Path({source.strip()!r}) or call score_file() to score the file")
    return score_text(source, kind=kind, rubric=rubric, default_kind=default_kind, verdict=verdict)


def score_file(
    path: str | Path,
    *,
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    default_kind: str | None = None,
    verdict: Verdict = Verdict(),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DocumentReport:
    """Score one Markdown file ("-" for stdin). Raises InputError or RubricError."""
    text = read_spec(str(path), max_bytes=max_bytes)
    return score_text(
        text,
        path="<stdin>" if str(path) == STDIN else str(path),
        kind=kind,
        rubric=rubric,
        default_kind=default_kind,
        verdict=verdict,
    )


def read_spec(path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A spec file's text, with the input rules every reader shares (size, binary, encoding)."""
    if path == STDIN:
        display = source_text.STDIN_NAME
        data = source_text.read_stdin_bytes(max_bytes)
    else:
        display = path
        source_text.check_size(source_text.check_file(Path(path), display), display, max_bytes)
        data = source_text.read_file_bytes(Path(path), display, max_bytes)
    text = source_text.decode_bytes(data, display)
    if not text.strip():
        raise InputError("is empty", path=display)
    return text


def score_files(
    arguments: Iterable[str],
    *,
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    default_kind: str | None = None,
    verdict: Verdict = Verdict(),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Report:
    """Score every file that ``arguments`` name (files, folders, globs, "-").

    A file that cannot be read or scored becomes an entry in ``Report.errors``; the others are
    still scored.
    """
    # A broken rubric or an unknown kind is one error for the whole run, not one per file.
    if rubric is not None and not isinstance(rubric, Rubric):
        rubric = load_rubric(rubric)
    elif kind is not None:
        rubric = load_rubric(kind)
    if default_kind is not None:
        load_rubric(default_kind)  # an unknown configured kind is one error, before any file
    documents: list[DocumentReport] = []
    problems: list[InputProblem] = []
    arguments = list(arguments)
    for item in expand_inputs(arguments, SPEC_SUFFIXES, skip_file=_not_a_spec):
        if isinstance(item, Skipped):
            if item.path in arguments:  # named on purpose: say why it is not scored
                problems.append(InputProblem(path=item.path, message=item.message))
            continue
        if isinstance(item, Problem):
            problems.append(InputProblem(path=item.path, message=item.message))
            continue
        try:
            documents.append(
                score_file(
                    item, kind=kind, rubric=rubric, default_kind=default_kind, verdict=verdict, max_bytes=max_bytes
                )
            )
        except TranslatorError as exc:
            message = str(exc)
            prefix = f"{exc.path}: " if exc.path else ""
            problems.append(InputProblem(path=exc.path or item, message=message.removeprefix(prefix)))
    return Report.build(documents, problems)
