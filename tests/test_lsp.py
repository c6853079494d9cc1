"""`translator lsp` through a real LSP client session (pytest-lsp over the server's stdio),
with the capabilities of the VS Code and Neovim clients pytest-lsp ships."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from translator.rubric import score_text

SPEC = """\
---
kind: feature-spec
---
# Churn feature

We recommend adding `days_since_last_order` to the churn model.

## Formula

`days_since_last_order = (now - last_order_ts) / 86400`

## Validation

Shadow for two weeks.
"""
CLIENTS = ["visual-studio-code@v1.65.2", "neovim@v0.11.0"]


SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "translator", "lsp"])


async def start(lsp_client: LanguageClient, spec: str, folder: Path) -> None:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(spec),
            root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name="specs")],
        )
    )


@pytest_lsp.fixture(params=CLIENTS, config=SERVER)
async def client(lsp_client: LanguageClient, request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A session with each client's capabilities (the whole edit-and-fix loop runs in both)."""
    await start(lsp_client, request.param, tmp_path)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(config=SERVER)
async def vscode(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    await start(lsp_client, CLIENTS[0], tmp_path)
    yield
    await lsp_client.shutdown_session()


async def open_and_wait(
    client: LanguageClient, path: Path, text: str, language: str = "markdown"
) -> list[types.Diagnostic]:
    path.write_text(text, encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=path.as_uri(), language_id=language, version=1, text=text)
        )
    )
    await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
    return list(client.diagnostics[path.as_uri()])


async def change_and_wait(client: LanguageClient, path: Path, text: str, version: int) -> list[types.Diagnostic]:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
    return list(client.diagnostics[path.as_uri()])


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply insertions the way an editor does (all positions refer to the text before)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert edit.range.start == edit.range.end  # the fix only inserts
        offset = starts[edit.range.start.line] + edit.range.start.character
        text = text[:offset] + edit.new_text + text[offset:]
    return text


@pytest.mark.asyncio
async def test_diagnostics_on_the_right_lines_then_the_fix_action(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "churn.md"
    diagnostics = await open_and_wait(client, spec, SPEC)
    report = score_text(SPEC, path=str(spec))
    assert sorted((d.code, d.range.start.line) for d in diagnostics) == sorted(
        (f.rule, (f.line - 1) if f.line else 3)
        for f in report.findings  # absences sit on the title, line 4
    )
    validation = next(d for d in diagnostics if d.code == "validation-adequate")
    assert validation.range.start.line == 11 and validation.source == "translator"
    assert validation.severity == types.DiagnosticSeverity.Error and "\n" in validation.message  # message, hint

    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=spec.as_uri()),
            range=types.Range(start=types.Position(line=3, character=0), end=types.Position(line=3, character=0)),
            context=types.CodeActionContext(diagnostics=diagnostics),
        )
    )
    assert actions is not None
    titles = [a.title for a in actions if isinstance(a, types.CodeAction)]
    assert 'Insert the "Failure modes" section skeleton (translator --fix)' in titles
    fix_all = next(
        a for a in actions if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.SourceFixAll
    )
    one = next(a for a in actions if isinstance(a, types.CodeAction) and '"Failure modes"' in a.title)
    assert one.diagnostics and {d.code for d in one.diagnostics} == {"failure-modes-present"}

    assert one.edit and one.edit.changes
    partly = apply(SPEC, list(one.edit.changes[spec.as_uri()]))
    after_one = await change_and_wait(client, spec, partly, 2)
    moved = next(d for d in after_one if d.code == "failure-modes-present")
    assert partly.splitlines()[moved.range.start.line] == "## Failure modes"  # now on its skeleton
    assert len(after_one) == len(diagnostics)

    assert fix_all.edit and fix_all.edit.changes
    fixed = apply(SPEC, list(fix_all.edit.changes[spec.as_uri()]))
    after = await change_and_wait(client, spec, fixed, 3)
    # No diagnostic is left pinned to the title: every one points at the section to write.
    assert not [d for d in after if d.range.start.line == 3]
    # The spec still fails; a person fills in one skeleton, and the diagnostics drop.
    assert {d.code for d in after} >= {"lineage-present", "failure-modes-present"}
    filled = fixed.replace(
        "TODO: How can this fail (missing data, outage, edge values), and what should the system do then?",
        "- If `last_order_ts` is null, return null and log a warning.\n"
        "- If the orders stream lags over 10 minutes, serve the cached value and alert the on-call.",
    )
    done = await change_and_wait(client, spec, filled, 4)
    assert len(done) < len(diagnostics) and "failure-modes-present" not in {d.code for d in done}


@pytest.mark.asyncio
async def test_project_config_and_suppressions_are_honoured(vscode: LanguageClient, tmp_path: Path) -> None:
    client = vscode
    (tmp_path / ".translator.toml").write_text('fail_on = "warning"\nkind = "feature-spec"\n', encoding="utf-8")
    text = SPEC.replace("kind: feature-spec\n", "title: churn\n").replace(
        "# Churn feature\n", "# Churn feature\n\n<!-- translator: disable=failure_modes -->\n"
    )
    diagnostics = await open_and_wait(client, tmp_path / "no kind.md", text)
    codes = {d.code for d in diagnostics}
    assert "formula-adequate" not in codes and "storage-present" in codes  # the config's kind applied
    assert "failure-modes-present" not in codes and "latency-cost-present" in codes
    assert await open_and_wait(client, tmp_path / "notes.py", SPEC, language="python") == []


@pytest.mark.asyncio
async def test_changes_are_debounced_and_bad_input_is_one_diagnostic(vscode: LanguageClient, tmp_path: Path) -> None:
    client = vscode
    spec = tmp_path / "typing.md"
    await open_and_wait(client, spec, SPEC)
    for version in range(2, 7):  # five quick edits, as typing sends them
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=spec.as_uri(), version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=SPEC + "x" * version)],
            )
        )
    published = await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 30)
    assert published.version == 6  # one score, of the last text, not one per keystroke
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 1.5)
    broken = "---\nkind: [unclosed\n---\n# X\n"
    diagnostics = await change_and_wait(client, spec, broken, 7)
    assert len(diagnostics) == 1 and diagnostics[0].code == "input-error" and "front matter" in diagnostics[0].message


def test_without_the_extra_lsp_is_one_line(tmp_path: Path) -> None:
    """Hide pygls from the interpreter: the command says which extra to install, nothing more."""
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pygls', 'lsprotocol'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, _Block())\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "translator", "lsp"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": f"{tmp_path}:{Path(__file__).resolve().parents[1]}", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr == "translator: translator lsp needs the editor extra: pip install 'spec-translator[lsp]'\n"
