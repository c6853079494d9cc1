"""Rubrics as data: built-ins load, users extend them, broken files say where they are broken."""

from __future__ import annotations

from pathlib import Path

import pytest

from translator.errors import RubricError
from translator.rubric import builtin_kinds, load_rubric, load_vocabulary, score_text


def write(tmp_path: Path, text: str, name: str = "my.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_builtin_loads_and_names_only_known_concerns() -> None:
    vocabulary = load_vocabulary()
    assert set(builtin_kinds()) == {
        "general",
        "model-change",
        "feature-spec",
        "tradeoff-memo",
        "service-contract",
        "risk-brief",
        "model-card",
    }
    for kind in builtin_kinds():
        rubric = load_rubric(kind)
        assert rubric.kind == kind
        assert set(rubric.concerns) <= set(vocabulary.concerns)
        assert {"lineage", "latency_cost", "failure_modes", "validation", "recommendation"} <= set(rubric.concerns)


def test_extends_overrides_and_disables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
version: 1
kind: house-style
title: House style
extends: feature-spec
disable: [memo-length-does-not-exist]
criteria: []
""",
    )
    with pytest.raises(RubricError, match="no criterion 'memo-length-does-not-exist' to disable"):
        load_rubric(path)
    path = write(
        tmp_path,
        """\
version: 1
kind: house-style
title: House style
extends: feature-spec
disable: [storage-framework]
criteria:
  - id: lineage-present
    severity: warning
  - id: owner-named
    concern: recommendation
    check: concern_adequate
    require: [[identifier]]
    severity: info
    message: No owner.
""",
    )
    rubric = load_rubric(path)
    by_id = {c.id: c for c in rubric.criteria}
    assert by_id["lineage-present"].severity.value == "warning"
    assert by_id["lineage-present"].message == load_rubric("general").criteria[2].message
    assert "storage-framework" not in by_id and "owner-named" in by_id and "formula-present" in by_id
    report = score_text("We recommend it.\n", rubric=path)
    lineage = next(f for f in report.findings if f.rule == "lineage-present")
    assert lineage.severity.value == "warning"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n    check: concern_present\n    concern: lineage\n    severity: fatal\n    message: m\n",
            r"my\.yaml:8: criteria\[a\]\.severity: Input should be 'error', 'warning' or 'info'",
        ),
        (
            "version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n    check: telepathy\n    message: m\n",
            r"my\.yaml:6: criteria\[a\]\.check: unknown check 'telepathy'; the check types are: ",
        ),
        (
            "version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n    check: concern_present\n    concern: vibes\n    message: m\n",
            r"concern 'vibes' is not in the vocabulary",
        ),
        (
            "version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n    check: concern_adequate\n    concern: lineage\n    require: [[nope]]\n    message: m\n",
            r"require names unknown signal 'nope'",
        ),
        ("version: 1\nkind: x\ntitle: X\ncriteria:\n  - id: a\n   check: [\n", r"my\.yaml:\d+: "),
        ("version: 1\nkind: x\ntitle: X\nextends: no-such-kind\ncriteria: []\n", r"unknown rubric 'no-such-kind'"),
        ("- just\n- a list\n", r"my\.yaml:1: a rubric must be a mapping"),
        ("version: 1\nkind: x\ncriteria: []\n", r"my\.yaml:1: title: Field required"),
    ],
)
def test_broken_rubrics_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(RubricError, match=expected):
        load_rubric(write(tmp_path, text))


def test_extends_cycle_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "version: 1\nkind: a\ntitle: A\nextends: ./b.yaml\ncriteria: []\n", "a.yaml")
    write(tmp_path, "version: 1\nkind: b\ntitle: B\nextends: ./a.yaml\ncriteria: []\n", "b.yaml")
    with pytest.raises(RubricError, match="cycle"):
        load_rubric(tmp_path / "a.yaml")


def test_missing_rubric_file(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="not found"):
        load_rubric(tmp_path / "nope.yaml")


def test_builtin_patterns_all_compile() -> None:
    """Built-in data skips eager compilation at load (for start-up speed); this is its check."""
    import re

    for signal in load_vocabulary().signals.values():
        assert isinstance(signal.regex, re.Pattern)
    for kind in builtin_kinds():
        for term in load_rubric(kind).detect.terms:
            re.compile(term)
        for criterion in load_rubric(kind).criteria:
            for value in criterion.params.values():
                for pattern in value if isinstance(value, list) else []:
                    re.compile(pattern)


def test_user_rubric_with_a_bad_pattern_is_reported_on_load(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nkind: x\ntitle: X\ncriteria: []\ndetect:\n  terms: ['(unclosed']\n")
    with pytest.raises(RubricError, match=r"my\.yaml:6: detect\.terms: pattern '\(unclosed' is not a valid"):
        load_rubric(path)


def test_lower_case_signal_regexes_match_what_the_case_free_ones_match() -> None:
    """Signals are matched on lower-cased text without re.I for speed; on every line of the
    eval sets, and on upper-case and escape traps, that must find what re.I finds."""
    import re

    from translator.rubric.model import lower_case_pattern

    root = Path(__file__).resolve().parents[1] / "eval_sets"
    lines = [
        line
        for path in sorted(root.rglob("*"))
        if path.suffix in (".md", ".txt")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    lines += [
        "TBD",
        "FIXME: later",
        "Kafka topic PAYMENTS.TXN every 5 MIN",
        "IF THE FEED IS DOWN, FALL BACK",
        "A1 then 42",
        "\tX Y",
    ]
    assert len(lines) > 1000
    for name, signal in load_vocabulary().signals.items():
        for pattern in signal.patterns:
            lowered = lower_case_pattern(pattern)
            assert lowered is not None, (name, pattern)
            original, fast = re.compile(pattern, re.I | re.M), re.compile(lowered, re.M)
            for line in lines:
                assert bool(original.search(line)) == bool(fast.search(line.lower())), (name, line)
    # Escapes keep their meaning; those that lower-casing would change keep re.I.
    assert lower_case_pattern(r"\S+\B") == r"\S+\B"
    assert lower_case_pattern(r"\x41") is None
    assert lower_case_pattern(r"(?-i:ID)\d") is None
    # Flags, named groups and ranges with a mixed-case end would change meaning: they keep re.I.
    for pattern in (r"(?s-i:ID)\d", r"(?P<n>ab)(?P=n)", r"[A-z]", r"[Z-a]"):
        assert lower_case_pattern(pattern) is None, pattern
    assert lower_case_pattern(r"[A-Z]\d") == r"[a-z]\d"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        # A misspelt param is refused with its file, line and field: before the registry's
        # params models it passed, and the limit silently stayed 600.
        (
            "  - id: memo-length\n    params:\n      max_word: 60\n",
            r"my\.yaml:8: criteria\[memo-length\]\.params\.max_word: Extra inputs are not permitted",
        ),
        # A misspelt list of phrases used to compile an empty pattern that matched everywhere.
        (
            "  - id: quantified-claims\n    params:\n      phrase: [fast]\n",
            r"criteria\[quantified-claims\]\.params\.(phrases: Field required|phrase: Extra inputs)",
        ),
        (
            "  - id: quantified-claims\n    params:\n      phrases: []\n",
            r"params\.phrases: List should have at least 1 item",
        ),
        (
            "  - id: memo-length\n    params:\n      max_words: -3\n",
            r"params\.max_words: Input should be greater than 0",
        ),
        ("  - id: no-placeholders\n    params:\n      signal: nope\n", r"params name unknown signal 'nope'"),
        (
            "  - id: x\n    check: concern_present\n    message: m\n",
            r"criteria\[x\]\.concern: check concern_present needs a concern",
        ),
        (
            "  - id: x\n    check: concern_adequate\n    concern: lineage\n    message: m\n",
            r"criteria\[x\]\.require: check concern_adequate needs require",
        ),
    ],
)
def test_check_params_are_validated_by_the_check_types_own_model(tmp_path: Path, override: str, expected: str) -> None:
    text = "version: 1\nkind: house\ntitle: House\nextends: tradeoff-memo\ncriteria:\n" + override
    with pytest.raises(RubricError, match=expected):
        load_rubric(write(tmp_path, text))


def test_the_check_names_rubrics_use_are_exactly_the_registered_ones() -> None:
    from translator.rubric.registry import check_types

    types = check_types()
    used = {c.check for kind in builtin_kinds() for c in load_rubric(kind).criteria}
    assert used <= set(types)
    # Every registered type is used by some built-in rubric, so none is dead code.
    assert set(types) - used <= {t for t, k in types.items() if k.needs_notes}
    for name, kind in types.items():
        assert kind.params.model_config.get("extra") == "forbid", name
