"""The offline drafter against the labelled notes (eval_sets/notes): the figures the README reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.evaluation import NOTES, NOTES_BLIND, NOTES_ROUND2, NOTES_ROUND3, NotesResult, notes_results
from translator.kinds import spec_model


@pytest.mark.parametrize(
    "folder", [NOTES, NOTES_BLIND, NOTES_ROUND2, NOTES_ROUND3], ids=["notes", "blind", "round2", "round3"]
)
def test_labels_partition_each_kinds_concerns(folder: Path) -> None:
    entries = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    assert len(entries) >= 10
    for entry in entries:
        text = (folder / entry["file"]).read_text(encoding="utf-8")
        assert set(entry["settled"]) | set(entry["open"]) == set(spec_model(entry["kind"]).concern_order), entry["file"]
        assert not set(entry["settled"]) & set(entry["open"]), entry["file"]
        for fact in entry["facts"]:
            assert str(fact) in text, f"{entry['file']}: fact {fact!r} is not verbatim in the notes"


def _line(name: str, result: NotesResult) -> str:
    return (
        f"\noffline drafter, {name}: facts kept {result.facts_kept}/{result.facts} = {result.fact_rate:.1%}, "
        f"claims traced to a notes line {result.claims}, invented {len(result.invented)}, unsettled concerns flagged {result.open_flagged}/{result.open_labels} "
        f"= {result.open_rate:.1%}, settled concerns asked anyway {result.settled_asked}/{result.settled_labels}"
    )


def test_offline_engine_keeps_facts_invents_nothing_and_asks_for_every_gap() -> None:
    result = notes_results(written_blind=False)
    print(_line("original notes", result))
    assert result.fact_rate >= 0.95, result.lost_facts
    assert result.invented == []
    assert result.unflagged == []


@pytest.mark.parametrize(
    ("folder", "name", "unflagged_at_most"),
    # Measured when these notes were committed, before any change to the drafter: a floor
    # that stops regressions; the issue-13 target is every gap flagged.
    # Round 2 was measured once, when it was committed (after the issue-13 tuning): 3 unflagged;
    # 4 after the issue-8 gate tuning (a gap the tuned rules read as settled; held out, so not
    # opened to fix).
    # The 16 f* dev notes (fifth session) came with 2 unflagged gaps (38/40 flagged).
    # Round 3 (sixth session), measured once when committed: 57/64 flagged; 56/64 after that
    # session's gate tuning (a gap the tuned rules read as settled; held out, not opened).
    [
        (NOTES, "blind-written dev notes", 9),
        (NOTES_BLIND, "blind notes", 6),
        (NOTES_ROUND2, "round-2 notes", 4),
        (NOTES_ROUND3, "round-3 notes", 8),
    ],
)
def test_offline_engine_on_notes_written_blind(folder: Path, name: str, unflagged_at_most: int) -> None:
    result = notes_results(folder, written_blind=True if folder == NOTES else None)
    print(_line(name, result))
    assert result.fact_rate >= 0.95, result.lost_facts
    assert result.invented == []
    assert len(result.unflagged) <= unflagged_at_most, result.unflagged


# -- issue 13: nothing dropped, the right kind, questions that quote the notes -----------------


def _issue13_line(name: str, result: NotesResult) -> str:
    counted = result.statements - sum(result.statements_dropped.values())
    return (
        f"\n{name}: statements kept {result.statements_kept}/{counted} = {result.statement_rate:.1%} "
        f"(documented drops {dict(result.statements_dropped)}); questions quoting the notes "
        f"{result.questions_quoting}/{result.questions} = {result.quoting_rate:.1%}, empty quotes "
        f"{len(result.empty_quotes)}; half-answered concerns quoted {result.half_answered_quoted}/"
        f"{result.half_answered}; kind detected {result.kinds_right}/{result.notes} = {result.kind_rate:.1%} "
        f"{dict(result.kind_sources)}"
    )


@pytest.mark.parametrize("folder", [NOTES, NOTES_BLIND, NOTES_ROUND2], ids=["notes", "blind", "round2"])
def test_every_statement_of_the_notes_is_in_the_draft(folder: Path) -> None:
    result = notes_results(folder)
    print(_issue13_line(folder.name, result))
    assert result.statement_rate == 1.0, result.lost_statements
    assert set(result.statements_dropped) <= {"title", "label", "placeholder"}


def test_statements_kept_on_the_round3_notes() -> None:
    # Measured once when committed: 485/486 kept. Held out: the lost statement is not shown, so
    # that nobody fixes the drafter on it; a floor stops a regression.
    result = notes_results(NOTES_ROUND3)
    print(_issue13_line("round3", result))
    assert len(result.lost_statements) <= 1, len(result.lost_statements)
    assert set(result.statements_dropped) <= {"title", "label", "placeholder"}


def test_questions_quote_the_notes_own_words_and_never_an_empty_quote() -> None:
    result = notes_results(NOTES)
    assert result.empty_quotes == []
    assert result.quoting_rate >= 0.80, result.questions_quoting


@pytest.mark.parametrize(
    ("folder", "right_at_least"),
    # Measured (issue 13, item 3): dev notes 30/31 (was 21/31), held-out notes 7/11 (was 6/11),
    # round-2 notes (written after the tuning, measured once) 7/14; the 24 dev notes written
    # blind after that (d*, e*) 12/24, so the dev set now stands at 42/55. The tuning fits the
    # notes it was made on more than it generalises. Regression floors; the issue-13 target
    # (90%) is missed, and the README says so.
    # Round 3 (sixth session, two new writers), measured once: 13/24.
    # The seventh session fitted the detector's weights (rubrics/kind-detector.json) on the dev
    # notes with the dev specs: dev 71/71 is fit (five-fold cross-validated: 299/331 of notes and
    # specs together); held out: blind 7 -> 11/11, round 2 7 -> 13/14, round 3 13 -> 21/24.
    [(NOTES, 71), (NOTES_BLIND, 11), (NOTES_ROUND2, 13), (NOTES_ROUND3, 21)],
    ids=["notes", "blind", "round2", "round3"],
)
def test_kind_detection_is_measured_apart_from_drafting_with_the_kind_given(folder: Path, right_at_least: int) -> None:
    # The drafter's detection (translator.drafting.rounds.detect_notes_kind: the scorer's
    # detect_kind, with the notes' front matter title), on notes read by translator.sources.
    result = notes_results(folder)
    print(_issue13_line("kind detection", result))
    assert sum(result.kind_sources.values()) == result.notes
    assert result.kinds_right + len(result.kind_errors) == result.notes
    # Only the dev notes' errors are shown: the held-out sets are never opened to fix one.
    assert result.kinds_right >= right_at_least, result.kind_errors if folder == NOTES else result.kinds_right


def test_filing_precision_on_the_labelled_subset() -> None:
    from tests.support.evaluation import filing_results

    result = filing_results()
    per_concern = ", ".join(f"{c} {t['right']}/{t['filed']}" for c, t in sorted(result.per_concern.items()))
    print(
        f"\nfiling precision {result.right}/{result.filed} = {result.precision:.1%} over {result.labelled} "
        f"labelled statements ({per_concern}); confusions (reader, drafter): {result.confusions.most_common(5)}"
    )
    assert result.labelled >= 50
    assert result.precision >= 0.9, result.confusions
