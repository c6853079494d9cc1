#!/usr/bin/env python3
"""Speed and memory benchmarks for `translator batch` (translator.batch.run_batch).

    python bench/batch_speed.py            # full run (about 15 minutes on 2 cores; see bench/README.md)
    python bench/batch_speed.py --quick    # smaller corpora, fewer runs (about 2 minutes)
    python bench/batch_speed.py --only latency,memory,cookbook   # a subset

Three benchmarks, each against a target from the batch issues:

(a) latency   500 reports, openai engine, cache off, concurrency 16, against the project's test
              server (tests/support/openai_server.py) as a separate process with --latency-ms 200
              and the ChainModel responder. Wall time of run_batch against the ideal
              rounds x calls-per-report x latency, where calls per report is counted in the
              server's request log (--log) and rounds = ceil(500 / 16).
              Target: wall within 15 % of the ideal (ratio <= 1.15).
(b) memory    peak RSS (ru_maxrss, read with os.wait4 for that one child process) of a batch
              of 5,000 reports, once with the offline engine and once with the openai engine
              against the test server at latency 0. Target: < 200 MB.
(c) cookbook  the same model calls replayed by the OpenAI cookbook's
              examples/api_request_parallel_processor.py (stored in bench/.vendor/, see
              bench/README.md) against the same server (latency 200 ms): a JSONL with every chat
              request body our batch sent in one run of (a), verbatim from the server's log, so
              both make the same number of the same calls. Two settings: the script as
              published with --max_requests_per_minute set to what concurrency 16 sustains at
              200 ms (16 / 0.2 s x 60 = 4,800/min), and a copy whose aiohttp connector is capped
              at 16 connections (the cookbook has no concurrency option). Reports the ratio of
              our wall time to the cookbook's and the peak number of requests in flight
              (from the server log) for each.

Every batch runs in a fresh subprocess (`--worker`), which times run_batch itself (imports and
interpreter start-up excluded; reported separately) and is reaped with os.wait4 so its own
ru_maxrss is read. Corpora are built deterministically, the way tests/test_batch.py builds one
(the 16 labelled notes of eval_sets/notes plus examples/notes/fraud-velocity.md, copied into
team0/ team1/ folders, each text copy suffixed "Copy N."), under bench/.corpus/batch/; outputs
and server logs go to bench/out/batch/. Figures are medians over the runs; nothing is rounded
in the benchmark's favour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CORPUS = BENCH / ".corpus" / "batch"
OUT = BENCH / "out" / "batch"
VENDOR = BENCH / ".vendor"
NOTES = ROOT / "eval_sets" / "notes"
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"
SERVER = ROOT / "tests" / "support" / "openai_server.py"
COOKBOOK = VENDOR / "api_request_parallel_processor.py"
COOKBOOK_PATCHED = VENDOR / "api_request_parallel_processor_local.py"
COOKBOOK_PYTHON = Path(os.environ.get("COOKBOOK_PYTHON", "/tmp/cookbook-venv/bin/python"))

MODEL = "gpt-4o-mini"
API_KEY = "bench-key"
TARGET_RATIO = 1.15
TARGET_MB = 200.0


# --------------------------------------------------------------------------------------------
# corpus


def source_notes() -> list[Path]:
    """The order tests/test_batch.py uses: .md, .txt, .ipynb notes, then the complete example."""
    return [*sorted(NOTES.glob("*.md")), *sorted(NOTES.glob("*.txt")), *sorted(NOTES.glob("*.ipynb")), EXAMPLE]


def build_corpus(count: int) -> Path:
    """``count`` reports under bench/.corpus/batch/reports-COUNT (reused when already complete)."""
    folder = CORPUS / f"reports-{count}"
    stamp = folder / ".complete"
    if stamp.is_file() and stamp.read_text() == str(count):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    sources = [(s, s.read_text(encoding="utf-8")) for s in source_notes()]
    written = 0
    n = 0
    while written < count:
        for source, text in sources:
            if written == count:
                break
            target = folder / f"team{n % 2}" / f"{n}-{source.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            # As tests/test_batch.py: copies after the first get a line that makes them distinct;
            # notebooks are copied as they are (their JSON would not take a trailing line).
            body = text if n == 0 or source.suffix == ".ipynb" else text + f"\n\nCopy {n}.\n"
            target.write_text(body, encoding="utf-8")
            written += 1
        n += 1
    stamp.write_text(str(count))
    return folder


# --------------------------------------------------------------------------------------------
# the test server, as a separate process


class Server:
    def __init__(self, latency_ms: int, log: Path | None) -> None:
        command = [
            sys.executable,
            str(SERVER),
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            "--responder",
            "tests.support.responders:chain_model",
        ]
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.unlink(missing_ok=True)
            command += ["--log", str(log)]
        self.log = log
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"the test server did not start: {line!r}")
        self.base_url = line.removeprefix("listening on ")

    def chat_requests(self) -> list[dict]:
        if self.log is None or not self.log.is_file():
            return []
        entries = [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [e for e in entries if e.get("method") == "POST" and e.get("path") == "/v1/chat/completions"]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def peak_in_flight(requests: list[dict]) -> int:
    """Most chat requests the server held at once (from each entry's arrival time and duration)."""
    events = []
    for r in requests:
        events.append((r["time"], 1))
        events.append((r["time"] + (r.get("duration_s") or 0.0), -1))
    events.sort(key=lambda e: (e[0], e[1]))
    peak = current = 0
    for _, delta in events:
        current += delta
        peak = max(peak, current)
    return peak


# --------------------------------------------------------------------------------------------
# one batch in a fresh process


def worker(config: dict) -> None:
    """Run one batch (called in the child process) and print its figures as one JSON line."""
    started = time.perf_counter()
    import contextvars
    import resource

    from translator.batch import BatchOptions, run_batch, runner
    from translator.drafting import DraftOptions
    from translator.inputs import expand_inputs
    from translator.sources import SUPPORTED_SUFFIXES

    calls_by_path: dict[str, int] = {}
    if config["engine"] == "openai":
        # The LLM stack is imported lazily on the drafting path; import it before the clock starts.
        import translator.drafting.chain  # noqa: F401
        from translator.drafting import service

        if config.get("direct_sdk"):
            _patch_direct_sdk()  # before the counting wrapper below, which must wrap it

        # Count model calls per report (the journal's per-report usage is a delta of the shared
        # session's ledger, so under concurrency it also counts other workers' calls). One
        # wrapper per report and one per call: microseconds against tens of milliseconds.
        box: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("bench_calls", default=None)
        adraft, call = runner.adraft, service.ModelSession._call_with_retries

        async def counted_adraft(notes, **kwargs):  # type: ignore[no-untyped-def]
            counter = [0]
            token = box.set(counter)
            try:
                return await adraft(notes, **kwargs)
            finally:
                box.reset(token)
                calls_by_path[notes.path] = counter[0]

        async def counted_call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            counter = box.get()
            if counter is not None:
                counter[0] += 1
            return await call(self, *args, **kwargs)

        runner.adraft = counted_adraft  # type: ignore[assignment]
        service.ModelSession._call_with_retries = counted_call  # type: ignore[method-assign]
    imported = time.perf_counter() - started
    draft = DraftOptions(
        engine=config["engine"],
        base_url=config.get("base_url"),
        api_key=API_KEY if config["engine"] == "openai" else None,
        model=MODEL,
        cache=False,
    )
    options = BatchOptions(out_dir=Path(config["out"]), draft=draft, concurrency=config["concurrency"], resume=False)
    profile = None
    if config.get("profile"):
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    t0, cpu0 = time.perf_counter(), time.process_time()
    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = asyncio.run(run_batch([config["corpus"]], options))
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    # The gate worker (when there is one) has been reaped by now: its CPU counts as a child's.
    children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
    if profile is not None:
        profile.disable()
        profile.dump_stats(config["profile"])
    p = result.progress
    order = [item for item in expand_inputs([config["corpus"]], SUPPORTED_SUFFIXES) if isinstance(item, str)]
    print(
        json.dumps(
            {
                "wall_s": wall,
                "cpu_s": cpu,
                "children_cpu_s": children_cpu,
                "import_s": imported,
                "done": p.done,
                "accepted": p.accepted,
                "rejected": p.rejected,
                "failed": p.failed,
                "skipped": p.skipped,
                "ledger_calls": p.usage.calls,
                "calls_by_report": [calls_by_path.get(path, 0) for path in order] if calls_by_path else [],
                "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        ),
        flush=True,
    )


def _patch_direct_sdk() -> None:
    """Experiment (--experiment direct-sdk), not the product: each model call goes through the
    openai SDK directly, with the request body and parser the Batch API mode uses
    (structured_request's response_format, parse_structured_response), instead of LangChain's
    ChatOpenAI.with_structured_output. The chain, gate, limiter, journal and outputs are the
    same; retries and the fallback methods are left out. It measures what LangChain's layer costs
    a batch, for the decision the README describes."""
    from functools import cache

    from langchain_openai.chat_models.base import _convert_message_to_dict
    from openai.lib._parsing._completions import type_to_response_format_param

    from translator.drafting import service

    response_format = cache(type_to_response_format_param)

    async def call(self, step, messages, schema, method):  # type: ignore[no-untyped-def]
        if self.throttle is not None:
            await self.throttle.acquire(0)
        raw = await self.chat.root_async_client.with_raw_response.chat.completions.create(
            model=self.settings.model,
            messages=[_convert_message_to_dict(m) for m in messages],
            response_format=response_format(schema),
        )
        body = raw.http_response.json()
        usage = body.get("usage") or {}
        self._add_usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
        return service.parse_structured_response(body, schema)

    service.ModelSession._call_with_retries = call  # type: ignore[method-assign]


def run_worker(config: dict) -> dict:
    """Run a batch in a child process; add its total wall time and its own peak RSS (os.wait4)."""
    out = Path(config["out"])
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    total = time.perf_counter() - t0
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"batch worker failed ({proc.returncode}): {stderr[-2000:]}")
    result = json.loads(lines[-1])
    result["process_s"] = total
    result["maxrss_mb"] = usage.ru_maxrss / 1024  # Linux: kilobytes
    return result


# --------------------------------------------------------------------------------------------
# (a) latency


def bench_latency(reports: int, runs: int, concurrency: int, latency_ms: int, direct_sdk: bool = False) -> dict:
    corpus = build_corpus(reports)
    rounds = math.ceil(reports / concurrency)
    samples = []
    for n in range(runs):
        log = OUT / f"latency-{reports}-run{n}.requests.jsonl"
        with Server(latency_ms, log) as server:
            result = run_worker(
                {
                    "engine": "openai",
                    "base_url": server.base_url,
                    "corpus": str(corpus),
                    "out": str(OUT / f"latency-{reports}"),
                    "concurrency": concurrency,
                    "direct_sdk": direct_sdk,
                }
            )
            time.sleep(0.2)  # the server logs each request before answering it; nothing is in flight now
            requests = server.chat_requests()
        calls = len(requests)
        per_report = calls / reports
        ideal = rounds * per_report * latency_ms / 1000
        schedule = list_schedule(result["calls_by_report"], concurrency, latency_ms / 1000)
        durations = sorted(r["duration_s"] for r in requests if r.get("duration_s") is not None)
        distribution: dict[int, int] = {}
        for c in result["calls_by_report"]:
            distribution[c] = distribution.get(c, 0) + 1
        samples.append(
            {
                **result,
                "server_calls": calls,
                "calls_per_report": per_report,
                "ideal_s": ideal,
                "ratio": result["wall_s"] / ideal,
                "schedule_ideal_s": schedule,
                "server_median_s": statistics.median(durations) if durations else float("nan"),
                "peak_in_flight": peak_in_flight(requests),
                "log": str(log),
                "calls_distribution": distribution,
            }
        )
        print(
            f"  (a) run {n + 1}/{runs}: {result['wall_s']:.1f} s for {calls} calls "
            f"({per_report:.2f}/report), ideal {ideal:.1f} s, ratio {result['wall_s'] / ideal:.2f}; "
            f"CPU per call {result['cpu_s'] / calls * 1000:.1f} ms in the batch process, "
            f"{result['children_cpu_s'] / calls * 1000:.1f} ms in its gate worker",
            file=sys.stderr,
        )
    return {"reports": reports, "concurrency": concurrency, "latency_ms": latency_ms, "rounds": rounds, "runs": samples}


def profile_latency(reports: int, concurrency: int, latency_ms: int) -> dict:
    """One more, smaller batch of the (a) setting under cProfile: where the batch process's time goes."""
    sys.path.insert(0, str(BENCH))
    from draft_speed import own_time_by_group, selected_functions, top_functions

    corpus = build_corpus(reports)
    stats_path = OUT / f"latency-{reports}.prof"
    with Server(latency_ms, None) as server:
        result = run_worker(
            {
                "engine": "openai",
                "base_url": server.base_url,
                "corpus": str(corpus),
                "out": str(OUT / f"latency-{reports}-profiled"),
                "concurrency": concurrency,
                "profile": str(stats_path),
            }
        )
    profile = str(stats_path)  # pstats.Stats reads a dump file as well as a Profile
    print(f"  (a) profiled batch of {reports}: {result['wall_s']:.1f} s", file=sys.stderr)
    calls = sum(result["calls_by_report"])
    return {
        "reports": reports,
        "wall_s": result["wall_s"],
        "calls": calls,
        "stats": str(stats_path),
        "groups": own_time_by_group(profile, calls),
        "own": top_functions(profile, calls, "tottime"),
        "selected": selected_functions(profile, calls),
    }


def list_schedule(calls_by_report: list[int], workers: int, latency: float) -> float:
    """Finish time with zero overhead: each worker takes the next report in order (the batch's queue)."""
    free = [0.0] * workers
    for calls in calls_by_report:
        i = min(range(workers), key=free.__getitem__)
        free[i] += calls * latency
    return max(free)


# --------------------------------------------------------------------------------------------
# (b) memory


def bench_memory(reports: int, concurrency: int) -> dict:
    corpus = build_corpus(reports)
    results = {}
    for engine in ("offline", "openai"):
        if engine == "offline":
            result = run_worker(
                {
                    "engine": "offline",
                    "corpus": str(corpus),
                    "out": str(OUT / f"memory-{reports}-offline"),
                    "concurrency": concurrency,
                }
            )
        else:
            with Server(0, None) as server:
                result = run_worker(
                    {
                        "engine": "openai",
                        "base_url": server.base_url,
                        "corpus": str(corpus),
                        "out": str(OUT / f"memory-{reports}-openai"),
                        "concurrency": concurrency,
                    }
                )
        result.pop("calls_by_report", None)
        print(
            f"  (b) {engine}: {result['maxrss_mb']:.0f} MB peak, {result['wall_s']:.0f} s for {reports} reports",
            file=sys.stderr,
        )
        results[engine] = result
    return {"reports": reports, "concurrency": concurrency, "engines": results}


# --------------------------------------------------------------------------------------------
# (c) the OpenAI cookbook's parallel processor


# Edits that let the cookbook script run here; each must match the stored original exactly once.
COOKBOOK_PATCHES = [
    # The endpoint regexes accept only https:// URLs; the test server is plain HTTP on loopback.
    (
        'match = re.search("^https://[^/]+/v\\\\d+/(.+)$", request_url)',
        'match = re.search("^https?://[^/]+/v\\\\d+/(.+)$", request_url)  # bench patch: http:// too',
    ),
    # tiktoken downloads its encodings from the internet, which this machine cannot reach.
    (
        "    encoding = tiktoken.get_encoding(token_encoding_name)\n",
        (
            "    class encoding:  # bench patch: no tiktoken download offline; about four characters a token\n"
            "        @staticmethod\n"
            "        def encode(text):\n"
            "            return range(len(text) // 4)\n"
        ),
    ),
    # The script has no concurrency option; aiohttp's default connector allows 100 connections.
    # BENCH_CONNECTOR_LIMIT caps it for the matched-concurrency run (unset: aiohttp's default).
    (
        "async with aiohttp.ClientSession() as session:",
        "async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=int(os.environ.get('BENCH_CONNECTOR_LIMIT', '100')))) as session:",
    ),
]


def patched_cookbook() -> Path:
    text = COOKBOOK.read_text(encoding="utf-8")
    for old, new in COOKBOOK_PATCHES:
        if text.count(old) != 1:
            raise RuntimeError(f"the stored cookbook script does not match a patch: {old[:60]!r}")
        text = text.replace(old, new)
    COOKBOOK_PATCHED.write_text(text, encoding="utf-8")
    return COOKBOOK_PATCHED


def cookbook_jsonl(log: Path, target: Path) -> int:
    """Every chat request body from one batch run's server log, in arrival order."""
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    bodies = [e["body"] for e in entries if e.get("method") == "POST" and e.get("path") == "/v1/chat/completions"]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as stream:
        for n, body in enumerate(bodies):
            stream.write(json.dumps({**body, "metadata": {"n": n}}) + "\n")
    return len(bodies)


def run_cookbook(script: Path, jsonl: Path, base_url: str, rpm: int, limit: int | None) -> dict:
    results = jsonl.with_name(jsonl.stem + f"-results-{rpm}-{limit}.jsonl")
    results.unlink(missing_ok=True)
    env = {**os.environ, "OPENAI_API_KEY": API_KEY}
    env.pop("BENCH_CONNECTOR_LIMIT", None)
    if limit is not None:
        env["BENCH_CONNECTOR_LIMIT"] = str(limit)
    command = [
        str(COOKBOOK_PYTHON),
        str(script),
        "--requests_filepath",
        str(jsonl),
        "--save_filepath",
        str(results),
        "--request_url",
        f"{base_url}/chat/completions",
        "--max_requests_per_minute",
        str(rpm),
        "--max_tokens_per_minute",
        "1000000000",
        "--max_attempts",
        "5",
        "--logging_level",
        "30",
    ]
    t0 = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"the cookbook script failed ({done.returncode}): {done.stderr[-2000:]}")
    ok = failed = 0
    for line in results.read_text(encoding="utf-8").splitlines():
        answer = json.loads(line)[1]
        if isinstance(answer, dict) and answer.get("choices"):
            ok += 1
        else:
            failed += 1
    return {"wall_s": wall, "succeeded": ok, "failed": failed}


def bench_cookbook(latency: dict, runs: int, concurrency: int, latency_ms: int) -> dict:
    missing = [str(p) for p in (COOKBOOK, COOKBOOK_PYTHON) if not p.exists()]
    if missing:
        return {"skipped": f"missing {', '.join(missing)}; see bench/README.md"}
    script = patched_cookbook()
    first = latency["runs"][0]
    jsonl = OUT / "cookbook" / "requests.jsonl"
    calls = cookbook_jsonl(Path(first["log"]), jsonl)
    rpm_matched = int(concurrency / (latency_ms / 1000) * 60)
    settings = [
        (f"as published, --max_requests_per_minute {rpm_matched}", rpm_matched, None),
        (f"connector capped at {concurrency} connections", 10_000_000, concurrency),
    ]
    ours = statistics.median(r["wall_s"] for r in latency["runs"])
    ours_peak = max(r["peak_in_flight"] for r in latency["runs"])
    rows = []
    for label, rpm, limit in settings:
        samples = []
        for n in range(runs):
            log = OUT / "cookbook" / f"server-{rpm}-{limit}-run{n}.jsonl"
            with Server(latency_ms, log) as server:
                result = run_cookbook(script, jsonl, server.base_url, rpm, limit)
                time.sleep(0.2)
                requests = server.chat_requests()
            result["server_calls"] = len(requests)
            result["peak_in_flight"] = peak_in_flight(requests)
            samples.append(result)
            print(
                f"  (c) {label} run {n + 1}/{runs}: {result['wall_s']:.1f} s, {result['succeeded']} ok, "
                f"peak {result['peak_in_flight']} in flight",
                file=sys.stderr,
            )
        wall = statistics.median(s["wall_s"] for s in samples)
        rows.append(
            {
                "label": label,
                "rpm": rpm,
                "connector_limit": limit,
                "wall_s": wall,
                "runs": samples,
                "ratio_ours_to_cookbook": ours / wall,
            }
        )
    return {"calls": calls, "ours_wall_s": ours, "ours_peak_in_flight": ours_peak, "settings": rows}


# --------------------------------------------------------------------------------------------
# report


def fmt_s(x: float) -> str:
    return f"{x:.2f} s"


def report(results: dict) -> str:
    out = []
    env = results["environment"]
    out.append(f"# Batch benchmarks ({'quick' if results['quick'] else 'full'} run)\n")
    if results.get("experiment") == "direct-sdk":
        out.append(
            "**Experiment, not the product:** each model call made through the openai SDK directly "
            "(bench/batch_speed.py `_patch_direct_sdk`), not LangChain's with_structured_output.\n"
        )
    out.append(
        f"{env['machine']}; Python {env['python']}; {env['cpus']} CPUs; load average at start "
        f"{env['load_start']}, at end {env['load_end']}; {env['other_load']}; sources {env['sources']}\n"
    )
    lat = results.get("latency")
    if lat:
        runs = lat["runs"]
        wall = statistics.median(r["wall_s"] for r in runs)
        per_report = statistics.median(r["calls_per_report"] for r in runs)
        ideal = lat["rounds"] * per_report * lat["latency_ms"] / 1000
        ratio = wall / ideal
        schedule = statistics.median(r["schedule_ideal_s"] for r in runs)
        out.append(
            f"## (a) {lat['reports']} reports, concurrency {lat['concurrency']}, latency {lat['latency_ms']} ms, "
            f"openai engine, cache off (median of {len(runs)} runs)\n"
        )
        out.append(f"During (a): {lat['other_load']}.\n")
        out.append("| measure | value |")
        out.append("|---|---|")
        out.append(
            f"| wall time of run_batch (median; runs: {', '.join(fmt_s(r['wall_s']) for r in runs)}) | {fmt_s(wall)} |"
        )
        out.append(f"| model calls (server log) | {', '.join(str(r['server_calls']) for r in runs)} |")
        out.append(
            "| client CPU per model call: batch process + gate worker (runs) | "
            + ", ".join(
                f"{r['cpu_s'] / r['server_calls'] * 1000:.1f} + {r.get('children_cpu_s', 0) / r['server_calls'] * 1000:.1f} ms"
                for r in runs
            )
            + " |"
        )
        out.append(f"| calls per report (server log / reports) | {per_report:.3f} |")
        out.append(
            f"| calls counted in the batch process (check) | {', '.join(str(sum(r['calls_by_report'])) for r in runs)} |"
        )
        out.append(
            f"| calls in the batch's own usage ledger (summary.json; sum of per-report deltas of the shared session) | "
            f"{', '.join(str(r['ledger_calls']) for r in runs)} |"
        )
        dist = runs[0]["calls_distribution"]
        out.append(
            "| calls per report, distribution (run 1, counted in the batch process) | "
            + ", ".join(f"{v} reports x {k}" for k, v in sorted(dist.items()))
            + " |"
        )
        out.append(f"| rounds = ceil({lat['reports']}/{lat['concurrency']}) | {lat['rounds']} |")
        out.append(f"| ideal = rounds x calls/report x latency | {fmt_s(ideal)} |")
        out.append(
            f"| **ratio wall / ideal** (target <= {TARGET_RATIO}) | **{ratio:.2f}** ({'met' if ratio <= TARGET_RATIO else 'NOT met'}) |"
        )
        served = statistics.median(r["server_median_s"] for r in runs)
        out.append(
            f"| for reference: zero-overhead schedule of the measured per-report calls | {fmt_s(schedule)} (ratio {wall / schedule:.2f}) |"
        )
        out.append(f"| server time per request, median (latency + answering; from its log) | {served * 1000:.0f} ms |")
        out.append(
            f"| for reference: ideal with that measured server time instead of {lat['latency_ms']} ms | "
            f"{fmt_s(ideal * served / (lat['latency_ms'] / 1000))} (ratio {wall / (ideal * served / (lat['latency_ms'] / 1000)):.2f}) |"
        )
        out.append(f"| peak requests in flight (server log) | {max(r['peak_in_flight'] for r in runs)} |")
        out.append(
            f"| outcomes (run 1) | {runs[0]['accepted']} accepted, {runs[0]['rejected']} rejected, {runs[0]['failed']} failed |"
        )
        out.append(
            f"| process wall incl. start-up and imports (median) | {fmt_s(statistics.median(r['process_s'] for r in runs))} |"
        )
        out.append("")
        prof = results.get("latency_profile")
        if prof:
            total = sum(r["ms"] for r in prof["groups"])
            idle = sum(r["ms"] for r in prof["groups"] if "epoll" in r["group"])
            stats = Path(prof["stats"]).relative_to(ROOT)
            out.append(
                f"Where the batch process's time goes: cProfile over one more batch of {prof['reports']} reports, same "
                f"setting ({fmt_s(prof['wall_s'])} under the profiler, {prof['calls']} model calls; {stats}). "
                f"Own time per model call summed by package: {total:.1f} ms profiled, of which {idle:.1f} ms idle in "
                f"epoll and {total - idle:.1f} ms busy (profiling inflates it; "
                f"at {results['latency']['concurrency']} calls in flight and {results['latency']['latency_ms']} ms "
                f"latency a single process has {results['latency']['latency_ms'] / results['latency']['concurrency']:.1f} ms "
                f"of CPU per call to spare):\n"
            )
            out.append("| where (own time, by package) | ms per model call | share |")
            out.append("|---|---|---|")
            for r in prof["groups"][:12]:
                out.append(f"| {r['group']} | {r['ms']:.1f} | {r['share'] * 100:.0f} % |")
            rest = prof["groups"][12:]
            out.append(
                f"| {len(rest)} more | {sum(r['ms'] for r in rest):.1f} | {sum(r['share'] for r in rest) * 100:.0f} % |"
            )
            out.append("")
            out.append("| top 10 functions by own time | calls | own ms per model call |")
            out.append("|---|---|---|")
            for r in prof["own"]:
                out.append(f"| `{r['function']}` | {r['calls']} | {r['own_ms']:.2f} |")
            out.append("")
            out.append(
                "| selected functions (plain functions: exact cumulative time) | calls per model call | cumulative ms per model call |"
            )
            out.append("|---|---|---|")
            for r in prof["selected"]:
                out.append(f"| `{r['function']}` | {r['calls_per_draft']:.2f} | {r['cum_ms']:.1f} |")
            out.append("")
    mem = results.get("memory")
    if mem:
        out.append(f"## (b) Peak memory, {mem['reports']:,} reports, concurrency {mem['concurrency']}, cache off\n")
        out.append(f"During (b): {mem['other_load']} (wall times here are not a target).\n")
        out.append("| engine | peak RSS (ru_maxrss) | target < 200 MB | wall time | reports/s | outcomes |")
        out.append("|---|---|---|---|---|---|")
        for engine, r in mem["engines"].items():
            where = "" if engine == "offline" else " (test server, latency 0)"
            out.append(
                f"| {engine}{where} | {r['maxrss_mb']:.0f} MB | {'met' if r['maxrss_mb'] < TARGET_MB else 'NOT met'} | "
                f"{fmt_s(r['wall_s'])} | {r['done'] / r['wall_s']:.1f} | "
                f"{r['accepted']} accepted, {r['rejected']} rejected, {r['failed']} failed |"
            )
        out.append("")
    cook = results.get("cookbook")
    if cook:
        out.append("## (c) Against the OpenAI cookbook's api_request_parallel_processor.py\n")
        if "skipped" in cook:
            out.append(f"Skipped: {cook['skipped']}\n")
        else:
            out.append(
                f"The same {cook['calls']} chat requests (every request body our batch sent in run 1 of (a), "
                f"replayed verbatim from the server log), same server, latency {results['latency']['latency_ms']} ms. "
                f"During (c): {cook['other_load']}.\n"
            )
            out.append("| runner | limits | wall time (median) | peak in flight | our wall / theirs |")
            out.append("|---|---|---|---|---|")
            out.append(
                f"| translator batch (from (a)) | concurrency {results['latency']['concurrency']}, no rpm limit | "
                f"{fmt_s(cook['ours_wall_s'])} | {cook['ours_peak_in_flight']} | 1.00 |"
            )
            for row in cook["settings"]:
                walls = ", ".join(fmt_s(s["wall_s"]) for s in row["runs"])
                fails = sum(s["failed"] for s in row["runs"])
                limit = (
                    f", connector limit {row['connector_limit']}"
                    if row["connector_limit"]
                    else ", aiohttp default 100 connections"
                )
                failed = f"; {fails} failed" if fails else ""
                out.append(
                    f"| cookbook, {row['label']} | rpm {row['rpm']:,}{limit} | "
                    f"{fmt_s(row['wall_s'])} ({walls}){failed} | "
                    f"{max(s['peak_in_flight'] for s in row['runs'])} | {row['ratio_ours_to_cookbook']:.2f} |"
                )
            out.append("")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller corpora and fewer runs")
    parser.add_argument("--only", default="latency,memory,cookbook", help="comma-separated: latency, memory, cookbook")
    parser.add_argument("--reports", type=int, help="reports for (a) and (c) (default 500; quick 96)")
    parser.add_argument("--runs", type=int, help="runs of (a) and of each (c) setting (default 3; quick 1)")
    parser.add_argument("--memory-reports", type=int, help="reports for (b) (default 5000; quick 500)")
    parser.add_argument(
        "--experiment",
        choices=["direct-sdk"],
        help="(a) only, with each model call made through the openai SDK directly instead of "
        "LangChain (an experiment, not the product); written to batch_speed-direct-sdk.md",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return 0

    only = set(args.only.split(",")) if not args.experiment else {"latency"}
    if "cookbook" in only:
        only.add("latency")  # the cookbook replays (a)'s calls and is compared with (a)'s wall time
    concurrency, latency_ms = 16, 200
    reports, runs, memory_reports = (500, 3, 5000) if not args.quick else (96, 1, 500)
    reports = args.reports or reports
    runs = args.runs or runs
    memory_reports = args.memory_reports or memory_reports
    cookbook_runs = runs
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.quick and only >= {"latency", "memory", "cookbook"}:
        print("full run: about 15 minutes on 2 cores, most of it the 5,000-report openai batch of (b)", file=sys.stderr)
    sys.path.insert(0, str(BENCH))
    from draft_speed import OtherLoad, load_average, source_fingerprint

    results: dict = {
        "quick": args.quick,
        "environment": {
            "machine": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_start": load_average(),
        },
    }

    meter = OtherLoad()
    results["environment"]["sources"] = source_fingerprint()
    if "latency" in only:
        section = OtherLoad()
        results["latency"] = bench_latency(reports, runs, concurrency, latency_ms, direct_sdk=bool(args.experiment))
        results["latency"]["other_load"] = section.summary()
        if not args.experiment:
            results["latency_profile"] = profile_latency(64 if not args.quick else 32, concurrency, latency_ms)
    if "cookbook" in only:
        section = OtherLoad()
        results["cookbook"] = bench_cookbook(results["latency"], cookbook_runs, concurrency, latency_ms)
        results["cookbook"]["other_load"] = section.summary()
    if "memory" in only:
        section = OtherLoad()
        results["memory"] = bench_memory(memory_reports, concurrency)
        results["memory"]["other_load"] = section.summary()
    results["environment"]["load_end"] = load_average()
    results["environment"]["other_load"] = meter.summary()
    text = report(results)
    name = "batch_speed" + (f"-{args.experiment}" if args.experiment else "")
    results["experiment"] = args.experiment
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (OUT / f"{name}.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
