"""Streaming chat completions: chunks as the SDK parses them, the raw SSE body, usage
chunks, long streams, and what happens upstream when the client goes away."""

import json
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from .support import HAIKU3, HAIKU35, HEX_ID, KEY, sse_events, user, words

pytestmark = pytest.mark.timeout(60)


def collect(stream):
    chunks = list(stream)
    assert chunks, "the stream produced no chunks"
    return chunks


def content_of(chunks):
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def test_stream_chunks(client, emulator, marker):
    stream = client.chat.completions.create(model=HAIKU35, messages=user(f"stream me {marker}"), stream=True)
    chunks = collect(stream)
    ids = {c.id for c in chunks}
    assert len(ids) == 1 and HEX_ID.match(ids.pop())
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert {c.model for c in chunks} == {HAIKU35}
    assert len({c.created for c in chunks}) == 1
    first = chunks[0].choices[0]
    assert first.index == 0 and first.delta.role == "assistant"
    assert all(c.choices[0].delta.role in (None, "assistant") for c in chunks[1:] if c.choices)
    assert content_of(chunks) == f"You said: stream me {marker}"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks), "usage only when stream_options.include_usage"
    sent = emulator.find(marker, "ConverseStream")
    assert sent["modelId"] == HAIKU35
    assert not emulator.find_all(marker, "Converse")


def test_include_usage_gives_a_final_usage_chunk(client, marker):
    stream = client.chat.completions.create(
        model=HAIKU35,
        messages=user(f"{marker}\n#words 9"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = collect(stream)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens > 0
    assert last.usage.completion_tokens == 9
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert content_of(chunks) == words(9)


def test_many_words_stream_as_many_chunks(client, marker):
    stream = client.chat.completions.create(model=HAIKU3, messages=user(f"{marker}\n#words 300"), stream=True)
    chunks = collect(stream)
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) >= 50, len(content_chunks)
    text = content_of(chunks)
    assert text == words(300)
    assert len(text.split()) == 300


def test_stream_max_tokens_finishes_with_length(client, emulator, marker):
    stream = client.chat.completions.create(
        model=HAIKU35, messages=user(f"{marker}\n#words 50"), stream=True, max_completion_tokens=5
    )
    chunks = collect(stream)
    assert content_of(chunks) == words(5)
    assert chunks[-1].choices[0].finish_reason == "length"
    assert emulator.find(marker, "ConverseStream")["body"]["inferenceConfig"] == {"maxTokens": 5}


def test_raw_sse_body_ends_with_done(http, marker):
    body = {"model": HAIKU35, "messages": user(f"{marker}\n#words 12"), "stream": True}
    with http.stream(
        "POST", "/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers.get("cache-control") == "no-cache"
        raw = response.read().decode()
    assert raw.endswith("data: [DONE]\n\n"), raw[-200:]
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    assert events.count("[DONE]") == 1
    parsed = [json.loads(e) for e in events[:-1]]
    assert all(p["object"] == "chat.completion.chunk" for p in parsed)
    assert "".join(p["choices"][0]["delta"].get("content") or "" for p in parsed) == words(12)
    assert parsed[-1]["choices"][0]["finish_reason"] == "stop"


def test_client_disconnect_closes_the_upstream_stream(client, emulator, marker):
    stream = client.chat.completions.create(
        model=HAIKU35,
        messages=user(f"{marker}\n#chunk-delay 200\n#words 200"),
        stream=True,
    )
    try:
        first = next(iter(stream))
        assert first.choices[0].delta.role == "assistant"
        # The upstream stream is open while the client is reading.
        assert emulator.stats()["open_streams"] >= 1
    finally:
        stream.close()
    stats = emulator.wait_streams_closed()
    assert stats["streams_cancelled"] >= 1
    assert emulator.find(marker, "ConverseStream")


def test_connection_drop_midway_ends_with_an_error_event(http, client, marker):
    body = {"model": HAIKU35, "messages": user(f"{marker}\n#drop"), "stream": True}
    response = http.post("/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert "[DONE]" not in response.text
    last = json.loads(sse_events(response.text)[-1])
    assert set(last) == {"error"} and last["error"]["type"] == "api_error"
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(model=HAIKU35, messages=user(f"{marker} sdk\n#drop"), stream=True):
            pass


def test_keep_alive_comments_during_silence(start_gateway, marker):
    gw = start_gateway(STREAM_KEEPALIVE_SECONDS="1")
    body = {"model": HAIKU35, "messages": user(f"{marker}\n#delay 2500"), "stream": True}
    with gw.http() as http:
        response = http.post("/api/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.text.startswith(": keep-alive\n\n"), response.text[:200]
    assert response.text.endswith("data: [DONE]\n\n")
    with gw.client() as sdk:
        chunks = list(sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker}\n#delay 1500"), stream=True))
    assert content_of(chunks) == f"You said: {marker}"


def test_concurrent_streams(gateway, marker):
    def run(i):
        with gateway.client() as sdk:
            chunks = list(
                sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker}-{i}\n#words 40\n#chunk-delay 5"), stream=True)
            )
        return content_of(chunks)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(8)))
    assert results == [words(40)] * 8
