"""Start the project's server binaries for tests and wait until they listen.

Reused by every Python suite::

    from procs import binary, start_server
    with start_server([binary("bedrock-emulator"), "--port", "0"]) as server:
        print(server.base_url)
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import subprocess
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"listening on (http://\S+)")
_ENV_FOR = {
    "bedrock-emulator": "BEDROCK_EMULATOR_BIN",
    "bedrock-gateway": "BEDROCK_GATEWAY_BIN",
}


def binary(name: str) -> str:
    """Path of a project binary: $BEDROCK_EMULATOR_BIN / $BEDROCK_GATEWAY_BIN or target/debug/<name>."""
    variable = _ENV_FOR.get(name)
    candidate = os.environ.get(variable) if variable else None
    path = Path(candidate) if candidate else ROOT / "target" / "debug" / name
    if not path.is_file() or not os.access(path, os.X_OK):
        hint = f" (or set {variable})" if variable else ""
        raise FileNotFoundError(f"binary {name!r} not found at {path}: run `cargo build --workspace --bins`{hint}")
    return str(path)


def terminate(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds; the exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)
    return proc.returncode


class Server:
    """A started server process; stop() it or use it as a context manager."""

    def __init__(self, proc: subprocess.Popen, base_url: str, output: list[str]):
        self.proc = proc
        self.base_url = base_url
        self.output = output

    def stop(self, timeout: float = 10.0) -> None:
        terminate(self.proc, timeout)
        if self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _pump(proc: subprocess.Popen, lines: list[str], found: threading.Event) -> None:
    """Reads stdout lines (keeps draining so the child never blocks on a full pipe)."""
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip("\n"))
        if LISTENING.search(line):
            found.set()
    found.set()


def start_server(argv: list[str], env: dict | None = None, timeout: float = 20.0) -> Server:
    """Launches argv and waits (at most `timeout` s) for its `listening on http://...` line."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env, text=True, bufsize=1
    )
    lines: list[str] = []
    found = threading.Event()
    threading.Thread(target=_pump, args=(proc, lines, found), daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in list(lines):
            match = LISTENING.search(line)
            if match:
                return Server(proc, match.group(1), lines)
        if found.is_set() and proc.poll() is not None:
            break
        found.wait(0.05)
    code = proc.poll()
    state = f"exited with {code}" if code is not None else f"timed out after {timeout} s"
    proc.kill()
    proc.wait(timeout=5)
    captured = "\n".join(lines)
    raise RuntimeError(f"{argv[0]} {state} before printing 'listening on http://...'; output:\n{captured}")


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A request handler that keeps the test output clean."""

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def loopback_http(handler: type[http.server.BaseHTTPRequestHandler]):
    """Serves `handler` on 127.0.0.1, port 0, in a thread; yields the base URL and always
    shuts the server down."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
