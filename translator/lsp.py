"""`translator lsp`: the rubric checker as a Language Server, for editors.

Diagnostics are the findings `translator score` reports, computed with the same project
configuration (the nearest .translator.toml or [tool.translator] above the file) and the same
inline suppressions. They are published when a Markdown document opens or is saved, and a
short while after the last change (typing fast does not queue a score per key). The code
actions insert the `--fix` skeletons: one per missing or incomplete concern, and one for all.

Imported only by `translator lsp`; needs the `lsp` extra (pygls).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from translator import __version__
from translator.config import Config, load_config
from translator.errors import TranslatorError
from translator.rubric.document import parse_document
from translator.rubric.fix import FixPlan, plan_fix
from translator.rubric.loader import load_vocabulary
from translator.rubric.model import Severity
from translator.rubric.report import DocumentReport, Finding
from translator.rubric.scoring import Verdict, score_text

SOURCE = "translator"
DEBOUNCE_SECONDS = 0.3
_SEVERITY = {
    Severity.error: types.DiagnosticSeverity.Error,
    Severity.warning: types.DiagnosticSeverity.Warning,
    Severity.info: types.DiagnosticSeverity.Information,
}


class SpecServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("translator", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.pending: dict[str, asyncio.Task[None]] = {}

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=document.version, diagnostics=diagnostics(document))
        )

    def publish_later(self, uri: str) -> None:
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._publish_after_pause(uri))

    async def _publish_after_pause(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.publish(uri)


server = SpecServer()


def _config(document: TextDocument) -> Config:
    return load_config(Path(document.path).parent)


def _score(document: TextDocument) -> tuple[Config, DocumentReport]:
    config = _config(document)
    verdict = Verdict(fail_under=config.fail_under, fail_on=Severity(config.fail_on))
    report = score_text(document.source, path=document.path, kind=config.kind, rubric=config.rubric, verdict=verdict)
    return config, report


def diagnostics(document: TextDocument) -> list[types.Diagnostic]:
    """The document's findings as diagnostics; a problem scoring it is one diagnostic on line 1."""
    if document.language_id not in (None, "markdown"):
        return []  # a client that starts the server for every file type gets nothing for code
    try:
        _, report = _score(document)
    except TranslatorError as exc:
        return [_diagnostic(document, 0, str(exc), types.DiagnosticSeverity.Error, "input-error", None)]
    # An absence has no line of its own: it is shown on the title (or the first line).
    sections = parse_document(document.source).sections
    top = sections[0].line - 1 if sections else 0
    return [_finding(document, finding, top) for finding in report.findings]


def _finding(document: TextDocument, finding: Finding, top: int) -> types.Diagnostic:
    line = finding.line - 1 if finding.line is not None else top
    text = finding.message + (f"\n{finding.hint}" if finding.hint else "")
    return _diagnostic(document, line, text, _SEVERITY[finding.severity], finding.rule, finding.concern)


def _diagnostic(
    document: TextDocument,
    line: int,
    message: str,
    severity: types.DiagnosticSeverity,
    rule: str,
    concern: str | None,
) -> types.Diagnostic:
    lines = document.lines
    line = min(line, max(len(lines) - 1, 0))
    width = document.position_codec.client_num_units(lines[line].rstrip("\r\n")) if lines else 0
    return types.Diagnostic(
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=width)),
        message=message,
        severity=severity,
        code=rule,
        source=SOURCE,
        data={"concern": concern} if concern else None,
    )


def code_actions(document: TextDocument, context: types.CodeActionContext) -> list[types.CodeAction]:
    """The --fix skeletons as quick fixes: one per concern, and all of them at once."""
    try:
        config = _config(document)
        verdict = Verdict(fail_under=config.fail_under, fail_on=Severity(config.fail_on))
        plan = plan_fix(document.source, path=document.path, kind=config.kind, rubric=config.rubric, verdict=verdict)
    except TranslatorError:
        return []
    vocabulary = load_vocabulary()
    actions: list[types.CodeAction] = []
    for insertion in plan.insertions:
        related = [
            d for d in context.diagnostics if isinstance(d.data, dict) and d.data.get("concern") == insertion.concern
        ]
        what = "section skeleton" if insertion.section else "open question"
        entry = vocabulary.concerns.get(insertion.concern)
        name = entry.title if entry else insertion.concern
        actions.append(
            types.CodeAction(
                title=f'Insert the "{name}" {what} (translator --fix)',
                kind=types.CodeActionKind.QuickFix,
                diagnostics=related or None,
                edit=_edit(document, FixPlan(plan.path, plan.original, (insertion,))),
            )
        )
    if len(plan.insertions) > 1:
        actions.append(
            types.CodeAction(
                title="Insert every missing section skeleton (translator --fix)",
                kind=types.CodeActionKind.SourceFixAll,
                edit=_edit(document, plan),
            )
        )
    return actions


def _edit(document: TextDocument, plan: FixPlan) -> types.WorkspaceEdit:
    lines = list(document.lines)
    edits = []
    for insertion in plan.insertions:
        position = types.Position(line=insertion.line, character=0)
        if insertion.column:  # the end of a last line with no newline, in the client's units
            prefix = lines[insertion.line][: insertion.column]
            position = types.Position(line=insertion.line, character=document.position_codec.client_num_units(prefix))
        edits.append(types.TextEdit(range=types.Range(start=position, end=position), new_text=insertion.text))
    return types.WorkspaceEdit(changes={document.uri: edits})


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def _did_open(ls: SpecServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def _did_save(ls: SpecServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def _did_change(ls: SpecServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.publish_later(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def _did_close(ls: SpecServer, params: types.DidCloseTextDocumentParams) -> None:
    pending = ls.pending.pop(params.text_document.uri, None)
    if pending is not None:
        pending.cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]),
)
def _code_action(ls: SpecServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    return code_actions(ls.workspace.get_text_document(params.text_document.uri), params.context)


def serve() -> None:
    """Speak LSP on standard input and output until the client says exit."""
    server.start_io()
