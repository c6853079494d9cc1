"""Drafting: notes -> a spec of one kind, gated by the rubric and the grounding check.

Importing this package does not import openai or LangChain; the OpenAI engine loads them when
it first runs.
"""

from translator.drafting.api import OutputPaths, adraft, default_output, draft, with_sources, write_draft
from translator.drafting.options import DEFAULT_MODEL, DraftOptions
from translator.drafting.result import Draft
from translator.drafting.usage import Usage

__all__ = [
    "DEFAULT_MODEL",
    "Draft",
    "DraftOptions",
    "OutputPaths",
    "Usage",
    "adraft",
    "default_output",
    "draft",
    "with_sources",
    "write_draft",
]
