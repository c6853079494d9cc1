"""The recommendation counts only at the top (the opening): what the opening reads as a decision,
and what it does not. Each case is a small spec scored with the general rubric."""

from __future__ import annotations

import pytest

from translator.rubric import score_text

BODY = "\n\n## Data lineage\n\nReads payments.transactions, updated hourly.\n"


def _recommendation(opening: str) -> str:
    return score_text(f"# Queue sampling\n\n{opening}\n{BODY}", kind="general").concerns["recommendation"].status


@pytest.mark.parametrize(
    "opening",
    [
        "From Q3 we will fill the labelling queue with 70% uncertainty sampling.",
        "We ask the board to approve the change for the window above.",
        "This card supports the request to deploy SepsisWatch 3.0 on the adult wards.",
        "All search callers move to query-embed v3 by 1 October; v2 is removed on 15 October.",
        "Request: the feature team builds util_vel_90d for all open accounts.",
        "Status: approved for production from 2024-04-02, replacing ccasr 2.1.",
    ],
)
def test_a_decision_in_the_opening_is_the_recommendation(opening: str) -> None:
    assert _recommendation(opening) == "present"


@pytest.mark.parametrize(
    "opening",
    [
        "We will not decide until the backtest is in.",
        "We will run an A/B test on 5% of traffic for two weeks.",
        "We will look into the drift next sprint.",
        "Status: Draft",
    ],
)
def test_finding_out_is_no_decision(opening: str) -> None:
    assert _recommendation(opening) != "present"


def test_a_table_at_the_top_counts_as_one_block_of_the_opening() -> None:
    rows = "\n".join(f"| Field {n} | value {n} |" for n in range(8))
    spec = f"# CAB-2291\n\n| Field | Value |\n|---|---|\n{rows}\n\n## 1. Change summary\n\nRaise the decline threshold from 0.82 to 0.87.\n{BODY}"
    assert score_text(spec, kind="general").concerns["recommendation"].status == "present"


def test_a_quoted_reviewer_question_heads_the_answer_below_it() -> None:
    from translator.rubric.document import parse_document

    doc = parse_document("# Review\n\n> **Hana:** And the rollout?\n\nShadow for 2 weeks.\n")
    assert [block.quoted for block in doc.blocks] == [True, False]
