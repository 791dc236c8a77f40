"""Streamed responses: the SDK's typed event stream, sequence numbers, tools, reasoning,
failures mid-stream and storage of streamed answers."""

import json

import httpx

import openai
import pytest

from gateway.support import HAIKU35, KEY, LLAMA, SONNET45_GLOBAL

from .test_responses import WEATHER


def event_types(events):
    return [event.type for event in events]


def test_text_stream_event_sequence(client, marker):
    with client.responses.stream(model=HAIKU35, input=f"{marker}\n#words 9") as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = event_types(events)
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[2:4] == ["response.output_item.added", "response.content_part.added"]
    assert types[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert types.count("response.output_text.delta") >= 3
    assert [event.sequence_number for event in events] == list(range(len(events)))
    deltas = "".join(event.delta for event in events if event.type == "response.output_text.delta")
    assert deltas == final.output_text
    assert final.status == "completed" and final.usage.output_tokens == 9
    assert events[0].response.status == "in_progress"
    # A streamed response is stored like any other.
    assert client.responses.retrieve(final.id).output_text == final.output_text


def test_function_call_stream(client, marker):
    with client.responses.stream(
        model=HAIKU35, input=f'{marker}\n#tool get_weather {{"city": "Lima"}}', tools=[WEATHER]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = event_types(events)
    assert "response.function_call_arguments.delta" in types
    done = next(event for event in events if event.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"city": "Lima"}
    call = final.output[-1]
    assert call.type == "function_call" and call.name == "get_weather" and call.status == "completed"
    # Text ("You said: ...") first, then the call: two items with their own indices.
    added = [event.output_index for event in events if event.type == "response.output_item.added"]
    assert added == [0, 1]


def test_reasoning_stream_with_summary_and_encrypted_content(client, marker):
    with client.responses.stream(
        model=SONNET45_GLOBAL,
        input=f"{marker}",
        reasoning={"effort": "low", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    types = event_types(events)
    assert "response.reasoning_text.delta" in types
    assert "response.reasoning_summary_text.delta" in types
    assert "response.reasoning_summary_part.done" in types
    reasoning = final.output[0]
    assert reasoning.type == "reasoning" and reasoning.encrypted_content
    assert final.output[1].type == "message"


def test_structured_output_streams_as_text(client, marker):
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    with client.responses.stream(
        model=HAIKU35,
        input=f"{marker}",
        text={"format": {"type": "json_schema", "name": "P", "schema": schema}},
    ) as stream:
        final = stream.get_final_response()
    assert [item.type for item in final.output] == ["message"]
    assert "name" in json.loads(final.output_text)


def test_models_that_cannot_stream_tools_get_the_same_events(client, marker):
    with client.responses.stream(
        model=LLAMA, input=f'{marker}\n#tool get_weather {{"city": "Kyiv"}}', tools=[WEATHER]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert events[-1].type == "response.completed"
    assert final.output[-1].type == "function_call"
    assert [event.sequence_number for event in events] == list(range(len(events)))


def raw_stream(gateway, body):
    response = httpx.post(
        gateway.api() + "/responses",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"model": HAIKU35, "stream": True, **body},
        timeout=30,
    )
    frames = []
    for block in response.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and not line.startswith(":"))
        if "data" in lines:
            frames.append((lines.get("event"), json.loads(lines["data"])))
    return response, frames


def test_failure_mid_stream_ends_with_error_and_failed(gateway, marker):
    response, frames = raw_stream(gateway, {"input": f"{marker}\n#stream-error throttling\n#words 30"})
    assert response.status_code == 200
    names = [name for name, _ in frames]
    assert names[-2:] == ["error", "response.failed"], names
    error, failed = frames[-2][1], frames[-1][1]
    assert error["code"] and error["message"]
    assert failed["response"]["status"] == "failed" and failed["response"]["error"]["code"] == error["code"]
    assert all(name == data["type"] for name, data in frames)
    assert "[DONE]" not in response.text


def test_incomplete_stream(gateway, marker):
    _, frames = raw_stream(gateway, {"input": f"{marker}\n#words 40", "max_output_tokens": 4})
    name, data = frames[-1]
    assert name == "response.incomplete"
    assert data["response"]["incomplete_details"] == {"reason": "max_output_tokens"}


def test_keep_alive_during_silence(start_gateway, marker):
    gateway = start_gateway(STREAM_KEEPALIVE_SECONDS=1)
    response, frames = raw_stream(gateway, {"input": f"{marker}\n#delay 2500"})
    assert ": keep-alive" in response.text
    assert frames[-1][0] == "response.completed"


def test_client_disconnect_closes_the_upstream_stream(client, emulator, marker):
    stream = client.responses.create(model=HAIKU35, input=f"{marker}\n#chunk-delay 200\n#words 200", stream=True)
    try:
        first = next(iter(stream))
        assert first.type == "response.created"
        assert emulator.stats()["open_streams"] >= 1
    finally:
        stream.close()
    stats = emulator.wait_streams_closed()
    assert stats["streams_cancelled"] >= 1
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(first.response.id)


def test_errors_before_the_stream_starts_are_plain_json(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=HAIKU35, input=[], stream=True)
    assert caught.value.body["param"] == "input"


def test_slow_replayed_stream_keeps_the_connection_alive_then_stores_the_answer(start_gateway, marker):
    gateway = start_gateway(STREAM_KEEPALIVE_SECONDS="1")
    body = {"model": LLAMA, "input": f'{marker}\n#delay 2600\n#tool get_weather {{"city": "Kyiv"}}',
            "tools": [WEATHER], "stream": True}
    response = httpx.post(gateway.api() + "/responses", headers={"Authorization": f"Bearer {KEY}"}, json=body,
                          timeout=30)
    assert response.status_code == 200
    text = response.text
    assert text[: text.index("event: response.created")].count(": keep-alive") >= 2
    assert "event: response.completed" in text
    created = json.loads(text.split("event: response.created\ndata: ", 1)[1].split("\n", 1)[0])
    with gateway.client() as client:
        stored = client.responses.retrieve(created["response"]["id"])
    assert stored.output[-1].type == "function_call"
