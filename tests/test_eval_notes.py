"""The offline drafter against the labelled notes (eval_sets/notes): the figures the README reports."""

from __future__ import annotations

import yaml

from tests.support.evaluation import NOTES, notes_results
from translator.kinds import spec_model


def test_labels_partition_each_kinds_concerns() -> None:
    entries = yaml.safe_load((NOTES / "labels.yaml").read_text(encoding="utf-8"))
    assert len(entries) >= 12
    for entry in entries:
        text = (NOTES / entry["file"]).read_text(encoding="utf-8")
        assert set(entry["settled"]) | set(entry["open"]) == set(spec_model(entry["kind"]).concern_order), entry["file"]
        assert not set(entry["settled"]) & set(entry["open"]), entry["file"]
        for fact in entry["facts"]:
            assert str(fact) in text, f"{entry['file']}: fact {fact!r} is not verbatim in the notes"


def test_offline_engine_keeps_facts_invents_nothing_and_asks_for_every_gap() -> None:
    result = notes_results()
    print(
        f"\noffline drafter: facts kept {result.facts_kept}/{result.facts} = {result.fact_rate:.1%}, "
        f"invented {len(result.invented)}, unsettled concerns flagged {result.open_flagged}/{result.open_labels} "
        f"= {result.open_rate:.1%}, settled concerns asked anyway {result.settled_asked}/{result.settled_labels}"
    )
    assert result.fact_rate >= 0.95, result.lost_facts
    assert result.invented == []
    assert result.unflagged == []
