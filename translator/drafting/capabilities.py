"""Which structured-output mode a model server takes, remembered per server and model.

A server that lacks json_schema says so once; after that every call, every later run and every
batch worker starts from the mode that worked, so discovery costs one failed request per server,
ever. The memory lives in the cache database (its own table, beside the cached answers), and
only records a mode after a call in it succeeded.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from translator.drafting.cache import default_cache_path, open_cache_db

# The fallback order: the strictest mode first, then what compatible servers commonly take
# instead (llama.cpp: a json_object with a schema, grammar-constrained), then tool calling,
# then plain JSON mode with the schema in the prompt, which every server serves.
MODES = ("json_schema", "json_object_schema", "function_calling", "json_mode")


def is_capability_error(status: int, text: str) -> bool:
    """Whether an error answer means "this server does not take this request format".

    Real servers say it in different forms: OpenAI and vLLM answer 400, FastAPI-based servers
    422 (a validation error), llama-cpp-python's server 500 (its validation error escapes as a
    server error); each body names the part it refused.
    """
    if status not in (400, 422, 500):
        return False
    lowered = text.lower()
    return any(
        word in lowered for word in ("response_format", "json_schema", "tool_choice", "tools", "structured output")
    )


class ModeMemory:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_cache_db(
                self.path,
                "CREATE TABLE IF NOT EXISTS structured_modes (server TEXT NOT NULL, model TEXT NOT NULL, "
                "mode TEXT NOT NULL, PRIMARY KEY (server, model))",
            )
        return self._db

    def get(self, server: str, model: str) -> str | None:
        with self._lock:
            if self._db is None and not self.path.exists():
                return None  # nothing learned yet: reading must not create the file (--no-cache leaves no trace)
            try:
                row = (
                    self._connect()
                    .execute("SELECT mode FROM structured_modes WHERE server = ? AND model = ?", (server, model))
                    .fetchone()
                )
            except sqlite3.Error:
                return None  # a broken memory costs one discovery, never a draft
        return row[0] if row and row[0] in MODES else None

    def put(self, server: str, model: str, mode: str) -> None:
        with self._lock:
            try:
                db = self._connect()
                db.execute(
                    "INSERT OR REPLACE INTO structured_modes (server, model, mode) VALUES (?, ?, ?)",
                    (server, model, mode),
                )
                db.commit()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
