"""The gate: the rubric checker plus grounding decide whether a draft is accepted. Code, not model.

Grounding comes first: every claim of the draft is traced to the notes, and each item holding
an ungrounded claim is set aside, listed under "Assumptions (not in the notes)", a section the
rubric reads nothing from. The rubric then judges what is left, so an invented lineage leaves
lineage missing (and an open question asks for it) instead of making it present. The rendered
Markdown is the spec as judged: `translator score` on it gives the gate's verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translator.drafting.grounding import Grounding, ground, grounding_criterion, set_aside
from translator.drafting.render import render_markdown
from translator.kinds import SpecBase
from translator.rubric import Verdict, score_text
from translator.rubric.model import Rubric
from translator.rubric.registry import check_type
from translator.rubric.report import DocumentReport, Finding
from translator.rubric.scoring import choose_rubric


@dataclass
class GateResult:
    markdown: str
    report: DocumentReport
    grounding: Grounding
    spec: SpecBase | None = None  # the spec as judged: without the items set aside
    rubric: Rubric | None = field(default=None, repr=False)

    @property
    def accepted(self) -> bool:
        return self.report.passed and not self.grounding.findings

    def blocking(self, verdict: Verdict) -> list[Finding]:
        """What stands between the draft and acceptance: grounding, then rubric findings."""
        rubric = [f for f in self.report.findings if f.severity.rank >= verdict.fail_on.rank]
        return [*self.grounding.findings, *rubric]

    def check_of(self, finding: Finding) -> str | None:
        """The check type of the criterion behind ``finding`` (None if the rubric lacks it)."""
        criteria = self.rubric.criteria if self.rubric is not None else []
        return next((c.check for c in criteria if c.id == finding.rule), None)

    def needs_notes(self, finding: Finding) -> bool:
        """Whether the finding comes from a check that judges the draft against its notes."""
        check = self.check_of(finding)
        return check is not None and check_type(check).needs_notes


def run_gate(
    spec: SpecBase, notes_text: str, *, verdict: Verdict = Verdict(), front_matter: dict[str, object] | None = None
) -> GateResult:
    rubric = choose_rubric(None, kind=spec.kind, rubric=verdict.rubric).rubric
    chosen = grounding_criterion(rubric.criteria)
    grounding, invented = ground(spec, notes_text, chosen[0] if chosen else None)
    judged, assumptions = set_aside(spec, invented) if chosen else (spec, [])
    markdown = render_markdown(judged, front_matter=front_matter, assumptions=assumptions)
    report = score_text(markdown, path="<draft>", kind=spec.kind, rubric=rubric, verdict=verdict)
    if grounding.findings:  # each finding points at its claim in the Markdown written
        lines = markdown.splitlines()
        located = [
            finding.model_copy(update={"line": _line_of(claim.claim, lines)})
            for finding, claim in zip(grounding.findings, grounding.ungrounded, strict=True)
        ]
        grounding = grounding.model_copy(update={"findings": located})
    return GateResult(markdown=markdown, report=report, grounding=grounding, spec=judged, rubric=rubric)


def _line_of(claim: str, lines: list[str]) -> int | None:
    probe = claim[:40]
    return next((number for number, text in enumerate(lines, start=1) if probe in text), None)
