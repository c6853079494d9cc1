"""Grounding: a draft may state as fact only what the notes state. Claims, not tokens.

A spec's fact fields are read as claims, and each claim is traced to the notes line that
supports it:

- a **figure**: a number with its unit and what it measures (a duration, a share, money with
  its per-period, a rate, a size, a count of something). The notes must hold the same amount
  of the same quantity: "15 ms" is not supported by "15 March" (a date), "48 minutes" not by
  "48 hours", "$48" not by "48 attendees"; "2 days" is supported by "48 hours". Dates, versions,
  percentile names (p95), ordinals and list numbering are never figures.
- a **change**: "0.62 -> 0.67" must run the way the notes run; swapped before/after is invented.
- an **identifier** (inline code, snake_case, dotted names, versions such as v15): the notes must
  hold the whole name ("payments.transactions" is not in "payments.transactions_raw_v2").
- a **statement** that bears on a concern (a source, a cadence or freshness, a failure condition
  and its handling, a validation method, duration and threshold: the signals the rubric's
  grounding criterion lists): the words that make it bear on the concern must stand in the
  notes, within a few consecutive lines and not in a hedged sentence ("hourly would be nice").

Open questions are exempt: they ask, they do not state. An item with an ungrounded claim is
set aside by the gate: it never counts as a concern's content (see ``set_aside``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel

from translator.kinds import FailureMode, SpecBase
from translator.kinds.tradeoff_memo import MatrixRow
from translator.rubric import load_vocabulary
from translator.rubric.grounding_rule import GroundingParams
from translator.rubric.matrix import signal_set
from translator.rubric.model import Criterion, Vocabulary
from translator.rubric.report import Finding

RULE = "grounding"
ClaimType = Literal["figure", "change", "identifier", "statement"]

# --- figures ----------------------------------------------------------------------------------

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
# Spans that hold digits but state no amount: dates, versions, times of day, ordinals.
_NOT_FIGURES = re.compile(
    rf"""(?ix)
    \b\d{{4}}-\d{{1,2}}(?:-\d{{1,2}})?\b                               # 2026-03-15
  | \b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b                             # 15/03/2026
  | \b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}\b\.?(?:,?\s+\d{{4}})?       # 15 March 2026
  | \b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}})?        # March 15, 2026
  | \b{_MONTH}\.?\s+\d{{4}}\b                                          # March 2026
  | \bq[1-4]\s*(?:'|20)?\d{{2}}\b                                      # Q3 2026, Q3'26
  | \bv\d+(?:\.\d+)*\b                                                 # v15, v2.3
  | \b\d+(?:\.\d+){{2,}}\b                                             # 1.2.3
  | \b\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s*(?:am|pm)?\b                    # 10:30
  | \b\d{{1,2}}\s*(?:am|pm)\b                                          # 3pm
  | \b\d+(?:st|nd|rd|th)\b                                             # 2nd
    """
)
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]\s+)?(?:\(?\d{1,3}[.)]|#\d{1,3})(?=\s|$)")
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d,]*\.\d)")
_CURRENCY = {"$": "usd", "€": "eur", "£": "gbp"}
_CURRENCY_WORDS = {"usd": "usd", "dollar": "usd", "dollars": "usd", "eur": "eur", "euro": "eur", "euros": "eur"}
_MULTIPLIER = re.compile(r"\s?(k|thousand|m|million|b|bn|billion)\b(?![/.]\d)", re.I)
_MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
_MULTIPLIERS.update({"b": 1_000_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000})
_RANGE = re.compile(r"\s*(?:–|—|-|to)\s*[~$€£]?(?=\d)")
_ARROW = re.compile(r"\s*(?:->|→|=>|⇒|to)\s*[~$€£+]?(?=\d)")
# unit words -> (quantity, factor to the quantity's base unit); matched right after the number
_UNITS: list[tuple[str, str, Decimal]] = [
    (r"%|percent\b|pct\b", "share", Decimal(1)),
    (r"(?:pp|percentage points?|pts|points?)\b", "points", Decimal(1)),
    (r"(?:bps|basis points?)\b", "basis points", Decimal(1)),
    (r"(?:ms|msecs?|milliseconds?)\b", "time", Decimal("0.001")),
    (r"(?:µs|us|microseconds?)\b", "time", Decimal("0.000001")),
    (r"(?:s|secs?|seconds?)\b", "time", Decimal(1)),
    (r"(?:mins?|minutes?)\b", "time", Decimal(60)),
    (r"(?:h|hrs?|hours?)\b", "time", Decimal(3600)),
    (r"(?:d|days?)\b", "time", Decimal(86400)),
    (r"(?:w|wks?|weeks?)\b", "time", Decimal(604800)),
    (r"(?:months?|mos?)\b", "time", Decimal(2592000)),
    (r"(?:y|yrs?|years?)\b", "time", Decimal(31536000)),
    (r"(?:qps|rps|tps|req/s|requests?/s(?:ec)?|requests? per second|queries per second)\b", "rate", Decimal(1)),
    (r"(?:rpm|requests? per minute)\b", "rate", Decimal(1) / Decimal(60)),
    (r"(?:kb|kib)\b", "size", Decimal(10) ** 3),
    (r"(?:mb|mib)\b", "size", Decimal(10) ** 6),
    (r"(?:gb|gib)\b", "size", Decimal(10) ** 9),
    (r"(?:tb|tib)\b", "size", Decimal(10) ** 12),
    (r"x\b", "times", Decimal(1)),
]
_UNIT_RES = [(re.compile(r"\s?(?:" + pattern + ")", re.I), quantity, factor) for pattern, quantity, factor in _UNITS]
_PER = re.compile(
    r"\s*(?:/|per\s+|a\s+|an\s+|each\s+)(?:(1\s?m|1\s?k|million|thousand|1,000(?:,000)?)\s*\w*|(month|mo|day|hour|hr|h|year|yr|week|request|call|query|user|1k|1m))\b",
    re.I,
)
_COUNT_NOUN = re.compile(r"\s([a-z][a-z-]{2,})\b", re.I)
# Words after a number that say nothing about what it counts.
_NOT_NOUNS = frozenset(
    """a an and are as at be been but by for from has have in into is it its more less of on or
    over per than that the then these this those to under up was were when where which while
    with vs versus after before between about around only just points pts stays stay remains
    holds held drops rises falls goes means gives shows""".split()  # noqa: SIM905
)


@dataclass(frozen=True)
class Figure:
    text: str  # as written, e.g. "~2k QPS"
    value: Decimal  # in the quantity's base unit (seconds, requests per second, bytes...)
    number: Decimal  # the number as written, for reasons ("the notes have 48 as ...")
    quantity: str  # "time", "share", "money usd", "count attendee", "" for a bare number
    per: str = ""  # money's period or denominator: "month", "1m"
    start: int = 0
    end: int = 0

    def describe(self) -> str:
        return self.text if not self.quantity else f"{self.text} ({self.quantity.split()[0]})"


def _decimal(digits: str, fraction: str | None) -> Decimal | None:
    try:
        return Decimal(digits.replace(",", "") + (fraction or ""))
    except InvalidOperation:
        return None


def _masked(text: str) -> tuple[str, list[str]]:
    """``text`` with dates, versions and list numbering blanked out, and what was blanked."""
    dropped: list[str] = []

    def blank(match: re.Match[str]) -> str:
        span = match.group(0).strip()
        kind = "list numbering" if _LIST_MARKER.match(span) else "a version" if span[:1] in "vV" else "a date or time"
        if re.fullmatch(r"\d+(?:\.\d+){2,}", span):
            kind = "a version"
        dropped.append(f'"{span}", {kind}')
        return " " * len(match.group(0))

    text = _LIST_MARKER.sub(blank, text)
    return _NOT_FIGURES.sub(blank, text), dropped


def figures(text: str) -> list[Figure]:
    """The figures ``text`` states (never dates, versions, ordinals or list numbers)."""
    masked, _ = _masked(text)
    found: list[Figure] = []
    consumed = 0  # "$0.40/1M requests" is one figure: its "1M" is not another
    for match in _NUMBER.finditer(masked):
        number = _decimal(match.group(1), match.group(2))
        if number is None or match.start() < consumed:
            continue
        start, end = match.start(), match.end()
        before = masked[max(0, start - 2) : start].rstrip(" ~≈+-−±")
        currency = _CURRENCY.get(before[-1:] if before else "", "")
        # A range ("5–10 ms") shares the unit written after its second number.
        tail_at = end
        ranged = _RANGE.match(masked, end)
        if ranged:
            second = _NUMBER.match(masked, ranged.end())
            if second:
                tail_at = second.end()
        value, quantity, per, unit_end = _unit(masked, tail_at, number, currency)
        text_end = unit_end if tail_at == end else end
        consumed = text_end
        if currency:
            start = text.rfind(before[-1], 0, start)
        found.append(Figure(text[start:text_end].strip(), value, number, quantity, per, start, text_end))
    return found


def _unit(text: str, at: int, number: Decimal, currency: str) -> tuple[Decimal, str, str, int]:
    """(value in base units, quantity, per, end) for the number whose text ends at ``at``."""
    value, end = number, at
    multiplier = _MULTIPLIER.match(text, end)
    if multiplier:
        word = multiplier.group(1).lower()
        # "5m" alone is five minutes; "1.2m users" or "1.2M" is a count of millions.
        is_million = word != "m" or multiplier.group(1) == "M" or _COUNT_NOUN.match(text, multiplier.end())
        if word in _MULTIPLIERS and (is_million or currency):
            value, end = value * _MULTIPLIERS[word], multiplier.end()
        elif word == "m":  # "lag 5m"
            return value * 60, "time", "", multiplier.end()
    if not currency:
        word = re.match(r"\s?([a-z]+)\b", text[end:], re.I)
        if word and word.group(1).lower() in _CURRENCY_WORDS:
            currency, end = _CURRENCY_WORDS[word.group(1).lower()], end + word.end()
    if currency:
        per = _PER.match(text, end)
        period = ""
        if per:
            period = (per.group(1) or per.group(2) or "").lower().replace(" ", "").replace(",", "")
            period = {"million": "1m", "1000000": "1m", "thousand": "1k", "1000": "1k", "mo": "month"}.get(
                period, period
            )
            period = {"hr": "hour", "h": "hour", "yr": "year"}.get(period, period)
            end = per.end()
        return value, f"money {currency}", period, end
    for regex, quantity, factor in _UNIT_RES:
        unit = regex.match(text, end)
        if unit:
            return value * factor, quantity, "", unit.end()
    noun = _COUNT_NOUN.match(text, end)
    # Only whole numbers count things ("0.48 stays" is a bare 0.48).
    if noun and value == value.to_integral_value() and noun.group(1).lower() not in _NOT_NOUNS:
        return value, f"count {_stem(noun.group(1).lower())}", "", noun.end()
    return value, "", "", end


def supports(note: Figure, claim: Figure) -> bool:
    """Whether a notes figure supports a claimed one: the same amount of the same quantity."""
    if note.value != claim.value:
        return False
    if claim.quantity == note.quantity:
        return not claim.per or claim.per == note.per
    if not claim.quantity:
        return True  # a bare number claims only the number
    # "48 features" from notes that say "features: 48"
    return claim.quantity.startswith("count") and not note.quantity


# --- identifiers ------------------------------------------------------------------------------

_IDENTIFIER = re.compile(
    r"`([^`\n]+)`"
    r"|(?<![\w.])([A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?:\.[A-Za-z0-9_]+)*)(?![\w])"
    r"|(?<![\w.])([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)(?![\w])"
    r"|(?<![\w.])(v\d+(?:\.\d+)*)\b"
)
# Words that are dotted or underscored in ordinary prose and name nothing in the notes.
_PROSE = {"e.g", "i.e", "etc", "vs", "a.m", "p.m"}


def identifiers(text: str) -> list[str]:
    names: list[str] = []
    for match in _IDENTIFIER.finditer(text):
        if match.group(1):
            # Inline code: its names must be in the notes (its numbers are figures).
            for part in re.findall(r"[A-Za-z_][A-Za-z0-9_.]*[A-Za-z0-9_]|v\d+", match.group(1)):
                if "_" in part or "." in part or re.fullmatch(r"v\d+", part):
                    names.append(part)
            continue
        name = next(group for group in match.groups() if group).rstrip(".")
        if name.lower() not in _PROSE:
            names.append(name)
    return list(dict.fromkeys(names))


# A run of name characters is one name: "payments.transactions_raw_v2" holds no shorter one.
_NAME_TOKEN = re.compile(r"[\w.]*\w")


# --- statements -------------------------------------------------------------------------------

_WORD = re.compile(r"[a-zà-ÿ]+")
_STOP = frozenset(
    """a an the of to in on at by for from with and or is are be been was were it its this that as
    if when whenever upon case into than then via per each every any all our we they them their
    there so do does not no""".split()  # noqa: SIM905
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _words(text: str) -> list[str]:
    return [_stem(w) for w in _WORD.findall(text.lower())]


def unhedged(text: str, hedge: re.Pattern[str] | None) -> str:
    """``text`` without its hedged sentences ("no idea what lag we promise" states no lag)."""
    if hedge is None:
        return text
    return " ".join(s for s in re.split(r"(?<=[.;!?])\s+", text) if not hedge.search(s))


@dataclass(frozen=True)
class Term:
    words: tuple[str, ...]  # stemmed content words
    text: str  # the span as written
    label: str  # the signal's label, for the reason


# --- the claims and the notes -----------------------------------------------------------------


class Claim(BaseModel):
    """One thing the spec states as fact, and where the notes state it (or why they do not)."""

    claim: str
    type: ClaimType
    field: str
    quantity: str | None = None  # figures: what the number measures
    status: Literal["grounded", "ungrounded"]
    line: int | None = None  # the notes line that supports it (1-based, in the notes' text)
    origin: str | None = None  # that line in the original file: "notes.md:12", "eval.ipynb cell 4"
    source: str | None = None  # that line, shortened
    reason: str | None = None  # why it is ungrounded


class Grounding(BaseModel):
    """The draft JSON's ``grounding`` section: every claim, and a finding per ungrounded one."""

    claims: list[Claim] = []
    findings: list[Finding] = []

    @property
    def ungrounded(self) -> list[Claim]:
        return [c for c in self.claims if c.status == "ungrounded"]

    def traced_to(self, origin: Callable[[int], str]) -> Grounding:
        """The same claims, each pointing at its line in the original notes file."""
        claims = [c.model_copy(update={"origin": origin(c.line)}) if c.line else c for c in self.claims]
        return self.model_copy(update={"claims": claims})


@dataclass
class _Line:
    number: int
    text: str
    figures: list[Figure]
    words: frozenset[str]  # stemmed words of its unhedged sentences, and joined pairs


class NotesIndex:
    """The notes, line by line: their figures, their words, and a search for whole names.

    Indexed once per gate (figures by value, words by line), so grounding stays near-linear
    in the size of the notes and the draft, whatever their length."""

    def __init__(self, notes_text: str, vocabulary: Vocabulary | None = None, hedge: str = "hedge") -> None:
        vocab = vocabulary or load_vocabulary()
        hedge_regex = vocab.signals[hedge].regex if hedge in vocab.signals else None
        self.text = notes_text
        self.lines: list[_Line] = []
        self._by_value: dict[Decimal, list[tuple[_Line, Figure]]] = defaultdict(list)
        self._by_number: dict[Decimal, list[tuple[_Line, Figure]]] = defaultdict(list)
        self._where: dict[str, list[int]] = defaultdict(list)  # word -> indexes of lines with it
        self._starts: list[int] = []  # offset of each line in the text
        self._names: dict[str, int] = {}  # each whole name -> the index of its first line
        self.claims: dict[tuple[str, str, bool, str], tuple[Claim, ...]] = {}  # see _claims_of
        offset = 0
        for number, text in enumerate(notes_text.split("\n"), start=1):
            self._starts.append(offset)
            offset += len(text) + 1
            words = _words(unhedged(text, hedge_regex))
            line = _Line(number, text, figures(text), frozenset(words) | {a + b for a, b in pairwise(words)})
            self.lines.append(line)
            for figure in line.figures:
                self._by_value[figure.value].append((line, figure))
                self._by_number[figure.number].append((line, figure))
            for word in line.words:
                self._where[word].append(number - 1)
            for token in _NAME_TOKEN.findall(text):
                self._names.setdefault(token.lower().rstrip("."), number - 1)
        self.changes = [(line, pair) for line in self.lines for pair in _changes(line.text, line.figures)]

    def find_figure(self, claim: Figure) -> tuple[_Line | None, list[str]]:
        """The first line with a figure that supports ``claim``, else how the notes use its number."""
        for line, figure in self._by_value.get(claim.value, ()):  # in line order
            if supports(figure, claim):
                return line, []
        same = [*self._by_value.get(claim.value, ())[:3], *self._by_number.get(claim.number, ())[:3]]
        others = [
            f"{figure.describe()} (line {line.number})" for line, figure in sorted(same, key=lambda p: p[0].number)
        ]
        number = _plain(claim.number)
        for match in re.finditer(rf"(?<![\d.]){re.escape(number)}(?![\d])", self.text):
            line = self._line_at(match.start())
            _, dropped = _masked(line.text)
            others.extend(f"{span} (line {line.number})" for span in dropped if number in span)
            if len(others) >= 3:
                break
        return None, list(dict.fromkeys(others))

    def _line_at(self, offset: int) -> _Line:
        return self.lines[bisect_right(self._starts, offset) - 1]

    def find_name(self, name: str) -> _Line | None:
        """The first line holding ``name`` whole: as a token of name characters, not part of a
        longer name ("payments.transactions" is not in "payments.transactions_raw_v2")."""
        number = self._names.get(name.lower())
        return self.lines[number] if number is not None else None

    def find_terms(self, terms: list[Term], window: int) -> tuple[_Line | None, list[Term]]:
        """The line that best supports ``terms`` within ``window`` consecutive lines, and the
        terms no such window states (empty when grounded)."""
        at: list[list[int]] = []
        for term in terms:
            lines = set(self._where.get(term.words[0], ()))
            for word in term.words[1:]:
                lines &= set(self._where.get(word, ()))
            at.append(sorted(lines))
        absent = [term for term, lines in zip(terms, at, strict=True) if not lines]
        if absent:
            return None, absent
        # A window starts within `window` lines before a line of the rarest term.
        rarest = min(range(len(terms)), key=lambda i: len(at[i]))
        for anchor in at[rarest]:
            for first in range(max(0, anchor - window + 1), anchor + 1):
                last = first + window - 1
                if all(_any_between(lines, first, last) for lines in at):
                    hits = [sum(_any_between(lines, i, i) for lines in at) for i in range(first, last + 1)]
                    return self.lines[first + hits.index(max(hits))], []
        return None, [term for term, lines in zip(terms, at, strict=True) if lines != at[rarest]] or terms


def _any_between(sorted_lines: list[int], first: int, last: int) -> bool:
    at = bisect_left(sorted_lines, first)
    return at < len(sorted_lines) and sorted_lines[at] <= last


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _changes(text: str, found: list[Figure]) -> Iterator[tuple[Figure, Figure]]:
    """Before -> after pairs: "0.62 -> 0.67", "from 0.62 to 0.67"."""
    for first, second in pairwise(found):
        between = text[first.end : second.start]
        if re.fullmatch(r"\s*(?:->|→|=>|⇒)\s*[~$€£+]?\s*", between) or (
            re.fullmatch(r"\s*to\s*[~$€£+]?\s*", between) and re.search(r"\bfrom\s*[~$€£]?\s*$", text[: first.start])
        ):
            yield first, second


@lru_cache(maxsize=1)
def _grounding_criterion_default() -> tuple[Criterion, GroundingParams] | None:
    from translator.rubric import load_rubric

    return grounding_criterion(load_rubric("general").criteria)


def grounding_criterion(criteria: list[Criterion]) -> tuple[Criterion, GroundingParams] | None:
    """The rubric's grounding criterion and its params (the first whose check is `grounding`)."""
    for criterion in criteria:
        if criterion.check == RULE and isinstance(criterion.options, GroundingParams):
            return criterion, criterion.options
    return None


# --- grounding a spec -------------------------------------------------------------------------


@dataclass
class _Item:
    field: str
    position: int  # index in the field's list; -1 for the title
    text: str


def _items(spec: SpecBase) -> list[_Item]:
    """Everything the rendered spec states as fact, item by item."""
    items = [_Item("title", -1, spec.title)]
    for field in ("evidence", *spec.concern_order):
        for position, item in enumerate(getattr(spec, field)):
            items.append(_Item(field, position, " ".join(_texts(item))))
    return items


def _texts(item: object) -> list[str]:
    if isinstance(item, FailureMode):
        return [item.condition, item.handling]
    if isinstance(item, MatrixRow):
        return [item.option, item.accuracy, item.latency, item.cost, item.maintenance]
    if isinstance(item, BaseModel):
        return [str(v) for v in item.model_dump().values()]
    return [str(item)]


def _terms(text: str, signals: list[str], vocabulary: Vocabulary, hedge_signal: str) -> list[Term]:
    """The concern-bearing wording of ``text``: each signal match's content words (names and
    figures are claims of their own, so they are left out here)."""
    hedge = vocabulary.signals.get(hedge_signal)
    plain = _IDENTIFIER.sub(" ", unhedged(text, hedge.regex if hedge else None))
    plain = re.sub(r"[~$€£]?\d[\d.,]*\s*(?:[a-z%]+\b|%)?", " ", plain, flags=re.I)
    terms: list[Term] = []
    for name in signals:
        signal = vocabulary.signals.get(name)
        if signal is None:
            continue
        for match in signal.regex.finditer(plain):
            words = tuple(w for w in _words(match.group(0)) if w not in _STOP and len(w) > 1)
            if words and all(t.words != words for t in terms):
                terms.append(Term(words, " ".join(match.group(0).split()), signal.label))
    return terms


def _concerns_borne(text: str, field: str, params: GroundingParams, vocabulary: Vocabulary) -> list[str]:
    """The concerns an item bears on: its own field's, and any whose content it carries in full
    (a lineage hidden in an Evidence bullet still makes lineage present)."""
    borne = [field] if field in params.statements else []
    found: set[str] | None = None  # the signals whose patterns match ``text`` (the matrix's row)
    for concern in params.statements:
        if concern == field or concern not in vocabulary.concerns:
            continue
        groups = vocabulary.concerns[concern].content
        if groups:
            found = found if found is not None else signal_set(vocabulary.signals).pattern_hits(text, text.lower())
            if all(any(s in found for s in group) for group in groups):
                borne.append(concern)
    return borne


def ground(
    spec: SpecBase, notes_text: str, criterion: Criterion | None = None
) -> tuple[Grounding, set[tuple[str, int]]]:
    """Every claim of ``spec`` traced to the notes, the findings for the ungrounded ones, and
    the (field, position) of each item that holds one (the items the gate sets aside).
    ``criterion``: the rubric's grounding criterion (default: the general rubric's)."""
    chosen = grounding_criterion([criterion]) if criterion is not None else _grounding_criterion_default()
    if chosen is None:
        return Grounding(), set()
    rule, params = chosen
    notes = _index(notes_text, params.hedge)
    claims: list[Claim] = []
    invented: set[tuple[str, int]] = set()
    seen: set[tuple[str, str, str]] = set()

    def add(item: _Item, claim: Claim) -> None:
        key = (item.field, claim.type, claim.claim.lower())
        if key in seen:
            return
        seen.add(key)
        claims.append(claim)
        if claim.status == "ungrounded":
            invented.add((item.field, item.position))

    for item in _items(spec):
        for claim in _claims_of(notes, params, item.field, item.position < 0, item.text):
            add(item, claim)
    findings = [_finding(rule, claim) for claim in claims if claim.status == "ungrounded"]
    return Grounding(claims=claims, findings=findings), invented


@lru_cache(maxsize=2)
def _index(notes_text: str, hedge: str) -> NotesIndex:
    # One index per notes: a draft is gated more than once against the same notes.
    return NotesIndex(notes_text, load_vocabulary(), hedge)


def _claims_of(notes: NotesIndex, params: GroundingParams, field: str, is_title: bool, text: str) -> tuple[Claim, ...]:
    """The claims of one item, kept with the notes' index: re-gating a draft (with its open
    questions, or after a repair) re-grounds only the items that changed."""
    key = (params.model_dump_json(), field, is_title, text)
    found = notes.claims.get(key)
    if found is None:
        found = notes.claims[key] = tuple(_item_claims(field, is_title, text, notes, params, load_vocabulary()))
    return found


def _item_claims(
    field: str, is_title: bool, text: str, notes: NotesIndex, params: GroundingParams, vocabulary: Vocabulary
) -> Iterator[Claim]:
    found = figures(text)
    for first, second in _changes(text, found):
        yield _change_claim(field, first, second, notes)
    for figure in found:
        line, others = notes.find_figure(figure)
        if line is not None:
            yield _grounded(field, figure.text, "figure", line, figure.quantity or None)
        else:
            why = f"the notes have {_plain(figure.number)} only as {'; '.join(others[:3])}" if others else ""
            reason = why or f"no {figure.quantity or 'figure'} of {_plain(figure.number)} is in the notes"
            yield Claim(
                claim=figure.text,
                type="figure",
                field=field,
                quantity=figure.quantity or None,
                status="ungrounded",
                reason=reason,
            )
    for name in identifiers(text):
        line = notes.find_name(name)
        if line is not None:
            yield _grounded(field, name, "identifier", line)
        else:
            partial = any(name.lower() in ln.text.lower() for ln in notes.lines)
            reason = "only part of a longer name in the notes" if partial else "not in the notes"
            yield Claim(claim=name, type="identifier", field=field, status="ungrounded", reason=reason)
    if is_title:
        return  # the title names the change; its figures and names are checked above
    for concern in _concerns_borne(text, field, params, vocabulary):
        terms = _terms(text, params.statements[concern], vocabulary, params.hedge)
        if not terms:
            continue
        claim_text = " ".join(text.split())
        claim_text = claim_text if len(claim_text) <= 120 else claim_text[:117] + "..."
        line, missing = notes.find_terms(terms, params.window)
        if line is not None:
            yield _grounded(concern, claim_text, "statement", line)
        else:
            said = "; ".join(f'"{t.text}" ({t.label})' for t in missing[:3])
            yield Claim(
                claim=claim_text,
                type="statement",
                field=concern,
                status="ungrounded",
                reason=f"the notes do not state {said}",
            )


def _change_claim(field: str, first: Figure, second: Figure, notes: NotesIndex) -> Claim:
    text = f"{first.text} -> {second.text}"
    for line, (before, after) in notes.changes:
        if supports(before, first) and supports(after, second):
            return _grounded(field, text, "change", line)
    for line, (before, after) in notes.changes:
        if supports(before, second) and supports(after, first):
            reason = f"before and after are swapped: the notes say {before.text} -> {after.text} (line {line.number})"
            return Claim(claim=text, type="change", field=field, status="ungrounded", reason=reason)
    for line in notes.lines:
        at_first = [f.start for f in line.figures if supports(f, first)]
        at_second = [f.start for f in line.figures if supports(f, second)]
        if at_first and at_second:
            if min(at_first) < max(at_second):
                return _grounded(field, text, "change", line)
            reason = f"before and after are swapped: line {line.number} gives {second.text} before {first.text}"
            return Claim(claim=text, type="change", field=field, status="ungrounded", reason=reason)
    # No line holds both: each figure is judged on its own.
    first_line, _ = notes.find_figure(first)
    if first_line is not None and notes.find_figure(second)[0] is not None:
        return _grounded(field, text, "change", first_line)
    return Claim(
        claim=text, type="change", field=field, status="ungrounded", reason="the notes give no such before and after"
    )


def _grounded(field: str, claim: str, kind: ClaimType, line: _Line, quantity: str | None = None) -> Claim:
    source = re.sub(r"^(?:[-*+>]|#{1,6}|\d{1,3}[.)])\s+", "", " ".join(line.text.split()))
    return Claim(
        claim=claim,
        type=kind,
        field=field,
        quantity=quantity,
        status="grounded",
        line=line.number,
        source=source if len(source) <= 160 else source[:157] + "...",
    )


def _finding(criterion: Criterion, claim: Claim) -> Finding:
    concern = None if claim.field in ("title", "evidence") else claim.field
    return Finding(
        rule=criterion.id,
        concern=concern,
        severity=criterion.severity,
        message=f"{criterion.message} '{claim.claim}' in {claim.field}: {claim.reason}.",
        line=None,  # the gate fills it in from the Markdown it renders
        hint=criterion.hint,
    )


def set_aside(spec: SpecBase, items: set[tuple[str, int]]) -> tuple[SpecBase, list[str]]:
    """``spec`` without the items that hold an ungrounded claim, and those items' text: what
    the gate judges, and the assumptions it lists apart. The title stays (a spec needs one)."""
    if not items:
        return spec, []
    update: dict[str, list[object]] = {}
    assumptions: list[str] = []
    for field in {field for field, position in items if position >= 0}:
        kept = []
        for position, item in enumerate(getattr(spec, field)):
            if (field, position) in items:
                assumptions.append(" ".join(" ".join(_texts(item)).split()))
            else:
                kept.append(item)
        update[field] = kept
    return spec.model_copy(update=update), assumptions


def check_grounding(spec: SpecBase, notes_text: str) -> list[Finding]:
    """The findings for every ungrounded claim of ``spec``."""
    return ground(spec, notes_text)[0].findings
