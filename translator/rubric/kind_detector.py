"""Which kind of spec (or notes) a document is, when nothing declares it.

A linear model over two kinds of evidence: each kind's detection cues (the ``detect`` section of
its rubric: phrases in the title, the headings and the text), and the words of the title, the
headings and the opening text. Its weights are data, ``rubrics/kind-detector.json``, fitted by
``scripts/fit_kind_detector.py`` on the labelled dev splits of ``eval_sets`` (never on a held-out
round). Hand-weighted cues (4 points a title phrase, 3 a heading, 1 a term) had told kinds apart
on 84% of the held-out specs and 55% of the held-out notes; the fitted weights on 92% of each.

The model is unsure when no kind takes at least ``confidence`` of the probability; the document
is then ``general`` and the resolver says it fell back. A weight file is deterministic data: a
draft cannot argue its way into a kind, and a declared kind (front matter, ``--kind``) always
wins over detection.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from translator.errors import RubricError
from translator.resources import data_dir
from translator.rubric.document import Document
from translator.rubric.loader import builtin_kinds, load_rubric
from translator.rubric.matrix import SignalSet
from translator.rubric.model import Signal
from translator.rubric.words import stem_phrase, stem_text

GENERAL = "general"
DETECTOR_FILE = "kind-detector.json"
# The opening of a document says what kind it is; reading past it changes little but the cost
# on a huge file (headings are read in full).
DETECT_CHARS = 32_000
# Where each cue count goes in the feature names: "risk-brief:title", "risk-brief:headings"...
CUE_PARTS = ("title", "headings", "text")
# Word features by where the word stands: "t:" the title, "h:" a heading, "b:" the text.
WORD_PARTS = ("t", "h", "b")


@dataclass(frozen=True)
class KindGuess:
    """The detector's answer: the kind, how sure it is, and every kind's probability."""

    kind: str
    confidence: float
    probabilities: dict[str, float]
    # No kind took the bar's share of the probability: ``kind`` is general by fallback.
    unsure: bool


@dataclass(frozen=True)
class _Weights:
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]
    confidence: float
    # The word weights by part ("t", "h", "b") and word, so the score path looks a document's
    # words up without building a feature name for each of them.
    words: dict[str, dict[str, tuple[float, ...]]]


def _words_by_part(weights: dict[str, tuple[float, ...]]) -> dict[str, dict[str, tuple[float, ...]]]:
    parts: dict[str, dict[str, tuple[float, ...]]] = {part: {} for part in WORD_PARTS}
    for name, row in weights.items():
        part, _, word = name.partition(":")
        if part in parts:
            parts[part][word] = row
    return parts


@dataclass(frozen=True)
class _Evidence:
    """What the detector reads of a document: each cue feature's value ("risk-brief:title" ->
    log-scaled count) and the distinct words of each part ("t", "h", "b")."""

    cues: dict[str, float]
    words: dict[str, frozenset[str]]


def guess_kind(doc: Document, *, title: str | None = None) -> KindGuess:
    """The kind ``doc`` most likely is. ``title``: a name the text does not carry (the notes'
    front matter title, which the notes reader takes off the text)."""
    model = _weights()
    evidence = _evidence(doc, title)
    totals = list(model.bias)
    rows = [(model.weights.get(name), value) for name, value in evidence.cues.items()]  # cue features
    for part, words in evidence.words.items():
        table = model.words[part]
        rows += [(table.get(word), 1.0) for word in words]
    for row, value in rows:
        if row is not None:
            for number, weight in enumerate(row):
                totals[number] += weight * value
    top = max(totals)
    exps = [math.exp(total - top) for total in totals]
    whole = sum(exps)
    probabilities = {kind: exp / whole for kind, exp in zip(model.classes, exps, strict=True)}
    # Ties go to the kind listed first, so the answer is stable.
    best = max(model.classes, key=lambda kind: probabilities[kind])
    confidence = probabilities[best]
    unsure = confidence < model.confidence
    return KindGuess(GENERAL if unsure else best, confidence, probabilities, unsure)


def kind_features(doc: Document, *, title: str | None = None) -> dict[str, float]:
    """What the detector reads of ``doc``, as named features (the fit script's input): the cue
    counts of every kind and a 1 for each word of title ("t:"), headings ("h:") and text ("b:")."""
    evidence = _evidence(doc, title)
    features = dict(evidence.cues)
    for part, words in evidence.words.items():
        features.update((f"{part}:{word}", 1.0) for word in words)
    return features


def _evidence(doc: Document, title: str | None) -> _Evidence:
    """The cue counts of every kind (log-scaled: the fifth mention of "risk" says less than the
    first) and the words of title, headings and opening text."""
    title_text = stem_text(_title_of(doc, title))
    headings = [stem_text(section.title) for section in doc.sections if not section.is_title]
    # Notes name their parts by lead-ins ("**Finding**: ...", "Decision: ...") where a spec has
    # headings: in a document with no headings, its lead-ins are its headings for the cues.
    cue_headings = headings or [
        stem_text(block.lead_in)
        for block in doc.blocks
        if block.lead_in and block.list_depth == 0 and not (block.lead_in_raw or "").endswith("?")
    ]
    text, stemmed, size = [], [], 0
    for block in doc.blocks:
        if size > DETECT_CHARS:
            break
        text.append(block.text)
        stemmed.append(doc.stemmed(block))
        size += len(block.text)
    raw = "\n".join(text)[:DETECT_CHARS]
    body = " ".join(stemmed)
    cues = _cues(tuple(kind for kind in builtin_kinds() if kind != GENERAL))
    found = cues.terms.pattern_hits(raw, raw.lower()) | cues.terms.word_hits(body)
    counted: dict[str, float] = {}
    for kind, (title_needles, heading_needles) in cues.phrases.items():
        counts = (
            sum(1 for needle in title_needles if needle in title_text),
            sum(1 for needle in heading_needles if any(needle in heading for heading in cue_headings)),
            sum(1 for name in cues.owned[kind] if name in found),
        )
        for part, count in zip(CUE_PARTS, counts, strict=True):
            if count:
                counted[f"{kind}:{part}"] = math.log1p(count)
    words = (title_text.split(), _words(headings), body.split())
    return _Evidence(counted, {part: frozenset(found) for part, found in zip(WORD_PARTS, words, strict=True)})


def _words(lines: Iterable[str]) -> list[str]:
    return [word for line in lines for word in line.split()]


def _title_of(doc: Document, given: str | None) -> str:
    """What names the document: its title heading, its front matter title, ``given``, an
    email's Subject line; else (a chat paste, plain notes) its first line."""
    names = [section.title for section in doc.sections if section.is_title]
    names += [str(name) for name in (doc.front_matter.get("title"), given) if name]
    names += [block.body for block in doc.blocks[:8] if block.lead_in == "subject"][:1]
    if not names and doc.blocks:
        names = [doc.blocks[0].text]
    return " ".join(names)


@dataclass(frozen=True)
class _Cues:
    """The detection cues of the built-in kinds, compiled once: every kind's regex terms and
    word phrases as one SignalSet (each term and each phrase a signal of its own, named
    "kind:t3" or "kind:w5"), so that one pass over the text finds them all."""

    terms: SignalSet
    owned: dict[str, tuple[str, ...]]  # kind -> the names of its cues in ``terms``
    phrases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # kind -> (title, heading) needles


@lru_cache(maxsize=8)
def _cues(kinds: tuple[str, ...]) -> _Cues:
    signals: dict[str, Signal] = {}
    owned: dict[str, tuple[str, ...]] = {}
    phrases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for kind in kinds:
        detect = load_rubric(kind).detect
        names = []
        for number, term in enumerate(detect.terms):
            names.append(f"{kind}:t{number}")
            signals[names[-1]] = Signal.model_construct(label=term, patterns=[term], words=[], fields=[])
        for number, phrase in enumerate(detect.words):
            if stem_phrase(phrase):
                names.append(f"{kind}:w{number}")
                signals[names[-1]] = Signal.model_construct(label=phrase, patterns=[], words=[phrase], fields=[])
        owned[kind] = tuple(names)
        needles = [f" {stem_phrase(p)} " for p in detect.title if stem_phrase(p)]
        heading_needles = [f" {stem_phrase(p)} " for p in detect.headings if stem_phrase(p)]
        phrases[kind] = (tuple(needles), tuple(heading_needles))
    return _Cues(SignalSet(signals), owned, phrases)


@cache
def _weights() -> _Weights:
    path = data_dir("rubrics") / DETECTOR_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        classes = tuple(str(kind) for kind in data["classes"])
        weights = {str(name): tuple(float(w) for w in row) for name, row in data["weights"].items()}
        bias = tuple(float(b) for b in data["bias"])
        confidence = float(data["confidence"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RubricError(f"{path}: the kind detector's weights cannot be read ({error})") from None
    if set(classes) != set(builtin_kinds()) or len(bias) != len(classes):
        raise RubricError(f"{path}: the kind detector's classes are not the built-in kinds; refit it")
    if any(len(row) != len(classes) for row in weights.values()):
        raise RubricError(f"{path}: a weight row does not have one weight per kind; refit it")
    return _Weights(classes, bias, weights, confidence, _words_by_part(weights))
