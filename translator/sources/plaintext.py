"""Plain text and chat pastes -> Markdown that keeps their structure.

Markdown would merge a plain-text file's lines into one paragraph and read an indented line as
code; a plain-text writer means neither. So each line of a ``.txt`` file becomes a paragraph of
its own, list lines stay list items (indented ones nested), and an inline option list
("options? 1) ship as is 2) retune") becomes a numbered list, so that "going with 2" still
refers to something.

A chat paste ("[10:42] maya.chen: heads up ...", "maya.chen 10:42: ...") is read as messages:
each message is a list item whose text is what was said, with the speaker and time kept after
it as attribution ("-- maya.chen, 10:42"), never in front, where they would become a title or
a lead-in. Lines that continue a message are nested under it.
"""

from __future__ import annotations

import re

from translator.sources.model import Notes
from translator.sources.text import LineBuffer, split_front_matter

# "[10:42] maya.chen: text", "10:42 maya.chen: text", "[10:42 AM] Maya Chen: text",
# "maya.chen [10:42]: text", "maya.chen 10:42: text"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp][Mm])?"
_SPEAKER = r"[A-Za-z][\w.\-]*(?: [A-Z][\w.\-]*)?"
_CHAT_TIME_FIRST = re.compile(rf"^\s*\[?(?P<time>{_TIME})\]?\s+(?P<speaker>{_SPEAKER})\s*:\s*(?P<text>.*)$")
_CHAT_SPEAKER_FIRST = re.compile(rf"^\s*(?P<speaker>{_SPEAKER})\s+\[?(?P<time>{_TIME})\]?\s*:\s*(?P<text>.*)$")
_MIN_MESSAGES = 3
# The attribution the reader writes after a message; readers of the notes strip it by this.
ATTRIBUTION = re.compile(r"\s*--\s+[\w.\- ]+, \d{1,2}:\d{2}\S*(?:\s?[AaPp][Mm])?\s*$")
_LIST_MARKER = re.compile(r"^(?P<marker>[-*•]|\d{1,3}[.)])\s+(?P<text>.*)$")
# "1) a 2) b": numbered options written on one line, numbered from 1 without gaps.
_INLINE_OPTION = re.compile(r"(?:(?<=\s)|^)(\d)\)\s+")


def is_chat(lines: list[str]) -> bool:
    """Whether the text reads as a chat paste: at least three lines are timed messages."""
    return sum(1 for line in lines if _message(line) is not None) >= _MIN_MESSAGES


def _message(line: str) -> tuple[str, str, str] | None:
    """(time, speaker, text) of a chat line, else None."""
    match = _CHAT_TIME_FIRST.match(line) or _CHAT_SPEAKER_FIRST.match(line)
    if match is None:
        return None
    return match.group("time"), match.group("speaker"), match.group("text").strip()


def inline_options(text: str) -> tuple[str, list[str]]:
    """Split "options? 1) a  2) b  3) c" into ("options?", ["a", "b", "c"]); no split unless
    the numbers run 1, 2, ... (a lone "2)" or "step 3)" is text, not a list)."""
    found = list(_INLINE_OPTION.finditer(text))
    numbers = [int(match.group(1)) for match in found]
    if len(found) < 2 or numbers != list(range(1, len(found) + 1)):
        return text, []
    head = text[: found[0].start()].strip()
    items = [
        text[match.end() : found[n + 1].start() if n + 1 < len(found) else len(text)].strip()
        for n, match in enumerate(found)
    ]
    return head, [item for item in items if item]


def _escape_opening(text: str) -> str:
    """Keep a plain-text line from opening a quote, a code fence, a rule or a "+" list (a
    "# Heading" line stays a heading: plain-text notes write Markdown headings too)."""
    if re.match(r"^([+*]\s|>|`{3,}|~{3,}|={3,}\s*$|-{3,}\s*$)", text):
        return "\\" + text
    return text


def _add_options(buffer: LineBuffer, head: str, options: list[str], origin: str, indent: str) -> None:
    if head:
        buffer.add(f"{indent}- {head}", origin)
        indent += "  "
    for number, option in enumerate(options, start=1):
        buffer.add(f"{indent}{number}. {option}", origin)


def _read_chat(lines: list[tuple[int, str]], display: str) -> LineBuffer:
    buffer = LineBuffer()
    in_message = False
    for number, line in lines:
        origin = f"{display}:{number}"
        message = _message(line)
        if message is not None:
            time, speaker, text = message
            head, options = inline_options(text)
            attribution = f" -- {speaker}, {time}"
            if options:
                buffer.add(f"- {head or 'options'}{attribution}", origin)
                for n, option in enumerate(options, start=1):
                    buffer.add(f"  {n}. {option}", origin)
            else:
                buffer.add(f"- {text}{attribution}" if text else f"- ({speaker}, {time})", origin)
            in_message = True
        elif not line.strip():
            buffer.add("", origin)
            in_message = False
        elif in_message:
            buffer.add(f"  - {_strip_marker(line.strip())}", origin)  # a line that continues the message
        else:
            buffer.blank(origin)
            buffer.add(_escape_opening(line.strip()), origin)
            buffer.add("", origin)
    return buffer


def _strip_marker(text: str) -> str:
    match = _LIST_MARKER.match(text)
    return match.group("text") if match and not match.group("marker")[0].isdigit() else text


def read_lines(lines: list[tuple[int, str]], display: str) -> LineBuffer:
    """Numbered plain-text lines -> Markdown lines that keep them: each line a paragraph, list
    lines list items (indented ones nested), inline option lists numbered."""
    buffer = LineBuffer()
    previous_list_indent: int | None = None
    for number, line in lines:
        origin = f"{display}:{number}"
        stripped = line.strip()
        if not stripped:
            buffer.add("", origin)
            previous_list_indent = None
            continue
        indent = len(line) - len(line.lstrip())
        marker = _LIST_MARKER.match(stripped)
        if marker is not None:
            nested = previous_list_indent is not None and indent > previous_list_indent
            prefix = "  " if nested else ""
            if not nested:
                previous_list_indent = indent
            head, options = inline_options(marker.group("text"))
            bullet = marker.group("marker")
            bullet = f"{bullet[:-1]}." if bullet[0].isdigit() else "-"
            if options:
                buffer.add(f"{prefix}{bullet} {head or 'options'}", origin)
                for n, option in enumerate(options, start=1):
                    buffer.add(f"{prefix}  {n}. {option}", origin)
            else:
                buffer.add(f"{prefix}{bullet} {marker.group('text')}", origin)
            continue
        if previous_list_indent is not None and indent > previous_list_indent:
            buffer.add(f"  - {stripped}", origin)  # an indented line under a list item belongs to it
            continue
        previous_list_indent = None
        head, options = inline_options(stripped)
        buffer.blank(origin)
        if options:
            _add_options(buffer, head, options, origin, "")
        else:
            # An indented line under a paragraph (a pasted table or result) is a line of its own.
            buffer.add(_escape_opening(stripped), origin)
        buffer.add("", origin)
    return buffer


def read_plain_text(text: str, *, display: str, path: str | None, format: str) -> Notes:
    """Plain text (``.txt``, or stdin that reads as a chat paste) -> Notes whose text is
    Markdown that keeps the lines, lists and messages; origins point at the original lines."""
    front_matter, body, consumed = split_front_matter(text, display)
    lines = list(enumerate(body.split("\n"), start=consumed + 1))
    chat = is_chat([line for _, line in lines])
    buffer = _read_chat(lines, display) if chat else read_lines(lines, display)
    notes_text, origins = buffer.finish(
        display=display,
        empty="is empty apart from its front matter" if consumed else "is empty",
        collapse_blank=True,
    )
    return Notes(path=path, format=format, text=notes_text, front_matter=front_matter, origins=origins)
