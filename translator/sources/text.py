"""Decoding, limits and small helpers shared by every reader.

Every reader goes through the same gate: the path exists and is a file, it is not over the size
limit (checked before the file is read in full), text is not binary, decodes as UTF-8 (or UTF-16/32
when it starts with a BOM), newlines become LF, and what is left after extraction is not empty.

Readers build their output with :class:`LineBuffer`, which keeps one origin per output line so
that ``Notes.origins[i]`` always describes line ``i + 1`` of ``Notes.text``.
"""

from __future__ import annotations

import codecs
import re
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from translator import yamlio
from translator.errors import InputError

DEFAULT_MAX_BYTES = 5_000_000
STDIN_NAME = "<stdin>"
TEXT_NAME = "<text>"

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 little-endian one.
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


# --- size and path checks -------------------------------------------------------------------


def check_max_bytes(max_bytes: int) -> None:
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise InputError(f"--max-bytes must be a positive whole number of bytes, got {max_bytes!r}")


def _amount(n: float, unit: str, *, keep_decimal: bool) -> str:
    text = f"{n:.1f}"
    if not keep_decimal and text.endswith(".0"):
        text = text[:-2]
    return f"{text} {unit}"


def format_size(n: int, *, keep_decimal: bool = True) -> str:
    """5_000_000 -> '5.0 MB' ('5 MB' without keep_decimal), 2_500 -> '2.5 KB', 12 -> '12 bytes'."""
    if n >= 1_000_000:
        return _amount(n / 1_000_000, "MB", keep_decimal=keep_decimal)
    if n >= 1_000:
        return _amount(n / 1_000, "KB", keep_decimal=keep_decimal)
    return f"{n} bytes"


def too_big_message(size: int | None, max_bytes: int) -> str:
    limit = format_size(max_bytes, keep_decimal=False)
    if size is None:
        return f"is over the {limit} limit (--max-bytes)"
    shown = format_size(size)
    if shown == format_size(max_bytes):
        # Rounding would make the size look equal to the limit; be exact instead.
        shown, limit = f"{size} bytes", f"{max_bytes}-byte"
    return f"is {shown}, over the {limit} limit (--max-bytes)"


def check_file(path: Path, display: str) -> int | None:
    """Fail unless ``path`` is an existing non-directory; return its size if it is a regular file.

    Pipes and other special files (``<(cmd)``, /dev/stdin) are allowed; their size is not known
    in advance, so the limit is enforced while reading instead.
    """
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("does not exist", path=display) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", path=display) from None
    except ValueError:  # e.g. an embedded NUL in the path
        raise InputError("is not a valid path", path=display) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path=display) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError("is a directory", path=display)
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def check_size(size: int | None, display: str, max_bytes: int) -> None:
    if size is not None and size > max_bytes:
        raise InputError(too_big_message(size, max_bytes), path=display)


def _read_limited(stream: BinaryIO, max_bytes: int, display: str) -> bytes:
    # Read one byte past the limit so that a file that grew since stat() is still caught,
    # without ever holding more than max_bytes + 1 bytes.
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(too_big_message(None, max_bytes), path=display)
    return data


def read_file_bytes(path: Path, display: str, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as stream:
            return _read_limited(stream, max_bytes, display)
    except FileNotFoundError:
        raise InputError("does not exist", path=display) from None
    except IsADirectoryError:
        raise InputError("is a directory", path=display) from None
    except PermissionError:
        raise InputError("cannot be read (permission denied)", path=display) from None
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path=display) from None


def read_stdin_bytes(max_bytes: int, stream: BinaryIO | None = None) -> bytes:
    if stream is None:
        stdin = sys.stdin
        if stdin is None:
            raise InputError("cannot be read (no standard input)", path=STDIN_NAME)
        stream = getattr(stdin, "buffer", None)
        if stream is None:  # a text-only replacement such as io.StringIO
            text = stdin.read(max_bytes + 1)
            data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
            if len(data) > max_bytes:
                raise InputError(too_big_message(None, max_bytes), path=STDIN_NAME)
            return data
    return _read_limited(stream, max_bytes, STDIN_NAME)


# --- decoding ---------------------------------------------------------------------------------


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, display: str) -> str:
    """Bytes of a text file -> str with LF newlines, or an InputError saying what is wrong."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)  # these codecs consume the BOM
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"starts with a {label} byte-order mark but is not valid {label} "
                    f"(bad bytes at offset {exc.start}); save it as UTF-8",
                    path=display,
                ) from None
            nul = text.find("\x00")
            if nul != -1:
                raise InputError(f"looks binary (NUL character at position {nul})", path=display)
            return normalise_newlines(text)

    # A NUL byte never occurs in real UTF-8 text. Scanning the whole file (not only the first
    # 8 KB) is a single memchr and also rejects text with stray NULs further in.
    nul = data.find(b"\x00")
    if nul != -1:
        raise InputError(f"looks binary (NUL byte at offset {nul})", path=display)

    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise InputError(
            f"is not valid UTF-8 (byte 0x{data[offset]:02x} at offset {offset}); save it as UTF-8",
            path=display,
        ) from None
    return normalise_newlines(text)


def clean_text(text: str, display: str) -> str:
    """The same rules as :func:`decode_bytes`, for text that is already a str."""
    if text.startswith("\ufeff"):
        text = text[1:]
    nul = text.find("\x00")
    if nul != -1:
        raise InputError(f"looks binary (NUL character at position {nul})", path=display)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            f"contains an unpaired surrogate (U+{ord(text[exc.start]):04X} at position {exc.start})",
            path=display,
        ) from None
    return normalise_newlines(text)


# --- front matter -----------------------------------------------------------------------------

_FM_OPEN = re.compile(r"---[ \t]*\n")
_FM_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def _one_line(value: object, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def split_front_matter(text: str, display: str, *, where: str = "front matter") -> tuple[dict[str, Any], str, int]:
    """Split a leading ``---`` YAML block off ``text``.

    Returns ``(front_matter, rest, lines_consumed)``; ``lines_consumed`` is how many lines of
    ``text`` the block (delimiters included) took, so line ``n`` of ``rest`` is line
    ``n + lines_consumed`` of ``text``. Text that does not start with ``---`` or has no closing
    ``---`` (or ``...``) line has no front matter. YAML line numbers in errors count from the
    start of ``text``.
    """
    opening = _FM_OPEN.match(text)
    if not opening:
        return {}, text, 0
    closing = _FM_CLOSE.search(text, opening.end())
    if not closing:
        return {}, text, 0
    block = text[opening.end() : closing.start()]
    end = closing.end()
    if end < len(text):  # the newline that ends the closing line
        end += 1
    consumed = text.count("\n", 0, end) + (0 if text[:end].endswith("\n") else 1)

    try:
        data = yamlio.safe_load(block)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        at = f"line {mark.line + 2}: " if mark is not None else ""  # +1 for 1-based, +1 for '---'
        raise InputError(f"{where} is not valid YAML ({at}{_one_line(problem)})", path=display) from None
    except RecursionError:
        raise InputError(f"{where} is nested too deeply", path=display) from None
    except Exception as exc:
        raise InputError(f"{where} could not be read ({_one_line(exc)})", path=display) from None

    if data is None:
        return {}, text[end:], consumed
    if not isinstance(data, dict):
        raise InputError(
            f"{where} is not a mapping (got {type(data).__name__}); "
            "a leading '---' line starts a YAML block of 'key: value' lines",
            path=display,
        )
    return {str(key): value for key, value in data.items()}, text[end:], consumed


# --- building the output ----------------------------------------------------------------------


class LineBuffer:
    """Output lines, each with the origin it came from."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.origins: list[str] = []

    def add(self, text: str, origin: str) -> None:
        """Append ``text`` (may hold several lines) with one origin for all of them."""
        for line in text.split("\n"):
            self.lines.append(line)
            self.origins.append(origin)

    def blank(self, origin: str) -> None:
        if self.lines and self.lines[-1].strip():
            self.lines.append("")
            self.origins.append(origin)

    def finish(self, *, display: str, empty: str = "is empty", collapse_blank: bool = False) -> tuple[str, list[str]]:
        """Trim blank lines at both ends and return ``(text, origins)``; empty -> InputError.

        ``text`` ends with exactly one newline and has ``len(origins)`` lines.
        """
        lines, origins = self.lines, self.origins
        start, end = 0, len(lines)
        while start < end and not lines[start].strip():
            start += 1
        while end > start and not lines[end - 1].strip():
            end -= 1
        if start == end:
            raise InputError(empty, path=display)
        out_lines: list[str] = []
        out_origins: list[str] = []
        for line, origin in zip(lines[start:end], origins[start:end], strict=False):
            if collapse_blank and not line.strip() and out_lines and not out_lines[-1]:
                continue
            out_lines.append("" if collapse_blank and not line.strip() else line)
            out_origins.append(origin)
        return "\n".join(out_lines) + "\n", out_origins


def fence(body: str, info: str = "") -> str:
    """A fenced code block around ``body``, with a fence longer than any backtick run inside."""
    body = body.strip("\n")
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{body}\n{ticks}"


def _table_cell(value: str) -> str:
    return " ".join(value.replace("|", "\\|").split())


def markdown_table(rows: list[list[str]]) -> list[str]:
    """Rows of cell texts -> lines of a Markdown pipe table; the first row is the header."""
    rows = [[_table_cell(cell) for cell in row] for row in rows if row]
    if not rows:
        return []
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join(["---"] * width) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return lines
