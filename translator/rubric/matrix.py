"""Every signal of a vocabulary tested against a text in one pass: a row of the signal matrix.

Rules ask "does this block match signal S?" hundreds of times per document. Searching each
signal's regex again for each question was most of the scorer's time; instead, the first
question about a block computes its whole row (every signal that hits it) with two RE2 set
matches, one over the lower-cased text for the signals' ``patterns`` and one over the
normalised word forms for their ``words``, and every later question is a set lookup.

RE2 takes no look-arounds or back-references. A pattern that uses them, or that lower-casing
could change (see model.lower_case_pattern), stays on Python's ``re``, searched on its own;
the built-in vocabulary has two. RE2's ``\\s``, ``\\d``, ``\\w`` and ``\\b`` are ASCII, Python's
are Unicode, so the text RE2 reads has its non-ASCII characters folded to what they are to
``re``: a space (a non-breaking space from an HTML export), a digit, or a word character ("ΔAUC" is
one word to both), unless a pattern names the character itself ("µs", "≥").
``tests/test_signal_matrix.py`` checks that every row equals what ``re`` gives, signal by
signal, over every block of the eval sets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache

import re2

from translator.rubric.model import Signal, lower_case_pattern
from translator.rubric.words import phrase_alternation

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold(char: str) -> str:
    """A non-ASCII character as RE2's ASCII classes should see it: what it is to ``re``."""
    if char.isspace():
        return " "
    if char.isdecimal():
        return "0"
    if char.isalnum() or char == "_":
        # A word character that no lower-cased pattern names: \\w, \\S and [^a-z] match it,
        # [a-z] does not, as for "α" in ``re``.
        return "X"
    return char


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a pattern RE2 refuses goes to ``re``, silently
    # A budget, allocated as the automaton is built: at RE2's default of 8 MB a set of the
    # vocabulary's hundred patterns runs out of DFA cache and falls back to the NFA, 25 times
    # slower (1.24 vs 0.05 ms per 4 KB spec, measured). At 200 patterns 64 MB was not enough
    # either: the cache was reset again and again, and a second pass over the dev specs ran at
    # 45 specs/s; at 128 MB, 109 (peak RSS 114 -> 144 MB).
    options.max_mem = 128 << 20
    return options


def _add(found: re2.Set, pattern: str) -> bool:
    """Add ``pattern`` to the set; False when RE2 refuses it (a look-around, a back-reference,
    a possessive quantifier), which leaves the set as it was."""
    try:
        found.Add(pattern)
    except re2.error:
        return False
    return True


def _compiled(found: re2.Set, members: list[str]) -> re2.Set | None:
    if not members:
        return None
    found.Compile()
    return found


_GATE = "\0gate:"  # set members that gate a fallback pattern; no signal name starts so


def _without_lookarounds(pattern: str) -> str | None:
    """``pattern`` with its look-around groups removed: it matches wherever ``pattern`` does
    (an assertion only narrows), so no hit of it means no hit of ``pattern``. None if the
    pattern's groups do not balance."""
    out: list[str] = []
    position, depth_of_skip, depth = 0, -1, 0
    in_class = False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            if depth_of_skip < 0:
                out.append(pattern[position : position + 2])
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            if depth_of_skip < 0 and pattern.startswith(("(?=", "(?!", "(?<=", "(?<!"), position):
                depth_of_skip = depth
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == depth_of_skip:
                depth_of_skip = -1
                position += 1
                continue
        if depth_of_skip < 0:
            out.append(char)
        position += 1
    if depth or depth_of_skip >= 0:
        return None
    # Counted repetition ({0,80}) blows up RE2's automaton in a set of a hundred patterns;
    # any count is a subset of "any number".
    return _COUNTED.sub("*", "".join(out))


_COUNTED = re.compile(r"(?<!\\)\{\d*,?\d*\}")


class SignalSet:
    """The signals of one vocabulary, compiled for rows. Built once per loaded vocabulary."""

    def __init__(self, signals: Mapping[str, Signal]) -> None:
        pattern_set = re2.Set.SearchSet(_options())
        self._pattern_owner: list[str] = []  # set index -> signal (or gate) name
        self._fallback: list[tuple[str, re.Pattern[str]]] = []
        self._gated: list[bool] = []  # whether fallback i has a gate in the set
        word_set = re2.Set.SearchSet(_options())
        self._word_owner: list[str] = []
        named: set[str] = set()
        for name, signal in signals.items():
            for pattern in signal.patterns:
                lowered = lower_case_pattern(pattern)
                if lowered is not None and _add(pattern_set, f"(?m){lowered}"):
                    self._pattern_owner.append(name)
                    named.update(char for char in lowered if ord(char) > 127)
                    continue
                # On ``re``, searched only where the pattern without its look-arounds (which
                # only ever narrow a match) hits in the set: a gate.
                gate = _without_lookarounds(lowered) if lowered is not None else None
                gated = gate is not None and _add(pattern_set, f"(?m){gate}")
                if gated:
                    self._pattern_owner.append(f"{_GATE}{len(self._fallback)}")
                    named.update(char for char in gate or "" if ord(char) > 127)
                self._fallback.append((name, re.compile(pattern, re.I | re.M)))
                self._gated.append(gated)
            phrases = phrase_alternation(signal.words)
            # The phrases between spaces (stem_text pads its output), spaces consumed: a row
            # asks whether a phrase occurs, not where.
            if phrases is not None and _add(word_set, f" (?:{phrases}) "):
                self._word_owner.append(name)
        self._patterns = _compiled(pattern_set, self._pattern_owner)
        self._words = _compiled(word_set, self._word_owner)
        # Non-ASCII characters the patterns name stay themselves in the text RE2 reads.
        self._folds: dict[str, str] = {}
        self._named = frozenset(named)

    def _ascii_classes(self, lowered: str) -> str:
        folds, named = self._folds, self._named

        def fold(match: re.Match[str]) -> str:
            char = match.group(0)
            folded = folds.get(char)
            if folded is None:
                folded = folds[char] = char if char in named else _fold(char)
            return folded

        return _NON_ASCII.sub(fold, lowered)

    def pattern_hits(self, text: str, lowered: str) -> set[str]:
        """The signals whose patterns match ``text`` (``lowered`` is ``text.lower()``)."""
        hits: set[str] = set()
        if self._patterns is not None:
            plain = lowered if lowered.isascii() else self._ascii_classes(lowered)
            owner = self._pattern_owner
            hits.update(owner[index] for index in self._patterns.Match(plain) or ())
        for number, (name, regex) in enumerate(self._fallback):
            if name in hits:
                continue
            if self._gated[number]:
                gate = f"{_GATE}{number}"
                if gate not in hits:
                    continue
            if regex.search(text):
                hits.add(name)
        return {hit for hit in hits if not hit.startswith(_GATE)} if self._fallback else hits

    def word_hits(self, stemmed: str) -> set[str]:
        """The signals one of whose word phrases occurs in ``stemmed`` (words.stem_text output)."""
        if self._words is None:
            return set()
        owner = self._word_owner
        return {owner[index] for index in self._words.Match(stemmed) or ()}


@lru_cache(maxsize=64)
def any_match(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A test of whether any of ``patterns`` (re.I, as the checks compile rubric params) matches
    a text: one RE2 search over the lower-cased text where RE2 takes them all and the text is
    ASCII (where its classes and Python's agree), else ``re``. Checks that need match
    positions run their own regex only where this says yes."""
    fallback = re.compile("|".join(f"(?:{p})" for p in patterns) or "(?!)", re.I)
    lowered = [lower_case_pattern(p) for p in patterns]
    try:
        if not patterns or None in lowered:
            raise re2.error("not for RE2")
        regex = re2.compile("|".join(f"(?:{p})" for p in lowered if p is not None), options=_options())
    except re2.error:  # refused (a look-around, a back-reference): re does it all
        return lambda text: fallback.search(text) is not None

    def test(text: str) -> bool:
        if text.isascii():
            return regex.search(text.lower()) is not None
        return fallback.search(text) is not None

    return test


_SETS: dict[int, tuple[object, SignalSet]] = {}


def signal_set(signals: Mapping[str, Signal]) -> SignalSet:
    """The SignalSet of a loaded vocabulary's signals, compiled once."""
    cached = _SETS.get(id(signals))
    if cached is None or cached[0] is not signals:
        cached = _SETS[id(signals)] = (signals, SignalSet(signals))
    return cached[1]
