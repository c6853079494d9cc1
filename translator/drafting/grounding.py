"""Grounding: a draft may state as fact only the figures and names that the notes contain.

Every number (with its %, $, unit or version prefix), every snake_case or dotted identifier and
every inline-code span in a spec's fact fields must appear in the notes. Numbers compare by
value ("0.670" is "0.67"; "48h" is the 48 of "48 hours"), names case-insensitively. Open
questions are exempt: they ask, they do not state. Each violation is a finding that sends the
draft back for repair; an accepted draft has none.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

from translator.kinds import FailureMode, SpecBase
from translator.kinds.tradeoff_memo import MatrixRow
from translator.rubric.model import Severity
from translator.rubric.report import Finding

RULE = "grounding"
_NUMBER = re.compile(r"(?<![\w.])[-+−]?\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?")
_IDENTIFIER = re.compile(
    r"`([^`\n]+)`|\b([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+)\b|\b([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\b"
)
# Words that are dotted or underscored in ordinary prose and name nothing in the notes.
_PROSE = {"e.g", "i.e", "etc", "vs", "a.m", "p.m"}


class NotesIndex:
    """The numbers and names the notes contain, for fast membership tests."""

    def __init__(self, notes_text: str) -> None:
        self.text = notes_text.lower()
        self.numbers = {value for value in (_value(m) for m in _NUMBER.finditer(notes_text)) if value is not None}

    def has_number(self, value: Decimal) -> bool:
        return value in self.numbers

    def has_name(self, name: str) -> bool:
        return name.lower() in self.text


def _value(match: re.Match[str]) -> Decimal | None:
    digits = match.group(1).replace(",", "") + (match.group(2) or "")
    try:
        return Decimal(digits).normalize()
    except InvalidOperation:
        return None


def ungrounded(text: str, index: NotesIndex) -> list[str]:
    """The figures and names in ``text`` that the notes do not contain."""
    missing: list[str] = []
    for match in _NUMBER.finditer(text):
        value = _value(match)
        if value is not None and not index.has_number(value):
            missing.append(match.group(0).lstrip("+-−"))
    for match in _IDENTIFIER.finditer(text):
        name = next(group for group in match.groups() if group)
        if name.lower().rstrip(".") in _PROSE:
            continue
        if match.group(1):
            # Inline code: a name is grounded if the notes have it; an expression if each of its
            # names is (its numbers were checked above).
            parts = re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", name)
            missing.extend(part for part in parts if ("_" in part or "." in part) and not index.has_name(part))
        elif not index.has_name(name):
            missing.append(name)
    return list(dict.fromkeys(missing))


def fact_texts(spec: SpecBase) -> list[tuple[str, str]]:
    """(field, text) for everything the rendered spec states as fact."""
    out: list[tuple[str, str]] = [("title", spec.title)]
    for field in ("evidence", *spec.concern_order):
        for item in getattr(spec, field):
            out.extend((field, text) for text in _texts(item))
    return out


def _texts(item: object) -> list[str]:
    if isinstance(item, FailureMode):
        return [item.condition, item.handling]
    if isinstance(item, MatrixRow):
        return [item.option, item.accuracy, item.latency, item.cost, item.maintenance]
    if isinstance(item, BaseModel):
        return [str(v) for v in item.model_dump().values()]
    return [str(item)]


def check_grounding(spec: SpecBase, notes_text: str, rendered: str | None = None) -> list[Finding]:
    """One finding per invented figure or name, with its line in ``rendered`` when given."""
    index = NotesIndex(notes_text)
    lines = rendered.splitlines() if rendered else []
    findings: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for field, text in fact_texts(spec):
        for token in ungrounded(text, index):
            if (field, token) in seen:
                continue
            seen.add((field, token))
            findings.append(
                Finding(
                    rule=RULE,
                    concern=None if field in ("title", "evidence") else field,
                    severity=Severity.error,
                    message=f"'{token}' in {field} is not in the notes: a draft may not invent figures or names.",
                    line=_line_of(token, lines),
                    hint="Use only figures and names from the notes; move anything else to an open question.",
                )
            )
    return findings


def _line_of(token: str, lines: list[str]) -> int | None:
    for number, line in enumerate(lines, start=1):
        if token in line:
            return number
    return None
