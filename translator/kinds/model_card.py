"""model-card: the sections of Mitchell et al. (2019)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase


class ModelCard(SpecBase):
    kind: ClassVar[str] = "model-card"
    concern_order: ClassVar[tuple[str, ...]] = (
        "model_details",
        "intended_use",
        "factors",
        "metrics",
        "evaluation_data",
        "training_data",
        "quantitative_analyses",
        "ethical_considerations",
        "caveats",
        "recommendation",
        "lineage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    model_details: list[str] = Field(description="architecture, version, owner, date, licence")
    intended_use: list[str] = Field(description="primary uses and out-of-scope uses")
    factors: list[str] = Field(description="groups, instruments or environments performance varies across")
    metrics: list[str] = Field(description="the metrics reported and why, with decision thresholds")
    evaluation_data: list[str] = Field(description="the evaluation dataset and how it was drawn")
    training_data: list[str] = Field(description="the training data source and period")
    quantitative_analyses: list[str] = Field(description="results overall and per factor, with numbers")
    ethical_considerations: list[str] = Field(description="biases, harms and sensitive uses considered")
    caveats: list[str] = Field(description="known limitations and further testing recommended")
