"""The corpus report of a batch: summary.json for machines, index.md for people."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from translator.batch.journal import Journal, dump
from translator.drafting.usage import Usage
from translator.fileio import write_atomic
from translator.inputs import Problem
from translator.outputs import GENERATOR, INDEX_NAME, check_target, mark_markdown

SUMMARY_NAME = "summary.json"
SCHEMA_VERSION = 1


def build_summary(journal: Journal, inputs: list[str], problems: list[Problem]) -> dict[str, object]:
    files: list[dict[str, object]] = []
    usage = Usage()
    lacking: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for path in inputs:
        entry = journal.latest.get(path)
        if entry is None:
            files.append({"path": path, "status": "failed", "reason": "not processed (the run was interrupted)"})
            statuses["failed"] += 1
            continue
        usage.add(entry.usage)
        statuses[entry.status] += 1
        lacking.update(entry.gaps)
        record: dict[str, object] = {
            "path": path,
            "status": entry.status,
            "kind": entry.kind,
            "score": entry.score,
            "outputs": entry.outputs,
            "open_questions": entry.open_questions,
            "gaps": entry.gaps,
        }
        if entry.status == "failed":
            record["reason"] = entry.reason
        files.append(record)
    for problem in problems:
        files.append({"path": problem.path, "status": "failed", "reason": problem.message})
        statuses["failed"] += 1
    return {
        "generator": GENERATOR,  # the marker: the tool replaces only what it wrote
        "schema_version": SCHEMA_VERSION,
        "files": files,
        "corpus": {
            "total": len(files),
            "accepted": statuses["accepted"],
            "rejected": statuses["rejected"],
            "failed": statuses["failed"],
            "lacking": dict(lacking.most_common()),  # concern -> reports whose draft lacks it
            "common_gaps": [concern for concern, _ in lacking.most_common(5)],
            "usage": usage.model_dump(),
            "cost_usd": usage.cost_usd,
        },
    }


def write_corpus_report(
    out_dir: Path, journal: Journal, inputs: list[str], problems: list[Problem]
) -> tuple[Path, Path, dict[str, object]]:
    summary = build_summary(journal, inputs, problems)
    summary_path, index_path = out_dir / SUMMARY_NAME, out_dir / INDEX_NAME
    check_corpus_targets(out_dir)
    write_atomic(summary_path, dump(summary) + "\n")
    write_atomic(index_path, mark_markdown(render_index(summary)))
    return summary_path, index_path, summary


def check_corpus_targets(out_dir: Path) -> None:
    """Refuse an output folder whose index.md or summary.json the tool did not write (the user's own)."""
    for name in (SUMMARY_NAME, INDEX_NAME):
        check_target(out_dir / name, owned_by_folder=out_dir)


def render_index(summary: dict[str, object]) -> str:
    corpus = summary["corpus"]
    assert isinstance(corpus, dict)
    files = summary["files"]
    assert isinstance(files, list)
    cost = corpus["cost_usd"]
    lines = [
        "# Batch translation report",
        "",
        f"{corpus['total']} reports: {corpus['accepted']} accepted, {corpus['rejected']} rejected "
        f"(questions for the researcher), {corpus['failed']} failed. "
        + ("Estimated cost: unknown (a model without a price)." if cost is None else f"Estimated cost: ${cost:.4f}."),
        "",
    ]
    if corpus["lacking"]:
        lines += ["## What the reports lack", "", "| concern | reports lacking it |", "|---|---|"]
        lines += [f"| {concern} | {count} |" for concern, count in corpus["lacking"].items()]
        lines.append("")
    lines += ["## Reports", "", "| report | status | score | spec | open questions |", "|---|---|---|---|---|"]
    for record in files:
        outputs = record.get("outputs") or []
        link = f"[{Path(outputs[0]).name}]({outputs[0]})" if outputs else ""
        detail = record.get("reason") or len(record.get("open_questions") or [])
        score = record.get("score")
        lines.append(
            f"| {_cell(str(record['path']))} | {record['status']} | {'' if score is None else score} | {link} | {_cell(str(detail))} |"
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
