"""`--fix`: write the skeleton of each missing concern's section into a spec.

A skeleton is a heading in the document's own style (ATX or setext, its level, its closing
hashes, its capitalisation) and the concern's question behind a placeholder the checker
recognises, so the spec still fails until a person writes the section. It goes where the
kind's concern order puts it: after the section of the nearest earlier concern the document
has, else before the nearest later one. An incomplete concern's own section gets the question
appended, once. Sections that cover their concern are never touched, a concern whose findings
are suppressed is left alone, and a second fix finds nothing to do.

The skeleton's words are data (rubrics/skeleton.md); this module only decides where they go.
Only `translator score --fix` and the editor server import it.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from translator.kinds import SPEC_KINDS
from translator.resources import data_dir
from translator.rubric.document import Document, parse_document
from translator.rubric.loader import load_rubric, load_vocabulary
from translator.rubric.model import Rubric
from translator.rubric.report import DocumentReport
from translator.rubric.scoring import Verdict, score_text

SKELETON_FILE = "skeleton.md"
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_CLOSING_HASHES = re.compile(r"[ \t]+#+[ \t]*$")


@dataclass(frozen=True)
class Insertion:
    """Text to insert before 0-based ``line`` at ``column`` (0, or the end of the last line
    when the file does not end with a newline)."""

    concern: str
    line: int
    column: int
    text: str
    section: bool  # a whole new section, or the question appended to an incomplete one


@dataclass(frozen=True)
class FixPlan:
    path: str
    original: str
    insertions: tuple[Insertion, ...]

    @property
    def changed(self) -> bool:
        return bool(self.insertions)

    @property
    def fixed(self) -> str:
        lines = self.original.splitlines(keepends=True)
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line))
        out: list[str] = []
        position = 0
        for insertion in sorted(self.insertions, key=lambda i: (i.line, i.column)):  # stable: concern order kept
            offset = starts[min(insertion.line, len(lines))] + insertion.column
            out += [self.original[position:offset], insertion.text]
            position = offset
        out.append(self.original[position:])
        return "".join(out)

    def diff(self) -> str:
        """A unified diff from the original to the fixed text ('' when nothing changes)."""
        name = self.path.lstrip("/")
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


@cache
def skeleton_template() -> tuple[str, str]:
    """The skeleton's heading line and body, from the data file (its leading comment dropped)."""
    text = (data_dir("rubrics") / SKELETON_FILE).read_text(encoding="utf-8")
    if text.lstrip().startswith("<!--"):
        text = text.split("-->", 1)[1]
    heading, _, body = text.strip("\n").partition("\n")
    return heading, body.strip("\n")


def plan_fix(
    text: str,
    *,
    path: str = "<text>",
    kind: str | None = None,
    rubric: str | Path | Rubric | None = None,
    verdict: Verdict = Verdict(),
) -> FixPlan:
    """What ``--fix`` would insert into ``text``, scored as ``translator score`` scores it."""
    report = score_text(text, path=path, kind=kind, rubric=rubric, verdict=verdict)
    chosen = rubric if isinstance(rubric, Rubric) else load_rubric(report.rubric)
    return FixPlan(path=path, original=text, insertions=tuple(_insertions(text, report, chosen)))


def concern_order(rubric: Rubric) -> list[str]:
    """The rubric's concerns in the order its kind renders them (rubric order for the rest)."""
    model = SPEC_KINDS.get(rubric.kind)
    ordered = [c for c in (model.concern_order if model else ()) if c in rubric.concerns]
    return ordered + [c for c in rubric.concerns if c not in ordered]


def _insertions(text: str, report: DocumentReport, rubric: Rubric) -> list[Insertion]:
    doc = parse_document(text, report.path)
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    vocabulary = load_vocabulary()
    placeholder = vocabulary.signals["placeholder"].regex
    style = _HeadingStyle.of(doc, lines)
    starts = style.section_starts(doc)
    template_heading, template_body = skeleton_template()
    # A concern counts only while one of its findings is reported: a suppressed concern is
    # one the authors chose to leave out.
    reported = {f.concern for f in report.findings if f.concern}
    order = concern_order(rubric)
    out: list[Insertion] = []
    for number, concern in enumerate(order):
        result = report.concerns.get(concern)
        if result is None or result.status == "present" or concern not in reported:
            continue
        entry = vocabulary.concerns.get(concern)
        title = entry.title if entry else concern.replace("_", " ").capitalize()
        question = entry.question if entry else f"What does the spec say about {title.lower()}?"
        fields = {"title": title, "question": question}
        body = template_body.format(**fields)
        if result.line is not None:
            # Located but not covered: add the question to its own section, once. A concern
            # found inside another section (or a section that is only a placeholder) is the
            # author's to move or fill; the fix does not rewrite around it.
            own = next((s for s in doc.sections if s.line == result.line and not s.is_title), None)
            if result.status != "incomplete" or own is None:
                continue
            end = _after(starts, own.line, len(lines))
            while end > own.line and not lines[end - 1].strip():
                end -= 1
            if any(placeholder.search(line) for line in lines[own.line : end]):
                continue
            out.append(_insert(lines, end, [body], newline, concern, section=False))
            continue
        heading = template_heading.format(heading=style.render(title), **fields)
        located: dict[str, int] = {}
        for other in order:
            found = report.concerns.get(other)
            if found is not None and found.line is not None:
                located[other] = found.line
        earlier = [located[c] for c in order[:number] if c in located]
        later = [located[c] for c in order[number + 1 :] if c in located]
        if earlier:
            at = _after(starts, max(earlier), len(lines))
        elif later:
            at = _before(starts, min(later), len(lines))
        else:
            at = len(lines)
        out.append(_insert(lines, at, [heading, body], newline, concern, section=True))
    return out


def _insert(lines: list[str], at: int, parts: list[str], newline: str, concern: str, *, section: bool) -> Insertion:
    """Paragraphs ``parts`` before line ``at``, with a blank line on each side."""
    block = (newline * 2).join(part.replace("\n", newline) for part in parts) + newline
    before = lines[at - 1] if 0 < at <= len(lines) else ""
    column = 0
    if at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
        at, column = len(lines) - 1, len(lines[-1])
        block = newline + newline + block
    elif before.strip():
        block = newline + block
    if at < len(lines) and lines[at].strip():
        block += newline
    return Insertion(concern=concern, line=at, column=column, text=block, section=section)


def _after(starts: list[int], line: int, end: int) -> int:
    """The 0-based line where the section holding 1-based ``line`` ends."""
    return next((start for start in starts if start > line - 1), end)


def _before(starts: list[int], line: int, end: int) -> int:
    """The 0-based line where the section holding 1-based ``line`` begins."""
    earlier = [start for start in starts if start <= line - 1]
    return earlier[-1] if earlier else (starts[0] if starts else end)


@dataclass(frozen=True)
class _HeadingStyle:
    level: int
    setext: bool
    closing: bool
    title_case: bool

    @classmethod
    def of(cls, doc: Document, lines: list[str]) -> _HeadingStyle:
        body = [s for s in doc.sections if not s.is_title]
        level = Counter(s.level for s in body).most_common(1)[0][0] if body else 2
        peers = [s for s in body if s.level == level]
        raw = [lines[s.line - 1] if s.line - 1 < len(lines) else "" for s in peers]
        atx = [line for line in raw if _ATX.match(line)]
        setext = bool(peers) and not atx and level <= 2
        closing = bool(atx) and all(_CLOSING_HASHES.search(line.rstrip("\r\n")) for line in atx)
        worded = [s.title.split() for s in peers if len(s.title.split()) > 1]
        title_case = bool(worded) and all(all(w[:1].isupper() for w in words if len(w) > 3) for words in worded)
        return cls(level=level, setext=setext, closing=closing, title_case=title_case)

    def render(self, title: str) -> str:
        if self.title_case:
            title = " ".join(w[:1].upper() + w[1:] if len(w) > 3 or i == 0 else w for i, w in enumerate(title.split()))
        if self.setext:
            return f"{title}\n{('=' if self.level == 1 else '-') * max(3, len(title))}"
        marks = "#" * self.level
        return f"{marks} {title} {marks}" if self.closing else f"{marks} {title}"

    def section_starts(self, doc: Document) -> list[int]:
        """0-based first lines of the sections a new one may sit between (the title's aside)."""
        return [s.line - 1 for s in doc.sections if s.level <= self.level and not s.is_title]
