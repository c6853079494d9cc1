"""Writing outputs so that a crash never leaves a half-written file, and no key is ever written."""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path

from translator.redact import redact

_TEMP_SUFFIX = ".tmp"


@cache
def _file_mode() -> int:
    """What open() would give a new file under the user's umask (mkstemp always gives 0600).
    Read once: setting the umask to read it is not thread-safe, so it is done before any worker."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    The text goes through the one redaction step first, and the file gets the user's umask."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _file_mode()
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=_TEMP_SUFFIX)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(redact(text))
            stream.flush()
            os.fchmod(stream.fileno(), mode)
            os.fsync(stream.fileno())
        if path.exists():  # rewriting a user's file (score --fix) keeps its permissions
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: Path) -> int:
    """Remove the temporary files a killed run left in ``folder`` (recursively); how many.

    Only call this while holding the folder (the batch lock): a live writer's temporary would go too."""
    removed = 0
    for temporary in folder.rglob(f".*.*{_TEMP_SUFFIX}"):
        try:
            if temporary.is_file() and not temporary.is_symlink():
                temporary.unlink()
                removed += 1
        except OSError:
            continue  # unremovable: harmless, the next run tries again
    return removed
