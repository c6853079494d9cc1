"""`translator score --fix` and `--diff`: insert the missing sections' skeletons, or show them.

Imported only when one of those options is given, so that plain `translator score` starts
without it.
"""

from __future__ import annotations

from pathlib import Path

from translator.cli.console import err, out
from translator.errors import InputError, TranslatorError
from translator.fileio import write_atomic
from translator.inputs import STDIN, Problem, Skipped, expand_inputs
from translator.rubric.api import SPEC_SUFFIXES, read_spec
from translator.rubric.fix import FixPlan, plan_fix
from translator.rubric.scoring import Verdict


def fix_files(
    paths: list[str], *, kind: str | None, rubric: str | None, verdict: Verdict, max_bytes: int, write: bool
) -> tuple[list[FixPlan], int]:
    """Plan the fix of every spec ``paths`` name; write it (``write``) or print a diff.

    Returns the plans and the number of inputs that could not be read or scored (each told
    on stderr in one line and left untouched).
    """
    plans: list[FixPlan] = []
    problems = 0
    for item in expand_inputs(paths, SPEC_SUFFIXES):
        if isinstance(item, Problem):
            err.print(f"translator: {item.path}: {item.message}", markup=False)
            problems += 1
            continue
        if isinstance(item, Skipped):  # the tool's own outputs: not specs to fix
            err.print(f"translator: {item.path}: {item.message}", markup=False)
            continue
        if item == STDIN and write:
            raise InputError("--fix cannot write back to standard input; add --diff to see the fix")
        try:
            text = read_spec(item, max_bytes=max_bytes)
            plan = plan_fix(text, path="<stdin>" if item == STDIN else item, kind=kind, rubric=rubric, verdict=verdict)
        except TranslatorError as exc:
            err.print(f"translator: {exc}", markup=False)
            problems += 1
            continue
        plans.append(plan)
    for plan in plans:
        if not plan.changed:
            continue
        if write:
            write_atomic(Path(plan.path), plan.fixed)
            added = ", ".join(i.concern for i in plan.insertions)
            err.print(f"translator: {plan.path}: fixed ({added}); fill in the TODOs", markup=False)
        else:
            out.file.write(plan.diff())
    return plans, problems
