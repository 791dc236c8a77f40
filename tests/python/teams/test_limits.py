"""Request, token, budget and stream limits enforced across two gateways sharing Redis."""

import json
import time

import httpx
import openai
import pytest

from gateway.support import HAIKU35, assert_error_envelope

from .conftest import TEAM_KEYS
from .support import bearer, chat, usage_rows, wait_settled


def test_a_request_limit_allows_exactly_n_across_both_gateways(pair, marker):
    a, b = pair
    for i in range(5):
        response = chat(pair[i % 2], TEAM_KEYS["rpm"], f"{marker} {i}")
        assert response.status_code == 200, response.text
        assert response.headers["x-ratelimit-limit-requests"] == "5"
        assert response.headers["x-ratelimit-remaining-requests"] == str(4 - i)
        assert response.headers["x-ratelimit-reset-requests"].endswith("s")
    for gw in (a, b):
        refused = chat(gw, TEAM_KEYS["rpm"], f"{marker} over")
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["x-ratelimit-remaining-requests"] == "0"
        error = assert_error_envelope(refused.json())
        assert error["code"] == "rate_limit_exceeded" and error["type"] == "requests"
        assert "requests_per_minute" in error["message"]
    with pytest.raises(openai.RateLimitError):
        b.client(key=TEAM_KEYS["rpm"]).chat.completions.create(model=HAIKU35, messages=[{"role": "user", "content": "x"}])
    anthropic_face = httpx.post(
        a.url + "/v1/messages",
        headers={"x-api-key": TEAM_KEYS["rpm"]},
        json={"model": HAIKU35, "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]},
    )
    assert anthropic_face.status_code == 429 and "retry-after" in anthropic_face.headers
    assert anthropic_face.json()["error"]["type"] == "rate_limit_error"


def send_until_refused(pair, key: str, name: str, marker: str, limit: int):
    """Requests alternating gateways, each settled before the next, until one is refused:
    the tokens Bedrock reported for the admitted ones, and the refusal."""
    reported = []
    for i in range(20):
        response = chat(pair[i % 2], key, f"{marker} {i}\n#words 20", max_tokens=30)
        if response.status_code != 200:
            return reported, response
        reported.append(response.json()["usage"]["total_tokens"])
        wait_settled(pair[0], name, len(reported))
    raise AssertionError(f"never refused after {reported}")


def test_a_token_limit_counts_what_bedrock_reported_across_both(pair, marker):
    reported, refused = send_until_refused(pair, TEAM_KEYS["tpm"], "tpm", marker, 100)
    # Admitted while the key's tokens were below the limit; refused once they reached it.
    assert sum(reported[:-1]) < 100 <= sum(reported), reported
    assert refused.status_code == 429
    assert assert_error_envelope(refused.json())["type"] == "tokens"
    assert refused.headers["x-ratelimit-limit-tokens"] == "100"
    assert refused.headers["x-ratelimit-remaining-tokens"] == "0"
    assert int(refused.headers["retry-after"]) >= 1


def test_a_daily_budget_refuses_until_midnight(pair, marker):
    reported, refused = send_until_refused(pair, TEAM_KEYS["budget"], "budget", marker, 50)
    assert sum(reported[:-1]) < 50 <= sum(reported), reported
    assert refused.status_code == 429
    error = assert_error_envelope(refused.json())
    assert error["code"] == "insufficient_quota" and "daily_tokens" in error["message"]
    seconds_to_midnight = 86400 - int(time.time()) % 86400
    assert abs(int(refused.headers["retry-after"]) - seconds_to_midnight) <= 5
    rows = usage_rows(pair[1], "budget")
    assert sum(r["input_tokens"] + r["output_tokens"] for r in rows) == sum(reported)


def first_content(lines) -> str:
    """Reads a chat stream's lines until its first content delta (the caller keeps `lines`:
    once that iterator is collected, httpx closes the response)."""
    for line in lines:
        if line.startswith("data: {"):
            chunk = json.loads(line[len("data: "):])
            content = chunk["choices"] and chunk["choices"][0]["delta"].get("content")
            if content:
                return content
    raise AssertionError("the stream ended without content")


def test_concurrent_streams_are_capped_across_both(pair, marker, emulator):
    a, b = pair
    key = TEAM_KEYS["streams"]
    slow = {"model": HAIKU35, "stream": True, "messages": [{"role": "user", "content": f"{marker}\n#chunk-delay 300\n#words 60"}]}
    with httpx.Client(timeout=30) as http:
        with http.stream("POST", a.api() + "/chat/completions", json=slow, headers=bearer(key)) as open_stream:
            assert open_stream.status_code == 200
            lines = open_stream.iter_lines()
            first_content(lines)
            second = dict(slow, messages=[{"role": "user", "content": f"{marker} second"}])
            refused = http.post(b.api() + "/chat/completions", json=second, headers=bearer(key))
            assert refused.status_code == 429
            assert "max_concurrent_streams" in assert_error_envelope(refused.json())["message"]
            # A request that does not stream is not held back.
            assert chat(b, key, f"{marker} plain").status_code == 200
    emulator.wait_streams_closed()

    def stream_admitted():
        response = httpx.post(b.api() + "/chat/completions", json=dict(slow, messages=[{"role": "user", "content": "again"}]), headers=bearer(key), timeout=30)
        return response.status_code == 200

    from gateway.support import wait_until

    wait_until(stream_admitted, 10, interval=0.2, message="a new stream once the first ended")
