"""The rubric checker: Markdown -> sections -> checks -> a Report. Imports no LLM library."""

from translator.rubric.api import score, score_file, score_files
from translator.rubric.loader import builtin_kinds, load_rubric, load_vocabulary
from translator.rubric.model import Criterion, Rubric, Severity
from translator.rubric.report import ConcernResult, DocumentReport, Finding, Report
from translator.rubric.scoring import RubricChoice, Verdict, choose_rubric, detect_kind, score_text

__all__ = [
    "ConcernResult",
    "Criterion",
    "DocumentReport",
    "Finding",
    "Report",
    "Rubric",
    "RubricChoice",
    "Severity",
    "Verdict",
    "builtin_kinds",
    "choose_rubric",
    "detect_kind",
    "load_rubric",
    "load_vocabulary",
    "score",
    "score_file",
    "score_files",
    "score_text",
]
