"""Converse (non-streaming) through boto3: echo, directives, tools, reasoning, model ids."""

import json
import struct
import time
import urllib.parse
import zlib

import pytest

from emu_support import NOVA_LITE, SONNET_45, US_SONNET_45, http, user

pytestmark = pytest.mark.timeout(30)

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Weather for a city",
        "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
    }
}


def text_of(response):
    return "".join(b.get("text", "") for b in response["output"]["message"]["content"])


def test_echo_and_usage(runtime):
    response = runtime.converse(modelId=NOVA_LITE, messages=user("hello there emulator"))
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["output"]["message"]["role"] == "assistant"
    assert text_of(response) == "You said: hello there emulator"
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["inputTokens"] == 3
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert usage["cacheReadInputTokens"] == 0 and usage["cacheWriteInputTokens"] == 0
    assert response["metrics"]["latencyMs"] >= 0


def test_deterministic_words_and_json(runtime):
    first = runtime.converse(modelId=NOVA_LITE, messages=user("#words 12"))
    again = runtime.converse(modelId=NOVA_LITE, messages=user("#words 12"))
    assert len(text_of(first).split()) == 12
    assert text_of(first) == text_of(again)
    assert first["usage"]["outputTokens"] == 12
    response = runtime.converse(modelId=NOVA_LITE, messages=user('#json {"answer": 42, "ok": true}'))
    assert json.loads(text_of(response)) == {"answer": 42, "ok": True}


def test_max_tokens_and_stop_sequences(runtime):
    response = runtime.converse(modelId=NOVA_LITE, messages=user("#words 50"), inferenceConfig={"maxTokens": 5})
    assert response["stopReason"] == "max_tokens"
    assert len(text_of(response).split()) == 5
    response = runtime.converse(
        modelId=NOVA_LITE, messages=user("one two STOP three"), inferenceConfig={"stopSequences": ["STOP"]}
    )
    assert response["stopReason"] == "stop_sequence"
    assert text_of(response) == "You said: one two "


def test_stop_and_usage_directives(runtime):
    response = runtime.converse(modelId=NOVA_LITE, messages=user("hi\n#stop guardrail_intervened\n#usage cacheRead=7 cacheWrite=3"))
    assert response["stopReason"] == "guardrail_intervened"
    usage = response["usage"]
    assert (usage["cacheReadInputTokens"], usage["cacheWriteInputTokens"]) == (7, 3)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] + 10


def test_delay(runtime):
    started = time.monotonic()
    runtime.converse(modelId=NOVA_LITE, messages=user("hi\n#delay 300"))
    assert time.monotonic() - started >= 0.3


def test_parallel_tool_calls_and_tool_result_turn(runtime):
    text = 'Checking.\n#tool get_weather {"city": "Paris"}\n#tool get_weather {"city": "Oslo"}'
    response = runtime.converse(modelId=US_SONNET_45, messages=user(text), toolConfig={"tools": [WEATHER_TOOL]})
    assert response["stopReason"] == "tool_use"
    content = response["output"]["message"]["content"]
    assert content[0]["text"] == "You said: Checking."
    calls = [b["toolUse"] for b in content if "toolUse" in b]
    assert [c["input"]["city"] for c in calls] == ["Paris", "Oslo"]
    assert all(c["name"] == "get_weather" and c["toolUseId"].startswith("tooluse_") for c in calls)
    results = [{"toolResult": {"toolUseId": c["toolUseId"], "content": [{"json": {"temp": 20}}]}} for c in calls]
    messages = user(text) + [{"role": "assistant", "content": content}, {"role": "user", "content": results}]
    final = runtime.converse(modelId=US_SONNET_45, messages=messages, toolConfig={"tools": [WEATHER_TOOL]})
    assert final["stopReason"] == "end_turn"
    assert "temp" in text_of(final)


@pytest.mark.parametrize("choice", [{"any": {}}, {"tool": {"name": "get_weather"}}])
def test_forced_tool_choice(runtime, choice):
    response = runtime.converse(
        modelId=US_SONNET_45, messages=user("what now"), toolConfig={"tools": [WEATHER_TOOL], "toolChoice": choice}
    )
    assert response["stopReason"] == "tool_use"
    call = response["output"]["message"]["content"][-1]["toolUse"]
    assert call["name"] == "get_weather"
    assert call["input"] == {"city": "example city"}


def test_reasoning_blocks(runtime):
    response = runtime.converse(modelId=US_SONNET_45, messages=user("why\n#think"))
    reasoning = response["output"]["message"]["content"][0]["reasoningContent"]["reasoningText"]
    assert reasoning["text"] and reasoning["signature"]
    assert response["output"]["message"]["content"][1]["text"] == "You said: why"
    response = runtime.converse(modelId=US_SONNET_45, messages=user("why\n#think redacted"))
    redacted = response["output"]["message"]["content"][0]["reasoningContent"]["redactedContent"]
    assert isinstance(redacted, bytes) and redacted.startswith(b"redacted-reasoning:")


def test_thinking_enabled_produces_reasoning(runtime):
    response = runtime.converse(
        modelId=US_SONNET_45,
        messages=user("hi"),
        inferenceConfig={"maxTokens": 4000},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 2048}},
    )
    assert "reasoningContent" in response["output"]["message"]["content"][0]


@pytest.mark.parametrize(
    "model_id",
    [
        NOVA_LITE,
        f"us.{NOVA_LITE}",
        f"arn:aws:bedrock:us-east-1::foundation-model/{NOVA_LITE}",
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{US_SONNET_45}",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz789",
        "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/prov123",
        f"global.{SONNET_45}",
    ],
)
def test_model_identifier_forms(runtime, model_id):
    response = runtime.converse(modelId=model_id, messages=user("ping"))
    assert text_of(response) == "You said: ping"


def test_arn_is_url_encoded_on_the_wire(runtime, emulator):
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{US_SONNET_45}"
    http(emulator.base_url, "POST", "/_emulator/reset")
    runtime.converse(modelId=arn, messages=user("ping"))
    _, _, recent = http(emulator.base_url, "GET", "/_emulator/requests")
    assert recent[-1]["modelId"] == arn
    assert urllib.parse.quote(arn, safe="") in recent[-1]["path"]


def test_system_prompt_and_images(runtime, png_bytes):
    response = runtime.converse(
        modelId=NOVA_LITE,
        system=[{"text": "be brief"}],
        messages=user("describe", {"image": {"format": "png", "source": {"bytes": png_bytes}}}),
    )
    assert text_of(response) == "You said: describe"


@pytest.fixture(scope="module")
def png_bytes():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00\xff\x00\x00"
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
