#!/usr/bin/env python3
"""Speed benchmarks for `translator score`.

    python bench/score_speed.py            # full run (194-257 s measured on 2 shared cores)
    python bench/score_speed.py --quick    # smaller corpus, fewer runs (about 65 s)
    python bench/score_speed.py --profile  # also write cProfile hotspots to bench/out/
    python bench/score_speed.py --only throughput,scaling   # a subset (throughput, scaling, startup, lint)

Four benchmarks, each against a target from the performance issue:

1. throughput  ~4 KB specs per second on one core (os.sched_setaffinity(0, {0})), in-process,
               after one warm-up pass, median of 5 runs: score_text over texts already in memory,
               and score_files over a folder (reading the files). The runs use the first 120
               specs of the corpus (bench/.corpus/4k-sample/; every base spec appears 3-4 times)
               so that a full run fits in 5 minutes; a spec's cost does not depend on how many
               others are in the pass. Target: >= 500 specs/s.
2. scaling     250 KB, 500 KB, 1 MB and 2 MB specs made of real sections (headings, lists,
               tables, code fences); a single paragraph of real prose (250 KB, 500 KB, 1 MB);
               a 1 MB file with 10,000 headings. Each in a fresh process on one core, after a
               warm-up. Target: 1 MB in < 1 s, linear growth.
3. startup     wall time of `translator score one.md` (a real 4 KB spec) as a subprocess, 20
               runs, median and p90; `python -X importtime` of the same command, top 10 imports
               by cumulative time; whether openai / langchain are imported. Target: < 0.3 s.
4. vs lint     `translator score bench/.corpus/4k --format json -o /dev/null` against
               `bench/node_modules/.bin/markdownlint-cli2 "bench/.corpus/4k/*.md"` over the same
               2,000 files, median of 3 each, interleaved. They check different things; this
               compares the cost of one pass over a corpus.

Generated inputs go to bench/.corpus/ and results to bench/out/ (both git-ignored): results.md
(the table), results.json (every raw time), importtime.txt, and with --profile
profile-*.txt / *.pstats. The corpus is generated deterministically (seeded) from
eval_sets/specs/, so every run scores the same texts. Child processes use a byte-code cache in
bench/out/pycache (as after a normal install, without writing into the project tree).
Every figure printed is measured; nothing is rounded in the benchmark's favour.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CORPUS = BENCH / ".corpus"
OUT = BENCH / "out"
EVAL_SPECS = ROOT / "eval_sets" / "specs"
MARKDOWNLINT = BENCH / "node_modules" / ".bin" / "markdownlint-cli2"
STARTUP_SPEC = EVAL_SPECS / "29-toxicity-hf-model-card.md"  # a real spec of about 4 KB

SEED = 20241123
KB = 1024
MB = 1024 * KB
TARGET_SPECS_PER_S = 500
TARGET_1MB_S = 1.0
TARGET_STARTUP_S = 0.3
FORBIDDEN_IMPORTS = ("openai", "langchain", "langchain_core", "langchain_openai", "langsmith", "tiktoken")


# --------------------------------------------------------------------------------------------
# Corpus generation (deterministic)
# --------------------------------------------------------------------------------------------

_ATX = re.compile(r"^(#{1,6})\s")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Identifiers as specs write them: snake_case names, in or out of backticks.
_LABEL_LINE = re.compile(r"^\s*([A-Za-z][A-Za-z0-9 &/'()\-]{1,60}?)\s*:(?:\s+|$)")
_NUMBERED = re.compile(r"^\s*\d+(?:\.\d+)*[.)]\s+")
_IDENT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


class Spec:
    """A spec split into front matter, preamble (title and lead) and top-level sections
    (each with its subsections), so that sections can be shuffled and paragraphs repeated."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        lines = text.rstrip("\n").split("\n")
        self.front: list[str] = []
        if lines and lines[0].strip() == "---":
            end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
            self.front, lines = lines[: end + 1], lines[end + 1 :]
        heads = _headings(lines)  # (line index where the heading starts, level)
        title = heads[0] if heads and heads[0][1] == 1 else None
        rest = [h for h in heads if h is not title]
        top = min((level for _, level in rest), default=2)
        starts = [i for i, level in rest if level <= top]
        first = starts[0] if starts else len(lines)
        self.preamble = lines[:first]
        self.sections = [lines[a:b] for a, b in zip(starts, [*starts[1:], len(lines)], strict=False)]


def _headings(lines: list[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    in_fence = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        match = _ATX.match(line)
        if match:
            found.append((i, len(match.group(1))))
        elif (
            i + 1 < len(lines)
            and line.strip()
            and _SETEXT.match(lines[i + 1])
            and (i == 0 or not lines[i - 1].strip())
            and not line.lstrip().startswith(("-", "*", "|", ">"))
        ):
            found.append((i, 1 if lines[i + 1].lstrip().startswith("=") else 2))
    return found


def _chunks(lines: list[str]) -> list[str]:
    """Blank-line-separated chunks; a code fence stays one chunk with what surrounds it."""
    chunks: list[list[str]] = [[]]
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if chunks[-1]:
                chunks.append([])
            continue
        chunks[-1].append(line)
    return ["\n".join(c) for c in chunks if c]


def _is_prose_or_list(chunk: str) -> bool:
    first = chunk.lstrip().split("\n", 1)[0]
    if _ATX.match(first) or "```" in chunk or "~~~" in chunk or first.startswith(("|", "<", ">")):
        return False
    lines = chunk.split("\n")
    return not (len(lines) > 1 and _SETEXT.match(lines[1]))


def _renamer(rng: random.Random):
    """Rename identifiers consistently within one generated document."""
    mapping: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group(0)
        if name not in mapping:
            mapping[name] = f"{name}_{rng.choice('abcdefghjkmnpqrstuvwxyz')}{rng.randrange(10, 100)}"
        return mapping[name]

    return lambda text: _IDENT.sub(rename, text)


def load_specs() -> list[Spec]:
    return [Spec(p.name, p.read_text(encoding="utf-8")) for p in sorted(EVAL_SPECS.glob("*.md"))]


def make_4k_variant(spec: Spec, index: int, low: int = 3900, high: int = 4400) -> str:
    """One ~4 KB variant: sections shuffled, paragraphs repeated until ~4 KB, identifiers renamed.

    The title and lead stay first. A spec written with lead-in labels instead of headings
    ("Validation:", "**Factors.**") has its lead-in paragraphs shuffled instead. A repeated
    paragraph (prose or a list, never a heading, table or code fence) follows its original.
    """
    rng = random.Random(f"{SEED}-4k-{index}")
    rename = _renamer(rng)
    preamble = _chunks(spec.preamble)
    if spec.sections:
        sections = [_chunks(s) for s in spec.sections]
    else:
        sections = []
        for chunk in preamble[1:]:  # a table or code fence stays with the lead-in before it
            if sections and not _is_prose_or_list(chunk):
                sections[-1].append(chunk)
            else:
                sections.append([chunk])
        preamble = preamble[:1]
    rng.shuffle(sections)
    blocks = [preamble, *sections]
    repeats = [[1] * len(b) for b in blocks]
    head = "\n".join(spec.front) + ("\n\n" if spec.front else "")

    def render() -> str:
        parts = [c for b, r in zip(blocks, repeats, strict=False) for c, k in zip(b, r, strict=False) for _ in range(k)]
        return head + rename("\n\n".join(parts)) + "\n"

    candidates = [
        (bi, ci)
        for bi, b in enumerate(blocks)
        for ci, c in enumerate(b)
        if _is_prose_or_list(c) and not (bi == 0 and ci == 0)
    ]
    size = len(render().encode())
    while size < low and candidates:
        fitting = [(b, c) for b, c in candidates if size + len(blocks[b][c].encode()) + 2 <= high]
        bi, ci = rng.choice(fitting or candidates)
        repeats[bi][ci] += 1
        size += len(blocks[bi][ci].encode()) + 2
    return render()


def build_4k_corpus(n: int, sample: int) -> tuple[Path, Path]:
    """bench/.corpus/4k/ with ``n`` specs, and bench/.corpus/4k-sample/ with the first
    ``sample`` of them (the in-process runs; every base spec is represented)."""
    folder, sample_folder = CORPUS / "4k", CORPUS / "4k-sample"
    for f in (folder, sample_folder):
        if f.exists():
            shutil.rmtree(f)
        f.mkdir(parents=True)
    specs = load_specs()
    for i in range(n):
        text = make_4k_variant(specs[i % len(specs)], i)
        (folder / f"spec-{i:05d}.md").write_text(text, encoding="utf-8")
        if i < sample:
            (sample_folder / f"spec-{i:05d}.md").write_text(text, encoding="utf-8")
    return folder, sample_folder


def _realistic_sections(specs: list[Spec], rng: random.Random):
    """An endless stream of real sections (headings, lists, tables, code fences), reshuffled
    every round, identifiers renamed per copy, headings numbered so none repeat verbatim."""
    pool = [(spec.name, s) for spec in specs for s in spec.sections]
    number = 0
    while True:
        order = pool[:]
        rng.shuffle(order)
        for _, lines in order:
            number += 1
            rename = _renamer(rng)
            text = rename("\n".join(lines).strip("\n"))
            first, _, rest = text.partition("\n")
            if _ATX.match(first):
                marks, _, title = first.partition(" ")
                first = f"{marks} {number}. {_NUMBERED.sub('', title)}"
            else:  # setext: the title line, then the underline; "12\\." so it does not open a list
                first = f"{number}\\. {_NUMBERED.sub('', first)}"
            yield first + ("\n" + rest if rest else "")


def build_big(size: int, specs: list[Spec]) -> str:
    rng = random.Random(f"{SEED}-big")
    parts = [
        "# Platform ML: consolidated feature and model change log",
        "We recommend adopting every change below in the Q4 release train; each section is a spec in its own right.",
    ]
    total = sum(len(p.encode()) + 2 for p in parts)
    for section in _realistic_sections(specs, rng):
        if total >= size:
            break
        parts.append(section)
        total += len(section.encode()) + 2
    return "\n\n".join(parts) + "\n"


def _prose_lines(specs: list[Spec]) -> list[str]:
    lines: list[str] = []
    for spec in specs:
        for section in spec.sections:
            for chunk in _chunks(section):
                if (
                    not _is_prose_or_list(chunk)
                    or chunk.lstrip().startswith(("-", "*", "+"))
                    or re.match(r"\s*\d+[.)]", chunk)
                ):
                    continue
                lines.extend(line.strip() for line in chunk.split("\n") if line.strip())
    return lines


def build_one_paragraph(size: int, specs: list[Spec]) -> str:
    """One paragraph of ``size`` bytes: real prose, re-wrapped at 100 columns (soft line
    breaks), no blank line, no heading, no list."""
    rng = random.Random(f"{SEED}-paragraph")
    prose = _prose_lines(specs)
    words: list[str] = []
    total = 0
    while total < size:
        rename = _renamer(rng)
        order = prose[:]
        rng.shuffle(order)
        for line in order:
            for word in rename(line).split():
                words.append(word)
                total += len(word.encode()) + 1
            if total >= size:
                break
    lines, current, width = [], [], 0
    for word in words:
        if current and width + 1 + len(word) > 100:
            lines.append(" ".join(current))
            current, width = [], 0
        if not current and (word[0] in "#-*+>|<=" or word[0].isdigit()):
            word = "\\" + word  # a line must not open a heading, list, quote, table or HTML block
        width += len(word) + (1 if current else 0)
        current.append(word)
    lines.append(" ".join(current))
    # A line that opens with "Label:" would start a new block (stacked-label notes); keep the
    # paragraph one block by joining such a line to the one before it.
    joined: list[str] = []
    for line in lines:
        match = _LABEL_LINE.match(line)
        if joined and match and line[:1].isupper() and len(match.group(1).split()) <= 6:
            joined[-1] += " " + line
        else:
            joined.append(line)
    return "\n".join(joined) + "\n"


def build_many_headings(count: int, size: int, specs: list[Spec]) -> str:
    """``count`` headings (real section titles; every tenth an H2, the rest H3), each over a
    short line of real prose, in about ``size`` bytes."""
    rng = random.Random(f"{SEED}-headings")
    titles = []
    for spec in specs:
        lines = [line for s in spec.sections for line in s]
        for i, _level in _headings(lines):
            line = lines[i]
            titles.append(line.lstrip("#").strip() if line.startswith("#") else line.strip())
    prose = _prose_lines(specs)
    parts: list[str] = ["# Runbook index"]
    total = len(parts[0].encode()) + 1
    for i in range(count):
        heading = f"{'##' if i % 10 == 0 else '###'} {rng.choice(titles)}"
        room = max(20, (size - total) // (count - i) - len(heading.encode()) - 4)
        sentence = rng.choice(prose)
        while len(sentence.encode()) < room:
            sentence += " " + rng.choice(prose)
        cut = sentence.encode()[:room].decode("utf-8", "ignore")
        cut = cut.rsplit(" ", 1)[0] if " " in cut else cut
        parts.append(f"{heading}\n\n{cut}")
        total += len(parts[-1].encode()) + 2
    return "\n\n".join(parts) + "\n"


# --------------------------------------------------------------------------------------------
# Workers (run in a fresh child process pinned to one core)
# --------------------------------------------------------------------------------------------


def _pin() -> None:
    os.sched_setaffinity(0, {0})


def worker_throughput(folder: str, runs: int) -> dict:
    _pin()
    from translator.rubric import score_files, score_text

    paths = sorted(str(p) for p in Path(folder).glob("*.md"))
    texts = [Path(p).read_text(encoding="utf-8") for p in paths]
    n = len(texts)

    t0 = time.perf_counter()
    for path, text in zip(paths, texts, strict=False):  # warm-up: rubrics, vocabulary, regexes
        score_text(text, path=path)
    warm = time.perf_counter() - t0

    text_times: list[float] = []
    file_times: list[float] = []
    file_docs = 0
    for _ in range(runs):  # interleaved so that drift hits both alike
        t0 = time.perf_counter()
        for path, text in zip(paths, texts, strict=False):
            score_text(text, path=path)
        text_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = score_files([folder])
        file_times.append(time.perf_counter() - t0)
        file_docs = len(report.documents)
        assert not report.errors, report.errors[:3]
    return {
        "n": n,
        "stages_s": _stages(paths, texts),
        "bytes_mean": sum(len(t.encode()) for t in texts) / n,
        "warmup_s": warm,
        "score_text_s": text_times,
        "score_files_s": file_times,
        "score_files_docs": file_docs,
        "affinity": sorted(os.sched_getaffinity(0)),
    }


def _stages(paths: list[str], texts: list[str]) -> dict[str, float] | str:
    """One pass split into the stages of score_text (internal functions: reported as "n/a"
    if the project renames them)."""
    try:
        from markdown_it import MarkdownIt

        from translator.rubric.document import parse_document
        from translator.rubric.scoring import choose_rubric, score_document
    except ImportError as exc:
        return f"n/a ({exc})"
    # The yardstick: a bare markdown-it-py parse of the same texts (the scorer itself
    # parses with pyromark).
    reference = MarkdownIt("commonmark", {"html": True}).enable("table")
    t0 = time.perf_counter()
    for text in texts:
        reference.parse(text)
    t1 = time.perf_counter()
    docs = [parse_document(text, path) for path, text in zip(paths, texts, strict=False)]
    t2 = time.perf_counter()
    rubrics = [choose_rubric(doc).rubric for doc in docs]
    t3 = time.perf_counter()
    for doc, rubric in zip(docs, rubrics, strict=False):
        score_document(doc, rubric)
    t4 = time.perf_counter()
    return {
        "bare markdown-it-py parse (yardstick)": t1 - t0,
        "parse_document (pyromark + blocks)": t2 - t1,
        "kind detection (choose_rubric)": t3 - t2,
        "checks (score_document)": t4 - t3,
    }


def worker_scale(path: str, runs: int, budget_s: float, stages: bool) -> dict:
    _pin()
    from translator.rubric import score_text

    score_text(STARTUP_SPEC.read_text(encoding="utf-8"))  # warm-up: rubrics and vocabulary loaded
    text = Path(path).read_text(encoding="utf-8")
    times: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        report = score_text(text, path=path)
        times.append(time.perf_counter() - t0)
        if sum(times) > budget_s:
            break
    return {
        "times": times,
        "stages_s": _stages([path], [text]) if stages else None,
        "kind": report.kind,
        "score": report.score,
        "findings": len(report.findings),
    }


def worker_profile(folder: str, big_dir: str, out_dir: str, limit: int) -> dict:
    import cProfile
    import pstats

    _pin()
    from translator.rubric import score_text

    paths = sorted(Path(folder).glob("*.md"))[:limit]
    texts = [p.read_text(encoding="utf-8") for p in paths]
    for text in texts[:50]:
        score_text(text)
    result = {}
    jobs = [("4k", lambda: [score_text(t) for t in texts])]
    for big in ("sections-1MB", "one-paragraph-1MB", "10000-headings-1MB"):
        big_text = (Path(big_dir) / f"{big}.md").read_text(encoding="utf-8")
        jobs.append((big, lambda big_text=big_text: score_text(big_text)))
    for name, work in jobs:
        profiler = cProfile.Profile()
        profiler.enable()
        work()
        profiler.disable()
        target = Path(out_dir) / f"profile-{name}.txt"
        with target.open("w") as handle:
            stats = pstats.Stats(profiler, stream=handle).strip_dirs()
            handle.write(
                f"# cProfile of score_text over {len(texts) if name == '4k' else 1} spec(s) ({name}), pinned to one core\n"
            )
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(25)
        profiler.dump_stats(str(Path(out_dir) / f"profile-{name}.pstats"))
        result[name] = str(target)
    return result


def child_env() -> dict[str, str]:
    """The environment of every child process: byte-code cached (as after a normal install),
    in bench/out/pycache so that nothing is written into the project tree, even where
    PYTHONDONTWRITEBYTECODE is set (this sandbox sets it)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
    return env


def _run_worker(args: list[str], timeout: float) -> dict | None:
    try:
        proc = subprocess.run(
            [sys.executable, __file__, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            env=child_env(),
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# Benchmarks driven from the parent process
# --------------------------------------------------------------------------------------------


def translator_cmd() -> list[str]:
    script = Path(sys.executable).parent / "translator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "translator"]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(cmd: list[str], cpu: list[float] | None = None) -> tuple[float, int]:
    """Wall time and exit code of ``cmd``; its CPU time (user + system) is appended to ``cpu``."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env())
    elapsed = time.perf_counter() - t0
    if cpu is not None:
        cpu.append(_children_cpu() - c0)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {proc.stderr.decode()[:500]}")
    return elapsed, proc.returncode


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (p90 of 20 values is the 18th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def bench_startup(runs: int) -> dict:
    spec = str(STARTUP_SPEC.relative_to(ROOT))
    cmd = [*translator_cmd(), "score", spec]
    wall(cmd)  # one untimed run: page cache and .pyc files
    times = []
    exit_code = 0
    for _ in range(runs):
        elapsed, exit_code = wall(cmd)
        times.append(elapsed)
    bare = statistics.median(wall([sys.executable, "-c", "pass"])[0] for _ in range(5))

    # What the score path imports.
    prog = translator_cmd()
    if prog[0] != sys.executable:
        prog = [sys.executable, prog[0]]
    proc = subprocess.run(
        [prog[0], "-X", "importtime", *prog[1:], "score", spec],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=child_env(),
    )
    rows = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            rows.append((int(match.group(1)), int(match.group(2)), len(match.group(3)) // 2, match.group(4)))
    (OUT / "importtime.txt").write_text(proc.stderr)
    modules = {name for *_, name in rows}
    forbidden = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN_IMPORTS)
    top_cumulative = sorted(rows, key=lambda r: -r[1])[:10]
    top_self = sorted(rows, key=lambda r: -r[0])[:10]

    # Where the time goes inside one process: import, then the first score (rubric loading).
    probe = (
        "import time, sys\n"
        "t0 = time.perf_counter()\n"
        "import translator.cli\n"
        "t1 = time.perf_counter()\n"
        "from translator.rubric import score_text\n"
        f"text = open({str(STARTUP_SPEC)!r}, encoding='utf-8').read()\n"
        "score_text(text)\n"
        "t2 = time.perf_counter()\n"
        "score_text(text)\n"
        "t3 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1, t3 - t2)\n"
    )
    splits = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, env=child_env()
        ).stdout
        splits.append([float(x) for x in out.split()])
    return {
        "command": " ".join(cmd),
        "times": times,
        "exit_code": exit_code,
        "median": statistics.median(times),
        "p90": percentile(times, 90),
        "python_bare_median": bare,
        "import_cli_median": statistics.median(s[0] for s in splits),
        "first_score_median": statistics.median(s[1] for s in splits),
        "warm_score_median": statistics.median(s[2] for s in splits),
        "importtime_total_s": sum(r[0] for r in rows) / 1e6,
        "top_cumulative": top_cumulative,
        "top_self": top_self,
        "forbidden_imported": forbidden,
        "modules_imported": len(modules),
    }


def bench_vs_markdownlint(folder: Path, runs: int) -> dict:
    rel = str(folder.relative_to(ROOT))
    ours = [*translator_cmd(), "score", rel, "--format", "json", "-o", "/dev/null"]
    lint = [str(MARKDOWNLINT.relative_to(ROOT)), f"{rel}/*.md"]
    result: dict = {"translator_cmd": " ".join(ours), "markdownlint_cmd": f'{lint[0]} "{lint[1]}"'}
    ours_t, lint_t, codes, ours_cpu, lint_cpu = [], [], {}, [], []
    if not MARKDOWNLINT.exists():
        result["error"] = "markdownlint-cli2 not installed: npm install --prefix bench --no-save markdownlint-cli2"
        return result
    version = subprocess.run([str(MARKDOWNLINT), "--help"], capture_output=True, text=True, cwd=ROOT).stdout
    result["markdownlint_version"] = version.splitlines()[0] if version else "?"
    wall([lint[0], str(next(folder.glob("*.md")).relative_to(ROOT))])  # warm node's module cache (one file)
    for _ in range(runs):  # interleaved
        t, codes["translator"] = wall(ours, ours_cpu)
        ours_t.append(t)
        t, codes["markdownlint"] = wall(lint, lint_cpu)
        lint_t.append(t)
    result.update(
        translator_s=ours_t,
        markdownlint_s=lint_t,
        translator_cpu_s=ours_cpu,
        markdownlint_cpu_s=lint_cpu,
        exit_codes=codes,
        translator_median=statistics.median(ours_t),
        markdownlint_median=statistics.median(lint_t),
    )
    result["ratio"] = result["translator_median"] / result["markdownlint_median"]
    return result


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def code_fingerprint() -> tuple[str, str]:
    """sha256 (16 hex digits) over the scorer's sources and rubrics, and the newest of them."""
    digest = hashlib.sha256()
    sources = sorted([*(ROOT / "translator").rglob("*.py"), *(ROOT / "rubrics").glob("*.yaml")])
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    newest = max(sources, key=lambda p: p.stat().st_mtime)
    stamp = time.strftime("%H:%M:%S", time.gmtime(newest.stat().st_mtime))
    return digest.hexdigest()[:16], f"{newest.relative_to(ROOT)} {stamp} UTC"


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    sha, newest = code_fingerprint()
    return {
        "code_sha256": sha,
        "code_newest": newest,
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "loadavg_start": os.getloadavg(),
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller corpus and fewer runs")
    parser.add_argument("--n", type=int, help="number of ~4 KB specs in the corpus (default 2000, quick 300)")
    parser.add_argument("--sample", type=int, help="specs in the in-process throughput runs (default 120, quick 100)")
    parser.add_argument("--profile", action="store_true", help="write cProfile hotspots to bench/out/")
    parser.add_argument("--only", default="throughput,scaling,startup,lint", help="comma-separated subset")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        kind, *rest = args.worker
        if kind == "throughput":
            print(json.dumps(worker_throughput(rest[0], int(rest[1]))))
        elif kind == "scale":
            print(json.dumps(worker_scale(rest[0], int(rest[1]), float(rest[2]), rest[3] == "1")))
        elif kind == "profile":
            print(json.dumps(worker_profile(rest[0], rest[1], rest[2], int(rest[3]))))
        return 0

    started = time.perf_counter()
    only = set(args.only.split(","))
    n = args.n or (300 if args.quick else 2000)
    sample = min(n, args.sample or (100 if args.quick else 120))
    thr_runs = 3 if args.quick else 5
    scale_runs = 1 if args.quick else 3
    startup_runs = 10 if args.quick else 20
    lint_runs = 1 if args.quick else 3
    OUT.mkdir(parents=True, exist_ok=True)
    info = machine()
    results: dict = {"machine": info, "quick": args.quick, "n": n}
    log = lambda msg: print(f"[{time.perf_counter() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731

    folder, sample_folder = build_4k_corpus(n, sample)
    sizes = [len(p.read_bytes()) for p in sorted(folder.glob("*.md"))]
    results["corpus"] = {
        "folder": str(folder.relative_to(ROOT)),
        "files": len(sizes),
        "bytes_min": min(sizes),
        "bytes_median": statistics.median(sizes),
        "bytes_max": max(sizes),
    }
    log(f"corpus: {len(sizes)} specs in {folder.relative_to(ROOT)}, {min(sizes)}-{max(sizes)} bytes")

    specs = load_specs()
    big_dir = CORPUS / "big"
    big_dir.mkdir(parents=True, exist_ok=True)
    cases = [
        (f"sections-{label}", build_big(size, specs))
        for label, size in (("250KB", 250 * KB), ("500KB", 500 * KB), ("1MB", MB), ("2MB", 2 * MB))
    ]
    # The pathological single paragraph at three sizes, so that its growth is visible too.
    cases += [
        (f"one-paragraph-{label}", build_one_paragraph(size, specs))
        for label, size in (("250KB", 250 * KB), ("500KB", 500 * KB), ("1MB", MB))
    ]
    cases.append(("10000-headings-1MB", build_many_headings(10_000, MB, specs)))
    big_paths = {}
    for name, text in cases:
        path = big_dir / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        big_paths[name] = path

    if "throughput" in only:
        log(f"throughput: warm-up + {thr_runs} runs over {sample} specs, one core")
        r = _run_worker(["--worker", "throughput", str(sample_folder), str(thr_runs)], timeout=1800)
        assert r is not None
        r["score_text_rate"] = [r["n"] / t for t in r["score_text_s"]]
        r["score_files_rate"] = [r["n"] / t for t in r["score_files_s"]]
        results["throughput"] = r

    if "scaling" in only:
        results["scaling"] = {}
        for name, path in big_paths.items():
            log(f"scaling: {name}")
            # Up to scale_runs runs, but no new run once 5 s have been spent on this file (keeps a
            # full run under 5 minutes); the 1 MB files also get a one-pass stage breakdown.
            stages = "1" if name.endswith("-1MB") else "0"
            r = _run_worker(["--worker", "scale", str(path), str(scale_runs), "5", stages], timeout=120)
            size = path.stat().st_size
            text = path.read_text(encoding="utf-8")
            stats = {
                "bytes": size,
                "lines": text.count("\n"),
                "headings": sum(1 for row in text.splitlines() if row.startswith("#")),
                "fences": text.count("```") // 2,
                "table_rows": sum(1 for row in text.splitlines() if row.startswith("|")),
            }
            if r is None:
                stats["timeout_s"] = 120
            else:
                stats.update(r, median=statistics.median(r["times"]))
            results["scaling"][name] = stats

    if "startup" in only:
        log(f"startup: {startup_runs} runs of translator score one.md")
        results["startup"] = bench_startup(startup_runs)

    if "lint" in only:
        log(f"vs markdownlint-cli2: {lint_runs} run(s) each over {n} files")
        results["lint"] = bench_vs_markdownlint(folder, lint_runs)

    if args.profile:
        log("cProfile")
        results["profile"] = _run_worker(
            ["--worker", "profile", str(folder), str(big_dir), str(OUT), "300"], timeout=600
        )

    results["elapsed_s"] = time.perf_counter() - started
    results["loadavg_end"] = os.getloadavg()
    results["code_sha256_end"], results["code_newest_end"] = code_fingerprint()
    # A partial run (--only) does not overwrite the results of a whole run.
    stem = "results" + ("-quick" if args.quick else "")
    if only != {"throughput", "scaling", "startup", "lint"}:
        stem += "-only-" + "-".join(sorted(only))
    (OUT / f"{stem}.json").write_text(json.dumps(results, indent=2))
    report = render(results)
    (OUT / f"{stem}.md").write_text(report)
    print(report)
    log("done")
    return 0


def render(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"## translator score speed ({'quick' if results['quick'] else 'full'} run)",
        "",
        f"{m['date']} · nproc {m['nproc']} · {m['cpu']} · Python {m['python']} · {m['platform']}",
        "",
        f"Code measured: sha256 `{m['code_sha256']}` over translator/**/*.py and rubrics/*.yaml "
        f"(newest file: {m['code_newest']})"
        + (
            "."
            if results.get("code_sha256_end", m["code_sha256"]) == m["code_sha256"]
            else f"; **the code changed during the run** (at the end: `{results['code_sha256_end']}`, "
            f"newest file {results['code_newest_end']}), so the figures may mix versions."
        ),
        "",
    ]
    c = results["corpus"]
    lines += [
        f"Corpus: {c['files']} specs in `{c['folder']}`, {c['bytes_min']}-{c['bytes_max']} bytes "
        f"(median {c['bytes_median']:.0f}).",
        "",
        "| benchmark | measured | target | met |",
        "|---|---|---|---|",
    ]
    t = results.get("throughput")
    if t:
        text_rate = statistics.median(t["score_text_rate"])
        files_rate = statistics.median(t["score_files_rate"])
        runs = len(t["score_text_rate"])
        lines.append(
            f"| throughput, `score_text` (in memory), {t['n']} specs, 1 core, median of {runs} | {text_rate:.1f} specs/s "
            f"(runs: {', '.join(f'{x:.1f}' for x in t['score_text_rate'])}) | ≥ {TARGET_SPECS_PER_S} specs/s | "
            f"{'yes' if text_rate >= TARGET_SPECS_PER_S else '**no**'} |"
        )
        lines.append(
            f"| throughput, `score_files` (folder, reads files), {t['score_files_docs']} specs, 1 core, median of {runs} | {files_rate:.1f} specs/s "
            f"(runs: {', '.join(f'{x:.1f}' for x in t['score_files_rate'])}) | ≥ {TARGET_SPECS_PER_S} specs/s | "
            f"{'yes' if files_rate >= TARGET_SPECS_PER_S else '**no**'} |"
        )
        stages = t.get("stages_s")
        if isinstance(stages, dict):
            parts = "; ".join(f"{k} {v / t['n'] * 1000:.2f} ms" for k, v in stages.items())
            lines.append(f"| where a 4 KB spec's time goes (one pass, per spec) | {parts} | — | |")
    s = results.get("scaling")
    if s:
        previous: dict[str, tuple[int, float]] = {}
        for name, r in s.items():
            series = name.rsplit("-", 1)[0]
            if "timeout_s" in r:
                lines.append(
                    f"| scaling `{name}` ({r['bytes'] / KB:.0f} KB) | > {r['timeout_s']} s (killed) | — | **no** |"
                )
                continue
            med = r["median"]
            per_kb = med / (r["bytes"] / KB) * 1e6
            growth = ""
            if series in previous:
                p_bytes, p_med = previous[series]
                growth = f"; ×{med / p_med:.2f} time for ×{r['bytes'] / p_bytes:.2f} size"
            target = "< 1 s" if r["bytes"] >= MB * 0.99 and r["bytes"] < MB * 1.1 else "linear"
            met = ""
            if target == "< 1 s":
                met = "yes" if med < TARGET_1MB_S else "**no**"
            runs = len(r["times"])
            lines.append(
                f"| scaling `{name}` ({r['bytes'] / KB:.0f} KB, {r['headings']} headings, {r['table_rows']} table rows, "
                f"{r['fences']} fences) | {fmt_s(med)} ({'median of ' + str(runs) if runs > 1 else '1 run'}; "
                f"{per_kb:.0f} µs/KB{growth}) | {target} | {met} |"
            )
            previous[series] = (r["bytes"], med)
            if isinstance(r.get("stages_s"), dict):
                st_ = r["stages_s"]
                lines.append(
                    f"| ↳ `{name}` stages (one pass) | "
                    + "; ".join(f"{k} {fmt_s(v)}" for k, v in st_.items())
                    + " | — | |"
                )
        for series in ("sections", "one-paragraph"):
            sized = [
                (r["bytes"], r["median"]) for name, r in s.items() if name.startswith(series + "-") and "median" in r
            ]
            if len(sized) >= 2:
                (s0, t0), (s1, t1) = sized[0], sized[-1]
                exponent = math.log(t1 / t0) / math.log(s1 / s0)
                lines.append(
                    f"| scaling exponent `{series}`, {s0 / KB:.0f} KB → {s1 / KB:.0f} KB (time ∝ size^k) | "
                    f"k = {exponent:.2f} (1 = linear, 2 = quadratic) | ≈ 1 | {'yes' if exponent < 1.2 else '**no**'} |"
                )
    st = results.get("startup")
    if st:
        lines.append(
            f"| startup `translator score {STARTUP_SPEC.relative_to(ROOT)}` "
            f"({STARTUP_SPEC.stat().st_size} bytes), {len(st['times'])} runs, exit {st['exit_code']} | median {fmt_s(st['median'])}, "
            f"p90 {fmt_s(st['p90'])} | < 0.3 s | {'yes' if st['median'] < TARGET_STARTUP_S else '**no**'} |"
        )
        lines.append(
            f"| startup breakdown (medians of 3, in one process) | bare python {fmt_s(st['python_bare_median'])}; "
            f"`import translator.cli` {fmt_s(st['import_cli_median'])}; first `score_text` (loads rubrics) "
            f"{fmt_s(st['first_score_median'])}; second `score_text` {fmt_s(st['warm_score_median'])} | — | |"
        )
        forbidden = ", ".join(st["forbidden_imported"]) or "none"
        lines.append(
            f"| openai / langchain imported by `score` | {forbidden} ({st['modules_imported']} modules imported in all) "
            f"| none | {'yes' if not st['forbidden_imported'] else '**no**'} |"
        )
    lint = results.get("lint")
    if lint and "error" not in lint:
        runs = len(lint["translator_s"])
        lines.append(
            f"| `translator score` over the corpus, json to /dev/null, median of {runs} | "
            f"{fmt_s(lint['translator_median'])} ({c['files'] / lint['translator_median']:.0f} specs/s; runs: "
            f"{', '.join(fmt_s(x) for x in lint['translator_s'])}; CPU {statistics.median(lint['translator_cpu_s']):.1f} s; "
            f"exit {lint['exit_codes']['translator']}) | — | |"
        )
        lines.append(
            f"| `markdownlint-cli2` over the corpus, median of {runs} | {fmt_s(lint['markdownlint_median'])} "
            f"({c['files'] / lint['markdownlint_median']:.0f} files/s; runs: {', '.join(fmt_s(x) for x in lint['markdownlint_s'])}; "
            f"CPU {statistics.median(lint['markdownlint_cpu_s']):.1f} s; exit {lint['exit_codes']['markdownlint']}; "
            f"{lint.get('markdownlint_version', '?')}) | — | |"
        )
        lines.append(f"| ratio translator / markdownlint-cli2 | {lint['ratio']:.2f}× | — | |")
    elif lint:
        lines.append(f"| vs markdownlint-cli2 | not run: {lint['error']} | — | |")

    if st:
        lines += [
            "",
            "Top 10 imports of `translator score one.md` by cumulative time (`-X importtime`):",
            "",
            "| cumulative | self | module |",
            "|---:|---:|---|",
        ]
        for self_us, cum_us, depth, name in st["top_cumulative"]:
            lines.append(f"| {cum_us / 1000:.1f} ms | {self_us / 1000:.1f} ms | {'· ' * depth}`{name}` |")
        lines += ["", "Top 10 by self time:", "", "| self | module |", "|---:|---|"]
        for self_us, _cum, _depth, name in st["top_self"]:
            lines.append(f"| {self_us / 1000:.1f} ms | `{name}` |")
        lines += ["", f"Sum of all import self times: {st['importtime_total_s'] * 1000:.0f} ms."]
    if results.get("profile"):
        lines += ["", "cProfile hotspots: " + ", ".join(f"`{p}`" for p in results["profile"].values())]
    lines += [
        "",
        f"Total benchmark wall time: {results['elapsed_s']:.0f} s. Load average (1/5/15 min) at start "
        f"{' '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end {' '.join(f'{x:.2f}' for x in results['loadavg_end'])}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
