"""Word .docx -> Markdown: headings, list items, paragraphs and tables in document order.

Origins are ``"NAME.docx paragraph K"``, where K counts the body's paragraphs from 1 (empty ones
included, paragraphs inside tables not), i.e. ``Document.paragraphs[K - 1]``; table lines have
``"NAME.docx table T"``. Headers, footers, footnotes and comments are not read.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from translator.errors import InputError
from translator.sources.model import Notes
from translator.sources.text import DEFAULT_MAX_BYTES, LineBuffer, format_size, markdown_table

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADING = re.compile(r"heading\s*([1-9])", re.IGNORECASE)
_MAX_MEMBERS = 10_000  # a .docx holds tens of parts; thousands is a bomb of another shape
_LIST_STYLE = re.compile(r"list\s*(?:bullet|number|paragraph)(?:\s*([2-9]))?", re.IGNORECASE)


def _style_name(paragraph: Any) -> str:
    try:
        style = paragraph.style
    except Exception:
        return ""
    return str(getattr(style, "name", "") or "")


def _list_level(paragraph: Any, style: str) -> int | None:
    """0-based nesting level if the paragraph is a list item, else None."""
    match = _LIST_STYLE.fullmatch(style.strip())
    if match:
        return int(match.group(1)) - 1 if match.group(1) else 0
    # Google Docs and LibreOffice number paragraphs directly instead of using list styles.
    p_pr = paragraph._p.pPr
    num_pr = p_pr.numPr if p_pr is not None else None
    if num_pr is not None:
        ilvl = num_pr.ilvl
        return int(ilvl.val) if ilvl is not None and ilvl.val is not None else 0
    return None


def _paragraph_markdown(paragraph: Any) -> tuple[str, bool]:
    """(markdown, is_list_item) for one non-empty paragraph."""
    text = paragraph.text.replace("\r", "\n")
    style = _style_name(paragraph)
    heading = _HEADING.fullmatch(style.strip())
    if heading or style.strip().lower() == "title":
        level = min(int(heading.group(1)), 6) if heading else 1
        return "#" * level + " " + " ".join(text.split()), False
    list_level = _list_level(paragraph, style)
    if list_level is not None:
        indent = "  " * list_level
        first, *rest = [line.strip() for line in text.strip().split("\n")]
        return "\n".join([f"{indent}- {first}", *(f"{indent}  {line}" for line in rest)]), True
    return text.strip("\n"), False


def check_unzipped_size(data: bytes, *, display: str, max_bytes: int) -> None:
    """Refuse a zipped input whose parts expand past ``max_bytes`` (a zip bomb, or just too big).

    The sizes come from the zip's directory; they also bound the reads, since zipfile stops each
    member at its declared size (and fails its CRC check when the data would run on), so a part
    cannot lie its way past the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("is not a valid .docx file", path=display) from None
    if len(members) > _MAX_MEMBERS:
        raise InputError(f"is not a usable .docx file ({len(members):,} parts)", path=display)
    unzipped = sum(member.file_size for member in members)
    if unzipped > max_bytes:
        raise InputError(
            f"expands to {format_size(unzipped)} when unzipped, over the "
            f"{format_size(max_bytes, keep_decimal=False)} limit (--max-bytes)",
            path=display,
        )


def read_docx_bytes(data: bytes, *, display: str, path: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Notes:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("reading .docx files needs python-docx (pip install python-docx)", path=display) from None

    if data.startswith(_OLE_MAGIC):
        raise InputError(
            "is not a valid .docx file (it looks like an old .doc or a password-protected document; "
            "save it as an unprotected .docx)",
            path=display,
        )
    if not data.strip():
        raise InputError("is empty", path=display)
    check_unzipped_size(data, display=display, max_bytes=max_bytes)

    buffer = LineBuffer()
    try:
        document = docx.Document(io.BytesIO(data))
        paragraph_number = 0
        table_number = 0
        previous_was_list = False
        for block in document.iter_inner_content():
            if isinstance(block, Paragraph):
                paragraph_number += 1
                if not block.text.strip():
                    previous_was_list = False
                    continue
                origin = f"{display} paragraph {paragraph_number}"
                markdown, is_list = _paragraph_markdown(block)
                if not (is_list and previous_was_list):
                    buffer.blank(origin)
                buffer.add(markdown, origin)
                previous_was_list = is_list
            elif isinstance(block, Table):
                table_number += 1
                previous_was_list = False
                rows = [[cell.text for cell in row.cells] for row in block.rows]
                lines = markdown_table(rows)
                if any(cell.strip() for row in rows for cell in row):
                    origin = f"{display} table {table_number}"
                    buffer.blank(origin)
                    buffer.add("\n".join(lines), origin)
    except InputError:
        raise
    except Exception:
        raise InputError("is not a valid .docx file", path=display) from None

    notes_text, origins = buffer.finish(display=display, collapse_blank=True)
    return Notes(path=path, format="docx", text=notes_text, origins=origins)
