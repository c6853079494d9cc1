"""Markdown -> a Document of blocks and sections, each with its 1-based source line.

Everything the checks look at comes from here, so the rules of what counts are in one place:
text inside code fences and indented code never counts; HTML comments never count (but the
``<!-- translator: disable=RULE -->`` ones are collected); inline code does count, kept in
backticks so that identifiers stay recognisable; the document title (a lone leading H1) does
not locate a concern.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import pairwise
from typing import Any

from translator.rubric.events import Token, block_tokens
from translator.rubric.words import stem_text
from translator.sources.text import split_front_matter

_SUPPRESSION = re.compile(r"<!--\s*translator:\s*(disable|enable)\s*=\s*([\w\-, ]+?)\s*-->", re.I)
_NUMBERING = re.compile(r"^\s*(?:(?:section|step|part|phase)\s+)?(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.):]\s+", re.I)
_NON_WORD = re.compile(r"[^a-z0-9]+")
# "Failure modes: if X..." or "Data lineage:" on its own line: a plain-text lead-in.
_LABEL_LEAD_IN = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 &/'()\-]{1,60}?)\s*:(?:\s+|$)")
_LEAD_IN_TRAILER = re.compile(r"^[\s:.\-–—]+")
# What may stand before a lead-in without being text: a checklist's box ("- [x] **Owner:**
# ..."), a status mark ("✅ **Fallback:** ...") or an outline's number ("4.1 Training: ...").
_MARKER = re.compile(r"^\s*(\[[ xX]\]|[✅✔☑❌⚠️🟢🟡🔴]+|\d+(\.\d+)+(?=\s))\s*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")


def normalise_phrase(text: str) -> str:
    """Lower-case, drop numbering and punctuation: "## 3. Data Lineage & SLAs" -> "data lineage and slas"."""
    text = _NUMBERING.sub("", text.strip())
    text = text.lower().replace("&", " and ")
    return " ".join(_NON_WORD.sub(" ", text).split())


@dataclass(slots=True)
class Block:
    """A paragraph, list-item paragraph, table row or quote paragraph, as plain text."""

    index: int
    kind: str  # "paragraph" | "table_row"
    text: str  # inline text; soft breaks kept as "\n" so offsets map to lines
    line: int  # 1-based first line
    end_line: int  # 1-based last line
    section: int | None  # index into Document.sections, None before the first heading
    list_depth: int = 0
    ordered: bool = False  # an item of a numbered list (a step of a sequence)
    lead_in: str | None = None  # normalised lead-in label, if the block opens with one
    lead_in_raw: str | None = None  # the label as written
    body: str = ""  # text after the lead-in (all of ``text`` when there is none)
    is_question: bool = False  # every sentence ends with "?": it asks, it does not state
    # Context, so that an item is read with what surrounds it:
    parent: int | None = None  # the list item this one is nested under (its first block's index)
    cells: tuple[str, ...] = ()  # a table row's cells
    header: tuple[str, ...] = ()  # the header cells of the row's table: the fields' names
    is_header: bool = False  # the header row itself names fields; it states nothing
    from_html: bool = False  # text of an HTML block (tags removed)
    quoted: bool = False  # inside a block quote ("> ..."): in a review thread, a reviewer's words

    def line_at(self, offset: int) -> int:
        """The source line of character ``offset`` within ``text``."""
        if "\n" not in self.text:
            return self.line
        return self.line + bisect.bisect_left(_newlines(self.text), offset)


@dataclass(slots=True)
class Section:
    index: int
    level: int
    title: str
    heading: str  # normalised
    line: int
    first_block: int  # index of its first block
    end_block: int = 0  # exclusive; covers subsections
    is_title: bool = False


@dataclass
class Document:
    source: str
    path: str | None
    front_matter: dict[str, Any]
    blocks: list[Block]
    sections: list[Section]
    suppressions: list[tuple[int, str, str]]  # (line, "disable"|"enable", rule)
    code_lines: int = 0
    # What is worked out from the blocks once and shared by everyone who reads them (signal matches).
    caches: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def word_count(self) -> int:
        """Words outside code, front matter and comments: what a reader reads."""
        return sum(len(block.text.split()) for block in self.blocks) + sum(
            len(section.title.split()) for section in self.sections
        )

    def stemmed(self, block: Block) -> str:
        """The block's text in normalised word forms (words.stem_text), computed once and
        shared by kind detection and every signal that matches words."""
        cache: dict[int, str] = self.caches.setdefault("stems", {})
        found = cache.get(block.index)
        if found is None:
            found = cache[block.index] = stem_text(block.text)
        return found

    def section_blocks(self, section: Section) -> list[Block]:
        return self.blocks[section.first_block : section.end_block]

    def section_text(self, section: Section) -> str:
        return "\n".join(block.text for block in self.section_blocks(section))

    def lead_blocks(self) -> list[Block]:
        """The opening a reader sees first: up to two blocks of the first section that has text
        (the text under the title counts as that section)."""
        if not self.blocks:
            return []
        first = self.blocks[0].section
        return [block for block in self.blocks[:2] if block.section == first]


def parse_document(source: str, path: str | None = None) -> Document:
    """Parse Markdown text into a Document. Raises InputError for malformed front matter.

    Front matter is read by the same reader as the notes' (one set of rules and messages for
    both). Its lines become blank lines for the parser, so every line number stays the file's.
    """
    return build_document(source, path, block_tokens)


def build_document(source: str, path: str | None, tokens_of: Callable[[str], Sequence[Token]]) -> Document:
    """The Document of ``source`` from the token stream ``tokens_of`` gives (pyromark's, via
    events.py; the parser-equivalence test passes markdown-it's)."""
    front_matter, rest, consumed = split_front_matter(source, path or "<text>")
    text = "\n" * consumed + rest if consumed else source
    # Line breaks as markdown-it normalises them, so that line numbers mean the same to both.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    tokens = tokens_of(text)
    builder = _Builder(path)
    builder.front_matter = front_matter
    builder.walk(tokens)
    return builder.finish(source)


class _Builder:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.front_matter: dict[str, Any] = {}
        self.blocks: list[Block] = []
        self.sections: list[Section] = []
        self.suppressions: list[tuple[int, str, str]] = []
        self.code_lines = 0
        self.heading_level = 1  # of the last Markdown heading: pseudo-headings nest under it
        self.quote_depth = 0  # block quotes open around the current token

    def _section(self, title: str, line: int) -> None:
        """A heading that is not Markdown's: a <summary>, an ALL-CAPS line. One level under the
        last Markdown heading, so that a run of them are siblings."""
        self.sections.append(
            Section(
                index=len(self.sections),
                level=min(6, self.heading_level + 1),
                title=title,
                heading=normalise_phrase(title),
                line=line,
                first_block=len(self.blocks),
            )
        )

    def walk(self, tokens: Sequence[Token]) -> None:
        list_depth = 0
        ordered: list[bool] = []
        # For each open list item, the index of its first block (None until it has one).
        items: list[int | None] = []
        row: list[str] = []
        row_line = 0
        in_head = False
        header: tuple[str, ...] = ()
        i = 0
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == "heading_open":
                inline = tokens[i + 1]
                title, _ = _inline_text(inline, self._inline_comment)
                line = token.map[0] + 1 if token.map else 1
                self.heading_level = int(token.tag[1])
                self.sections.append(
                    Section(
                        index=len(self.sections),
                        level=int(token.tag[1]),
                        title=title.replace("\n", " ").strip(),
                        heading=normalise_phrase(title),
                        line=line,
                        first_block=len(self.blocks),
                    )
                )
                i += 3
                continue
            elif kind in ("bullet_list_open", "ordered_list_open"):
                list_depth += 1
                ordered.append(kind == "ordered_list_open")
            elif kind in ("bullet_list_close", "ordered_list_close"):
                list_depth -= 1
                ordered.pop()
            elif kind == "blockquote_open":
                self.quote_depth += 1
            elif kind == "blockquote_close":
                self.quote_depth -= 1
            elif kind == "list_item_open":
                items.append(None)
            elif kind == "list_item_close":
                items.pop()
            elif kind == "paragraph_open":
                inline = tokens[i + 1]
                text, lead = _inline_text(inline, self._inline_comment)
                start, end = token.map or (0, 1)
                in_ordered = bool(ordered) and ordered[-1]
                parent = next((item for item in reversed(items[:-1]) if item is not None), None)
                first_line, _, rest = text.partition("\n")
                caps = first_line.strip()
                if (
                    not list_depth
                    and lead is None
                    and _CAPS_HEADING.fullmatch(caps)
                    and not _NOT_A_HEADING.search(caps)
                    and (rest.strip() or len(caps.split()) >= 2)
                ):
                    # "MODEL DETAILS" on a line of its own (plain-text and email specs): a heading.
                    self._section(first_line.strip(), start + 1)
                    text, start = rest, start + 1
                    if not text.strip():
                        i += 3
                        continue
                for offset, part, part_lead in _split_label_lines(text, lead):
                    if part.strip():
                        last = end if offset == 0 else start + 1 + offset
                        self._add_block("paragraph", part, start + 1 + offset, last, list_depth, part_lead, in_ordered)
                        self.blocks[-1].parent = parent
                        if items and items[-1] is None:
                            items[-1] = self.blocks[-1].index
                i += 3
                continue
            elif kind == "thead_open":
                in_head, header = True, ()
            elif kind == "thead_close":
                in_head = False
            elif kind == "table_close":
                header = ()
            elif kind == "tr_open":
                row = []
                row_line = token.map[0] + 1 if token.map else 0
            elif kind == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
                cell, _ = _inline_text(token, self._inline_comment)
                row.append(cell.replace("\n", " ").strip())
            elif kind == "tr_close":
                if in_head:
                    header = tuple(row)
                if any(row):
                    self._add_block("table_row", " | ".join(row), row_line, row_line, list_depth, None, False)
                    _read_row(self.blocks[-1], tuple(row), header, in_head)
            elif kind in ("fence", "code_block"):
                if token.map:
                    self.code_lines += token.map[1] - token.map[0]
            elif kind == "html_block":
                line = (token.map[0] + 1) if token.map else 1
                self._comment(token.content, line)
                self._html(token.content, line, list_depth)
            i += 1

    def _add_block(
        self, kind: str, text: str, line: int, end_line: int, depth: int, lead: tuple[str, int] | None, ordered: bool
    ) -> None:
        section = len(self.sections) - 1 if self.sections else None
        label: str | None = None
        body = text
        if lead is not None:
            label, offset = lead
            body = _LEAD_IN_TRAILER.sub("", text[offset:])
        else:
            unmarked = _MARKER.sub("", text, count=1)
            match = _LABEL_LEAD_IN.match(unmarked)
            if match and len(match.group(1).split()) <= 6:
                label = match.group(1)
                body = unmarked[match.end() :]
        self.blocks.append(
            Block(
                index=len(self.blocks),
                kind=kind,
                text=text,
                line=line,
                end_line=max(line, end_line),
                section=section,
                list_depth=depth,
                ordered=ordered,
                lead_in=normalise_phrase(label) if label else None,
                lead_in_raw=label,
                body=body,
                is_question=_only_questions(body),
                quoted=self.quote_depth > 0,
            )
        )

    def _html(self, content: str, line: int, depth: int) -> None:
        """An HTML block read as text: its rows as table rows, its paragraphs, list items and
        line breaks as paragraphs (so "<strong>Decision:</strong> ..." is a lead-in like any
        other). Comments never count."""
        content = _HTML_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), content)
        # <details><summary>Intended use</summary> ...: the summary heads what follows.
        for summary in _HTML_SUMMARY.finditer(content):
            title = _html_text(summary.group(1))
            if title:
                self._section(title, line + content.count("\n", 0, summary.start()))
        content = _HTML_SUMMARY.sub(lambda m: "\n" * m.group(0).count("\n"), content)
        header: tuple[str, ...] = ()
        for offset, piece, is_row in _html_pieces(content):
            first = line + content.count("\n", 0, offset)
            if is_row:
                cells = tuple(c for c in (_html_text(cell) for cell in _HTML_CELL.split(piece)) if c)
                if not cells:
                    continue
                is_head = "<th" in piece.lower()
                if is_head:
                    header = cells
                self._add_block("table_row", " | ".join(cells), first, first, depth, None, False)
                _read_row(self.blocks[-1], cells, header, is_head)
                self.blocks[-1].from_html = True
                continue
            text = _html_text(piece)
            if text:
                for part_offset, part, part_lead in _split_label_lines(text, None):
                    if part.strip():
                        self._add_block(
                            "paragraph", part, first + part_offset, first + part_offset, depth, part_lead, False
                        )
                        self.blocks[-1].from_html = True

    def _inline_comment(self, content: str, line: int) -> None:
        self._comment(content, line)

    def _comment(self, content: str, line: int) -> None:
        for match in _SUPPRESSION.finditer(content):
            action = match.group(1).lower()
            for rule in match.group(2).split(","):
                if rule.strip():
                    self.suppressions.append((line, action, rule.strip()))

    def finish(self, source: str) -> Document:
        # A section covers its subsections: it ends where a heading of the same or a higher
        # level starts. A stack keeps this linear in the number of headings.
        stack: list[Section] = []
        for section in self.sections:
            while stack and stack[-1].level >= section.level:
                stack.pop().end_block = section.first_block
            stack.append(section)
        for section in stack:
            section.end_block = len(self.blocks)
        _label_lines_over_lists(self.blocks)
        # The title is a lone H1 that opens the document; it names the document, not a concern.
        h1s = [s for s in self.sections if s.level == 1]
        if len(h1s) == 1 and self.sections and self.sections[0] is h1s[0]:
            h1s[0].is_title = True
        return Document(
            source=source,
            path=self.path,
            front_matter=self.front_matter,
            blocks=self.blocks,
            sections=self.sections,
            suppressions=self.suppressions,
            code_lines=self.code_lines,
        )


_OUTLINE_NUMBER = re.compile(r"\s*\d+(\.\d+)+\s")


def _label_lines_over_lists(blocks: list[Block]) -> None:
    """A short line of its own that heads a list ("If it fails in prod" over "- edge box offline
    → ..."; "What we ship" over its bullets) is the list's label, as "**If it fails:**" would
    be: plain-text writers head a list so. A sentence (end punctuation), a longer line or a
    line with a label of its own stays text. So is a numbered outline's item over its numbered
    lines ("2. Model details" over "2.1 Built by ...", "2.2 Type: ...")."""
    for block, after in pairwise(blocks):
        text = block.text.strip()
        if (
            block.kind == "paragraph"
            and block.lead_in is None
            and not block.quoted
            and (
                (not block.list_depth and after.list_depth == 1)
                or (after.list_depth == block.list_depth and _OUTLINE_NUMBER.match(after.text) is not None)
            )
            and after.section == block.section
            and after.line <= block.end_line + 2
            and "\n" not in text
            and 1 <= len(text.split()) <= 6
            and not text.endswith((".", "!", "?", ";", ",", ")"))
            and text[:1].isalpha()
        ):
            block.lead_in, block.lead_in_raw, block.body = normalise_phrase(text), text, ""


def _read_row(block: Block, cells: tuple[str, ...], header: tuple[str, ...], is_header: bool) -> None:
    """A table row with its context: its cells, its table's header cells (the fields' names),
    and, in a key-value table ("Decision | Replace v6 with v7"), its first cell as a lead-in."""
    block.cells, block.header, block.is_header = cells, header, is_header
    if not is_header and len(cells) >= 2 and cells[0] and len(cells[0].split()) <= 6 and block.lead_in is None:
        block.lead_in, block.lead_in_raw = normalise_phrase(cells[0]), cells[0]
        block.body = " | ".join(cells[1:])
        block.is_question = _only_questions(block.body)


_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary\s*>", re.S | re.I)
# An ALL-CAPS line of a few words, on its own: "MODEL DETAILS", "CAVEATS AND RECOMMENDATIONS".
# Capitals that are a placeholder or an acronym's sentence, not a heading.
_NOT_A_HEADING = re.compile(r"\b(TBD|TBC|TODO|FIXME|XXX|N/?A|WIP|NB)\b")
_CAPS_HEADING = re.compile(r"(?=(?:.*[A-Z]){3})[A-Z][A-Z0-9 &/,'()\-]{2,60}")
_HTML_ROW = re.compile(r"<tr\b.*?(?:</tr\s*>|(?=<tr\b)|$)", re.S | re.I)
_HTML_BREAK = re.compile(
    r"<br\s*/?>|</(?:p|li|div|h[1-6]|summary|details|dt|dd|blockquote|ul|ol|table)\s*>|<(?:p|li|div|h[1-6]|summary|dt|dd|ul|ol|table)\b[^>]*>",
    re.I,
)
_HTML_CELL = re.compile(r"</t[dh]\s*>", re.I)
_HTML_TAG = re.compile(r"<[^>]*>")


def _html_pieces(content: str) -> list[tuple[int, str, bool]]:
    """Split an HTML block into (offset, piece, is_row): each <tr> is one piece, and the text
    between rows is split at block-level tags and line breaks."""
    pieces: list[tuple[int, str, bool]] = []
    position = 0
    for row in _HTML_ROW.finditer(content):
        pieces.extend(_html_text_pieces(content, position, row.start()))
        pieces.append((row.start(), row.group(0), True))
        position = row.end()
    pieces.extend(_html_text_pieces(content, position, len(content)))
    return pieces


def _html_text_pieces(content: str, start: int, end: int) -> list[tuple[int, str, bool]]:
    found: list[tuple[int, str, bool]] = []
    position = start
    for match in _HTML_BREAK.finditer(content, start, end):
        found.extend(_html_lines(content, position, match.start()))
        position = match.end()
    found.extend(_html_lines(content, position, end))
    return found


def _html_lines(content: str, start: int, end: int) -> list[tuple[int, str, bool]]:
    found: list[tuple[int, str, bool]] = []
    offset = start
    for line in content[start:end].split("\n"):
        if line.strip():
            found.append((offset, line, False))
        offset += len(line) + 1
    return found


def _html_text(fragment: str) -> str:
    return " ".join(html.unescape(_HTML_TAG.sub(" ", fragment)).split())


@lru_cache(maxsize=256)
def _newlines(text: str) -> tuple[int, ...]:
    """Offsets of the line breaks in a block's text, so that many findings in one long
    paragraph each find their line in log time."""
    return tuple(index for index, char in enumerate(text) if char == "\n")


def _split_label_lines(text: str, lead: tuple[str, int] | None) -> list[tuple[int, str, tuple[str, int] | None]]:
    """Split a paragraph of stacked "Label: value" lines (plain-text notes write them without
    blank lines) into one block per label: (line offset, text, bold lead-in of the first part)."""
    lines = text.split("\n")
    # A numbered outline's lines ("4.1 Training: ...", "4.2 Live inputs: ...") are items too.
    starts = [0] + [n for n in range(1, len(lines)) if _is_label_line(lines[n]) or _OUTLINE_NUMBER.match(lines[n])]
    if len(starts) == 1:
        return [(0, text, lead)]
    parts = []
    for position, first in enumerate(starts):
        last = starts[position + 1] if position + 1 < len(starts) else len(lines)
        parts.append((first, "\n".join(lines[first:last]), lead if first == 0 else None))
    return parts


def _is_label_line(line: str) -> bool:
    match = _LABEL_LEAD_IN.match(line)
    return match is not None and line.lstrip()[:1].isupper() and len(match.group(1).split()) <= 6


def _only_questions(text: str) -> bool:
    sentences = [s for s in _SENTENCE_SPLIT.split(text.strip()) if s]
    return bool(sentences) and all(s.rstrip().endswith("?") for s in sentences)


def _inline_text(inline: Token, on_comment: Any) -> tuple[str, tuple[str, int] | None]:
    """Plain text of an inline token, and its bold lead-in (label, offset where the body
    starts) if the text opens with one: "**Data lineage.** From ..." -> ("Data lineage", 15)."""
    parts: list[str] = []
    lead_start: int | None = None
    lead: tuple[str, int] | None = None
    line = (inline.map[0] + 1) if inline.map else 1
    for child in inline.children or []:
        ctype = child.type
        if ctype == "text":
            parts.append(child.content)
        elif ctype == "code_inline":
            parts.append(f"`{child.content}`")
        elif ctype in ("softbreak", "hardbreak"):
            parts.append("\n")
            line += 1
        elif ctype == "html_inline":
            on_comment(child.content, line)
        elif ctype == "image":
            parts.append(child.content)
        elif (
            ctype == "strong_open"
            and lead is None
            and lead_start is None
            and not _MARKER.sub("", "".join(parts)).strip()
        ):
            lead_start = len("".join(parts))
        elif ctype == "strong_close" and lead_start is not None and lead is None:
            joined = "".join(parts)
            label = joined[lead_start:].strip().rstrip(" :.-\u2013\u2014")
            if label and len(label.split()) <= 8:
                lead = (label, len(joined))
            lead_start = -1  # only the first bold run can be a lead-in
    return "".join(parts), lead
