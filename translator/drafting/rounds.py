"""The round machine: given the last answer, the next request or the finished draft. No LLM imports.

    extract (one request per notes chunk, merged) -> classify (only when no kind is known)
    -> draft -> gate -> repair -> gate ... (at most ``max_repairs`` repairs) -> the draft

Both drafting modes step it: the live chain (translator.drafting.chain.run_rounds) awaits each
request; the Batch API mode (translator.batch.openai_batch) sends each as a line of a Batch job
and keeps the RoundState in batch_state.json between jobs. Every answer is judged here, so the
two modes judge alike:

* a usable draft or repair answer goes through the gate; the findings a repair can act on
  (``repairable``) go back in the next round;
* an unusable extract answer is a failed round too: the extract is asked again, and when every
  round (``max_repairs + 1``) fails, the model service failed: no findings, no spec;
* an unusable classify answer falls back to the rubric's own detection of the kind;
* an unusable draft or repair answer (OutputInvalid: malformed, truncated, an error line) is a
  failed round: the next round repairs the last usable spec (or the empty spec), told why; with
  no round left and no usable spec at all, the result is the failed draft;
* a refusal (Refused) at any step is a model-service failure: a ModelServiceError, exit 4 for
  `translator draft`, a failed report in a batch.

The gate runs through ``off_loop`` (translator.drafting.gate_pool): in a live batch, in the gate
worker, so that other drafts' requests go out meanwhile; elsewhere inline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from translator.drafting.findings import Findings, KindChoice
from translator.drafting.gate import GateResult, run_gate
from translator.drafting.gate_pool import off_loop
from translator.drafting.grounding import Grounding
from translator.drafting.prompts import prompt_text
from translator.drafting.questions import gate_with_questions
from translator.drafting.requests import (
    classify_variables,
    draft_variables,
    extract_variables,
    problem_lines,
    repair_variables,
)
from translator.drafting.result import Draft
from translator.drafting.usage import Usage
from translator.errors import InputError, ModelServiceError, OutputInvalid, Refused
from translator.kinds import SPEC_KINDS, SpecBase, spec_model
from translator.resources import data_dir
from translator.rubric import Verdict, detect_kind, load_vocabulary
from translator.rubric.document import Document, parse_document
from translator.rubric.report import Finding
from translator.rubric.scoring import KindSource
from translator.sources.model import Notes

Step = Literal["extract", "classify", "draft", "repair"]
# What a driver hands back for each request: the parsed answer, or why there is none.
Answer = BaseModel | OutputInvalid | Refused


class RoundState(BaseModel):
    """Where one draft stands between two requests. Plain JSON: the Batch API mode saves it."""

    model_config = ConfigDict(extra="forbid")

    step: Step = "extract"  # the step whose answer is awaited
    kind: str | None = None  # None until the classify step has answered
    declared: bool = False  # the kind was given (--kind or front matter), not chosen here
    round: int = 0  # the draft (0) or repair (1..max_repairs) round last asked for; the extract try
    findings: dict[str, Any] | None = None  # the merged extraction Findings
    spec: dict[str, Any] | None = None  # the latest usable draft
    problems: list[str] = Field(default_factory=list)  # what the next repair round is asked to fix
    failure: str | None = None  # why the latest draft or repair answer was unusable, if it was


@dataclass(frozen=True)
class Ask:
    """The next request: one per entry of ``parts`` (extract: one per notes chunk)."""

    step: Step
    round: int
    schema: type[BaseModel]
    parts: list[dict[str, str]]  # the step prompt's variables, per request
    label: str  # what a progress display says while it runs


@dataclass(frozen=True)
class RoundRules:
    """What the machine needs besides the notes: the gate's verdict, the repair budget, and what
    to record in the finished draft."""

    verdict: Verdict
    max_repairs: int
    engine: str
    model: str | None
    prompt_versions: str | None


class Rounds:
    """One draft's round machine over ``state`` (changed in place as answers come in)."""

    def __init__(
        self,
        notes: Notes,
        rules: RoundRules,
        state: RoundState,
        *,
        usage: Usage | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        self.notes = notes
        self.rules = rules
        self.state = state
        self.usage = usage if usage is not None else Usage()  # the driver adds each call's usage
        self.on_step = on_step or (lambda _: None)

    @classmethod
    def start(cls, notes: Notes, kind: str | None, rules: RoundRules, **kwargs: Any) -> Rounds:
        """A new machine: ``kind`` (else the notes' front matter) is checked now, before any
        request; without either, the classify step chooses."""
        known = kind or notes.kind
        state = RoundState(kind=choose_kind(known, notes) if known else None, declared=bool(known))
        return cls(notes, rules, state, **kwargs)

    def request(self) -> Ask:
        """The request the state awaits (the Batch API mode asks again after a restart)."""
        state, text = self.state, self.notes.text
        if state.step == "extract":
            return Ask("extract", state.round, Findings, extract_variables(text), "extracting findings")
        findings = Findings.model_validate(state.findings)
        if state.step == "classify":
            return Ask("classify", 0, KindChoice, [classify_variables(findings)], "choosing the spec kind")
        kind = self._kind()
        if state.step == "draft":
            return Ask(
                "draft", 0, spec_model(kind), [draft_variables(kind, findings, text)], f"drafting the {kind} spec"
            )
        spec = self._spec() or empty_spec(kind)
        return Ask(
            "repair",
            state.round,
            spec_model(kind),
            [repair_variables(spec, state.problems, text)],
            "repairing the draft",
        )

    async def answer(self, answers: Sequence[Answer]) -> Ask | Draft:
        """Judge the answers to ``request()``: the next request, or the finished draft.
        Raises a ModelServiceError (Refused; no usable findings) for a model-service failure."""
        state = self.state
        for answer in answers:
            if isinstance(answer, Refused):
                raise Refused(f"{answer}; no spec was drafted", path=self.notes.path)
        if state.step in ("extract", "classify"):
            parts = [a for a in answers if isinstance(a, BaseModel)]
            expected = len(self.request().parts)
            usable = len(parts) == expected and len(answers) == expected
            unusable = next((str(a) for a in answers if isinstance(a, OutputInvalid)), "no answer")
            if state.step == "extract":
                if not usable:
                    return self._extract_again(unusable)
                merged = Findings.model_validate(parts[0])
                for part in parts[1:]:
                    merged = merged.merge(Findings.model_validate(part))
                state.findings = merged.model_dump(mode="json")
                state.step, state.round = ("classify" if state.kind is None else "draft"), 0
            else:
                # An unusable choice is no reason to stop: the rubric's own detector chooses.
                chosen = str(KindChoice.model_validate(parts[0]).kind) if usable else None
                state.kind = choose_kind(chosen, self.notes)
                state.step = "draft"
            return self.request()
        if len(answers) != 1:
            raise ValueError(f"one answer expected for the {state.step} step, got {len(answers)}")
        answer = answers[0]
        if isinstance(answer, OutputInvalid):
            state.failure = str(answer)
            state.problems = [prompt_text("unusable", reason=state.failure)]
            return self._next_round() or await self._finish(None)
        spec = spec_model(self._kind()).model_validate(answer)
        state.spec, state.failure = spec.model_dump(mode="json"), None
        self.on_step("checking the draft against the rubric and the notes")
        gate = await off_loop(
            run_gate, spec, self.notes.text, verdict=self.rules.verdict, front_matter=notes_front_matter(self.notes)
        )
        if gate.accepted:
            return await self._finish(gate)
        problems = repairable(gate, spec, self.rules.verdict)
        if not problems:  # every remaining gap is already an open question: only the researcher can close it
            return await self._finish(gate)
        state.problems = problem_lines(problems)
        return self._next_round() or await self._finish(gate)

    def _extract_again(self, failure: str) -> Ask:
        """An unusable extract answer is a failed round: asked again while rounds are left."""
        tries = self.state.round + 1
        if tries > self.rules.max_repairs:
            raise ModelServiceError(
                f"the model gave no usable findings in {tries} round(s): {failure}; no spec was drafted",
                path=self.notes.path,
            )
        self.state.round = tries
        return self.request()

    def _next_round(self) -> Ask | None:
        if self.state.round >= self.rules.max_repairs:
            return None
        self.state.step, self.state.round = "repair", self.state.round + 1
        return self.request()

    async def _finish(self, gate: GateResult | None) -> Draft:
        """The draft: the last usable spec with questions for its gaps, else the failed draft."""
        state, notes, rules = self.state, self.notes, self.rules
        spec = self._spec()
        if spec is None:
            return failed_draft(notes, self._kind(), rules, self.usage, state.failure or "no answer", state.round)
        if gate is None:  # the last answer was unusable: gate the last usable spec again
            gate = await off_loop(
                run_gate, spec, notes.text, verdict=rules.verdict, front_matter=notes_front_matter(notes)
            )
        if not gate.accepted:
            asked: tuple[SpecBase, GateResult] = await off_loop(
                gate_with_questions,
                spec,
                notes.text,
                verdict=rules.verdict,
                front_matter=notes_front_matter(notes),
                expected=gate.report.concerns,
            )
            spec, gate = asked
        result = finished_draft(notes, spec, gate, rules=rules, usage=self.usage, rounds=state.round)
        result.kind_source = kind_source_of(result.kind if state.declared else None, result.kind)
        result.failure = state.failure
        return result

    def _kind(self) -> str:
        if self.state.kind is None:
            raise ValueError("the kind is not chosen yet")
        return self.state.kind

    def _spec(self) -> SpecBase | None:
        return None if self.state.spec is None else spec_model(self._kind()).model_validate(self.state.spec)


# Check types whose findings only the researcher can close once the draft asks about their
# concern: no repair can invent a lineage. Grounding findings are always repairable: the
# repair can drop what the notes do not say.
_DEFERRED_WHEN_ASKED = frozenset({"concern_present", "concern_adequate"})


def repairable(gate: GateResult, spec: SpecBase, verdict: Verdict) -> list[Finding]:
    """Findings a repair round can act on, picked by their criterion's check type: not those
    about a concern already asked of the researcher."""
    asked = {q.concern for q in spec.open_questions}
    candidates = gate.blocking(verdict) or [f for f in gate.report.findings if f.severity.value == "warning"]
    return [
        f
        for f in candidates
        if gate.needs_notes(f) or not (f.concern in asked and gate.check_of(f) in _DEFERRED_WHEN_ASKED)
    ]


def empty_spec(kind: str) -> SpecBase:
    """The spec a repair starts from when no answer so far was usable."""
    model = SPEC_KINDS[kind]
    return model.model_validate({name: ("" if name == "title" else []) for name in model.model_fields})


def choose_kind(explicit: str | None, notes: Notes, doc: Document | None = None) -> str:
    """The kind asked for, else the notes' front matter, else the best match of the notes
    (``doc``: the notes already parsed, to spare a second parse)."""
    kind = explicit or notes.kind or detect_notes_kind(notes, doc)
    return check_kind(kind, path=notes.path)


def detect_notes_kind(notes: Notes, doc: Document | None = None) -> str:
    """The scorer's detection on the notes, named by their front matter title if they have one
    (the reader takes the front matter off their text)."""
    return detect_kind(doc or parse_document(notes.text), title=notes.title)


def check_kind(kind: str, *, path: str | None = None) -> str:
    """``kind`` normalised, or an InputError naming the known kinds (a batch asks before spending)."""
    kind = kind.strip().lower()
    if kind not in SPEC_KINDS:
        raise InputError(f"unknown kind {kind!r}; known kinds: {', '.join(SPEC_KINDS)}", path=path)
    return kind


def kind_source_of(declared: str | None, kind: str) -> KindSource:
    """How ``kind`` was chosen: declared by the caller or the notes, else detected (general
    when no kind was clear: the fallback), as the scorer says of a document it detects."""
    if declared:
        return "declared"
    return "fallback" if kind == "general" else "detected"


def notes_front_matter(notes: Notes) -> dict[str, object]:
    """The notes' front matter a drafted spec carries on."""
    return {key: notes.front_matter[key] for key in ("title", "owner") if notes.front_matter.get(key)}


def finished_draft(
    notes: Notes, spec: SpecBase, gate: GateResult, *, rules: RoundRules, usage: Usage, rounds: int
) -> Draft:
    return Draft(
        source=notes.path,
        kind=spec.kind,
        engine=rules.engine,
        model=rules.model,
        prompt_versions=rules.prompt_versions,
        accepted=gate.accepted,
        rounds=rounds,
        spec=gate.spec or spec,  # as judged: what the notes do not say is set aside
        markdown=gate.markdown,
        report=gate.report,
        grounding=gate.grounding.traced_to(notes.origin),
        usage=usage,
    )


def failed_draft(notes: Notes, kind: str, rules: RoundRules, usage: Usage, failure: str, rounds: int) -> Draft:
    """No usable spec came back: the failed draft (templates/failed-draft.md) asks every question."""
    vocabulary = load_vocabulary()
    questions = "\n".join(f"- {vocabulary.concerns[c].question}" for c in SPEC_KINDS[kind].concern_order)
    template = Template((data_dir("templates") / "failed-draft.md").read_text(encoding="utf-8"))
    markdown = template.substitute(rounds=rounds + 1, failure=failure, questions=questions)
    return Draft(
        source=notes.path,
        kind=kind,
        engine=rules.engine,
        model=rules.model,
        prompt_versions=rules.prompt_versions,
        accepted=False,
        rounds=rounds,
        spec=None,
        markdown=markdown,
        report=None,
        grounding=Grounding(),
        usage=usage,
        failure=failure,
    )
