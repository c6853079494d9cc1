"""The package's public surface: small, typed, and light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import translator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "notes" / "fraud-velocity.md"


def test_draft_and_score_from_the_package(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = translator.draft(EXAMPLE)
    assert isinstance(result, translator.Draft) and result.accepted
    assert isinstance(result.spec, translator.SPEC_KINDS["model-change"])
    report = translator.score(result.markdown)
    assert report.passed and report.score == result.report.score
    assert translator.load_rubric("feature-spec").kind == "feature-spec"


def test_importing_the_package_loads_no_llm_library() -> None:
    code = "import sys, translator; translator.score('# x'); print(sorted(m for m in sys.modules if m.startswith(('openai', 'langchain'))))"
    assert (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    )


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        translator.nothing_here
    except AttributeError as exc:
        assert "nothing_here" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
