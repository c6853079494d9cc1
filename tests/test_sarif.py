"""SARIF that GitHub code scanning accepts: checked against the official 2.1.0 schema, with
odd file names, standard input and files that cannot be read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.sarif import validate_sarif
from translator.rubric import load_rubric, score_files
from translator.rubric.sarif import FINGERPRINT_KEY, to_sarif

FIXTURES = Path(__file__).parent / "fixtures" / "specs"
GAPS = FIXTURES / "gappy-feature-spec.md"
GOOD = FIXTURES / "good-model-change.md"
ODD = "odd dir/churn spec #1 ü.md"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree holding a gappy spec under an awkward name, and a good one."""
    root = tmp_path / "the repo"
    (root / "odd dir").mkdir(parents=True)
    (root / ODD).write_text(GAPS.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "good.md").write_text(GOOD.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def sarif_of(args: list[str], cwd: Path, stdin: str | None = None) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "translator", "score", "-f", "sarif", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, validate_sarif(done.stdout), done.stderr


def results_by_rule(log: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for result in log["runs"][0]["results"]:
        out.setdefault(result["ruleId"], []).append(result)
    return out


def test_uris_are_relative_to_the_repository_root_and_percent_encoded(repo: Path) -> None:
    # Run from a subfolder: URIs must not depend on the working directory.
    code, log, _ = sarif_of([ODD.split("/")[1]], cwd=repo / "odd dir")
    assert code == 1
    run = log["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations and all(
        loc == {"uri": "odd%20dir/churn%20spec%20%231%20%C3%BC.md", "uriBaseId": "%SRCROOT%"} for loc in locations
    )


def test_sarif_root_option_and_paths_outside_it(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text(GAPS.read_text(encoding="utf-8"), encoding="utf-8")
    _, log, _ = sarif_of(["--sarif-root", "odd dir", ODD, str(outside)], cwd=repo)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"churn%20spec%20%231%20%C3%BC.md", outside.resolve().as_uri()}


def test_absences_are_document_level_and_lines_are_real(repo: Path) -> None:
    _, log, _ = sarif_of([ODD], cwd=repo)
    report = score_files([str(repo / ODD)])
    findings = report.documents[0].findings
    results = log["runs"][0]["results"]
    assert len(results) == len(findings)
    for finding, result in zip(findings, results, strict=True):
        physical = result["locations"][0]["physicalLocation"]
        if finding.line is None:
            assert "region" not in physical, result
        else:
            assert physical["region"] == {"startLine": finding.line}
    assert any(f.line is None for f in findings) and any(f.line for f in findings)


def test_every_rule_of_the_applied_rubrics_is_listed(repo: Path) -> None:
    _, log, _ = sarif_of([ODD, "good.md"], cwd=repo)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    expected = {c.id: c for kind in ("feature-spec", "model-change") for c in load_rubric(kind).criteria}
    assert set(rules) == set(expected)
    levels = {"error": "error", "warning": "warning", "info": "note"}
    feature = {c.id: c for c in load_rubric("feature-spec").criteria}
    for rule_id, criterion in feature.items():  # the first rubric applied names the shared rules
        rule = rules[rule_id]
        assert rule["shortDescription"]["text"] == criterion.message
        assert rule["defaultConfiguration"]["level"] == levels[criterion.severity.value]
        assert rule.get("help", {}).get("text") == criterion.hint
    for result in log["runs"][0]["results"]:
        assert log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_fingerprints_survive_lines_moving(repo: Path) -> None:
    _, before, _ = sarif_of([ODD], cwd=repo)
    spec = repo / ODD
    text = spec.read_text(encoding="utf-8")
    at = text.index("\n## ")  # blank lines before the first section move every finding below it
    spec.write_text(text[:at] + "\n\n\n" + text[at:], encoding="utf-8")
    _, after, _ = sarif_of([ODD], cwd=repo)

    def prints(log: dict[str, Any]) -> list[str]:
        return [r["partialFingerprints"][FINGERPRINT_KEY] for r in log["runs"][0]["results"]]

    lines = [r["locations"][0]["physicalLocation"].get("region") for r in after["runs"][0]["results"]]
    assert prints(before) == prints(after) and len(set(prints(after))) == len(prints(after))
    assert lines != [r["locations"][0]["physicalLocation"].get("region") for r in before["runs"][0]["results"]]


def test_stdin_has_no_uri_but_stays_valid(repo: Path) -> None:
    code, log, _ = sarif_of(["-", "--kind", "feature-spec"], cwd=repo, stdin=GAPS.read_text(encoding="utf-8"))
    assert code == 1
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert artifacts and all(a == {"description": {"text": "standard input"}} for a in artifacts)


def test_unreadable_inputs_are_input_error_results(repo: Path) -> None:
    (repo / "odd dir" / "binary #2.md").write_bytes(b"\x00\x01\x02 not text")
    (repo / "latin1 é.md").write_bytes("caf\xe9".encode("latin-1") + b"\xff\xfe")
    code, log, err = sarif_of(["odd dir/binary #2.md", "latin1 é.md", "missing file.md", ODD], cwd=repo)
    assert code == 2 and err.count("translator: ") == 3
    errors = results_by_rule(log)["input-error"]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in errors)
    assert uris == ["latin1%20%C3%A9.md", "missing%20file.md", "odd%20dir/binary%20%232.md"]
    rules = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert "input-error" in rules and "formula-present" in rules


def test_the_schema_check_can_fail() -> None:
    """The validator rejects what the old writer produced: a raw path and line 1 for an absence."""
    report = score_files([str(GAPS)])
    text = to_sarif(report, "0", Path("/"))
    broken = text.replace('"uri": "', '"uri": "odd dir/<stdin> ', 1)
    with pytest.raises(AssertionError, match="uri-reference"):
        validate_sarif(broken)
    validate_sarif(text)
