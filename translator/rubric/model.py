"""The rubric and vocabulary as pydantic models: what a rubric file may say."""

from __future__ import annotations

import re
from enum import Enum
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from translator.rubric.registry import Params, check_type


class Severity(str, Enum):
    error = "error"
    warning = "warning"
    info = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Concern(_Strict):
    title: str
    aliases: list[str] = Field(default_factory=list)
    question: str
    content: list[list[str]] = Field(default_factory=list)
    # "opening": covered only when stated at the top (the recommendation); stated further down
    # it is incomplete.
    position: Literal["anywhere", "opening"] = "anywhere"
    # Concerns whose sections may hold the rest of this one's elements (a validation protocol
    # whose method sits under "Rollout").
    gather: list[str] = Field(default_factory=list)
    # Content as a pair ("condition: handling", "X → Y", a table row): the first group's
    # signals on the left side, the second's on the right.
    pairs: list[list[str]] = Field(default_factory=list)
    # Content that addresses the concern but does not settle it: incomplete, not missing.
    partial: list[list[str]] = Field(default_factory=list)
    # Signals that two or more items listed in the concern's own location stand for: options
    # laid out as a list ("A: restore the rules", "B: route to v1") are options, and so are the
    # steps of a plan.
    listed: list[str] = Field(default_factory=list)
    # Concerns whose items this one's content search leaves alone: a "Validation | go to 100%
    # if the ATO rate is down ≥ 50%" row is a launch gate, not a failure mode, whatever its words.
    yields_to: list[str] = Field(default_factory=list)
    # Whether two neighbouring points of one list may hold the concern between them ("- A/B for
    # 3 weeks in three depots" / "- Decision rule: roll out if MAE improves by 15%"). Off where a
    # word in the next point is as likely about something else (a "table" and a "quarter").
    split_over_points: bool = False
    # Whether a placeholder where the spec names the concern ("Training data: TBD") settles it
    # as missing, whatever its content rule finds elsewhere (a model card's overview mentions
    # the training data in passing; the writer's TBD says the section is still to be written).
    placeholder_is_final: bool = False


class Opening(_Strict):
    """What a reader skips to reach a document's opening, and how far the opening reaches."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    blocks: int = Field(default=6, ge=1)
    decision_signals: list[str] = Field(default_factory=list)
    undecided_signal: str | None = None
    # The signal that keeps a metadata line the opening would skip ("Status: approved for ...").
    decided_metadata: str | None = None
    skip_lead_ins: list[str] = Field(default_factory=list)
    skip_patterns: list[str] = Field(default_factory=list)
    not_decisions: list[str] = Field(default_factory=list)
    options_named_by: list[str] = Field(default_factory=list)  # concerns whose sections list options
    # Sections that set the scene before the decision (an ADR's "Context"): the opening reaches
    # through them into the next section.
    preamble_sections: list[str] = Field(default_factory=list)

    @cached_property
    def skip_regex(self) -> re.Pattern[str]:
        return combine(self.skip_patterns, re.I) if self.skip_patterns else re.compile("(?!)")

    @cached_property
    def option_regex(self) -> re.Pattern[str]:
        return combine(self.not_decisions, re.I) if self.not_decisions else re.compile("(?!)")


class Signal(_Strict):
    """A named test on a block's text: regular expressions (``patterns``, case-insensitive) and
    word phrases (``words``, matched as whole words on normalised word forms, so inflections and
    British spellings match: "backtest" matches "backtested", "optimise" matches "optimize")."""

    label: str
    patterns: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)
    # Table header cells under which a cell counts as this signal ("System response" makes its
    # cells a handling): a row is read with its header cells as field names.
    fields: list[str] = Field(default_factory=list)
    # Header cells whose cells name a row rather than state in it ("Slice | ..."): the signal
    # does not count from them ("age ≥ 65" names a slice; it is no threshold).
    naming_fields: list[str] = Field(default_factory=list)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str], info: ValidationInfo) -> list[str]:
        return check_patterns(patterns, info)

    @model_validator(mode="after")
    def _says_something(self) -> Signal:
        if not self.patterns and not self.words:
            raise ValueError("a signal needs patterns or words")
        return self

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return combine(self.patterns, re.I | re.M) if self.patterns else re.compile("(?!)")

    @cached_property
    def field_regex(self) -> re.Pattern[str] | None:
        """The header names that make a cell this signal, over normalised text."""
        from translator.rubric.words import phrase_regex

        return phrase_regex(self.fields)

    @cached_property
    def naming_field_regex(self) -> re.Pattern[str] | None:
        """The header names whose cells only name the row, over normalised text."""
        from translator.rubric.words import phrase_regex

        return phrase_regex(self.naming_fields)

    @cached_property
    def word_regex(self) -> re.Pattern[str] | None:
        """The word phrases as one regex over normalised text (words.stem_text)."""
        from translator.rubric.words import phrase_regex

        return phrase_regex(self.words)


# Any "(?" but a plain group or a look-around: flags ((?s-i:...), (?L)) and named groups, whose
# names and references must keep their case.
_GROUP_EXTENSION = re.compile(r"(?<!\\)\(\?(?![:=!]|<[=!])")
# A range with an upper-case end: [A-Z] lowers to [a-z], but [A-z] or [Z-a] would change.
_CASED_RANGE = re.compile(r"(?<!\\)(\S)-(\S)(?=[^\[]*\])")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def lower_case_pattern(pattern: str) -> str | None:
    """``pattern`` for lower-cased text: what re.I matches in any case, on text in lower case
    (the signal matrix's RE2 sets read lower-cased text). Letters are lower-cased, escapes kept
    (\\S stays \\S); None when lower-casing could change the meaning (a \\x or \\N escape,
    inline flags, named groups, a range such as [A-z]): such a pattern keeps re.I on ``re``."""
    if _GROUP_EXTENSION.search(pattern) or any(
        (low + high) != (low + high).lower() and not (low in _UPPER and high in _UPPER)
        for low, high in _CASED_RANGE.findall(pattern)
    ):
        return None
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            if char in "xuUN":
                return None  # \x41 is "A", which lower-cased text never holds
            out.append(char)  # \S, \B, \W, \D keep their meaning
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        else:
            out.append(char.lower())
    return "".join(out)


def combine(patterns: list[str] | tuple[str, ...], flags: int = re.I) -> re.Pattern[str]:
    """One regex for alternatives. A word boundary that most patterns open with is hoisted in
    front of them, which lets the engine skip every position inside a word: three times faster
    on real specs, for the same matches."""
    bounded = [p[2:] for p in patterns if p.startswith(r"\b")]
    free = [p for p in patterns if not p.startswith(r"\b")]
    parts = ([r"\b(?:" + "|".join(f"(?:{p})" for p in bounded) + ")"] if bounded else []) + [f"(?:{p})" for p in free]
    return re.compile("|".join(parts), flags)


def check_patterns(patterns: list[str], info: ValidationInfo) -> list[str]:
    """Compile user-written patterns now, so a bad one is reported with its file and field.

    The built-in vocabulary and rubrics are compiled by the test suite instead, and lazily at
    first use, which keeps `translator score` quick to start.
    """
    if (info.context or {}).get("builtin"):
        return patterns
    return compile_all(patterns)


def compile_all(patterns: list[str]) -> list[str]:
    """``patterns``, once each has compiled; a bad one is a ValueError that names it."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
    return patterns


class Vocabulary(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))
    version: int
    concerns: dict[str, Concern]
    opening: Opening = Field(default_factory=Opening)
    unsettled_sections: list[str] = Field(default_factory=list)
    signals: dict[str, Signal]

    @model_validator(mode="after")
    def _opening_names_known_signals(self) -> Vocabulary:
        named = [*self.opening.decision_signals, self.opening.undecided_signal, self.opening.decided_metadata]
        unknown = sorted({name for name in named if name and name not in self.signals})
        if unknown:
            raise ValueError(f"opening names unknown signals: {', '.join(unknown)}")
        return self


class Criterion(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9\-_.]*$")
    check: str = Field(description="a check type from the registry (translator.rubric.registry)")
    concern: str | None = None
    severity: Severity = Severity.error
    weight: float = Field(default=1.0, ge=0)
    message: str
    hint: str | None = None
    # concern_adequate: every group must be matched by at least one of its signals
    require: list[list[str]] = Field(default_factory=list)
    scope: Literal["section", "block"] = "section"
    # concern_adequate: whether failing it makes the concern "incomplete" (severity only decides
    # pass or fail). Nice-to-haves such as "name the percentile" set it to false.
    decides_status: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    _options: Params = PrivateAttr()

    @model_validator(mode="after")
    def _fits_its_check_type(self, info: ValidationInfo) -> Criterion:
        try:
            kind = check_type(self.check)
        except ValueError as exc:
            raise ValueError(f"check: {exc}") from None
        if kind.needs_concern and not self.concern:
            raise ValueError(f"concern: check {self.check} needs a concern")
        if kind.needs_require and not self.require:
            raise ValueError(f"require: check {self.check} needs require: [[signal, ...], ...]")
        try:
            # The load's context goes along: built-in params skip eager compilation, as the
            # rest of the built-in data does (tests/test_rubric_loader.py compiles them).
            self._options = kind.params.model_validate(self.params, context=info.context)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in ("params", *first["loc"]))
            raise ValueError(f"{where}: {first['msg']}") from None
        return self

    @property
    def options(self) -> Params:
        """The params, validated by the check type's own model."""
        return self._options


class Detect(_Strict):
    """The cues that tell a document of this kind: phrases in its title, its headings, and
    regex terms and word phrases in its text (phrases compare in normalised word forms). They
    are features of the kind detector (:mod:`translator.rubric.kind_detector`), which weighs
    them with the document's words by weights fitted on labelled documents."""

    title: list[str] = Field(default_factory=list)
    headings: list[str] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)
    words: list[str] = Field(default_factory=list)

    @field_validator("terms")
    @classmethod
    def _compiles(cls, terms: list[str], info: ValidationInfo) -> list[str]:
        return check_patterns(terms, info)


class Rubric(_Strict):
    """A validated, fully merged rubric (``extends`` already resolved)."""

    version: int
    kind: str
    title: str
    description: str = ""
    pass_score: float = Field(default=70, ge=0, le=100)
    criteria: list[Criterion]
    detect: Detect = Field(default_factory=Detect)
    source: str = Field(default="", description="the file it was loaded from")

    @property
    def concerns(self) -> list[str]:
        """The concern keys this rubric judges, in first-mention order."""
        seen: dict[str, None] = {}
        for criterion in self.criteria:
            if criterion.concern:
                seen.setdefault(criterion.concern, None)
        return list(seen)
