"""The offline engine: a deterministic drafter with no model and no network.

It reads the notes with the same document model the rubric uses, and files each paragraph,
bullet and table row under a concern of the spec kind:
1. by name: the notes' own heading or lead-in ("Lineage: ...", "## Validation");
2. by content: the concern's content rule from the vocabulary (a source plus a cadence is lineage);
3. otherwise, if it carries a figure, an identifier or a decision, as evidence;
4. otherwise under a closing "From the notes (not filed)" section: nothing is dropped silently.
Text is kept verbatim, so every metric and identifier survives and nothing is invented. The
only statements left out are the documented drops (``Filing.dropped``): the line that became
the title, a bare label that heads what follows ("training data:"), and placeholder statements
of a concern ("Latency: TBD"), whose concern is asked instead, quoting any other words.
Each concern the notes do not settle (the rubric says it is not present) becomes an open
question that quotes what the notes do say about it.

What counts as substantive text and what a text unit is are the checker's own rules
(``translator.rubric.locate``), so the drafter never files what the gate would call a
placeholder.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from translator.drafting.questions import Said, ask_for_gaps, quote_for
from translator.kinds import FailureMode, SpecBase, spec_model
from translator.kinds.tradeoff_memo import MatrixRow
from translator.rubric import load_vocabulary
from translator.rubric.document import Block, Document, parse_document
from translator.rubric.locate import ConcernLocator, Location, SignalMatcher, _text_units, concerns_named_by
from translator.rubric.model import Vocabulary
from translator.sources.plaintext import ATTRIBUTION

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


@dataclass
class Filing:
    """The notes filed under the fields of a spec, before any question is asked."""

    spec: SpecBase
    said: Said  # concern -> what the notes say about it, best first, for its question to quote
    dropped: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (statement, why): the documented drops
    # Where each statement went, by block index: a concern, "evidence", "unfiled" or "dropped".
    placed: dict[int, str] = dataclasses.field(default_factory=dict)


def draft_offline(notes_text: str, kind: str, *, title: str | None = None, doc: Document | None = None) -> SpecBase:
    """Draft a spec of ``kind`` from notes, deterministically, with a question for each concern
    the notes leave unsettled (``doc``: the notes already parsed)."""
    spec, said = file_notes(notes_text, kind, title=title, doc=doc)
    return ask_for_gaps(spec, said)


def file_notes(
    notes_text: str, kind: str, *, title: str | None = None, doc: Document | None = None
) -> tuple[SpecBase, Said]:
    """The notes filed under the fields of a ``kind`` spec, without questions yet; and what the
    notes say about each concern, for the questions to quote."""
    filing = file_statements(notes_text, kind, title=title, doc=doc)
    return filing.spec, filing.said


def file_statements(notes_text: str, kind: str, *, title: str | None = None, doc: Document | None = None) -> Filing:
    """Every statement of the notes filed under a concern, as evidence, or as not filed; with
    what the notes say about each concern and the statements documented as dropped."""
    vocabulary = load_vocabulary()
    model = spec_model(kind)
    doc = doc or parse_document(notes_text)
    matcher = SignalMatcher(vocabulary, doc)
    locator = ConcernLocator(doc, vocabulary, matcher)
    fields: dict[str, list[object]] = {concern: [] for concern in model.concern_order}
    evidence: list[str] = []
    unfiled: list[str] = []
    dropped: list[tuple[str, str]] = []
    # What the notes say about a concern: named but unsettled first, then filed, then partial.
    named_unsettled: dict[str, list[Block]] = {}
    filed_blocks: dict[str, list[Block]] = {}
    numbers = _list_numbers(doc)
    placed: dict[int, str] = {}

    title_text = title or _title(doc)
    title_blocks: frozenset[int] = frozenset()
    for unit in _text_units(doc.blocks, nested=False):
        first = unit[0]
        if first.index == 0 and first.section is None and _one_line(first.text) == title_text:
            dropped.append((_one_line(first.text), "title"))  # the first line served as the title
            title_blocks = frozenset({0})
            placed[first.index] = "dropped"
            continue
        if first.kind == "table_row":
            where = _file_table(unit, fields, evidence, unfiled, matcher, kind, model.concern_order)
            placed.update((block.index, where) for block in unit)
            continue
        text = first.body if first.lead_in else first.text
        concern = _named_concern(doc, first, model.concern_order, vocabulary)
        if concern is None:
            concern = _content_concern(first, model.concern_order, matcher)
        shown = _numbered(first, numbers, _sentence_case(_one_line(first.text)))
        if concern is not None and not _substantive(locator, first):
            named_unsettled.setdefault(concern, []).append(first)
            if first.lead_in and not first.body.strip():
                # A bare label ("training data:") heads what follows; it states nothing itself.
                dropped.append((_one_line(first.text), "label"))
                placed[first.index] = "dropped"
            elif _placeholder_only(first, matcher) or _has_placeholder(first, matcher):
                # Asked as a question instead, which quotes any words besides the placeholder:
                # a "TBD" in the draft would read as the draft's own, and the gate flags it.
                dropped.append((_one_line(first.text), "placeholder"))
                placed[first.index] = "dropped"
            elif _worth_keeping(first, matcher) and not _has_placeholder(first, matcher):
                evidence.append(shown)  # its figures and names are still facts
                placed[first.index] = "evidence"
            else:
                unfiled.append(shown)
                placed[first.index] = "unfiled"
        elif concern is not None:
            filed_blocks.setdefault(concern, []).append(first)
            _add(fields, concern, _numbered(first, numbers, _sentence_case(_one_line(text))))
            placed[first.index] = concern
        elif _worth_keeping(first, matcher) and not _has_placeholder(first, matcher):
            evidence.append(shown)
            placed[first.index] = "evidence"
        else:
            # A "TODO" of the notes is what they leave open, not evidence: kept, not filed.
            unfiled.append(shown)
            placed[first.index] = "unfiled"

    said = {
        concern: quote_for(
            concern, named_unsettled.get(concern, []) + filed_blocks.get(concern, []), doc, matcher, skip=title_blocks
        )
        for concern in model.concern_order
    }
    spec = model.model_validate(
        {
            "title": title_text or "Draft spec",
            "evidence": evidence,
            "open_questions": [],
            **{concern: _items(concern, values) for concern, values in fields.items()},
        }
    )
    spec.unfiled = unfiled
    return Filing(spec=spec, said={k: v for k, v in said.items() if v}, dropped=dropped, placed=placed)


def _substantive(locator: ConcernLocator, block: Block) -> bool:
    """The checker's own rule: at least two words besides placeholders and hedges, not opening
    with a placeholder. "Latency: TBD, depends on the capacity review" is not content."""
    body = {block.index: block.body} if block.lead_in else {}
    return locator._substantive(Location("lead_in", block.line, block.lead_in_raw or "", [[block]], body))


def _placeholder_only(block: Block, matcher: SignalMatcher) -> bool:
    """A statement with no words besides its label and placeholders ("Latency:", "Owner: TBD")."""
    placeholder = matcher.vocabulary.signals["placeholder"].regex
    body = block.body if block.lead_in else block.text
    return not re.sub(r"[^\w]+", " ", placeholder.sub(" ", body)).strip()


def _has_placeholder(block: Block, matcher: SignalMatcher) -> bool:
    return bool(matcher.vocabulary.signals["placeholder"].regex.search(block.text))


def _list_numbers(doc: Document) -> dict[int, int]:
    """The number of each item of an ordered list, so "going with 2" still refers to something."""
    numbers: dict[int, int] = {}
    count: dict[int, int] = {}
    for block in doc.blocks:
        if block.ordered and block.kind == "paragraph":
            depth = block.list_depth
            previous = doc.blocks[block.index - 1] if block.index else None
            if (
                previous is None
                or previous.section != block.section
                or (previous.list_depth < depth or (previous.list_depth == depth and not previous.ordered))
            ):
                count[depth] = 0
            count[depth] = count.get(depth, 0) + 1
            numbers[block.index] = count[depth]
        elif block.list_depth == 0:
            count.clear()
    return numbers


def _numbered(block: Block, numbers: dict[int, int], text: str) -> str:
    number = numbers.get(block.index)
    return f"{number}. {text}" if number is not None else text


_IDENTIFIER_START = re.compile(r"^[\w`\-]*[_.`/\-\d][\w`]")


def _sentence_case(text: str) -> str:
    """A lead-in line written lower-case ("computed in Flink ...") reads as a sentence; an
    identifier that opens a line (``payments.tx``, "p99") keeps its case."""
    if text[:1].islower() and not _IDENTIFIER_START.match(text) and not text.startswith(("p9", "p5")):
        return text[0].upper() + text[1:]
    return text


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
    unit: list[Block],
    fields: dict[str, list[object]],
    evidence: list[str],
    unfiled: list[str],
    matcher: SignalMatcher,
    kind: str,
    order: tuple[str, ...],
) -> str:
    """A table stays a Markdown table: under the concern its content makes it, as evidence if
    it carries figures or names, else not filed. A tradeoff memo's comparison of options becomes
    the decision matrix."""
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
            # The matrix keeps the columns it has rows for; the table as written keeps the rest.
            evidence.append(table_markdown([[cell.strip() for cell in row.text.split(" | ")] for row in unit]))
            return "decision_matrix"
    table = table_markdown([[cell.strip() for cell in row.text.split(" | ")] for row in unit])
    concern = next(
        (
            c
            for c in order
            if c not in ("failure_modes", "decision_matrix")
            and matcher.vocabulary.concerns[c].content
            and matcher.meets_all(unit, matcher.vocabulary.concerns[c].content)
        ),
        None,
    )
    if concern is not None:
        fields[concern].append(table)
        return concern
    if any(_worth_keeping(row, matcher) for row in unit):
        evidence.append(table)
        return "evidence"
    unfiled.append(table)
    return "unfiled"


def table_markdown(rows: list[list[str]]) -> str:
    """Rows of cells (the first the header) as a Markdown table, without a pandas index column
    (a first column with no header whose cells count 0, 1, 2...)."""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    body = rows[1:]
    if width > 1 and not rows[0][0] and body and all(row[0].strip().isdigit() or not row[0] for row in body):
        rows = [row[1:] for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


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
        # A chat message's attribution ("-- maya.chen, 10:42") names who spoke, not the document.
        words = ATTRIBUTION.sub("", doc.blocks[0].text).split()
        return " ".join(words[:_WORDS_IN_TITLE]) + ("…" if len(words) > _WORDS_IN_TITLE else "")
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())
