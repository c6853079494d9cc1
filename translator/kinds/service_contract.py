"""service-contract: the interface an engineer codes against, and its non-functional requirements."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from translator.kinds.base import SpecBase


class ServiceContract(SpecBase):
    kind: ClassVar[str] = "service-contract"
    concern_order: ClassVar[tuple[str, ...]] = (
        "recommendation",
        "interface",
        "latency_cost",
        "refresh",
        "lineage",
        "failure_modes",
        "validation",
    )

    interface: list[str] = Field(description="what the service takes (fields, types) and returns, and the endpoint")
    refresh: list[str] = Field(description="what is cached or precomputed and how often it is refreshed")
