"""Open questions for the researcher: one for each concern a draft leaves unsettled.

A question is part of the spec, so it is part of the Markdown the gate scores. It never settles
a concern, though (the rubric reads no open-questions section as content), so the concerns a
draft leaves unsettled are the same with or without its questions. ``gate_with_questions``
uses that to gate a draft and ask its questions in one pass of the rubric instead of two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from translator import yamlio
from translator.drafting.gate import GateResult, run_gate
from translator.drafting.render import render_markdown
from translator.kinds import OpenQuestion, SpecBase
from translator.rubric import Verdict, load_vocabulary
from translator.rubric.document import Block, Document, parse_document
from translator.rubric.locate import SignalMatcher, concerns_named_by
from translator.rubric.matrix import any_match
from translator.rubric.report import ConcernResult
from translator.rubric.scoring import choose_rubric, concern_statuses
from translator.sources.plaintext import ATTRIBUTION

_ASKS_FILE = Path(__file__).with_name("asks.yaml")
_SENTENCES = re.compile(r"(?<=[.!?;])\s+")
_QUOTE_WORDS = 20
_MIN_QUOTE_WORDS = 2
_MENTION_CHARS = 6
_QUOTES = 2  # what the notes say about a concern, quoted: at most two statements


@dataclass(frozen=True)
class Quote:
    """What the notes say about a concern, in their own words, and what it lacks: the asks for
    the elements of the concern (its content rule's signal groups) the statement does not give."""

    text: str
    missing: tuple[str, ...] = ()
    doubtful: bool = False  # hedged or asking ("not sure what it does", "shadow?")


# What the notes say about each concern, best first: quoted back in the question that asks
# for it, which then asks only for what is missing.
Said = Mapping[str, list[Quote]]


@cache
def _asks_data() -> dict[str, dict[str, object]]:
    data = yamlio.safe_load(_ASKS_FILE.read_text(encoding="utf-8"))
    return {"signals": dict(data["signals"]), "related": dict(data.get("related") or {})}


def _asks() -> dict[str, str]:
    return {str(k): str(v) for k, v in _asks_data()["signals"].items()}


def _related(concern: str) -> list[str]:
    value = _asks_data()["related"].get(concern) or []
    return [str(signal) for signal in value] if isinstance(value, list) else []


def quote_for(
    concern: str, related: list[Block], doc: Document, matcher: SignalMatcher, skip: frozenset[int] = frozenset()
) -> list[Quote]:
    """What the notes say about ``concern``: the statements filed under it or naming it
    (``related``), then any statement that gives part of its content or names it in passing;
    each as its most telling sentence, with the asks for what it lacks."""
    vocabulary = matcher.vocabulary
    groups = vocabulary.concerns[concern].content
    related_signals = [signal for signal in _related(concern) if signal in vocabulary.signals]
    clues = [*groups, *([related_signals] if related_signals else [])]
    # Signal patterns as they stand in the text (hedges included), from the signal matrix.
    signals_in = matcher.pattern_row

    identifier = vocabulary.signals["identifier"].regex

    def touches(text: str) -> bool:
        """Says anything toward the concern at all, names included: enough to be quoted."""
        found = signals_in(text)
        return any(s in found for group in clues for s in group)

    def met(text: str) -> int:
        # A figure inside a name (the "1h" of card_velocity_1h) is no duration: other signals
        # are looked for outside identifiers. The concern's first element (a method, a
        # source, a condition) weighs most: it says what the statement is about.
        found = signals_in(text)
        outside = found if "identifier" not in found else signals_in(identifier.sub(" ", text))
        hits = [any(s in (found if s == "identifier" else outside) for s in group) for group in clues]
        return sum(hits) + (1 if hits and hits[0] and groups else 0)

    def doubt(text: str) -> bool:
        # What the notes half-answer they tend to hedge or ask about ("not sure what it does").
        return "?" in text or "hedge" in signals_in(text)

    def named(block: Block) -> bool:
        """The notes' own label or heading names the concern ("Latency: ...", "## Validation")."""
        if block.lead_in and concern in concerns_named_by(block.lead_in, vocabulary):
            return True
        section = doc.sections[block.section] if block.section is not None else None
        return section is not None and concern in concerns_named_by(section.heading, vocabulary)

    # A concern mentioned in passing ("haven't looked at latency", "limitations: ..."): only
    # its longer aliases, since short ones ("ask", "cost") are everyday words.
    mentions = any_match(
        tuple(
            rf"\b{re.escape(alias)}"
            for alias in [vocabulary.concerns[concern].title, *vocabulary.concerns[concern].aliases]
            if len(alias) >= _MENTION_CHARS
        )
    )

    ranked: list[tuple[int, int, Block]] = []
    seen = {block.index for block in related} | set(skip)
    for block in doc.blocks:
        if block.index in seen or block.kind != "paragraph":
            continue
        parts, mention = met(block.text), mentions(block.text)
        if parts or mention or named(block) or touches(block.text):
            score = parts * 2 + 3 * named(block) + mention + 2 * doubt(block.text)
            ranked.append((-score, block.index, block))
    candidates = related + [block for _, _, block in sorted(ranked, key=lambda item: item[:2])]
    quotes: list[Quote] = []
    for block in candidates:
        said = ATTRIBUTION.sub("", " ".join(block.text.split()))  # who said it is not what was said
        sentences = [s for s in _SENTENCES.split(said) if s.strip()]
        best = max(sentences, key=lambda s: met(s) * 2 + mentions(s) + doubt(s), default="")
        text = _quotable(best, matcher)
        if len(text.split()) < _MIN_QUOTE_WORDS:
            continue
        lacking = [group for group in groups if not any(s in signals_in(block.text) for s in group)]
        # A group is met by any of its signals; asking for it names each ("cadence" and "freshness").
        missing = tuple(
            dict.fromkeys(" and ".join(_asks()[s] for s in group if s in _asks()) for group in lacking if group)
        )
        missing = tuple(ask for ask in missing if ask)
        quotes.append(Quote(text=text, missing=missing, doubtful=doubt(best)))
    return quotes


def _quotable(sentence: str, matcher: SignalMatcher) -> str:
    """The notes' words, without placeholders (a quoted "TBD" would read as the draft's own),
    without a chat attribution, and at most a few dozen words (cut at a word, marked …)."""
    placeholder = matcher.vocabulary.signals["placeholder"].regex
    text = ATTRIBUTION.sub("", sentence)
    # Cut at a placeholder rather than through it, so the quote stays the notes' words in order.
    cuts = [0, *(i for m in placeholder.finditer(text) for i in m.span()), len(text)]
    pieces = [" ".join(text[cuts[i] : cuts[i + 1]].split()) for i in range(0, len(cuts) - 1, 2)]
    text = max(pieces, key=len).strip(" :;,-.")
    text = text.replace('"', "'")
    words = text.split()
    return " ".join(words[:_QUOTE_WORDS]) + ("…" if len(words) > _QUOTE_WORDS else "")


def ask(concern: str, quotes: list[Quote]) -> str:
    """The question for ``concern``: what the notes say about it and only what is missing, or
    the concern's full question when the notes say nothing about it."""
    template = load_vocabulary().concerns[concern].question
    if not quotes:
        return template
    first = quotes[0]
    # Only the missing elements when the statement lacks some; else the question, after the quote.
    wanted = " and ".join(first.missing) if first.missing else template[0].lower() + template[1:].rstrip("?")
    # A second statement is quoted only when it is itself unsure or asking: the half-answer.
    shown = [first, *(quote for quote in quotes[1:_QUOTES] if quote.doubtful)]
    said = " and ".join(f'"{quote.text}"' for quote in shown)
    return f"The notes say {said}; {wanted}?"


def unsettled(spec: SpecBase, statuses: Mapping[str, ConcernResult]) -> list[str]:
    """The spec's concerns, in its kind's order, that the rubric does not find present."""
    return [concern for concern in spec.concern_order if statuses[concern].status != "present"]


def with_questions(spec: SpecBase, concerns: Iterable[str], said: Said | None = None) -> SpecBase:
    """``spec`` plus a question for each of ``concerns`` it does not already ask about."""
    asked = {q.concern for q in spec.open_questions}
    questions = list(spec.open_questions)
    for concern in concerns:
        if concern in asked:
            continue
        quotes = (said or {}).get(concern)
        questions.append(OpenQuestion(concern=concern, question=ask(concern, list(quotes or []))))
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
