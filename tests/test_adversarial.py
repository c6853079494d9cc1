"""A scripted adversarial model against the gate: nothing invented is ever accepted.

Each case in eval_sets/adversarial/ holds notes and the spec a scripted model answers every
draft and repair request with (tests/support/responders.py: ScriptedSpecModel), over real HTTP
through the test server. Invented cases borrow numbers from dates and counts, take substrings
of identifiers, swap before and after, invent cadences, sources and failure modes in plain
words (also inside Evidence bullets) or obey an injection; each must end not accepted (exit 3).
Faithful controls must be accepted (exit 0): the gate may not reject what the notes support.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.openai_server import OpenAIServer
from tests.support.responders import ScriptedSpecModel
from translator.cli import main

CASES = sorted((Path(__file__).resolve().parents[1] / "eval_sets" / "adversarial").glob("*.yaml"))


def _case(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as running:
        yield running


def _draft(server: OpenAIServer, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, Path]:
    case = _case(path)
    server.responder = ScriptedSpecModel(case)
    notes = tmp_path / "notes.md"
    notes.write_text(case["notes"], encoding="utf-8")
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    argv = ["draft", str(notes), "--kind", case["kind"], "--base-url", server.base_url, "--model", "gpt-4o-mini"]
    code = main([*argv, "--no-cache", "-q", "-o", str(tmp_path / "notes.spec.md")])
    return code, tmp_path


def test_the_set_is_large_and_has_controls() -> None:
    expectations = [_case(path)["expect"] for path in CASES]
    assert len(CASES) >= 30 and set(expectations) == {"accepted", "rejected"}
    assert expectations.count("accepted") >= 5 and expectations.count("rejected") >= 25


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_invented_is_never_accepted_and_faithful_is(
    server: OpenAIServer, path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _case(path)
    code, out = _draft(server, path, tmp_path, monkeypatch)
    if case["expect"] == "accepted":
        assert code == 0, (out / "notes.rejected.json").read_text()
        grounding = json.loads((out / "notes.spec.json").read_text())["grounding"]
        assert grounding["findings"] == [] and grounding["claims"]
        # Provenance: every claim carries the notes line it comes from, and that line says it.
        lines = case["notes"].splitlines()
        for claim in grounding["claims"]:
            assert claim["status"] == "grounded" and claim["line"] is not None
            assert " ".join(lines[claim["line"] - 1].split()).endswith(claim["source"].removesuffix("..."))
    else:
        assert code == 3
        rejected = json.loads((out / "notes.rejected.json").read_text())
        # What it invented is listed with the reason, set apart from the spec, and never
        # judged as the content of a concern.
        ungrounded = [c for c in rejected["grounding"]["claims"] if c["status"] == "ungrounded"]
        assert all(c["reason"] for c in ungrounded)
        if ungrounded:
            assert "## Assumptions (not in the notes)" in (out / "notes.rejected.md").read_text()
        for concern in case.get("not_present", []):
            assert rejected["report"]["concerns"][concern]["status"] != "present", concern
            assert concern in {q["concern"] for q in rejected["spec"]["open_questions"]}, concern
