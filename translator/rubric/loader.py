"""Load rubrics and the vocabulary from YAML, with errors that name file, line and field.

A rubric may ``extends:`` a built-in kind or another file. Criteria merge by id: a child entry
with an existing id overrides only the fields it names (so ``{id: lineage-present, severity:
warning}`` re-weighs a built-in rule), a new id adds a criterion, and ``disable: [ids]``
removes criteria. The merged result is validated as a whole.
"""

from __future__ import annotations

from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from translator.errors import RubricError
from translator.resources import data_dir
from translator.rubric.model import Rubric, Vocabulary

VOCABULARY_FILE = "vocabulary.yaml"
_MAX_EXTENDS_DEPTH = 8


def builtin_kinds() -> list[str]:
    """Names of the built-in rubrics (the spec kinds plus ``general``)."""
    return list(_builtin_kinds())


# The built-in rubrics are package data: they do not change while a process runs, so the folder
# is listed once and each built-in kind is loaded once, without a path resolve or a stat per
# call (the scorer asks for every kind's detection terms for every document).
@cache
def _builtin_kinds() -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in data_dir("rubrics").glob("*.yaml") if path.name != VOCABULARY_FILE))


@cache
def load_vocabulary() -> Vocabulary:
    path = data_dir("rubrics") / VOCABULARY_FILE
    data, node = _read_yaml(path)
    try:
        return Vocabulary.model_validate(data, context={"builtin": True})
    except ValidationError as exc:
        raise _rubric_error(path, node, exc) from None


def load_rubric(name_or_path: str | Path) -> Rubric:
    """Load a built-in rubric by kind name ("feature-spec") or a rubric file by path.

    A file is read again when it changes (its mtime); a built-in kind is loaded once."""
    name = str(name_or_path)
    if name in _builtin_kinds():
        return _load_builtin(name)
    path = _resolve(name, base=None)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise RubricError(f"rubric {name_or_path!s} not found") from None
    return _load_rubric_cached(str(path), mtime)


@cache
def _load_builtin(kind: str) -> Rubric:
    path = data_dir("rubrics") / f"{kind}.yaml"
    return _load_rubric_cached(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=64)
def _load_rubric_cached(path: str, _mtime: int) -> Rubric:
    merged, node, file = _merge_chain(Path(path), depth=0)
    merged.pop("extends", None)
    merged.pop("disable", None)
    merged["criteria"] = list(merged["criteria"].values())
    merged["source"] = path
    try:
        rubric = Rubric.model_validate(merged, context={"builtin": _is_builtin(Path(path))})
    except ValidationError as exc:
        ids = [str(c.get("id")) for c in merged["criteria"]]
        raise _rubric_error(file, node, exc, criterion_ids=ids) from None
    _check_references(rubric, file)
    return rubric


def _is_builtin(path: Path) -> bool:
    return path.resolve().parent == data_dir("rubrics").resolve()


def _merge_chain(path: Path, depth: int) -> tuple[dict[str, Any], yaml.Node | None, Path]:
    if depth > _MAX_EXTENDS_DEPTH:
        raise RubricError(f"{path}: extends: chain is deeper than {_MAX_EXTENDS_DEPTH} (a cycle?)")
    data, node = _read_yaml(path)
    if not isinstance(data, dict):
        raise RubricError(f"{path}:1: a rubric must be a mapping with version, kind and criteria")
    criteria = data.get("criteria", [])
    if not isinstance(criteria, list):
        raise RubricError(f"{path}:{_line(node, ['criteria'])}: criteria: must be a list")
    base: dict[str, Any] = {"criteria": {}}
    parent = data.get("extends")
    if parent is not None:
        if not isinstance(parent, str):
            raise RubricError(f"{path}:{_line(node, ['extends'])}: extends: must be a kind name or a path")
        base, _, _ = _merge_chain(_resolve(parent, base=path.parent), depth + 1)
        base.pop("detect", None)  # detection describes the child kind, not its parent
    merged_criteria: dict[str, dict[str, Any]] = dict(base["criteria"])
    for index, entry in enumerate(criteria):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise RubricError(
                f"{path}:{_line(node, ['criteria', index])}: criteria[{index}]: each criterion needs an id"
            )
        merged_criteria[entry["id"]] = {**merged_criteria.get(entry["id"], {}), **entry}
    disabled = data.get("disable", []) or []
    if not isinstance(disabled, list):
        raise RubricError(f"{path}:{_line(node, ['disable'])}: disable: must be a list of criterion ids")
    for rule in disabled:
        if rule not in merged_criteria:
            raise RubricError(f"{path}:{_line(node, ['disable'])}: disable: no criterion {rule!r} to disable")
        del merged_criteria[rule]
    merged = {**base, **{k: v for k, v in data.items() if k != "criteria"}, "criteria": merged_criteria}
    return merged, node, path


def _check_references(rubric: Rubric, file: Path) -> None:
    vocabulary = load_vocabulary()
    for criterion in rubric.criteria:
        where = f"{file}: criterion {criterion.id!r}"
        if criterion.concern is not None and criterion.concern not in vocabulary.concerns:
            known = ", ".join(sorted(vocabulary.concerns))
            raise RubricError(f"{where}: concern {criterion.concern!r} is not in the vocabulary ({known})")
        for signal in criterion.options.signal_names():
            if signal not in vocabulary.signals:
                raise RubricError(f"{where}: params name unknown signal {signal!r}")
        for group in criterion.require:
            for signal in group:
                if signal not in vocabulary.signals:
                    raise RubricError(f"{where}: require names unknown signal {signal!r}")


def _resolve(name: str, base: Path | None) -> Path:
    """A kind name resolves to a built-in rubric; anything else is a path."""
    builtin = data_dir("rubrics") / f"{name}.yaml"
    if "/" not in name and "\\" not in name and not name.endswith((".yaml", ".yml")):
        if builtin.is_file():
            return builtin
        raise RubricError(f"unknown rubric {name!r}; built-in kinds are: {', '.join(builtin_kinds())}")
    path = Path(name)
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise RubricError(f"rubric file {path} not found")
    return path


# libyaml's loader where the wheel has it: the score path loads every rubric for detection.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise RubricError(f"{path}: cannot read rubric ({exc.__class__.__name__})") from None
    return _read_yaml_cached(str(path), mtime)


@lru_cache(maxsize=64)
def _read_yaml_cached(path: str, _mtime: int) -> tuple[Any, yaml.Node | None]:
    """One parse gives both the data and the node tree (for the line numbers of errors)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path}: cannot read rubric ({exc.__class__.__name__})") from None
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"{mark.line + 1}" if mark is not None else "1"
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RubricError(f"{path}:{line}: {problem}") from None
    finally:
        loader.dispose()
    return data, node


_CRITERION_FIELDS = {"check", "concern", "require", "params"}


def _rubric_error(
    path: Path, node: yaml.Node | None, exc: ValidationError, criterion_ids: list[str] | None = None
) -> RubricError:
    first = exc.errors()[0]
    loc = list(first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    field_path = message.split(": ", 1)[0]
    if field_path.split(".")[0] in _CRITERION_FIELDS and ": " in message:
        # The criterion's own validator names the field it refused (its check type, a param):
        # point at that field, not at the whole criterion.
        message = message.split(": ", 1)[1]
        loc += field_path.split(".")
    field = ".".join(str(part) for part in loc) or "(top level)"
    if criterion_ids is not None and len(loc) >= 2 and loc[0] == "criteria" and isinstance(loc[1], int):
        # Merged criteria are re-indexed: find the failing one in this file by its id.
        ident = criterion_ids[loc[1]] if loc[1] < len(criterion_ids) else None
        field = f"criteria[{ident}]." + ".".join(str(part) for part in loc[2:])
        loc = ["criteria", _index_of(node, ident), *loc[2:]]
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return RubricError(f"{path}:{_line(node, loc)}: {field}: {message}{more}")


def _index_of(node: yaml.Node | None, ident: str | None) -> int:
    criteria = _child(node, "criteria")
    if isinstance(criteria, yaml.SequenceNode):
        for index, item in enumerate(criteria.value):
            id_node = _child(item, "id")
            if isinstance(id_node, yaml.ScalarNode) and id_node.value == ident:
                return index
    return -1


def _child(node: yaml.Node | None, key: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                found: yaml.Node = value_node
                return found
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        item: yaml.Node = node.value[key]
        return item
    return None


def _line(node: yaml.Node | None, loc: list[Any]) -> int:
    """1-based line of the deepest YAML node the pydantic location reaches."""
    best = node
    for part in loc:
        child = _child(best, part)
        if child is None:
            break
        best = child
    return best.start_mark.line + 1 if best is not None else 1
