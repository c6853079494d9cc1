"""Input readers: turn a researcher's notes file into :class:`Notes`.

``read_notes(path)`` picks a reader by extension (``-`` is stdin); ``read_notes_text(text)`` is
for callers that already hold the text. Every problem with the input is an
:class:`~translator.errors.InputError` whose message leads with the path.
"""

from __future__ import annotations

from pathlib import Path

from translator.errors import InputError
from translator.sources.model import Notes
from translator.sources.text import (
    DEFAULT_MAX_BYTES,
    STDIN_NAME,
    TEXT_NAME,
    check_file,
    check_max_bytes,
    check_size,
    clean_text,
    decode_bytes,
    read_file_bytes,
    read_stdin_bytes,
)

__all__ = ["DEFAULT_MAX_BYTES", "DOCUMENT_SUFFIXES", "SUPPORTED_SUFFIXES", "Notes", "read_notes", "read_notes_text"]

# What a folder is searched for: documents. Source files whose comments carry findings are read
# when named (or matched by a glob): a folder of reports often holds helper scripts too.
DOCUMENT_SUFFIXES: tuple[str, ...] = (".md", ".markdown", ".txt", ".text", ".ipynb", ".html", ".htm", ".docx", ".pdf")
# Source files read by translator.sources.code: each is its own format, named by its suffix.
_CODE_FORMATS = ("sql", "py", "r")
SUPPORTED_SUFFIXES: tuple[str, ...] = (*DOCUMENT_SUFFIXES, *(f".{name}" for name in _CODE_FORMATS))

_FORMAT_BY_SUFFIX = {
    ".md": "md",
    ".markdown": "md",
    ".txt": "txt",
    ".text": "txt",
    "": "txt",
    ".ipynb": "ipynb",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
    **{f".{name}": name for name in _CODE_FORMATS},
}

# Formats read_notes_text accepts (binary formats need the file).
_TEXT_FORMATS = {
    "md": "md",
    "markdown": "md",
    "txt": "txt",
    "text": "txt",
    "stdin": "stdin",
    "ipynb": "ipynb",
    "html": "html",
    "htm": "html",
    **{name: name for name in _CODE_FORMATS},
}


def _unsupported(suffix: str) -> str:
    listed = ", ".join(SUPPORTED_SUFFIXES)
    hint = "; save .doc files as .docx" if suffix == ".doc" else ""
    return f"has an unsupported extension '{suffix}'; supported: {listed}, or no extension ('-' reads stdin){hint}"


def _read_text(text: str, format: str, *, display: str, path: str | None) -> Notes:
    if format in _CODE_FORMATS:
        from translator.sources.code import read_code_text

        return read_code_text(text, suffix=f".{format}", display=display, path=path)
    if format == "ipynb":
        from translator.sources.notebook import read_notebook_text

        return read_notebook_text(text, display=display, path=path)
    if format == "html":
        from translator.sources.html import read_html_text

        return read_html_text(text, display=display, path=path)
    from translator.sources.plaintext import is_chat, read_plain_text

    # Plain text keeps its lines and a chat paste its messages; Markdown (and stdin that is
    # not a chat paste) is read as written.
    if format == "txt" or (format == "stdin" and is_chat(text.split("\n"))):
        return read_plain_text(text, display=display, path=path, format=format)
    from translator.sources.markdown import read_markdown_text

    return read_markdown_text(text, display=display, path=path, format=format)


def read_notes(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Notes:
    """Read notes from ``path`` (``"-"`` for stdin), at most ``max_bytes`` bytes of it."""
    check_max_bytes(max_bytes)
    if str(path) == "-":
        text = decode_bytes(read_stdin_bytes(max_bytes), STDIN_NAME)
        return _read_text(text, "stdin", display=STDIN_NAME, path=None)

    display = str(path)
    file = Path(path)
    size = check_file(file, display)
    format = _FORMAT_BY_SUFFIX.get(file.suffix.lower())
    if format is None:
        raise InputError(_unsupported(file.suffix.lower()), path=display)
    check_size(size, display, max_bytes)
    data = read_file_bytes(file, display, max_bytes)

    if format == "docx":
        from translator.sources.docx import read_docx_bytes

        return read_docx_bytes(data, display=display, path=display, max_bytes=max_bytes)
    if format == "pdf":
        from translator.sources.pdf import read_pdf_bytes

        return read_pdf_bytes(data, display=display, path=display)
    return _read_text(decode_bytes(data, display), format, display=display, path=display)


def read_notes_text(text: str | bytes, *, path: str | None = None, format: str = "md") -> Notes:
    """Read notes the caller already holds. ``path`` only names them in origins and errors.

    ``format`` is md, txt, stdin, ipynb, html, sql, py or r (markdown, text and htm are accepted as
    aliases).
    ``bytes`` are decoded by the same rules as files.
    """
    display = path or TEXT_NAME
    key = str(format).strip().lower().lstrip(".")
    canonical = _TEXT_FORMATS.get(key)
    if canonical is None:
        if key in ("docx", "pdf"):
            raise InputError(f"{key} notes cannot be read from a string; pass the file to read_notes()", path=display)
        raise InputError(
            f"unknown notes format {format!r}; use one of {', '.join(sorted(set(_TEXT_FORMATS.values())))}",
            path=display,
        )
    if isinstance(text, (bytes, bytearray)):
        text = decode_bytes(bytes(text), display)
    elif isinstance(text, str):
        text = clean_text(text, display)
    else:
        raise TypeError(f"notes must be str, not {type(text).__name__}")
    return _read_text(text, canonical, display=display, path=path)
