#!/usr/bin/env python3
"""How fast the editor server answers, and what --fix costs.

    python bench/editor_speed.py           # about 20 s on 2 shared cores

Over the specs of eval_sets/specs/ (real specs, 1-6 KB), in one process on one core after a
warm-up pass, median and p95 of every document over 5 passes:

1. diagnostics  translator.lsp.diagnostics(): the work the server does for one publish
                (config lookup, scoring, findings -> LSP diagnostics). The debounce pause
                (0.3 s) comes on top after typing; open and save publish at once.
2. code actions translator.lsp.code_actions(): scoring plus the fix plan, per request.
3. plan_fix     translator.rubric.fix.plan_fix() alone.

Every figure printed is measured; the load average is printed with them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))

from draft_speed import load_average
from lsprotocol import types
from pygls.workspace import TextDocument

from translator.lsp import code_actions, diagnostics
from translator.rubric.fix import plan_fix

PASSES = 5


def timed(function: object, documents: list[TextDocument]) -> list[float]:
    times: list[float] = []
    for _ in range(PASSES):
        for document in documents:
            start = time.perf_counter()
            function(document)  # type: ignore[operator]
            times.append(time.perf_counter() - start)
    return times


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return f"| {name} | {statistics.median(times) * 1000:.1f} ms | {p95 * 1000:.1f} ms |"


def main() -> int:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    specs = sorted((ROOT / "eval_sets" / "specs").glob("*.md"))
    documents = [TextDocument(path.as_uri(), path.read_text(encoding="utf-8")) for path in specs]
    empty = types.CodeActionContext(diagnostics=[])
    for document in documents:  # warm-up: rubrics, vocabulary and regexes load once
        diagnostics(document)
        code_actions(document, empty)
    sizes = [len(d.source.encode()) for d in documents]
    print(f"{len(documents)} specs, {min(sizes)}-{max(sizes)} bytes (median {int(statistics.median(sizes))}),")
    print(f"load average at start {load_average()}, Python {sys.version.split()[0]}")
    print("| work per request | median | p95 |")
    print("|---|---|---|")
    print(summary("diagnostics (one publish)", timed(diagnostics, documents)))
    print(summary("code actions (score + fix plan)", timed(lambda d: code_actions(d, empty), documents)))
    print(summary("plan_fix alone", timed(lambda d: plan_fix(d.source, path=d.path), documents)))
    print(f"load average at end {load_average()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
