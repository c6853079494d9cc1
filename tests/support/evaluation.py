"""Measure the tools against the labelled eval sets (eval_sets/README.md says what labels mean).

Used by the tests (which assert the targets) and by bench/eval.py (which prints the figures the
README shows), so that both report the same numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "eval_sets" / "specs"
DEV = SPECS / "dev"
BLIND = SPECS / "blind"
NOTES = ROOT / "eval_sets" / "notes"
NOTES_BLIND = NOTES / "blind"
# Written blind after issue 13's tuning, by a writer who saw only the concern definitions;
# measured once, never opened to fix a disagreement.
NOTES_ROUND2 = NOTES / "round2"
# Written blind in the sixth session by two new writers in styles no earlier round used (voice
# memos, SQL comments, whiteboard OCR, git logs, WhatsApp exports...); measured once, never opened.
NOTES_ROUND3 = NOTES / "round3"


@dataclass
class SpecAgreement:
    labels: int = 0
    agreed: int = 0
    # A gap the labels see (missing or incomplete) that the scorer calls present: the costly miss.
    missed_gaps: list[str] = field(default_factory=list)
    # A concern the labels call present (well covered) that the scorer flags: the error that
    # gets a CI gate switched off, and a repair round the model cannot win.
    false_alarms: list[str] = field(default_factory=list)
    covered: int = 0  # labels that say present
    gaps: int = 0  # labels that say missing or incomplete
    disagreements: list[str] = field(default_factory=list)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    per_concern: dict[str, Counter[str]] = field(default_factory=dict)
    documents: int = 0
    kinds_right: int = 0
    kinds_undeclared: int = 0
    kinds_undeclared_right: int = 0
    kind_errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.agreed / self.labels if self.labels else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return len(self.false_alarms) / self.covered if self.covered else 0.0

    @property
    def kind_rate(self) -> float:
        return self.kinds_right / self.documents if self.documents else 0.0

    def summary(self, name: str) -> str:
        return (
            f"{name}: {self.agreed}/{self.labels} agree ({self.rate:.1%}); false alarms "
            f"{len(self.false_alarms)}/{self.covered} ({self.false_alarm_rate:.1%}); missed gaps "
            f"{len(self.missed_gaps)}/{self.gaps}; kind detected {self.kinds_right}/{self.documents} "
            f"({self.kind_rate:.1%}; undeclared {self.kinds_undeclared_right}/{self.kinds_undeclared})"
        )


def spec_agreement(folder: Path = SPECS) -> SpecAgreement:
    """The scorer against the labels in ``folder``: concerns judged with the labelled kind given
    (as the gate judges a draft of a known kind), kind detection measured separately."""
    from translator.rubric import score_file
    from translator.rubric.api import read_spec
    from translator.rubric.document import parse_document
    from translator.rubric.scoring import choose_rubric

    result = SpecAgreement()
    for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
        path = folder / entry["file"]
        report = score_file(path, kind=entry["kind"])
        result.documents += 1
        detected = choose_rubric(parse_document(read_spec(str(path)), str(path))).rubric.kind
        declared = bool(entry.get("kind_declared"))
        result.kinds_right += detected == entry["kind"]
        if not declared:
            result.kinds_undeclared += 1
            result.kinds_undeclared_right += detected == entry["kind"]
        if detected != entry["kind"]:
            result.kind_errors.append(f"{entry['file']}: labelled {entry['kind']}, detected {detected}")
        for concern, expected in entry["concerns"].items():
            got = report.concerns[concern].status
            result.labels += 1
            result.confusion[(expected, got)] += 1
            tally = result.per_concern.setdefault(concern, Counter())
            tally["labels"] += 1
            if expected == "present":
                result.covered += 1
            else:
                result.gaps += 1
            if got == expected:
                result.agreed += 1
                tally["agreed"] += 1
                continue
            note = f"{entry['file']}: {concern} labelled {expected}, scored {got}"
            result.disagreements.append(note)
            if expected != "present" and got == "present":
                result.missed_gaps.append(note)
                tally["missed_gaps"] += 1
            elif expected == "present":
                result.false_alarms.append(note)
                tally["false_alarms"] += 1
    return result


@dataclass
class NotesResult:
    notes: int = 0
    facts: int = 0
    facts_kept: int = 0
    lost_facts: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    claims: int = 0  # claims the gate traced to a notes line (figures, names, statements)
    open_labels: int = 0
    open_flagged: int = 0
    unflagged: list[str] = field(default_factory=list)
    settled_labels: int = 0
    settled_asked: int = 0  # a question about something the notes did settle: noise, not harm
    # Nothing dropped: every statement of the notes is in the draft, or a documented drop.
    statements: int = 0
    statements_kept: int = 0
    statements_dropped: Counter[str] = field(default_factory=Counter)  # documented drops, by why
    lost_statements: list[str] = field(default_factory=list)
    # Specific questions: a question quotes the notes' own words, never an empty quote.
    questions: int = 0
    questions_quoting: int = 0
    empty_quotes: list[str] = field(default_factory=list)
    # Half-answered concerns (labelled): the question quotes what the notes already say.
    half_answered: int = 0
    half_answered_quoted: int = 0
    half_answered_missed: list[str] = field(default_factory=list)
    # Kind detection, with the notes' own declaration honoured, as the scorer detects it.
    kinds_right: int = 0
    kind_sources: Counter[str] = field(default_factory=Counter)
    kind_errors: list[str] = field(default_factory=list)

    @property
    def fact_rate(self) -> float:
        return self.facts_kept / self.facts if self.facts else 0.0

    @property
    def open_rate(self) -> float:
        return self.open_flagged / self.open_labels if self.open_labels else 0.0

    @property
    def statement_rate(self) -> float:
        counted = self.statements - sum(self.statements_dropped.values())
        return self.statements_kept / counted if counted else 1.0

    @property
    def quoting_rate(self) -> float:
        return self.questions_quoting / self.questions if self.questions else 1.0

    @property
    def half_answered_rate(self) -> float:
        return self.half_answered_quoted / self.half_answered if self.half_answered else 1.0

    @property
    def kind_rate(self) -> float:
        return self.kinds_right / self.notes if self.notes else 0.0


_QUOTED = re.compile(r'"([^"]*)"')


def words(text: str) -> str:
    """Lower-case word tokens joined by single spaces (padded), for in-order containment that
    ignores Markdown escapes, punctuation and the case the drafter restores."""
    return " " + " ".join(re.findall(r"[a-z0-9_]+", text.replace("&lt;", "<").lower())) + " "


def _contains(haystack: str, needle: str) -> bool:
    return needle.strip() != "" and needle in haystack


def statements_kept(notes_text: str, markdown: str, dropped: list[str]) -> tuple[int, int, list[str]]:
    """(statements, kept, lost): each paragraph, bullet and table row of the notes is a
    statement; it is kept when its words appear in order in the draft (a table row: each cell).
    ``dropped``: the documented drops, not counted as lost."""
    from translator.rubric.document import parse_document

    draft = parse_document(markdown)
    draft_words = words(" ".join([*(b.text for b in draft.blocks), *(s.title for s in draft.sections)]))
    dropped_words = {words(text) for text in dropped}
    total = kept = 0
    lost: list[str] = []
    for block in parse_document(notes_text).blocks:
        total += 1
        # A lead-in's label becomes the heading it is filed under; a pandas index is left out.
        pieces = block.text.split(" | ") if block.kind == "table_row" else [block.body if block.lead_in else block.text]
        if block.kind == "table_row" and pieces[0].strip().isdigit():
            pieces = pieces[1:]
        if words(block.text) in dropped_words:
            continue
        if all(_contains(draft_words, words(piece)) or not words(piece).strip() for piece in pieces):
            kept += 1
        else:
            lost.append(" ".join(block.text.split())[:120])
    return total, kept, lost


def quotes_notes(question: str, notes_words: str) -> bool | None:
    """True when the question quotes the notes' own words; False for an empty or made-up
    quote; None when it quotes nothing."""
    quoted = _QUOTED.findall(question)
    if not quoted:
        return None
    return all(_contains(notes_words, words(q.rstrip("…"))) for q in quoted)


def _overlaps(question: str, half: str, run: int = 4) -> bool:
    """Whether the question quotes at least ``run`` consecutive words of ``half`` (or all of it)."""
    tokens = words(half).split()
    asked = words(question)
    size = min(run, len(tokens))
    return any(" " + " ".join(tokens[i : i + size]) + " " in asked for i in range(len(tokens) - size + 1))


def is_written_blind(name: str) -> bool:
    """Whether a note of ``eval_sets/notes`` was written blind (b*, d*, e*, f*), not one of the
    16 originals (01-...), which were written with the drafter."""
    return not name[0].isdigit()


@cache
def notes_results(folder: Path = NOTES, *, written_blind: bool | None = None) -> NotesResult:
    """The offline drafter on the labelled notes in ``folder``. ``written_blind``: only the notes
    written blind (their names start with a letter: b, d, e, f), or only the original ones."""
    from translator.drafting import draft
    from translator.drafting.offline import file_statements
    from translator.drafting.rounds import detect_notes_kind, kind_source_of
    from translator.rubric.document import parse_document
    from translator.sources import read_notes

    result = NotesResult()
    for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
        if written_blind is not None and is_written_blind(entry["file"]) != written_blind:
            continue
        outcome = draft(folder / entry["file"], kind=entry["kind"], engine="offline")
        result.notes += 1
        notes = read_notes(folder / entry["file"])
        doc = parse_document(notes.text)
        # The drafter's own detection (what it runs with no --kind and no front matter kind:),
        # measured on every note, those that declare their kind too.
        detected = detect_notes_kind(notes, doc)
        result.kind_sources[kind_source_of(None, detected)] += 1
        if detected == entry["kind"]:
            result.kinds_right += 1
        else:
            result.kind_errors.append(f"{entry['file']}: labelled {entry['kind']}, detected {detected}")
        filing = file_statements(notes.text, entry["kind"], title=notes.title)
        for _, why in filing.dropped:
            result.statements_dropped[why] += 1
        total, kept, lost = statements_kept(notes.text, outcome.markdown, [text for text, _ in filing.dropped])
        result.statements += total
        result.statements_kept += kept
        result.lost_statements.extend(f"{entry['file']}: {text}" for text in lost)
        notes_words = words(" ".join(block.text for block in doc.blocks))
        for question in outcome.spec.open_questions:
            result.questions += 1
            quoting = quotes_notes(question.question, notes_words)
            result.questions_quoting += quoting is True
            if quoting is False:
                result.empty_quotes.append(f"{entry['file']}: {question.question}")
        by_concern = {q.concern: q.question for q in outcome.spec.open_questions}
        for concern, half in (entry.get("half_answered") or {}).items():
            if concern not in by_concern:
                continue  # not asked at all: counted as unflagged below
            result.half_answered += 1
            if _overlaps(by_concern[concern], str(half)):
                result.half_answered_quoted += 1
            else:
                result.half_answered_missed.append(f"{entry['file']}: {concern}: {by_concern[concern]}")
        for fact in entry["facts"]:
            result.facts += 1
            if str(fact) in outcome.markdown:
                result.facts_kept += 1
            else:
                result.lost_facts.append(f"{entry['file']}: {fact}")
        result.invented.extend(f"{entry['file']}: {f.message}" for f in outcome.grounding.findings)
        result.claims += sum(claim.status == "grounded" for claim in outcome.grounding.claims)
        asked = {question.concern for question in outcome.spec.open_questions}
        for concern in entry["open"]:
            result.open_labels += 1
            if concern in asked:
                result.open_flagged += 1
            else:
                result.unflagged.append(f"{entry['file']}: {concern}")
        for concern in entry["settled"]:
            result.settled_labels += 1
            result.settled_asked += concern in asked
    return result


@dataclass
class FilingResult:
    """Filing precision: of the statements the drafter files under a concern, how many a
    reader files there (per concern); and where the reader's statements ended up instead."""

    labelled: int = 0
    per_concern: dict[str, Counter[str]] = field(default_factory=dict)  # concern -> filed, right
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (reader, drafter)

    @property
    def filed(self) -> int:
        return sum(tally["filed"] for tally in self.per_concern.values())

    @property
    def right(self) -> int:
        return sum(tally["right"] for tally in self.per_concern.values())

    @property
    def precision(self) -> float:
        return self.right / self.filed if self.filed else 1.0


FILING = NOTES / "filing.yaml"


def filing_results(labels: Path = FILING) -> FilingResult:
    """The offline drafter's filing against the labelled subset in ``labels``."""
    from translator.drafting.offline import file_statements
    from translator.rubric.document import parse_document
    from translator.sources import read_notes

    result = FilingResult()
    for entry in yaml.safe_load(labels.read_text(encoding="utf-8")):
        notes = read_notes(labels.parent / entry["file"])
        doc = parse_document(notes.text)
        placed = file_statements(notes.text, entry["kind"], title=notes.title, doc=doc).placed
        for label in entry["statements"]:
            snippet = words(label["statement"])
            block = next((b for b in doc.blocks if words(b.text).startswith(snippet)), None)
            assert block is not None, f"{entry['file']}: no statement opens with {label['statement']!r}"
            result.labelled += 1
            where, expected = placed.get(block.index, "?"), label["concern"]
            if where not in ("evidence", "unfiled", "dropped"):
                tally = result.per_concern.setdefault(where, Counter())
                tally["filed"] += 1
                tally["right"] += where == expected
            if where != expected and not (where == "unfiled" and expected == "none"):
                result.confusions[(expected, where)] += 1
    return result
