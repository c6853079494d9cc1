"""risk-brief: a validation finding that puts a launch at risk, framed as a decision."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase


class RiskBrief(SpecBase):
    kind: ClassVar[str] = "risk-brief"
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "situation",
        "impact",
        "mitigation",
        "timeline",
        "lineage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    situation: list[str] = Field(description="what validation found, on which slice, with the numbers")
    impact: list[str] = Field(description="what happens to the launch and to users if nothing is done")
    mitigation: list[str] = Field(description="the options, each with its cost in time and risk")
    timeline: list[str] = Field(description="dates or durations of the recommended path")
