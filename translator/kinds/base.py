"""Fields every spec kind shares, and the pieces they are built from.

The models double as the JSON schema the LLM must fill (structured output, strict mode), so
they follow its rules: every field required, no dict-typed fields, no non-null defaults.
Concern fields are named by their vocabulary key (``lineage``, ``latency_cost``...), which is
how the renderer, the gate and the repair loop find them.

Every statement in a concern field must be grounded in the notes. What the notes do not
settle goes into ``open_questions``, never into a concern field as if it were known.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema


class StructuredOutput(BaseModel):
    """A model that a model call fills through structured output.

    Its JSON schema is built once per class and argument set. LangChain and the openai SDK ask
    for it on every request (and the SDK edits the dict it gets in place), and pydantic builds
    it anew each time: that alone cost more client CPU per call than sending the request.
    """

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema: dict[str, Any] = json.loads(_schema_text(cls, args, tuple(sorted(kwargs.items()))))
        return schema


@cache
def _schema_text(model: type[StructuredOutput], args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps(BaseModel.model_json_schema.__func__(model, *args, **dict(kwargs)))  # type: ignore[attr-defined]


class FailureMode(StructuredOutput):
    condition: str = Field(
        description="what goes wrong, e.g. 'session_duration is 0' or 'the payments stream lags over 5 min'"
    )
    handling: str = Field(description="what the system does then, e.g. 'return null and log an error'")


class OpenQuestion(StructuredOutput):
    concern: str = Field(description="the concern key the question is about, e.g. 'lineage'")
    question: str = Field(description="one question for the researcher, answerable in a sentence")


class SpecBase(StructuredOutput):
    """The spec an ML engineer builds from. Kind models add their own concern fields."""

    kind: ClassVar[str] = "general"
    # Concern fields in the order the rendered spec shows them (recommendation first).
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "lineage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    title: str = Field(description="a short title naming the system and the change")
    recommendation: list[str] = Field(description="the decision or recommendation, one or two sentences, first")
    evidence: list[str] = Field(
        description="the findings behind it, metrics and identifiers copied verbatim from the notes"
    )
    lineage: list[str] = Field(description="data sources (tables, streams), update cadence and freshness SLA")
    latency_cost: list[str] = Field(description="serving latency (p95, ms) and compute or dollar cost")
    failure_modes: list[FailureMode] = Field(description="each failure condition with its handling")
    validation: list[str] = Field(description="validation method, duration or sample, and promote/rollback thresholds")
    open_questions: list[OpenQuestion] = Field(
        description="what the notes do not settle, one question per unsettled concern"
    )
    # Statements of the notes the offline drafter could not file under a concern: kept, under a
    # closing "From the notes (not filed)" section, so that nothing is dropped silently. Not part
    # of the schema a model fills (a model files or leaves out; it does not get this escape).
    unfiled: SkipJsonSchema[list[str]] = Field(default_factory=list)


class GeneralSpec(SpecBase):
    """A spec of no particular kind: the five general concerns."""
