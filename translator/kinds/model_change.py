"""model-change: a model evaluation report translated into the production change it implies."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase


class ModelChangeSpec(SpecBase):
    kind: ClassVar[str] = "model-change"
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "change",
        "lineage",
        "latency_cost",
        "failure_modes",
        "validation",
    )

    change: list[str] = Field(description="exactly what changes in production: feature, model version, threshold")
