"""One batch per output folder: a lock file holding the holder's pid.

Two batches writing one ``--out`` at once would draft everything twice and interleave their
journal lines. The lock is created with O_EXCL; a lock whose pid no longer runs (the holder was
killed) is stale and is taken over, so a crash never leaves the folder locked for good.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from translator.errors import OutputError

LOCK_NAME = ".translator.lock"


class OutputLock:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_NAME
        self.held = False

    def __enter__(self) -> OutputLock:
        for _ in range(3):  # a stale lock is removed, then taken; a racing taker may win in between
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self.holder()
                if holder is not None and _running(holder):
                    raise OutputError(
                        f"another batch (pid {holder}) is writing to {self.folder}; wait for it to finish "
                        f"(or remove {self.path} if no such batch runs)"
                    ) from None
                self.path.unlink(missing_ok=True)  # stale: its holder is gone
                continue
            except OSError as exc:
                raise OutputError(
                    f"cannot be written ({exc.strerror or exc.__class__.__name__})", path=str(self.folder)
                ) from None
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(f"{os.getpid()}\n")
            self.held = True
            return self
        raise OutputError(f"cannot take the lock {self.path}: other batches keep taking it")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if self.held and self.holder() == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False

    def holder(self) -> int | None:
        """The pid in the lock file, or None when it is unreadable (a torn write: stale)."""
        try:
            return int(self.path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None


def _running(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return False  # our own pid in a lock we did not take: a reused pid, so stale
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True
