"""Normalised word forms: what lets "backtested", "backtesting" and "backtest" be one word.

Text is lower-cased, split into words, given American spelling for the few British endings that
Snowball's English stemmer keeps apart (optimise/optimize, behaviour/behavior, centre/center,
catalogue/catalog, programme/program), then stemmed with Snowball English (PyStemmer, the C
build of the Snowball stemmers). Vocabulary phrases go through the same steps, so a phrase and
the text it should match always meet in the same form, whatever the spelling or inflection.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STEMMER = Stemmer.Stemmer("english")
# British endings Snowball does not fold (it stems "optimise" to "optimis", "optimize" to "optim").
_BRITISH = (
    (re.compile(r"(?<=\w{3})is(e|es|ed|ing|ation|ations|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=\w{2})our(s|ed|ing|able|ite|ites)?$"), r"or\1"),
    (re.compile(r"(?<=\w{2})tre(s|d)?$"), r"ter\1"),
    (re.compile(r"(?<=\w{3})ogue(s)?$"), r"og\1"),
    (re.compile(r"^programme(s)?$"), r"program\1"),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The normalised form of one lower-case word."""
    for pattern, replacement in _BRITISH:
        if pattern.search(word):
            word = pattern.sub(replacement, word)
            break
    return str(_STEMMER.stemWord(word.replace("'", "")))


def stems(text: str) -> list[str]:
    """The normalised forms of the words of ``text``, in order."""
    return [stem(word) for word in _WORD.findall(text.lower())]


def stem_text(text: str) -> str:
    """``text`` as its normalised words joined by single spaces, with a space at each end, so
    that a phrase matches as whole words with a plain substring test or a bounded regex."""
    return " " + " ".join(stems(text)) + " "


@lru_cache(maxsize=4096)
def stem_phrase(phrase: str) -> str:
    """A vocabulary phrase in the form :func:`stem_text` gives text (no padding)."""
    return " ".join(stems(phrase))


def phrase_regex(phrases: list[str] | set[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    """One regex for vocabulary phrases, to search :func:`stem_text` output as whole words
    (the longest phrase first, so that it wins where phrases overlap). None for no phrases."""
    alternation = phrase_alternation(phrases)
    return re.compile(f"(?<= )(?:{alternation})(?= )") if alternation else None


def phrase_alternation(phrases: list[str] | set[str] | tuple[str, ...]) -> str | None:
    """The phrases in normalised word forms, escaped and joined with "|", longest first; the
    signal matrix puts it between spaces in its RE2 set without compiling it for ``re``."""
    stemmed = sorted({stem_phrase(p) for p in phrases} - {""}, key=len, reverse=True)
    return "|".join(re.escape(p) for p in stemmed) or None
