"""The gate off the event loop: a batch gates its drafts in a second process.

A batch at 16 reports in flight is bound by its own CPU: every model call costs the event loop
request building and answer parsing, and every draft costs a gate (render, parse, score,
grounding). Gating in one worker process, on the other core, lets the event loop build and send
the next requests while a draft is judged. The worker starts on the first gate (never for a
batch that gates nothing, nor for `translator draft`), imports the rubric once, and stops when
the batch ends.

The pool is context-local, like the usage ledger: ``gates_off_loop()`` installs it for the tasks
a batch starts inside it, and ``off_loop(fn, ...)`` runs ``fn`` there, or inline where no pool is
installed. The gate is pure (text in, verdict out), so where it runs never changes what it says.
A worker that dies costs nothing but speed: that call and every later one gate inline.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class GatePool:
    """One worker process, started on first use."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self.broken = False

    @property
    def started(self) -> bool:
        return self._executor is not None

    def start(self) -> None:
        """Start the worker now, so that it warms up while the first model calls are in flight."""
        if self._executor is None and not self.broken:
            # spawn, not fork: the batch process has threads (the resolver's, the HTTP client's)
            # whose locks a forked child would inherit held.
            self._executor = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
            self._executor.submit(os.getpid)  # a worker process starts with its first task

    async def run(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        self.start()
        if self.broken or self._executor is None:
            return fn(*args, **kwargs)
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, functools.partial(fn, *args, **kwargs)
            )
        except BrokenProcessPool:
            self.broken = True
            return fn(*args, **kwargs)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


_POOL: ContextVar[GatePool | None] = ContextVar("translator_gate_pool", default=None)


def spare_core() -> bool:
    """Whether this process may use a second core: a worker on a shared core only adds copying."""
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except AttributeError:  # not on Linux
        return (os.cpu_count() or 1) >= 2


@contextmanager
def gates_off_loop() -> Iterator[GatePool | None]:
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
        pool.close()


async def off_loop(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """``fn(*args, **kwargs)``, in the installed gate pool if there is one, else here.
    ``fn`` must be a module-level function, and its arguments and result picklable."""
    pool = _POOL.get()
    if pool is None:
        return fn(*args, **kwargs)
    return await pool.run(fn, *args, **kwargs)


def _warm_up() -> None:
    """Import the gate and load every built-in rubric once, while the first model calls are
    still in flight, so that the first gate is not also the worker's start-up."""
    from translator.drafting import gate  # noqa: F401
    from translator.rubric import builtin_kinds, load_rubric, load_vocabulary

    load_vocabulary()
    for kind in builtin_kinds():
        load_rubric(kind)
