"""draft(): notes in, an accepted (or rejected) spec out. The Python API behind `translator draft`."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, SerializeAsAny

from translator.drafting.gate import GateResult, run_gate
from translator.drafting.gate_pool import off_loop
from translator.drafting.grounding import Grounding
from translator.drafting.offline import file_notes
from translator.drafting.questions import gate_with_questions
from translator.drafting.usage import Usage
from translator.errors import InputError, ModelServiceError
from translator.kinds import SPEC_KINDS, OpenQuestion, SpecBase
from translator.outputs import OutputPaths as OutputPaths  # the writer lives in outputs.py
from translator.outputs import write_draft as write_draft
from translator.redact import register_secret
from translator.rubric import Verdict, detect_kind, load_vocabulary
from translator.rubric.document import Document, parse_document
from translator.rubric.report import DocumentReport, Finding
from translator.rubric.scoring import KindSource, choose_rubric, concern_statuses
from translator.sources import read_notes, read_notes_text
from translator.sources.model import Notes

if TYPE_CHECKING:  # the LLM stack loads only when the OpenAI engine runs
    from translator.drafting.chain import DraftingChain
    from translator.drafting.findings import Findings
    from translator.drafting.service import ModelSession, Throttle

DEFAULT_MODEL = "gpt-5-mini"
Engine = Literal["auto", "offline", "openai", "local"]
OFFLINE_NOTICE = "no OPENAI_API_KEY or --base-url set: drafting with the offline engine (rules, no model)"


@dataclass
class DraftOptions:
    engine: Engine = "auto"
    model: str | None = None  # default: TRANSLATOR_MODEL, then DEFAULT_MODEL
    base_url: str | None = None  # default: OPENAI_BASE_URL
    api_key: str | None = field(default=None, repr=False)  # default: OPENAI_API_KEY; never printed
    structured_output: str = "auto"
    max_repairs: int = 2
    timeout: float | None = None  # the longest silence from the server; default 60 s, 600 s on loopback
    attempts: int = 5
    stream: bool | None = None  # default: streamed on the local engine only
    max_tokens: int | None = None  # a cap on each answer's length
    server_id: str | None = None  # names the server in the mode memory (the local engine sets it)
    cache: bool = True
    cache_path: Path | None = None
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    verdict: Verdict = Verdict()

    def resolved(self) -> DraftOptions:
        """Fill what the environment supplies (the key is registered for redaction)."""
        api_key = self.api_key or os.environ.get("OPENAI_API_KEY") or None
        register_secret(api_key)
        if self.engine == "local":  # a hosted model's name in the environment means nothing to it
            from translator.drafting.local_server import DEFAULT_MODEL_PACKAGE

            return replace(self, model=self.model or DEFAULT_MODEL_PACKAGE)
        return replace(
            self,
            model=self.model or os.environ.get("TRANSLATOR_MODEL") or DEFAULT_MODEL,
            base_url=self.base_url or os.environ.get("OPENAI_BASE_URL") or None,
            api_key=api_key,
        )

    def engine_to_use(self) -> tuple[str, str | None]:
        """The engine that will run, and a notice when auto fell back to offline."""
        if self.engine == "openai" and not (self.api_key or self.base_url):
            # Said at once: otherwise the calls go out keyless and fail as "cannot reach" after retries.
            raise InputError(
                "--engine openai needs an API key: set OPENAI_API_KEY (or --base-url for a server that needs none)"
            )
        if self.engine != "auto":
            return self.engine, None
        if self.api_key or self.base_url:
            return "openai", None
        return "offline", OFFLINE_NOTICE


class Draft(BaseModel):
    """A drafted spec, the gate's verdict on it, and what it cost."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: str | None
    kind: str
    # How the kind was chosen: declared (--kind or front matter), detected from the notes by
    # the scorer's own detector, or fallback (no kind was clear, so general).
    kind_source: KindSource = "declared"
    engine: str
    model: str | None = None
    prompt_versions: str | None = None
    accepted: bool
    rounds: int = 0  # repair rounds used
    spec: SerializeAsAny[SpecBase] | None
    markdown: str
    report: DocumentReport | None
    grounding: Grounding  # every claim -> its notes line, or ungrounded with the reason
    usage: Usage
    failure: str | None = None  # why there is no valid spec at all, when there is none

    @property
    def questions(self) -> list[OpenQuestion]:
        return list(self.spec.open_questions) if self.spec is not None else []

    @property
    def score(self) -> int | None:
        return self.report.score if self.report is not None else None


def draft(
    notes: Notes | Path | str,
    *,
    kind: str | None = None,
    engine: Engine = "auto",
    options: DraftOptions | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Draft:
    """Draft a spec from ``notes`` (a Notes, a path, or the notes' text as a str).

    Synchronous wrapper over :func:`adraft`; inside a running event loop, await adraft instead.
    """
    opts = _effective(options, engine)
    if opts.engine_to_use()[0] == "offline":  # no model, so no event loop either
        return _draft_offline(_load(notes), kind, opts, on_step or (lambda _: None))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(adraft(notes, kind=kind, engine=engine, options=options, on_step=on_step))
    raise RuntimeError("draft() was called inside a running event loop; use `await adraft(...)`")


async def adraft(
    notes: Notes | Path | str,
    *,
    kind: str | None = None,
    engine: Engine = "auto",
    options: DraftOptions | None = None,
    on_step: Callable[[str], None] | None = None,
    session: object | None = None,
) -> Draft:
    """Draft a spec. ``session`` (a ModelSession) lets a batch share one limiter, cache and ledger."""
    opts = _effective(options, engine)
    loaded = _load(notes)
    step = on_step or (lambda _: None)
    if opts.engine_to_use()[0] == "offline":
        return _draft_offline(loaded, kind, opts, step)
    if opts.engine_to_use()[0] == "local" and session is None:
        return await _draft_local(loaded, kind, opts, step)
    return await _draft_openai(loaded, kind, opts, step, session)


def _effective(options: DraftOptions | None, engine: Engine) -> DraftOptions:
    """An engine named in the options wins over the keyword; "auto" in both lets the
    environment decide (a key or a base URL means the model)."""
    opts = options or DraftOptions()
    if opts.engine == "auto":
        opts = replace(opts, engine=engine)
    return opts.resolved()


def _load(notes: Notes | Path | str) -> Notes:
    if isinstance(notes, Notes):
        return notes
    if isinstance(notes, Path):
        return read_notes(notes)
    return read_notes_text(notes)


def model_session(opts: DraftOptions, throttle: Throttle | None = None) -> ModelSession:
    """The model session for these options: one client, cache and usage ledger (and, for a
    batch, one limiter) shared by every call made with it."""
    from translator.drafting.cache import CallCache
    from translator.drafting.capabilities import ModeMemory
    from translator.drafting.service import ModelSession, ModelSettings

    settings = ModelSettings(
        model=opts.model or DEFAULT_MODEL,
        base_url=opts.base_url,
        api_key=opts.api_key,
        structured_output=opts.structured_output,
        timeout=opts.timeout,
        attempts=opts.attempts,
        prices=opts.prices,
        stream=bool(opts.stream),
        max_tokens=opts.max_tokens,
        server_id=opts.server_id,
    )
    # The mode memory is kept even with --no-cache: it records what the server takes, not answers.
    return ModelSession(
        settings,
        cache=CallCache(opts.cache_path) if opts.cache else None,
        throttle=throttle,
        modes=ModeMemory(opts.cache_path),
    )


@contextmanager
def served_locally(opts: DraftOptions) -> Iterator[DraftOptions]:
    """For the local engine: its server runs for the block, and the options point the openai
    engine's one code path at it (streamed, so a long answer shows progress)."""
    from translator.drafting.local_server import LOCAL_MAX_TOKENS, local_server

    with local_server(opts.model) as server:
        yield replace(
            opts,
            base_url=server.base_url,
            model=server.model_name,
            api_key=None,  # the local server takes none; a real key must not go to it
            stream=True if opts.stream is None else opts.stream,
            max_tokens=opts.max_tokens or LOCAL_MAX_TOKENS,
            server_id=server.server_id,
        )


async def _draft_local(notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None]) -> Draft:
    step("starting the local model server")
    with served_locally(opts) as served:
        result = await _draft_openai(notes, kind, served, step, None)
    result.engine = "local"
    return result


def choose_kind(explicit: str | None, notes: Notes, doc: Document | None = None) -> str:
    """The kind asked for, else the notes' front matter, else the best match of the notes
    (``doc``: the notes already parsed, to spare a second parse)."""
    kind = explicit or notes.kind
    if kind is None:
        kind = detect_kind(doc or parse_document(notes.text))
    return check_kind(kind, path=notes.path)


def check_kind(kind: str, *, path: str | None = None) -> str:
    """``kind`` normalised, or an InputError naming the known kinds (a batch asks before spending)."""
    kind = kind.strip().lower()
    if kind not in SPEC_KINDS:
        raise InputError(f"unknown kind {kind!r}; known kinds: {', '.join(SPEC_KINDS)}", path=path)
    return kind


def notes_front_matter(notes: Notes) -> dict[str, object]:
    return {key: notes.front_matter[key] for key in ("title", "owner") if notes.front_matter.get(key)}


def _draft_offline(notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None]) -> Draft:
    doc = parse_document(notes.text)  # parsed once, for the kind and for the draft
    explicit = kind
    kind = choose_kind(kind, notes, doc)
    step(f"drafting the {kind} spec offline")
    spec, said = file_notes(notes.text, kind, title=notes.title, doc=doc)
    step("checking the draft against the rubric")
    # The draft keeps the notes' text, so it settles what the notes settle: the notes' own
    # statuses foretell which questions the draft needs, and one gate usually suffices.
    spec, gate = gate_with_questions(
        spec,
        notes.text,
        verdict=opts.verdict,
        front_matter=notes_front_matter(notes),
        said=said,
        expected=concern_statuses(doc, choose_rubric(None, kind=kind, rubric=opts.verdict.rubric).rubric),
    )
    result = finished_draft(notes, spec, gate, engine="offline", opts=opts, usage=Usage(), rounds=0)
    result.kind_source = kind_source_of(explicit or notes.kind, kind)
    return result


def kind_source_of(declared: str | None, kind: str) -> KindSource:
    """How ``kind`` was chosen: declared by the caller or the notes, else detected (general
    when no kind was clear: the fallback), as the scorer says of a document it detects."""
    if declared:
        return "declared"
    return "fallback" if kind == "general" else "detected"


async def _draft_openai(
    notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None], session: object | None
) -> Draft:
    # The LLM stack is imported here, on the drafting path only.
    from translator.drafting.service import ModelSession

    owned = session is None
    if session is None:
        session = model_session(opts)
    assert isinstance(session, ModelSession)
    try:
        return await _run_chain(notes, kind, opts, step, session)
    finally:
        if owned:
            await session.aclose()


async def _run_chain(
    notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None], session: object
) -> Draft:
    """Run the chain, counting only this draft's calls (a batch shares the session)."""
    from translator.drafting.service import ModelSession, progress_of_this_task, usage_of_this_task

    assert isinstance(session, ModelSession)
    current = ["calling the model"]

    def on_step(text: str) -> None:
        current[0] = text
        step(text)

    with usage_of_this_task() as usage, progress_of_this_task(lambda n: step(f"{current[0]} ({n} tokens so far)")):
        return await _chain_rounds(notes, kind, opts, on_step, session, usage)


async def _chain_rounds(
    notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None], session: object, usage: Usage
) -> Draft:
    from translator.drafting.chain import DraftingChain
    from translator.drafting.prompts import prompt_versions
    from translator.drafting.service import ModelSession, OutputInvalid, Refused

    assert isinstance(session, ModelSession)
    chain = DraftingChain(session, on_step=step)
    findings = await _findings(chain, notes, opts.max_repairs + 1)
    chosen = kind or notes.kind or await _model_kind(chain, findings, notes)
    chosen = choose_kind(chosen, notes)

    spec: SpecBase | None = None
    gate: GateResult | None = None
    problems: list[Finding] | list[str] = []
    failure: str | None = None
    rounds = 0
    for round_number in range(opts.max_repairs + 1):
        rounds = round_number
        try:
            if spec is None:
                spec = (
                    await chain.draft(chosen, findings, notes.text)
                    if round_number == 0
                    else await chain.repair(
                        empty_spec(chosen), [f"your previous answer was unusable: {failure}"], notes.text
                    )
                )
            else:
                spec = await chain.repair(spec, problems, notes.text)
        except OutputInvalid as exc:
            failure = str(exc)
            problems = [f"your previous answer was unusable: {failure}"]
            continue
        except Refused as exc:
            # A refusal is not a draft to repair: say so in one line.
            raise ModelServiceError(f"{exc}; no spec was drafted", path=notes.path) from None
        failure = None
        step("checking the draft against the rubric and the notes")
        # In a batch, in the gate worker, so that other drafts' requests go out meanwhile.
        gate = await off_loop(run_gate, spec, notes.text, verdict=opts.verdict, front_matter=notes_front_matter(notes))
        if gate.accepted:
            break
        problems = repairable(gate, spec, opts.verdict)
        if not problems:
            break  # every remaining gap is already an open question: only the researcher can close it
    if spec is None or gate is None:
        return failed_draft(notes, chosen, opts, usage, failure or "the model returned no usable spec", rounds)
    if not gate.accepted:
        asked, gated = await off_loop(
            gate_with_questions,
            spec,
            notes.text,
            verdict=opts.verdict,
            front_matter=notes_front_matter(notes),
            expected=gate.report.concerns,
        )
        spec, gate = asked, gated
    result = finished_draft(notes, spec, gate, engine="openai", opts=opts, usage=usage, rounds=rounds)
    result.kind_source = kind_source_of(kind or notes.kind, chosen)
    result.prompt_versions = prompt_versions()
    result.failure = failure
    return result


# Check types whose findings only the researcher can close once the draft asks about their
# concern: no repair can invent a lineage. Grounding findings are always repairable: the
# repair can drop what the notes do not say.
_DEFERRED_WHEN_ASKED = frozenset({"concern_present", "concern_adequate"})


async def _findings(chain: DraftingChain, notes: Notes, tries: int) -> Findings:
    """The extract step, under the same rule as the draft: an unusable answer is a failed round
    (asked again), and when every round fails, the model service failed: no findings, no spec."""
    from translator.drafting.service import OutputInvalid, Refused

    failure = ""
    for _ in range(tries):
        try:
            return await chain.extract(notes.text)
        except OutputInvalid as exc:
            failure = str(exc)
        except Refused as exc:
            raise ModelServiceError(f"{exc}; no spec was drafted", path=notes.path) from None
    raise ModelServiceError(
        f"the model gave no usable findings in {tries} round(s): {failure}; no spec was drafted", path=notes.path
    )


async def _model_kind(chain: DraftingChain, findings: Findings, notes: Notes) -> str:
    """The model's choice of kind; an unusable answer falls back to the rubric's own detection."""
    from translator.drafting.service import OutputInvalid, Refused

    try:
        return await chain.classify(findings)
    except (OutputInvalid, Refused):
        return choose_kind(None, notes)


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


def with_sources(result: Draft) -> Draft:
    """``result`` whose Markdown ends with its provenance: each claim and its notes line."""
    from translator.drafting.render import render_sources

    rows = list(
        {(c.claim, c.type): (c.claim, c.type, c.origin, c.source or c.reason) for c in result.grounding.claims}.values()
    )
    return result.model_copy(update={"markdown": render_sources(result.markdown, rows)})


def empty_spec(kind: str) -> SpecBase:
    model = SPEC_KINDS[kind]
    return model.model_validate({name: ("" if name == "title" else []) for name in model.model_fields})


def finished_draft(
    notes: Notes, spec: SpecBase, gate: GateResult, *, engine: str, opts: DraftOptions, usage: Usage, rounds: int
) -> Draft:
    return Draft(
        source=notes.path,
        kind=spec.kind,
        engine=engine,
        model=opts.model if engine == "openai" else None,
        accepted=gate.accepted,
        rounds=rounds,
        spec=gate.spec or spec,  # as judged: what the notes do not say is set aside
        markdown=gate.markdown,
        report=gate.report,
        grounding=gate.grounding.traced_to(notes.origin),
        usage=usage,
    )


def failed_draft(notes: Notes, kind: str, opts: DraftOptions, usage: Usage, failure: str, rounds: int) -> Draft:
    vocabulary = load_vocabulary()
    questions = "\n".join(f"- {vocabulary.concerns[c].question}" for c in SPEC_KINDS[kind].concern_order)
    markdown = (
        f"# No spec drafted\n\nThe model gave no usable spec after {rounds + 1} round(s): {failure}.\n\n"
        f"## Open questions for the researcher\n\n{questions}\n"
    )
    return Draft(
        source=notes.path,
        kind=kind,
        engine="openai",
        model=opts.model,
        accepted=False,
        rounds=rounds,
        spec=None,
        markdown=markdown,
        report=None,
        grounding=Grounding(),
        usage=usage,
        failure=failure,
    )


def default_output(notes_path: str | None) -> Path:
    """Without -o: <stem>.spec.md beside the notes (in the working folder for stdin)."""
    if notes_path is None:
        return Path("notes.spec.md")
    path = Path(notes_path)
    return path.with_name(f"{path.stem}.spec.md")
