"""The `translator` command line: thin commands over the Python API.

Every command reports a failure as one line on stderr and an exit code (0 ok, 1 a document
fails its rubric, 2 usage or input error, 3 a draft was not accepted, 4 the model service
failed). `--debug` adds the traceback and keeps the exit code. An OS error that reaches here (a
file that cannot be read or written) is exit 2 with its one line; 70 is left for real bugs.
"""

from __future__ import annotations

import os
import sys
import traceback
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup
from typer.exceptions import TyperException

from translator.errors import TranslatorError

# Each command's module and its one-line summary for `translator --help`. A command's module is
# imported only when that command runs (or its own --help is asked for): `translator score`
# never loads the draft or batch commands, nor what they import. The summary is the first
# line of the command's own help; a test keeps the two the same.
COMMANDS: dict[str, tuple[str, str]] = {
    "draft": (
        "translator.cli.draft",
        "Draft a spec from research notes; the rubric and a grounding check decide whether it is accepted.",
    ),
    "batch": (
        "translator.cli.batch",
        "Re-translate a corpus of reports and notebooks into specs, within rate limits, resumably.",
    ),
    "score": (
        "translator.cli.score",
        "Score specs against the rubric: each concern present, incomplete or missing, with line-precise findings.",
    ),
    "rubrics": ("translator.cli.rubrics", "List, show and check rubrics (built-in kinds or your own YAML)."),
    "lsp": (
        "translator.cli.lsp",
        "Serve diagnostics and --fix code actions for Markdown specs to an editor (LSP over stdio).",
    ),
}


def load_command(name: str) -> Any:
    """The click command ``name``, built from its module's ``register(app)`` alone."""
    single = typer.Typer(rich_markup_mode=None, add_completion=False)
    import_module(COMMANDS[name][0]).register(single)
    return typer.main.get_group(single).commands[name]


class _LazyCommands(TyperGroup):
    """A group that imports a command's module only when the command is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # From the table, so that `translator --help` imports no command.
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_, summary) in COMMANDS.items()])


app = typer.Typer(
    cls=_LazyCommands,
    # Plain help and usage errors: rich's help formatter (and the Markdown parser it brings)
    # would be most of the start-up time of `translator --help`.
    rich_markup_mode=None,
    name="translator",
    help=(
        "Turn ML research findings into specs engineers can build, and score specs against a rubric.\n\n"
        "  translator draft notes.md          draft a spec from raw notes\n\n"
        "  translator batch reports/ --out specs/   re-translate a whole corpus\n\n"
        "  translator score spec.md           check a spec for missing lineage, latency cost, failure modes..."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show the full traceback when something fails."),
) -> None:
    """Global options; commands follow."""


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn every failure into one line."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    # pydantic looks for plugins by scanning every installed package's entry points the first
    # time a model is built: tens of milliseconds of start-up, for hooks this application does
    # not use. A user's own setting of the variable is kept.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        result = app(args=args, prog_name="translator", standalone_mode=False)
        return int(result or 0)
    except typer.Exit as exc:
        return exc.exit_code
    except TyperException as exc:  # usage errors: typer prints them with the usage line
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            print(f"translator: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except typer.Abort:
        print("translator: aborted", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("translator: interrupted", file=sys.stderr)
        return 130
    except TranslatorError as exc:
        return _fail(str(exc), exc.exit_code, debug)
    except OSError as exc:  # a read or write the code did not anticipate: still the user's file system
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc.__class__.__name__}", 2, debug)
    except Exception as exc:  # the last line of defence: no traceback reaches a user
        return _fail(f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)", 70, debug)


def _fail(message: str, code: int, debug: bool) -> int:
    """One line on stderr (redacted, control characters escaped); with --debug the traceback first."""
    # Imported here: the console brings rich, which a passing `translator score -f json` never needs.
    from translator.cli.console import terminal_safe

    if debug:
        sys.stderr.write(terminal_safe(traceback.format_exc()))
    line = " ".join(message.split())
    print(f"translator: {terminal_safe(line)}", file=sys.stderr)
    return code
