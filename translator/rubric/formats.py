"""Machine formats of a Report: json, sarif, junit, github. The human table lives in the CLI."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from translator.rubric.model import Severity
from translator.rubric.report import Report
from translator.rubric.sarif import to_sarif

FORMATS = ("table", "json", "sarif", "junit", "github")
__all__ = ["FORMATS", "to_github", "to_json", "to_junit", "to_sarif"]

_GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def to_junit(report: Report) -> str:
    """One testsuite, one testcase per document; failing documents carry their findings."""
    suite = ET.Element(
        "testsuite",
        name="spec-translator",
        tests=str(len(report.documents) + len(report.errors)),
        failures=str(sum(1 for d in report.documents if not d.passed)),
        errors=str(len(report.errors)),
    )
    for document in report.documents:
        case = ET.SubElement(suite, "testcase", classname=document.kind, name=document.path)
        lines = [
            f"{document.path}:{f.line or '-'}: {f.severity.value} [{f.rule}] {f.message}" for f in document.findings
        ]
        if not document.passed:
            failure = ET.SubElement(case, "failure", message=f"score {document.score}", type="rubric")
            failure.text = "\n".join(lines)
        elif lines:
            ET.SubElement(case, "system-out").text = "\n".join(lines)
    for problem in report.errors:
        case = ET.SubElement(suite, "testcase", classname="input", name=problem.path)
        ET.SubElement(case, "error", message=problem.message, type="input")
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode")


def to_github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per finding."""
    out: list[str] = []
    for document in report.documents:
        for finding in document.findings:
            # No line: a file-level annotation, as in SARIF (an absence is not on line 1).
            line = f",line={finding.line}" if finding.line is not None else ""
            props = f"file={_escape_property(document.path)}{line},title={finding.rule}"
            text = f"{finding.message} {finding.hint or ''}".strip()
            out.append(f"::{_GITHUB_LEVEL[finding.severity]} {props}::{_escape_data(text)}")
    for problem in report.errors:
        out.append(f"::error file={_escape_property(problem.path)},title=input-error::{_escape_data(problem.message)}")
    return "\n".join(out)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
