"""A small server speaking the documented Lambda Runtime API (2018-06-01), on loopback.

It hands queued events to the function on `GET /runtime/invocation/next` and records what
comes back on `POST /runtime/invocation/{id}/response` (buffered JSON, or streamed: a chunked
body of a JSON prelude, 8 NUL bytes, then the HTTP body, each chunk timestamped on arrival) and
`POST .../error`::

    with FakeRuntimeApi() as api:
        invocation = api.invoke(event)
        answer = invocation.result(timeout=10)
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"
DELIMITER = b"\0" * 8
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:bedrock-gateway"


@dataclass
class Answer:
    """What the function sent back for one invocation."""

    streamed: bool
    raw: bytes
    chunks: list[tuple[float, bytes]]  # (monotonic arrival time, bytes) of the raw body
    headers: dict[str, str]
    trailers: dict[str, str]
    error: dict | None = None

    def buffered_json(self) -> dict:
        assert not self.streamed, "the answer was streamed, not buffered"
        return json.loads(self.raw)

    def prelude_and_body(self) -> tuple[dict, bytes]:
        """The streamed HTTP answer: its metadata prelude and its body."""
        assert self.streamed, "the answer was buffered, not streamed"
        head, sep, body = self.raw.partition(DELIMITER)
        assert sep, f"no 8-NUL delimiter after the prelude in {self.raw[:200]!r}"
        return json.loads(head), body

    def body_arrivals(self) -> list[tuple[float, bytes]]:
        """Arrival time of each piece of the HTTP body (the prelude stripped)."""
        seen, arrivals, prelude_len = 0, [], self.raw.find(DELIMITER) + len(DELIMITER)
        for at, data in self.chunks:
            start = max(prelude_len - seen, 0)
            if start < len(data):
                arrivals.append((at, data[start:]))
            seen += len(data)
        return arrivals


@dataclass
class Invocation:
    request_id: str
    event: dict
    handed_at: float | None = None
    answer: Answer | None = None
    done: threading.Event = field(default_factory=threading.Event)
    chunks: list[tuple[float, bytes]] = field(default_factory=list)

    def result(self, timeout: float) -> Answer:
        if not self.done.wait(timeout):
            raise AssertionError(f"no answer for invocation {self.request_id} within {timeout}s")
        assert self.answer is not None
        return self.answer


class FakeRuntimeApi:
    def __init__(self):
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.next_calls: list[float] = []
        self.init_errors: list[dict] = []
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def invoke(self, event: dict) -> Invocation:
        invocation = Invocation(str(uuid.uuid4()), event)
        self.invocations[invocation.request_id] = invocation
        self.pending.put(invocation)
        return invocation

    def wait_for_next_call(self, timeout: float) -> float:
        """Monotonic time of the function's first `next` call."""
        deadline = time.monotonic() + timeout
        while not self.next_calls:
            if time.monotonic() >= deadline:
                raise AssertionError(f"the function did not call /invocation/next within {timeout}s")
            time.sleep(0.005)
        return self.next_calls[0]

    def close(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "FakeRuntimeApi":
        return self

    def __exit__(self, *exc):
        self.close()


def _handler_for(api: FakeRuntimeApi):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output clean
            pass

        def do_GET(self):
            if self.path != f"{PREFIX}/invocation/next":
                return self._reply(404, {"errorMessage": f"unknown path {self.path}"})
            api.next_calls.append(time.monotonic())
            invocation = self._wait_for_event()
            if invocation is None:  # shutting down: the function is being stopped too
                self.close_connection = True
                return None
            invocation.handed_at = time.monotonic()
            body = json.dumps(invocation.event).encode()
            self.send_response(200)
            self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 600_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _wait_for_event(self) -> Invocation | None:
            while not api.stopping.is_set():
                try:
                    return api.pending.get(timeout=0.1)
                except queue.Empty:
                    continue
            return None

        def do_POST(self):
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.init_errors.append(json.loads(self._read_body()[0] or b"{}"))
                return self._reply(202, {"status": "OK"})
            if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
                return self._reply(404, {"errorMessage": f"unknown path {self.path}"})
            invocation = api.invocations.get(parts[1])
            if invocation is None:
                return self._reply(400, {"errorMessage": "unknown request id"})
            raw, trailers = self._read_body(invocation.chunks)
            headers = {k.lower(): v for k, v in self.headers.items()}
            streamed = headers.get("lambda-runtime-function-response-mode", "").lower() == "streaming"
            error = json.loads(raw or b"{}") if parts[2] == "error" else None
            invocation.answer = Answer(streamed, raw, list(invocation.chunks), headers, trailers, error)
            self._reply(202, {"status": "OK"})
            invocation.done.set()

        def _read_body(self, chunks: list | None = None) -> tuple[bytes, dict[str, str]]:
            """The request body (chunked or not), recording each chunk as it arrives."""
            chunks = [] if chunks is None else chunks
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                chunks.append((time.monotonic(), data))
                return data, {}
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    return b"".join(c for _, c in chunks), self._read_trailers()
                data = self.rfile.read(size)
                chunks.append((time.monotonic(), data))
                self.rfile.readline()  # the CRLF after each chunk

        def _read_trailers(self) -> dict[str, str]:
            trailers = {}
            while (line := self.rfile.readline().strip()) != b"":
                name, _, value = line.decode().partition(":")
                trailers[name.strip().lower()] = value.strip()
            return trailers

        def _reply(self, status: int, payload: dict):
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
