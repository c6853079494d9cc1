"""The scoring report: the public JSON contract (schema_version 1).

Other tools, CI pipelines and our own eval read this shape. Add fields freely; renaming or
removing one, or changing a meaning, needs a schema_version bump and a note in the README.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field

from translator.rubric.model import Severity

SCHEMA_VERSION = 1

Status = Literal["present", "incomplete", "missing"]


class Finding(BaseModel):
    rule: str = Field(description="the criterion id, e.g. lineage-adequate")
    concern: str | None = None
    severity: Severity
    message: str
    line: int | None = Field(
        default=None, description="1-based line in the document; null when the problem is an absence"
    )
    hint: str | None = None


class ConcernResult(BaseModel):
    status: Status
    line: int | None = None
    evidence: str | None = Field(default=None, description="the text that located the concern, shortened")


class DocumentReport(BaseModel):
    path: str
    kind: str
    kind_source: Literal["declared", "detected", "fallback"] = Field(
        default="declared",
        description="declared (front matter, --kind, --rubric or config), detected, or fallback (general: no kind was clear)",
    )
    rubric: str
    score: int = Field(ge=0, le=100)
    passed: bool
    concerns: dict[str, ConcernResult]
    findings: list[Finding]
    suppressed: int = Field(default=0, description="findings silenced by inline <!-- translator: disable=... -->")


class InputProblem(BaseModel):
    path: str
    message: str


class Summary(BaseModel):
    documents: int
    passed: int
    failed: int
    errors: int
    mean_score: float | None
    gaps: dict[str, int] = Field(description="concern -> documents where it is missing or incomplete")


class Report(BaseModel):
    schema_version: Literal[1] = 1  # SCHEMA_VERSION
    documents: list[DocumentReport]
    errors: list[InputProblem] = Field(default_factory=list)
    summary: Summary

    @classmethod
    def build(cls, documents: list[DocumentReport], errors: list[InputProblem] | None = None) -> Report:
        errors = errors or []
        gaps: Counter[str] = Counter()
        for document in documents:
            for key, result in document.concerns.items():
                if result.status != "present":
                    gaps[key] += 1
        passed = sum(1 for d in documents if d.passed)
        mean = round(sum(d.score for d in documents) / len(documents), 1) if documents else None
        summary = Summary(
            documents=len(documents),
            passed=passed,
            failed=len(documents) - passed,
            errors=len(errors),
            mean_score=mean,
            gaps=dict(gaps.most_common()),
        )
        return cls(documents=documents, errors=errors, summary=summary)

    @property
    def exit_code(self) -> int:
        """0 all pass, 1 some document fails the rubric, 2 some input could not be read."""
        if self.errors:
            return 2
        return 0 if all(d.passed for d in self.documents) else 1
