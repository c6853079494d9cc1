"""Tests for translator.sources: every reader, every input error, notebook filtering."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import zipfile
from pathlib import Path

import docx
import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

import translator.sources as sources
from translator.errors import InputError
from translator.sources import DOCUMENT_SUFFIXES, SUPPORTED_SUFFIXES, Notes, read_notes, read_notes_text
from translator.sources.notebook import MAX_OUTPUT_LINES, is_inspection_cell

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


# --- helpers ----------------------------------------------------------------------------------


def error_of(path, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_notes(path, **kwargs)
    return info.value


def text_error_of(text, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        read_notes_text(text, **kwargs)
    return info.value


def line_origin(notes: Notes, needle: str) -> str:
    """The origin of the single line of notes.text containing needle."""
    hits = [origin for line, origin in zip(notes.text.split("\n"), notes.origins, strict=False) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on {len(hits)} lines of:\n{notes.text}"
    return hits[0]


def assert_consistent(notes: Notes) -> None:
    """Invariants every reader keeps."""
    assert notes.text.endswith("\n")
    assert notes.text.strip()
    assert "\r" not in notes.text
    assert len(notes.origins) == notes.text.count("\n")


def write_notebook(path: Path, cells, metadata=None) -> Path:
    for index, cell in enumerate(cells, start=1):
        cell["id"] = f"c{index}"
    nbformat.write(new_notebook(cells=cells, metadata=metadata or {}), str(path))
    return path


def make_pdf(pages: list[list[str]], *, password: str | None = None) -> bytes:
    """A real PDF with one Helvetica text line per entry, built with pypdf's object model."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = DecodedStreamObject()
        stream.set_data("\n".join(ops).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
        )
    if password is not None:
        writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- shared rules: paths, size, bytes -----------------------------------------------------------


def test_missing_path(tmp_path):
    missing = tmp_path / "nope.md"
    error = error_of(missing)
    assert str(error) == f"{missing}: does not exist"
    assert error.path == str(missing)


def test_directory(tmp_path):
    folder = tmp_path / "notes.md"
    folder.mkdir()
    assert str(error_of(folder)) == f"{folder}: is a directory"


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  ", b"\r\n\r\n", "\u00a0\u2003\n".encode()])
def test_empty_and_whitespace_only(tmp_path, content):
    path = tmp_path / "notes.md"
    path.write_bytes(content)
    assert str(error_of(path)) == f"{path}: is empty"


def test_binary_file(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"# Notes\n\n\x00\x01\x02 rest")
    assert str(error_of(path)) == f"{path}: looks binary (NUL byte at offset 9)"


def test_binary_file_with_nul_after_first_8kb_is_still_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"a" * 10_000 + b"\x00")
    assert "looks binary (NUL byte at offset 10000)" in str(error_of(path))


def test_invalid_utf8_names_byte_and_offset(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"abc\xff def")
    assert str(error_of(path)) == f"{path}: is not valid UTF-8 (byte 0xff at offset 3); save it as UTF-8"


def test_invalid_utf8_offset_counts_the_bom(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"\xef\xbb\xbfok \xe9t\xe9")  # latin-1 'été' after a UTF-8 BOM
    assert "(byte 0xe9 at offset 6)" in str(error_of(path))


def test_utf8_bom_is_removed(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"\xef\xbb\xbf# Title\n")
    notes = read_notes(path)
    assert notes.text == "# Title\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom_is_decoded(tmp_path, codec):
    path = tmp_path / "notes.md"
    text = "---\ntitle: Réseau\n---\n# Résultats ✓\r\nnDCG ↑ 3%\r\n"
    data = text.encode(codec)
    if codec != "utf-16":  # the explicit-endian codecs write no BOM; add the right one
        data = ("\ufeff".encode(codec)) + data
    assert b"\x00" in data  # would look binary without BOM detection
    path.write_bytes(data)
    notes = read_notes(path)
    assert notes.text == "# Résultats ✓\nnDCG ↑ 3%\n"
    assert notes.front_matter == {"title": "Réseau"}
    assert notes.origins == [f"{path}:4", f"{path}:5"]


def test_broken_utf16_after_a_bom(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"\xff\xfea\x00b")  # odd length: a dangling half character
    message = str(error_of(path))
    assert message.startswith(f"{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16")
    assert message.endswith("save it as UTF-8")


def test_utf16_without_bom_looks_binary(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes("# Notes".encode("utf-16-le"))
    assert "looks binary (NUL byte at offset 1)" in str(error_of(path))


def test_crlf_and_cr_are_normalised(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes(b"one\r\ntwo\rthree\n")
    notes = read_notes(path)
    assert notes.text == "one\ntwo\nthree\n"
    assert notes.origins == [f"{path}:1", f"{path}:2", f"{path}:3"]


def test_too_big_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.md"
    with path.open("wb") as handle:  # sparse: 20 MB without using the disk
        handle.truncate(20_000_000)

    def must_not_read(*args, **kwargs):
        raise AssertionError("the file was read although it is over the limit")

    monkeypatch.setattr(sources, "read_file_bytes", must_not_read)
    assert str(error_of(path)) == f"{path}: is 20.0 MB, over the 5 MB limit (--max-bytes)"


def test_max_bytes_is_respected_for_small_limits(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("x" * 2_500)
    assert str(error_of(path, max_bytes=1_000)) == f"{path}: is 2.5 KB, over the 1 KB limit (--max-bytes)"
    assert read_notes(path, max_bytes=2_500).text == "x" * 2_500 + "\n"


def test_size_just_over_the_limit_is_reported_exactly(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("x" * 1_001)
    assert "is 1001 bytes, over the 1000-byte limit (--max-bytes)" in str(error_of(path, max_bytes=1_000))


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
def test_max_bytes_applies_to_binary_formats(tmp_path, suffix):
    path = tmp_path / f"notes{suffix}"
    path.write_bytes(b"%PDF-" + b"x" * 5_000)
    assert "over the 1 KB limit" in str(error_of(path, max_bytes=1_000))


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_invalid_max_bytes(tmp_path, bad):
    path = tmp_path / "notes.md"
    path.write_text("x")
    assert "--max-bytes must be a positive" in str(error_of(path, max_bytes=bad))


def test_unsupported_extension_lists_supported_ones(tmp_path):
    path = tmp_path / "notes.rtf"
    path.write_text("{\\rtf1 hello}")
    message = str(error_of(path))
    assert message.startswith(f"{path}: has an unsupported extension '.rtf'")
    for suffix in SUPPORTED_SUFFIXES:
        assert suffix in message


def test_doc_extension_suggests_docx(tmp_path):
    path = tmp_path / "notes.doc"
    path.write_bytes(b"whatever")
    assert "save .doc files as .docx" in str(error_of(path))


def test_supported_suffixes():
    assert DOCUMENT_SUFFIXES == (".md", ".markdown", ".txt", ".text", ".ipynb", ".html", ".htm", ".docx", ".pdf")
    assert SUPPORTED_SUFFIXES[len(DOCUMENT_SUFFIXES) :] == (".sql", ".py", ".r")


class TestCodeFiles:
    """A query or script whose comments carry the findings: comments are the notes' lines, code
    is kept fenced, and each line points back at its line of the file."""

    SQL = (
        "-- cart_abandon_rate.sql (scratch)\n"
        "-- ==========================\n"
        "-- We're adding cart_abandon_rate_7d to the ranking features.\n"
        "--   rate = abandoned_7d / created_7d\n"
        "-- where it goes: the user features view in the feature store, probably next\n"
        "-- to the other cart features\n"
        "\n"
        "SELECT user_id, COUNT(*) AS created_7d  -- one row per cart\n"
        "FROM events.cart_events\n"
        "GROUP BY user_id;\n"
        "/* cost: the backfill scanned 1.8 TB,\n"
        "   about $9 on demand */\n"
    )

    def test_sql_comments_are_lines_and_code_is_fenced(self, tmp_path):
        path = tmp_path / "findings.sql"
        path.write_text(self.SQL)
        notes = read_notes(path)
        assert notes.format == "sql"
        paragraphs = notes.text.split("\n\n")
        assert paragraphs[0] == "cart_abandon_rate.sql (scratch)"  # the rule line says nothing
        assert "We're adding cart_abandon_rate_7d to the ranking features." in paragraphs
        assert "rate = abandoned_7d / created_7d" in paragraphs
        # Wrapped comment prose is one statement again.
        assert (
            "where it goes: the user features view in the feature store, probably next to the other cart features"
            in paragraphs
        )
        assert (
            "```sql\nSELECT user_id, COUNT(*) AS created_7d  -- one row per cart\nFROM events.cart_events\nGROUP BY user_id;\n```"
            in notes.text
        )
        assert "cost: the backfill scanned 1.8 TB, about $9 on demand" in notes.text.replace("\n\n", " ")
        line = notes.text.split("\n").index("rate = abandoned_7d / created_7d") + 1
        assert notes.origin(line) == f"{path}:4"

    def test_python_comments_and_shebang(self, tmp_path):
        path = tmp_path / "eval.py"
        path.write_text("#!/usr/bin/env python\n# AUC 0.81 -> 0.84 on the March holdout\nimport pandas as pd\n")
        notes = read_notes(path)
        assert notes.text == "AUC 0.81 -> 0.84 on the March holdout\n\n```python\nimport pandas as pd\n```\n"

    def test_code_held_as_text_reads_the_same(self):
        notes = read_notes_text("-- AUC 0.81 -> 0.84\nSELECT 1;\n", format="sql")
        assert notes.format == "sql"
        assert notes.text == "AUC 0.81 -> 0.84\n\n```sql\nSELECT 1;\n```\n"

    def test_code_with_no_comments_is_kept_as_code(self, tmp_path):
        path = tmp_path / "q.sql"
        path.write_text("SELECT 1;\n")
        assert read_notes(path).text == "```sql\nSELECT 1;\n```\n"

    def test_empty_code_file_is_an_input_error(self, tmp_path):
        path = tmp_path / "q.sql"
        path.write_text("-- =====\n\n")
        assert "is empty" in str(error_of(path))

    def test_a_folder_is_searched_for_documents_not_code(self, tmp_path):
        from translator.inputs import expand_inputs

        (tmp_path / "notes.md").write_text("x")
        (tmp_path / "helper.py").write_text("# x")
        found = list(expand_inputs([str(tmp_path)], DOCUMENT_SUFFIXES))
        assert found == [str(tmp_path / "notes.md")]
        assert list(expand_inputs([str(tmp_path / "helper.py")], DOCUMENT_SUFFIXES)) == [str(tmp_path / "helper.py")]


@pytest.mark.parametrize(
    ("name", "format"),
    [("n.md", "md"), ("n.markdown", "md"), ("N.MD", "md"), ("n.txt", "txt"), ("n.text", "txt"), ("NOTES", "txt")],
)
def test_text_suffixes_pick_the_markdown_reader(tmp_path, name, format):
    path = tmp_path / name
    path.write_text("# Heading\nbody\n")
    notes = read_notes(str(path))
    assert notes.format == format
    assert notes.path == str(path)
    # Plain text keeps its lines (issue 13): each line of a .txt file is a paragraph of its own.
    assert notes.text == ("# Heading\nbody\n" if format == "md" else "# Heading\n\nbody\n")


def test_error_messages_follow_the_house_style(tmp_path):
    """One line, lower-case start, no trailing period, led by the path."""
    cases = {
        "missing.md": None,
        "empty.md": b"",
        "binary.md": b"\x00\x00",
        "latin1.md": b"caf\xe9",
        "fm.md": b"---\n- a\n---\nbody",
        "yaml.md": b"---\na: [1\n---\nbody",
        "bad.ipynb": b"{not json",
        "bad.docx": b"not a zip",
        "bad.pdf": b"%PDF-1.4 garbage",
        "blank.html": b"<script>x()</script>",
        "notes.xyz": b"x",
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        error = error_of(path)
        prefix = f"{path}: "
        message = str(error)
        assert message.startswith(prefix), message
        body = message[len(prefix) :]
        assert "\n" not in body, body
        assert body[0].islower(), body
        assert not body.endswith("."), body


# --- stdin ------------------------------------------------------------------------------------


def fake_stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_stdin(monkeypatch):
    fake_stdin(monkeypatch, b"---\nkind: eval\n---\n# From a pipe\r\nline two\n")
    notes = read_notes("-")
    assert notes.format == "stdin"
    assert notes.path is None
    assert notes.kind == "eval"
    assert notes.text == "# From a pipe\nline two\n"
    assert notes.origins == ["<stdin>:4", "<stdin>:5"]


def test_stdin_replaced_by_a_text_stream(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("# Typed\n"))
    notes = read_notes("-")
    assert notes.text == "# Typed\n"
    assert notes.origins == ["<stdin>:1"]


def test_stdin_empty(monkeypatch):
    fake_stdin(monkeypatch, b"  \n")
    assert str(error_of("-")) == "<stdin>: is empty"


def test_stdin_over_limit(monkeypatch):
    fake_stdin(monkeypatch, b"x" * 2_000)
    assert str(error_of("-", max_bytes=1_000)) == "<stdin>: is over the 1 KB limit (--max-bytes)"


def test_stdin_invalid_utf8(monkeypatch):
    fake_stdin(monkeypatch, b"ok\x80")
    assert str(error_of("-")) == "<stdin>: is not valid UTF-8 (byte 0x80 at offset 2); save it as UTF-8"


# --- markdown and front matter ----------------------------------------------------------------


def test_markdown_front_matter_is_parsed_and_removed_with_origins(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(
        "---\nkind: training\ntitle: Distil the reranker\nowner: ana\ntags: [a, b]\n---\n\n"
        "# Distillation\n\nStudent reaches 97% of teacher.\n"
    )
    notes = read_notes(path)
    assert notes.format == "md"
    assert notes.front_matter == {
        "kind": "training",
        "title": "Distil the reranker",
        "owner": "ana",
        "tags": ["a", "b"],
    }
    assert notes.kind == "training" and notes.title == "Distil the reranker"
    assert notes.text == "# Distillation\n\nStudent reaches 97% of teacher.\n"
    assert notes.origins == [f"{path}:8", f"{path}:9", f"{path}:10"]
    assert notes.origin(3) == f"{path}:10"
    assert "kind:" not in notes.text


def test_front_matter_fixture():
    path = FIXTURES / "notes.md"
    notes = read_notes(path)
    assert notes.kind == "evaluation"
    assert notes.front_matter["owner"] == "ana"
    assert notes.text.startswith("# Reranker evaluation\n")
    number = int(line_origin(notes, "nDCG@10 went from").rsplit(":", 1)[1])
    assert path.read_text().split("\n")[number - 1].startswith("nDCG@10 went from")


@pytest.mark.parametrize(
    ("front", "found"),
    [("- a\n- b", "list"), ("just a sentence", "str"), ("42", "int")],
)
def test_front_matter_must_be_a_mapping(tmp_path, front, found):
    path = tmp_path / "notes.md"
    path.write_text(f"---\n{front}\n---\nbody\n")
    message = str(error_of(path))
    assert message.startswith(f"{path}: front matter is not a mapping (got {found})")


def test_front_matter_yaml_error_names_the_line(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("---\nkind: eval\ntitle: [unclosed\nowner: ana\n---\nbody\n")
    message = str(error_of(path))
    assert message.startswith(f"{path}: front matter is not valid YAML (line ")
    line = int(re.search(r"\(line (\d+):", message).group(1))
    assert 3 <= line <= 5  # the error is reported at or just after the broken line


def test_front_matter_yaml_error_line_is_exact_for_bad_indentation(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("---\nkind: eval\ntitle: x\n  owner: ana\n---\nbody\n")
    # libyaml words it "…in this context", pure-Python PyYAML "…here": the line is what matters.
    assert re.search(r"\(line 4: mapping values are not allowed (here|in this context)\)", str(error_of(path)))


def test_front_matter_impossible_date_is_an_input_error(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("---\ndate: 2024-02-30\n---\nbody\n")
    assert "front matter could not be read" in str(error_of(path))


def test_front_matter_only_is_empty(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("---\nkind: eval\n---\n\n  \n")
    assert str(error_of(path)) == f"{path}: is empty apart from its front matter"


def test_empty_front_matter_and_non_string_keys():
    notes = read_notes_text("---\n---\nbody\n")
    assert notes.front_matter == {}
    assert notes.origins == ["<text>:3"]
    notes = read_notes_text("---\n1: one\n2.5: two\n---\nbody")
    assert notes.front_matter == {"1": "one", "2.5": "two"}


def test_unclosed_front_matter_is_plain_text():
    notes = read_notes_text("---\nnot front matter\n")
    assert notes.front_matter == {}
    assert notes.text == "---\nnot front matter\n"


def test_front_matter_must_be_at_the_very_start():
    notes = read_notes_text("# Title\n---\nkind: eval\n---\n")
    assert notes.front_matter == {}
    assert "kind: eval" in notes.text


def test_front_matter_may_end_with_dots_and_crlf():
    notes = read_notes_text("---\r\nkind: eval\r\n...\r\nbody\r\n")
    assert notes.front_matter == {"kind": "eval"}
    assert notes.text == "body\n"


# --- read_notes_text --------------------------------------------------------------------------


def test_read_notes_text_defaults():
    notes = read_notes_text("\n\n# Notes\n\nsome text   \n\n\n")
    assert notes.path is None
    assert notes.format == "md"
    assert notes.text == "# Notes\n\nsome text   \n"  # outer blank lines trimmed, inner kept
    assert notes.origins == ["<text>:3", "<text>:4", "<text>:5"]


def test_read_notes_text_with_path_and_aliases():
    notes = read_notes_text("hello", path="draft.md", format="Markdown")
    assert notes.path == "draft.md" and notes.format == "md"
    assert notes.origins == ["draft.md:1"]
    assert read_notes_text("hello", format="text").format == "txt"
    assert read_notes_text("hello", format="stdin").format == "stdin"
    assert read_notes_text("<p>hello</p>", format="htm").text == "hello\n"


def test_read_notes_text_errors_name_the_text():
    assert str(text_error_of("   ")) == "<text>: is empty"
    assert str(text_error_of("", path="mine.md")) == "mine.md: is empty"
    assert "looks binary" in str(text_error_of("a\x00b"))
    assert "unpaired surrogate (U+D800" in str(text_error_of("a\ud800b"))
    assert "cannot be read from a string" in str(text_error_of("x", format="pdf"))
    assert "cannot be read from a string" in str(text_error_of("x", format="docx"))
    assert "unknown notes format 'rtf'" in str(text_error_of("x", format="rtf"))


def test_read_notes_text_accepts_bytes():
    assert read_notes_text("# Ünïcode".encode("utf-16")).text == "# Ünïcode\n"
    assert "not valid UTF-8" in str(text_error_of(b"\xff"))


def test_read_notes_text_notebook_json():
    nb = new_notebook(cells=[new_markdown_cell("# From JSON")])
    notes = read_notes_text(nbformat.writes(nb), format="ipynb", path="x.ipynb")
    assert notes.format == "ipynb"
    assert notes.text == "# From JSON\n"
    assert notes.origins == ["x.ipynb cell 1"]


TEXT_FORMATS = st.sampled_from(["md", "txt", "stdin", "html", "ipynb"])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
notebookish = st.fixed_dictionaries(
    {"nbformat": st.sampled_from([4, 3, "4", None]), "nbformat_minor": st.integers(0, 5)},
    optional={"cells": json_values, "metadata": json_values},
).map(json.dumps)
front_matterish = st.builds(
    lambda head, body: f"---\n{head}\n---\n{body}",
    st.text(alphabet=st.sampled_from(list("ab:- []{}\n\t'\"!&*#1.")), max_size=40),
    st.text(max_size=40),
)
htmlish = st.lists(
    st.sampled_from(["<p>", "</p>", "<table>", "<tr>", "<td>", "|", "<h2>", "<script>", "x", "\n", "<!--", "&amp;"]),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text() | front_matterish | htmlish | notebookish, format=TEXT_FORMATS)
def test_read_notes_text_only_ever_raises_input_error(text, format):
    try:
        notes = read_notes_text(text, format=format)
    except InputError as error:
        assert str(error).startswith("<text>: ")
        assert "\n" not in str(error)
    else:
        assert_consistent(notes)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_markdown_origins_point_back_at_the_original_line(text):
    try:
        notes = read_notes_text(text, path="n.md")
    except InputError:
        return
    original = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for line, origin in zip(notes.text.split("\n"), notes.origins, strict=False):
        name, number = origin.rsplit(":", 1)
        assert name == "n.md"
        assert original[int(number) - 1] == line


# --- notebooks ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eval_notebook() -> Notes:
    return read_notes(FIXTURES / "eval.ipynb")


def test_notebook_front_matter_from_first_markdown_cell(eval_notebook):
    assert eval_notebook.format == "ipynb"
    assert eval_notebook.front_matter == {"kind": "evaluation", "title": "Reranker eval", "owner": "ana"}
    assert eval_notebook.text.startswith("# Reranker evaluation\n")
    assert "kind: evaluation" not in eval_notebook.text
    assert_consistent(eval_notebook)


def test_notebook_keeps_markdown_code_tables_and_text_results(eval_notebook):
    name = str(FIXTURES / "eval.ipynb")
    expectations = {
        "We compare the cross-encoder with BM25.": 1,  # markdown cell
        "results = pd.read_csv('results.csv')": 2,  # code cell
        "results.groupby('model').mean()": 4,  # code cell with a table output
        "| 0 | cross-encoder | 0.41 |": 4,  # text/html table -> Markdown table
        "epoch 1 loss 0.52": 8,  # stdout stream
        "{'ndcg@10': 0.41, 'mrr': 0.52}": 10,  # text/plain execute_result
        "plt.plot(curve)": 11,
        "Ship the cross-encoder behind a flag.": 12,
        "| 0 | KEPT_A | 0.41 |": 15,  # inspection cell tagged "keep"
    }
    for needle, cell in expectations.items():
        assert line_origin(eval_notebook, needle) == f"{name} cell {cell}", needle
    assert "```python\nimport pandas as pd\nresults = pd.read_csv('results.csv')\n```" in eval_notebook.text
    assert "```text\n{'ndcg@10': 0.41, 'mrr': 0.52}\n```" in eval_notebook.text
    assert "|  | model | ndcg@10 |\n| --- | --- | --- |\n| 0 | cross-encoder | 0.41 |\n| 1 | bm25 | 0.37 |" in (
        eval_notebook.text
    )


@pytest.mark.parametrize(
    ("marker", "why"),
    [
        ("INSPECTED_ROW_A", "df.head() inspection cell and its table"),
        ("INSPECTED_PLAIN", "df.head() inspection cell and its text"),
        ("df.head()", "inspection cell source"),
        ("DEBUG_CELL", "cell tagged debug"),
        ("SCRATCH_THOUGHTS", "cell tagged Scratch (case-insensitive)"),
        ("STDERR_NOISE", "stderr stream"),
        ("ERROR_VALUE", "error output"),
        ("ERROR_TRACE", "error traceback"),
        ("INSPECTION_PRINT", "len/shape/print inspection cell"),
        ("INSPECTION_STDOUT", "inspection cell output"),
        ("Figure size", "figure repr"),
        ("RAW_CELL_TEXT", "raw cell"),
        ("style", "pandas <style> block"),
    ],
)
def test_notebook_drops(eval_notebook, marker, why):
    assert marker not in eval_notebook.text, why


def test_notebook_empty_cells_leave_no_trace(eval_notebook):
    cells = {origin.rsplit(" ", 1)[1] for origin in eval_notebook.origins}
    assert cells == {"1", "2", "4", "8", "10", "11", "12", "15"}  # 5 and 13 are empty
    assert "\n\n\n" not in eval_notebook.text


def test_notebook_metadata_front_matter_wins(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [new_markdown_cell("---\nkind: evaluation\ntitle: From cell\nextra: 1\n---\n# Body")],
        metadata={"translator": {"kind": "training", "owner": "bo"}},
    )
    notes = read_notes(path)
    assert notes.front_matter == {"kind": "training", "title": "From cell", "extra": 1, "owner": "bo"}
    assert notes.text == "# Body\n"


def test_notebook_front_matter_only_from_the_first_markdown_cell(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            new_code_cell("x = 1"),
            new_markdown_cell("# Intro"),
            new_markdown_cell("---\nkind: eval\n---\nlater"),
        ],
    )
    notes = read_notes(path)
    assert notes.front_matter == {}
    assert "kind: eval" in notes.text


def test_notebook_front_matter_in_a_raw_first_cell(tmp_path):
    path = write_notebook(
        tmp_path / "q.ipynb", [new_raw_cell("---\ntitle: Quarto style\n---\n"), new_markdown_cell("# Body")]
    )
    notes = read_notes(path)
    assert notes.title == "Quarto style"
    assert notes.text == "# Body\n"
    assert notes.origins == [f"{path} cell 2"]


def test_notebook_bad_front_matter(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [new_markdown_cell("---\n[1, 2]\n---\n# Body")])
    assert "front matter in cell 1 is not a mapping" in str(error_of(path))
    path = write_notebook(tmp_path / "nb2.ipynb", [new_markdown_cell("# Body")], metadata={"translator": ["x"]})
    assert "notebook metadata 'translator' is not a mapping" in str(error_of(path))


def test_notebook_with_only_dropped_cells_is_empty(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            new_markdown_cell("  "),
            new_code_cell("df.describe()"),
            new_code_cell("x = 1", metadata={"tags": ["DEBUG"]}),
            new_raw_cell("raw"),
        ],
    )
    assert str(error_of(path)).startswith(f"{path}: is empty")


def test_notebook_without_cells_is_empty(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [])
    assert str(error_of(path)).startswith(f"{path}: is empty")


def test_notebook_invalid_json(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text('{"cells": [}')
    assert str(error_of(path)).startswith(f"{path}: is not valid JSON (line 1, column 12")


@pytest.mark.parametrize("content", ["[]", '"text"', '{"cells": []}'])
def test_json_that_is_not_a_notebook(tmp_path, content):
    path = tmp_path / "nb.ipynb"
    path.write_text(content)
    assert "is not a Jupyter notebook" in str(error_of(path))


@pytest.mark.parametrize(
    "notebook",
    [
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}},
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{"cell_type": "bogus", "source": "", "metadata": {}}],
        },
        {"nbformat": 99, "nbformat_minor": 0, "metadata": {}, "cells": []},
        {"nbformat": "four", "cells": []},
    ],
)
def test_invalid_notebook(tmp_path, notebook):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(notebook))
    assert str(error_of(path)).startswith(f"{path}: is not a valid notebook (")


def test_notebook_is_checked_for_binary_and_encoding_like_text(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_bytes(b'{"nbformat": 4\x00}')
    assert "looks binary" in str(error_of(path))
    path.write_bytes(b'{"x": "\xff"}')
    assert "is not valid UTF-8 (byte 0xff at offset 7)" in str(error_of(path))


def test_notebook_source_as_list_of_lines_and_crlf(tmp_path):
    path = tmp_path / "nb.ipynb"
    cell = {"cell_type": "markdown", "metadata": {}, "source": ["# Title\r\n", "line two"]}
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": [cell]}))
    notes = read_notes(path)
    assert notes.text == "# Title\nline two\n"
    assert notes.origins == [f"{path} cell 1", f"{path} cell 1"]


def test_notebook_long_text_output_is_cut(tmp_path):
    log = "".join(f"step {i}\n" for i in range(500))
    path = write_notebook(
        tmp_path / "nb.ipynb", [new_code_cell("train()", outputs=[new_output("stream", name="stdout", text=log)])]
    )
    notes = read_notes(path)
    assert "step 0\n" in notes.text and "step 499\n" in notes.text
    assert "step 250\n" not in notes.text
    assert f"... ({500 - MAX_OUTPUT_LINES} lines omitted) ..." in notes.text


def test_notebook_html_table_output_escapes_pipes_and_markdown_output_is_kept(tmp_path):
    html = "<table><tr><th>metric</th><th>value</th></tr><tr><td>a|b</td><td>1</td></tr></table>"
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            new_code_cell(
                "show(results)", outputs=[new_output("display_data", data={"text/html": html, "text/plain": "PLAIN"})]
            ),
            new_code_cell("report()", outputs=[new_output("display_data", data={"text/markdown": "**bold result**"})]),
        ],
    )
    notes = read_notes(path)
    assert "| metric | value |\n| --- | --- |\n| a\\|b | 1 |" in notes.text
    assert "PLAIN" not in notes.text  # the table wins over text/plain
    assert line_origin(notes, "**bold result**") == f"{path} cell 2"


def test_notebook_code_with_backticks_gets_a_longer_fence(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", [new_code_cell('doc = """\n```\nx\n```\n"""')])
    assert read_notes(path).text.startswith("````python\n")


def test_notebook_other_kernel_language(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [new_code_cell("df")],
        metadata={"language_info": {"name": "R"}, "kernelspec": {"name": "ir", "display_name": "R", "language": "R"}},
    )
    notes = read_notes(path)
    assert notes.text == "```r\ndf\n```\n"  # the Python inspection rule does not apply to R


@pytest.mark.parametrize(
    "source",
    [
        "df",
        "df.head()",
        "df.tail(3)",
        "df.shape",
        "df.info()",
        "df.describe()",
        "df.columns",
        "df.dtypes",
        "len(x)",
        "print(x)",
        "x.value_counts()",
        "type(x)",
        "display(x)",
        "# look at it\ndf.head()\n\n# and the size\ndf.shape  # rows, cols",
        "df[df.split == 'test'].head(10);",
        "model.config.hidden_size",
    ],
)
def test_inspection_cells(source):
    assert is_inspection_cell(source)


@pytest.mark.parametrize(
    "source",
    [
        "x = df.head()",
        "df.head()\nmodel.fit(df)",
        "df.groupby('model').mean()",
        "train(model)",
        "import pandas as pd",
        "# only a comment",
        "",
        "%timeit df.head()",
        "!pip install torch",
        "'a string'",
        "df[['a', 'b']]",
        "for row in rows:\n    print(row)",
    ],
)
def test_not_inspection_cells(source):
    assert not is_inspection_cell(source)


# --- HTML -------------------------------------------------------------------------------------


def test_html_fixture():
    path = FIXTURES / "report.html"
    notes = read_notes(path)
    assert notes.format == "html"
    assert notes.path == str(path)
    assert set(notes.origins) == {str(path)}
    text = notes.text
    assert text.startswith("# Reranker report\n")
    assert "## Results\n" in text
    assert "| model | ndcg@10 | p\\|q |\n| --- | --- | --- |\n| cross_encoder | 0.41 | 1 |" in text
    assert "val_loss" in text  # underscores are not escaped
    assert "- first finding" in text
    for gone in ("SCRIPT_CODE", "STYLE_RULE", "NAV_LINK", "FOOTER_TEXT", "PAGE_TITLE", "iVBOR"):
        assert gone not in text, gone
    assert_consistent(notes)


def test_htm_suffix_and_fragment(tmp_path):
    path = tmp_path / "frag.htm"
    path.write_text("<h3>Setup</h3><p>batch size 32</p>")
    notes = read_notes(path)
    assert notes.text == "### Setup\n\nbatch size 32\n"
    assert notes.origins == [str(path)] * 3


def test_html_with_nothing_but_scripts_is_empty(tmp_path):
    path = tmp_path / "x.html"
    path.write_text("<html><head><style>p{}</style></head><body><script>go()</script><nav>Home</nav></body></html>")
    assert str(error_of(path)).startswith(f"{path}: is empty")


# --- DOCX -------------------------------------------------------------------------------------


def build_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Reranker study", 0)  # 1: Title
    document.add_heading("Setup", 1)  # 2
    document.add_paragraph("We fine-tuned on MS MARCO.")  # 3
    document.add_paragraph("")  # 4: empty, counted but not emitted
    document.add_paragraph("lr 3e-5", style="List Bullet")  # 5
    document.add_paragraph("warmup 10%", style="List Bullet 2")  # 6
    document.add_paragraph("batch 32", style="List Number")  # 7
    table = document.add_table(rows=3, cols=2)  # table 1
    for row, values in zip(
        table.rows, [("model", "ndcg@10"), ("cross|encoder", "0.41"), ("bm25", "0.37")], strict=False
    ):
        for cell, value in zip(row.cells, values, strict=False):
            cell.text = value
    document.add_heading("Findings", 2)  # 8
    paragraph = document.add_paragraph("first line")  # 9
    paragraph.add_run().add_break()
    paragraph.add_run("second line")
    document.save(path)
    return path


def test_docx(tmp_path):
    path = build_docx(tmp_path / "study.docx")
    assert b"\x00" in path.read_bytes()  # a real zip: must not be refused as binary
    notes = read_notes(path)
    assert notes.format == "docx"
    assert notes.text == (
        "# Reranker study\n"
        "\n"
        "# Setup\n"
        "\n"
        "We fine-tuned on MS MARCO.\n"
        "\n"
        "- lr 3e-5\n"
        "  - warmup 10%\n"
        "- batch 32\n"
        "\n"
        "| model | ndcg@10 |\n"
        "| --- | --- |\n"
        "| cross\\|encoder | 0.41 |\n"
        "| bm25 | 0.37 |\n"
        "\n"
        "## Findings\n"
        "\n"
        "first line\n"
        "second line\n"
    )
    p = f"{path} paragraph"
    assert line_origin(notes, "# Reranker study") == f"{p} 1"
    assert line_origin(notes, "# Setup") == f"{p} 2"
    assert line_origin(notes, "MS MARCO") == f"{p} 3"
    assert line_origin(notes, "lr 3e-5") == f"{p} 5"
    assert line_origin(notes, "warmup") == f"{p} 6"
    assert line_origin(notes, "batch 32") == f"{p} 7"
    assert line_origin(notes, "| bm25 |") == f"{path} table 1"
    assert line_origin(notes, "## Findings") == f"{p} 8"
    assert line_origin(notes, "second line") == f"{p} 9"
    assert_consistent(notes)


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a zip",
        b"PK\x03\x04 truncated zip",
    ],
)
def test_corrupt_docx(tmp_path, content):
    path = tmp_path / "bad.docx"
    path.write_bytes(content)
    assert str(error_of(path)) == f"{path}: is not a valid .docx file"


def test_zip_that_is_not_a_docx(tmp_path):
    path = tmp_path / "bad.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert str(error_of(path)) == f"{path}: is not a valid .docx file"


def test_old_doc_renamed_to_docx(tmp_path):
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    assert str(error_of(path)).startswith(f"{path}: is not a valid .docx file (it looks like an old .doc")


def test_docx_without_text_is_empty(tmp_path):
    path = tmp_path / "blank.docx"
    document = docx.Document()
    document.add_paragraph("   ")
    document.save(path)
    assert str(error_of(path)) == f"{path}: is empty"
    path.write_bytes(b"")
    assert str(error_of(path)) == f"{path}: is empty"


# --- PDF --------------------------------------------------------------------------------------


def test_pdf(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf([["Reranker report", "nDCG@10 (test) is 0.41"], [], ["Conclusion: ship it"]]))
    notes = read_notes(path)
    assert notes.format == "pdf"
    assert notes.text == "Reranker report\nnDCG@10 (test) is 0.41\n\nConclusion: ship it\n"
    assert notes.origins == [f"{path} page 1", f"{path} page 1", f"{path} page 3", f"{path} page 3"]


def test_pdf_without_text(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    assert str(error_of(path)) == f"{path}: has no extractable text (scanned?)"


def test_encrypted_pdf(tmp_path):
    path = tmp_path / "secret.pdf"
    path.write_bytes(make_pdf([["top secret"]], password="hunter2"))
    assert str(error_of(path)) == f"{path}: is encrypted (password-protected); save an unprotected copy"


def test_pdf_encrypted_with_empty_password_is_read(tmp_path):
    path = tmp_path / "restricted.pdf"
    path.write_bytes(make_pdf([["owner restrictions only"]], password=""))
    assert read_notes(path).text == "owner restrictions only\n"


@pytest.mark.parametrize(
    "content", [b"%PDF-1.4\n1 0 obj << /Type /Catalog", b"hello, not a pdf", b"%PDF-1.7\n" + b"\x00" * 50]
)
def test_corrupt_pdf(tmp_path, content, caplog):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    pypdf_logger = logging.getLogger("pypdf")
    level_before = pypdf_logger.level
    with caplog.at_level(logging.WARNING):
        assert str(error_of(path)).startswith(f"{path}: is not a valid PDF file")
    # pypdf's repair warnings ("EOF marker not found") would be extra stderr lines in the CLI.
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
    assert pypdf_logger.level == level_before


def test_truncated_pdf(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(make_pdf([["some text"]])[:300])
    assert str(error_of(path)).startswith(f"{path}: is not a valid PDF file (")
