"""spec-translator: turn ML research findings into engineering specs, and score specs.

The public API, small and typed:

    import translator
    result = translator.draft(Path("notes.md"), kind="feature-spec")   # -> Draft
    report = translator.score(Path("spec.md"))                        # -> DocumentReport
    report = translator.score_text("# Spec ...")                      # -> DocumentReport
    rubric = translator.load_rubric("tradeoff-memo")                  # -> Rubric

Names are loaded on first use, so importing the package (and scoring) never loads the LLM
libraries that drafting needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "draft": "translator.drafting",
    "adraft": "translator.drafting",
    "Draft": "translator.drafting",
    "DraftOptions": "translator.drafting",
    "Engine": "translator.drafting.options",
    "Usage": "translator.drafting",
    "Claim": "translator.drafting.grounding",
    "Grounding": "translator.drafting.grounding",
    "ModelSession": "translator.drafting.service",
    "score": "translator.rubric",
    "score_text": "translator.rubric",
    "score_file": "translator.rubric",
    "score_files": "translator.rubric",
    "load_rubric": "translator.rubric",
    "ConcernResult": "translator.rubric",
    "Criterion": "translator.rubric",
    "DocumentReport": "translator.rubric",
    "Finding": "translator.rubric",
    "InputProblem": "translator.rubric.report",
    "Report": "translator.rubric",
    "Rubric": "translator.rubric",
    "Severity": "translator.rubric",
    "Verdict": "translator.rubric",
    "SPEC_KINDS": "translator.kinds",
    "OpenQuestion": "translator.kinds",
    "FailureMode": "translator.kinds",
    "Detect": "translator.rubric.model",
    "Params": "translator.rubric.registry",
    "Summary": "translator.rubric.report",
    "SpecBase": "translator.kinds",
    "spec_model": "translator.kinds",
    "Notes": "translator.sources.model",
    "read_notes": "translator.sources",
    "TranslatorError": "translator.errors",
    "InputError": "translator.errors",
    "ConfigError": "translator.errors",
    "OutputError": "translator.errors",
    "RubricError": "translator.errors",
    "ModelServiceError": "translator.errors",
    "OutputInvalid": "translator.errors",
    "Refused": "translator.errors",
}

__all__ = [
    "SPEC_KINDS",
    "Claim",
    "ConcernResult",
    "ConfigError",
    "Criterion",
    "Detect",
    "DocumentReport",
    "Draft",
    "DraftOptions",
    "Engine",
    "FailureMode",
    "Finding",
    "Grounding",
    "InputError",
    "InputProblem",
    "ModelServiceError",
    "ModelSession",
    "Notes",
    "OpenQuestion",
    "OutputError",
    "OutputInvalid",
    "Params",
    "Refused",
    "Report",
    "Rubric",
    "RubricError",
    "Severity",
    "SpecBase",
    "Summary",
    "TranslatorError",
    "Usage",
    "Verdict",
    "__version__",
    "adraft",
    "draft",
    "load_rubric",
    "read_notes",
    "score",
    "score_file",
    "score_files",
    "score_text",
    "spec_model",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load lazily below
    from translator.drafting import Draft, DraftOptions, Usage, adraft, draft
    from translator.drafting.grounding import Claim, Grounding
    from translator.drafting.options import Engine
    from translator.drafting.service import ModelSession
    from translator.errors import (
        ConfigError,
        InputError,
        ModelServiceError,
        OutputError,
        OutputInvalid,
        Refused,
        RubricError,
        TranslatorError,
    )
    from translator.kinds import SPEC_KINDS, FailureMode, OpenQuestion, SpecBase, spec_model
    from translator.rubric import (
        ConcernResult,
        Criterion,
        DocumentReport,
        Finding,
        Report,
        Rubric,
        Severity,
        Verdict,
        load_rubric,
        score,
        score_file,
        score_files,
        score_text,
    )
    from translator.rubric.model import Detect
    from translator.rubric.registry import Params
    from translator.rubric.report import InputProblem, Summary
    from translator.sources import read_notes
    from translator.sources.model import Notes


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'translator' has no attribute {name!r}")
    return getattr(import_module(module), name)
