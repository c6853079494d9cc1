"""The scorer against the labelled spec sets: the figures the README reports.

eval_sets/specs (the original set, written with the rules: it measures fit), specs/dev (the
blind corpus's study split) and specs/blind (measured, never tuned on). eval_sets/README.md
says what the labels mean and how the blind corpus was written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.evaluation import BLIND, DEV, SPECS, spec_agreement
from translator.rubric import load_rubric

KINDS = {"model-change", "feature-spec", "tradeoff-memo", "service-contract", "risk-brief", "model-card", "general"}


ROUND2 = SPECS / "round2"
# Written blind after the issue-8 tuning rounds, in styles no earlier round used; measured once.
ROUND3 = SPECS / "round3"
# Written blind in the fifth session by two new writers, in twenty styles no earlier round used.
ROUND4 = SPECS / "round4"
# Written blind in the sixth session by two new writers, in twenty styles no earlier round used.
ROUND5 = SPECS / "round5"


@pytest.mark.parametrize(
    "folder",
    [SPECS, DEV, BLIND, ROUND2, ROUND3, ROUND4, ROUND5],
    ids=["original", "dev", "blind", "round2", "round3", "round4", "round5"],
)
def test_labels_cover_exactly_each_kinds_concerns(folder: Path) -> None:
    entries = yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8"))
    assert len(entries) >= 30
    assert {e["kind"] for e in entries} >= KINDS
    for entry in entries:
        assert (folder / entry["file"]).is_file()
        assert set(entry["concerns"]) == set(load_rubric(entry["kind"]).concerns), entry["file"]
        assert set(entry["concerns"].values()) <= {"present", "incomplete", "missing"}


def test_the_blind_corpus_is_as_large_as_the_issue_asks() -> None:
    entries = [e for folder in (DEV, BLIND) for e in yaml.safe_load((folder / "labels.yaml").read_text("utf-8"))]
    assert len(entries) >= 150
    assert sum(len(e["concerns"]) for e in entries) >= 750


def test_scorer_agrees_with_the_original_labels() -> None:
    result = spec_agreement(SPECS)
    print("\n" + result.summary("original"))
    # A gap the scorer calls present is the costly error: an engineer builds from a spec that
    # lacks lineage and nobody said so. None is allowed.
    assert result.missed_gaps == []
    assert result.rate >= 0.95, "\n".join(result.disagreements)


@pytest.mark.parametrize(
    ("folder", "name", "agree_at_least", "false_alarms_at_most", "missed_gaps_at_most", "kinds_at_least"),
    # Floors at the figures measured after this round of work (after the previous round: dev
    # 554/657, 78 false alarms, 8 missed gaps, kind 75/83; blind 488/608, 96, 8, 61/77; round 2
    # 258/314, 46, 3, 34/40; before that round: dev 438/657, 179, 10, 45/83; blind 423/608, 150,
    # 9, 49/77; round 2 238/314, 61, 3). They stop a regression; the issue's targets (blind >= 97%,
    # <= 3% false alarms, no missed gap, kind >= 95%) are not met, and the README says so.
    [
        # Dev grew by 20 specs (x2, written blind, measured once before tuning: 125/154, 24, 2, 15/20),
        # then by 20 more (x1, measured untouched: 133/154, 16, 2, 18/20); 760/811, 34, 3, 90/103
        # before the fifth session's tuning (the opening's reading of decisions, then issue 8's
        # gate round), 936/965, 19, 1, 108/123 after it. The sixth session added 50 short specs
        # (d1, d2, measured untouched: 113/135, 18, 4, 14/25 and 110/137, 20, 3, 13/25): 1164/1237,
        # 52, 8, 135/173 before its tuning, 1198/1237, 21, 5, 135/173 after it. Then 50 specs of
        # the other kinds (d3, d4; untouched 180/225, 36, 4, 21/25 and 178/225, 40, 2, 20/25):
        # 1570/1687, 82, 11, 176/223 before tuning on them.
        # After tuning on them: 1610/1687, 42, 12, 176/223. The seventh session fitted the kind
        # detector's weights on dev (rubrics/kind-detector.json): kind 223/223 is fit, its
        # five-fold cross-validated figure is 299/331 (with the notes), printed by the fit script.
        (DEV, "dev", 1610, 42, 12, 223),
        # The fifth session's tuning: blind 524 -> 535, 64 -> 56 false alarms, 7 -> 7 missed;
        # round 2 269 -> 274, 36 -> 33, 1 -> 2; round 3 262 -> 265, 45 -> 45, 3 -> 4.
        # The sixth session's rounds (formula, opening, failure handling, validation, lineage and
        # cost, change, labels without bold or colon, model-card sections by content): blind
        # 535 -> 559, false alarms 56 -> 32, missed gaps 7 -> 9 (round 4: 5 -> 6): each rule
        # that reads more coverage reads some gap as coverage too (held out: not opened).
        # Kind: 61 before the notes kind cues (issue 13), 64 with hand-weighted cues, 68 with the
        # fitted detector (round 2: 34 -> 33, round 3: 32 -> 40, round 4: 34 -> 38, round 5:
        # 36 -> 39; held out: 200/237 -> 218/237).
        (BLIND, "blind", 559, 32, 9, 68),
        (ROUND2, "round2", 283, 24, 2, 33),  # 274, 33, 2 at the sixth session's start
        # Round 3, measured once: 240/323, 64, 2, 32/40 with the checker before the last tuning
        # round; 262/323, 45, 3, 32/40 after it.
        (ROUND3, "round3", 288, 23, 4, 40),  # 265, 45, 4 at the sixth session's start
        # Round 4, measured when committed: 263/308, 31, 4, 34/40 (the checker before the opening's
        # reading of decisions: 260/308, 34, 4); after issue 8's gate round: 266/308, 31, 5; after
        # the sixth session's reading of decisions (announcements, PR summaries, hedged
        # summaries): 265/308, 32, 5 (one more false alarm on recommendation; held out, not opened);
        # after its failure-handling round: 265/308, 33, 5; after its validation round: 265, 32, 6.
        (ROUND4, "round4", 276, 21, 6, 38),
        # Round 5, measured when committed (the same with the session's first checker and with the
        # formula's rule in words): 261/314, 44, 4, 36/40; after the session's tuning 280, 25, 4.
        (ROUND5, "round5", 280, 25, 4, 39),
    ],
)
def test_scorer_on_the_blind_corpus(
    folder: Path,
    name: str,
    agree_at_least: int,
    false_alarms_at_most: int,
    missed_gaps_at_most: int,
    kinds_at_least: int,
) -> None:
    result = spec_agreement(folder)
    print("\n" + result.summary(name))
    assert result.agreed >= agree_at_least
    assert len(result.false_alarms) <= false_alarms_at_most
    assert len(result.missed_gaps) <= missed_gaps_at_most
    assert result.kinds_right >= kinds_at_least


def test_concern_statuses_alone_are_what_the_full_score_reports() -> None:
    from translator.rubric.document import parse_document
    from translator.rubric.scoring import concern_statuses, score_document

    for folder in (SPECS, DEV):
        for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
            text = (folder / entry["file"]).read_text(encoding="utf-8")
            rubric = load_rubric(entry["kind"])
            doc = parse_document(text)
            assert concern_statuses(doc, rubric) == score_document(parse_document(text), rubric).concerns, entry["file"]
