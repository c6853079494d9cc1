"""PDF -> text, page by page, with pypdf. Origins are ``"NAME.pdf page P"``.

Text extraction from PDF is lossy: headings, tables and reading order come out as pypdf sees
them. A PDF of scanned images has no text layer and is refused rather than read as empty.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from translator.errors import InputError
from translator.sources.model import Notes
from translator.sources.text import LineBuffer, normalise_newlines

_quiet_lock = threading.Lock()
_quiet_depth = 0
_saved_level = logging.NOTSET


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs a warning for every small defect it repairs; the CLI promises one line per
    error on stderr, so silence pypdf's warnings while we read (errors still get through)."""
    global _quiet_depth, _saved_level
    logger = logging.getLogger("pypdf")
    with _quiet_lock:
        if _quiet_depth == 0:
            _saved_level = logger.level
            logger.setLevel(logging.ERROR)
        _quiet_depth += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_depth -= 1
            if _quiet_depth == 0:
                logger.setLevel(_saved_level)


def _reason(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def read_pdf_bytes(data: bytes, *, display: str, path: str | None) -> Notes:
    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("reading .pdf files needs pypdf (pip install pypdf)", path=display) from None

    if not data.strip():
        raise InputError("is empty", path=display)
    if b"%PDF-" not in data[:1024]:
        raise InputError("is not a valid PDF file (no %PDF- header)", path=display)

    buffer = LineBuffer()
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
        except Exception as exc:
            raise InputError(f"is not a valid PDF file ({_reason(exc)})", path=display) from None

        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password (owner restrictions only);
            # any viewer opens those, so we do too.
            try:
                opened = bool(reader.decrypt(""))
            except Exception:
                opened = False
            if not opened:
                raise InputError("is encrypted (password-protected); save an unprotected copy", path=display)

        try:
            pages = list(reader.pages)
        except Exception as exc:
            raise InputError(f"is not a valid PDF file ({_reason(exc)})", path=display) from None
        if not pages:
            raise InputError("has no pages", path=display)

        for number, page in enumerate(pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:
                raise InputError(f"page {number} could not be read ({_reason(exc)})", path=display) from None
            text = normalise_newlines(text.replace("\x00", ""))
            if not text.strip():
                continue
            origin = f"{display} page {number}"
            buffer.blank(origin)
            buffer.add("\n".join(line.rstrip() for line in text.strip("\n").split("\n")), origin)

    notes_text, origins = buffer.finish(
        display=display, empty="has no extractable text (scanned?)", collapse_blank=True
    )
    return Notes(path=path, format="pdf", text=notes_text, origins=origins)
