"""The public surface is pinned (httpx's tests/test_exported_members.py pattern): ``__all__`` is
exactly what the package exports, and every type that appears in a public signature, or in a
field of a public model, is itself exported from ``translator``."""

from __future__ import annotations

import inspect
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import translator
from translator import errors

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "notes" / "fraud-velocity.md"
SPEC = Path(__file__).resolve().parents[1] / "examples" / "specs" / "churn-feature.md"


def test_all_is_what_the_package_exports() -> None:
    exported = set(translator._EXPORTS) | {"__version__"}
    assert set(translator.__all__) == exported
    assert len(translator.__all__) == len(exported)  # no duplicates
    for name in translator.__all__:
        assert getattr(translator, name) is not None, name


def test_every_error_class_is_in_the_tree_and_exported() -> None:
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    assert {c.__name__ for c in classes} <= set(translator.__all__)
    assert all(issubclass(c, translator.TranslatorError) for c in classes)
    assert issubclass(translator.OutputInvalid, translator.ModelServiceError)
    assert issubclass(translator.Refused, translator.ModelServiceError)
    assert translator.Refused("x").exit_code == 4 and translator.InputError("x").exit_code == 2


def _classes_in(annotation: object) -> set[type]:
    """The translator classes an annotation mentions (through unions, generics, Literal...)."""
    found: set[type] = set()
    if isinstance(annotation, type):
        if annotation.__module__.startswith("translator"):
            found.add(annotation)
        return found
    for argument in typing.get_args(annotation):
        found |= _classes_in(argument)
    return found


def _hints(obj: object) -> dict[str, object]:
    namespace = {name: getattr(translator, name) for name in translator.__all__}
    return typing.get_type_hints(obj, localns=namespace)


def _public_types() -> set[type]:
    """Every translator class reachable from the exported functions and classes."""
    seen: set[type] = set()
    todo: list[object] = [getattr(translator, name) for name in translator.__all__]
    while todo:
        obj = todo.pop()
        hints: dict[str, object] = {}
        if isinstance(obj, types.FunctionType):
            hints = _hints(obj)
        elif isinstance(obj, type) and obj.__module__.startswith("translator") and obj not in seen:
            seen.add(obj)
            if issubclass(obj, BaseModel):
                hints = {name: field.annotation for name, field in obj.model_fields.items()}
            elif not issubclass(obj, Exception):
                hints = {k: v for k, v in _hints(obj).items() if not k.startswith("_")}
            for name, member in inspect.getmembers(obj):
                if isinstance(member, property) and not name.startswith("_") and member.fget is not None:
                    hints[name] = _hints(member.fget).get("return")
                elif (
                    inspect.isfunction(member)
                    and not name.startswith("_")
                    and member.__module__.startswith("translator")
                ):
                    hints.update({f"{name}.{k}": v for k, v in _hints(member).items()})
        for annotation in hints.values():
            todo.extend(_classes_in(annotation) - seen)
    return seen


def test_every_type_in_a_public_signature_is_exported() -> None:
    public = _public_types()
    assert {translator.Verdict, translator.Severity, translator.Finding, translator.Notes, translator.Usage} <= public
    missing = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in public
        if getattr(translator, cls.__name__, None) is not cls and not issubclass(cls, translator.SpecBase)
    )
    assert not missing, f"in public signatures but not exported from translator: {missing}"


def test_a_str_that_names_a_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(translator.InputError, match=r"names a file.*score_file"):
        translator.score(str(SPEC))
    monkeypatch.chdir(SPEC.parent)
    with pytest.raises(translator.InputError, match="names a file"):
        translator.score(SPEC.name)
    with pytest.raises(translator.InputError, match="names a file"):
        translator.draft(str(EXAMPLE))
    assert translator.score(SPEC) == translator.score_file(SPEC)  # a Path is the file
    assert translator.score("no-such-file.md").score < 50  # a str that names nothing is text
