"""Memory after a burst: the gateway closes the Bedrock connections beyond
BEDROCK_MAX_IDLE_CONNECTIONS and gives its free allocator pages back once the burst ended, so
RSS returns near where it was instead of staying at the peak."""

import concurrent.futures
import os
import time

import httpx
import pytest

from gateway.support import HAIKU35, KEY, assert_serving, wait_until

from .hardening_support import rss_kib

STREAMS = 300


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def stream_once(url: str, text: str) -> int:
    """One streamed chat answer on its own connection, read to the end; the SSE events seen."""
    body = {"model": HAIKU35, "stream": True, "messages": [{"role": "user", "content": text}]}
    with httpx.Client(base_url=url, timeout=60) as http:
        with http.stream("POST", "/api/v1/chat/completions", json=body,
                         headers={"Authorization": f"Bearer {KEY}"}) as response:
            assert response.status_code == 200
            return sum(1 for line in response.iter_lines() if line.startswith("data:"))


def burst(url: str, marker: str) -> None:
    """STREAMS streams open at once (≈ 2 s each), each on a connection closed when it ends."""
    text = f"{marker} burst\n#words 30\n#chunk-delay 150"
    with concurrent.futures.ThreadPoolExecutor(max_workers=STREAMS) as pool:
        events = list(pool.map(lambda _: stream_once(url, text), range(STREAMS)))
    assert all(n > 5 for n in events), events


@pytest.mark.timeout(120)
def test_after_a_burst_of_streams_memory_and_connections_go_back(start_gateway, emulator, marker):
    gw = start_gateway(BEDROCK_MAX_IDLE_CONNECTIONS=8)
    pid = gw.proc.pid
    burst(gw.url, f"{marker} warm-up")  # the allocator's arenas and the runtime's threads exist
    wait_until(lambda: open_fds(pid) < 40, timeout=15, message="connections closed after the warm-up")
    time.sleep(6)  # the warm-up's own trim
    baseline = rss_kib(pid)
    peak = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as sampler:
        done = sampler.submit(burst, gw.url, marker)
        while not done.done():
            peak = max(peak, rss_kib(pid))
            time.sleep(0.05)
        done.result()
    grown = peak - baseline
    assert grown > 4 * 1024, f"{STREAMS} streams grew RSS by only {grown} KiB: the test measures nothing"
    # Idle Bedrock connections: at most 8 kept; client connections: closed by the clients.
    wait_until(lambda: open_fds(pid) < 30, timeout=5, message="the idle pool capped at 8")
    wait_until(lambda: rss_kib(pid) - baseline < grown * 0.3, timeout=15,
               message=f"RSS back near {baseline} KiB after a peak of {peak} KiB")
    with gw.client() as sdk:
        assert_serving(sdk)
