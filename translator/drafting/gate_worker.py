"""The gate worker process: ``python -m translator.drafting.gate_worker``, started by GatePool.

It reads length-prefixed pickles of ``(id, function, args, kwargs)`` on stdin, calls each in
turn and answers ``(id, "ok", result)`` or ``(id, "error", exception)`` on its own copy of stdout;
it exits at the end of its input. Its stdout and stderr proper point at stderr, which the pool
discards, so that nothing a function prints can corrupt an answer or reach the user's terminal.
A plain module run as ``-m`` (not multiprocessing's spawn) so that the parent's ``__main__``, a
user's script that may not be import-safe, is never run again here.
"""

from __future__ import annotations

import os
import pickle
import sys
from typing import IO, Any

HEADER = 8  # bytes of the big-endian length before each pickle


def write_frame(stream: IO[bytes], item: Any) -> None:
    data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(HEADER, "big") + data)
    stream.flush()


def read_frame(stream: IO[bytes]) -> Any | None:
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "big")
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def warm_up() -> None:
    """Import the gate and load every built-in rubric once, before the first gate is asked for."""
    from translator.drafting import gate  # noqa: F401
    from translator.rubric import builtin_kinds, load_rubric, load_vocabulary

    load_vocabulary()
    for kind in builtin_kinds():
        load_rubric(kind)


def main() -> None:
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    warm_up()
    while (request := read_frame(requests)) is not None:
        ident, function, args, kwargs = request
        try:
            answer = (ident, "ok", function(*args, **kwargs))
        except Exception as exc:  # the caller raises it, as if the call had been made there
            answer = (ident, "error", exc)
        write_frame(answers, answer)


if __name__ == "__main__":
    main()
