"""The offline engine: a deterministic drafter with no model and no network.

It reads the notes with the same document model the rubric uses, and files each paragraph,
bullet and table row under a concern of the spec kind:
1. by name: the notes' own heading or lead-in ("Lineage: ...", "## Validation");
2. by content: the concern's content rule from the vocabulary (a source plus a cadence is lineage);
3. otherwise, if it carries a figure, an identifier or a decision, as evidence.
Text is kept verbatim, so every metric and identifier survives and nothing is invented. Each
concern the notes do not settle (the rubric says it is not present) becomes an open question.
"""

from __future__ import annotations

import re

from translator.drafting.questions import Said, ask_for_gaps
from translator.kinds import FailureMode, SpecBase, spec_model
from translator.kinds.tradeoff_memo import MatrixRow
from translator.rubric import load_vocabulary
from translator.rubric.document import Block, Document, parse_document
from translator.rubric.locate import SignalMatcher, concerns_named_by
from translator.rubric.model import Vocabulary

_FAILURE_SPLIT = re.compile(r"\s*(?:->|→|=>|:|;|,\s*(?:then\s+)?|\s+then\s+)\s*", re.I)
_HANDLING_START = re.compile(
    r"^(fall|return|use|serve|log|alert|page|skip|drop|reject|retry|default|impute|fill|clip|cap|raise|block|roll|disable|switch|treat|set|emit|flag|exclude|quarantine)",
    re.I,
)
_MATRIX_SIGNALS = (
    ("accuracy", "accuracy_metric"),
    ("latency", "latency_metric"),
    ("cost", "cost_metric"),
    ("maintenance", "maintenance"),
)
_WORDS_IN_TITLE = 12


def draft_offline(notes_text: str, kind: str, *, title: str | None = None, doc: Document | None = None) -> SpecBase:
    """Draft a spec of ``kind`` from notes, deterministically, with a question for each concern
    the notes leave unsettled (``doc``: the notes already parsed)."""
    spec, said = file_notes(notes_text, kind, title=title, doc=doc)
    return ask_for_gaps(spec, said)


def file_notes(
    notes_text: str, kind: str, *, title: str | None = None, doc: Document | None = None
) -> tuple[SpecBase, Said]:
    """The notes filed under the fields of a ``kind`` spec, without questions yet; and what the
    notes say about each concern they leave unsettled, for the questions to quote."""
    vocabulary = load_vocabulary()
    model = spec_model(kind)
    doc = doc or parse_document(notes_text)
    matcher = SignalMatcher(vocabulary, doc)
    fields: dict[str, list[object]] = {concern: [] for concern in model.concern_order}
    evidence: list[str] = []
    unsettled: dict[str, list[str]] = {}

    title_text = title or _title(doc)
    for unit in _units(doc):
        first = unit[0]
        if first.index == 0 and first.section is None and _one_line(first.text) == title_text:
            continue  # the first line served as the title
        if first.kind == "table_row":
            _file_table(unit, fields, evidence, matcher, kind)
            continue
        text = first.body if first.lead_in else first.text
        concern = _named_concern(doc, first, model.concern_order, vocabulary)
        if concern is None:
            concern = _content_concern(first, model.concern_order, matcher)
        if concern is not None and not _states_something(first, matcher):
            unsettled.setdefault(concern, []).append(_one_line(text))
            if _worth_keeping(first, matcher):
                evidence.append(_one_line(first.text))  # its figures and names are still facts
        elif concern is not None:
            _add(fields, concern, text)
        elif _worth_keeping(first, matcher):
            evidence.append(_one_line(first.text))

    spec = model.model_validate(
        {
            "title": title_text or "Draft spec",
            "evidence": evidence,
            "open_questions": [],
            **{concern: _items(concern, values) for concern, values in fields.items()},
        }
    )
    return spec, unsettled


def _states_something(block: Block, matcher: SignalMatcher) -> bool:
    """False for a body that is only placeholders or hedges ("TBD", "not decided yet")."""
    placeholder = matcher.vocabulary.signals["placeholder"].regex
    stated = placeholder.sub(" ", matcher.unhedged(block, bool(block.lead_in)))
    return len(stated.split()) >= 2


def _units(doc: Document) -> list[list[Block]]:
    """Blocks one by one, except that the rows of one table travel together."""
    units: list[list[Block]] = []
    for block in doc.blocks:
        previous = units[-1][-1] if units else None
        if (
            block.kind == "table_row"
            and previous is not None
            and previous.kind == "table_row"
            and previous.index == block.index - 1
        ):
            units[-1].append(block)
        else:
            units.append([block])
    return units


def _named_concern(doc: Document, block: Block, order: tuple[str, ...], vocabulary: Vocabulary) -> str | None:
    """The concern the notes themselves file this block under, by lead-in, then by heading."""
    if block.lead_in:
        named = concerns_named_by(block.lead_in, vocabulary)
        match = next((c for c in order if c in named), None)
        if match:
            return match
    if block.section is not None:
        section = doc.sections[block.section]
        named = concerns_named_by(section.heading, vocabulary)
        return next((c for c in order if c in named), None)
    return None


def _content_concern(block: Block, order: tuple[str, ...], matcher: SignalMatcher) -> str | None:
    """The first concern (in the kind's order) whose content rule the block matches."""
    for concern in order:
        rule = matcher.vocabulary.concerns[concern].content
        if rule and not matcher.groups_met([block], rule, set()):
            return concern
    return None


def _worth_keeping(block: Block, matcher: SignalMatcher) -> bool:
    return any(matcher.block_has(block, signal) for signal in ("number", "identifier", "decision"))


def _file_table(
    unit: list[Block], fields: dict[str, list[object]], evidence: list[str], matcher: SignalMatcher, kind: str
) -> None:
    header, *rows = unit
    columns = [cell.strip() for cell in header.text.split(" | ")]
    if kind == "tradeoff-memo" and rows and "decision_matrix" in fields:
        mapped = _matrix_columns(columns, matcher)
        if len(mapped) >= 2:
            for row in rows:
                cells = [cell.strip() for cell in row.text.split(" | ")]
                values = {field: "" for field, _ in _MATRIX_SIGNALS}
                for field, index in mapped.items():
                    if index < len(cells) and cells[index]:
                        values[field] = f"{cells[index]} ({columns[index]})"
                fields["decision_matrix"].append(MatrixRow(option=cells[0] if cells else "", **values))
            return
    for row in rows or [header]:
        cells = [cell.strip() for cell in row.text.split(" | ")]
        if rows and len(cells) == len(columns):
            evidence.append("; ".join(f"{name}: {value}" for name, value in zip(columns, cells, strict=True) if value))
        else:
            evidence.append(_one_line(row.text))


def _matrix_columns(columns: list[str], matcher: SignalMatcher) -> dict[str, int]:
    mapped: dict[str, int] = {}
    for index, name in enumerate(columns[1:], start=1):
        for field, signal in _MATRIX_SIGNALS:
            if field not in mapped and matcher.vocabulary.signals[signal].regex.search(name):
                mapped[field] = index
                break
    return mapped


def _add(fields: dict[str, list[object]], concern: str, text: str) -> None:
    text = _one_line(text)
    if text:
        fields[concern].append(text)


def _items(concern: str, values: list[object]) -> list[object]:
    if concern == "failure_modes":
        return [_failure_mode(str(v)) for v in values]
    return values


def _failure_mode(text: str) -> FailureMode:
    """Split "If X is missing, fall back to Y" into its condition and its handling."""
    for match in _FAILURE_SPLIT.finditer(text):
        head, tail = text[: match.start()].strip(), text[match.end() :].strip()
        if head and tail and _HANDLING_START.match(tail):
            return FailureMode(condition=head, handling=tail)
    return FailureMode(condition=text, handling="")


def _title(doc: Document) -> str | None:
    for section in doc.sections:
        if section.title:
            return section.title
    if doc.blocks:
        words = doc.blocks[0].text.split()
        return " ".join(words[:_WORDS_IN_TITLE]) + ("…" if len(words) > _WORDS_IN_TITLE else "")
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
