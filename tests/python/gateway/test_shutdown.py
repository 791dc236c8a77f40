"""SIGTERM/SIGINT: the listener closes at once, open streams finish within
SHUTDOWN_GRACE_SECONDS, then the process exits 0."""

import signal
import socket
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest

from .support import HAIKU35, KEY, sse_chat_text, user, wait_until, words


def open_stream(gw, text: str):
    """Starts a streamed chat in a thread; returns (first-chunk event, result dict)."""
    first, result = threading.Event(), {}

    def run():
        body = {"model": HAIKU35, "messages": user(text), "stream": True}
        headers = {"Authorization": f"Bearer {KEY}"}
        received = []
        try:
            with httpx.stream("POST", gw.api() + "/chat/completions", json=body, headers=headers, timeout=30) as r:
                result["status"] = r.status_code
                for piece in r.iter_text():
                    received.append(piece)
                    first.set()
        except httpx.HTTPError as error:
            result["error"] = error
        result["body"] = "".join(received)
        first.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return first, result, thread


def refused(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True
    except ConnectionResetError:  # accepted into the backlog just as the listener closed
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_an_open_stream_completes_and_the_process_exits_0(start_gateway, signum):
    gw = start_gateway(SHUTDOWN_GRACE_SECONDS=15)
    first, result, thread = open_stream(gw, "#words 25\n#chunk-delay 80")
    assert first.wait(10), "no first chunk"
    gw.proc.send_signal(signum)
    wait_until(lambda: refused(gw.url), 5, message="the listener to close after the signal")
    thread.join(20)
    assert result.get("status") == 200 and "error" not in result, result
    assert sse_chat_text(result["body"]) == words(25)
    assert gw.proc.wait(timeout=10) == 0


def test_the_grace_deadline_is_enforced(start_gateway):
    gw = start_gateway(SHUTDOWN_GRACE_SECONDS=1)
    # 100 events 100 ms apart: ~10 s, far beyond the 1 s grace.
    first, result, thread = open_stream(gw, "#words 100\n#chunk-delay 100")
    assert first.wait(10), "no first chunk"
    signalled = time.monotonic()
    gw.proc.send_signal(signal.SIGTERM)
    assert gw.proc.wait(timeout=10) == 0
    assert time.monotonic() - signalled < 4, "the process outlived its grace period"
    thread.join(10)
    assert "[DONE]" not in result["body"], "the stream cannot have finished within 1 s"


def test_idle_keep_alive_connections_do_not_hold_the_exit(start_gateway):
    gw = start_gateway(SHUTDOWN_GRACE_SECONDS=20)
    with httpx.Client(base_url=gw.url, timeout=5) as kept_alive:  # as a load balancer keeps them
        assert kept_alive.get("/health").status_code == 200
        started = time.monotonic()
        gw.proc.send_signal(signal.SIGTERM)
        assert gw.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 3
