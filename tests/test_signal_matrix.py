"""The signal matrix (translator/rubric/matrix.py) answers exactly what each signal's own
regular expressions answer.

A row is computed with RE2 set matching over lower-cased, ASCII-folded text, with look-around
patterns on Python's ``re`` behind a gate. Any drift between the two engines would change a
judgement silently, so every block and lead-in body of every eval-set document is checked
signal by signal against ``re`` on the original text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.rubric.document import parse_document
from translator.rubric.loader import load_vocabulary
from translator.rubric.matrix import SignalSet, signal_set
from translator.rubric.model import Signal, Vocabulary
from translator.rubric.words import stem_text
from translator.sources import read_notes

ROOT = Path(__file__).resolve().parent.parent


def _reference(vocabulary: Vocabulary, text: str) -> set[str]:
    """The signals whose own regexes (re, case-insensitive) or word phrases hit ``text``."""
    stemmed = stem_text(text)
    return {
        name
        for name, signal in vocabulary.signals.items()
        if (signal.patterns and signal.regex.search(text))
        or (signal.word_regex is not None and signal.word_regex.search(stemmed))
    }


def _row(signals: SignalSet, text: str) -> set[str]:
    return signals.pattern_hits(text, text.lower()) | signals.word_hits(stem_text(text))


def _texts() -> list[str]:
    documents = [p for p in (ROOT / "eval_sets").rglob("*.md") if p.name != "README.md"]
    texts: list[str] = []
    for path in documents:
        texts += _block_texts(path.read_text(encoding="utf-8"))
    for path in (ROOT / "eval_sets" / "notes").rglob("*"):
        if path.suffix in {".txt", ".ipynb"}:
            texts += _block_texts(read_notes(path).text)
    return texts


def _block_texts(markdown: str) -> list[str]:
    doc = parse_document(markdown)
    return [text for block in doc.blocks for text in {block.text, block.body} if text]


def test_every_row_of_the_eval_sets_equals_re_signal_by_signal() -> None:
    vocabulary = load_vocabulary()
    signals = signal_set(vocabulary.signals)
    texts = _texts()
    assert len(texts) > 8_000
    differing = [
        (text[:80], sorted(_row(signals, text) ^ _reference(vocabulary, text)))
        for text in texts
        if _row(signals, text) != _reference(vocabulary, text)
    ]
    assert differing == []


@pytest.mark.parametrize(
    "text",
    [
        "ΔAUC +0.0014 on the holdout",  # a Greek letter is a word character to re: no \b before AUC
        "(clicks_7d + α × prior_ctr) ÷ (impressions_7d + α)",
        "p95 latency 12\u00a0ms at 400\u00a0QPS",  # non-breaking spaces from an HTML export
        "If the feature store times out, serve the prior day's value.",
        "when the snapshot is late. the model uses yesterday's table",
        "Decision: go with option B; ship is blocked on legal",
        "not yet — ask the data team",
        "x>5 and y >= 3 but a->b",
        "ＴＢＤ and ｆｕｌｌ width",
        "",
    ],
)
def test_rows_of_tricky_text_equal_re(text: str) -> None:
    vocabulary = load_vocabulary()
    assert _row(signal_set(vocabulary.signals), text) == _reference(vocabulary, text)


def test_patterns_re2_refuses_stay_on_re_behind_a_gate() -> None:
    signals = {
        "lookahead": Signal(label="l", patterns=[r"\bship(?!\s+is\b)"]),
        "lookbehind": Signal(label="b", patterns=[r"(?<![a-z])\d+ ms"]),
        "backreference": Signal(label="r", patterns=[r"\b(\w+) \1\b"]),
        "counted": Signal(label="c", patterns=[r"\bif\b(?:[^.\n]|\.(?=\S)){0,20}?\bfails?\b"]),
    }
    compiled = SignalSet(signals)
    assert compiled.pattern_hits("we ship it", "we ship it") == {"lookahead"}
    assert compiled.pattern_hits("ship is late", "ship is late") == set()
    assert compiled.pattern_hits("at 40 ms", "at 40 ms") == {"lookbehind"}
    assert compiled.pattern_hits("p4 ms", "p4 ms") == set()
    assert compiled.pattern_hits("the the end", "the the end") == {"backreference"}
    assert compiled.pattern_hits("if the job.run fails", "if the job.run fails") == {"counted"}
    assert compiled.pattern_hits("if the job. it fails", "if the job. it fails") == set()


def test_any_match_equals_re_for_the_rubric_phrase_lists() -> None:
    """vague_claims and so_what ask any_match first; it must say yes wherever re would."""
    import re

    from translator.rubric.loader import builtin_kinds, load_rubric
    from translator.rubric.matrix import any_match

    lists: set[tuple[str, ...]] = set()
    for kind in builtin_kinds():
        for criterion in load_rubric(kind).criteria:
            params = criterion.params
            for name in ("phrases", "deltas", "consequences"):
                value = params.get(name)
                if value:
                    lists.add(tuple(rf"\b{p}" for p in value) if name == "phrases" else tuple(value))
    assert len(lists) >= 3
    texts = _texts()
    for patterns in lists:
        reference = re.compile("|".join(f"(?:{p})" for p in patterns), re.I)
        test = any_match(patterns)
        assert [t for t in texts if test(t) != bool(reference.search(t))] == []
