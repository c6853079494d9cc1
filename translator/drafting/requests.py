"""What each request of the drafting chain asks: the prompt variables of every step.

Shared by the live chain and the Batch API mode (the round machine builds them), so the two send
the same requests byte for byte. No LLM imports: the prompts are rendered by whoever sends.
"""

from __future__ import annotations

from collections.abc import Sequence

from translator.drafting.findings import Findings
from translator.drafting.tokens import estimate_tokens
from translator.kinds import SPEC_KINDS, SpecBase, spec_model
from translator.rubric import load_rubric, load_vocabulary
from translator.rubric.report import Finding

# Notes longer than this are split for extraction and the findings merged; the draft step then
# works from the findings alone.
CHUNK_TOKENS = 12_000


def extract_variables(notes: str) -> list[dict[str, str]]:
    """One extract request per notes chunk."""
    return [{"notes": chunk} for chunk in split_notes(notes, CHUNK_TOKENS)]


def classify_variables(findings: Findings) -> dict[str, str]:
    kinds = "\n".join(f"- {kind}: {load_rubric(kind).description}" for kind in SPEC_KINDS)
    return {"kinds": kinds, "findings": findings.model_dump_json(indent=1)}


def draft_variables(kind: str, findings: Findings, notes: str) -> dict[str, str]:
    """The variables of the draft prompt."""
    return {**kind_variables(kind), "findings": findings.model_dump_json(indent=1), "notes": _notes_for_prompt(notes)}


def repair_variables(spec: SpecBase, problems: Sequence[Finding | str], notes: str) -> dict[str, str]:
    """The variables of the repair prompt."""
    return {
        **kind_variables(spec.kind),
        "spec": spec.model_dump_json(indent=1, exclude={"unfiled"}),  # not the model's to fill
        "findings": "\n".join(f"- {line}" for line in problem_lines(problems)),
        "notes": _notes_for_prompt(notes),
    }


def problem_lines(problems: Sequence[Finding | str]) -> list[str]:
    """Problems for a repair round, as the lines the repair prompt lists."""
    return [p if isinstance(p, str) else _describe(p) for p in problems]


def kind_variables(kind: str) -> dict[str, str]:
    """The kind's name, description and concern requirements, from its rubric and the vocabulary."""
    rubric = load_rubric(kind)
    vocabulary = load_vocabulary()
    model = spec_model(kind)
    lines = []
    for concern in model.concern_order:
        needs = [
            " AND ".join("(" + " or ".join(vocabulary.signals[s].label for s in group) + ")" for group in c.require)
            for c in rubric.criteria
            if c.concern == concern and c.check == "concern_adequate" and c.decides_status
        ]
        requirement = f"; must name {'; '.join(needs)}" if needs else ""
        lines.append(
            f"- {concern} ({vocabulary.concerns[concern].title}){requirement}. If unsettled, ask: {vocabulary.concerns[concern].question}"
        )
    return {
        "kind": kind,
        "kind_title": rubric.title,
        "kind_description": rubric.description,
        "concerns": "\n".join(lines),
    }


def split_notes(notes: str, chunk_tokens: int) -> list[str]:
    """Split long notes at paragraph boundaries into parts of at most ``chunk_tokens`` (estimated)."""
    if estimate_tokens(notes) <= chunk_tokens:
        return [notes]
    limit = chunk_tokens * 4
    chunks: list[str] = []
    current = ""
    for paragraph in notes.split("\n\n"):
        while len(paragraph) > limit:  # one huge paragraph: cut it
            if current:
                chunks.append(current)
                current = ""
            chunks.append(paragraph[:limit])
            paragraph = paragraph[limit:]
        if len(current) + len(paragraph) + 2 > limit and current:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks


def _notes_for_prompt(notes: str) -> str:
    if estimate_tokens(notes) <= CHUNK_TOKENS:
        return notes
    return "(The notes are too long to repeat here; work from the findings above.)"


def _describe(finding: Finding) -> str:
    where = f" (line {finding.line})" if finding.line else ""
    concern = f"[{finding.concern}] " if finding.concern else ""
    return f"{concern}{finding.message}{where}"
