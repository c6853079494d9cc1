"""Source files whose comments carry the findings (``.sql``, ``.py``, ``.r``) -> Markdown.

An analyst's scratch query or script often is the write-up: "-- cart_abandon_rate_7d =
carts_abandoned_7d / carts_created_7d", "# AUC 0.81 -> 0.84 on the March holdout". The comments
are read as plain-text notes are (each line its own paragraph, lists kept); the code between
them is kept as a fenced block, so the draft has it and no concern counts it (code is an
example, never a commitment). A comment at the end of a code line stays with its code.
"""

from __future__ import annotations

import re

from translator.sources.model import Notes
from translator.sources.plaintext import read_lines
from translator.sources.text import LineBuffer, fence

# suffix -> (line comment marker, block comment (open, close) or None, fence info string)
LANGUAGES: dict[str, tuple[str, tuple[str, str] | None, str]] = {
    ".sql": ("--", ("/*", "*/"), "sql"),
    ".py": ("#", None, "python"),
    ".r": ("#", None, "r"),
}

# A comment line that only draws a rule ("-- =====", "# ---------") says nothing.
_RULE = re.compile(r"^[\s=\-*#~_+]*$")
# A line that opens a statement of its own: a list item, "name = ...", "label: ...".
_STATEMENT = re.compile(r"^([-*•]\s|\d{1,3}[.)]\s|[\w.()\[\]]+\s*(=|:|->)\s)")


def read_code_text(text: str, *, suffix: str, display: str, path: str | None) -> Notes:
    """``text`` of a ``suffix`` file -> Notes: comments as plain-text lines, code fenced."""
    line_marker, block, info = LANGUAGES[suffix]
    buffer = LineBuffer()
    comments: list[tuple[int, str]] = []
    code: list[tuple[int, str]] = []
    in_block = False

    def flush_comments() -> None:
        if comments:
            part = read_lines(_unwrapped(comments), display)
            for line, origin in zip(part.lines, part.origins, strict=True):
                buffer.add(line, origin)
            buffer.add("", f"{display}:{comments[-1][0]}")
            comments.clear()

    def flush_code() -> None:
        while code and not code[-1][1].strip():
            code.pop()
        if code:
            buffer.blank(f"{display}:{code[0][0]}")
            buffer.add(fence("\n".join(line for _, line in code), info), f"{display}:{code[0][0]}")
            buffer.add("", f"{display}:{code[-1][0]}")
            code.clear()

    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        opens = block is not None and not in_block and stripped.startswith(block[0])
        if block is not None and (in_block or opens):
            flush_code()
            inside = stripped[len(block[0]) :] if opens else stripped
            body, closed, _ = inside.partition(block[1])
            comments.append((number, _uncomment(body)))
            in_block = not closed
            continue
        if number == 1 and stripped.startswith("#!"):
            continue  # the interpreter line says nothing about the findings
        if stripped.startswith(line_marker):
            flush_code()
            comments.append((number, _uncomment(stripped[len(line_marker) :])))
            continue
        if not stripped and not code:
            comments.append((number, ""))  # a blank line between comments parts their paragraphs
            continue
        flush_comments()
        if stripped or code:
            code.append((number, line))
    flush_comments()
    flush_code()
    notes_text, origins = buffer.finish(display=display, collapse_blank=True)
    return Notes(path=path, format=suffix.lstrip("."), text=notes_text, front_matter={}, origins=origins)


def _unwrapped(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Comment prose wrapped at the editor's margin, joined again. A line continues the one
    above when that one runs to a margin (60 characters or more) or this one is indented under
    it (never when this one steps back out), the one above ends no sentence, and this one starts in lower case and is no statement of
    its own ("x = ...", "label: ...", a list item): "-- where it goes: the feature store,
    probably next to" / "-- the other cart stuff (user_cart_features?)"."""
    joined: list[tuple[int, str]] = []
    previous = ""
    for number, text in lines:
        body = text.strip()
        above = previous.strip()
        indent, above_indent = len(text) - len(text.lstrip()), len(previous) - len(previous.lstrip())
        if (
            joined
            and above
            and body[:1].islower()
            and (len(previous) >= 60 or indent > above_indent)
            and indent >= above_indent  # a line that steps back out starts a new statement
            and not re.search(r"[.:!?;)\]]$", above)
            and not _STATEMENT.match(body)
        ):
            joined[-1] = (joined[-1][0], f"{joined[-1][1].rstrip()} {body}")
        else:
            joined.append((number, text))
        previous = text
    return joined


def _uncomment(text: str) -> str:
    """A comment's text without its marker's space and a decorative rule."""
    text = text[1:] if text.startswith(" ") else text
    return "" if _RULE.match(text) else text.rstrip()
