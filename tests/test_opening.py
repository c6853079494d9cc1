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
        # Announced from when it holds, as a release note or a runbook does.
        "From the 1.18 client release, live captions fail over to the on-device model.",
        "A: From 3 June, reports scoring 0.92 or above skip general triage.",
        "As of release 2024.31 the embedding job runs every 4 hours instead of daily.",
        "Receipt OCR v3 is now rolled out to 100% of users.",
        "- **Image categoriser `catnet` upgraded from v7.1 to v7.2, live in all marketplaces.**",
        # A pull request's or a ticket's summary, and a decision log's lines.
        "Adds the `dwell_time_7d` feature to the ranker and makes v19 the default model.",
        "**FRD-1182 · Lower the decline threshold 0.82 → 0.76**",
        "Change the decline threshold for `card_velocity_gbm` from 0.82 to 0.76.",
        "**Decided today:** we add `user_7d_category_ctr` to the pCTR model.",
        "**GO** for automatic rejection on Line 4 from the 23 Sep shift.",
        "This is the decided cadence; the daily schedule has been removed.",
        "**Call: we go with Option C, keeping LambdaMART as the first stage.**",
        "hey folks, we need a new feature built for the bid shading model. Ask is to get it into the online store.",
        "**Status:** Accepted (2024-03-19). We will run the small Conformer on device.",
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
        "From the data we see a drift in the EU segment.",
        "p95 latency increased from 180 ms to 210 ms after the upgrade.",
        "Before we renew the reservation, I'd like us to settle whether we stay on Kaldi or move to Whisper.",
        "About 2,300 applicants a week are declined who would have been approved before.",
    ],
)
def test_finding_out_is_no_decision(opening: str) -> None:
    assert _recommendation(opening) != "present"


def test_a_summary_hedged_into_no_decision_decides_nothing() -> None:
    summary = (
        "This RFC looks at adding a safety check to the assistant. One option would be a small "
        "classifier; another would be the vendor endpoint. We could also consider both."
    )
    spec = f"# RFC-0087\n\n## 1. Summary\n\n{summary}\n{BODY}"
    assert score_text(spec, kind="general").concerns["recommendation"].status != "present"
    # One hedge under a decision heading leaves the decision standing.
    spec = f"# RFC-0087\n\n## Decision\n\nThe classifier on every response in the EU; perhaps the UK later.\n{BODY}"
    assert score_text(spec, kind="general").concerns["recommendation"].status == "present"


def test_the_title_names_the_document_not_a_list_of_options() -> None:
    spec = f"# A/B test plan: neural spelling correction\n\n**Proposal:** We will replace the dictionary speller with speller-t5.\n{BODY}"
    assert score_text(spec, kind="general").concerns["recommendation"].status == "present"


def test_a_table_at_the_top_counts_as_one_block_of_the_opening() -> None:
    rows = "\n".join(f"| Field {n} | value {n} |" for n in range(8))
    spec = f"# CAB-2291\n\n| Field | Value |\n|---|---|\n{rows}\n\n## 1. Change summary\n\nRaise the decline threshold from 0.82 to 0.87.\n{BODY}"
    assert score_text(spec, kind="general").concerns["recommendation"].status == "present"


def test_a_quoted_reviewer_question_heads_the_answer_below_it() -> None:
    from translator.rubric.document import parse_document

    doc = parse_document("# Review\n\n> **Hana:** And the rollout?\n\nShadow for 2 weeks.\n")
    assert [block.quoted for block in doc.blocks] == [True, False]
