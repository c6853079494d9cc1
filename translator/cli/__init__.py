"""The `translator` command line: thin commands over the Python API.

Every command reports a failure as one line on stderr and an exit code (0 ok, 1 a document
fails its rubric, 2 usage or input error, 3 a draft was not accepted, 4 the model service
failed). `--debug` adds the traceback and keeps the exit code. An OS error that reaches here (a
file that cannot be read or written) is exit 2 with its one line; 70 is left for real bugs.
"""

from __future__ import annotations

import sys
import traceback

import typer
from typer.exceptions import TyperException

from translator.cli import batch, draft, lsp, rubrics, score
from translator.cli.console import terminal_safe
from translator.errors import TranslatorError

app = typer.Typer(
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


draft.register(app)
batch.register(app)
score.register(app)
lsp.register(app)
app.add_typer(rubrics.app, name="rubrics")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: run the app and turn every failure into one line."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
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
    if debug:
        sys.stderr.write(terminal_safe(traceback.format_exc()))
    line = " ".join(message.split())
    print(f"translator: {terminal_safe(line)}", file=sys.stderr)
    return code
