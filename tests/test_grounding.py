"""Grounding: claims (figures with units, changes, whole identifiers, concern statements) traced
to notes lines. The adversarial set (tests/test_adversarial.py) runs the whole draft path."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from translator.cli import main
from translator.drafting.gate import run_gate
from translator.drafting.grounding import figures, ground, identifiers
from translator.kinds import FailureMode, spec_model

ROOT = Path(__file__).resolve().parents[1]


def _spec(kind: str = "general", **fields: object):  # type: ignore[no-untyped-def]
    model = spec_model(kind)
    empty = {name: ("" if name == "title" else []) for name in model.model_fields}
    return model.model_validate({**empty, "title": "t", **fields})


def _claims(notes: str, **fields: object) -> dict[str, tuple[str, str | None]]:
    grounding, _ = ground(_spec(**fields), notes)
    return {c.claim: (c.status, c.reason) for c in grounding.claims}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5–10 ms", [("5", "time"), ("10 ms", "time")]),
        ("~2k QPS", [("2k QPS", "rate")]),
        ("1.2M rows", [("1.2M rows", "count row")]),
        ("0.4%", [("0.4%", "share")]),
        ("$0.40/1M requests", [("$0.40/1M requests", "money usd")]),
        ("costs $48 per month", [("$48 per month", "money usd")]),
        ("lag 5m", [("5m", "time")]),
        ("fraud_gbdt v15 on 2026-03-15, review of 15 March at 10:30", []),
        ("1) ship it", []),
        ("2) 48 hours of shadow", [("48 hours", "time")]),
        ("the 2nd run", []),
        ("2024579862673708.5450734006000166", [("2024579862673708.5450734006000166", "")]),
    ],
)
def test_figures_carry_unit_and_quantity_and_never_dates_versions_or_numbering(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(f.text, f.quantity) for f in figures(text)] == expected


def test_unusual_input_never_crashes_grounding() -> None:
    alphabet = "0123456789.,$%~–-/:kKmMvVx ()#\n\t€£µsh QPS ms→->`_aZ"
    rng = random.Random(9)
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        figures(text)
        identifiers(text)
        ground(_spec(evidence=[text], lineage=[text]), text[::-1])


def test_a_number_needs_the_same_quantity_in_the_notes() -> None:
    notes = "Review of 15 March, 48 attendees. Shadow for 48 hours. Lookup adds 4 ms p95."
    claims = _claims(notes, latency_cost=["adds 15 ms p95 and costs $48 per month", "4 ms p95"])
    assert claims["15 ms"][0] == "ungrounded" and "15 March" in str(claims["15 ms"][1])
    assert claims["$48 per month"][0] == "ungrounded" and "48 attendees" in str(claims["$48 per month"][1])
    assert claims["4 ms"][0] == "grounded"
    claims = _claims(notes, validation=["shadow for 48 minutes", "shadow for 2 days"])
    assert claims["48 minutes"][0] == "ungrounded" and claims["2 days"][0] == "grounded"


def test_money_keeps_its_period_and_a_change_its_direction() -> None:
    notes = "compute cost $310 per month\nprecision 0.62 -> 0.67"
    claims = _claims(notes, latency_cost=["$310 per day", "$310 per month"], evidence=["precision 0.67 -> 0.62"])
    assert claims["$310 per day"][0] == "ungrounded" and claims["$310 per month"][0] == "grounded"
    assert claims["0.67 -> 0.62"][0] == "ungrounded" and "swapped" in str(claims["0.67 -> 0.62"][1])


def test_identifiers_must_be_whole() -> None:
    notes = "reads payments.transactions_raw_v2 and `transaction_velocity_last_1h`; ship v15."
    claims = _claims(notes, lineage=["payments.transactions", "payments.transactions_raw_v2."], evidence=["v16", "v15"])
    assert claims["payments.transactions"] == ("ungrounded", "only part of a longer name in the notes")
    assert claims["payments.transactions_raw_v2"][0] == "grounded"
    assert claims["v16"][0] == "ungrounded" and claims["v15"][0] == "grounded"


def test_concern_statements_need_notes_that_state_them() -> None:
    notes = "Source: payments.tx_raw table, refreshed hourly.\nCadence of the online path: not decided, real-time would be nice."
    claims = _claims(notes, lineage=["payments.tx_raw table, refreshed hourly", "payments.tx_raw table, real-time"])
    assert claims["payments.tx_raw table, refreshed hourly"][0] == "grounded"
    # "real-time" is in the notes only in a hedged sentence: the notes never say it is.
    status, reason = claims["payments.tx_raw table, real-time"]
    assert status == "ungrounded" and "real-time" in str(reason)


def test_an_invented_lineage_leaves_lineage_missing_and_asks_for_it() -> None:
    notes = "precision 0.62 -> 0.67. We recommend shipping v15."
    invented = "The payments Kafka topic, updated in real time, with a freshness SLA of a few minutes."
    for fields in ({"lineage": [invented]}, {"evidence": [invented]}):
        gate = run_gate(_spec(recommendation=["We recommend shipping v15."], **fields), notes)
        assert gate.report.concerns["lineage"].status == "missing" and not gate.accepted
        assert gate.grounding.findings and gate.grounding.findings[0].rule == "grounding"
        assert invented in gate.markdown.split("## Assumptions (not in the notes)")[1]
        assert gate.spec is not None and invented not in gate.spec.lineage + gate.spec.evidence


def test_failure_modes_are_grounded_as_statements() -> None:
    notes = "If velocity is missing, fall back to the v14 score."
    faithful = FailureMode(condition="If velocity is missing", handling="fall back to the v14 score")
    invented = FailureMode(condition="If the stream lags", handling="serve cached scores and page on-call")
    claims = _claims(notes, failure_modes=[faithful, invented])
    statuses = {claim.split(" ")[3]: status for claim, (status, _) in claims.items() if claim.startswith("If")}
    assert statuses == {"missing": "grounded", "lags": "ungrounded"}


def test_the_grounding_rule_is_rubric_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "show", "general"]) == 0
    assert "grounding (grounding)" in capsys.readouterr().out


def test_score_skips_grounding_and_the_gate_runs_it(tmp_path: Path) -> None:
    """`translator score` has no notes: grounding is not applicable there, never a finding."""
    from translator.rubric import score_text

    spec = _spec(lineage=["payments.events table, hourly"])
    gate = run_gate(spec, "nothing about it")
    assert gate.grounding.findings
    report = score_text(gate.markdown, kind="general")
    assert report == gate.report.model_copy(update={"path": report.path})
    assert not any(f.rule == "grounding" for f in report.findings)


def test_repair_picks_findings_by_check_type_not_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A house rubric renames the rules: the grounding finding is still sent for repair, the
    lineage gap the draft already asks about still is not."""
    from translator.drafting.rounds import repairable
    from translator.kinds import OpenQuestion
    from translator.rubric import Verdict

    house = tmp_path / "house.yaml"
    house.write_text(
        "version: 1\nkind: house\nextends: general\ndisable: [grounding, lineage-present]\ncriteria:\n"
        "  - id: claims-from-notes\n    check: grounding\n    message: Not in the notes.\n"
        "    params: {statements: {lineage: [source, cadence]}}\n"
        "  - id: lineage-named\n    concern: lineage\n    check: concern_present\n    message: No lineage.\n",
        encoding="utf-8",
    )
    verdict = Verdict(rubric=str(house))
    spec = _spec(
        latency_cost=["adds 9 ms p95"],
        open_questions=[OpenQuestion(concern="lineage", question="Where from?")],
    )
    gate = run_gate(spec, "nothing", verdict=verdict)
    rules = {f.rule for f in repairable(gate, spec, verdict)}
    assert "claims-from-notes" in rules and "lineage-named" not in rules


def test_show_sources_ends_the_spec_with_its_provenance(tmp_path: Path) -> None:
    out = tmp_path / "fv.spec.md"
    notes = ROOT / "examples" / "notes" / "fraud-velocity.md"
    assert main(["draft", str(notes), "--engine", "offline", "-q", "-o", str(out), "--show-sources"]) == 0
    markdown = out.read_text()
    table = markdown.split("## Provenance")[1]
    assert "| 0.62 -> 0.67 | change | " in table and "fraud-velocity.md:11 |" in table
    grounding = json.loads(out.with_suffix(".json").read_text())["grounding"]
    claim = next(c for c in grounding["claims"] if c["claim"] == "6 ms")
    assert claim["status"] == "grounded" and claim["origin"].endswith("fraud-velocity.md:17")
    assert "6 ms p95" in claim["source"]
    # The table changes nothing the rubric reads: score on the file gives the gate's score.
    assert main(["score", str(out), "-f", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert (
        json.loads((tmp_path / "r.json").read_text())["documents"][0]["score"]
        == json.loads(out.with_suffix(".json").read_text())["report"]["score"]
    )
