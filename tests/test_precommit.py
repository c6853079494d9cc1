"""The pre-commit hook, run the way a user tries it: `pre-commit try-repo` on this repository,
in a git repository holding a passing and a failing spec. pre-commit builds the hook's own
virtual environment by pip-installing this repository (from the configured package index), so
this test takes a few minutes; it runs once, over both specs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "fixtures" / "specs"


def test_the_hook_manifest_is_what_the_readme_says() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "translator-score" and hook["entry"] == "translator score"
    assert hook["language"] == "python" and hook["types"] == ["markdown"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "id: translator-score" in readme


@pytest.mark.e2e
def test_try_repo_fails_the_gappy_spec_and_passes_the_good_one(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "good spec.md").write_text((SPECS / "good-model-change.md").read_text(encoding="utf-8"))
    (project / "docs" / "gappy.md").write_text((SPECS / "gappy-feature-spec.md").read_text(encoding="utf-8"))
    (project / "notes.txt").write_text("not Markdown: the hook must not see it\n")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "PRE_COMMIT_COLOR": "never"}
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "translator-score", "--all-files", "--verbose"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "translator score" in output and "Failed" in output and "- exit code: 1" in output
    assert "FAIL docs/gappy.md" in output
    assert "PASS docs/good spec.md" in output
    assert "notes.txt" not in output.split("hook id: translator-score", 1)[1]
