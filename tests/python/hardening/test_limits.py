"""Load limits: MAX_CONCURRENT_REQUESTS answers 503 with Retry-After beyond the cap (open
streams hold their place until they end; /health is never refused), the header read timeout
closes slowloris connections and the idle timeout closes unused keep-alive connections
(but never one whose request is still being answered)."""

import time

import httpx
import openai
import pytest

from gateway.support import HAIKU35, KEY, assert_error_envelope, assert_serving, user, wait_until

from .hardening_support import HEALTH_REQUEST, closed_within, connect, read_response_head

CAP = 2


def hold_stream(sdk, marker: str, n: int):
    """A chat stream that stays open ~10 s, its first chunk read (the request is in flight)."""
    text = f"{marker} held {n}\n#words 60\n#chunk-delay 500"
    stream = sdk.chat.completions.create(model=HAIKU35, messages=user(text), stream=True)
    next(iter(stream))
    return stream


def test_beyond_the_cap_requests_get_503_with_retry_after_until_streams_end(start_gateway, emulator, marker):
    gw = start_gateway(MAX_CONCURRENT_REQUESTS=CAP)
    with gw.client() as sdk:
        held = [hold_stream(sdk, marker, n) for n in range(CAP)]
        try:
            with pytest.raises(openai.InternalServerError) as caught:
                sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker} refused"))
            assert caught.value.status_code == 503
            assert caught.value.response.headers["retry-after"] == "1"
            error = assert_error_envelope(caught.value.response.json())
            assert (error["type"], error["code"]) == ("api_error", "server_overloaded")
            body = {"model": HAIKU35, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
            anthropic = httpx.post(gw.api() + "/messages", json=body, headers={"x-api-key": KEY}, timeout=10)
            assert anthropic.status_code == 503 and anthropic.headers["retry-after"] == "1"
            assert anthropic.json()["error"]["type"] == "overloaded_error", anthropic.text
            assert anthropic.json()["type"] == "error"
            health = httpx.get(gw.url + "/health", timeout=5)
            assert health.status_code == 200 and health.json() == {"status": "OK"}
        finally:
            for stream in held:
                stream.close()
        wait_until(lambda: ok(sdk, marker), timeout=10, message="a request accepted once the streams closed")
        assert_serving(sdk)
    emulator.wait_streams_closed()


def ok(sdk, marker: str) -> bool:
    try:
        sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker} again"))
        return True
    except openai.InternalServerError:
        return False


def test_a_finished_request_frees_its_place(start_gateway):
    gw = start_gateway(MAX_CONCURRENT_REQUESTS=1)
    with gw.client() as sdk:
        for n in range(5):
            assert_serving(sdk)
            list(sdk.chat.completions.create(model=HAIKU35, messages=user(f"s {n}"), stream=True))


@pytest.fixture
def timed_gateway(start_gateway):
    return start_gateway(HEADER_READ_TIMEOUT_SECONDS=1, IDLE_CONNECTION_TIMEOUT_SECONDS=3)


def test_slowloris_headers_are_cut_by_the_header_read_timeout(timed_gateway):
    sock = connect(timed_gateway.url)
    with sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: gateway\r\n")
        closed_after = None
        started = time.monotonic()
        for n in range(20):  # one header byte every 0.2 s, never finishing
            try:
                sock.sendall(b"X-Slow-%d: y\r\n" % n)
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            if closed_within(sock, 0.2) is not None:
                closed_after = time.monotonic() - started
                break
        assert closed_after is not None, "the slow client still holds its connection after 4 s"
        assert 0.8 <= closed_after <= 2.5, closed_after


def test_an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(timed_gateway):
    sock = connect(timed_gateway.url)
    with sock:
        sock.sendall(HEALTH_REQUEST)
        assert read_response_head(sock).startswith(b"HTTP/1.1 200")
        # Longer than the header read timeout: an idle connection is not a slow request.
        assert closed_within(sock, 2.0) is None, "closed by the header read timeout while idle"
        sock.sendall(HEALTH_REQUEST)
        assert read_response_head(sock).startswith(b"HTTP/1.1 200"), "the kept-alive connection serves again"
        closed_after = closed_within(sock, 6.0)
        assert closed_after is not None and 2.5 <= closed_after <= 4.5, closed_after


def test_a_silent_connection_is_closed_after_the_idle_timeout(timed_gateway):
    sock = connect(timed_gateway.url)
    with sock:
        closed_after = closed_within(sock, 6.0)
        assert closed_after is not None and 2.5 <= closed_after <= 4.5, closed_after


def test_a_slow_answer_outlives_the_idle_timeout(timed_gateway, marker):
    with timed_gateway.client() as sdk:
        answer = sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker}\n#delay 4500"))
        assert answer.choices[0].message.content == f"You said: {marker}"
        assert_serving(sdk)


def test_oversized_headers_are_refused_and_the_server_keeps_serving(timed_gateway):
    sock = connect(timed_gateway.url)
    with sock:
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: gateway\r\nX-Big: " + b"a" * (2 << 20))
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: refused
        else:
            try:
                head = sock.recv(4096)
            except ConnectionResetError:
                head = b""
            assert head == b"" or head.startswith(b"HTTP/1.1 431"), head[:100]
    assert httpx.get(timed_gateway.url + "/health", timeout=5).status_code == 200
