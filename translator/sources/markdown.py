"""Markdown and plain text (files and stdin): front matter off the top, every line kept."""

from __future__ import annotations

from translator.sources.model import Notes
from translator.sources.text import LineBuffer, split_front_matter


def read_markdown_text(text: str, *, display: str, path: str | None, format: str) -> Notes:
    """``text`` is already decoded and newline-normalised; ``display`` names it in origins and errors.

    Origins are ``"{display}:{line}"`` with the line number in the original text, so they stay
    right after the front matter block and leading blank lines are removed.
    """
    front_matter, body, consumed = split_front_matter(text, display)
    buffer = LineBuffer()
    for number, line in enumerate(body.split("\n"), start=consumed + 1):
        buffer.add(line, f"{display}:{number}")
    had_front_matter = consumed > 0
    notes_text, origins = buffer.finish(
        display=display, empty="is empty apart from its front matter" if had_front_matter else "is empty"
    )
    return Notes(path=path, format=format, text=notes_text, front_matter=front_matter, origins=origins)
