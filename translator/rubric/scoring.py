"""Score one document against a rubric: the judge that both `score` and the draft gate use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from translator.errors import RubricError
from translator.rubric.checks import CheckContext
from translator.rubric.document import Document, parse_document
from translator.rubric.kind_detector import GENERAL, guess_kind
from translator.rubric.loader import builtin_kinds, load_rubric, load_vocabulary
from translator.rubric.locate import ConcernLocator, SignalMatcher
from translator.rubric.model import Rubric, Severity
from translator.rubric.registry import check_types
from translator.rubric.report import ConcernResult, DocumentReport, Finding


@dataclass(frozen=True)
class Verdict:
    """How a draft is judged: a minimum score, the severity that fails it, and the configured
    rubric (``--rubric`` or ``[tool.translator] rubric``) that `translator score` would use for
    it, so that the gate and score never judge one document by two rubrics."""

    fail_under: float | None = None  # None: the rubric's own pass_score
    fail_on: Severity = Severity.error
    rubric: str | None = None  # None: the rubric of the document's kind


KindSource = Literal["declared", "detected", "fallback"]


@dataclass(frozen=True)
class RubricChoice:
    """The rubric a document is judged by, and how its kind was chosen."""

    rubric: Rubric
    kind_source: KindSource


def score_text(
    text: str,
    *,
    path: str = "<text>",
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    default_kind: str | None = None,
    verdict: Verdict = Verdict(),
) -> DocumentReport:
    """Score Markdown ``text``; :func:`choose_rubric` says which rubric judges it."""
    doc = parse_document(text, path)
    choice = choose_rubric(doc, kind=kind, rubric=rubric, default_kind=default_kind)
    return score_document(doc, choice.rubric, verdict=verdict, kind_source=choice.kind_source)


def choose_rubric(
    doc: Document | None,
    *,
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    default_kind: str | None = None,
) -> RubricChoice:
    """The one rubric resolver: `translator score`, the draft gate, batch and the Python API all
    ask it, so a document is judged by the same rubric whoever asks.

    In order: ``rubric`` (``--rubric`` or the configured rubric, for every document), ``kind``
    (``--kind``, or the kind the drafter drafted), the document's own front matter ``kind:``,
    ``default_kind`` (the configured ``kind``, a project default that a document's own
    declaration overrides), then detection, which falls back to ``general`` when no kind is
    clearly indicated.
    """
    if isinstance(rubric, Rubric):
        return RubricChoice(rubric, "declared")
    if rubric is not None:
        return RubricChoice(load_rubric(rubric), "declared")
    declared = kind or (doc.front_matter.get("kind") if doc is not None else None) or default_kind
    if declared:
        wanted = str(declared).strip().lower()
        if wanted not in builtin_kinds():
            where = f"{doc.path}: " if doc is not None and doc.path else ""
            raise RubricError(f"{where}unknown kind {wanted!r}; known kinds: {', '.join(builtin_kinds())}")
        return RubricChoice(load_rubric(wanted), "declared")
    if doc is None:
        raise ValueError("choose_rubric needs a document, a kind or a rubric")
    detected = detect_kind(doc)
    return RubricChoice(load_rubric(detected), "fallback" if detected == GENERAL else "detected")


def detect_kind(doc: Document, *, title: str | None = None) -> str:
    """The built-in kind ``doc`` most likely is, else ``general`` when no kind is clearly
    indicated (see :mod:`translator.rubric.kind_detector`). ``title``: a name the text does not
    carry (the notes' front matter title, which the notes reader takes off the text)."""
    return guess_kind(doc, title=title).kind


def _context(doc: Document, rubric: Rubric) -> CheckContext:
    vocabulary = load_vocabulary()
    matcher = SignalMatcher(vocabulary, doc)
    return CheckContext(
        doc=doc, rubric=rubric, vocabulary=vocabulary, matcher=matcher, locator=ConcernLocator(doc, vocabulary, matcher)
    )


def concern_statuses(doc: Document, rubric: Rubric) -> dict[str, ConcernResult]:
    """Where each of the rubric's concerns stands, exactly as :func:`score_document` reports it,
    without running the other checks (the drafter asks this of every draft it writes)."""
    ctx = _context(doc, rubric)
    return {key: ctx.resolve(key).result for key in rubric.concerns}


def score_document(
    doc: Document, rubric: Rubric, *, verdict: Verdict = Verdict(), kind_source: KindSource = "declared"
) -> DocumentReport:
    ctx = _context(doc, rubric)
    findings: list[Finding] = []
    types = check_types()
    for criterion in rubric.criteria:
        kind = types[criterion.check]
        if not kind.needs_notes:  # grounding is the gate's: only it has the notes
            findings.extend(kind.run(ctx, criterion, criterion.options))
    kept, suppressed_rules = _apply_suppressions(doc, rubric, findings)
    suppressed = len(findings) - len(kept)
    failed = {f.rule for f in kept} | (ctx.silent_failures - suppressed_rules)

    total = sum(c.weight for c in rubric.criteria)
    lost = sum(c.weight for c in rubric.criteria if c.id in failed)
    score = round(100 * (total - lost) / total) if total else 100
    threshold = rubric.pass_score if verdict.fail_under is None else verdict.fail_under
    blocking = any(f.severity.rank >= verdict.fail_on.rank for f in kept)
    kept.sort(key=lambda f: (f.line is not None, f.line or 0, -f.severity.rank, f.rule))
    concerns = {key: ctx.resolve(key).result for key in rubric.concerns}
    return DocumentReport(
        path=doc.path or "<text>",
        kind=rubric.kind,
        kind_source=kind_source,
        rubric=_rubric_name(rubric),
        score=score,
        passed=score >= threshold and not blocking,
        concerns=concerns,
        findings=kept,
        suppressed=suppressed,
    )


def _rubric_name(rubric: Rubric) -> str:
    source = Path(rubric.source) if rubric.source else None
    if source is not None and source.stem == rubric.kind and source.parent.name == "rubrics":
        return rubric.kind
    return str(source) if source else rubric.kind


def _apply_suppressions(doc: Document, rubric: Rubric, findings: list[Finding]) -> tuple[list[Finding], set[str]]:
    """Drop findings silenced by ``<!-- translator: disable=RULE-or-CONCERN -->``.

    A disable holds from its line until a matching enable (or the end). A finding with no line
    (an absence) is silenced by a disable anywhere in the document. Naming a concern silences
    every rule of that concern, including the rules that fail without a finding.
    """
    if not doc.suppressions:
        return findings, set()
    rules_of: dict[str, set[str]] = {}
    for criterion in rubric.criteria:
        rules_of.setdefault(criterion.id, set()).add(criterion.id)
        if criterion.concern:
            rules_of.setdefault(criterion.concern, set()).add(criterion.id)
    ranges: dict[str, list[tuple[int, int]]] = {}
    open_at: dict[str, int] = {}
    for line, action, name in sorted(doc.suppressions):
        for rule in rules_of.get(name, set()):
            if action == "disable":
                open_at.setdefault(rule, line)
            elif rule in open_at:
                ranges.setdefault(rule, []).append((open_at.pop(rule), line))
    for rule, start in open_at.items():
        ranges.setdefault(rule, []).append((start, 10**9))
    whole_rules = set(ranges)

    def silenced(f: Finding) -> bool:
        spans = ranges.get(f.rule)
        if not spans:
            return False
        return f.line is None or any(start <= f.line < end for start, end in spans)

    return [f for f in findings if not silenced(f)], whole_rules
