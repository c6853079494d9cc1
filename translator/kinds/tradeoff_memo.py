"""tradeoff-memo: a one-page decision memo comparing model options."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase, StructuredOutput


class MatrixRow(StructuredOutput):
    option: str = Field(description="the option, e.g. 'GBDT (current)'")
    accuracy: str = Field(description="accuracy gain, e.g. 'AUC 0.81' or 'not measured'")
    latency: str = Field(description="p95 latency impact, e.g. '12 ms' or 'not measured'")
    cost: str = Field(description="infrastructure cost, e.g. '$0.40 per 1M requests' or 'not measured'")
    maintenance: str = Field(description="maintenance complexity, e.g. 'low: one owner'")


class TradeoffMemo(SpecBase):
    kind: ClassVar[str] = "tradeoff-memo"
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "decision_matrix",
        "business_impact",
        "rollout",
        "lineage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    decision_matrix: list[MatrixRow] = Field(description="one row per option")
    business_impact: list[str] = Field(description="each metric change mapped to a business outcome")
    rollout: list[str] = Field(description="phases (shadow, canary %, full) with success and failure metrics")
