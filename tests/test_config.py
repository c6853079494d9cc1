"""The configuration reader: defaults, every key checked, one-line errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.config import Config, load_config
from translator.errors import ConfigError


def write(folder: Path, body: str, name: str = "pyproject.toml") -> Path:
    path = folder / name
    path.write_text(("[tool.translator]\n" if name == "pyproject.toml" else "") + body, encoding="utf-8")
    return path


def test_no_file_gives_the_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert (config.format, config.fail_on, config.max_bytes, config.concurrency) == ("table", "error", 5_000_000, 4)


def test_values_are_read_with_dashes_or_underscores(tmp_path: Path) -> None:
    write(
        tmp_path,
        'format = "json"\nfail-under = 80\nmax_bytes = 1000\ncache = false\ntimeout = 5\nrpm = 100\n'
        'prices = { "m" = { input = 1, output = 2.5 } }\n',
    )
    config = load_config(tmp_path)
    assert config.format == "json" and config.fail_under == 80.0 and config.max_bytes == 1000
    assert config.cache is False and config.timeout == 5.0 and config.rpm == 100
    assert config.prices == {"m": {"input": 1.0, "output": 2.5}}
    assert config.source == str(tmp_path / "pyproject.toml")


def test_the_dotfile_wins_and_is_found_from_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path, 'format = "json"\n')
    write(tmp_path, 'format = "github"\n', name=".translator.toml")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    assert load_config(tmp_path / "deep" / "er").format == "github"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("fail-under = 101\n", "tool.translator.fail_under: Input should be less than or equal to 100"),
        ('format = "html"\n', "tool.translator.format: Input should be 'table', 'json', 'sarif', 'junit' or 'github'"),
        ("formt = 'json'\n", "tool.translator.formt: Extra inputs are not permitted"),
        ("concurrency = 0\n", "tool.translator.concurrency: Input should be greater than or equal to 1"),
        ("concurrency = 2.5\n", "tool.translator.concurrency: Input should be a valid integer"),
        ("max-bytes = true\n", "tool.translator.max_bytes: Input should be a valid integer"),
        ("timeout = 0\n", "tool.translator.timeout: Input should be greater than 0"),
        ('cache = "yes"\n', "tool.translator.cache: Input should be a valid boolean"),
        ("model = 5\n", "tool.translator.model: Input should be a valid string"),
        ('prices = { "m" = { input = "cheap" } }\n', "tool.translator.prices.m.input: Input should be a valid number"),
        ("source = 'x'\n", "tool.translator.source: Extra inputs are not permitted"),
    ],
)
def test_a_bad_value_is_one_line_naming_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value).startswith(f"{path}: {message}")
    assert "\n" not in str(raised.value)


def test_bad_toml_and_a_table_that_is_not_one(tmp_path: Path) -> None:
    write(tmp_path, "format = \n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool]\ntranslator = "json"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[tool.translator\] must be a table"):
        load_config(tmp_path)
