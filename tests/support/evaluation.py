"""Measure the tools against the labelled eval sets (eval_sets/README.md says what labels mean).

Used by the tests (which assert the targets) and by bench/eval.py (which prints the figures the
README shows), so that both report the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "eval_sets" / "specs"
DEV = SPECS / "dev"
BLIND = SPECS / "blind"
NOTES = ROOT / "eval_sets" / "notes"
NOTES_BLIND = NOTES / "blind"


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

    @property
    def fact_rate(self) -> float:
        return self.facts_kept / self.facts if self.facts else 0.0

    @property
    def open_rate(self) -> float:
        return self.open_flagged / self.open_labels if self.open_labels else 0.0


def notes_results(folder: Path = NOTES, *, written_blind: bool | None = None) -> NotesResult:
    """The offline drafter on the labelled notes in ``folder``. ``written_blind``: only the notes
    written blind for issue 13 (their names start with "b"), or only the original ones."""
    from translator.drafting import draft

    result = NotesResult()
    for entry in yaml.safe_load((folder / "labels.yaml").read_text(encoding="utf-8")):
        if written_blind is not None and entry["file"].startswith("b") != written_blind:
            continue
        outcome = draft(folder / entry["file"], kind=entry["kind"], engine="offline")
        result.notes += 1
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
