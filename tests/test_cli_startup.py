"""What the CLI loads to start: each command imports only itself and what it needs.

Start-up time is measured by bench/score_speed.py, never asserted; these tests pin the cause of
a fast start instead, the set of modules a command imports, in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from translator.cli import COMMANDS, load_command

GOOD = Path(__file__).parent / "fixtures" / "specs" / "good-model-change.md"

# Third-party packages the score path may load: typer (and pydantic, which typer itself uses to
# coerce parameters; the rubric and report models use it too), the Markdown parser (pyromark),
# the signal matcher (re2) and YAML.
SCORE_PACKAGES = {
    "Stemmer",  # PyStemmer: the rubric's normalised word forms
    "typer",
    "shellingham",
    "annotated_doc",
    "typing_extensions",
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "yaml",
    "pyromark",
    "re2",
}
# The modules of this project the score path may load.
SCORE_MODULES = {
    "translator",
    "translator.cli",
    "translator.cli.score",
    "translator.config",
    "translator.errors",
    "translator.fileio",
    "translator.inputs",
    "translator.outputs",
    "translator.redact",
    "translator.resources",
    "translator.sources",
    "translator.sources.model",
    "translator.sources.text",
    "translator.yamlio",
}


def imported_by(args: list[str]) -> tuple[set[str], set[str]]:
    """(translator modules, third-party top-level packages) a fresh process has loaded after
    running the CLI with ``args``."""
    code = (
        "import io, json, sys, contextlib\n"
        "from translator.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main({args!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(json.loads(result.stdout.strip().splitlines()[-1]))
    ours = {m for m in modules if m.split(".")[0] == "translator"}
    # Extension internals (_yaml, _cython_*, cython_runtime) and set-up hooks are not packages.
    tops = {m.split(".")[0] for m in modules if not m.startswith("_") and m != "cython_runtime"}
    third_party = tops - set(sys.stdlib_module_names) - {"translator"}
    return ours, third_party


@pytest.mark.parametrize("extra", [["-f", "json"], ["-f", "sarif"], ["-f", "junit"], ["-f", "github"]])
def test_score_in_a_machine_format_imports_only_the_score_path(extra: list[str]) -> None:
    ours, third_party = imported_by(["score", str(GOOD), *extra])
    rubric = {m for m in ours if m.startswith("translator.rubric")}
    assert "translator.rubric.scoring" in rubric  # it did score
    assert ours - rubric == SCORE_MODULES
    assert third_party <= SCORE_PACKAGES, third_party - SCORE_PACKAGES  # no rich, no openai, no LangChain


def test_score_table_adds_only_rich_and_the_renderer() -> None:
    ours, third_party = imported_by(["score", str(GOOD)])
    rubric = {m for m in ours if m.startswith("translator.rubric")}
    assert ours - rubric == SCORE_MODULES | {"translator.cli.console", "translator.cli.render"}
    assert third_party - SCORE_PACKAGES <= {"rich", "pygments"}
    assert "rich" in third_party


def test_help_imports_no_command() -> None:
    ours, third_party = imported_by(["--help"])
    assert ours == {"translator", "translator.cli", "translator.errors"}
    assert not third_party & {"rich", "pydantic", "pyromark", "markdown_it", "yaml", "openai", "langchain_core"}


def test_each_command_is_listed_with_the_first_line_of_its_own_help() -> None:
    for name, (_, summary) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert (command.help or "").strip().splitlines()[0] == summary


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from translator.cli import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, (_, summary) in COMMANDS.items():
        assert name in out and summary.split()[0] in out
    assert main(["score", "--help"]) == 0
    assert "--fail-under" in capsys.readouterr().out
