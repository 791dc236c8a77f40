"""Upstream faults taught to the emulator: each gives the client a clean OpenAI error (a
status before the first byte, an error event after it) and leaks nothing (the emulator's
open streams back to 0, the gateway's memory bounded)."""

import concurrent.futures
import json
import time

import httpx
import openai
import pytest

from gateway.support import HAIKU35, KEY, assert_error_envelope, assert_serving, sse_events, user, wait_until
from observability.scrape import scrape

from .conftest import STALL_SECONDS
from .hardening_support import rss_kib

MODEL = HAIKU35


def stream_until_error(client, text: str) -> tuple[str, openai.APIError]:
    """Streams a chat answer that must end with an error event: (text before it, the error)."""
    received = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in client.chat.completions.create(model=MODEL, messages=user(text), stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    return "".join(received), caught.value


@pytest.mark.parametrize(
    ("directive", "codes"),
    [
        ("#reset-after 3", {"upstream_bad_response", "upstream_unreachable"}),
        ("#corrupt-frame 3", {"upstream_bad_response"}),
        ("#malformed-frame 3", {"upstream_bad_response"}),
    ],
)
def test_a_broken_upstream_stream_ends_with_an_error_event(client, emulator, marker, directive, codes):
    text, error = stream_until_error(client, f"{marker}\n#words 30\n{directive}")
    assert text, "the frames before the fault reach the client"
    assert not isinstance(error, openai.APIStatusError), "the status was already 200"
    assert error.body["type"] == "api_error" and error.body["code"] in codes, error.body
    emulator.wait_streams_closed()
    assert_serving(client)


def test_a_stalled_stream_ends_with_a_timeout_event_after_the_stall_timeout(client, emulator, marker):
    started = time.monotonic()
    text, error = stream_until_error(client, f"{marker}\n#words 30\n#stall-after 2")
    elapsed = time.monotonic() - started
    assert text, "the first delta arrives before the stall"
    assert error.body["code"] == "upstream_timeout", error.body
    assert f"sent nothing for {STALL_SECONDS} s" in error.body["message"]
    assert STALL_SECONDS - 0.5 <= elapsed < STALL_SECONDS + 5, elapsed
    emulator.wait_streams_closed()


def test_a_stall_is_counted_as_an_upstream_timeout(hardened, client, marker):
    before = scrape(hardened.url).value("gateway_upstream_errors_total", kind="upstream_timeout")
    stream_until_error(client, f"{marker}\n#words 9\n#stall-after 1")
    after = scrape(hardened.url).value("gateway_upstream_errors_total", kind="upstream_timeout")
    assert after - before == 1


def test_a_stall_before_the_first_event_is_a_slow_first_byte_not_a_stall(hardened, marker):
    # The first event may take as long as BEDROCK_TIMEOUT_SECONDS; keep-alives flow meanwhile.
    body = {"model": MODEL, "messages": user(f"{marker}\n#delay {STALL_SECONDS * 1000 + 1500}"), "stream": True}
    with hardened.http() as http:
        response = http.post("/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.text.count(": keep-alive") >= 2, response.text[:300]
    assert response.text.endswith("data: [DONE]\n\n"), response.text[-300:]


def test_a_stalled_anthropic_stream_ends_with_its_error_event(hardened, emulator, marker):
    body = {"model": MODEL, "max_tokens": 100, "stream": True,
            "messages": [{"role": "user", "content": f"{marker}\n#words 30\n#stall-after 2"}]}
    with hardened.http() as http:
        response = http.post("/api/v1/messages", json=body, headers={"x-api-key": KEY})
    assert response.status_code == 200
    assert "event: error" in response.text, response.text[-500:]
    error = json.loads(sse_events(response.text)[-1])
    assert error["type"] == "error" and error["error"]["type"] == "api_error", error
    emulator.wait_streams_closed()


def test_a_503_burst_answers_503_before_the_first_byte_then_recovers(client, faults, emulator, marker):
    # The gateway's SDK tries a call 3 times: a burst of 3 fails one client request.
    faults.add({"model": MODEL, "kind": "unavailable", "count": 3})
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model=MODEL, messages=user(f"{marker} burst"), stream=True)
    assert caught.value.status_code == 503
    assert caught.value.response.headers.get("retry-after") == "1"
    error = assert_error_envelope(caught.value.response.json())
    assert (error["type"], error["code"]) == ("api_error", "service_unavailable")
    assert faults.list() == []
    assert_serving(client)
    emulator.wait_streams_closed()


def test_an_always_failing_model_answers_its_error_on_every_face(hardened, client, faults, marker):
    faults.add({"spec": f"{MODEL}=input-too-long"})
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=MODEL, messages=user(f"{marker} long"))
    assert "Input is too long for requested model." in caught.value.message
    body = {"model": MODEL, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    response = httpx.post(hardened.api() + "/messages", json=body, headers={"x-api-key": KEY}, timeout=10)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    faults.clear()
    assert_serving(client)


def run_fault_cases(client, marker: str, rounds: int) -> None:
    """Every fault, `rounds` times; stalls run side by side (each takes the stall timeout)."""
    for n in range(rounds):
        for directive in ["#reset-after 3", "#corrupt-frame 2", "#malformed-frame 4", "#stream-error throttling"]:
            stream_until_error(client, f"{marker} {n}\n#words 40\n{directive}")
    with concurrent.futures.ThreadPoolExecutor(max_workers=rounds) as pool:
        stalls = [pool.submit(stream_until_error, client, f"{marker} s{n}\n#words 9\n#stall-after 2") for n in range(rounds)]
        for stall in stalls:
            stall.result(timeout=30)


@pytest.mark.timeout(120)
def test_faults_leak_no_streams_and_no_memory(hardened, client, emulator, marker):
    run_fault_cases(client, marker, rounds=3)
    emulator.wait_streams_closed()
    baseline = rss_kib(hardened.proc.pid)
    run_fault_cases(client, marker, rounds=15)
    stats = emulator.wait_streams_closed()
    assert stats["open_streams"] == 0
    wait_until(lambda: scrape(hardened.url).value("gateway_open_streams") == 0, timeout=5,
               message="the gateway's open_streams gauge back to 0")
    grown = rss_kib(hardened.proc.pid) - baseline
    # Allocator slack, not per-fault state: 75 failed streams leave well under 8 MiB.
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB after the fault cases"
    assert_serving(client)


def test_a_first_byte_slower_than_the_bedrock_timeout_is_a_504(start_gateway, emulator, marker):
    gw = start_gateway(BEDROCK_TIMEOUT_SECONDS=1)
    started = time.monotonic()
    with gw.client() as sdk, pytest.raises(openai.APIStatusError) as caught:
        sdk.chat.completions.create(model=MODEL, messages=user(f"{marker}\n#delay 4000"))
    assert time.monotonic() - started < 3.5
    assert caught.value.status_code == 504
    assert assert_error_envelope(caught.value.response.json())["code"] == "upstream_timeout"


def test_a_stream_whose_first_event_exceeds_the_bedrock_timeout_ends_with_a_timeout_event(
    start_gateway, emulator, marker
):
    # The SDK's stalled-stream protection is off: the gateway itself bounds the first event.
    gw = start_gateway(BEDROCK_TIMEOUT_SECONDS=2, STREAM_KEEPALIVE_SECONDS=1)
    body = {"model": MODEL, "messages": user(f"{marker}\n#delay 6000"), "stream": True}
    started = time.monotonic()
    with gw.http() as http:
        response = http.post("/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert 1.8 < elapsed < 5, elapsed
    assert response.text.count(": keep-alive") >= 1, response.text[:300]
    error = json.loads(sse_events(response.text)[-1])["error"]
    assert error["code"] == "upstream_timeout", error
    assert "before its first event" in error["message"], error
    emulator.wait_streams_closed()
