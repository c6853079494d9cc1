"""Open questions for the researcher: one for each concern a draft leaves unsettled.

A question is part of the spec, so it is part of the Markdown the gate scores. It never settles
a concern, though (the rubric reads no open-questions section as content), so the concerns a
draft leaves unsettled are the same with or without its questions. ``gate_with_questions``
uses that to gate a draft and ask its questions in one pass of the rubric instead of two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from translator.drafting.gate import GateResult, run_gate
from translator.drafting.render import render_markdown
from translator.kinds import OpenQuestion, SpecBase
from translator.rubric import Verdict, load_vocabulary
from translator.rubric.document import parse_document
from translator.rubric.report import ConcernResult
from translator.rubric.scoring import choose_rubric, concern_statuses

# What the notes said about a concern without settling it ("Cadence: not decided"), by concern:
# quoted back in the question that asks for it.
Said = Mapping[str, list[str]]


def unsettled(spec: SpecBase, statuses: Mapping[str, ConcernResult]) -> list[str]:
    """The spec's concerns, in its kind's order, that the rubric does not find present."""
    return [concern for concern in spec.concern_order if statuses[concern].status != "present"]


def with_questions(spec: SpecBase, concerns: Iterable[str], said: Said | None = None) -> SpecBase:
    """``spec`` plus a question for each of ``concerns`` it does not already ask about."""
    vocabulary = load_vocabulary()
    asked = {q.concern for q in spec.open_questions}
    questions = list(spec.open_questions)
    for concern in concerns:
        if concern in asked:
            continue
        question = vocabulary.concerns[concern].question
        quoted = (said or {}).get(concern)
        if quoted:
            question = f'{question.rstrip("?")}? The notes say: "{"; ".join(quoted)}"'
        questions.append(OpenQuestion(concern=concern, question=question))
    return spec.model_copy(update={"open_questions": questions})


def ask_for_gaps(spec: SpecBase, said: Said | None = None, rubric: str | None = None) -> SpecBase:
    """Add one open question for each concern the rubric does not find present in the draft,
    quoting what the notes said about it, if anything. ``rubric``: the configured one."""
    judge = choose_rubric(None, kind=spec.kind, rubric=rubric).rubric
    statuses = concern_statuses(parse_document(render_markdown(spec)), judge)
    return with_questions(spec, unsettled(spec, statuses), said)


def gate_with_questions(
    spec: SpecBase,
    notes_text: str,
    *,
    verdict: Verdict = Verdict(),
    front_matter: dict[str, object] | None = None,
    said: Said | None = None,
    expected: Mapping[str, ConcernResult] | None = None,
) -> tuple[SpecBase, GateResult]:
    """Ask for every concern ``spec`` leaves unsettled, and gate the result.

    The questions are first asked for the concerns expected to be unsettled: those ``expected``
    does not find present (statuses from an earlier gate of this spec, or of the notes it keeps
    the text of), or else the concerns the draft says nothing about. When the gate's report leaves exactly those unsettled, that gate
    stands; otherwise the questions are asked again from the report, and gated again. Either way
    the result is what ``ask_for_gaps`` then ``run_gate`` would give.
    """
    if expected is not None:
        guess = unsettled(spec, expected)
    else:
        guess = [concern for concern in spec.concern_order if not getattr(spec, concern)]
    asked = with_questions(spec, guess, said)
    gate = run_gate(asked, notes_text, verdict=verdict, front_matter=front_matter)
    needed = with_questions(spec, unsettled(spec, gate.report.concerns), said)
    if needed.open_questions == asked.open_questions:
        return asked, gate
    return needed, run_gate(needed, notes_text, verdict=verdict, front_matter=front_matter)
