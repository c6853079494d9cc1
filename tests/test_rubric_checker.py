"""The rubric checker on small, purpose-written specs: each test pins one rule of what counts."""

from __future__ import annotations

import textwrap

import pytest

from translator.errors import InputError
from translator.rubric import Severity, Verdict, detect_kind, score_text
from translator.rubric.document import normalise_phrase, parse_document

GOOD_CHANGE = """\
# Fraud model: add transaction velocity

We recommend adding `transaction_velocity_last_1h` to fraud-model v14.

## Engineering requirements

- Ingest from the `payments.transactions` Kafka topic, real-time, max lag 5 min.
- The feature lookup adds 8 ms p95 at 2k QPS.

## What can go wrong

- If the velocity feature is missing, fall back to the v13 score and log a warning.

## Validation

Shadow mode for 48 hours; promote if precision >= 0.66, else roll back.
"""


def doc(text: str) -> str:
    return textwrap.dedent(text)


def recommended(body: str) -> str:
    """A small spec that states its decision, then ``body``: for tests of one other concern."""
    return f"# Change\n\nWe recommend the change.\n\n{body}\n"


def statuses(text: str, kind: str = "general") -> dict[str, str]:
    report = score_text(doc(text), kind=kind)
    return {key: result.status for key, result in report.concerns.items()}


def rules(text: str, kind: str = "general") -> list[str]:
    return [f.rule for f in score_text(doc(text), kind=kind).findings]


class TestDocumentModel:
    def test_headings_of_every_style_become_sections_with_lines(self) -> None:
        parsed = parse_document(
            doc("""\
            Title
            =====

            Where the data comes from
            -------------------------

            ## 3. Data Lineage & SLAs
            text
            """)
        )
        assert [(s.title, s.line, s.level) for s in parsed.sections] == [
            ("Title", 1, 1),
            ("Where the data comes from", 4, 2),
            ("3. Data Lineage & SLAs", 7, 2),
        ]
        assert parsed.sections[0].is_title
        assert parsed.sections[2].heading == "data lineage and slas"

    def test_code_fences_and_comments_are_not_text(self) -> None:
        parsed = parse_document("Intro.\n\n```\nlineage: kafka topic, hourly\n```\n\n<!-- lineage hourly -->\n")
        assert [b.text for b in parsed.blocks] == ["Intro."]
        assert parsed.code_lines == 3

    def test_lead_ins_bold_and_label(self) -> None:
        parsed = parse_document(
            doc("""\
            **Data lineage.** From `events.clicks`, hourly.

            1. **Validation**: shadow for 48 hours.

            Failure modes: if the topic lags, serve the cached score.
            """)
        )
        assert [(b.lead_in, b.body) for b in parsed.blocks] == [
            ("data lineage", "From `events.clicks`, hourly."),
            ("validation", "shadow for 48 hours."),
            ("failure modes", "if the topic lags, serve the cached score."),
        ]

    def test_labels_a_writer_puts_without_bold_or_colon(self) -> None:
        parsed = parse_document(
            doc("""\
            - [x] **Owner and provenance:** built by Retention Analytics.
            - ✅ Fallback: serve v3 scores.

            If it fails in prod
            - edge box offline → PLC falls back to the rule-based check

            1. Model details
               2.1 Built by the Network Analytics team.
               2.2 Type: a Temporal Fusion Transformer.

            We shadowed it for a week.
            - one point
            """)
        )
        assert [(b.lead_in, b.body) for b in parsed.blocks] == [
            ("owner and provenance", "built by Retention Analytics."),
            ("fallback", "serve v3 scores."),
            ("if it fails in prod", ""),  # a short line heading a list is its label
            (None, "edge box offline → PLC falls back to the rule-based check"),
            ("model details", ""),  # an outline's item over its numbered lines
            (None, "2.1 Built by the Network Analytics team."),
            ("type", "a Temporal Fusion Transformer."),
            (None, "We shadowed it for a week."),  # a sentence stays text
            (None, "one point"),
        ]

    def test_table_rows_are_blocks_with_their_lines(self) -> None:
        parsed = parse_document("| option | p95 |\n|---|---|\n| GBDT | 12 ms |\n| transformer | 95 ms |\n")
        assert [(b.kind, b.text, b.line) for b in parsed.blocks] == [
            ("table_row", "option | p95", 1),
            ("table_row", "GBDT | 12 ms", 3),
            ("table_row", "transformer | 95 ms", 4),
        ]

    def test_malformed_front_matter_is_an_input_error(self) -> None:
        with pytest.raises(InputError, match="front matter is not valid YAML"):
            parse_document("---\nkind: [unclosed\n---\n# Title\n", "spec.md")

    def test_normalise_phrase_strips_numbering_and_punctuation(self) -> None:
        assert normalise_phrase("2.1) Trade-offs & Costs:") == "trade offs and costs"
        assert normalise_phrase("TL;DR") == "tl dr"


class TestConcernStatus:
    def test_complete_spec_has_every_concern_present(self) -> None:
        report = score_text(GOOD_CHANGE, kind="model-change")
        assert {k: v.status for k, v in report.concerns.items()} == dict.fromkeys(report.concerns, "present")
        assert report.passed and report.score == 100

    def test_latency_found_by_content_under_another_heading(self) -> None:
        report = score_text(GOOD_CHANGE, kind="model-change")
        latency = report.concerns["latency_cost"]
        assert latency.line == 8 and "8 ms p95" in (latency.evidence or "")

    def test_heading_alias_locates_a_concern(self) -> None:
        result = statuses("""\
            ## What can go wrong
            - If `session_duration` is 0, return null and log an error.
            """)
        assert result["failure_modes"] == "present"

    def test_named_but_inadequate_is_incomplete(self) -> None:
        result = statuses("""\
            ## Data lineage
            Comes from the `crm.accounts` table.

            ## Failure modes
            - Upstream outage.
            - Missing values.

            ## Validation
            We'll A/B test it.
            """)
        assert result["lineage"] == "incomplete"
        assert result["failure_modes"] == "incomplete"
        assert result["validation"] == "incomplete"

    def test_failure_handling_must_pair_with_its_condition(self) -> None:
        # A condition in one bullet and a handling in another is not a failure mode with handling.
        result = statuses("""\
            ## Failure modes
            - If the topic lags behind.
            - Alerts go to the on-call channel.
            """)
        assert result["failure_modes"] == "incomplete"

    def test_placeholder_bodies_count_as_missing(self) -> None:
        report = score_text(
            doc("""\
            ## Latency
            TBD

            ## Failure modes
            [More Information Needed]
            """),
            kind="general",
        )
        assert report.concerns["latency_cost"].status == "missing"
        assert report.concerns["latency_cost"].evidence == "placeholder: TBD"
        assert report.concerns["failure_modes"].status == "missing"
        present = next(f for f in report.findings if f.rule == "latency-cost-present")
        assert present.line == 1 and "TBD" in present.message

    def test_empty_section_counts_as_missing(self) -> None:
        assert statuses("## Validation\n\n## Rollout\nShip it.\n")["validation"] == "missing"

    def test_text_in_code_fences_never_counts(self) -> None:
        result = statuses("""\
            ## Notes
            ```yaml
            lineage: payments.transactions, streaming, max lag 5 min
            latency: 8 ms p95
            ```
            """)
        assert result["lineage"] == "missing"
        assert result["latency_cost"] == "missing"

    def test_vague_latency_section_is_incomplete_and_flagged(self) -> None:
        report = score_text("## Serving budget\nShould be fast, minimal overhead.\n", kind="general")
        assert report.concerns["latency_cost"].status == "incomplete"
        vague = [f for f in report.findings if f.rule == "quantified-claims"]
        assert [f.line for f in vague] == [2, 2]

    def test_questions_state_nothing(self) -> None:
        result = statuses("""\
            ## Open questions
            - Which source (table, stream, topic) does the data come from, and at what cadence and freshness SLA?
            - What does this cost in serving latency (p95, in ms)?
            """)
        assert result["lineage"] == "missing" and result["latency_cost"] == "missing"

    def test_open_questions_section_is_never_content(self) -> None:
        result = statuses("""\
            ## Open questions
            - Lineage: the `payments.transactions` topic, probably hourly. The notes say so.
            - Latency: p95 was 12 ms in the notebook.
            """)
        assert result["lineage"] == "missing" and result["latency_cost"] == "missing"

    def test_inline_code_counts(self) -> None:
        result = statuses("**Lineage:** reads `payments.transactions` every 5 minutes.\n")
        assert result["lineage"] == "present"


class TestQualityChecks:
    def test_quantified_claim_is_not_flagged(self) -> None:
        assert "quantified-claims" not in rules("Significantly faster: p95 drops 40 ms.\n")

    def test_unquantified_claim_is_flagged(self) -> None:
        assert "quantified-claims" in rules("The new model is significantly better.\n")

    def test_metric_change_without_consequence_is_flagged(self) -> None:
        assert "so-what" in rules("Precision went 0.62 -> 0.67 on the holdout.\n\nThe team liked it.\n")

    def test_metric_change_with_consequence_passes(self) -> None:
        assert "so-what" not in rules("Precision went 0.62 -> 0.67, so we must ingest the velocity feature.\n")

    def test_recommendation_not_first(self) -> None:
        # Stated, but not at the top: the Pyramid Principle makes that incomplete, not present.
        text = "## Background\nWe looked at data.\n\n## Recommendation\nWe recommend shipping v2.\n"
        report = score_text(text, kind="general")
        assert report.concerns["recommendation"].status == "incomplete"
        assert [f.line for f in report.findings if f.rule == "recommendation-first"] == [4]

    def test_recommendation_first_passes_when_leading(self) -> None:
        assert "recommendation-first" not in rules("# Memo\n\nWe recommend shipping v2.\n\n## Details\nMore.\n")

    def test_memo_longer_than_a_page(self) -> None:
        text = "We recommend the GBDT.\n\n" + ("word " * 700)
        report = score_text(text, kind="tradeoff-memo")
        finding = next(f for f in report.findings if f.rule == "memo-length")
        assert "704 words" in finding.message  # 4 words of recommendation + 700

    def test_repeated_sections_are_not_mece(self) -> None:
        body = " ".join(f"the transformer model improves ranking quality for segment {i} users" for i in range(4))
        report = score_text(f"## Benefits\n{body}\n\n## Advantages\n{body}\n", kind="general")
        overlap = [f for f in report.findings if f.rule == "mece-overlap"]
        assert len(overlap) == 1 and overlap[0].line == 4

    def test_distinct_sections_are_not_flagged(self) -> None:
        assert "mece-overlap" not in rules(GOOD_CHANGE, kind="model-change")


class TestVerdictAndSuppression:
    def test_missing_lineage_fails_on_error(self) -> None:
        report = score_text("We recommend shipping.\n", kind="general")
        assert not report.passed
        assert any(f.rule == "lineage-present" and f.severity == Severity.error for f in report.findings)

    def test_fail_on_warning_is_stricter(self) -> None:
        text = GOOD_CHANGE + "\nIt should be fast.\n"
        assert score_text(text, kind="model-change").passed
        assert not score_text(text, kind="model-change", verdict=Verdict(fail_on=Severity.warning)).passed

    def test_fail_under(self) -> None:
        assert not score_text(
            GOOD_CHANGE + "\nIt should be fast.\n", kind="model-change", verdict=Verdict(fail_under=100)
        ).passed

    def test_inline_suppression_of_a_rule_from_its_line(self) -> None:
        text = "We recommend it.\n\nIt is significantly better.\n\n<!-- translator: disable=quantified-claims -->\nIt scales well.\n"
        report = score_text(text, kind="general")
        lines = [f.line for f in report.findings if f.rule == "quantified-claims"]
        assert lines == [3] and report.suppressed == 1

    def test_suppressing_a_concern_silences_all_its_rules_and_restores_score(self) -> None:
        base = "We recommend X.\n"
        before = score_text(base, kind="general")
        after = score_text(base + "<!-- translator: disable=lineage -->\n", kind="general")
        assert not any(f.concern == "lineage" for f in after.findings)
        assert after.score > before.score


class TestFailureHandling:
    """A failure condition paired with what the system does then, in the shapes writers use."""

    @pytest.mark.parametrize(
        ("section", "expected"),
        [
            ("If the edge box loses its heartbeat, the part is diverted to the manual bin.", "present"),
            ("If the GPU queue backlog goes over 2 hours, new jobs overflow to Kaldi.", "present"),
            ("- Logger queue full / broker down → drop feature payload, keep impression.", "present"),
            ("If the deployment fails health checks, the router sends traffic back to v3.2.", "present"),
            ("If a van's telemetry is more than 5 min behind, its ETAs drop back to the schedule.", "present"),
            ("If `catnet` is unavailable, listings publish with the seller-chosen category.", "present"),
            ("If the classifier is down, comments go through the old regex filter.", "present"),
            ("If the GPU pool is saturated, the router sends the message to v1.4.", "present"),
            (
                "If the pricing service doesn't answer within 200 ms, the engine uses the ladder price for that request.",
                "present",
            ),
            ("- edge box offline → PLC falls back to the rule-based vision check", "present"),
            # Conditions with no handling, and a launch's rollback, are no failure handling.
            ("- Fingerprint service outage.\n- High challenge rates for VPN users.", "incomplete"),
            ("Go back to the nightly-only setup if time-to-action hasn't improved after two weeks.", "incomplete"),
        ],
    )
    def test_condition_and_handling(self, section: str, expected: str) -> None:
        text = recommended(f"## Failure\n\n{section}")
        assert statuses(text)["failure_modes"] == expected

    def test_a_launch_gate_row_is_not_a_failure_mode(self) -> None:
        text = (
            "# Change\n\nWe recommend the change.\n\n| Area | Plan |\n|---|---|\n"
            "| Validation | Shadow for 14 days; go to 100% if the ATO rate is down at least 50%. |\n"
        )
        assert statuses(text)["failure_modes"] == "missing"


class TestValidationProtocol:
    """Method, duration or sample, and a decision rule, wherever the writer split them."""

    def test_a_paragraph_read_with_the_list_it_introduces(self) -> None:
        text = (
            "# Bidder v5\n\nWe recommend v5.\n\n## How we'll prove it out\n\n"
            "A/B on 10% of bid traffic for 10 days. We ship to 100% if:\n\n"
            "- surplus per won impression is up ≥ 3%, and\n- win-rate lands within 1 pt of target.\n"
        )
        assert statuses(text)["validation"] == "present"

    def test_a_protocol_in_two_neighbouring_points(self) -> None:
        text = (
            "# ETA weekly\n\nWe recommend the new ETA model.\n\n## Next week\n\n"
            "- The A/B starts Monday in three depots and runs for 3 weeks.\n"
            "- Decision rule: roll out if MAE improves by at least 15%.\n"
        )
        assert statuses(text)["validation"] == "present"

    def test_two_points_with_no_decision_rule_stay_incomplete(self) -> None:
        text = (
            "# ETA weekly\n\nWe recommend the new ETA model.\n\n## Next week\n\n"
            "- The A/B starts Monday in three depots and runs for 3 weeks.\n"
            "- We will look at MAE and the on-time rate.\n"
        )
        assert statuses(text)["validation"] == "incomplete"

    def test_a_staged_rollout_written_as_its_steps(self) -> None:
        text = (
            "# OCR v3\n\nOCR v3 is now rolled out to 100% of users.\n\n**How we rolled it out**\n"
            "The rollout went from 5% to 25% to 100% over 10 days; the gate was field accuracy of at "
            "least 96% on an audited sample of 20,000 receipts.\n"
        )
        assert statuses(text)["validation"] == "present"

    def test_a_document_whose_title_names_the_concern_is_about_it_throughout(self) -> None:
        text = (
            "# A/B test plan: neural spelling correction\n\nWe will replace the dictionary speller.\n\n"
            "## Design\n\n| | |\n|---|---|\n| Duration | 14 days |\n"
            "| Ship criterion | zero-result rate down ≥ 8% relative |\n"
        )
        assert statuses(text)["validation"] == "present"
        # Under another title the same table names no method.
        assert statuses(text.replace("A/B test plan", "Proposal"))["validation"] != "present"

    @pytest.mark.parametrize(
        "section",
        [
            "## Validation\n\n- 1% of traffic, 1 week.\n- Compare logged vs recomputed per feature.\n"
            "- Pass: mismatch < 0.1% on real-time features.",
            "## Validation\n\nOffline eval on a held-out 3k-appeal set; ship if precision ≥ 0.9.",
            "## Exit criteria\n\nParity check on a fresh 200k-pair replay shows ≥ 99.5% agreement.",
        ],
    )
    def test_methods_and_samples_in_other_words(self, section: str) -> None:
        assert statuses(recommended(section))["validation"] == "present"

    def test_how_it_was_settled_is_no_hedge(self) -> None:
        text = (
            "# Cutover\n\nWe're moving voice search to Whisper on 14 October.\n\n"
            "We shadowed Whisper on 10% of live traffic for 10 days before deciding; the bar was that "
            "it must not be worse than Kaldi by more than 0.5 WER points.\n"
        )
        assert statuses(text)["validation"] == "present"


class TestLineageAndCost:
    """Cadences, freshness and costs in the words writers use for them."""

    @pytest.mark.parametrize(
        ("sentence", "expected"),
        [
            ("Labels come from `trust_safety.review_decisions`; moderators append to it continuously.", "present"),
            ("Events come off the `ads.spend_events` stream, aggregated into 5-minute windows.", "present"),
            ("Receipts land in the `receipts-upload` bucket and are processed in real time.", "present"),
            ("Scores read the Epic Clarity extract in `clarity.encounters`, available by 04:30.", "present"),
            # A lookback window is no cadence.
            ("A Spark job reads `search.serp_clicks` and aggregates the 28-day window.", "incomplete"),
        ],
    )
    def test_lineage(self, sentence: str, expected: str) -> None:
        assert statuses(recommended(f"## Data\n\n{sentence}"))["lineage"] == expected

    @pytest.mark.parametrize(
        ("sentence", "expected"),
        [
            ("Median response time drops from 2.8 s to about 180 ms.", "present"),
            ("Faster processing: median time from upload to extracted fields is now 1.1 s.", "present"),
            ("Sized on a sample: ~40 min on the shared 16-core Spark pool, roughly $12 per run.", "present"),
            ("It runs on a small VM for well under $300 a month.", "present"),
            ("At $53/mo ARPU that is $340k a quarter of churn avoided.", "missing"),
            # A sum of money that is no running cost.
            ("Applicants with income < £25k are 15,900 of the book.", "missing"),
        ],
    )
    def test_latency_and_cost(self, sentence: str, expected: str) -> None:
        text = recommended(sentence)
        assert statuses(text)["latency_cost"] == expected


class TestChange:
    """A model change names what changes: an identifier, a model family, a threshold's value."""

    @pytest.mark.parametrize(
        ("sentence", "expected"),
        [
            ("Approve replacing the per-store ARIMA forecasts with a global LightGBM model.", "present"),
            ("Change the decline threshold for `card_velocity_gbm` from 0.82 to 0.76.", "present"),
            ("Decision: we move batch transcription to whisper-large-v3.", "present"),
            ("We should make things better for the fraud team.", "missing"),
        ],
    )
    def test_change(self, sentence: str, expected: str) -> None:
        text = f"# Change\n\n{sentence}\n"
        assert statuses(text, kind="model-change")["change"] == expected


class TestModelCardSections:
    """A model card's sections go by many names; their content says what they are, and a
    placeholder under a section's own name keeps it open."""

    CARD = """\
    # toxi-v3: a report on our comment toxicity model

    ## How it learned, and what we tested it on

    The model was trained on 1.9 million reviewer-labelled comments from `integrity.decisions`.
    We held out April-May 2024 entirely, about 210,000 comments, as the evaluation set.

    ## How well it works

    Overall precision 0.91 and recall 0.78. Performance varies by language and by dialect.

    ## Things to keep in mind

    Do not use it to decide account bans: it scores single comments, not behaviour.
    """

    def test_content_names_the_section(self) -> None:
        found = statuses(self.CARD, kind="model-card")
        assert [found[c] for c in ("training_data", "quantitative_analyses", "factors", "caveats")] == [
            "present",
            "present",
            "present",
            "present",
        ]

    def test_model_details_need_when_and_what(self) -> None:
        card = "# Card\n\n## Model details\n\n- Architecture: a Temporal Fusion Transformer, v3.\n- Owner: ?\n"
        assert statuses(card, kind="model-card")["model_details"] == "incomplete"
        dated = card.replace("- Owner: ?", "- Built by: Forecasting (A. Roy), trained in March 2024.")
        assert statuses(dated, kind="model-card")["model_details"] == "present"

    def test_a_statistical_bias_is_no_ethical_consideration(self) -> None:
        card = "# Card\n\n## Results\n\nOverall WAPE 16.2%, bias -1.1%.\n"
        assert statuses(card, kind="model-card")["ethical_considerations"] == "missing"

    def test_a_placeholder_under_the_sections_own_name_keeps_it_open(self) -> None:
        card = self.CARD.replace("## Things to keep in mind", "## Training data\n\nTBD: Lucia to fill in.\n\n## Notes")
        assert statuses(card, kind="model-card")["training_data"] == "missing"


class TestDecisionMatrix:
    def test_a_comparison_table_named_in_the_writers_words(self) -> None:
        text = (
            "# Options\n\nWe recommend option B.\n\n## The options\n\n"
            "| | A. rules | B. GBDT |\n|---|---|---|\n"
            "| Quality (backtested margin uplift) | +2.1% | +5.4% |\n"
            "| Nightly run time | 9 h on 200 cores | 55 min on 64 cores |\n"
            "| Compute cost | negligible | ~$3.2k/month |\n"
            "| Operational complexity | low | medium |\n"
        )
        assert statuses(text, kind="tradeoff-memo")["decision_matrix"] == "present"
        without_quality = text.replace("| Quality (backtested margin uplift) | +2.1% | +5.4% |\n", "")
        assert statuses(without_quality, kind="tradeoff-memo")["decision_matrix"] != "present"


class TestInterface:
    def test_send_and_get_labels_are_the_interface(self) -> None:
        text = (
            "# /v1/tag\n\nFrom 3 June, catalog teams call `/v1/tag`.\n\n"
            "**Send:** `image_url` (required), `taxonomy`, `max_tags`.\n"
            "**Get:** `tags`, a list of `{label, score}`, plus `model_version`.\n"
        )
        assert statuses(text, kind="service-contract")["interface"] == "present"
        assert statuses(text.replace("**Get:**", "**Also:**"), kind="service-contract")["interface"] != "present"


class TestFormula:
    """A formula is an expression or a precise rule in words: an aggregation over a window."""

    @pytest.mark.parametrize(
        ("definition", "expected"),
        [
            ("`ratio = spend_1h / budget_1h`", "present"),
            (
                "The number of authorization attempts for the same `card_id` in the 60 minutes before the event.",
                "present",
            ),
            ("The OLS slope of utilisation over the trailing 90 calendar days, times 30.", "present"),
            ("The campaign's spend in the 60 minutes ending at t, divided by its hourly budget.", "present"),
            ("A 7-day rolling count of tickets per account.", "present"),
            # An aggregation with no window, or a window naming no aggregate, is words.
            ("The ratio of spend to budget, roughly.", "incomplete"),
            ("Uses the 3-month average balance and some recency signal.", "incomplete"),
        ],
    )
    def test_rule_in_words_needs_aggregation_and_window(self, definition: str, expected: str) -> None:
        text = f"""\
        # Feature: pacing

        We recommend building this feature.

        ## Formula

        {definition}
        """
        assert statuses(text, kind="feature-spec")["formula"] == expected


class TestKindDetection:
    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            (
                "## Model details\nx\n## Intended use\ny\n## Ethical considerations\nz\n## Training data\nw\n",
                "model-card",
            ),
            ("## Formula\n`a/b`\n## Compute and storage\nfloat32 in the feature store\n", "feature-spec"),
            (
                "## Decision matrix\n| a | b |\n|--|--|\n| 1 | 2 |\n## Business impact\nrevenue\nvs transformer\n",
                "tradeoff-memo",
            ),
            (
                "## Situation\nRecall fell.\n## Mitigation options\nRetrain.\n## Timeline\n2 weeks; launch risk.\n",
                "risk-brief",
            ),
            ("Some thoughts about lunch.\n", "general"),
        ],
    )
    def test_detects_kind(self, text: str, kind: str) -> None:
        assert detect_kind(parse_document(text)) == kind

    def test_front_matter_kind_wins(self) -> None:
        assert score_text("---\nkind: service-contract\n---\n# X\n").kind == "service-contract"
