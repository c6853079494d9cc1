"""The batch journal: one JSON line per finished input, appended and fsynced.

A rerun reads it and skips every input whose content, prompt versions, engine and model match
a finished entry whose outputs still exist, so a run killed at any moment (even SIGKILL)
resumes without repeating a finished file's model calls. A torn last line (the kill landed
mid-write) is ignored, and the next record starts on a new line so that it is not lost with the
fragment; the input the torn line described simply runs again. Failing to read or write the
journal is an OutputError: the batch stops cleanly rather than run without its record.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from translator.drafting.usage import Usage
from translator.errors import OutputError
from translator.redact import redact
from translator.sources.model import Notes

if TYPE_CHECKING:
    from translator.drafting.result import Draft

JOURNAL_NAME = "journal.jsonl"
Status = Literal["accepted", "rejected", "failed"]


class Entry(BaseModel):
    path: str = Field(description="the input, as given")
    sha256: str
    engine: str
    model: str | None
    prompt_versions: str | None
    status: Status
    reason: str | None = None  # why it failed
    kind: str | None = None
    score: int | None = None
    outputs: list[str] = Field(default_factory=list)  # relative to the output folder
    open_questions: list[dict[str, str]] = Field(default_factory=list)
    gaps: list[str] = Field(default_factory=list)  # concerns not present in the draft
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0

    def fingerprint(self) -> tuple[str, str, str | None, str | None]:
        return (self.sha256, self.engine, self.model, self.prompt_versions)

    @classmethod
    def of_draft(
        cls,
        result: Draft,
        *,
        path: str,
        sha256: str,
        engine: str,
        model: str | None,
        prompt_versions: str | None,
        written: list[Path],
        out_dir: Path,
        usage: Usage,
        seconds: float,
    ) -> Entry:
        """The entry for a finished draft: the same in both batch modes, so that the journal and
        the corpus report read alike whichever wrote them."""
        report = result.report
        return cls(
            path=path,
            sha256=sha256,
            engine=engine,
            model=model,
            prompt_versions=prompt_versions,
            status="accepted" if result.accepted else "rejected",
            kind=result.kind,
            score=report.score if report is not None else None,
            outputs=[str(p.relative_to(out_dir)) for p in written],
            open_questions=[{"concern": q.concern, "question": q.question} for q in result.questions],
            gaps=[k for k, v in report.concerns.items() if v.status != "present"] if report is not None else [],
            usage=usage,
            seconds=round(seconds, 3),
            reason=result.failure,
        )

    @classmethod
    def failed(
        cls,
        *,
        path: str,
        sha256: str,
        engine: str,
        model: str | None,
        prompt_versions: str | None,
        reason: str,
        seconds: float,
        kind: str | None = None,
        usage: Usage | None = None,
    ) -> Entry:
        """The entry for an input that ended without a draft: the same in both batch modes."""
        return cls(
            path=path,
            sha256=sha256,
            engine=engine,
            model=model,
            prompt_versions=prompt_versions,
            status="failed",
            reason=" ".join(reason.split()),
            kind=kind,
            usage=usage or Usage(),
            seconds=round(seconds, 3),
        )


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def notes_fingerprint(notes: Notes) -> str:
    """What the model would see of a report: its normalised text and front matter. Both batch
    modes key the journal by this, so a report is redone only when what it says changes."""
    return content_hash(f"{notes.front_matter}\n{notes.text}".encode())


class Journal:
    def __init__(self, folder: Path) -> None:
        self.path = folder / JOURNAL_NAME
        self.latest: dict[str, Entry] = {}
        self._torn = False  # the file ends mid-line: the next record starts on a new one
        if self.path.exists() and not self.path.is_file():
            raise OutputError("is in the way of the batch journal (not a regular file)", path=str(self.path))
        if self.path.is_file():
            try:
                data = self.path.read_bytes()
            except OSError as exc:
                raise OutputError(
                    f"cannot be read ({exc.strerror or exc.__class__.__name__})", path=str(self.path)
                ) from None
            self._torn = bool(data) and not data.endswith(b"\n")
            for line in data.decode("utf-8", errors="replace").splitlines():
                try:
                    entry = Entry.model_validate_json(line)
                except ValueError:
                    continue  # a line torn by a crash: that input runs again
                self.latest[entry.path] = entry

    def finished(self, path: str, fingerprint: tuple[str, str, str | None, str | None], out_dir: Path) -> Entry | None:
        """The entry that lets ``path`` be skipped, if there is one."""
        entry = self.latest.get(path)
        if entry is None or entry.status == "failed" or entry.fingerprint() != fingerprint:
            return None
        if not all((out_dir / output).is_file() for output in entry.outputs):
            return None
        return entry

    def record(self, entry: Entry) -> None:
        """Append ``entry`` as one line and fsync it; an OSError becomes an OutputError."""
        line = ("\n" if self._torn else "") + redact(entry.model_dump_json()) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(line)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            self._torn = True  # a line may have been cut short
            raise OutputError(
                f"cannot be written ({exc.strerror or exc.__class__.__name__})", path=str(self.path)
            ) from None
        self._torn = False
        self.latest[entry.path] = entry

    def entries(self) -> list[Entry]:
        return list(self.latest.values())


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)
