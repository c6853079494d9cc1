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

import re
from dataclasses import dataclass, field
from itertools import pairwise

from translator.rubric.document import Block, Document, Section, normalise_phrase
from translator.rubric.matrix import signal_set
from translator.rubric.model import Signal, Vocabulary
from translator.rubric.report import ConcernResult
from translator.rubric.words import stem_phrase, stem_text

_MAX_ALIAS_WORDS = 6
_SENTENCES = re.compile(r"(?<=[.!?;])\s+|\n")
_EVIDENCE_CHARS = 100


@dataclass
class Location:
    how: str  # "heading" | "lead_in" | "content"
    line: int
    label: str
    units: list[list[Block]]  # text units: a block, or the rows of one table
    body_of: dict[int, str] = field(default_factory=dict)  # block index -> text to judge, for lead-ins
    anchor: Block | None = None  # for content found in a list or table: the item that carries it
    # The headings of the sections it covers, as text: "## Request — `POST /v1/quote`" states
    # that what follows is the input. They count as evidence, never as substance.
    headings: list[Block] = field(default_factory=list)


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
    """Signal look-ups on blocks: every check shares one matcher.

    The first question about a block computes its row of the signal matrix (matrix.py: every
    signal that hits the block, in one pass), and every later question is a lookup. Whether a
    block matches a signal depends on its text alone, so with ``doc`` the rows live on that
    document and every matcher over it shares them (the drafter files the notes with one
    matcher, then judges them with another).
    """

    def __init__(self, vocabulary: Vocabulary, doc: Document | None = None) -> None:
        self.vocabulary = vocabulary
        self.signals = signal_set(vocabulary.signals)
        self.doc = doc
        self.unsettled: set[int] = set()  # blocks under an "Open questions" section
        caches = (
            doc.caches.setdefault(("signals", id(vocabulary)), ({}, {}, {}, {}, {}))
            if doc is not None
            else ({}, {}, {}, {}, {})
        )
        self._rows: dict[tuple[int, bool], frozenset[str]] = caches[0]
        self._text_cache: dict[tuple[int, bool], str] = caches[1]
        self._field_rows: dict[tuple[int, bool], frozenset[str]] = caches[2]
        self._text_rows: dict[str, frozenset[str]] = caches[3]
        self._pattern_rows: dict[str, frozenset[str]] = caches[4]

    def block_has(self, block: Block, signal: str, body_only: bool = False) -> bool:
        """Whether ``block`` matches ``signal``. A question states nothing, so it matches none:
        "At what cadence is the table refreshed?" is not lineage."""
        return signal in self.signals_of(block, body_only)

    def signals_of(self, block: Block, body_only: bool = False) -> frozenset[str]:
        """Every signal ``block`` matches: its row, and for a table row the signals its header
        cells name (a cell under "System response" is a handling). Nothing for a question."""
        if block.is_question or block.index in self.unsettled:
            return frozenset()
        row = self.row(block, body_only)
        if block.header and not block.is_header:
            key = (block.index, body_only)
            found = self._field_rows.get(key)
            if found is None:
                named = {n for n, s in self.vocabulary.signals.items() if s.fields and self._by_field(block, s)}
                found = row | named if named else row
                unnamed = {n for n in found if self._only_in_naming_cells(block, n)}
                found = self._field_rows[key] = found - unnamed if unnamed else found
            return found
        return row

    def _only_in_naming_cells(self, block: Block, name: str) -> bool:
        """Whether the row matches ``name`` only in cells under a header that names the row."""
        naming = self.vocabulary.signals[name].naming_field_regex
        if naming is None:
            return False
        kept = [
            cell for head, cell in zip(block.header, block.cells, strict=False) if not naming.search(stem_text(head))
        ]
        if len(kept) == len(block.cells):
            return False
        return not self.text_has(" | ".join(kept), name) and not self._by_field(block, self.vocabulary.signals[name])

    def row(self, block: Block, body_only: bool = False) -> frozenset[str]:
        """The signals whose patterns or word phrases match the block's unhedged text (its
        body after a lead-in, with ``body_only``)."""
        key = (block.index, body_only)
        row = self._rows.get(key)
        if row is None:
            raw = block.body if body_only else block.text
            hits = set(self.raw_row(block)) if not body_only else self.signals.pattern_hits(raw, raw.lower())
            if "hedge" in hits:  # the row is of the text without its hedged sentences
                text = self.unhedged(block, body_only)
                hits = self.signals.pattern_hits(text, text.lower()) if text else set()
                stemmed = stem_text(text)
            else:
                text = self._text_cache.setdefault(key, raw)
                stemmed = self.doc.stemmed(block) if not body_only and self.doc is not None else stem_text(raw)
            row = self._rows[key] = frozenset(hits | self.signals.word_hits(stemmed)) if text else frozenset()
        return row

    def pattern_row(self, text: str) -> frozenset[str]:
        """The signals whose ``patterns`` (not word phrases) match ``text`` as it stands,
        hedges included: what ``Signal.regex.search(text)`` says, for every signal at once."""
        row = self._pattern_rows.get(text)
        if row is None:
            row = self._pattern_rows[text] = frozenset(self.signals.pattern_hits(text, text.lower()))
        return row

    def raw_row(self, block: Block) -> frozenset[str]:
        """The signals whose patterns match the block's whole text, hedged sentences and
        questions included (a placeholder is one wherever it stands)."""
        return self.pattern_row(block.text)

    def _by_field(self, block: Block, definition: Signal) -> bool:
        """A row's cell under a header that names this signal ("System response") is one."""
        fields = definition.field_regex
        placeholder = self.vocabulary.signals["placeholder"].regex
        for name, cell in zip(block.header, block.cells, strict=False):
            if fields is not None and cell.strip() and not placeholder.match(cell.strip()):
                if fields.search(stem_text(name)):
                    return True
        return False

    def text_has(self, text: str, signal: str) -> bool:
        """Whether ``text`` (a part of a block, such as the handling after "X → ") matches."""
        row = self._text_rows.get(text)
        if row is None:
            row = self._text_rows[text] = frozenset(
                self.signals.pattern_hits(text, text.lower()) | self.signals.word_hits(stem_text(text))
            )
        return signal in row

    def unhedged(self, block: Block, body_only: bool = False) -> str:
        """The block's text without its hedged sentences ("not decided", "no idea"): uncertain
        statements settle nothing."""
        key = (block.index, body_only)
        text = self._text_cache.get(key)
        if text is None:
            raw = block.body if body_only else block.text
            hedge = self.vocabulary.signals["hedge"].regex
            hedged = bool(hedge.search(raw)) if body_only else "hedge" in self.raw_row(block)
            if hedged:
                raw = " ".join(s for s in _SENTENCES.split(raw) if not hedge.search(s))
            text = self._text_cache[key] = raw
        return text

    def hedged_sentences(self, block: Block) -> int:
        """How many of the block's sentences are hedged (what :meth:`unhedged` leaves out)."""
        if "hedge" not in self.raw_row(block):
            return 0
        hedge = self.vocabulary.signals["hedge"].regex
        return sum(1 for sentence in _SENTENCES.split(block.text) if hedge.search(sentence))

    def meets_all(self, blocks: list[Block], groups: list[list[str]]) -> bool:
        """Whether every group is matched somewhere in ``blocks``."""
        hits = self._union(blocks, ())
        return all(any(signal in hits for signal in group) for group in groups)

    def groups_met(self, blocks: list[Block], groups: list[list[str]], lead_ins: set[int]) -> list[list[str]]:
        """The groups no block of ``blocks`` satisfies (empty list: all met); a lead-in block
        is judged by its body."""
        hits = self._union(blocks, lead_ins)
        return [group for group in groups if not any(signal in hits for signal in group)]

    def _union(self, blocks: list[Block], lead_ins: set[int] | tuple[()]) -> frozenset[str] | set[str]:
        if len(blocks) == 1:
            return self.signals_of(blocks[0], blocks[0].index in lead_ins)
        hits: set[str] = set()
        for block in blocks:
            hits |= self.signals_of(block, block.index in lead_ins)
        return hits


_ALIAS_INDEXES: dict[int, dict[str, frozenset[str]]] = {}


def _alias_index(vocabulary: Vocabulary) -> dict[str, frozenset[str]]:
    """Normalised alias -> concerns, built once per loaded vocabulary."""
    index = _ALIAS_INDEXES.get(id(vocabulary))
    if index is None:
        building: dict[str, set[str]] = {}
        for key, concern in vocabulary.concerns.items():
            for alias in [concern.title, *concern.aliases]:
                building.setdefault(stem_phrase(normalise_phrase(alias)), set()).add(key)
        index = _ALIAS_INDEXES[id(vocabulary)] = {a: frozenset(k) for a, k in building.items()}
    return index


def concerns_named_by(phrase: str, vocabulary: Vocabulary) -> set[str]:
    """Concerns whose alias appears as whole words in a normalised heading or label, compared
    in normalised word forms ("Validating the model" names validation, "Failures" failure_modes)."""
    # Memoised per vocabulary: a heading is asked about by every check and by the drafter's
    # filing and questions, and the same headings recur across a corpus (bounded: cleared
    # when full).
    memo = _NAMED_BY.setdefault(id(vocabulary), {})
    found = memo.get(phrase)
    if found is None:
        if len(memo) >= _NAMED_BY_SIZE:
            memo.clear()
        index = _alias_index(vocabulary)
        words = stem_phrase(phrase).split()
        hits: set[str] = set()
        for size in range(1, min(_MAX_ALIAS_WORDS, len(words)) + 1):
            for start in range(len(words) - size + 1):
                keys = index.get(" ".join(words[start : start + size]))
                if keys:
                    hits |= keys
        found = memo[phrase] = frozenset(hits)
    return set(found)


_NAMED_BY: dict[int, dict[str, frozenset[str]]] = {}
_NAMED_BY_SIZE = 8192


class ConcernLocator:
    """Locates every concern of one document once, for all the checks that ask."""

    def __init__(self, doc: Document, vocabulary: Vocabulary, matcher: SignalMatcher) -> None:
        self.doc = doc
        self.vocabulary = vocabulary
        self.matcher = matcher
        self._named: dict[str, list[Location]] = {}
        # Headings that name a concern but yield to a subsection naming it too ("Evaluation" over
        # "Testing Data"): not a location of their own, but a protocol's elements may be spread
        # over their subsections ("Testing Data" holds the method, "Results" the release gate).
        self._umbrellas: dict[str, list[Location]] = {}
        self._footnotes = _footnotes(doc.blocks)
        # Each label's referring blocks, indexed once: a document of many footnotes stays linear.
        self._footnote_refs = _footnote_references(doc.blocks) if self._footnotes else {}
        matcher.unsettled = self._unsettled_blocks()
        self._index_names()
        self._index_faq()
        self._units = _text_units(doc.blocks)
        self._list_units = _text_units(doc.blocks, lists=True)

    def _unsettled_blocks(self) -> set[int]:
        phrases = {normalise_phrase(p) for p in self.vocabulary.unsettled_sections}
        found: set[int] = set()
        for section in self.doc.sections:
            words = section.heading.split()
            spans = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + 4) + 1)}
            if spans & phrases:
                found.update(range(section.first_block, section.end_block))
        # A footnote stands at the end, often under the last section ("Open questions"), by
        # position only: it belongs where it is referenced.
        for note in self._footnotes.values():
            if note.index in found and any(b.index not in found for b in self._referring(note)):
                found.discard(note.index)
        return found

    def _referring(self, note: Block) -> list[Block]:
        label = _FOOTNOTE.match(note.text)
        return [b for b in self._footnote_refs.get(label.group(1), []) if b.index != note.index] if label else []

    def _with_footnotes(self, blocks: list[Block]) -> list[list[Block]]:
        """The text units of ``blocks`` and of the footnotes they reference: "The online lookup
        must fit the existing budget.[^cost]" says its figures in the footnote."""
        units = _text_units(blocks)
        if not self._footnotes:
            return units
        seen = {b.index for b in blocks}
        for block in blocks:
            for label in _FOOTNOTE_REF.findall(block.text):
                note = self._footnotes.get(label)
                if note is not None and note.index not in seen:
                    seen.add(note.index)
                    units.append([note])
        return units

    def _index_names(self) -> None:
        doc = self.doc
        named_by_section = [concerns_named_by(s.heading, self.vocabulary) for s in doc.sections]
        for section in doc.sections:
            if section.is_title:
                continue
            for key in named_by_section[section.index]:
                blocks = doc.section_blocks(section)
                location = Location(
                    "heading",
                    section.line,
                    section.title,
                    self._with_footnotes(blocks),
                    headings=[_heading_block(section)],
                )
                if self._subsection_names(section, key, named_by_section):
                    # An umbrella heading ("Testing Data, Factors & Metrics") yields to its own subsection.
                    self._umbrellas.setdefault(key, []).append(location)
                    continue
                self._named.setdefault(key, []).append(location)
        for block in doc.blocks:
            if not block.lead_in or block.is_question or block.index in self.matcher.unsettled:
                continue  # "**Latency:** what is the p95?" asks for the concern; it does not give it
            keys = concerns_named_by(block.lead_in, self.vocabulary)
            if not keys:
                continue
            blocks = [block, *self._lead_in_continuation(block)]
            for key in keys:
                self._named.setdefault(key, []).append(
                    Location(
                        "lead_in",
                        block.line,
                        block.lead_in_raw or "",
                        self._with_footnotes(blocks),
                        {block.index: block.body},
                        headings=[_label_block(block)],
                    )
                )

    def _index_faq(self) -> None:
        """An FAQ's question ("Q: How will you decide it is safe to switch over?"), or a reviewer's
        question quoted in a review thread ("> **Hana:** And the rollout after interleaving?"),
        heads its answer as a heading does: the answer, up to the next question, is located by
        the question's words. (Elsewhere a question asks for a concern and gives nothing.)"""
        blocks = self.doc.blocks
        questions = [b for b in blocks if _FAQ_QUESTION.match(b.text.strip()) or (b.quoted and "?" in b.text)]
        if len(questions) < 2:
            return
        asked = {q.index for q in questions}
        for question in questions:
            text = _FAQ_QUESTION.sub("", question.text.strip())
            keys = concerns_named_by(normalise_phrase(text), self.vocabulary)
            answer: list[Block] = []
            for block in blocks[question.index + 1 :]:
                if block.section != question.section or block.index in asked or block.quoted:
                    break
                answer.append(block)
            if not keys or not answer:
                continue
            label = question.text.strip()
            for key in keys:
                self._named.setdefault(key, []).append(
                    Location("heading", question.line, label, _text_units(answer), headings=[_label_block(question)])
                )

    def _subsection_names(self, section: Section, key: str, named_by_section: list[set[str]]) -> bool:
        for later in self.doc.sections[section.index + 1 :]:
            if later.level <= section.level:
                return False
            if key in named_by_section[later.index]:
                return True
        return False

    def _lead_in_continuation(self, lead: Block) -> list[Block]:
        """Blocks that belong to a lead-in: the bullets nested under a list-item lead-in; and,
        after a bare label ("Data lineage:" over a list), what follows up to the next lead-in
        or heading. A lead-in with its own text owns only that text."""
        following: list[Block] = []
        bare = not lead.body.strip()
        for block in self.doc.blocks[lead.index + 1 :]:
            if block.section != lead.section:
                break
            if block.lead_in and block.list_depth <= lead.list_depth and block.kind != "table_row":
                # A sibling lead-in starts the next item; a nested one belongs to this, and so does
                # a table under a bare label ("**Numbers.**" over its rows: a row's first cell is
                # no label of its own).
                break
            nested = lead.list_depth and block.list_depth > lead.list_depth
            if not nested and not bare:
                break
            if lead.list_depth and not bare and block.list_depth <= lead.list_depth:
                break
            following.append(block)
        return following

    def resolve(self, concern: str, status_rules: list[Rule]) -> Resolution:
        """Judge ``concern`` against the adequacy rules that decide its status."""
        resolution = self._resolve_anywhere(concern, status_rules)
        if self.vocabulary.concerns[concern].position != "opening":
            return resolution
        return self._at_the_opening(concern, resolution)

    def _at_the_opening(self, concern: str, anywhere: Resolution) -> Resolution:
        """A concern that counts only at the top (the recommendation): a decision in the title or
        the opening blocks is present; one stated only further down is incomplete."""
        for block in self.opening_blocks():
            if self._states(concern, block):
                location = Location("opening", block.line, block.lead_in_raw or "", [[block]], anchor=block)
                return Resolution(self._result("present", location), location)
        title = next((s for s in self.doc.sections if s.is_title), None)
        if title is not None and self._title_decides(title.title):
            location = Location("title", title.line, "title", [])
            result = ConcernResult(status="present", line=title.line, evidence=_shorten(title.title))
            return Resolution(result, location)
        if anywhere.result.status == "missing":
            return anywhere
        return Resolution(
            anywhere.result.model_copy(update={"status": "incomplete"}), anywhere.location, anywhere.placeholder
        )

    def opening_blocks(self) -> list[Block]:
        """What a reader reads first: the text under the title and the first section with text,
        up to a few blocks, after email headers, greetings and metadata ("Owner: ... · Status: ...")."""
        opening = self.vocabulary.opening
        skip = {normalise_phrase(p) for p in opening.skip_lead_ins}
        found: list[Block] = []
        units = 0
        sections: list[int | None] = []
        listing_options = False  # under a bare "Options:" label
        for block in self.doc.blocks:
            if block.is_header or block.index in self.matcher.unsettled:
                continue
            if block.lead_in is not None and not block.body.strip():
                listing_options = bool(
                    concerns_named_by(block.lead_in, self.vocabulary) & set(opening.options_named_by)
                )
            elif not block.list_depth:
                listing_options = False
            # The document's title names what the document is ("A/B test plan: ..."), not a list
            # of options under it.
            section = self.doc.sections[block.section] if block.section is not None else None
            heading = section.heading if section is not None and not section.is_title else ""
            if (
                (listing_options and block.list_depth)
                or opening.option_regex.search(block.text)
                or concerns_named_by(heading, self.vocabulary) & set(opening.options_named_by)
            ):
                continue  # options are what the decision chooses between, not the decision
            if block.lead_in in skip or opening.skip_regex.search(block.text.strip()) or _is_metadata(block, skip):
                decided = opening.decided_metadata
                if not (decided and block.lead_in in skip and decided in self.matcher.pattern_row(block.body)):
                    continue
            if block.section not in sections:
                # The text under the title, then the first section with text: no further, unless
                # that section only sets the scene ("## Context" before an ADR's "## Decision").
                if any(self._is_body_section(section) and not self._is_preamble(section) for section in sections):
                    break
                if sum(self._is_body_section(section) for section in sections) >= 2:
                    break
                sections.append(block.section)
            found.append(block)
            # A reader takes in a table at a glance: its rows (an infobox of "Field | Value" over
            # the first section, say) count as one block of the opening, not one each.
            units += not _continues_table(block, found[-2] if len(found) > 1 else None)
            if units >= opening.blocks:
                break
        return found

    def _is_body_section(self, index: int | None) -> bool:
        return index is not None and not self.doc.sections[index].is_title

    def _is_preamble(self, index: int | None) -> bool:
        if index is None:
            return False
        heading = self.doc.sections[index].heading
        return heading in {normalise_phrase(p) for p in self.vocabulary.opening.preamble_sections}

    def _label(self, block: Block) -> str | None:
        """The block's lead-in, or the label of a callout that opens with an icon ("💡 Decision of
        record: ..."), which the parser leaves in the text."""
        if block.lead_in:
            return block.lead_in
        match = _ICON_LABEL.match(block.text)
        return normalise_phrase(match.group(1)) if match else None

    def _under_bare_label(self, concern: str, block: Block) -> bool:
        """Whether ``block`` follows a bare label that names ``concern`` ("**Ask**" over "Feature
        engineering builds X by Sprint 42"): it states the concern as a heading's text does."""
        for location in self._named.get(concern, []):
            if location.how != "lead_in" or not location.units or location.units[0][0].body.strip():
                continue
            lead = location.units[0][0]
            if block.index != lead.index and any(b.index == block.index for unit in location.units for b in unit):
                return True
        return False

    def _states(self, concern: str, block: Block) -> bool:
        if block.is_question:
            return False
        for name, cell in zip(block.header, block.cells, strict=False):
            # A status table's "Decision" column: the cell under it states the concern.
            if concern in concerns_named_by(normalise_phrase(name), self.vocabulary) and len(cell.split()) >= 2:
                return True
        label = self._label(block)
        if label and concern in concerns_named_by(label, self.vocabulary):
            body = self.matcher.unhedged(block, body_only=True) if block.lead_in else block.text.split(":", 1)[1]
            if len(body.split()) >= 2 and not self.vocabulary.signals["placeholder"].regex.match(body.strip()):
                return True
        if self._under_bare_label(concern, block):
            if len(self.matcher.unhedged(block).split()) >= 3 and not self.matcher.block_has(block, "placeholder"):
                return True
        opening = self.vocabulary.opening
        decides = any(self.matcher.block_has(block, signal) for signal in opening.decision_signals)
        section = self.doc.sections[block.section] if block.section is not None else None
        if (
            section is not None
            and not section.is_title
            and concern in concerns_named_by(section.heading, self.vocabulary)
            # Hedged into no decision ("One option would be ...; we could also consider ..."): a
            # block of two hedged sentences or more must decide something in what is left. (One
            # hedge under a "Decision" heading, "perhaps the UK later", leaves it standing.)
            and (decides or self.matcher.hedged_sentences(block) < 2)
        ):
            if len(self.matcher.unhedged(block).split()) >= 3 and not self.matcher.block_has(block, "placeholder"):
                return True
        if not decides:
            return False
        if opening.undecided_signal:
            # On the raw text: a hedge is exactly what block_has sets aside.
            undecided = opening.undecided_signal
            # Near it: a detail left open further down ("storage: not decided yet") leaves the
            # decision standing. Text before any heading (an email's) runs on as one long
            # section, so there only the block itself and its neighbours count.
            reach = self.vocabulary.opening.blocks if block.section is not None else 1
            near = (
                self.doc.section_blocks(self.doc.sections[block.section])
                if block.section is not None
                else [other for other in self.doc.blocks if other.section is None]
            )
            siblings = [other for other in near if abs(other.index - block.index) <= reach]
            if any(undecided in self.matcher.raw_row(other) for other in siblings):
                return False
        return not block.text.rstrip().endswith((", or", " or", ";  or"))

    def _title_decides(self, title: str) -> bool:
        """A title that is itself the decision: "Promote triage classifier v4", "Churn v8: add
        tenure features"."""
        regex = self.vocabulary.signals["decision_statement"].regex
        return bool(regex.search(title)) or any(regex.search(part) for part in title.split(":")[1:])

    def _resolve_anywhere(self, concern: str, status_rules: list[Rule]) -> Resolution:
        named = self._named.get(concern, [])
        denials = {id(loc): self._denial(concern, status_rules, loc) for loc in named}
        substantive = [loc for loc in named if self._substantive(loc) and denials[id(loc)] is None]
        adequate_named = next((loc for loc in substantive if self._adequate(loc, status_rules, concern)), None)
        if adequate_named is not None:
            return Resolution(self._result("present", adequate_named), adequate_named)
        if (
            named
            and not substantive
            and not any(denials.values())
            and self.vocabulary.concerns[concern].placeholder_is_final
        ):
            # The writer's own "Training data: TBD" says the concern is open: a mention of the
            # training data in the overview does not close what the writer left open.
            return self._missing_named(named, denials)
        # Where else the concern may be settled, narrowest reading first: content in one unit,
        # the named sections gathered, two neighbouring points, a title that names it.
        for find in (self._by_content, self._gathered, self._by_adjacent_points, self._under_its_title):
            found = find(concern, status_rules)
            if found is not None:
                return Resolution(self._result("present", found), found)
        if substantive:
            return Resolution(self._result("incomplete", substantive[0]), substantive[0])
        partial = self._partial(concern)
        if partial is not None and not named:
            return Resolution(self._result("incomplete", partial), partial)
        if named:
            return self._missing_named(named, denials)
        return Resolution(ConcernResult(status="missing"), None)

    def _missing_named(self, named: list[Location], denials: dict[int, str | None]) -> Resolution:
        """Missing where the spec names the concern: its placeholder, or its denial, as evidence."""
        denial = denials[id(named[0])]
        placeholder = f"denial: {_shorten(denial)}" if denial else self._placeholder_text(named[0])
        return Resolution(
            ConcernResult(status="missing", line=named[0].line, evidence=placeholder), named[0], placeholder
        )

    def _gathered(self, concern: str, status_rules: list[Rule]) -> Location | None:
        """The concern's elements gathered over all the sections that name it and those of the
        concerns it gathers with: a protocol whose method, duration and decision rule sit in
        three sections is one protocol. Only section-scoped rules gather; a failure mode's
        handling must still sit with its condition."""
        if not _section_scoped(status_rules):
            return None
        named = [loc for loc in self._named.get(concern, []) if self._substantive(loc)]
        if not named:
            return None
        related = [loc for other in self.vocabulary.concerns[concern].gather for loc in self._named.get(other, [])]
        related += self._umbrellas.get(concern, [])
        units = [unit for loc in [*named, *related] for unit in loc.units]
        body_of = {k: v for loc in [*named, *related] for k, v in loc.body_of.items()}
        headings = [h for loc in [*named, *related] for h in loc.headings]
        union = Location(named[0].how, named[0].line, named[0].label, units, body_of, headings=headings)
        return union if self._adequate(union, status_rules) else None

    def unmet(self, location: Location, groups: list[list[str]], concern: str | None = None) -> list[list[str]]:
        """Adequacy groups a location does not meet (section scope)."""
        blocks = [block for unit in location.units for block in unit] + location.headings
        missing = self.matcher.groups_met(blocks, groups, set(location.body_of))
        if missing and concern is not None and location.how in ("heading", "lead_in"):
            listed = set(self.vocabulary.concerns[concern].listed)
            if listed and max(_listed_items(blocks), self._subsections(location)) >= 2:
                missing = [group for group in missing if not listed & set(group)]
        return missing

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

    def _subsections(self, location: Location) -> int:
        """How many subsections the heading of ``location`` has ("## Plan" over "### 1. Split
        launch", "### 2. Red-flag rules")."""
        if location.how != "heading" or not location.headings:
            return 0
        section = self.doc.sections[-1 - location.headings[0].index]
        count = 0
        for later in self.doc.sections[section.index + 1 :]:
            if later.level <= section.level:
                break
            count += later.level == section.level + 1
        return count

    def _adequate(self, location: Location, status_rules: list[Rule], concern: str | None = None) -> bool:
        return all(not self.unmet_scoped(location, groups, scope, concern) for groups, scope in status_rules)

    def unmet_scoped(
        self, location: Location, groups: list[list[str]], scope: str, concern: str | None = None
    ) -> list[list[str]]:
        if scope == "block":
            return self.unmet_in_any_unit(location, groups)
        return self.unmet(location, groups, concern)

    def _by_content(self, concern: str, status_rules: list[Rule]) -> Location | None:
        rule = self.vocabulary.concerns[concern].content
        if not rule:
            return None
        # A plan spread over the steps of one list is one piece of content; a failure mode is
        # not (its handling must sit with its condition), so block-scoped concerns look per item.
        per_item = not _section_scoped(status_rules)
        pairs = self.vocabulary.concerns[concern].pairs
        for unit in self._units if per_item else self._list_units:
            unit = self._own_steps(concern, unit)
            if not unit:
                continue
            if not self.matcher.meets_all(unit, rule) and not (pairs and any(self._pair(b, pairs) for b in unit)):
                continue
            location = Location("content", unit[0].line, "", [unit])
            if self._adequate(location, status_rules):
                # Point at the item that carries the content, not at the head of its list.
                anchor = next((b for b in unit if self.matcher.meets_all([b], rule)), unit[0])
                location.line, location.anchor = anchor.line, anchor
                return location
        return None

    def _under_its_title(self, concern: str, status_rules: list[Rule]) -> Location | None:
        """A document whose title names the concern ("# A/B test plan: neural spelling
        correction") is about it throughout: the method in the title, the duration and the ship
        criterion in its "Design" table are one protocol. Section-scoped rules only; the
        elements are gathered over the document's own text (never its open questions)."""
        title = next((section for section in self.doc.sections if section.is_title), None)
        if title is None or concern not in concerns_named_by(title.heading, self.vocabulary):
            return None
        if not _section_scoped(status_rules):
            return None
        blocks = [b for b in self.doc.blocks if b.index not in self.matcher.unsettled and not b.is_question]
        if not blocks:
            return None
        location = Location("heading", title.line, title.title, [blocks], headings=[_heading_block(title)])
        return location if self._adequate(location, status_rules) else None

    def _by_adjacent_points(self, concern: str, status_rules: list[Rule]) -> Location | None:
        """Two neighbouring points of one list that together hold the concern ("- The A/B runs
        for 3 weeks in three depots" / "- Decision rule: roll out if MAE improves by at least
        15%"): one protocol written as two bullets, the first addressing the concern, the second
        completing it. Each point must carry an element of its own;
        only section-scoped rules read two points as one (a failure mode's handling must still sit
        with its condition), and no further than two: a longer list is a bag of points."""
        rule = self.vocabulary.concerns[concern].content
        # The first point addresses the concern (its partial rule: a validation's method and
        # duration, a lineage's source); the next one completes it.
        opener = self.vocabulary.concerns[concern].partial
        if not (rule and opener and self.vocabulary.concerns[concern].split_over_points):
            return None
        if not _section_scoped(status_rules):
            return None
        groups = [group for groups, _ in status_rules for group in groups]
        for first, second in pairwise(self.doc.blocks):
            if not (
                first.list_depth == second.list_depth == 1
                and first.section == second.section
                and second.index == first.index + 1
                and not first.is_question
                and not second.is_question
                and first.index not in self.matcher.unsettled
            ):
                continue
            pair = self._own_steps(concern, [first, second])
            if len(pair) < 2 or not self.matcher.meets_all([first], opener) or not self.matcher.meets_all(pair, rule):
                continue
            if any(len(self.matcher.groups_met([b], groups, set())) == len(groups) for b in pair):
                continue  # a point with no element of its own is not half of the protocol
            location = Location("content", first.line, "", [pair], anchor=first)
            if self._adequate(location, status_rules):
                return location
        return None

    def _own_steps(self, concern: str, unit: list[Block]) -> list[Block]:
        """Content without the items that are another concern's by their lead-in or row name: in
        "1. **Lineage:** ... lag under 60 s ... 7. **Validation:** we'll A/B test it", the lag is
        lineage's, not validation's threshold; a "Validation | ... go to 100% if the ATO rate is
        down ≥ 50%" row is a launch gate, not a failure mode."""
        yields_to = set(self.vocabulary.concerns[concern].yields_to)
        kept = []
        for block in unit:
            named = concerns_named_by(block.lead_in, self.vocabulary) if block.lead_in else set()
            theirs = (block.ordered and len(unit) > 1) or bool(named & yields_to)
            if not named or concern in named or not theirs:
                kept.append(block)
        return kept

    def _partial(self, concern: str) -> Location | None:
        """The first unit that addresses ``concern`` without settling it (its ``partial`` rule)."""
        rule = self.vocabulary.concerns[concern].partial
        if not rule:
            return None
        for unit in self._list_units:
            if self.matcher.meets_all(unit, rule):
                anchor = next((b for b in unit if self.matcher.meets_all([b], rule)), unit[0])
                return Location("content", anchor.line, "", [unit], anchor=anchor)
        return None

    def _pair(self, block: Block, groups: list[list[str]]) -> bool:
        """Whether ``block`` is a pair whose left side matches the first group and whose right
        side the second: "Feed late: reuse yesterday's scores", "timeout → v6 scores it"."""
        if block.is_question or block.index in self.matcher.unsettled:
            return False
        left_group, right_group = groups[0], groups[-1]
        for left, right in _sides(block):
            if not left.strip() or not right.strip():
                continue
            if any(self.matcher.text_has(left, s) for s in left_group) and any(
                self.matcher.text_has(right, s) for s in right_group
            ):
                return True
        return False

    def _substantive(self, location: Location) -> bool:
        """Has real content: at least two words besides placeholders and hedges, and does not
        open with a placeholder ("TBD - depends on the capacity review" is still TBD; "not yet,
        depends on product" says nothing is decided)."""
        placeholder = self.vocabulary.signals["placeholder"].regex
        words = 0
        for position, block in enumerate(b for unit in location.units for b in unit):
            text = location.body_of.get(block.index, block.text)
            if position == 0:
                # An unticked task box is not content: "[ ] TBD — pending legal review" is TBD.
                opening = placeholder.match(_CHECKBOX.sub("", text.strip(), count=1))
                if opening is not None:
                    return False
            stated = self.matcher.unhedged(block, block.index in location.body_of)
            words += len(placeholder.sub(" ", stated).split())
            if words >= 2:
                return True
        return False

    def _denial(self, concern: str, status_rules: list[Rule], location: Location) -> str | None:
        """The sentence that denies the concern, when that is the location's only word on it: under
        "Resource use", "We have not assessed compute footprint or running cost; it runs on the
        existing server" states no cost at all (missing, not incomplete)."""
        # What would say something on the concern: its adequacy rules' signals, and its content
        # and partial rules'. (A concern with no adequacy rule is judged by its heading alone.)
        own = {s for groups, _ in status_rules for group in groups for s in group}
        if not own:
            return None
        definition = self.vocabulary.concerns[concern]
        own |= {s for group in [*definition.content, *definition.partial] for s in group}
        blocks = [b for unit in location.units for b in unit]
        hedge = self.vocabulary.signals["hedge"].regex
        denied = [
            sentence
            for block in blocks
            if "hedge" in self.matcher.raw_row(block)
            for sentence in _SENTENCES.split(block.text)
            if any(_NEGATION.search(m.group(0)) for m in hedge.finditer(sentence))
        ]
        # The denial is about the concern ("not assessed ... running cost"), and nothing else says more.
        about = next((sentence for sentence in denied if any(self.matcher.text_has(sentence, s) for s in own)), None)
        if about is None or any(own & self.matcher.signals_of(b, b.index in location.body_of) for b in blocks):
            return None
        return about

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
            evidence = " ".join((location.anchor or location.units[0][0]).text.split())
        else:
            evidence = location.label
            first = next((b for unit in location.units for b in unit), None)
            if first is not None:
                evidence = f"{location.label}: {' '.join(location.body_of.get(first.index, first.text).split())}".strip(
                    ": "
                )
        if len(evidence) > _EVIDENCE_CHARS:
            evidence = evidence[: _EVIDENCE_CHARS - 1] + "…"
        return ConcernResult(status=status, line=location.line, evidence=evidence)


def _heading_block(section: Section) -> Block:
    """A section's heading as a block of text (a negative index keeps it apart from the
    document's own blocks in every cache)."""
    return Block(
        index=-1 - section.index,
        kind="heading",
        text=section.title,
        line=section.line,
        end_line=section.line,
        section=section.index,
        body=section.title,
    )


# A hedge that denies rather than doubts: "have not assessed", "haven't looked", "not measured".
_NEGATION = re.compile(r"\b(?:not|no)\b|n'?t\b", re.I)
_CHECKBOX = re.compile(r"^\[[ xX]?\]\s*")
# A footnote's definition ("[^cost]: Online lookup adds ...") and a reference to one ("budget.[^cost]").
_FOOTNOTE = re.compile(r"^\[\^([^\]\s]+)\]:")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def _footnotes(blocks: list[Block]) -> dict[str, Block]:
    """Footnote label -> the block that defines it."""
    found: dict[str, Block] = {}
    for block in blocks:
        match = _FOOTNOTE.match(block.text) if block.text.startswith("[^") else None
        if match:
            found.setdefault(match.group(1), block)
    return found


def _footnote_references(blocks: list[Block]) -> dict[str, list[Block]]:
    """Footnote label -> the blocks that reference it ("budget.[^cost]")."""
    found: dict[str, list[Block]] = {}
    for block in blocks:
        if "[^" in block.text:
            for label in dict.fromkeys(_FOOTNOTE_REF.findall(block.text)):
                found.setdefault(label, []).append(block)
    return found


# An FAQ entry's question: "Q: What happens then?", "Question: ...?".
_FAQ_QUESTION = re.compile(r"^(?:Q|Question)\s*\d*\s*[:.]\s*", re.I)
# An icon, then a short label and a colon: "💡 Decision of record: ...", "⚠️ Risk: ...".
_ICON_LABEL = re.compile(r"^[^\w\s*_`\[(]+\s*([A-Za-z][A-Za-z '’-]{1,40}?)\s*:\s*\S")


def _label_block(block: Block) -> Block:
    """A lead-in's label (or an FAQ's question) as a block of text: like a heading, "**What
    callers send:**" states that what follows is the input. (Its index keeps it apart from blocks
    and headings.)"""
    label = block.lead_in_raw or block.text
    return Block(
        index=-1_000_000 - block.index,
        kind="heading",
        text=label,
        line=block.line,
        end_line=block.line,
        section=block.section,
        body=label,
    )


_ARROW = re.compile(r"\s*(?:→|->|=>|⇒|—>|--+>)\s*")


def _sides(block: Block) -> list[tuple[str, str]]:
    """The ways a block reads as "left: right": its lead-in and body, an arrow, a table row's
    first cell and the rest. The right side is the first sentence after the separator: what
    follows it ("TODO: decide what we do. serve the old index?") is not that pair's handling."""
    sides: list[tuple[str, str]] = []
    if block.lead_in_raw and block.body.strip():
        sides.append((block.lead_in_raw, _first_statement(block.body)))
    arrow = _ARROW.search(block.text)
    if arrow:
        sides.append((block.text[: arrow.start()], _first_statement(block.text[arrow.end() :])))
    if len(block.cells) >= 2 and not block.is_header:
        sides.append((block.cells[0], " ".join(block.cells[1:])))
    return sides


def _first_statement(text: str) -> str:
    first = _SENTENCES.split(text.strip(), maxsplit=1)[0]
    return "" if first.rstrip().endswith("?") else first


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EVIDENCE_CHARS else text[: _EVIDENCE_CHARS - 1] + "…"


_METADATA_PAIR = re.compile(r"(?:^|[·|•;,]\s*|\s{2,})([A-Za-z][A-Za-z ]{1,24}):\s*\S")


def _is_metadata(block: Block, labels: set[str]) -> bool:
    """A line of metadata pairs: "**Team:** Support ML · **Status:** Ready for dev"."""
    pairs = [normalise_phrase(m.group(1)) for m in _METADATA_PAIR.finditer(block.text)]
    return len(pairs) >= 2 and sum(p in labels for p in pairs) >= max(1, len(pairs) - 1)


def _listed_items(blocks: list[Block]) -> int:
    """How many items the shallowest list among ``blocks`` has (0 when there is none)."""
    depths = [block.list_depth for block in blocks if block.list_depth and block.index >= 0]
    return depths.count(min(depths)) if depths else 0


def _text_units(blocks: list[Block], lists: bool = False, nested: bool = True) -> list[list[Block]]:
    """Each block is a unit, except that the rows of one table form one unit (and, with
    ``lists``, so do the steps of one ordered list)."""
    units: list[list[Block]] = []
    for block in blocks:
        previous = units[-1][-1] if units else None
        joined = previous is not None and previous.index == block.index - 1 and previous.section == block.section
        same_table = joined and block.kind == "table_row" and previous.kind == "table_row"  # type: ignore[union-attr]
        # The steps of one ordered list form one plan; unordered bullets are separate points.
        same_list = lists and joined and block.ordered and previous.ordered  # type: ignore[union-attr]
        # A nested item belongs with the item it is nested under: "OSRM timeout" with its
        # sub-bullet "falls back to haversine distance", a source with its cadence.
        under = nested and joined and block.parent is not None and any(b.index == block.parent for b in units[-1])
        # A paragraph that introduces a list ("We ship to 100% if:") is read with the list, as a
        # plan (a failure mode is still read item by item: its handling sits with its condition).
        introduced = (
            lists
            and joined
            and block.list_depth >= 1
            and units[-1][0].list_depth == 0
            and units[-1][0].kind == "paragraph"
            and units[-1][0].text.rstrip().endswith(":")
            and all(b.list_depth >= 1 for b in units[-1][1:])
        )
        if same_table or same_list or under or introduced:
            units[-1].append(block)
        else:
            units.append([block])
    return units


def _section_scoped(status_rules: list[Rule]) -> bool:
    """Whether every rule is judged over a whole location: only such rules may gather elements
    from several blocks (a failure mode's handling must sit with its condition)."""
    return all(scope != "block" for _, scope in status_rules)


def _continues_table(block: Block, previous: Block | None) -> bool:
    """Whether ``block`` is a further row of the table ``previous`` is a row of."""
    return (
        previous is not None
        and block.kind == previous.kind == "table_row"
        and block.header == previous.header
        and block.index == previous.index + 1
    )
