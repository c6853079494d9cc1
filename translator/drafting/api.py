"""draft() and adraft(): notes in, an accepted (or rejected) spec out. The Python API behind
`translator draft`.

The engines differ only in who drafts: the offline engine files the notes by rules; the OpenAI
engine steps the round machine (translator.drafting.rounds) through the live chain; the local
engine is the OpenAI engine pointed at a model server it starts on loopback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from translator.drafting.offline import file_notes
from translator.drafting.options import DEFAULT_MODEL, DraftOptions, Engine, model_session, served_locally
from translator.drafting.questions import gate_with_questions
from translator.drafting.result import Draft
from translator.drafting.rounds import (
    RoundRules,
    Rounds,
    check_kind,
    choose_kind,
    finished_draft,
    kind_source_of,
    notes_front_matter,
)
from translator.drafting.usage import Usage
from translator.inputs import refuse_a_path_as_text
from translator.outputs import OutputPaths, write_draft  # the writer lives in outputs.py
from translator.rubric.document import parse_document
from translator.rubric.scoring import choose_rubric, concern_statuses
from translator.sources import read_notes, read_notes_text
from translator.sources.model import Notes

if TYPE_CHECKING:  # the LLM stack loads only when the OpenAI engine runs
    from translator.drafting.service import ModelSession

__all__ = [
    "DEFAULT_MODEL",
    "Draft",
    "DraftOptions",
    "Engine",
    "OutputPaths",
    "adraft",
    "check_kind",
    "choose_kind",
    "default_output",
    "draft",
    "model_session",
    "served_locally",
    "with_sources",
    "write_draft",
]


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
    session: ModelSession | None = None,
) -> Draft:
    """Draft a spec. ``session`` (see model_session) lets a batch share one limiter, cache and ledger."""
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
    refuse_a_path_as_text(notes, instead=f"pass Path({notes.strip()!r}) to draft from the file")
    return read_notes_text(notes)


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
    rules = RoundRules(verdict=opts.verdict, max_repairs=0, engine="offline", model=None, prompt_versions=None)
    result = finished_draft(notes, spec, gate, rules=rules, usage=Usage(), rounds=0)
    result.kind_source = kind_source_of(explicit or notes.kind, kind)
    return result


async def _draft_local(notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None]) -> Draft:
    step("starting the local model server")
    with served_locally(opts) as served:
        result = await _draft_openai(notes, kind, served, step, None)
    result.engine = "local"
    return result


async def _draft_openai(
    notes: Notes, kind: str | None, opts: DraftOptions, step: Callable[[str], None], session: ModelSession | None
) -> Draft:
    # The LLM stack is imported here, on the drafting path only.
    from translator.drafting.chain import DraftingChain
    from translator.drafting.prompts import prompt_versions
    from translator.drafting.service import progress_of_this_task, usage_of_this_task

    rules = RoundRules(
        verdict=opts.verdict,
        max_repairs=opts.max_repairs,
        engine="openai",
        model=opts.model,
        prompt_versions=prompt_versions(),
    )
    current = ["calling the model"]

    def on_step(text: str) -> None:
        current[0] = text
        step(text)

    owned = session is None
    chain_session = model_session(opts) if session is None else session
    try:
        # Count only this draft's calls: a batch shares the session.
        with usage_of_this_task() as usage, progress_of_this_task(lambda n: step(f"{current[0]} ({n} tokens so far)")):
            rounds = Rounds.start(notes, kind, rules, usage=usage, on_step=on_step)
            return await DraftingChain(chain_session, on_step=on_step).run(rounds)
    finally:
        if owned:
            await chain_session.aclose()


def with_sources(result: Draft) -> Draft:
    """``result`` whose Markdown ends with its provenance: each claim and its notes line."""
    from translator.drafting.render import render_sources

    rows = list(
        {(c.claim, c.type): (c.claim, c.type, c.origin, c.source or c.reason) for c in result.grounding.claims}.values()
    )
    return result.model_copy(update={"markdown": render_sources(result.markdown, rows)})


def default_output(notes_path: str | None) -> Path:
    """Without -o: <stem>.spec.md beside the notes (in the working folder for stdin)."""
    if notes_path is None:
        return Path("notes.spec.md")
    path = Path(notes_path)
    return path.with_name(f"{path.stem}.spec.md")
