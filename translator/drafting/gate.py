"""The gate: the rubric checker plus grounding decide whether a draft is accepted. Code, not model."""

from __future__ import annotations

from dataclasses import dataclass

from translator.drafting.grounding import check_grounding
from translator.drafting.render import render_markdown
from translator.kinds import SpecBase
from translator.rubric import Verdict, score_text
from translator.rubric.report import DocumentReport, Finding


@dataclass
class GateResult:
    markdown: str
    report: DocumentReport
    grounding: list[Finding]

    @property
    def accepted(self) -> bool:
        return self.report.passed and not self.grounding

    def blocking(self, verdict: Verdict) -> list[Finding]:
        """What stands between the draft and acceptance: grounding, then rubric findings."""
        rubric = [f for f in self.report.findings if f.severity.rank >= verdict.fail_on.rank]
        return [*self.grounding, *rubric]


def run_gate(
    spec: SpecBase, notes_text: str, *, verdict: Verdict = Verdict(), front_matter: dict[str, object] | None = None
) -> GateResult:
    markdown = render_markdown(spec, front_matter=front_matter)
    report = score_text(markdown, path="<draft>", kind=spec.kind, rubric=verdict.rubric, verdict=verdict)
    return GateResult(markdown=markdown, report=report, grounding=check_grounding(spec, notes_text, markdown))
