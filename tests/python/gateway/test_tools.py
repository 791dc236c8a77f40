"""Tools: toolConfig sent to Bedrock, tool calls back (JSON and streamed), tool results
round-tripping, and models that cannot stream with tools (answer replayed as SSE)."""

import json

import openai
import pytest

from .support import HAIKU35, KEY, LLAMA, sse_events, user, words

pytestmark = pytest.mark.timeout(60)

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": WEATHER_SCHEMA},
    },
    {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}},
]


@pytest.mark.parametrize(
    "choice, expected",
    [
        ({"type": "function", "function": {"name": "get_weather"}}, {"tool": {"name": "get_weather"}}),
        ("required", {"any": {}}),
        ("auto", {"auto": {}}),
    ],
)
def test_tools_and_tool_choice_become_tool_config(client, emulator, marker, choice, expected):
    response = client.chat.completions.create(
        model=HAIKU35, messages=user(f"weather? {marker}"), tools=TOOLS, tool_choice=choice
    )
    config = emulator.find(marker, "Converse")["body"]["toolConfig"]
    assert config["toolChoice"] == expected
    specs = [t["toolSpec"] for t in config["tools"]]
    assert [s["name"] for s in specs] == ["get_weather", "get_time"]
    assert specs[0]["description"] == "Current weather for a city"
    assert specs[0]["inputSchema"] == {"json": WEATHER_SCHEMA}
    assert "description" not in specs[1]
    if choice != "auto":  # a forced tool is called
        assert response.choices[0].finish_reason == "tool_calls"
        assert response.choices[0].message.tool_calls


def test_tool_choice_none_sends_no_tools(client, emulator, marker):
    response = client.chat.completions.create(
        model=HAIKU35, messages=user(f"no tools {marker}"), tools=TOOLS, tool_choice="none"
    )
    assert "toolConfig" not in emulator.find(marker, "Converse")["body"]
    assert response.choices[0].finish_reason == "stop"


def test_tool_call_non_streaming(client, marker):
    response = client.chat.completions.create(
        model=HAIKU35,
        messages=user(f'{marker}\n#tool get_weather {{"city":"Paris"}}'),
        tools=TOOLS,
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert len(calls) == 1
    call = calls[0]
    assert call.type == "function"
    assert call.id
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}


def test_tool_only_answer_has_null_content(client, marker):
    response = client.chat.completions.create(
        model=HAIKU35,
        messages=[{"role": "system", "content": marker}, {"role": "user", "content": '#tool get_time {}'}],
        tools=TOOLS,
    )
    message = response.choices[0].message
    assert message.content is None
    assert json.loads(message.tool_calls[0].function.arguments) == {}


def test_tool_calls_streaming(client, emulator, marker):
    stream = client.chat.completions.create(
        model=HAIKU35,
        messages=user(
            f'{marker}\n#tool get_weather {{"city":"Paris","units":"metric","detail":"a long value to split"}}\n'
            '#tool get_time {"tz":"Europe/Paris"}'
        ),
        tools=TOOLS,
        stream=True,
    )
    chunks = list(stream)
    assert emulator.find(marker, "ConverseStream")["body"]["toolConfig"]["tools"]
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert deltas
    by_index = {}
    for delta in deltas:
        by_index.setdefault(delta.index, []).append(delta)
    assert sorted(by_index) == [0, 1]
    calls = {}
    for index, parts in by_index.items():
        head, rest = parts[0], parts[1:]
        assert head.id and head.type == "function" and head.function.name
        assert all(p.id is None and (p.function is None or p.function.name is None) for p in rest)
        arguments = "".join((p.function.arguments or "") for p in parts if p.function)
        calls[head.function.name] = (head.id, json.loads(arguments))
    assert len(by_index[0]) > 2, "long arguments arrive in several deltas"
    assert calls["get_weather"][1] == {"city": "Paris", "units": "metric", "detail": "a long value to split"}
    assert calls["get_time"][1] == {"tz": "Europe/Paris"}
    assert calls["get_weather"][0] != calls["get_time"][0]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == f"You said: {marker}"


def test_tool_result_round_trip(client, emulator, marker):
    messages = [
        {"role": "user", "content": f"weather in Paris? {marker}"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_abc123", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc123", "content": "sunny, 21C"},
    ]
    response = client.chat.completions.create(model=HAIKU35, messages=messages, tools=TOOLS)
    assert response.choices[0].finish_reason == "stop"
    assert "sunny, 21C" in response.choices[0].message.content
    body = emulator.find(marker, "Converse")["body"]
    sent = body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == [{"toolUse": {"toolUseId": "call_abc123", "name": "get_weather", "input": {"city": "Paris"}}}]
    assert sent[2]["content"] == [{"toolResult": {"toolUseId": "call_abc123", "content": [{"text": "sunny, 21C"}]}}]
    assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["get_weather", "get_time"]


def test_tool_history_without_tools_becomes_text(client, emulator, marker):
    """With no tool offered (no `tools`, or tool_choice "none") the model must not call one:
    earlier calls and results are sent as text and no toolConfig is sent."""
    messages = [
        {"role": "user", "content": f"weather? {marker}"},
        {
            "role": "assistant",
            "content": "Let me check.",
            "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "rain"},
    ]
    for extra in ({}, {"tools": TOOLS, "tool_choice": "none"}):
        response = client.chat.completions.create(model=HAIKU35, messages=messages, **extra)
        assert response.choices[0].finish_reason == "stop"
        assert response.choices[0].message.tool_calls is None
        body = emulator.find(marker, "Converse")["body"]
        assert "toolConfig" not in body
        blocks = [block for message in body["messages"] for block in message["content"]]
        assert all(set(block) == {"text"} for block in blocks), blocks
        assert body["messages"][1]["content"][0] == {"text": "Let me check."}
        assert "get_weather" in body["messages"][1]["content"][1]["text"]
        assert "rain" in body["messages"][2]["content"][0]["text"]
def test_llama_streaming_with_tools_is_replayed_as_sse(client, emulator, marker):
    stream = client.chat.completions.create(
        model=LLAMA,
        messages=user(f'{marker}\n#tool get_weather {{"city":"Oslo"}}'),
        tools=TOOLS,
        tool_choice="auto",
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    deltas = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert [d.index for d in deltas] == [0]
    assert deltas[0].id and deltas[0].function.name == "get_weather"
    assert json.loads(deltas[0].function.arguments) == {"city": "Oslo"}
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert {c.model for c in chunks} == {LLAMA}
    # Bedrock was called without streaming, and without toolChoice (Llama rejects it).
    assert not emulator.find_all(marker, "ConverseStream")
    body = emulator.find(marker, "Converse")["body"]
    assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["get_weather", "get_time"]
    assert "toolChoice" not in body["toolConfig"]


def test_llama_replayed_stream_raw_body(http, marker):
    body = {
        "model": LLAMA,
        "messages": user(f'{marker}\n#tool get_time {{"tz":"UTC"}}'),
        "tools": TOOLS,
        "stream": True,
    }
    response = http.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.endswith("data: [DONE]\n\n")
    events = [json.loads(e) for e in sse_events(response.text)[:-1]]
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_llama_streaming_without_tools_really_streams(client, emulator, marker):
    chunks = list(client.chat.completions.create(model=LLAMA, messages=user(f"{marker}\n#words 30"), stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == words(30)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 5
    assert emulator.find(marker, "ConverseStream")


def raw_stream(gateway, body):
    """(arrival order of the raw SSE pieces, status) of a streamed request."""
    pieces = []
    with gateway.http(timeout=30.0) as http:
        with http.stream("POST", "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}) as response:
            status = response.status_code
            for text in response.iter_text():
                pieces.append(text)
    return pieces, status


def test_slow_replayed_stream_sends_keepalives_while_bedrock_answers(start_gateway, emulator, marker):
    gateway = start_gateway(STREAM_KEEPALIVE_SECONDS="1")
    body = {"model": LLAMA, "messages": user(f'{marker}\n#delay 2600\n#tool get_time {{"tz":"UTC"}}'),
            "tools": TOOLS, "stream": True}
    pieces, status = raw_stream(gateway, body)
    assert status == 200
    text = "".join(pieces)
    first_data = text.index("data:")
    assert text[:first_data].count(": keep-alive") >= 2, "keep-alive comments before the answer"
    assert text.endswith("data: [DONE]\n\n")
    assert json.loads(sse_events(text)[-2])["choices"][0]["finish_reason"] == "tool_calls"
    assert not emulator.find_all(marker, "ConverseStream") and emulator.find(marker, "Converse")
    # The openai package reads the same stream, keep-alives and all.
    with gateway.client() as client:
        chunks = list(client.chat.completions.create(stream=True, **{k: v for k, v in body.items() if k != "stream"}))
    assert [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason] == ["tool_calls"]


def test_slow_replayed_stream_that_fails_ends_with_an_error_event(start_gateway, marker):
    gateway = start_gateway(STREAM_KEEPALIVE_SECONDS="1")
    # Access denied: not retried by the SDK, so the failure comes after one delay.
    body = {"model": LLAMA, "messages": user(f"{marker}\n#delay 1300\n#error access-denied"), "tools": TOOLS,
            "stream": True}
    pieces, status = raw_stream(gateway, body)
    text = "".join(pieces)
    assert status == 200 and text.startswith(": keep-alive")
    events = sse_events(text)
    assert "[DONE]" not in events
    assert json.loads(events[-1])["error"]["type"] == "permission_error"


def test_quick_replayed_failure_keeps_its_status(client, marker):
    with pytest.raises(openai.RateLimitError) as caught:
        list(client.chat.completions.create(model=LLAMA, messages=user(f"{marker}\n#error throttling"), tools=TOOLS,
                                            stream=True))
    assert caught.value.status_code == 429
