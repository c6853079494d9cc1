"""Expand command-line inputs (files, folders, globs, "-") into the files to process.

A bad argument never stops the others: it becomes a problem for the report, and the rest are
still processed. Files and folders are known by their resolved identity (device and inode), so
a folder reached twice (a symlink loop such as ``sub/up -> ..``) is walked once and a file
named twice is processed once. Inside a folder only regular files are taken: a FIFO would
block the reader forever, so it is skipped with a message.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

STDIN = "-"
_GLOB_CHARS = set("*?[")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


@dataclass(frozen=True)
class Skipped:
    """A file left out on purpose (the tool's own output, say), with why: not a failure."""

    path: str
    message: str


# Whether to leave a file out: a reason, or None to keep it. ``explicit``: the user named it.
FileFilter = Callable[[Path, bool], str | None]
# Whether to walk into a folder found inside a folder argument.
FolderFilter = Callable[[Path], bool]


def expand_inputs(
    arguments: Iterable[str],
    suffixes: tuple[str, ...],
    *,
    regular_only: bool = False,
    skip_file: FileFilter | None = None,
    walk_folder: FolderFilter | None = None,
) -> Iterator[str | Problem | Skipped]:
    """Yield each file to process (as a path string, or "-" for stdin), a Problem, or a Skipped.

    Folders are searched recursively for regular files with one of ``suffixes`` (hidden folders,
    virtual environments and folders ``walk_folder`` refuses skipped); a glob expands like the
    shell's, with ``**``. ``regular_only``: a named file that is not a regular file (a FIFO, a
    device) is a problem too; otherwise pipes such as ``<(cmd)`` are allowed when named.
    """
    walk = _Walk(suffixes, regular_only, skip_file, walk_folder or (lambda _: True))
    for argument in arguments:
        if argument == STDIN:
            yield STDIN
            continue
        if any(ch in argument for ch in _GLOB_CHARS) and not Path(argument).exists():
            matches = sorted(m for m in glob.glob(argument, recursive=True) if Path(m).is_file())
            if not matches:
                yield Problem(argument, "no file matches this pattern")
            for match in matches:
                yield from walk.file(Path(match), explicit=False)
            continue
        path = Path(argument)
        if path.is_dir():
            found = list(walk.folder(path, top=True))
            names = sorted(item for item in found if isinstance(item, str))  # the order of a sorted walk
            if not found:
                yield Problem(argument, f"folder holds no {' or '.join(suffixes)} files")
            yield from names
            yield from (item for item in found if not isinstance(item, str))
        elif path.exists():
            yield from walk.file(path, explicit=True)
        else:
            yield Problem(argument, "does not exist")


class _Walk:
    def __init__(
        self,
        suffixes: tuple[str, ...],
        regular_only: bool,
        skip_file: FileFilter | None,
        walk_folder: FolderFilter,
    ) -> None:
        self.suffixes = suffixes
        self.regular_only = regular_only
        self.skip_file = skip_file
        self.walk_folder = walk_folder
        self.files: set[tuple[int, int]] = set()
        self.folders: set[tuple[int, int]] = set()

    def file(self, path: Path, *, explicit: bool) -> Iterator[str | Problem | Skipped]:
        try:
            st = path.stat()
        except OSError as exc:
            yield Problem(str(path), f"cannot be read ({exc.strerror or exc.__class__.__name__})")
            return
        if not stat.S_ISREG(st.st_mode):
            if not explicit or self.regular_only:
                yield Problem(str(path), f"is not a regular file ({_kind(st.st_mode)}); skipped")
                return
            yield str(path)  # a pipe named on purpose (<(cmd)): read as a stream
            return
        identity = (st.st_dev, st.st_ino)
        if identity in self.files:
            return
        self.files.add(identity)
        reason = self.skip_file(path, explicit) if self.skip_file is not None else None
        if reason is not None:
            yield Skipped(str(path), reason)
            return
        yield str(path)

    def folder(self, folder: Path, *, top: bool = False) -> Iterator[str | Problem | Skipped]:
        try:
            st = folder.stat()
        except OSError as exc:
            yield Problem(str(folder), f"cannot be read ({exc.strerror or exc.__class__.__name__})")
            return
        identity = (st.st_dev, st.st_ino)
        if identity in self.folders:
            if top:
                yield Skipped(str(folder), "was already searched (named twice, or reached through a link)")
            return  # a symlink loop, or a folder reached twice: once is enough
        self.folders.add(identity)
        if not self.walk_folder(folder):
            if top:
                yield Skipped(str(folder), "is an output folder of translator; its files are outputs, not inputs")
            return
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Problem(str(folder), f"cannot be listed ({exc.strerror or exc.__class__.__name__})")
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if entry.name not in _SKIP_DIRS and not entry.name.startswith("."):
                    yield from self.folder(path)
            elif path.suffix.lower() in self.suffixes:
                yield from self.file(path, explicit=False)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


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
