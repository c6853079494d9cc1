"""The spec kinds: one pydantic model per kind, keyed by the kind name rubrics use."""

from __future__ import annotations

from translator.kinds.base import FailureMode, GeneralSpec, OpenQuestion, SpecBase
from translator.kinds.feature_spec import FeatureSpec
from translator.kinds.model_card import ModelCard
from translator.kinds.model_change import ModelChangeSpec
from translator.kinds.risk_brief import RiskBrief
from translator.kinds.service_contract import ServiceContract
from translator.kinds.tradeoff_memo import MatrixRow, TradeoffMemo

SPEC_KINDS: dict[str, type[SpecBase]] = {
    model.kind: model
    for model in (GeneralSpec, ModelChangeSpec, FeatureSpec, TradeoffMemo, ServiceContract, RiskBrief, ModelCard)
}


def spec_model(kind: str) -> type[SpecBase]:
    """The pydantic model for ``kind`` (a built-in rubric name)."""
    try:
        return SPEC_KINDS[kind]
    except KeyError:
        raise KeyError(f"no spec model for kind {kind!r}; known: {', '.join(SPEC_KINDS)}") from None


__all__ = [
    "SPEC_KINDS",
    "FailureMode",
    "FeatureSpec",
    "GeneralSpec",
    "MatrixRow",
    "ModelCard",
    "ModelChangeSpec",
    "OpenQuestion",
    "RiskBrief",
    "ServiceContract",
    "SpecBase",
    "TradeoffMemo",
    "spec_model",
]
