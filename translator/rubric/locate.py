"""Find where a document covers a concern, and judge whether it is present, incomplete or missing.

A concern is located, in this order of trust:
1. by name: a heading, or a lead-in ("**Data lineage.** ...", "Failure modes: ...") whose words
   contain one of the concern's aliases;
2. by content: a paragraph, bullet or table elsewhere that matches the concern's ``content``
   rule from the vocabulary (a p95 figure inside "Engineering requirements" is latency).

A named location whose text is only placeholders is no location at all (missing, with the
placeholder as evidence). A named location that fails an adequacy rule is incomplete, unless
content elsewhere is adequate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from translator.rubric.document import Block, Document, normalise_phrase
from translator.rubric.model import Vocabulary
from translator.rubric.report import ConcernResult

_MAX_ALIAS_WORDS = 6
_EVIDENCE_CHARS = 100


@dataclass
class Location:
    how: str  # "heading" | "lead_in" | "content"
    line: int
    label: str
    units: list[list[Block]]  # text units: a block, or the rows of one table
    body_of: dict[int, str] = field(default_factory=dict)  # block index -> text to judge, for lead-ins


# An adequacy rule: signal groups that must all match, judged over the whole location
# ("section") or within one paragraph, bullet or table ("block").
Rule = tuple[list[list[str]], str]


@dataclass
class Resolution:
    """Where a concern was judged, and how it came out."""

    result: ConcernResult
    location: Location | None
    placeholder: str | None = None


class SignalMatcher:
    """Signal look-ups on blocks, cached per (block, signal): every check shares one matcher."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self._cache: dict[tuple[int, str, bool], bool] = {}

    def block_has(self, block: Block, signal: str, body_only: bool = False) -> bool:
        """Whether ``block`` matches ``signal``. A question states nothing, so it matches none:
        "At what cadence is the table refreshed?" is not lineage."""
        if block.is_question:
            return False
        key = (block.index, signal, body_only)
        hit = self._cache.get(key)
        if hit is None:
            text = block.body if body_only else block.text
            hit = self._cache[key] = bool(self.vocabulary.signals[signal].regex.search(text))
        return hit

    def groups_met(self, blocks: list[Block], groups: list[list[str]], lead_ins: set[int]) -> list[list[str]]:
        """The groups no block of ``blocks`` satisfies (empty list: all met)."""
        return [
            group
            for group in groups
            if not any(
                self.block_has(block, signal, block.index in lead_ins) for block in blocks for signal in group
            )
        ]


_ALIAS_INDEXES: dict[int, dict[str, frozenset[str]]] = {}


def _alias_index(vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """Normalised alias -> concerns, built once per loaded vocabulary."""
    index = _ALIAS_INDEXES.get(id(vocabulary))
    if index is None:
        building: dict[str, set[str]] = {}
        for key, concern in vocabulary.concerns.items():
            for alias in [concern.title, *concern.aliases]:
                building.setdefault(normalise_phrase(alias), set()).add(key)
        index = _ALIAS_INDEXES[id(vocabulary)] = {a: frozenset(k) for a, k in building.items()}
    return index


def concerns_named_by(phrase: str, vocabulary: Vocabulary) -> set[str]:
    """Concerns whose alias appears as whole words in a normalised heading or label."""
    index = _alias_index(vocabulary)
    words = phrase.split()
    found: set[str] = set()
    for size in range(1, min(_MAX_ALIAS_WORDS, len(words)) + 1):
        for start in range(len(words) - size + 1):
            keys = index.get(" ".join(words[start : start + size]))
            if keys:
                found |= keys
    return found


class ConcernLocator:
    """Locates every concern of one document once, for all the checks that ask."""

    def __init__(self, doc: Document, vocabulary: Vocabulary, matcher: SignalMatcher) -> None:
        self.doc = doc
        self.vocabulary = vocabulary
        self.matcher = matcher
        self._named: dict[str, list[Location]] = {}
        self._index_names()
        self._units = _text_units(doc.blocks)

    def _index_names(self) -> None:
        doc = self.doc
        for section in doc.sections:
            if section.is_title:
                continue
            for key in concerns_named_by(section.heading, self.vocabulary):
                blocks = doc.section_blocks(section)
                self._named.setdefault(key, []).append(
                    Location("heading", section.line, section.title, _text_units(blocks))
                )
        for block in doc.blocks:
            if not block.lead_in:
                continue
            keys = concerns_named_by(block.lead_in, self.vocabulary)
            if not keys:
                continue
            blocks = [block, *self._lead_in_continuation(block)]
            for key in keys:
                self._named.setdefault(key, []).append(
                    Location("lead_in", block.line, block.lead_in_raw or "", _text_units(blocks), {block.index: block.body})
                )

    def _lead_in_continuation(self, lead: Block) -> list[Block]:
        """Blocks that belong to a lead-in: nested bullets under a list item, or the paragraphs
        after a paragraph lead-in, up to the next lead-in or heading."""
        following: list[Block] = []
        for block in self.doc.blocks[lead.index + 1 :]:
            if block.section != lead.section or block.lead_in:
                break
            if lead.list_depth and block.list_depth <= lead.list_depth:
                break
            following.append(block)
        return following

    def resolve(self, concern: str, status_rules: list[Rule]) -> Resolution:
        """Judge ``concern`` against the adequacy rules that decide its status."""
        named = self._named.get(concern, [])
        substantive = [loc for loc in named if self._substantive(loc)]
        adequate_named = next((loc for loc in substantive if self._adequate(loc, status_rules)), None)
        if adequate_named is not None:
            return Resolution(self._result("present", adequate_named), adequate_named)
        by_content = self._by_content(concern, status_rules)
        if by_content is not None:
            return Resolution(self._result("present", by_content), by_content)
        if substantive:
            return Resolution(self._result("incomplete", substantive[0]), substantive[0])
        if named:
            placeholder = self._placeholder_text(named[0])
            return Resolution(
                ConcernResult(status="missing", line=named[0].line, evidence=placeholder), named[0], placeholder
            )
        return Resolution(ConcernResult(status="missing"), None)

    def unmet(self, location: Location, groups: list[list[str]]) -> list[list[str]]:
        """Adequacy groups a location does not meet (section scope)."""
        blocks = [block for unit in location.units for block in unit]
        return self.matcher.groups_met(blocks, groups, set(location.body_of))

    def unmet_in_any_unit(self, location: Location, groups: list[list[str]]) -> list[list[str]]:
        """Block scope: the groups missing from the best single unit (fewest missing)."""
        best: list[list[str]] | None = None
        for unit in location.units or [[]]:
            missing = self.matcher.groups_met(unit, groups, set(location.body_of))
            if best is None or len(missing) < len(best):
                best = missing
            if not missing:
                break
        return best or []

    def _adequate(self, location: Location, status_rules: list[Rule]) -> bool:
        return all(not self.unmet_scoped(location, groups, scope) for groups, scope in status_rules)

    def unmet_scoped(self, location: Location, groups: list[list[str]], scope: str) -> list[list[str]]:
        if scope == "block":
            return self.unmet_in_any_unit(location, groups)
        return self.unmet(location, groups)

    def _by_content(self, concern: str, status_rules: list[Rule]) -> Location | None:
        rule = self.vocabulary.concerns[concern].content
        if not rule:
            return None
        for unit in self._units:
            if self.matcher.groups_met(unit, rule, set()):
                continue
            location = Location("content", unit[0].line, "", [unit])
            if self._adequate(location, status_rules):
                return location
        return None

    def _substantive(self, location: Location) -> bool:
        """Has real content: something other than placeholders, at least two words."""
        placeholder = self.vocabulary.signals["placeholder"].regex
        words = 0
        for unit in location.units:
            for block in unit:
                text = location.body_of.get(block.index, block.text)
                words += len(placeholder.sub(" ", text).split())
                if words >= 2:
                    return True
        return False

    def _placeholder_text(self, location: Location) -> str | None:
        placeholder = self.vocabulary.signals["placeholder"].regex
        for unit in location.units:
            for block in unit:
                match = placeholder.search(location.body_of.get(block.index, block.text))
                if match:
                    return f"placeholder: {match.group(0).strip()}"
        return "empty"

    def _result(self, status: str, location: Location) -> ConcernResult:
        if location.how == "content":
            evidence = " ".join(location.units[0][0].text.split())
        else:
            evidence = location.label
            first = next((b for unit in location.units for b in unit), None)
            if first is not None:
                evidence = f"{location.label}: {' '.join(location.body_of.get(first.index, first.text).split())}".strip(": ")
        if len(evidence) > _EVIDENCE_CHARS:
            evidence = evidence[: _EVIDENCE_CHARS - 1] + "…"
        return ConcernResult(status=status, line=location.line, evidence=evidence)  # type: ignore[arg-type]


def _text_units(blocks: list[Block]) -> list[list[Block]]:
    """Each block is a unit, except that the rows of one table form one unit."""
    units: list[list[Block]] = []
    for block in blocks:
        if (
            block.kind == "table_row"
            and units
            and units[-1][-1].kind == "table_row"
            and units[-1][-1].index == block.index - 1
        ):
            units[-1].append(block)
        else:
            units.append([block])
    return units
