"""Output names for batch inputs: mirror the input folders, never escape the output folder.

``reports/2023/q1 eval.ipynb`` under root ``reports`` becomes ``2023/q1 eval.spec.md``. Each part
is cleaned of characters that are unsafe in file names; ``..`` and absolute paths cannot lead
outside the output folder. Two inputs that would share a name (``a.md`` and ``a.txt``) are told
apart by their extension (``a.txt.spec.md``).
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path, PurePath

_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_MAX_PART = 120


def mirror_root(arguments: list[str]) -> Path:
    """The folder outputs mirror: a folder argument itself, a glob's fixed prefix, a file's
    parent; several arguments share their deepest common folder."""
    folders = []
    for argument in arguments:
        path = Path(argument)
        if any(ch in argument for ch in "*?[") and not path.exists():
            fixed = list(itertools.takewhile(lambda part: not any(ch in part for ch in "*?["), path.parts))
            folders.append(str(Path(*fixed).resolve() if fixed else Path(".").resolve()))
        else:
            folders.append(str(path.resolve() if path.is_dir() else path.resolve().parent))
    return Path(os.path.commonpath(folders)) if folders else Path(".").resolve()


def _clean(part: str) -> str:
    part = _UNSAFE.sub("_", part).strip(" .") or "_"
    return part[:_MAX_PART]


class OutputNamer:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._taken: dict[str, str] = {}  # output base (casefolded) -> input that owns it

    def base(self, input_path: str) -> PurePath:
        """The output path without its suffixes, relative to the output folder."""
        resolved = Path(input_path).resolve()
        try:
            relative: PurePath = resolved.relative_to(self.root)
        except ValueError:
            relative = PurePath(resolved.name)
        parts = [_clean(p) for p in relative.parent.parts if p not in ("", ".", "..", os.sep)]
        stem = _clean(relative.stem)
        candidate = PurePath(*parts, stem)
        key = str(candidate).casefold()
        owner = self._taken.get(key)
        if owner is not None and owner != input_path:
            candidate = PurePath(*parts, _clean(relative.name))  # keep the extension to tell them apart
            key = str(candidate).casefold()
            number = 2
            while self._taken.get(key, input_path) != input_path:
                candidate = PurePath(*parts, f"{_clean(relative.name)}-{number}")
                key = str(candidate).casefold()
                number += 1
        self._taken[key] = input_path
        return candidate


def output_bases(arguments: list[str], files: list[str]) -> dict[str, PurePath]:
    """Every input's output base (path without suffixes, relative to the output folder), named
    before any is drafted so that collisions resolve in input order. Both batch modes use it."""
    namer = OutputNamer(mirror_root([a for a in arguments if a != "-"]))
    return {path: namer.base(path) for path in files}
