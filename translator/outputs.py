"""Where the tool's outputs go, and the rule that keeps them off the user's files.

The rule: the tool writes onto, deletes, or reads as notes only files it wrote itself. It knows
them by a marker it writes into each one: the last line of every Markdown output is
:data:`MARKDOWN_MARKER` (an HTML comment, which the scorer ignores) and every JSON output opens
with ``"generator": "spec-translator"``. A batch output folder also holds :data:`FOLDER_MARKER`,
so that a walk over the notes never descends into one (``--out`` inside the input folder).
A file in the way that carries no marker is refused with one line, before anything is paid for.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from translator.errors import InputError, OutputError
from translator.fileio import write_atomic

if TYPE_CHECKING:
    from translator.drafting.api import Draft

GENERATOR = "spec-translator"
MARKDOWN_MARKER = f"<!-- written by {GENERATOR}: an output, not notes -->"
JSON_MARKER = f'"generator": "{GENERATOR}"'
FOLDER_MARKER = ".translator-out"  # a batch --out folder holds this file
INDEX_NAME = "index.md"  # a batch's corpus report for people (summary.json is its twin)
LEGACY_BATCH_FILE = "journal.jsonl"  # folders written before the marker: the journal proves they are ours
_PROBE = 512  # bytes read from each end of a file to find its marker


def mark_markdown(text: str) -> str:
    """``text`` with the output marker as its last line."""
    return text.rstrip("\n") + "\n\n" + MARKDOWN_MARKER + "\n"


def mark_json(payload: str) -> str:
    """A JSON object's text with the generator key first (cheap: no re-parse of the payload)."""
    body = payload.lstrip()
    if not body.startswith("{"):
        raise ValueError("only a JSON object can carry the generator key")
    rest = body[1:].lstrip()
    separator = "" if rest.startswith("}") else ","
    return "{\n  " + JSON_MARKER + separator + "\n  " + rest


def carries_marker(path: Path) -> bool:
    """Whether ``path`` is a regular file that the tool wrote (its marker is where the tool puts it)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(_PROBE)
            size = os.fstat(stream.fileno()).st_size
            if size > _PROBE:
                stream.seek(max(size - _PROBE, _PROBE))
                tail = stream.read(_PROBE)
            else:
                tail = head
    except OSError:
        return False
    return JSON_MARKER.encode() in head or MARKDOWN_MARKER.encode() in tail


def is_output_folder(folder: Path) -> bool:
    """A folder a batch writes into (marked, or written by a version from before the marker)."""
    return (folder / FOLDER_MARKER).is_file() or (folder / LEGACY_BATCH_FILE).is_file()


def mark_output_folder(folder: Path) -> None:
    marker = folder / FOLDER_MARKER
    if not marker.is_file():
        write_atomic(marker, f"written by {GENERATOR}: a batch output folder; batch and score skip it as input\n")


def check_target(path: Path, *, owned_by_folder: Path | None = None) -> None:
    """Refuse to write ``path`` unless it is free or a file the tool wrote.

    ``owned_by_folder``: a batch output folder from before the marker existed, whose files are the
    tool's too.
    """
    try:
        if not path.exists() and not path.is_symlink():
            return
    except OSError as exc:
        raise OutputError(f"cannot be written ({_reason(exc)})", path=str(path)) from None
    if path.is_dir():
        raise OutputError("is a folder; give a file name (-o FILE.md)", path=str(path))
    if not path.is_file():
        raise OutputError("exists and is not a regular file; not writing onto it", path=str(path))
    if _is_ours(path, owned_by_folder):
        return
    raise OutputError(
        "exists and was not written by translator; not replacing it (move it, or choose another output)",
        path=str(path),
    )


def refuse_input_as_output(notes: str | None, targets: Iterable[Path]) -> None:
    """``-o`` (or a name derived from it) that is the notes file itself is a usage error."""
    if notes is None or notes == "-":
        return
    source = Path(notes)
    for target in targets:
        try:
            same = target.exists() and os.path.samefile(source, target)
        except OSError:
            same = False
        if same or target.resolve() == source.resolve():
            raise InputError(
                f"the output {target} is the notes file itself; choose another -o (the notes are never overwritten)"
            )


@dataclass(frozen=True)
class OutputPaths:
    markdown: Path
    json: Path
    rejected_markdown: Path
    rejected_json: Path

    @classmethod
    def beside(cls, out: Path) -> OutputPaths:
        """OUT.md -> OUT.json; a rejected draft goes to <base>.rejected.md (base without .spec)."""
        base = out.name.removesuffix(".md").removesuffix(".spec")
        return cls(
            markdown=out,
            json=out.with_suffix(".json"),
            rejected_markdown=out.with_name(f"{base}.rejected.md"),
            rejected_json=out.with_name(f"{base}.rejected.json"),
        )

    def all(self) -> tuple[Path, Path, Path, Path]:
        return (self.markdown, self.json, self.rejected_markdown, self.rejected_json)

    def check(self, *, notes: str | None = None, owned_by_folder: Path | None = None) -> None:
        """Refuse before drafting when an output would land on the notes or on a file not ours."""
        refuse_input_as_output(notes, self.all())
        for path in self.all():
            check_target(path, owned_by_folder=owned_by_folder)


def write_draft(result: Draft, out: Path, *, owned_by_folder: Path | None = None) -> list[Path]:
    """Write an accepted draft to OUT.md + OUT.json, a rejected one to <base>.rejected.md + .json.

    Files from an earlier run with the other outcome are removed, so a folder never holds both
    an accepted and a rejected version of the same spec; only files the tool wrote are ever
    replaced or removed. Each file is written atomically. OS errors become OutputError.
    """
    paths = OutputPaths.beside(out)
    payload = mark_json(result.model_dump_json(indent=2, exclude={"markdown"}))
    if result.accepted:
        written, stale = [paths.markdown, paths.json], [paths.rejected_markdown, paths.rejected_json]
    else:
        written, stale = [paths.rejected_markdown, paths.rejected_json], [paths.markdown, paths.json]
    for path in written:
        check_target(path, owned_by_folder=owned_by_folder)
    try:
        write_atomic(written[0], mark_markdown(result.markdown))
        write_atomic(written[1], payload + "\n")
        for path in stale:
            if path.is_file() and _is_ours(path, owned_by_folder):
                path.unlink()
    except OSError as exc:
        raise OutputError(f"cannot be written ({_reason(exc)})", path=str(exc.filename or written[0])) from None
    return written


def _is_ours(path: Path, owned_by_folder: Path | None) -> bool:
    if carries_marker(path):
        return True
    return owned_by_folder is not None and (owned_by_folder / LEGACY_BATCH_FILE).is_file()


def _reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__
