"""Issue 13: the offline engine keeps the notes' structure and drops nothing silently."""

from __future__ import annotations

import json
from pathlib import Path

from translator.cli import main
from translator.drafting import draft
from translator.rubric.document import parse_document
from translator.sources import read_notes, read_notes_text

SLACK = """#search-ml  (exported)
[10:42] maya.chen: heads up, the reranker eval is done
[10:43] maya.chen: ranker_v9 vs prod ranker_v8 on search.judged_2024q2: NDCG@10 0.412 -> 0.431
[10:45] li.wei: serving? p95 was 38 ms before
    p95 38 ms -> 44 ms on the 8-core pods
[10:47] li.wei: options? 1) ship v9 now 2) ship v9 behind a 10% flag 3) wait for the distilled one
[10:50] maya.chen: going with 2
"""


def test_a_chat_paste_reads_as_messages_with_attribution_and_numbered_options() -> None:
    notes = read_notes_text(SLACK, format="txt")
    doc = parse_document(notes.text)
    texts = [block.text for block in doc.blocks]
    assert "heads up, the reranker eval is done -- maya.chen, 10:42" in texts
    assert "p95 38 ms -> 44 ms on the 8-core pods" in texts  # an indented line is not code
    options = [block for block in doc.blocks if block.ordered]
    assert [block.text for block in options] == [
        "ship v9 now",
        "ship v9 behind a 10% flag",
        "wait for the distilled one",
    ]
    result = draft(notes, kind="model-change", engine="offline")
    title = result.markdown.split("\n# ", 1)[1].split("\n", 1)[0]
    assert "maya.chen" not in title and "10:42" not in title
    assert "2\\. Ship v9 behind a 10% flag" in result.markdown  # "going with 2" still resolves
    assert "going with 2 -- maya.chen, 10:50" in result.markdown.lower()


def test_plain_text_keeps_its_lines() -> None:
    notes = read_notes_text("Feature: ctr_smoothed\nowner: search team\nwe tried 2, 5 and 10\n", format="txt")
    assert [b.text for b in parse_document(notes.text).blocks] == [
        "Feature: ctr_smoothed",
        "owner: search team",
        "we tried 2, 5 and 10",
    ]
    assert notes.origins[notes.text.split("\n").index("we tried 2, 5 and 10")] == "<text>:3"


def test_a_latency_tbd_note_renders_no_tbd_section_for_the_gate_to_flag() -> None:
    # Before issue 13 the drafter's own copy of "substantive" filed this line, and the gate then
    # flagged the placeholder in the drafter's output.
    text = (
        "# Fraud velocity\n\nWe recommend shipping fraud_gbm_v8 with threshold 0.58.\n\n"
        "Latency: TBD - depends on the capacity review\n"
    )
    result = draft(text, kind="model-change", engine="offline")
    assert "## Latency and cost" not in result.markdown
    assert "TBD" not in result.markdown
    assert result.report is not None
    assert not [f for f in result.report.findings if f.rule == "no-placeholders"]
    assert any(q.concern == "latency_cost" for q in result.questions)


def test_nothing_unfiled_is_dropped_and_lead_ins_get_sentence_case() -> None:
    text = (
        "# Credit util\n\nstorage: computed in Flink, stored as float32 in credit_fs.util_v2\n\n"
        "Dana liked the idea in the review.\n\n"
        "|   | segment | auc |\n|---|---|---|\n| 0 | all | 0.771 |\n| 1 | thin file | 0.702 |\n"
    )
    result = draft(text, kind="feature-spec", engine="offline")
    assert "Computed in Flink, stored as float32 in credit_fs.util_v2" in result.markdown
    assert "## From the notes (not filed)\n\n- Dana liked the idea in the review." in result.markdown
    assert "| segment | auc |" in result.markdown and "| all | 0.771 |" in result.markdown
    assert "| 0 |" not in result.markdown  # no pandas index column


def test_questions_quote_what_the_notes_say_and_ask_for_the_rest() -> None:
    text = (
        "# Velocity\n\nWe recommend shipping card_velocity_1h in fraud_gbm_v8.\n\n"
        "offline I built velocity straight from payments.transactions with a window function\n"
    )
    result = draft(text, kind="feature-spec", engine="offline")
    lineage = next(q.question for q in result.questions if q.concern == "lineage")
    assert '"offline I built velocity straight from payments.transactions with a window function"' in lineage
    assert "cadence" in lineage and "which table, stream or topic" not in lineage
    assert all('""' not in q.question for q in result.questions)


def test_kind_source_is_in_the_json_and_the_panel(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    notes = tmp_path / "notes.txt"
    notes.write_text("we looked at some numbers today\nnothing conclusive\n")
    out = tmp_path / "spec.md"
    main(["draft", str(notes), "--engine", "offline", "-o", str(out)])
    printed = capsys.readouterr().out
    written = next(tmp_path.glob("*.json"))
    payload = json.loads(written.read_text())
    assert payload["kind"] == "general" and payload["kind_source"] == "fallback"
    assert "no kind was clear" in " ".join(printed.split())
    assert draft(read_notes(notes), kind="general", engine="offline").kind_source == "declared"


def test_a_chat_paste_on_stdin_is_read_as_messages_and_markdown_on_stdin_as_written() -> None:
    chat = read_notes_text(SLACK, format="stdin")
    assert "- heads up, the reranker eval is done -- maya.chen, 10:42" in chat.text
    markdown = read_notes_text("# Notes\nline one\nline two\n", format="stdin")
    assert markdown.text == "# Notes\nline one\nline two\n"
