"""`translator lsp`: run the editor server (Language Server Protocol over stdio)."""

from __future__ import annotations

import typer

from translator.errors import TranslatorError

_EPILOG = (
    "Editors start it and talk to it over standard input and output; see README, "
    '"In your workflow", for VS Code and Neovim. Needs the lsp extra: '
    "pip install 'spec-translator[lsp]'."
)


def register(app: typer.Typer) -> None:
    app.command("lsp", epilog=_EPILOG)(lsp)


def lsp() -> int:
    """Serve diagnostics and --fix code actions for Markdown specs to an editor (LSP over stdio)."""
    try:
        from translator.lsp import serve  # pygls is an optional extra, and slow to import
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] not in ("pygls", "lsprotocol"):
            raise
        raise TranslatorError("translator lsp needs the editor extra: pip install 'spec-translator[lsp]'") from None
    serve()
    return 0
