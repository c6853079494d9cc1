"""The one registry of check types: what a rubric's ``check:`` may name, and what it may say.

Each check type is declared once, next to its function in ``checks.py``, with a strict pydantic
model of its ``params`` (unknown keys are errors, the Vale and Spectral pattern). Everything
else is derived from here: the names ``translator rubrics check`` accepts, which checks need a
``concern`` or a ``require``, and the typed options a check receives. So a rubric that says
``max_word: 60`` is refused with its file and line instead of silently keeping the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from translator.rubric.checks import CheckContext
    from translator.rubric.model import Criterion
    from translator.rubric.report import Finding


class Params(BaseModel):
    """Base of every check's params model: strict, frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def signal_names(self) -> list[str]:
        """Vocabulary signals the params refer to, which the loader checks exist."""
        return []


class NoParams(Params):
    """For checks that take no params."""


CheckFunction = Callable[["CheckContext", "Criterion", Any], "list[Finding]"]


@dataclass(frozen=True)
class CheckType:
    name: str
    run: CheckFunction
    params: type[Params]
    needs_concern: bool  # judges one concern (concern: is required)
    needs_require: bool  # needs signal groups (require: [[signal, ...]])
    # Whether the score path can judge it from the document alone. Grounding needs the notes,
    # so only the draft gate runs it; `translator score` reports it as not applicable.
    needs_notes: bool = False


_TYPES: dict[str, CheckType] = {}


def register(
    name: str,
    *,
    params: type[Params] = NoParams,
    concern: bool = False,
    require: bool = False,
    notes: bool = False,
) -> Callable[[CheckFunction], CheckFunction]:
    def decorate(function: CheckFunction) -> CheckFunction:
        if name in _TYPES:
            raise RuntimeError(f"check type {name!r} is registered twice")
        _TYPES[name] = CheckType(name, function, params, concern, require, notes)
        return function

    return decorate


def check_types() -> dict[str, CheckType]:
    """Every registered check type, by name."""
    # The check functions register themselves when their modules load; the rubric model may
    # ask before anything else has imported them (an import already done costs nothing).
    from translator.rubric import checks, grounding_rule  # noqa: F401

    return _TYPES


def check_type(name: str) -> CheckType:
    types = check_types()
    found = types.get(name)
    if found is None:
        raise ValueError(f"unknown check {name!r}; the check types are: {', '.join(sorted(types))}")
    return found
