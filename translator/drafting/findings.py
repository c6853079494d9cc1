"""What the extraction step pulls out of the notes (the chain's first structured output)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from translator.kinds import SPEC_KINDS
from translator.kinds.base import StructuredOutput


class MetricDelta(StructuredOutput):
    metric: str = Field(description="the metric, e.g. 'precision at recall 0.48'")
    baseline: str = Field(description="the baseline value as written, or '' if not stated")
    new: str = Field(description="the new value as written")
    dataset: str = Field(description="the dataset or slice it was measured on, or '' if not stated")


class Findings(StructuredOutput):
    decisions: list[str] = Field(description="decisions or recommendations the notes state, verbatim")
    claims: list[str] = Field(description="findings stated in the notes, one per item")
    metric_deltas: list[MetricDelta] = Field(description="every metric change, with values copied verbatim")
    identifiers: list[str] = Field(description="feature, table, model, service and topic names, verbatim")
    constraints: list[str] = Field(description="stated requirements: latency budgets, SLAs, costs, cadences, deadlines")
    uncertainties: list[str] = Field(description="what the notes say is unknown, untested or unclear")

    def merge(self, other: Findings) -> Findings:
        """Findings of two parts of long notes, as one (order kept, duplicates dropped)."""
        merged = {}
        for name in type(self).model_fields:
            items = [*getattr(self, name), *getattr(other, name)]
            seen: list[object] = []
            for item in items:
                if item not in seen:
                    seen.append(item)
            merged[name] = seen
        return Findings.model_validate(merged)


Kind = Literal[tuple(SPEC_KINDS)]  # type: ignore[valid-type]


class KindChoice(StructuredOutput):
    kind: Kind = Field(description="the spec kind the findings call for")  # type: ignore[valid-type]
    reason: str = Field(description="one sentence on why")
