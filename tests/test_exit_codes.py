"""The exit codes the README documents are the ones the CLI returns, one case each."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.openai_server import OpenAIServer
from tests.support.responders import ChainModel
from translator.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"


def documented_exit_codes() -> dict[int, str]:
    """The README's "Exit codes" table, as code -> meaning."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"^Exit codes\b.*?\n\n((?:\|.*\n)+)", readme, re.M)
    assert table, "the README documents no exit codes"
    return {
        int(code): meaning.strip() for code, meaning in re.findall(r"^\| `(\d+)` \| (.*?) \|$", table.group(1), re.M)
    }


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def test_the_readme_documents_the_exit_codes() -> None:
    codes = documented_exit_codes()
    assert sorted(codes) == [0, 1, 2, 3, 4, 70, 130]
    assert "passes" in codes[0] and "fails" in codes[1] and "usage, input or output error" in codes[2]
    assert "not accepted" in codes[3] and "model service failed" in codes[4]


def test_each_documented_exit_code_is_the_clis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    codes = documented_exit_codes()
    shutil.copy(EXAMPLE, tmp_path / "notes.md")
    jottings = ROOT / "eval_sets" / "notes" / "01-fraud-velocity-jottings.md"
    # 0 for the draft that is accepted, and again for scoring what it wrote.
    assert main(["draft", str(tmp_path / "notes.md"), "-o", str(tmp_path / "ok.spec.md"), "-q"]) == 0, codes[0]
    cases = {
        0: ["score", str(tmp_path / "ok.spec.md")],
        1: ["score", str(ROOT / "examples" / "specs" / "churn-feature.md")],
        2: ["score", str(tmp_path / "no-such-spec.md")],
        3: ["draft", str(jottings), "-o", str(tmp_path / "j.spec.md"), "-q"],
    }
    for code, argv in cases.items():
        assert main(argv) == code, f"{codes[code]}: {argv}"
    with OpenAIServer(responder=ChainModel(), api_key="the-right-key") as server:
        monkeypatch.setenv("OPENAI_API_KEY", "a-wrong-key")  # the server rejects it: 401
        argv = ["draft", str(tmp_path / "notes.md"), "--base-url", server.base_url, "--no-cache", "-q"]
        assert main(argv) == 4, codes[4]
