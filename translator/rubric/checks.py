"""One function per check type, registered with its params model (see registry.py).

A check returns the findings of one criterion on one document; no findings means it passed.
``CheckContext.failed`` lets a check fail silently (lose its weight without a finding) when
another criterion already tells the reader the same thing, e.g. an adequacy rule on a concern
that is missing altogether.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

from pydantic import Field, field_validator

from translator.rubric.document import Block, Document
from translator.rubric.locate import ConcernLocator, Resolution, Rule, SignalMatcher
from translator.rubric.matrix import any_match
from translator.rubric.model import Criterion, Rubric, Vocabulary, check_patterns, combine
from translator.rubric.registry import NoParams, Params, register
from translator.rubric.report import Finding

_SENTENCE_END = re.compile(r"[.!?;](?:\s|$)|\n")
_SENTENCE_REACH = 400
_WORD = re.compile(r"[a-z0-9]+")


@dataclass
class CheckContext:
    doc: Document
    rubric: Rubric
    vocabulary: Vocabulary
    matcher: SignalMatcher
    locator: ConcernLocator
    resolutions: dict[str, Resolution] = field(default_factory=dict)
    silent_failures: set[str] = field(default_factory=set)

    def fail_silently(self, criterion: Criterion) -> list[Finding]:
        self.silent_failures.add(criterion.id)
        return []

    def status_rules(self, concern: str) -> list[Rule]:
        """The adequacy rules that decide a concern's status, whatever their severity."""
        return [
            (c.require, c.scope)
            for c in self.rubric.criteria
            if c.check == "concern_adequate" and c.concern == concern and c.decides_status
        ]

    def resolve(self, concern: str) -> Resolution:
        resolution = self.resolutions.get(concern)
        if resolution is None:
            resolution = self.resolutions[concern] = self.locator.resolve(concern, self.status_rules(concern))
        return resolution


def finding(criterion: Criterion, line: int | None, message: str | None = None) -> Finding:
    return Finding(
        rule=criterion.id,
        concern=criterion.concern,
        severity=criterion.severity,
        message=message or criterion.message,
        line=line,
        hint=criterion.hint,
    )


class PlaceholdersParams(Params):
    signal: str = "placeholder"

    def signal_names(self) -> list[str]:
        return [self.signal]


class VagueClaimsParams(Params):
    # Required and non-empty: an empty alternation would match everywhere.
    phrases: list[str] = Field(min_length=1)

    _compiles = field_validator("phrases")(check_patterns)


class SoWhatParams(Params):
    deltas: list[str] = Field(min_length=1)
    consequences: list[str] = Field(min_length=1)

    _compiles = field_validator("deltas", "consequences")(check_patterns)


class MaxWordsParams(Params):
    max_words: int = Field(default=600, gt=0)


class MeceParams(Params):
    similarity: float = Field(default=0.6, gt=0, le=1)
    min_words: int = Field(default=25, ge=3)


@register("concern_present", concern=True)
def concern_present(ctx: CheckContext, criterion: Criterion, _: NoParams) -> list[Finding]:
    assert criterion.concern is not None
    resolution = ctx.resolve(criterion.concern)
    if resolution.result.status != "missing":
        return []
    if resolution.placeholder:
        label = resolution.location.label if resolution.location else criterion.concern
        detail = "is empty" if resolution.placeholder == "empty" else f"is only a {resolution.placeholder}"
        return [finding(criterion, resolution.result.line, f'{criterion.message} ("{label}" {detail})')]
    return [finding(criterion, None)]


@register("concern_adequate", concern=True, require=True)
def concern_adequate(ctx: CheckContext, criterion: Criterion, _: NoParams) -> list[Finding]:
    assert criterion.concern is not None
    resolution = ctx.resolve(criterion.concern)
    if resolution.result.status == "missing" or resolution.location is None:
        return ctx.fail_silently(criterion)
    unmet = ctx.locator.unmet_scoped(resolution.location, criterion.require, criterion.scope, criterion.concern)
    if not unmet:
        return []
    labels = [" or ".join(ctx.vocabulary.signals[s].label for s in group) for group in unmet]
    where = " in one item" if criterion.scope == "block" else ""
    message = f"{criterion.message} Missing{where}: {'; '.join(labels)}."
    return [finding(criterion, resolution.result.line, message)]


@register("recommendation_first", concern=True)
def recommendation_first(ctx: CheckContext, criterion: Criterion, _: NoParams) -> list[Finding]:
    """The concern is stated, but not at the top (its status is then incomplete)."""
    result = ctx.resolve(criterion.concern or "").result
    if result.status == "missing":
        return ctx.fail_silently(criterion)  # recommendation-present already says so
    if result.status == "present":
        return []
    return [finding(criterion, result.line)]


@register("placeholders", params=PlaceholdersParams)
def placeholders(ctx: CheckContext, criterion: Criterion, params: PlaceholdersParams) -> list[Finding]:
    regex = ctx.vocabulary.signals[params.signal].regex
    found: list[Finding] = []
    seen_lines: set[int] = set()
    for block in ctx.doc.blocks:
        if block.index in ctx.matcher.unsettled:
            continue  # a TODO quoted under "Open questions" is the question, not a placeholder
        if params.signal not in ctx.matcher.raw_row(block):
            continue  # the matrix says no placeholder: no need to look for where
        for match in regex.finditer(block.text):
            line = block.line_at(match.start())
            if line not in seen_lines:
                seen_lines.add(line)
                text = match.group(0).strip() or "an empty value"
                found.append(finding(criterion, line, f'{criterion.message} ("{text}")'))
    sections = ctx.doc.sections
    for position, section in enumerate(sections):
        has_children = position + 1 < len(sections) and sections[position + 1].level > section.level
        if section.first_block == section.end_block and not has_children and not section.is_title:
            if section.line not in seen_lines:
                found.append(finding(criterion, section.line, f'Section "{section.title}" is empty.'))
    return found


@lru_cache(maxsize=32)
def _alternation(patterns: tuple[str, ...], lowered: bool = False) -> re.Pattern[str]:
    """The alternatives as one regex; ``lowered`` for use on lower-cased text (no re.I)."""
    return combine(patterns, 0 if lowered and all(p == p.lower() for p in patterns) else re.I)


@register("vague_claims", params=VagueClaimsParams)
def vague_claims(ctx: CheckContext, criterion: Criterion, params: VagueClaimsParams) -> list[Finding]:
    # Phrases are words: each starts at a word boundary.
    phrases = tuple(rf"\b{p}" for p in params.phrases)
    on_lowered, on_original = _alternation(phrases, lowered=True), _alternation(phrases)
    anywhere = any_match(phrases)
    found: list[Finding] = []
    for block in ctx.doc.blocks:
        if not anywhere(block.text):
            continue
        text, regex = block.text.lower(), on_lowered
        if len(text) != len(block.text):  # a few Unicode letters change length when lowered
            text, regex = block.text, on_original
        for match in regex.finditer(text):
            sentence = _sentence_around(text, match.start(), match.end())
            if any(ch.isdigit() for ch in sentence):
                continue  # "significantly faster (p95 -40 ms)" is quantified
            phrase = block.text[match.start() : match.end()]
            message = f'{criterion.message} ("{phrase}")'
            found.append(finding(criterion, block.line_at(match.start()), message))
    return found


def _sentence_around(text: str, start: int, end: int) -> str:
    """The sentence holding text[start:end]. Looks at most _SENTENCE_REACH characters either
    way, so a huge paragraph with many matches stays linear."""
    window = max(0, start - _SENTENCE_REACH)
    left = window
    for match in _SENTENCE_END.finditer(text, window, start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, end, end + _SENTENCE_REACH)
    return text[left : right_match.start() if right_match else min(len(text), end + _SENTENCE_REACH)]


@register("so_what", params=SoWhatParams)
def so_what(ctx: CheckContext, criterion: Criterion, params: SoWhatParams) -> list[Finding]:
    deltas = _alternation(tuple(params.deltas))
    has_delta = any_match(tuple(params.deltas))
    has_consequence = any_match(tuple(params.consequences))
    blocks = ctx.doc.blocks
    found: list[Finding] = []
    for block in blocks:
        if block.kind == "table_row" or not has_delta(block.text):
            continue  # a results table reports; its consequence belongs in the prose around it
        match = deltas.search(block.text)
        if match is None:
            continue
        following = blocks[block.index + 1] if block.index + 1 < len(blocks) else None
        nearby = [block.text]
        if following is not None and following.section == block.section:
            nearby.append(following.text)
        if not any(has_consequence(text) for text in nearby):
            message = f'{criterion.message} ("{match.group(0).strip()}")'
            found.append(finding(criterion, block.line_at(match.start()), message))
    return found


@register("max_words", params=MaxWordsParams)
def max_words(ctx: CheckContext, criterion: Criterion, params: MaxWordsParams) -> list[Finding]:
    limit = params.max_words
    words = ctx.doc.word_count
    if words <= limit:
        return []
    return [finding(criterion, None, f"{criterion.message} ({words} words; the limit is {limit})")]


@register("mece", params=MeceParams)
def mece(ctx: CheckContext, criterion: Criterion, params: MeceParams) -> list[Finding]:
    """Pairs of sections whose own text shares most of its word 3-grams.

    An inverted index from shingle to sections keeps this near-linear: only sections that share
    a shingle are compared, and shingles shared by many sections (boilerplate) are ignored.
    """
    threshold = params.similarity
    min_words = params.min_words
    own_text: dict[int, list[Block]] = defaultdict(list)
    for block in ctx.doc.blocks:
        if block.section is not None:
            own_text[block.section].append(block)
    shingles: dict[int, set[int]] = {}
    # Words as numbers, and a 3-gram as one int: hashing ints, not tuples of strings, is most
    # of this check's cost on a long spec.
    ids: dict[str, int] = {}
    for index, blocks in own_text.items():
        words = _WORD.findall(" ".join(b.text for b in blocks).lower())
        if len(words) >= min_words:
            seq = [ids.setdefault(word, len(ids)) for word in words]
            shingles[index] = {(a << 64) | (b << 32) | c for a, b, c in zip(seq, seq[1:], seq[2:], strict=False)}
    postings: dict[int, list[int]] = defaultdict(list)
    for index, grams in shingles.items():
        for gram in grams:
            postings[gram].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for sections in postings.values():
        if 1 < len(sections) <= 20:
            shared.update(combinations(sections, 2))  # counted in C
    found: list[Finding] = []
    for (a, b), common in sorted(shared.items()):
        union = len(shingles[a]) + len(shingles[b]) - common
        if union and common / union >= threshold:
            first, second = ctx.doc.sections[a], ctx.doc.sections[b]
            message = f'{criterion.message} ("{second.title}" repeats "{first.title}", line {first.line})'
            found.append(finding(criterion, second.line, message))
    return found
