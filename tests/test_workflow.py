"""The pull-request recipe: action.yml's scoring step, run exactly as written, in a git
repository with a base commit and a change; the workflow wires its outputs to upload-sarif."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.sarif import validate_sarif

ROOT = Path(__file__).resolve().parents[1]
SPECS = Path(__file__).parent / "fixtures" / "specs"
ODD = "odd dir/new spec #1 ü.md"
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return loaded


def evaluate(expression: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    """The expressions action.yml uses: `inputs.X`, `github.Y`, joined by `||`."""
    for alternative in expression.split("||"):
        name = alternative.strip()
        value = inputs.get(name.removeprefix("inputs."), "") if name.startswith("inputs.") else github.get(name, "")
        if value:
            return value
    return ""


def run_step(step: dict[str, Any], cwd: Path, inputs: dict[str, str], github: dict[str, str], out: Path) -> Any:
    defaults = {name: str(spec.get("default", "")) for name, spec in action()["inputs"].items()}
    values = {**defaults, **inputs}
    env = {
        **os.environ,
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_OUTPUT": str(out),
        # the venv's translator, installed from this source: what the install step provides
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for name, value in step.get("env", {}).items():
        env[name] = EXPRESSION.sub(lambda m: evaluate(m.group(1), values, github), str(value))
    assert step["shell"] == "bash"
    return subprocess.run(["bash", "-c", step["run"]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose last commit adds a gappy spec, edits a good one and deletes another."""
    root = tmp_path / "project"
    (root / "docs").mkdir(parents=True)
    (root / "odd dir").mkdir()
    good = SPECS / "good-model-change.md"
    shutil.copy(good, root / "docs" / "fraud.md")
    shutil.copy(good, root / "docs" / "untouched gappy.md")
    (root / "docs" / "untouched gappy.md").write_text(SPECS.joinpath("gappy-feature-spec.md").read_text())
    shutil.copy(good, root / "docs" / "retired.md")

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    shutil.copy(SPECS / "gappy-feature-spec.md", root / ODD)
    (root / "docs" / "fraud.md").write_text(good.read_text() + "\nOne more line.\n")
    (root / "docs" / "retired.md").unlink()
    (root / "notes.txt").write_text("not a spec\n")
    git("add", "-A")
    git("commit", "-qm", "change")
    return root, base


def score_step() -> dict[str, Any]:
    return next(step for step in action()["runs"]["steps"] if step.get("id") == "score")


def test_the_action_installs_this_repository_then_scores() -> None:
    steps = action()["runs"]["steps"]
    assert action()["runs"]["using"] == "composite"
    assert steps[0]["run"] == 'python3 -m pip install --quiet "$GITHUB_ACTION_PATH"'
    assert score_step()["run"].strip("'") == '"$GITHUB_ACTION_PATH/scripts/score-changed-specs"'


def test_changed_specs_get_annotations_and_sarif(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, base = repo
    outputs = tmp_path / "github_output"
    done = run_step(score_step(), root, {"paths": "*.md"}, {"github.event.pull_request.base.sha": base}, outputs)
    assert done.returncode == 1, done.stderr  # the new spec fails
    annotations = done.stdout.strip().splitlines()
    assert annotations and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations)
    files = {re.search(r"file=([^,:]+)", line).group(1) for line in annotations}  # type: ignore[union-attr]
    assert files == {ODD}  # the good edited spec has no findings; untouched and deleted ones are not scored
    assert outputs.read_text().splitlines() == ["scored=true", "sarif=spec-translator.sarif"]
    log = validate_sarif((root / "spec-translator.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"odd%20dir/new%20spec%20%231%20%C3%BC.md"}


def test_extra_args_and_no_changed_spec(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, base = repo
    outputs = tmp_path / "github_output"
    inputs = {"paths": "docs/*.md", "args": "--fail-on info", "sarif": "out/specs.sarif"}
    (root / "out").mkdir()
    done = run_step(score_step(), root, inputs, {"github.event.pull_request.base.sha": base}, outputs)
    assert done.returncode == 0 and done.stdout.strip() == ""  # only docs/fraud.md changed there, and it passes
    validate_sarif((root / "out" / "specs.sarif").read_text(encoding="utf-8"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    quiet = run_step(score_step(), root, {"base": head}, {}, outputs)
    assert quiet.returncode == 0 and "no spec changed" in quiet.stdout
    assert outputs.read_text().splitlines()[-1] == "scored=false"
    unknown = run_step(score_step(), root, {"base": "no-such-commit"}, {}, outputs)
    assert unknown.returncode == 2 and "cannot compare with no-such-commit" in unknown.stderr


def test_the_workflow_uploads_what_the_action_wrote() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "specs.yml").read_text(encoding="utf-8"))
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["score"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    scoring = next(s for s in steps if s.get("uses") == "./")
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["if"] == f"always() && steps.{scoring['id']}.outputs.scored == 'true'"
    assert upload["with"]["sarif_file"] == f"${{{{ steps.{scoring['id']}.outputs.sarif }}}}"
