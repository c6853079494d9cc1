"""Project configuration: ``[tool.translator]`` in pyproject.toml, or ``.translator.toml``.

The nearest file found walking up from the working directory wins (``.translator.toml`` before
pyproject.toml in the same folder). Command-line options override config; config overrides
built-in defaults. Unknown keys are an error, so that a typo does not silently do nothing.

`translator score` reads this on every run, so it is a dataclass checked by the small table
below rather than a pydantic model: importing pydantic alone would cost more start-up time than
the whole of a one-file score may take.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from translator.errors import ConfigError


@dataclass
class Config:
    # score
    rubric: str | None = None  # rubric kind or path used for every document
    kind: str | None = None
    fail_under: float | None = None
    fail_on: str = "error"
    format: str = "table"
    max_bytes: int = 5_000_000
    # draft and batch
    engine: str = "auto"
    model: str | None = None
    base_url: str | None = None
    max_repairs: int = 2
    structured_output: str = "auto"
    timeout: float | None = None  # longest silence from the model server, s (default 60; 600 on loopback)
    max_tokens: int | None = None  # cap on each model answer, tokens (default: none; 1024 on the local engine)
    cache: bool = True
    # model -> {input, output} USD per 1M tokens, overriding the built-in table
    prices: dict[str, dict[str, float]] = field(default_factory=dict)
    # batch
    concurrency: int = 4
    rpm: int | None = None
    tpm: int | None = None

    source: str | None = None  # the file the values came from; not a key of that file


class _Invalid(ValueError):
    """One value that does not fit: the message, and the keys below the field that lead to it."""

    def __init__(self, message: str, loc: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.loc = loc


Check = Callable[[Any], Any]


def _text(value: Any) -> Any:
    if not isinstance(value, str):
        raise _Invalid("Input should be a valid string")
    return value


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


def _choice(*options: str) -> Check:
    said = ", ".join(repr(o) for o in options[:-1]) + f" or {options[-1]!r}"

    def check(value: Any) -> Any:
        if value not in options:
            raise _Invalid(f"Input should be {said}")
        return value

    return check


def _number(*, integer: bool, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Check:
    def check(value: Any) -> Any:
        # TOML gives ints and floats; a bool is neither, though Python says it is an int.
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid("Input should be a valid integer" if integer else "Input should be a valid number")
        if integer and not float(value).is_integer():
            raise _Invalid("Input should be a valid integer, got a number with a fractional part")
        if gt is not None and not value > gt:
            raise _Invalid(f"Input should be greater than {gt:g}")
        if ge is not None and not value >= ge:
            raise _Invalid(f"Input should be greater than or equal to {ge:g}")
        if le is not None and not value <= le:
            raise _Invalid(f"Input should be less than or equal to {le:g}")
        return int(value) if integer else float(value)

    return check


def _boolean(value: Any) -> Any:
    if not isinstance(value, bool):
        raise _Invalid("Input should be a valid boolean")
    return value


def _prices(value: Any) -> Any:
    if not isinstance(value, dict):
        raise _Invalid("Input should be a valid dictionary")
    number = _number(integer=False)
    table: dict[str, dict[str, float]] = {}
    for model, rates in value.items():
        if not isinstance(rates, dict):
            raise _Invalid("Input should be a valid dictionary", (model,))
        table[model] = {}
        for name, rate in rates.items():
            try:
                table[model][name] = number(rate)
            except _Invalid as exc:
                raise _Invalid(str(exc), (model, name)) from None
    return table


# Every key a file may set, and what its value must be (the messages are pydantic's wording,
# which the configuration's errors used before).
_CHECKS: dict[str, Check] = {
    "rubric": _optional(_text),
    "kind": _optional(_text),
    "fail_under": _optional(_number(integer=False, ge=0, le=100)),
    "fail_on": _choice("error", "warning", "info"),
    "format": _choice("table", "json", "sarif", "junit", "github"),
    "max_bytes": _number(integer=True, gt=0),
    "engine": _choice("auto", "offline", "openai", "local"),
    "model": _optional(_text),
    "base_url": _optional(_text),
    "max_repairs": _number(integer=True, ge=0, le=10),
    "structured_output": _choice("auto", "json_schema", "json_object", "tools", "json"),
    "timeout": _optional(_number(integer=False, gt=0)),
    "max_tokens": _optional(_number(integer=True, gt=0)),
    "cache": _boolean,
    "prices": _prices,
    "concurrency": _number(integer=True, ge=1, le=256),
    "rpm": _optional(_number(integer=True, gt=0)),
    "tpm": _optional(_number(integer=True, gt=0)),
}
assert set(_CHECKS) == {f.name for f in fields(Config)} - {"source"}, "every Config field has its check"


def load_config(start: Path | None = None) -> Config:
    """The configuration in force for ``start`` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        dotfile = folder / ".translator.toml"
        if dotfile.is_file():
            data = _read_toml(dotfile)
            if set(data) == {"tool"} and isinstance(data["tool"], dict) and "translator" in data["tool"]:
                # written as the README shows pyproject's table: [tool.translator] means the same here
                return _parse(dotfile, data["tool"]["translator"], prefix="tool.translator.")
            return _parse(dotfile, data)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("translator")
            if table is not None:
                return _parse(pyproject, table, prefix="tool.translator.")
    return Config()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__})") from None


def _parse(path: Path, table: Any, prefix: str = "") -> Config:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.') or 'translator'}] must be a table")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        check = _CHECKS.get(key)
        try:
            if check is None:
                raise _Invalid("Extra inputs are not permitted")
            values[key] = check(value)
        except _Invalid as exc:
            raise ConfigError(f"{path}: {prefix}{'.'.join((key, *exc.loc))}: {exc}") from None
    return Config(**values, source=str(path))
