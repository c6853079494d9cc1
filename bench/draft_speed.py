#!/usr/bin/env python3
"""Speed benchmarks for `translator draft` (translator.drafting.draft).

    python bench/draft_speed.py            # full run (60-80 s on 2 cores)
    python bench/draft_speed.py --quick    # fewer runs (about 20 s)

Two benchmarks, each against a target from the drafting issues:

(a) overhead  `draft(examples/notes/fraud-velocity.md)` with the openai engine, cache off,
              against the project's test server in-process (tests/support/openai_server.py,
              latency 0) answering with the ChainModel responder. The responder is wrapped to
              sum the time it spends producing answers; overhead = wall time of draft() minus
              that time. Also shown: the server's whole handling time per request (reading,
              parsing and answering the HTTP request, from its request log), and a cProfile
              breakdown of the overhead (separate, profiled runs).
              Target: overhead <= 100 ms per draft (median).
(b) offline   `draft(path, engine="offline")` over the 16 labelled notes of eval_sets/notes,
              repeated, in one process. Target: >= 100 notes/s (median of the trials).

The first drafts of a process (imports, first-use caches) are run as warm-up and reported
separately, not counted. Results go to bench/out/draft/ (git-ignored). Every figure printed is
measured; nothing is rounded in the benchmark's favour.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support is imported from the checkout

OUT = ROOT / "bench" / "out" / "draft"
EXAMPLE = ROOT / "examples" / "notes" / "fraud-velocity.md"
NOTES = ROOT / "eval_sets" / "notes"
TARGET_OVERHEAD_MS = 100.0
TARGET_NOTES_PER_S = 100.0

# Event-loop plumbing that encloses everything (asyncio.run, the loop's _run_once, Context.run)
# and so tells nothing about where the time goes; left out of the cumulative listing.
PLUMBING = ("/asyncio/", "'run' of '_contextvars.Context' objects", "selectors.py")


class TimedResponder:
    """Wraps a responder and sums the wall time it spends producing answers (thread-safe)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, body: dict):
        started = time.perf_counter()
        try:
            return self.inner(body)
        finally:
            spent = time.perf_counter() - started
            with self._lock:
                self.seconds += spent
                self.calls += 1

    def reset(self) -> None:
        with self._lock:
            self.seconds = 0.0
            self.calls = 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def top_functions(profile: cProfile.Profile | str, per: int, key: str, limit: int = 10) -> list[dict]:
    """The top ``limit`` functions by ``key`` ("cumulative" or "tottime"), in ms per draft."""
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{filename}:{line}({name})" if filename != "~" else name
        if key == "cumulative" and any(p in where for p in PLUMBING):
            continue
        rows.append({"function": short(where), "calls": nc, "own_ms": tt * 1000 / per, "cum_ms": ct * 1000 / per})
    rows.sort(key=lambda r: r["cum_ms" if key == "cumulative" else "own_ms"], reverse=True)
    return rows[:limit]


def own_time_by_group(profile: cProfile.Profile | str, per: int) -> list[dict]:
    """Own time (tottime: exact, unlike cumulative time across coroutine switches) summed by package."""
    stats = pstats.Stats(profile)
    groups: dict[str, float] = {}
    for (filename, _, name), (_, _, tt, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        group = package_of(filename, name)
        groups[group] = groups.get(group, 0.0) + tt
    total = sum(groups.values())
    rows = [{"group": g, "ms": t * 1000 / per, "share": t / total if total else 0.0} for g, t in groups.items()]
    rows.sort(key=lambda r: r["ms"], reverse=True)
    return rows


def package_of(filename: str, name: str) -> str:
    if filename == "~":  # a C function or method: name it by what it belongs to
        for marker, group in (
            ("_ssl.", "ssl (C)"),
            ("select.", "waiting on sockets (epoll; idle, not CPU)"),
            ("socket", "socket I/O (C)"),
            ("re.Pattern", "regular expressions (C)"),
            ("_json", "json (C)"),
            ("pydantic_core", "pydantic-core (C)"),
            ("_thread.lock", "thread locks (C)"),
        ):
            if marker in name:
                return group
        return "other built-ins (C)"
    if "site-packages/" in filename:
        top = filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
        if top in ("httpx", "httpx2", "httpcore", "httpcore2", "h11", "anyio", "sniffio"):
            return "HTTP client (httpx, httpcore, h11, anyio)"
        return top
    if filename.startswith(str(ROOT)):
        parts = Path(filename).relative_to(ROOT).parts
        return ".".join(parts[:2]) if parts[0] == "translator" and len(parts) > 2 else "/".join(parts[:2])
    if "/asyncio/" in filename or filename.endswith("selectors.py"):
        return "event loop (asyncio)"
    if "/lib/python3." in filename:
        return "stdlib " + filename.rsplit("/", 1)[-1].removesuffix(".py")
    return filename


# Functions worth following by name (plain functions, so cProfile's cumulative time is exact).
SELECTED = (
    ("translator/rubric/document.py", "parse_document"),
    ("translator/drafting/gate.py", "run_gate"),
    ("translator/drafting/service.py", "__init__"),
    ("pydantic/main.py", "model_json_schema"),
    ("openai/lib/_pydantic.py", "to_strict_json_schema"),
    ("ssl.py", "create_default_context"),
    ("yaml/__init__.py", "safe_load"),
)


def selected_functions(profile: cProfile.Profile | str, per: int) -> list[dict]:
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        for suffix, wanted in SELECTED:
            if name == wanted and filename.endswith(suffix):
                rows.append(
                    {
                        "function": short(f"{filename}:{line}({name})"),
                        "calls": nc,
                        "calls_per_draft": nc / per,
                        "own_ms": tt * 1000 / per,
                        "cum_ms": ct * 1000 / per,
                    }
                )
    rows.sort(key=lambda r: r["cum_ms"], reverse=True)
    return rows


def short(where: str) -> str:
    for marker in ("site-packages/", "/lib/python3."):
        if marker in where:
            tail = where.split(marker, 1)[1]
            return tail if marker == "site-packages/" else "stdlib " + tail.split("/", 1)[1]
    return where.replace(str(ROOT) + "/", "")


# --------------------------------------------------------------------------------------------
# (a) overhead of draft() beyond model time


def bench_overhead(runs: int, warmup: int, profile_runs: int) -> dict:
    from tests.support.openai_server import OpenAIServer
    from tests.support.responders import ChainModel
    from translator.drafting import DraftOptions
    from translator.drafting.api import draft

    responder = TimedResponder(ChainModel())
    samples = []
    with OpenAIServer(responder=responder, latency_s=0.0) as server:
        options = DraftOptions(
            engine="openai", base_url=server.base_url, api_key="bench-key", model="gpt-4o-mini", cache=False
        )

        def one() -> dict:
            responder.reset()
            first = len(server.requests)
            started = time.perf_counter()
            result = draft(EXAMPLE, options=options)
            wall = time.perf_counter() - started
            requests = server.requests.snapshot()[first:]
            return {
                "wall_ms": wall * 1000,
                "responder_ms": responder.seconds * 1000,
                "server_ms": sum(r.get("duration_s") or 0.0 for r in requests) * 1000,
                "calls": len(requests),
                "accepted": result.accepted,
                "rounds": result.rounds,
            }

        warm = [one() for _ in range(warmup)]
        samples = [one() for _ in range(runs)]
        profile = cProfile.Profile()
        responder.reset()
        profile.enable()
        for _ in range(profile_runs):
            draft(EXAMPLE, options=options)
        profile.disable()
    profile.dump_stats(str(OUT / "draft_openai.prof"))
    for sample in samples:
        sample["overhead_ms"] = sample["wall_ms"] - sample["responder_ms"]
        sample["client_ms"] = sample["wall_ms"] - sample["server_ms"]
    return {
        "runs": runs,
        "warmup": warm,
        "samples": samples,
        "profile_runs": profile_runs,
        "profile_cumulative": top_functions(profile, profile_runs, "cumulative"),
        "profile_own": top_functions(profile, profile_runs, "tottime"),
        "profile_groups": own_time_by_group(profile, profile_runs),
        "profile_selected": selected_functions(profile, profile_runs),
        "client": client_construction(),
    }


CLIENT_PROBE = """
import json, statistics, time
import openai
times = []
for _ in range(15):
    started = time.perf_counter()
    openai.DefaultAsyncHttpxClient(timeout=60.0)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(statistics.median(times[3:])))
"""


def client_construction() -> dict:
    """What building the HTTP client costs (ModelSession builds one per draft() without a session).

    Measured in fresh processes with the environment as given, without SSL_CERT_FILE, and without
    SSL_CERT_FILE and SSL_CERT_DIR: httpx loads a CA file (SSL_CERT_FILE, else OpenSSL's default
    file) eagerly for every client, a CA directory (SSL_CERT_DIR) lazily."""
    import subprocess

    out = {}
    for label, drop in (
        ("as given", ()),
        ("no file", ("SSL_CERT_FILE",)),
        ("neither", ("SSL_CERT_FILE", "SSL_CERT_DIR")),
    ):
        env = {k: v for k, v in os.environ.items() if k not in drop}
        done = subprocess.run([sys.executable, "-c", CLIENT_PROBE], env=env, capture_output=True, text=True, check=True)
        out[label] = float(done.stdout.strip())
    out["SSL_CERT_FILE"] = os.environ.get("SSL_CERT_FILE")
    out["SSL_CERT_DIR"] = os.environ.get("SSL_CERT_DIR")
    return out


# --------------------------------------------------------------------------------------------
# (b) offline engine throughput


def eval_notes() -> list[Path]:
    return sorted(p for p in NOTES.iterdir() if p.suffix in (".md", ".txt", ".ipynb"))


def bench_offline(passes: int, trials: int) -> dict:
    from translator.drafting import DraftOptions
    from translator.drafting.api import draft
    from translator.sources import read_notes

    files = eval_notes()
    loaded = [read_notes(p) for p in files]
    options = DraftOptions(engine="offline")
    for path in files:  # warm-up: one pass
        draft(path, options=options)

    def trial(inputs: list) -> float:
        started = time.perf_counter()
        for _ in range(passes):
            for item in inputs:
                draft(item, options=options)
        return passes * len(inputs) / (time.perf_counter() - started)

    from_files = [trial(files) for _ in range(trials)]
    in_memory = [trial(loaded) for _ in range(trials)]
    profile = cProfile.Profile()
    profile.enable()
    for path in files:
        draft(path, options=options)
    profile.disable()
    profile.dump_stats(str(OUT / "draft_offline.prof"))
    return {
        "notes": len(files),
        "passes": passes,
        "trials": trials,
        "from_files": from_files,
        "in_memory": in_memory,
        "profile_cumulative": top_functions(profile, len(files), "cumulative"),
        "profile_own": top_functions(profile, len(files), "tottime"),
        "profile_groups": own_time_by_group(profile, len(files)),
        "profile_selected": selected_functions(profile, len(files)),
    }


# --------------------------------------------------------------------------------------------
# report


def profile_table(rows: list[dict], title: str) -> list[str]:
    out = [f"{title}\n", "| function | calls | own ms/draft | cumulative ms/draft |", "|---|---|---|---|"]
    for r in rows:
        out.append(f"| `{r['function']}` | {r['calls']} | {r['own_ms']:.1f} | {r['cum_ms']:.1f} |")
    out.append("")
    return out


def selected_table(rows: list[dict]) -> list[str]:
    out = [
        "Selected functions (plain functions: their cumulative time is exact)\n",
        "| function | calls per draft | cumulative ms/draft |",
        "|---|---|---|",
    ]
    for r in rows:
        out.append(f"| `{r['function']}` | {r['calls_per_draft']:.2f} | {r['cum_ms']:.1f} |")
    out.append("")
    return out


def group_table(rows: list[dict], title: str, limit: int = 12) -> list[str]:
    total = sum(r["ms"] for r in rows)
    out = [f"{title}\n", "| where (own time, by package) | ms/draft | share |", "|---|---|---|"]
    for r in rows[:limit]:
        out.append(f"| {r['group']} | {r['ms']:.1f} | {r['share'] * 100:.0f} % |")
    rest = rows[limit:]
    if rest:
        out.append(
            f"| {len(rest)} more | {sum(r['ms'] for r in rest):.1f} | {sum(r['share'] for r in rest) * 100:.0f} % |"
        )
    out.append(f"| total profiled | {total:.1f} | 100 % |")
    out.append("")
    return out


def report(results: dict) -> str:
    env = results["environment"]
    out = [
        f"# Drafting benchmarks ({'quick' if results['quick'] else 'full'} run)\n",
        (
            f"{env['machine']}; Python {env['python']}; {env['cpus']} CPUs; load average at start {env['load_start']}, "
            f"at end {env['load_end']}; {env['other_load']}; sources {env['sources']}\n"
        ),
    ]
    a = results.get("overhead")
    if a:
        s = a["samples"]
        wall = [x["wall_ms"] for x in s]
        resp = [x["responder_ms"] for x in s]
        server = [x["server_ms"] for x in s]
        over = [x["overhead_ms"] for x in s]
        client = [x["client_ms"] for x in s]
        calls = sorted({x["calls"] for x in s})
        accepted = sum(x["accepted"] for x in s)
        warm = ", ".join(f"{w['wall_ms']:.0f} ms" for w in a["warmup"])
        med = statistics.median(over)
        out.append(
            f"## (a) Overhead of `draft` beyond model time ({a['runs']} drafts of "
            f"examples/notes/fraud-velocity.md, openai engine, in-process test server at latency 0, "
            f"ChainModel, cache off)\n"
        )
        out.append("| per draft | median | p10 | p90 | mean |")
        out.append("|---|---|---|---|---|")
        for label, values in (
            ("wall time of draft()", wall),
            ("responder time (producing the answers)", resp),
            ("server handling time (whole HTTP requests, incl. responder)", server),
            ("**overhead = wall - responder**", over),
            ("client-side only = wall - server handling", client),
        ):
            out.append(
                f"| {label} | {statistics.median(values):.1f} ms | {percentile(values, 0.1):.1f} ms | "
                f"{percentile(values, 0.9):.1f} ms | {statistics.fmean(values):.1f} ms |"
            )
        out.append("")
        out.append(
            f"Model calls per draft: {', '.join(map(str, calls))}; accepted {accepted}/{len(s)}. "
            f"Warm-up drafts (not counted): {warm}.\n"
        )
        out.append(
            f"**Target: overhead <= {TARGET_OVERHEAD_MS:.0f} ms per draft: "
            f"{'met' if med <= TARGET_OVERHEAD_MS else 'NOT met'}** (median {med:.1f} ms).\n"
        )
        client = a["client"]
        out.append(
            f"Part of it depends on the environment: each draft() without a session builds a new HTTP client "
            f"(`openai.DefaultAsyncHttpxClient`, in ModelSession), and httpx loads a CA file for every client. "
            f"Building one took {client['as given']:.1f} ms here (SSL_CERT_FILE={client['SSL_CERT_FILE'] or 'unset'}, "
            f"SSL_CERT_DIR={client['SSL_CERT_DIR'] or 'unset'}), {client['no file']:.1f} ms without SSL_CERT_FILE, "
            f"{client['neither']:.1f} ms without either (OpenSSL's default CA file); median of 12 in a fresh "
            f"process, unprofiled.\n"
        )
        out.extend(
            group_table(
                a["profile_groups"],
                f"Where the time of a draft goes: cProfile over {a['profile_runs']} more drafts (the "
                "draft's own thread, so the in-process server's work is not in it; profiling inflates "
                "times). Own time summed by package",
            )
        )
        out.extend(
            profile_table(
                a["profile_cumulative"],
                "Top 10 by cumulative time (event-loop plumbing left out; cProfile under-counts the "
                "cumulative time of coroutines, which it sees return at every await)",
            )
        )
        out.extend(profile_table(a["profile_own"], "Top 10 by own time (tottime)"))
        out.extend(selected_table(a["profile_selected"]))
    b = results.get("offline")
    if b:
        files, memory = b["from_files"], b["in_memory"]
        med = statistics.median(files)
        out.append(
            f"## (b) Offline engine throughput ({b['notes']} eval notes x {b['passes']} passes per trial, "
            f"{b['trials']} trials, one process)\n"
        )
        out.append("| input | median notes/s | trials | ms per note (median) |")
        out.append("|---|---|---|---|")
        out.append(
            f"| **draft(path)**, reads the file each time, as the CLI does | **{med:.1f}** | "
            f"{', '.join(f'{x:.1f}' for x in files)} | {1000 / med:.1f} |"
        )
        out.append(
            f"| draft(Notes) already in memory | {statistics.median(memory):.1f} | "
            f"{', '.join(f'{x:.1f}' for x in memory)} | {1000 / statistics.median(memory):.1f} |"
        )
        out.append("")
        out.append(
            f"**Target: >= {TARGET_NOTES_PER_S:.0f} notes/s: {'met' if med >= TARGET_NOTES_PER_S else 'NOT met'}** "
            f"(median {med:.1f} notes/s).\n"
        )
        out.extend(
            group_table(b["profile_groups"], f"cProfile over one more pass ({b['notes']} drafts): own time by package")
        )
        out.extend(profile_table(b["profile_cumulative"], "Top 10 by cumulative time (event-loop plumbing left out)"))
        out.extend(profile_table(b["profile_own"], "Top 10 by own time (tottime)"))
        out.extend(selected_table(b["profile_selected"]))
    return "\n".join(out)


class OtherLoad:
    """CPU time the rest of the machine used while a benchmark ran (/proc/stat minus this process
    and its reaped children), to tell a quiet measurement from a contended one."""

    def __init__(self) -> None:
        self.wall, self.busy, self.own = time.monotonic(), self._busy(), self._own()

    @staticmethod
    def _busy() -> float:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return float("nan")
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own() -> float:
        import resource

        me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime

    def summary(self) -> str:
        wall = time.monotonic() - self.wall
        other = max(0.0, (self._busy() - self.busy) - (self._own() - self.own))
        return (
            f"other processes used {other:.1f} CPU-seconds during the {wall:.0f} s run "
            f"({other / wall:.2f} cores on average; {os.cpu_count()} cores)"
        )


def source_fingerprint() -> str:
    """A hash of the package's sources, prompts and rubrics: which working tree was measured."""
    import hashlib

    digest = hashlib.sha256()
    for folder in ("translator", "prompts", "rubrics"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--only", default="overhead,offline", help="comma-separated: overhead, offline")
    args = parser.parse_args()
    only = set(args.only.split(","))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "TRANSLATOR_MODEL"):
        os.environ.pop(name, None)
    OUT.mkdir(parents=True, exist_ok=True)
    runs, warmup, profile_runs, passes, trials = (50, 3, 20, 20, 5) if not args.quick else (10, 2, 5, 5, 2)
    results: dict = {
        "quick": args.quick,
        "environment": {
            "machine": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_start": load_average(),
            "sources": source_fingerprint(),
        },
    }
    meter = OtherLoad()
    if "overhead" in only:
        results["overhead"] = bench_overhead(runs, warmup, profile_runs)
    if "offline" in only:
        results["offline"] = bench_offline(passes, trials)
    results["environment"]["load_end"] = load_average()
    results["environment"]["other_load"] = meter.summary()
    text = report(results)
    (OUT / "draft_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    (OUT / "draft_speed.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
