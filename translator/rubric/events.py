"""pyromark's events -> the block tokens that document.py's builder walks.

pyromark (Rust's pulldown-cmark) parses about ten times faster than markdown-it-py and gives a
byte range for every event. The builder was written against markdown-it's token stream (a flat
list of ``*_open`` / ``*_close`` tokens, an ``inline`` token per paragraph with its children and
``map`` = [first line, end line) 0-based); this module produces the same shape, so that the rules
of what counts stay in the builder, in one place, and ``tests/test_parser_equivalence.py`` can
show that both parsers give the same Documents.

Two differences are smoothed over here:
- pulldown-cmark drops the paragraph of a tight list item (its text sits directly in the item);
  markdown-it keeps a hidden one. A paragraph is opened around such inline runs.
- a table head is cells directly, not a row: a row is opened around them.
Front matter is split off before parsing (document.py), so pyromark's metadata blocks stay off:
with them on, a ``---`` block in the middle of a document is read as metadata.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyromark

_OPTIONS = pyromark.Options.ENABLE_TABLES

# Inline events: the ones that make a paragraph's text.
_INLINE_STARTS = frozenset({"Strong", "Emphasis", "Link", "Image", "Strikethrough", "Superscript", "Subscript"})


@dataclass(slots=True)
class Token:
    """The part of a markdown-it token the builder reads."""

    type: str
    tag: str = ""
    map: list[int] | None = None
    content: str = ""
    children: list[Token] | None = field(default=None)


class _Lines:
    """Byte offset -> 0-based line number of the source, not counting the lines that
    ``_split_tables`` inserted."""

    def __init__(self, data: bytes, inserted: list[int]) -> None:
        self.inserted = inserted
        self.newlines: list[int] = []
        find, position = data.find, data.find(b"\n")
        while position != -1:
            self.newlines.append(position)
            position = find(b"\n", position + 1)

    def of(self, offset: int) -> int:
        # A line's newline belongs to that line: the newline at byte b is on line bisect_left(b).
        line = bisect.bisect_left(self.newlines, offset)
        return line - bisect.bisect_right(self.inserted, line) if self.inserted else line

    def span(self, start: int, end: int) -> list[int]:
        """[first line, end line) of the bytes [start, end), as markdown-it's ``map``."""
        return [self.of(start), self.of(max(start, end - 1)) + 1]


def block_tokens(source: str) -> list[Token]:
    """The token stream of ``source`` (already normalised to "\\n" line breaks)."""
    return _Converter(source).run()


# A table's delimiter row: "|---|:--:|", "--|--". It has a pipe, or the header row has.
_DELIMITER_ROW = re.compile(r"^[ \t>]*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _cells(row: str) -> int:
    row = row.strip().lstrip(">").strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return len(_CELL_SPLIT.split(row))


def _split_tables(source: str) -> tuple[str, list[int]]:
    """A blank line before a table that follows a paragraph line directly ("Results:" then
    "| a | b |"), and the 0-based numbers of the lines inserted.

    GitHub and markdown-it start a table there; pulldown-cmark keeps the rows in the
    paragraph. Notes are written that way, so the table is read as a table. Only a plain
    top-level paragraph is split (in a list item the row is a lazy continuation line for
    markdown-it too); the inserted lines are not counted in any line number."""
    if "-" not in source or "|" not in source:
        return source, []
    lines = source.split("\n")
    inserted: list[int] = []
    out: list[str] = []
    plain = False  # the lines since the last blank line are a plain top-level paragraph
    fence: str | None = None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
        elif stripped.startswith(("```", "~~~")):
            fence, plain = stripped[:3], False
        elif not stripped:
            plain = False
        elif not plain and (number == 0 or not lines[number - 1].strip()):
            plain = not _NOT_PLAIN.match(line)
        elif _NOT_PLAIN.match(line):
            plain = False
        elif (
            plain
            and number >= 2
            and _DELIMITER_ROW.match(line)
            and "|" in lines[number - 1]
            and lines[number - 2].strip()
            and _cells(lines[number - 1]) == _cells(line)
            and ("|" in line or _cells(lines[number - 1]) > 1)
        ):
            out.insert(len(out) - 1, "")
            inserted.append(number - 1 + len(inserted))
            plain = False
        out.append(line)
    return ("\n".join(out), inserted) if inserted else (source, [])


# Lines that do not continue a plain top-level paragraph: indented, quoted, list items, HTML,
# headings, fences.
_NOT_PLAIN = re.compile(r"[ \t>]|[-*+][ \t]|\d{1,9}[.)][ \t]|<|#|```|~~~|=+\s*$|-+\s*$")


class _Converter:
    def __init__(self, source: str) -> None:
        self.source, inserted = _split_tables(source)
        self.data = self.source.encode()
        self.lines = _Lines(self.data, inserted)
        self.out: list[Token] = []
        self.containers: list[str] = []  # "item", "quote", "list": where inline text may appear
        self.inline: Token | None = None  # the open paragraph's inline token
        self.paragraph: Token | None = None
        self.synthetic = False  # the open paragraph is one pyromark did not emit (a tight item)
        self.span_start = 0
        self.span_end = 0
        self.in_head = False
        self.cell: Token | None = None
        # An image's alt text is its label as written (markdown-it's ``content``): the bytes
        # from after "![" to the end of the last event inside it.
        self.image: list[int] | None = None  # [label start, label end]
        self.html: Token | None = None
        self.code = False

    def run(self) -> list[Token]:
        events: Iterator[tuple[Any, Any]] = pyromark.events_with_range(self.source, options=_OPTIONS)
        for event, where in events:
            if isinstance(event, str):
                self._simple(event, where)
            elif "Text" in event:
                self._text(event["Text"], where)
            elif "Start" in event:
                self._start(event["Start"], where)
            elif "End" in event:
                self._end(event["End"], where)
            elif "Code" in event:
                self._child(Token("code_inline", content=event["Code"]), where)
            elif "InlineHtml" in event:
                self._child(Token("html_inline", content=event["InlineHtml"]), where)
            elif "Html" in event:
                if self.html is not None:
                    self.html.content += event["Html"]
                else:  # inline HTML outside a paragraph: keep it as markdown-it does
                    self._child(Token("html_inline", content=event["Html"]), where)
        self._close_synthetic()
        return self.out

    # --- inline content -------------------------------------------------------------------
    def _target(self, where: dict[str, int]) -> Token | None:
        """The inline token that text at ``where`` belongs to, opening a tight item's paragraph."""
        if self.cell is not None:
            return self.cell
        if self.inline is None:
            if not self.containers or self.containers[-1] != "item":
                return None
            self.synthetic = True
            self.paragraph = Token("paragraph_open")
            self.inline = Token("inline", children=[])
            self.out += [self.paragraph, self.inline]
            self.span_start = where["start"]
        self.span_end = max(self.span_end, where["end"])
        return self.inline

    def _children(self, where: dict[str, int]) -> list[Token] | None:
        """The children list that inline content at ``where`` joins; None inside code, inside
        an image (whose alt text is its label as written), or where no text counts."""
        if self.code:
            return None
        if self.image is not None:
            self.image[1] = max(self.image[1], where["end"])
            return None
        target = self._target(where)
        return target.children if target is not None else None

    def _child(self, token: Token, where: dict[str, int]) -> None:
        children = self._children(where)
        if children is not None:
            children.append(token)

    def _text(self, text: str, where: dict[str, int]) -> None:
        children = self._children(where)
        if children is None:
            return
        if children and children[-1].type == "text":
            children[-1].content += text  # pyromark splits text at entities and escapes
        else:
            children.append(Token("text", content=text))

    def _simple(self, event: str, where: dict[str, int]) -> None:
        if event == "SoftBreak":
            self._child(Token("softbreak"), where)
        elif event == "HardBreak":
            self._child(Token("hardbreak"), where)
        elif event == "Rule":
            self._close_synthetic()

    # --- blocks ---------------------------------------------------------------------------
    def _start(self, tag: Any, where: dict[str, int]) -> None:
        name = tag if isinstance(tag, str) else next(iter(tag))
        if name in _INLINE_STARTS:
            if self.image is not None:
                self.image[1] = max(self.image[1], where["end"] if name == "Image" else where["start"])
            elif name == "Strong":
                self._child(Token("strong_open"), where)
            elif name == "Image":
                self._target(where)
                self.image = [where["start"] + 2, where["start"] + 2]
            return
        self._close_synthetic()
        lines = self.lines
        if name == "Paragraph":
            self.paragraph = Token("paragraph_open", map=lines.span(where["start"], where["end"]))
            self.inline = Token("inline", map=self.paragraph.map, children=[])
            self.out += [self.paragraph, self.inline]
        elif name == "Heading":
            level = tag["Heading"]["level"].lower()
            span = lines.span(where["start"], where["end"])
            self.inline = Token("inline", map=span, children=[])
            self.out += [Token("heading_open", tag=level, map=span), self.inline]
        elif name == "List":
            ordered = tag["List"] is not None
            self.out.append(Token("ordered_list_open" if ordered else "bullet_list_open"))
            self.containers.append("list")
        elif name == "Item":
            self.out.append(Token("list_item_open"))
            self.containers.append("item")
        elif name == "BlockQuote":
            self.out.append(Token("blockquote_open"))
            self.containers.append("quote")
        elif name == "Table":
            self.out.append(Token("table_open"))
        elif name == "TableHead":
            self.in_head = True
            self.out += [Token("thead_open"), Token("tr_open", map=lines.span(where["start"], where["end"]))]
        elif name == "TableRow":
            self.out.append(Token("tr_open", map=lines.span(where["start"], where["end"])))
        elif name == "TableCell":
            self.out.append(Token("th_open" if self.in_head else "td_open"))
            self.cell = Token("inline", children=[])
            self.out.append(self.cell)
        elif name == "CodeBlock":
            fenced = isinstance(tag["CodeBlock"], dict)
            self.out.append(Token("fence" if fenced else "code_block", map=lines.span(where["start"], where["end"])))
            self.code = True
        elif name == "HtmlBlock":
            self.html = Token("html_block", map=lines.span(where["start"], where["end"]))
            self.out.append(self.html)

    def _end(self, tag: Any, where: dict[str, int]) -> None:
        name = tag if isinstance(tag, str) else next(iter(tag))
        if name in _INLINE_STARTS:
            if name == "Image" and self.image is not None:
                start, end = self.image
                self.image = None
                self._child(Token("image", content=self.data[start:end].decode()), where)
            elif self.image is None and name == "Strong":
                self._child(Token("strong_close"), where)
            return
        if name == "Item":
            self._close_synthetic()
            self.containers.pop()
            self.out.append(Token("list_item_close"))
        elif name == "List":
            self._close_synthetic()
            self.containers.pop()
            ordered = tag["List"]
            self.out.append(Token("ordered_list_close" if ordered else "bullet_list_close"))
        elif name == "BlockQuote":
            self.containers.pop()
            self.out.append(Token("blockquote_close"))
        elif name == "Paragraph":
            self.out.append(Token("paragraph_close"))
            self.inline = self.paragraph = None
        elif name == "Heading":
            self.out.append(Token("heading_close"))
            self.inline = None
        elif name == "TableCell":
            self.out.append(Token("th_close" if self.in_head else "td_close"))
            self.cell = None
        elif name == "TableHead":
            self.in_head = False
            self.out += [Token("tr_close"), Token("thead_close")]
        elif name == "TableRow":
            self.out.append(Token("tr_close"))
        elif name == "Table":
            self.out.append(Token("table_close"))
        elif name == "CodeBlock":
            self.code = False
        elif name == "HtmlBlock":
            self.html = None

    def _close_synthetic(self) -> None:
        if self.synthetic and self.paragraph is not None:
            span = self.lines.span(self.span_start, self.span_end)
            self.paragraph.map = span
            if self.inline is not None:
                self.inline.map = span
            self.out.append(Token("paragraph_close"))
            self.paragraph = self.inline = None
            self.synthetic = False
            self.span_end = 0
