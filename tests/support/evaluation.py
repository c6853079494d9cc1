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
NOTES = ROOT / "eval_sets" / "notes"


@dataclass
class SpecAgreement:
    labels: int = 0
    agreed: int = 0
    # A gap the labels see (missing or incomplete) that the scorer calls present: the costly miss.
    missed_gaps: list[str] = field(default_factory=list)
    disagreements: list[str] = field(default_factory=list)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.agreed / self.labels if self.labels else 0.0


def spec_agreement() -> SpecAgreement:
    from translator.rubric import score_file

    result = SpecAgreement()
    for entry in yaml.safe_load((SPECS / "labels.yaml").read_text(encoding="utf-8")):
        report = score_file(SPECS / entry["file"], kind=entry["kind"])
        for concern, expected in entry["concerns"].items():
            got = report.concerns[concern].status
            result.labels += 1
            result.confusion[(expected, got)] += 1
            if got == expected:
                result.agreed += 1
                continue
            note = f"{entry['file']}: {concern} labelled {expected}, scored {got}"
            result.disagreements.append(note)
            if expected != "present" and got == "present":
                result.missed_gaps.append(note)
    return result


@dataclass
class NotesResult:
    notes: int = 0
    facts: int = 0
    facts_kept: int = 0
    lost_facts: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
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


def notes_results() -> NotesResult:
    from translator.drafting import draft

    result = NotesResult()
    for entry in yaml.safe_load((NOTES / "labels.yaml").read_text(encoding="utf-8")):
        outcome = draft(NOTES / entry["file"], kind=entry["kind"], engine="offline")
        result.notes += 1
        for fact in entry["facts"]:
            result.facts += 1
            if str(fact) in outcome.markdown:
                result.facts_kept += 1
            else:
                result.lost_facts.append(f"{entry['file']}: {fact}")
        result.invented.extend(f"{entry['file']}: {f.message}" for f in outcome.grounding)
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
