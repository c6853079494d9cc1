"""HTML -> Markdown: scripts, styles, navigation and footers dropped; headings and tables kept."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

from translator.errors import InputError
from translator.sources.model import Notes
from translator.sources.text import LineBuffer

# Elements whose content is never part of the notes.
_DROP = ("script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "title", "meta", "link", "base")


_UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:")


def _unsafe_url(url: object) -> bool:
    # Browsers ignore whitespace and control characters inside the scheme ("java\tscript:").
    cleaned = "".join(ch for ch in str(url or "") if ch > " ").lower()
    return cleaned.startswith(_UNSAFE_SCHEMES)


@lru_cache(maxsize=1)
def _converter() -> Any:  # markdownify is imported here, for HTML input only
    """One converter for the process: the class and its options are built once."""
    from markdownify import MarkdownConverter

    class _Converter(MarkdownConverter):
        # markdownify leaves '|' inside cells alone, which splits a cell in two.
        def convert_td(self, el: Any, text: str, parent_tags: Any) -> str:
            return str(super().convert_td(el, text.replace("|", "\\|"), parent_tags))  # type: ignore[misc]

        def convert_th(self, el: Any, text: str, parent_tags: Any) -> str:
            return str(super().convert_th(el, text.replace("|", "\\|"), parent_tags))  # type: ignore[misc]

        # A javascript: (or vbscript:, data:) link is code, not a source: keep its text only, so a
        # spec drafted from the notes never carries a link that runs when someone clicks it.
        def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
            if _unsafe_url(el.attrs.get("href")):
                return text
            return str(super().convert_a(el, text, parent_tags))  # type: ignore[misc]

        # Inline base64 images (exported notebooks, pasted screenshots) can be megabytes of noise.
        def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
            if str(el.attrs.get("src") or "").startswith("data:") or _unsafe_url(el.attrs.get("src")):
                return str(el.attrs.get("alt") or "")
            return str(super().convert_img(el, text, parent_tags))  # type: ignore[misc]

    return _Converter(
        heading_style="ATX",
        bullets="-",
        escape_underscores=False,  # val_loss, learning_rate: keep them readable
        escape_asterisks=False,
        table_infer_header=True,
    )


def html_to_markdown(html: str, *, display: str) -> str:
    """Convert an HTML document or fragment to Markdown (ATX headings, pipe tables)."""
    try:
        from bs4 import BeautifulSoup
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError(
            "reading HTML needs beautifulsoup4 and markdownify (pip install beautifulsoup4 markdownify)", path=display
        ) from None

    try:
        converter = _converter()
    except ImportError:  # pragma: no cover - depends on the installation
        raise InputError("reading HTML needs markdownify (pip install markdownify)", path=display) from None

    try:
        with warnings.catch_warnings():
            # bs4 warns when markup looks like a file name or URL; the caller chose to parse it.
            warnings.simplefilter("ignore")
            soup = BeautifulSoup(html, "html.parser")
            for element in soup.find_all(_DROP):
                element.decompose()
            root = soup.body or soup
            markdown = converter.convert_soup(root)
    except RecursionError:
        raise InputError("is not usable HTML (nested too deeply)", path=display) from None
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


def read_html_text(text: str, *, display: str, path: str | None) -> Notes:
    markdown = html_to_markdown(text, display=display)
    buffer = LineBuffer()
    buffer.add(markdown, display)
    notes_text, origins = buffer.finish(
        display=display,
        empty="is empty"
        if not text.strip()
        else "is empty (no text left after removing scripts, styles and navigation)",
        collapse_blank=True,
    )
    return Notes(path=path, format="html", text=notes_text, origins=origins)
