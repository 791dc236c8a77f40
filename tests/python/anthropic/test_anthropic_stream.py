"""Streaming on the Anthropic face: the SDK's event accumulation, the raw event sequence,
thinking and tool deltas, replayed streams, mid-stream failures and client disconnects."""

import json

import httpx
import pytest

from gateway.support import HAIKU35, KEY, LLAMA, Gateway, base_env, gateway_argv, wait_until

SONNET37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
WEATHER = {"name": "get_weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
HEADERS = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}


def raw_events(gateway, body) -> list[tuple[str, dict]]:
    """(event, data) pairs of a streamed answer, read with plain HTTP."""
    events = []
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        with http.stream("POST", "/v1/messages", headers=HEADERS, json={**body, "stream": True}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            name = None
            for line in response.iter_lines():
                if line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: "):
                    data = json.loads(line[len("data: "):])
                    assert data["type"] == name
                    events.append((name, data))
    return events


def test_sdk_stream_accumulates_the_final_message(claude, marker):
    with claude.messages.stream(
        model=HAIKU35, max_tokens=300, messages=[{"role": "user", "content": f"{marker}\n#words 12"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == final.content[0].text and len(text.split()) == 12
    assert final.id.startswith("msg_") and final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 12 and final.usage.input_tokens > 0


def test_raw_event_sequence(gateway, marker):
    events = raw_events(gateway, {"model": HAIKU35, "max_tokens": 300, "stop_sequences": ["delta"],
                                  "messages": [{"role": "user", "content": f"{marker}\n#words 12"}]})
    names = [n for n, _ in events]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert set(names[3:-3]) == {"content_block_delta"}
    assert events[0][1]["message"]["content"] == [] and events[0][1]["message"]["stop_reason"] is None
    delta = events[-2][1]
    assert delta["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "delta"}
    assert delta["usage"]["output_tokens"] > 0


def test_thinking_and_tool_deltas(claude, gateway, marker):
    body = {"model": SONNET37, "max_tokens": 4000, "thinking": {"type": "enabled", "budget_tokens": 1024},
            "tools": [WEATHER], "messages": [{"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Oslo"}}'}]}
    events = raw_events(gateway, body)
    deltas = [d["delta"]["type"] for n, d in events if n == "content_block_delta"]
    assert {"thinking_delta", "signature_delta", "input_json_delta"} <= set(deltas)
    starts = [d["content_block"]["type"] for n, d in events if n == "content_block_start"]
    assert starts[0] == "thinking" and "tool_use" in starts
    indexes = [d["index"] for n, d in events if n == "content_block_start"]
    assert indexes == list(range(len(indexes)))
    with claude.messages.stream(**{k: v for k, v in body.items()}) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking" and final.content[0].signature
    assert final.content[-1].input == {"city": "Oslo"} and final.stop_reason == "tool_use"


def test_models_that_cannot_stream_tools_are_replayed_as_events(claude, marker):
    with claude.messages.stream(
        model=LLAMA, max_tokens=300, tools=[WEATHER],
        messages=[{"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Rome"}}'}],
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use" and final.content[-1].input == {"city": "Rome"}


def test_nova_streams(claude, marker):
    with claude.messages.stream(model=NOVA, max_tokens=100, messages=[{"role": "user", "content": f"hi {marker}"}]) as stream:
        assert "".join(stream.text_stream) == f"You said: hi {marker}"


def test_failure_mid_stream_ends_with_an_error_event(gateway, marker):
    events = raw_events(gateway, {"model": HAIKU35, "max_tokens": 300,
                                  "messages": [{"role": "user", "content": f"{marker}\n#words 30\n#stream-error throttling"}]})
    assert events[0][0] == "message_start"
    assert events[-1] == ("error", {"type": "error", "error": {"type": "rate_limit_error", "message": events[-1][1]["error"]["message"]}})
    assert "message_stop" not in [n for n, _ in events]


def test_client_disconnect_closes_the_upstream_stream(gateway, emulator, marker):
    body = {"model": HAIKU35, "max_tokens": 3000, "stream": True,
            "messages": [{"role": "user", "content": f"{marker}\n#chunk-delay 200\n#words 200"}]}
    with httpx.Client(base_url=gateway.url, timeout=30) as http:
        with http.stream("POST", "/v1/messages", headers=HEADERS, json=body) as response:
            lines = response.iter_lines()  # kept: dropping the iterator closes the response
            first = next(lines)
            assert first == "event: message_start"
            wait_until(lambda: emulator.stats()["open_streams"] >= 1, timeout=5, message="the upstream stream to be open")
    stats = wait_until(lambda: (s := emulator.stats())["open_streams"] == 0 and s, timeout=10,
                       message="the emulator's open_streams to return to 0")
    assert stats["streams_cancelled"] >= 1


@pytest.fixture
def start_ping_gateway(emulator):
    gateway = Gateway(gateway_argv(), base_env(emulator.url, API_KEY=KEY, STREAM_KEEPALIVE_SECONDS="1"))
    try:
        gateway.wait_for_models()
        yield gateway
    finally:
        gateway.cleanup()


def test_keep_alives_are_ping_events(start_ping_gateway, marker):
    events = raw_events(start_ping_gateway, {"model": HAIKU35, "max_tokens": 300,
                                             "messages": [{"role": "user", "content": f"{marker}\n#delay 1500\n#words 3"}]})
    names = [n for n, _ in events]
    assert names.count("ping") >= 2, names
