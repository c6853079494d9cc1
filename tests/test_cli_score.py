"""`translator score` as a user runs it: real files, real output formats, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.sarif import validate_sarif
from translator.cli import main
from translator.rubric import score_text

GOOD = Path(__file__).parent / "fixtures" / "specs" / "good-model-change.md"
GAPS = Path(__file__).parent / "fixtures" / "specs" / "gappy-feature-spec.md"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_passing_spec_exits_zero_with_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["score", str(GOOD)], capsys)
    assert code == 0, out + err
    assert "PASS" in out and "lineage" in out and "present" in out


def test_failing_spec_exits_one_and_names_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", str(GAPS)], capsys)
    assert code == 1
    assert "FAIL" in out
    assert f"{GAPS}:" in out  # findings carry path:line


def test_json_report_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["score", str(GOOD), str(GAPS), "--format", "json"], capsys)
    assert code == 1
    report = json.loads(out)
    assert report["schema_version"] == 1
    assert [d["path"] for d in report["documents"]] == [str(GOOD), str(GAPS)]
    for document in report["documents"]:
        assert set(document) >= {"path", "kind", "rubric", "score", "passed", "concerns", "findings"}
        for concern in document["concerns"].values():
            assert concern["status"] in {"present", "incomplete", "missing"}
        for finding in document["findings"]:
            assert set(finding) >= {"rule", "concern", "severity", "message", "line", "hint"}
    gappy = report["documents"][1]
    assert gappy["kind"] == "feature-spec"
    assert gappy["concerns"]["failure_modes"]["status"] == "missing"
    assert report["summary"]["documents"] == 2 and report["summary"]["failed"] == 1


def test_sarif_has_rules_and_one_based_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "out.sarif"
    code, out, _ = run(["score", str(GAPS), "-f", "sarif", "-o", str(target)], capsys)
    assert code == 1 and out == ""
    sarif = validate_sarif(target.read_text())
    run_ = sarif["runs"][0]
    rule_ids = {rule["id"] for rule in run_["tool"]["driver"]["rules"]}
    assert sarif["version"] == "2.1.0" and run_["results"]
    for result in run_["results"]:
        assert result["ruleId"] in rule_ids
        region = result["locations"][0]["physicalLocation"].get("region")
        assert region is None or region["startLine"] >= 1


def test_junit_and_github_formats(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["score", str(GOOD), str(GAPS), "-f", "junit"], capsys)
    suite = ET.fromstring(out.split("\n", 1)[1])
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    _, out, _ = run(["score", str(GAPS), "-f", "github"], capsys)
    lines = out.strip().splitlines()
    assert lines and all(line.startswith(("::error file=", "::warning file=", "::notice file=")) for line in lines)


def test_fail_on_and_fail_under(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(GOOD.read_text() + "\nThe lookup should be fast.\n")
    assert run(["score", str(spec)], capsys)[0] == 0
    assert run(["score", str(spec), "--fail-on", "warning"], capsys)[0] == 1
    assert run(["score", str(spec), "--fail-under", "100"], capsys)[0] == 1


def test_stdin_and_kind_option(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GOOD.read_bytes())))
    code, out, _ = run(["score", "-", "--kind", "general", "-f", "json"], capsys)
    document = json.loads(out)["documents"][0]
    assert code == 0 and document["path"] == "<stdin>" and document["kind"] == "general"


def test_directory_and_glob_inputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text(GOOD.read_text())
    (tmp_path / "a" / "skip.txt").write_text("not markdown")
    (tmp_path / "two.md").write_text(GAPS.read_text())
    _, out, _ = run(["score", str(tmp_path), "-f", "json"], capsys)
    assert sorted(Path(d["path"]).name for d in json.loads(out)["documents"]) == ["one.md", "two.md"]
    _, out, _ = run(["score", str(tmp_path / "**" / "*.md"), "-f", "json"], capsys)
    assert len(json.loads(out)["documents"]) == 2


def test_config_file_sets_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = tmp_path / "spec.md"
    spec.write_text(GOOD.read_text())
    (tmp_path / "pyproject.toml").write_text('[tool.translator]\nformat = "json"\nfail-under = 101\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["score", "spec.md"], capsys)
    assert code == 2 and "fail_under" in err  # 101 is out of range: one line naming the key
    (tmp_path / "pyproject.toml").write_text('[tool.translator]\nformat = "json"\nfail-on = "warning"\n')
    code, out, _ = run(["score", "spec.md"], capsys)
    assert json.loads(out)["documents"][0]["path"] == "spec.md"


BAD_INPUTS = [
    ("empty.md", b"", "is empty"),
    ("blank.md", b"  \n\t\n", "is empty"),
    ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "looks binary"),
    ("latin1.md", "caf\xe9 latency".encode("latin-1"), "is not valid UTF-8"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_INPUTS)
def test_bad_file_is_one_line_and_others_still_scored(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    code, out, err = run(["score", str(bad), str(GOOD), "-f", "json"], capsys)
    assert code == 2
    report = json.loads(out)
    assert [d["path"] for d in report["documents"]] == [str(GOOD)]
    assert report["errors"][0]["path"] == str(bad) and message in report["errors"][0]["message"]
    assert err.strip().count("\n") == 0 and message in err and "Traceback" not in err


def test_huge_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with huge.open("wb") as stream:
        stream.truncate(20 * 1024 * 1024)
    code, out, _ = run(["score", str(huge)], capsys)
    assert code == 2 and "over the 5 MB limit" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "no/such/file.md"], "does not exist"),
        (["score", "--kind", "poem", "x.md"], "unknown rubric 'poem'"),
        (["score", "--format", "pdf", "x.md"], "--format must be one of"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code, out, err = run(args, capsys)
    assert code == 2 and message in out + err and "Traceback" not in out + err


def test_folder_without_markdown(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    code, out, _ = run(["score", str(tmp_path)], capsys)
    assert code == 2 and "holds no .md" in out


def test_malformed_rubric_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rubric = tmp_path / "r.yaml"
    rubric.write_text(
        "version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n    check: concern_present\n    concern: lineage\n    weight: -1\n    message: m\n"
    )
    code, _, err = run(["score", str(GOOD), "--rubric", str(rubric)], capsys)
    assert code == 2
    assert err.strip() == f"translator: {rubric}:8: criteria[a].weight: Input should be greater than or equal to 0"


def test_rubrics_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(["rubrics", "list"], capsys)
    assert code == 0 and "feature-spec" in out and "model-card" in out
    code, out, _ = run(["rubrics", "show", "tradeoff-memo"], capsys)
    assert code == 0 and "decision-matrix-adequate" in out and "memo-length" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [\n")
    code, _, err = run(["rubrics", "check", str(bad)], capsys)
    assert code == 2 and str(bad) in err


def test_score_path_imports_no_llm_library() -> None:
    code = (
        f"import sys; from translator.cli import main; main(['score', {str(GOOD)!r}, '-f', 'json']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('openai', 'langchain_core', 'langchain_openai', 'tiktoken')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_no_text_crashes_the_scorer(text: str) -> None:
    """Any text either scores or raises InputError (malformed front matter), never crashes."""
    from translator.errors import InputError

    try:
        report = score_text(text)
    except InputError:
        return
    assert 0 <= report.score <= 100


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "# T",
                "## Data lineage",
                "## Latency",
                "- item",
                "1. **Validation**: x",
                "```",
                "| a | b |",
                "|---|---|",
                "TBD",
                "---",
                "kind: model-card",
                "<!-- translator: disable=lineage -->",
                "Setext",
                "===",
                "> quote",
                "",
            ]
        ),
        max_size=40,
    )
)
def test_no_markdown_structure_crashes_the_scorer(lines: list[str]) -> None:
    from translator.errors import InputError

    try:
        report = score_text("\n".join(lines))
    except InputError:
        return
    for finding in report.findings:
        assert finding.line is None or finding.line >= 1


def test_front_matter_that_yaml_cannot_construct_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    # An impossible date parses as YAML but fails when constructed: the one front-matter reader
    # (shared with the notes readers) reports it, where score used to exit 70.
    spec = tmp_path / "bad-date.md"
    spec.write_text("---\ndate: 2026-13-45\n---\n# T\n\nhello\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "translator", "score", str(spec)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "front matter could not be read (month must be in 1..12)" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
