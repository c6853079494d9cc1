"""feature-spec: a feature the feature-engineering team can build without asking back."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase


class FeatureSpec(SpecBase):
    kind: ClassVar[str] = "feature-spec"
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "formula",
        "lineage",
        "storage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    formula: list[str] = Field(description="the exact formula with its constants, written as an expression")
    storage: list[str] = Field(description="compute framework, feature-store name, dtype and storage location")
