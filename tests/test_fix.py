"""`translator score --fix` / `--diff`: the missing sections' skeletons, in the document's own
style and the kind's order, that still fail until a person fills them in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from translator.cli import main
from translator.rubric import load_vocabulary, score_text
from translator.rubric.fix import plan_fix, skeleton_template

GAPS = Path(__file__).parent / "fixtures" / "specs" / "gappy-feature-spec.md"
GOOD = Path(__file__).parent / "fixtures" / "specs" / "good-model-change.md"

SPEC = """\
---
kind: feature-spec
---
# Churn feature

We recommend adding `days_since_last_order` to the churn model.

## Formula

`days_since_last_order = (now - last_order_ts) / 86400`

## Validation

Shadow for two weeks.
"""


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def without_inserted(fixed: str, original: str) -> bool:
    """True when ``original``'s lines appear in ``fixed`` in order, untouched."""
    remaining = iter(fixed.splitlines())
    return all(line in remaining for line in original.splitlines())


def test_inserts_each_missing_concern_in_the_kinds_order_and_still_fails() -> None:
    plan = plan_fix(SPEC)
    fixed = plan.fixed
    assert headings(fixed) == [
        "# Churn feature",
        "## Formula",
        "## Data lineage",
        "## Compute and storage",
        "## Latency and cost",
        "## Failure modes",
        "## Validation",
    ]
    assert without_inserted(fixed, SPEC)
    vocabulary = load_vocabulary()
    for concern in ("lineage", "storage", "latency_cost", "failure_modes", "validation"):
        assert vocabulary.concerns[concern].question in fixed
    report = score_text(fixed)
    assert not report.passed
    # The checker finds every skeleton, at its heading, and sees only a placeholder there.
    for concern in ("lineage", "storage", "latency_cost", "failure_modes"):
        result = report.concerns[concern]
        assert result.status == "missing" and result.line is not None
        assert fixed.splitlines()[result.line - 1].endswith(vocabulary.concerns[concern].title)
        assert result.evidence and result.evidence.startswith("placeholder")
    # Each skeleton is reported once, by its concern's rule; no-placeholders does not repeat it.
    assert not [f for f in report.findings if f.rule == "no-placeholders"] and report.suppressed == 5
    assert len(report.findings) == len(score_text(SPEC).findings)


def test_an_incomplete_section_gets_its_question_once_and_covered_ones_nothing() -> None:
    plan = plan_fix(SPEC)
    appended = [i for i in plan.insertions if not i.section]
    assert [i.concern for i in appended] == ["validation"]
    question = load_vocabulary().concerns["validation"].question
    assert plan.fixed.split("Shadow for two weeks.", 1)[1].count(question) == 1
    formula = SPEC.split("## Formula", 1)[1].split("## Validation")[0]
    assert formula in plan.fixed


def test_fix_is_idempotent() -> None:
    once = plan_fix(GAPS.read_text(encoding="utf-8"), kind="feature-spec").fixed
    assert once != GAPS.read_text(encoding="utf-8")
    again = plan_fix(once, kind="feature-spec")
    assert not again.changed and again.fixed == once


def test_a_passing_spec_is_left_alone() -> None:
    assert not plan_fix(GOOD.read_text(encoding="utf-8")).changed


@pytest.mark.parametrize(
    ("formula_heading", "validation_heading", "expected"),
    [
        ("### Formula", "### Validation", "### Data lineage"),
        ("## Formula ##", "## Validation ##", "## Data lineage ##"),
        ("## The Exact Formula", "## Validation Plan", "## Data Lineage"),
        ("Formula\n-------", "Validation\n----------", "Data lineage\n------------"),
    ],
)
def test_headings_follow_the_documents_style(formula_heading: str, validation_heading: str, expected: str) -> None:
    text = SPEC.replace("## Formula", formula_heading).replace("## Validation", validation_heading)
    fixed = plan_fix(text).fixed
    assert expected in fixed
    assert without_inserted(fixed, text)
    assert score_text(fixed).concerns["lineage"].line == fixed.splitlines().index(expected.split("\n")[0]) + 1


def test_suppressed_concerns_are_not_reinserted() -> None:
    text = SPEC.replace("# Churn feature\n", "# Churn feature\n\n<!-- translator: disable=failure_modes -->\n")
    fixed = plan_fix(text).fixed
    assert "## Failure modes" not in fixed and "## Latency and cost" in fixed


def test_line_endings_and_a_missing_final_newline_are_kept() -> None:
    text = SPEC.replace("\n", "\r\n").rstrip("\r\n")
    fixed = plan_fix(text).fixed
    assert "\r\n## Data lineage\r\n" in fixed and "\n" not in fixed.replace("\r\n", "")
    assert without_inserted(fixed.replace("\r\n", "\n"), text.replace("\r\n", "\n"))


def test_the_skeleton_comes_from_the_data_file() -> None:
    heading, body = skeleton_template()
    assert heading == "{heading}" and "{question}" in body
    lineage = load_vocabulary().concerns["lineage"]
    assert body.format(title=lineage.title, question=lineage.question) in plan_fix(SPEC).fixed


def test_cli_fix_writes_diff_previews(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "churn spec.md"
    spec.write_text(SPEC, encoding="utf-8")
    spec.chmod(0o640)
    assert main(["score", str(spec), "--fix", "--diff"]) == 1
    diff = capsys.readouterr().out
    assert diff.startswith("--- a/") and "+## Failure modes" in diff
    assert spec.read_text(encoding="utf-8") == SPEC  # --diff writes nothing

    assert main(["score", str(spec), "--fix"]) == 1  # still failing: the TODOs are for a person
    captured = capsys.readouterr()
    assert "fixed (lineage, storage, latency_cost, failure_modes, validation)" in captured.err
    assert "FAIL" in captured.out
    assert spec.read_text(encoding="utf-8") == plan_fix(SPEC, path=str(spec)).fixed
    assert spec.stat().st_mode & 0o777 == 0o640

    assert main(["score", str(spec), "--diff"]) == 0  # nothing left to insert
    assert capsys.readouterr().out == ""


def test_cli_fix_on_stdin_and_bad_input(tmp_path: Path) -> None:
    def run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "translator", "score", *args], input=stdin, capture_output=True, text=True
        )

    refused = run(["-", "--fix"], SPEC)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    previewed = run(["-", "--diff"], SPEC)
    assert previewed.returncode == 1 and "+## Data lineage" in previewed.stdout
    binary = tmp_path / "binary.md"
    binary.write_bytes(b"\x00\x01 nope")
    bad = run([str(binary), "--fix"])
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert binary.read_bytes() == b"\x00\x01 nope"


def test_plain_score_does_not_import_fix_or_the_editor_server() -> None:
    probe = (
        "import sys; from translator.cli import main; code = main(['score', sys.argv[1]]);"
        "print(sorted(m for m in sys.modules if m.startswith(('translator.rubric.fix', 'translator.cli.fix',"
        " 'translator.lsp', 'pygls', 'lsprotocol'))))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(GOOD)], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
