"""`translator lsp` in a real editor: headless Neovim, wired exactly as the README says.

Needs `nvim` on PATH (Debian's neovim package, 0.7.2, was used); skipped without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from translator.rubric import score_text

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "fixtures" / "specs"
NVIM = shutil.which("nvim")


def readme_wiring() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    editors = readme.split("### Editors: `translator lsp`", 1)[1].split("\n### ", 1)[0]
    (block,) = re.findall(r"```lua\n(.+?)\n```", editors, flags=re.S)
    return block


@pytest.mark.e2e
@pytest.mark.skipif(NVIM is None, reason="nvim is not installed")
def test_neovim_gets_diagnostics_and_applies_the_fix(tmp_path: Path) -> None:
    spec = tmp_path / "gappy spec.md"
    text = (SPECS / "gappy-feature-spec.md").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    script = tmp_path / "init.lua"
    script.write_text(readme_wiring() + "\n" + (ROOT / "tests/fixtures/nvim/drive.lua").read_text(), encoding="utf-8")
    out = tmp_path / "seen.json"
    env = {
        **os.environ,
        "SPEC": str(spec),
        "OUT": str(out),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    assert NVIM is not None
    subprocess.run(
        [NVIM, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {script}"],
        cwd=tmp_path,
        env=env,
        timeout=240,
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    seen = json.loads(out.read_text(encoding="utf-8"))
    report = score_text(text, path=str(spec))
    assert sorted((d["code"], d["lnum"]) for d in seen["before"]) == sorted(
        (f.rule, f.line - 1 if f.line else 3) for f in report.findings
    )
    assert "Insert every missing section skeleton (translator --fix)" in seen["actions"]
    lines = seen["text"].split("\n")
    assert "## Failure modes" in lines and "## Latency and cost" in lines
    moved = {d["code"]: d["lnum"] for d in seen["after"]}
    assert lines[moved["failure-modes-present"]] == "## Failure modes"
    assert 3 not in moved.values()
