"""The kind detector: fitted weights read as data, an honest fallback when unsure."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from translator.errors import RubricError
from translator.rubric import kind_detector
from translator.rubric.document import parse_document
from translator.rubric.kind_detector import guess_kind, kind_features
from translator.rubric.loader import builtin_kinds
from translator.rubric.scoring import choose_rubric


def test_the_weights_cover_every_built_in_kind_and_every_kinds_cues() -> None:
    data = json.loads((Path(kind_detector.__file__).parents[2] / "rubrics" / "kind-detector.json").read_text())
    assert sorted(data["classes"]) == sorted(builtin_kinds())
    cue_kinds = {name.split(":")[0] for name in data["weights"] if name[:2] not in ("t:", "h:", "b:")}
    assert cue_kinds == set(builtin_kinds()) - {"general"}


def test_features_name_cues_and_words_by_where_they_stand() -> None:
    doc = parse_document("# Launch risk: recall drop\n\n## Mitigation options\n\nDelay the launch by a week.\n")
    features = kind_features(doc)
    assert features["risk-brief:title"] > 0 and features["risk-brief:headings"] > 0
    assert "t:recal" in features or "t:recall" in features
    assert any(name.startswith("h:") for name in features)


def test_probabilities_sum_to_one_and_a_clear_kind_is_detected() -> None:
    guess = guess_kind(
        parse_document(
            "# Launch risk\n\n## Situation\nRecall fell on one slice.\n## Mitigation options\nDelay.\n## Timeline\nGo/no-go Friday.\n"
        )
    )
    assert guess.kind == "risk-brief" and not guess.unsure
    assert abs(sum(guess.probabilities.values()) - 1) < 1e-9
    assert guess.confidence == max(guess.probabilities.values())


def test_an_unsure_detector_falls_back_to_general_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the bar above any probability the detector can give, nothing is clear enough.
    real = kind_detector._weights()
    monkeypatch.setattr(kind_detector, "_weights", lambda: dataclasses.replace(real, confidence=1.01))
    doc = parse_document("# Launch risk\n\n## Situation\nRecall fell.\n## Mitigation options\nDelay.\n")
    guess = guess_kind(doc)
    assert guess.kind == "general" and guess.unsure
    assert choose_rubric(doc).kind_source == "fallback"


def test_a_broken_weight_file_is_a_rubric_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "kind-detector.json").write_text(
        '{"classes": ["general"], "bias": [0], "weights": {}, "confidence": 0.3}'
    )
    monkeypatch.setattr(kind_detector, "data_dir", lambda name: tmp_path)
    kind_detector._weights.cache_clear()
    try:
        with pytest.raises(RubricError, match="not the built-in kinds"):
            kind_detector._weights()
        (tmp_path / "kind-detector.json").write_text("{not json")
        kind_detector._weights.cache_clear()
        with pytest.raises(RubricError, match="cannot be read"):
            kind_detector._weights()
    finally:
        monkeypatch.undo()
        kind_detector._weights.cache_clear()
