"""Machine formats of a Report: json, sarif, junit, github. The human table lives in the CLI."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from translator.rubric.loader import load_rubric
from translator.rubric.model import Severity
from translator.rubric.report import Report

FORMATS = ("table", "json", "sarif", "junit", "github")

_SARIF_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}
_GITHUB_LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def to_sarif(report: Report, tool_version: str) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one rule per criterion id, 1-based lines."""
    rules: dict[str, dict[str, object]] = {}
    results: list[dict[str, object]] = []
    for document in report.documents:
        for finding in document.findings:
            if finding.rule not in rules:
                rules[finding.rule] = {
                    "id": finding.rule,
                    "shortDescription": {"text": _criterion_message(document.rubric, finding.rule) or finding.message},
                    "help": {"text": finding.hint or ""},
                    "properties": {"concern": finding.concern} if finding.concern else {},
                }
            location: dict[str, object] = {"artifactLocation": {"uri": document.path}}
            location["region"] = {"startLine": finding.line or 1}
            results.append(
                {
                    "ruleId": finding.rule,
                    "level": _SARIF_LEVEL[finding.severity],
                    "message": {"text": f"{finding.message} {finding.hint or ''}".strip()},
                    "locations": [{"physicalLocation": location}],
                }
            )
    for problem in report.errors:
        results.append(
            {
                "ruleId": "input-error",
                "level": "error",
                "message": {"text": problem.message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": problem.path}}}],
            }
        )
    if report.errors:
        rules["input-error"] = {"id": "input-error", "shortDescription": {"text": "The file could not be read."}}
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "spec-translator",
                        "version": tool_version,
                        "informationUri": "https://github.com/spec-translator/spec-translator",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2)


def _criterion_message(rubric: str, rule: str) -> str | None:
    try:
        loaded = load_rubric(rubric)
    except Exception:  # a rubric that loaded for scoring loads again; this is only a label
        return None
    return next((c.message for c in loaded.criteria if c.id == rule), None)


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
            props = f"file={_escape_property(document.path)},line={finding.line or 1},title={finding.rule}"
            text = f"{finding.message} {finding.hint or ''}".strip()
            out.append(f"::{_GITHUB_LEVEL[finding.severity]} {props}::{_escape_data(text)}")
    for problem in report.errors:
        out.append(f"::error file={_escape_property(problem.path)},title=input-error::{_escape_data(problem.message)}")
    return "\n".join(out)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
