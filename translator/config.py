"""Project configuration: ``[tool.translator]`` in pyproject.toml, or ``.translator.toml``.

The nearest file found walking up from the working directory wins (``.translator.toml`` before
pyproject.toml in the same folder). Command-line options override config; config overrides
built-in defaults. Unknown keys are an error, so that a typo does not silently do nothing.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from translator.errors import ConfigError


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # score
    rubric: str | None = Field(default=None, description="rubric kind or path used for every document")
    kind: str | None = None
    fail_under: float | None = Field(default=None, ge=0, le=100)
    fail_on: Literal["error", "warning", "info"] = "error"
    format: Literal["table", "json", "sarif", "junit", "github"] = "table"
    max_bytes: int = Field(default=5_000_000, gt=0)
    # draft and batch
    engine: Literal["auto", "offline", "openai", "local"] = "auto"
    model: str | None = None
    base_url: str | None = None
    max_repairs: int = Field(default=2, ge=0, le=10)
    structured_output: Literal["auto", "json_schema", "json_object", "tools", "json"] = "auto"
    timeout: float | None = Field(
        default=None, gt=0, description="longest silence from the model server, s (default 60; 600 on loopback)"
    )
    max_tokens: int | None = Field(
        default=None, gt=0, description="cap on each model answer, tokens (default: none; 1024 on the local engine)"
    )
    cache: bool = True
    prices: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="model -> {input, output} USD per 1M tokens, overriding the built-in table"
    )
    # batch
    concurrency: int = Field(default=4, ge=1, le=256)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)

    source: str | None = Field(default=None, exclude=True)


def load_config(start: Path | None = None) -> Config:
    """The configuration in force for ``start`` (default: the working directory)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        dotfile = folder / ".translator.toml"
        if dotfile.is_file():
            return _parse(dotfile, _read_toml(dotfile))
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
    normalised = {key.replace("-", "_"): value for key, value in table.items()}
    try:
        config = Config.model_validate(normalised)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = prefix + ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {field}: {first['msg']}") from None
    config.source = str(path)
    return config
