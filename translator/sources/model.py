"""The Notes model: what every reader produces and the drafter consumes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Notes(BaseModel):
    """Research notes normalised to Markdown-like text, with a way back to the original.

    ``origins[i]`` says where line ``i + 1`` of ``text`` came from in the original file
    ("notes.md:12", "eval.ipynb cell 4", "report.docx paragraph 17"), so that findings about
    a draft can point the researcher at the exact place in what they wrote.
    """

    path: str | None = None
    format: str = Field(description="md, txt, ipynb, html, docx, pdf, sql, py, r or stdin")
    text: str
    front_matter: dict[str, Any] = Field(default_factory=dict)
    origins: list[str] = Field(default_factory=list)

    @property
    def title(self) -> str | None:
        value = self.front_matter.get("title")
        return str(value) if value else None

    @property
    def kind(self) -> str | None:
        value = self.front_matter.get("kind")
        return str(value) if value else None

    def origin(self, line: int) -> str:
        """Where 1-based ``line`` of ``text`` came from."""
        if 1 <= line <= len(self.origins):
            return self.origins[line - 1]
        return f"{self.path or '<stdin>'}:{line}"
