"""The `grounding` check type: what a rubric may say about grounding a draft in its notes.

Grounding needs the notes, so the check is registered with ``notes=True``: `translator score`
(which has only the document) skips it, and the draft gate judges it with the notes
(``translator.drafting.grounding``). Its params say which vocabulary signals make a statement
concern-bearing, per concern: a statement that carries one of them (a source, a cadence, a
failure condition, a validation method...) is a claim that the notes must state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from translator.rubric.registry import Params, register

if TYPE_CHECKING:
    from translator.rubric.checks import CheckContext
    from translator.rubric.model import Criterion
    from translator.rubric.report import Finding


class GroundingParams(Params):
    # concern -> the signals whose wording a statement about it must take from the notes
    statements: dict[str, list[str]] = Field(default_factory=dict)
    # A notes sentence with this signal ("hourly would be nice", "not decided") states nothing.
    hedge: str = "hedge"
    # How many consecutive notes lines one statement may draw its wording from.
    window: int = Field(default=5, ge=1, le=50)

    def signal_names(self) -> list[str]:
        return [self.hedge, *(signal for signals in self.statements.values() for signal in signals)]


@register("grounding", params=GroundingParams, notes=True)
def grounding(ctx: CheckContext, criterion: Criterion, params: GroundingParams) -> list[Finding]:
    """With the document alone there is nothing to ground against: not applicable here.

    The score path never calls a ``notes=True`` check; the gate judges this criterion with the
    notes in ``translator.drafting.grounding.ground``.
    """
    return []
