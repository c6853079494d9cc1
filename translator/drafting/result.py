"""Draft: what drafting returns, whichever engine or batch mode produced it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SerializeAsAny

from translator.drafting.grounding import Grounding
from translator.drafting.usage import Usage
from translator.kinds import OpenQuestion, SpecBase
from translator.rubric.report import DocumentReport
from translator.rubric.scoring import KindSource


class Draft(BaseModel):
    """A drafted spec, the gate's verdict on it, and what it cost."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: str | None
    kind: str
    # How the kind was chosen: declared (--kind or front matter), detected from the notes by
    # the scorer's own detector, or fallback (no kind was clear, so general).
    kind_source: KindSource = "declared"
    engine: str
    model: str | None = None
    prompt_versions: str | None = None
    accepted: bool
    rounds: int = 0  # repair rounds used
    spec: SerializeAsAny[SpecBase] | None
    markdown: str
    report: DocumentReport | None
    grounding: Grounding  # every claim -> its notes line, or ungrounded with the reason
    usage: Usage
    failure: str | None = None  # why there is no valid spec at all, when there is none

    @property
    def questions(self) -> list[OpenQuestion]:
        return list(self.spec.open_questions) if self.spec is not None else []

    @property
    def score(self) -> int | None:
        return self.report.score if self.report is not None else None
