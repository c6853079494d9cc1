"""A small SQLite cache of model answers, keyed by everything that determines the answer.

Cached at our layer, not LangChain's (its SQLite cache returns the wrong generation type for
json_schema structured output): the key is the model, the base URL, the messages, the output
schema, the structured-output method and the call parameters. The API key is never part of
anything stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

CACHE_ENV = "TRANSLATOR_CACHE_DIR"


def default_cache_path() -> Path:
    folder = Path(os.environ.get(CACHE_ENV) or user_cache_dir("spec-translator"))
    return folder / "model-calls.sqlite3"


def cache_key(**parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def open_cache_db(path: Path, table: str) -> sqlite3.Connection:
    """The cache database, shared by the call cache and the remembered structured-output modes:
    one file, opened one way (WAL, a 30 s busy timeout for concurrent batch workers), with
    ``table`` (a CREATE TABLE IF NOT EXISTS statement) in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(table)
    return db


class CallCache:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_cache_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = open_cache_db(
                self.path,
                "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL DEFAULT (unixepoch()))",
            )
        return self._db

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            try:
                row = self._connect().execute("SELECT value FROM calls WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                return None  # a broken cache costs a model call, never a draft
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            try:
                db = self._connect()
                db.execute("INSERT OR REPLACE INTO calls (key, value) VALUES (?, ?)", (key, json.dumps(value)))
                db.commit()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
