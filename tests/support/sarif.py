"""Every SARIF the suite produces is checked against the official SARIF 2.1.0 schema.

The schema is OASIS's (sarif-2.1/schema/sarif-schema-2.1.0.json in oasis-tcs/sarif-spec, the
2.1.0 errata 01 text), shipped in tests/fixtures/sarif so the check needs no network. Formats
are checked too (``uri-reference`` through rfc3986-validator): that is what rejects a raw
"odd dir/x.md" or "<stdin>".
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def validate_sarif(text: str) -> dict[str, Any]:
    """The parsed log, after asserting it is valid SARIF 2.1.0 (every error listed)."""
    log: dict[str, Any] = json.loads(text)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _validator().iter_errors(log)]
    assert not errors, "SARIF 2.1.0 schema violations:\n" + "\n".join(errors)
    return log
