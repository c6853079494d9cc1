"""The gate off the event loop: a batch gates its drafts in a second process.

A batch at 16 reports in flight is bound by its own CPU: every model call costs the event loop
request building and answer parsing, and every draft costs a gate (render, parse, score,
grounding). Gating in one worker process, on the other core, lets the event loop build and send
the next requests while a draft is judged. The worker (translator/drafting/gate_worker.py) is
started by the batch that needs it (never by `translator draft` or `score`), imports the rubric
once, and stops when the batch ends.

The pool is context-local, like the usage ledger: ``gates_off_loop()`` installs it for the tasks
a batch starts inside it, and ``off_loop(fn, ...)`` runs ``fn`` there, or inline where no pool is
installed. The gate is pure (text in, verdict out), so where it runs never changes what it says.
A worker that dies or cannot start costs nothing but speed: its calls, and every later one, run
inline.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import pickle
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from translator.drafting.gate_worker import HEADER

P = ParamSpec("P")
R = TypeVar("R")

_BROKEN: Any = object()  # what a pending call receives when the worker goes away


class GatePool:
    """One worker process and the calls waiting on it."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._starting: asyncio.Task[None] | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count()
        self.broken = False
        self.calls = 0  # calls the worker answered

    @property
    def started(self) -> bool:
        return self._starting is not None

    def start(self) -> None:
        """Start the worker now, so that it warms up while the first model calls are in flight."""
        if self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._spawn())

    async def _spawn(self) -> None:
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "translator.drafting.gate_worker",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,  # a dying worker is handled here, not shown
                env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
            )
        except OSError:
            self.broken = True
            return
        self._reader = asyncio.get_running_loop().create_task(self._read_answers())

    async def _read_answers(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        stream = self._process.stdout
        try:
            while True:
                size = int.from_bytes(await stream.readexactly(HEADER), "big")
                ident, outcome, value = pickle.loads(await stream.readexactly(size))
                future = self._pending.pop(ident, None)
                if future is not None and not future.done():
                    self.calls += 1
                    future.set_result((outcome, value))
        except (asyncio.IncompleteReadError, pickle.UnpicklingError, ConnectionError):
            pass
        finally:
            self._break()

    def _break(self) -> None:
        self.broken = True
        for future in self._pending.values():
            if not future.done():
                future.set_result((_BROKEN, None))
        self._pending.clear()

    async def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        self.start()
        assert self._starting is not None
        await asyncio.shield(self._starting)
        process = self._process
        if self.broken or process is None or process.stdin is None:
            return fn(*args, **kwargs)
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            data = pickle.dumps((ident, fn, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.write(len(data).to_bytes(HEADER, "big") + data)
            await process.stdin.drain()
        except (ConnectionError, RuntimeError):
            self._break()
        outcome, value = await future
        if outcome is _BROKEN:
            return fn(*args, **kwargs)
        if outcome == "error":
            raise value
        result: R = value
        return result

    async def close(self) -> None:
        if self._starting is None:
            return
        await asyncio.shield(self._starting)
        process = self._process
        if process is not None:
            if process.stdin is not None:
                process.stdin.close()  # the worker exits at the end of its input
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._reader is not None:
            await self._reader


_POOL: ContextVar[GatePool | None] = ContextVar("translator_gate_pool", default=None)


def spare_core() -> bool:
    """Whether this process may use a second core: a worker on a shared core only adds copying."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) >= 2


@asynccontextmanager
async def gates_off_loop() -> AsyncIterator[GatePool | None]:
    """Gate in a worker process within the block (when a second core is there to run it)."""
    if not spare_core():
        yield None
        return
    pool = GatePool()
    token = _POOL.set(pool)
    try:
        yield pool
    finally:
        _POOL.reset(token)
        await pool.close()


async def off_loop(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)``, in the installed gate pool if there is one, else here.
    ``fn`` must be a module-level function, and its arguments and result picklable."""
    pool = _POOL.get()
    if pool is None:
        return fn(*args, **kwargs)
    return await pool.run(fn, *args, **kwargs)
