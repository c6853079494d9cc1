"""spec-translator: turn ML research findings into engineering specs, and score specs.

The public API, small and typed:

    import translator
    result = translator.draft(Path("notes.md"), kind="feature-spec")   # -> Draft
    report = translator.score(Path("spec.md"))                        # -> DocumentReport
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
    "score": "translator.rubric",
    "score_text": "translator.rubric",
    "score_files": "translator.rubric",
    "load_rubric": "translator.rubric",
    "DocumentReport": "translator.rubric",
    "Report": "translator.rubric",
    "Rubric": "translator.rubric",
    "SPEC_KINDS": "translator.kinds",
    "SpecBase": "translator.kinds",
    "spec_model": "translator.kinds",
    "read_notes": "translator.sources",
    "TranslatorError": "translator.errors",
    "InputError": "translator.errors",
    "RubricError": "translator.errors",
    "ModelServiceError": "translator.errors",
}

__all__ = [
    "SPEC_KINDS",
    "DocumentReport",
    "Draft",
    "DraftOptions",
    "InputError",
    "ModelServiceError",
    "Report",
    "Rubric",
    "RubricError",
    "SpecBase",
    "TranslatorError",
    "__version__",
    "adraft",
    "draft",
    "load_rubric",
    "read_notes",
    "score",
    "score_files",
    "score_text",
    "spec_model",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load lazily below
    from translator.drafting import Draft, DraftOptions, adraft, draft
    from translator.errors import InputError, ModelServiceError, RubricError, TranslatorError
    from translator.kinds import SPEC_KINDS, SpecBase, spec_model
    from translator.rubric import DocumentReport, Report, Rubric, load_rubric, score, score_files, score_text
    from translator.sources import read_notes


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'translator' has no attribute {name!r}")
    return getattr(import_module(module), name)
