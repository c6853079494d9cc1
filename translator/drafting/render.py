"""Spec model -> Markdown that `translator score` accepts as is.

Headings are the vocabulary titles, so the rubric locates every concern by name. A concern
with nothing grounded to say is left out (never rendered as an empty or TBD section): the
rubric then reports it missing and an open question asks the researcher for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from translator import yamlio
from translator.kinds import FailureMode, SpecBase
from translator.kinds.tradeoff_memo import MatrixRow
from translator.rubric import load_vocabulary

OPEN_QUESTIONS_HEADING = "Open questions for the researcher"
# What a draft stated that the notes do not: kept for the researcher to confirm, never read by
# the rubric as a concern's content (the vocabulary lists it among the unsettled sections).
ASSUMPTIONS_HEADING = "Assumptions (not in the notes)"
PROVENANCE_HEADING = "Provenance"
EVIDENCE_HEADING = "Evidence"
UNFILED_HEADING = "From the notes (not filed)"
_UNKNOWN = re.compile(r"^\s*(n/?a|unknown|not (measured|known|stated|reported|given)|tbd|tbc|-|—|\?)?\s*\.?\s*$", re.I)
ClaimRow = tuple[str, str, str | None, str | None]  # claim, its type, notes line, the line's text
_MATRIX_COLUMNS = (
    ("accuracy", "Accuracy"),
    ("latency", "p95 latency"),
    ("cost", "Cost"),
    ("maintenance", "Maintenance"),
)


def render_markdown(
    spec: SpecBase, *, front_matter: dict[str, object] | None = None, assumptions: list[str] | None = None
) -> str:
    vocabulary = load_vocabulary()
    lines: list[str] = []
    meta = {"kind": spec.kind, **(front_matter or {})}
    lines += ["---", yamlio.safe_dump(meta, sort_keys=False, allow_unicode=True).strip(), "---", ""]
    lines += [f"# {_inline(spec.title) or 'Untitled spec'}", ""]
    sections = [(concern, _concern_lines(getattr(spec, concern))) for concern in spec.concern_order]
    sections = [(concern, body) for concern, body in sections if body]
    # Evidence follows the recommendation (the decision first, then why); without a
    # recommendation it closes the spec, before the open questions.
    evidence = [(EVIDENCE_HEADING, _items_lines(spec.evidence))] if spec.evidence else []
    at = 1 if sections and sections[0][0] == "recommendation" else len(sections)
    for concern, body in [*sections[:at], *evidence, *sections[at:]]:
        heading = vocabulary.concerns[concern].title if concern in vocabulary.concerns else concern
        lines += [f"## {heading}", "", *body, ""]
    if spec.open_questions:
        lines += [f"## {OPEN_QUESTIONS_HEADING}", ""]
        for item in spec.open_questions:
            # The concern goes after the question, not before it as a lead-in: a lead-in
            # would name the concern, and a question must never pass for its content.
            title = (
                vocabulary.concerns[item.concern].title
                if item.concern in vocabulary.concerns
                else _inline(item.concern)
            )
            lines.append(f"- {_as_question(item.question)} ({title.lower()})")
        lines.append("")
    if assumptions:
        lines += [f"## {ASSUMPTIONS_HEADING}", "", *_items_lines(assumptions), ""]
    if spec.unfiled:
        # What the notes say that the drafter could not file: kept, last, so nothing is lost.
        lines += [f"## {UNFILED_HEADING}", "", *_items_lines(spec.unfiled), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_sources(markdown: str, claims: Sequence[ClaimRow]) -> str:
    """``markdown`` with a table at the end: each claim and the notes line it comes from.

    Under a "Provenance" heading, which the rubric reads nothing from, so the table never
    changes the verdict on the spec."""
    if not claims:
        return markdown
    rows = ["| claim | kind | notes line | what the notes say |", "|---|---|---|---|"]
    for claim, kind, line, source in claims:
        where = line if line is not None else "not in the notes"
        rows.append(f"| {_cell(claim)} | {kind} | {where} | {_cell(source or '')} |")
    return markdown.rstrip() + f"\n\n## {PROVENANCE_HEADING}\n\n" + "\n".join(rows) + "\n"


def _concern_lines(value: object) -> list[str]:
    if not isinstance(value, list) or not value:
        return []
    if isinstance(value[0], FailureMode):
        return [_failure_line(item) for item in value if _inline(item.condition)]
    if isinstance(value[0], MatrixRow):
        return _matrix(value)
    texts = [str(item) for item in value if _inline(str(item))]
    if len(texts) == 1 and not _is_table(texts[0]):
        return [_inline(texts[0])]
    return _items_lines(texts)


_TABLE_DELIMITER = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+$")


def _is_table(text: str) -> bool:
    """A Markdown pipe table (a header, a delimiter row, rows), as the offline drafter keeps a
    table of the notes."""
    lines = text.split("\n")
    return (
        len(lines) >= 2
        and all(line.startswith("|") and line.endswith("|") for line in lines)
        and bool(_TABLE_DELIMITER.match(lines[1].replace(" ", "")))
    )


def _table_lines(text: str) -> list[str]:
    """A table, each cell made safe as one line of plain text."""
    lines = text.split("\n")
    out = []
    for number, line in enumerate(lines):
        if number == 1:
            out.append(line)
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip()[1:-1])]
        out.append("| " + " | ".join(_cell_text(cell) for cell in cells) + " |")
    return out


def _cell_text(text: str) -> str:
    return _HTML_OPENING.sub("&lt;", " ".join(text.split())).replace("|", "\\|")


def _items_lines(items: list[str]) -> list[str]:
    """Bullets, with a table as a block of its own between them."""
    out: list[str] = []
    for item in items:
        if _is_table(item):
            out += ([""] if out else []) + _table_lines(item) + [""]
        elif _inline(item):
            out.append(f"- {_inline(item)}")
    while out and not out[-1]:
        out.pop()
    return out


def _failure_line(item: FailureMode) -> str:
    condition = _inline(item.condition).rstrip(".")
    handling = _inline(item.handling).rstrip(".")
    if not handling:
        return f"- {condition}."
    if not re.match(r"(?i)(if|when|whenever|on|in case)\b", condition):
        condition = f"When {condition[0].lower()}{condition[1:]}" if condition else condition
    return f"- {condition}: {handling}."


def _matrix(rows: list[MatrixRow]) -> list[str]:
    # A column nobody measured is dropped, so a header alone never passes for a measurement.
    columns = [
        (field, title) for field, title in _MATRIX_COLUMNS if any(not _UNKNOWN.match(getattr(r, field)) for r in rows)
    ]
    header = ["Option", *(title for _, title in columns)]
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [_cell(row.option), *(_cell(getattr(row, field)) for field, _ in columns)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _cell(text: str) -> str:
    value = _inline(text)
    return "" if _UNKNOWN.match(value) else value.replace("|", "\\|")


def _as_question(text: str) -> str:
    text = _inline(text)
    return text if text.endswith("?") else text.rstrip(".") + "?"


# Model output is data, never Markdown structure: a value that opens with a block marker would
# start a heading, quote, list or fence of its own ("# Lineage" inside a question would end the
# open-questions section), and raw HTML could carry a ``<!-- translator: disable=... -->`` that
# silences the gate. Such openings are backslash-escaped and "<" before a tag becomes "&lt;";
# the text the rubric reads is unchanged.
_BLOCK_OPENING = re.compile(r"^(?:#{1,6}(?=\s|$)|>|[-+*](?=\s|$)|`{3,}|~{3,}|\||([-*_])(?:\s*\1){2,}\s*$)")
_ORDERED_OPENING = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_HTML_OPENING = re.compile(r"<(?=[A-Za-z/!?])")


def _inline(text: object) -> str:
    """One line of model-written text, safe to place in the rendered spec as plain text."""
    line = " ".join(str(text).split())
    line = _HTML_OPENING.sub("&lt;", line)
    line = _ORDERED_OPENING.sub(r"\1\\\2", line)
    return _BLOCK_OPENING.sub(lambda match: "\\" + match.group(0), line)
