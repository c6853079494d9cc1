"""A Report as SARIF 2.1.0 that GitHub code scanning accepts.

Code scanning maps a result to a repository file through its URI, so every URI is relative to
``%SRCROOT%`` (the repository root, given in ``originalUriBaseIds``) and percent-encoded. A
finding about an absence (a missing concern) has no line: it is a document-level result, with
no region, rather than one pinned to line 1. ``tool.driver.rules`` lists every rule of every
rubric applied, so that a rule with no result still has its description on the alerts page,
and ``partialFingerprints`` keep an alert's identity when unrelated lines move.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from translator.rubric.loader import load_rubric
from translator.rubric.model import Rubric, Severity
from translator.rubric.report import Finding, Report

SRCROOT = "%SRCROOT%"
INPUT_ERROR = "input-error"
STDIN_PATH = "<stdin>"
FINGERPRINT_KEY = "specTranslatorFinding/v1"
LEVEL = {Severity.error: "error", Severity.warning: "warning", Severity.info: "note"}


def repository_root(start: Path | None = None) -> Path:
    """The git work tree holding ``start`` (default: the working directory), else ``start``."""
    here = (start or Path.cwd()).resolve()
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return here
    top = found.stdout.strip()
    return Path(top).resolve() if found.returncode == 0 and top else here


def to_sarif(report: Report, tool_version: str, root: Path | None = None) -> str:
    """SARIF 2.1.0 with URIs relative to ``root`` (default: the repository root)."""
    base = (root or repository_root()).resolve()
    rules: dict[str, dict[str, object]] = {}
    for document in report.documents:
        rubric = _rubric(document.rubric)
        for criterion in rubric.criteria if rubric else []:
            rules.setdefault(criterion.id, _rule(criterion.id, criterion.message, criterion.hint, criterion.severity))
            if criterion.concern:
                rules[criterion.id].setdefault("properties", {"concern": criterion.concern})
        for finding in document.findings:  # a rubric that no longer loads still names its rules
            rules.setdefault(finding.rule, _rule(finding.rule, finding.message, finding.hint, finding.severity))
    if report.errors:
        rules[INPUT_ERROR] = _rule(INPUT_ERROR, "The file could not be read.", None, Severity.error)
    index = {rule_id: number for number, rule_id in enumerate(rules)}

    results: list[dict[str, object]] = []
    for document in report.documents:
        artifact = artifact_location(document.path, base)
        seen: Counter[str] = Counter()
        for finding in document.findings:
            identity = _identity(artifact, finding)
            seen[identity] += 1
            physical: dict[str, object] = {"artifactLocation": artifact}
            if finding.line is not None:
                physical["region"] = {"startLine": finding.line}
            results.append(
                {
                    "ruleId": finding.rule,
                    "ruleIndex": index[finding.rule],
                    "level": LEVEL[finding.severity],
                    "message": {"text": f"{finding.message} {finding.hint or ''}".strip()},
                    "locations": [{"physicalLocation": physical}],
                    # The n-th result of the same rule, concern and message in a file: line
                    # numbers are left out, so that an edit above a finding keeps its alert.
                    "partialFingerprints": {FINGERPRINT_KEY: _digest(f"{identity}\0{seen[identity]}")},
                }
            )
    for problem in report.errors:
        artifact = artifact_location(problem.path, base)
        results.append(
            {
                "ruleId": INPUT_ERROR,
                "ruleIndex": index[INPUT_ERROR],
                "level": "error",
                "message": {"text": problem.message},
                "locations": [{"physicalLocation": {"artifactLocation": artifact}}],
                "partialFingerprints": {FINGERPRINT_KEY: _digest(f"{INPUT_ERROR}\0{json.dumps(artifact)}")},
            }
        )
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
                # A base URI must end with a slash, or a relative URI replaces its last segment.
                "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


def artifact_location(path: str, base: Path) -> dict[str, object]:
    """Where ``path`` is, as code scanning reads it: a percent-encoded URI relative to ``base``,
    an absolute file URI outside it, or (for standard input) no URI but a description."""
    if path == STDIN_PATH:
        return {"description": {"text": "standard input"}}
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix(), safe="/"), "uriBaseId": SRCROOT}


def _rule(rule_id: str, message: str, hint: str | None, severity: Severity) -> dict[str, object]:
    rule: dict[str, object] = {
        "id": rule_id,
        "shortDescription": {"text": message},
        "defaultConfiguration": {"level": LEVEL[severity]},
    }
    if hint:
        rule["help"] = {"text": hint}
    return rule


def _rubric(name: str) -> Rubric | None:
    try:
        return load_rubric(name)
    except Exception:  # it loaded for scoring; if it no longer does, the findings still name their rules
        return None


def _identity(artifact: dict[str, object], finding: Finding) -> str:
    return "\0".join((json.dumps(artifact, sort_keys=True), finding.rule, finding.concern or "", finding.message))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
