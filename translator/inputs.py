"""Expand command-line inputs (files, folders, globs, "-") into the files to process.

A bad argument never stops the others: it becomes a problem for the report, and the rest are
still processed.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"
_GLOB_CHARS = set("*?[")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


def expand_inputs(arguments: Iterable[str], suffixes: tuple[str, ...]) -> Iterator[str | Problem]:
    """Yield each file to process (as a path string, or "-" for stdin), or a Problem.

    Folders are searched recursively for files with one of ``suffixes`` (hidden folders and
    virtual environments skipped); a glob expands like the shell's, with ``**``.
    Each file is yielded once even when two arguments name it.
    """
    seen: set[str] = set()
    for argument in arguments:
        if argument == STDIN:
            yield STDIN
            continue
        if any(ch in argument for ch in _GLOB_CHARS) and not Path(argument).exists():
            matches = sorted(m for m in glob.glob(argument, recursive=True) if Path(m).is_file())
            if not matches:
                yield Problem(argument, "no file matches this pattern")
            for match in matches:
                if match not in seen:
                    seen.add(match)
                    yield match
            continue
        path = Path(argument)
        if path.is_dir():
            found = sorted(_walk(path, suffixes))
            if not found:
                yield Problem(argument, f"folder holds no {' or '.join(suffixes)} files")
            for file in found:
                if file not in seen:
                    seen.add(file)
                    yield file
        elif path.exists():
            if argument not in seen:
                seen.add(argument)
                yield argument
        else:
            yield Problem(argument, "does not exist")


def _walk(folder: Path, suffixes: tuple[str, ...]) -> Iterator[str]:
    for entry in folder.iterdir():
        if entry.is_dir():
            if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                yield from _walk(entry, suffixes)
        elif entry.suffix.lower() in suffixes and entry.is_file():
            yield str(entry)


def refuse_a_path_as_text(text: str, *, instead: str) -> None:
    """A str the Python API reads as text must not be a file's name: ``score("spec.md")`` would
    otherwise score the eight characters "spec.md" and report 15/100 without an error."""
    if "\n" in text or len(text) > 4096:
        return
    try:
        names_a_file = Path(text.strip()).is_file()
    except (OSError, ValueError):  # not a possible path at all
        return
    if names_a_file:
        from translator.errors import InputError

        raise InputError(f"{text!r} names a file, and a str is read as text: {instead}")
