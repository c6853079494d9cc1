"""Shared test set-up: no test touches the user's cache, and cassettes never hold a key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

# Recording: start the project's test server on this fixed port (cassettes match host and port)
# and run `pytest tests/test_draft_openai.py --record-mode=once`. Replay needs no server.
RECORDING_PORT = 18711
_SECRET_RESPONSE_HEADERS = {"set-cookie", "openai-organization", "openai-project"}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSLATOR_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() not in _SECRET_RESPONSE_HEADERS}
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    # record_mode is deliberately absent: set here, it would override --record-mode. The
    # plugin's default is "none", so CI only ever replays.
    return {
        "filter_headers": ["authorization", "openai-organization", "openai-project", "cookie", "api-key"],
        "before_record_response": _scrub_response,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return str(Path(request.node.fspath).parent / "cassettes" / request.module.__name__.split(".")[-1])
