"""Jupyter notebooks: the cells that carry findings, without the debugging around them.

Kept: markdown cells; code cells as fenced code; their table outputs (as Markdown tables), text
results (``text/plain`` of execute_result/display_data, stdout streams) as ``text`` fences, and
``text/markdown`` outputs as they are.

Dropped: empty cells, raw cells, cells tagged ``debug`` or ``scratch`` (any case), error outputs,
stderr streams, object reprs of figures (``<Figure size ...>``), and pure inspection cells such as
``df.head()`` or ``print(x)`` (see :func:`is_inspection_cell`), together with their outputs. A cell
tagged ``keep`` is never dropped as an inspection cell.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from typing import Any

from translator.errors import InputError
from translator.sources.html import html_to_markdown
from translator.sources.model import Notes
from translator.sources.text import LineBuffer, _one_line, fence, normalise_newlines, split_front_matter

DROP_TAGS = frozenset({"debug", "scratch"})
KEEP_TAG = "keep"

INSPECTION_FUNCTIONS = frozenset({"print", "len", "type", "display"})
INSPECTION_METHODS = frozenset({"head", "tail", "info", "describe", "value_counts", "sample", "nunique"})

# Long text outputs (training logs) are cut to their first and last lines.
MAX_OUTPUT_LINES = 40

_OBJECT_REPR = re.compile(r"^\[?<[^\n<>]*(?: at 0x[0-9a-fA-F]+|Figure size [^\n<>]*)>\]?$")


def is_inspection_cell(source: str) -> bool:
    """True when every statement only looks at a value: ``df``, ``df.shape``, ``df.head()``,
    ``len(x)``, ``print(x)``, ``display(x)``... Comments do not count; a cell of comments only,
    or one that does not parse (magics), is not an inspection cell."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for odd escapes in user code
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(tree.body) and all(
        isinstance(statement, ast.Expr) and _is_inspection_expression(statement.value) for statement in tree.body
    )


def _is_inspection_expression(node: ast.expr) -> bool:
    if isinstance(node, (ast.Name, ast.Attribute)):
        return True
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id in INSPECTION_FUNCTIONS
        if isinstance(func, ast.Attribute):
            return func.attr in INSPECTION_METHODS
    return False


def _text(value: Any) -> str:
    """nbformat fields are str, but multiline fields may be lists of str in the JSON."""
    if isinstance(value, list):
        value = "".join(str(part) for part in value)
    return normalise_newlines(value) if isinstance(value, str) else ""


def _cap(text: str) -> str:
    lines = text.strip("\n").split("\n")
    if len(lines) <= MAX_OUTPUT_LINES:
        return "\n".join(lines)
    half = MAX_OUTPUT_LINES // 2
    omitted = len(lines) - 2 * half
    return "\n".join([*lines[:half], f"... ({omitted} lines omitted) ...", *lines[-half:]])


def _render_output(output: Any, display: str) -> str | None:
    kind = output.get("output_type")
    if kind == "stream":
        text = _text(output.get("text"))
        if output.get("name") == "stderr" or not text.strip():
            return None
        return fence(_cap(text), "text")
    if kind not in ("execute_result", "display_data"):
        return None  # "error", and anything unknown
    data = output.get("data") or {}
    html = _text(data.get("text/html"))
    if "<table" in html.lower():
        table = html_to_markdown(html, display=display)
        if table.strip():
            return table
    markdown = _text(data.get("text/markdown"))
    if markdown.strip():
        return markdown.strip("\n")
    plain = _text(data.get("text/plain"))
    if plain.strip() and not _OBJECT_REPR.match(plain.strip()):
        return fence(_cap(plain), "text")
    return None


def _tags(cell: Any) -> set[str]:
    tags = (cell.get("metadata") or {}).get("tags") or []
    return {str(tag).strip().lower() for tag in tags} if isinstance(tags, list) else set()


def _parse(text: str, display: str) -> Any:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); is it a Jupyter notebook?",
            path=display,
        ) from None
    except RecursionError:
        raise InputError("is not a valid notebook (JSON nested too deeply)", path=display) from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise InputError("is not a Jupyter notebook (no top-level 'nbformat' key)", path=display)

    import nbformat
    from nbformat.reader import reads as read_any_version

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MissingIDFieldWarning and friends
        try:
            # nbformat.reads(as_version=4) would only log validation errors; do its steps here
            # so that an invalid notebook is an InputError instead.
            notebook = nbformat.convert(read_any_version(text), 4)  # type: ignore[no-untyped-call]
            nbformat.validate(notebook)
        except Exception as exc:
            reason = str(getattr(exc, "message", None) or exc).strip().split("\n")[0]
            raise InputError(f"is not a valid notebook ({_one_line(reason)})", path=display) from None
    return notebook


def _front_matter_cell(cells: list[Any]) -> int | None:
    """Index of the cell that may hold YAML front matter: the first markdown cell, or a raw
    first cell (the Quarto convention)."""
    if cells and cells[0].get("cell_type") == "raw":
        return 0
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown":
            return index
    return None


def read_notebook_text(text: str, *, display: str, path: str | None) -> Notes:
    notebook = _parse(text, display)
    metadata = notebook.get("metadata") or {}
    cells = list(notebook.get("cells") or [])

    language_info = metadata.get("language_info") or {}
    kernelspec = metadata.get("kernelspec") or {}
    language = str(language_info.get("name") or kernelspec.get("language") or "python").strip().lower()
    language = language if re.fullmatch(r"[\w+#.-]+", language) else "python"

    sources = [_text(cell.get("source")) for cell in cells]
    front_matter: dict[str, Any] = {}
    fm_index = _front_matter_cell(cells)
    if fm_index is not None:
        front_matter, sources[fm_index], _ = split_front_matter(
            sources[fm_index], display, where=f"front matter in cell {fm_index + 1}"
        )
    translator_meta = metadata.get("translator")
    if translator_meta is not None:
        if not isinstance(translator_meta, dict):
            raise InputError("notebook metadata 'translator' is not a mapping", path=display)
        front_matter = {**front_matter, **{str(k): v for k, v in translator_meta.items()}}

    buffer = LineBuffer()
    for index, (cell, source) in enumerate(zip(cells, sources, strict=False)):
        origin = f"{display} cell {index + 1}"
        tags = _tags(cell)
        if tags & DROP_TAGS or not source.strip():
            continue
        kind = cell.get("cell_type")
        blocks: list[str] = []
        if kind == "markdown":
            blocks.append(source.strip("\n"))
        elif kind == "code":
            if KEEP_TAG not in tags and language == "python" and is_inspection_cell(source):
                continue
            blocks.append(fence(source, language))
            for output in cell.get("outputs") or []:
                rendered = _render_output(output, display)
                if rendered:
                    blocks.append(rendered)
        else:
            continue  # raw cells are for nbconvert, not for readers
        for block in blocks:
            buffer.blank(origin)
            buffer.add(block, origin)

    notes_text, origins = buffer.finish(
        display=display,
        empty="is empty (no cells left after dropping empty, debug/scratch and inspection cells)"
        if cells
        else "is empty (the notebook has no cells)",
        collapse_blank=False,
    )
    return Notes(path=path, format="ipynb", text=notes_text, front_matter=front_matter, origins=origins)
