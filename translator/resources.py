"""Where the built-in rubrics, prompts and templates live.

They are kept at the top of the repository (rubrics/, prompts/, templates/) so that they read as data, and
the wheel carries them as translator/_data/. An editable install or a source checkout finds
them beside the package instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder of built-in data files called ``name`` ("rubrics", "prompts" or "templates")."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in {name} folder not found beside {_PACKAGE_DIR}")
