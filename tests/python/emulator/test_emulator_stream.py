"""ConverseStream through boto3: every event type, errors before and during the stream."""

import json
import time

import pytest
from botocore.exceptions import EventStreamError

from emu_support import NOVA_LITE, US_SONNET_45, http, user

pytestmark = pytest.mark.timeout(30)

TOOL = {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}


def events(runtime, text, model=NOVA_LITE, **kwargs):
    response = runtime.converse_stream(modelId=model, messages=user(text), **kwargs)
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    return list(response["stream"])


def names(evs):
    return [next(iter(e)) for e in evs]


def test_text_stream_shape(runtime):
    evs = events(runtime, "one two three four five six seven")
    kinds = names(evs)
    assert kinds[0] == "messageStart" and evs[0]["messageStart"]["role"] == "assistant"
    assert kinds[-2:] == ["messageStop", "metadata"]
    deltas = [e["contentBlockDelta"] for e in evs if "contentBlockDelta" in e]
    assert len(deltas) >= 3
    assert "".join(d["delta"]["text"] for d in deltas) == "You said: one two three four five six seven"
    assert kinds.count("contentBlockStop") == 1
    assert evs[-2]["messageStop"]["stopReason"] == "end_turn"
    metadata = evs[-1]["metadata"]
    assert metadata["usage"]["inputTokens"] == 7
    assert "latencyMs" in metadata["metrics"]


def test_tool_use_stream(runtime):
    evs = events(runtime, '#tool lookup {"query": "a rather long query string to split"}', model=US_SONNET_45, toolConfig={"tools": [TOOL]})
    start = next(e["contentBlockStart"] for e in evs if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "lookup"
    assert start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    index = start["contentBlockIndex"]
    parts = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in evs if "contentBlockDelta" in e and e["contentBlockDelta"]["contentBlockIndex"] == index]
    assert len(parts) >= 2
    assert json.loads("".join(parts)) == {"query": "a rather long query string to split"}
    assert evs[-2]["messageStop"]["stopReason"] == "tool_use"


def test_reasoning_stream(runtime):
    evs = events(runtime, "hmm\n#think", model=US_SONNET_45)
    reasoning = [e["contentBlockDelta"]["delta"]["reasoningContent"] for e in evs if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert any("text" in r for r in reasoning)
    assert "signature" in reasoning[-1]
    evs = events(runtime, "hmm\n#think redacted", model=US_SONNET_45)
    redacted = [e["contentBlockDelta"]["delta"]["reasoningContent"]["redactedContent"] for e in evs if "reasoningContent" in e.get("contentBlockDelta", {}).get("delta", {})]
    assert redacted and redacted[0].startswith(b"redacted-reasoning:")


def test_metadata_cache_usage(runtime):
    evs = events(runtime, "hi\n#usage cacheRead=11 cacheWrite=5")
    usage = evs[-1]["metadata"]["usage"]
    assert usage["cacheReadInputTokens"] == 11 and usage["cacheWriteInputTokens"] == 5


def test_chunk_delay(runtime):
    started = time.monotonic()
    events(runtime, "#words 9\n#chunk-delay 50")
    assert time.monotonic() - started >= 0.25


@pytest.mark.parametrize(
    "kind, member",
    [
        ("throttling", "throttlingException"),
        ("model-stream-error", "modelStreamErrorException"),
        ("validation", "validationException"),
        ("internal", "internalServerException"),
        ("unavailable", "serviceUnavailableException"),
    ],
)
def test_errors_during_stream(runtime, kind, member):
    response = runtime.converse_stream(modelId=NOVA_LITE, messages=user(f"#words 20\n#stream-error {kind}"))
    seen = []
    with pytest.raises(EventStreamError) as raised:
        for event in response["stream"]:
            seen.append(event)
    assert raised.value.response["Error"]["Code"] == member
    assert any("contentBlockDelta" in e for e in seen)


def test_error_before_stream(runtime):
    with pytest.raises(runtime.exceptions.ThrottlingException) as raised:
        runtime.converse_stream(modelId=NOVA_LITE, messages=user("#error throttling"))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_streaming_tools_unsupported(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="tool use in streaming mode"):
        runtime.converse_stream(modelId="meta.llama3-1-70b-instruct-v1:0", messages=user("hi"), toolConfig={"tools": [TOOL]})


def test_drop_cuts_the_connection(runtime):
    response = runtime.converse_stream(modelId=NOVA_LITE, messages=user("#words 30\n#drop"))
    seen = []
    with pytest.raises(Exception):
        for event in response["stream"]:
            seen.append(event)
    assert "messageStop" not in names(seen)


def test_half_read_stream_is_closed(runtime, emulator):
    http(emulator.base_url, "POST", "/_emulator/reset")
    response = runtime.converse_stream(modelId=NOVA_LITE, messages=user("#words 300\n#chunk-delay 100"))
    stream = response["stream"]
    first = next(iter(stream))
    assert "messageStart" in first
    _, _, stats = http(emulator.base_url, "GET", "/_emulator/stats")
    assert stats["open_streams"] == 1
    stream.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, _, stats = http(emulator.base_url, "GET", "/_emulator/stats")
        if stats["open_streams"] == 0:
            break
        time.sleep(0.05)
    assert stats["open_streams"] == 0
    assert stats["streams_cancelled"] == 1 and stats["streams_started"] == 1


def test_completed_stream_counts(runtime, emulator):
    http(emulator.base_url, "POST", "/_emulator/reset")
    events(runtime, "hi")
    _, _, stats = http(emulator.base_url, "GET", "/_emulator/stats")
    assert stats["streams_completed"] == 1 and stats["open_streams"] == 0
    assert stats["by_operation"] == {"ConverseStream": 1}
