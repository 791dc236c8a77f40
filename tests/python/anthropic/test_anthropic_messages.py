"""The Anthropic Messages face through the official `anthropic` SDK: JSON answers, system
prompts, stop reasons, tools, thinking with signatures, images, token counting, models of
every provider, and Claude-style model names."""

import base64
import json

import anthropic
import httpx
import pytest

from anthropic_sdk import sdk
from gateway.support import HAIKU3, HAIKU35, KEY, LLAMA, base_env, Gateway, gateway_argv
from gateway.test_chat import tiny_png
from gateway.test_features import image_handler
from procs import loopback_http

SONNET37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
NOVA = "us.amazon.nova-lite-v1:0"
WEATHER = {
    "name": "get_weather",
    "description": "Weather in a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def sent(emulator, marker, operation="Converse"):
    return emulator.find(marker, operation)["body"]


def test_create_returns_anthropics_message_shape(claude, emulator, marker):
    message = claude.messages.create(
        model=HAIKU35, max_tokens=200, messages=[{"role": "user", "content": f"hello {marker}"}],
        metadata={"user_id": "u-1"}, extra_body={"top_k": 5, "temperature": 0.5},
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_") and len(message.id) > 20
    assert message.model == HAIKU35
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == f"You said: hello {marker}"
    assert (message.stop_reason, message.stop_sequence) == ("end_turn", None)
    assert message.usage.input_tokens == 2 and message.usage.output_tokens > 0
    assert message.usage.cache_read_input_tokens == 0
    body = sent(emulator, marker)
    assert body["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.5}
    assert body["additionalModelRequestFields"] == {"top_k": 5}


def test_system_blocks_and_cache_control_become_cache_points(claude, emulator, marker):
    claude.messages.create(
        model=HAIKU35, max_tokens=50,
        system=[{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": [
            {"type": "text", "text": f"long context {marker}", "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "question"}]}],
    )
    body = sent(emulator, marker)
    assert body["system"] == [{"text": "You are terse."}, {"cachePoint": {"type": "default"}}]
    assert body["messages"][0]["content"][1] == {"cachePoint": {"type": "default"}}


def test_cache_usage_is_reported(claude, marker):
    message = claude.messages.create(
        model=HAIKU35, max_tokens=50,
        messages=[{"role": "user", "content": f"{marker}\n#usage cacheRead=30 cacheWrite=12"}],
    )
    assert (message.usage.cache_read_input_tokens, message.usage.cache_creation_input_tokens) == (30, 12)


def test_stop_reasons(claude, marker):
    cut = claude.messages.create(
        model=HAIKU35, max_tokens=5, messages=[{"role": "user", "content": f"{marker}\n#words 40"}])
    assert cut.stop_reason == "max_tokens"
    stopped = claude.messages.create(
        model=HAIKU35, max_tokens=100, stop_sequences=["charlie"],
        messages=[{"role": "user", "content": f"{marker}\n#words 40"}])
    assert (stopped.stop_reason, stopped.stop_sequence) == ("stop_sequence", "charlie")
    assert "charlie" not in stopped.content[0].text
    refused = claude.messages.create(
        model=HAIKU35, max_tokens=100, messages=[{"role": "user", "content": f"{marker}\n#stop guardrail_intervened"}])
    assert refused.stop_reason == "refusal"


def test_tool_loop(claude, emulator, marker):
    first = claude.messages.create(
        model=HAIKU35, max_tokens=300, tools=[WEATHER], tool_choice={"type": "auto"},
        messages=[{"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Paris"}}'}],
    )
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert (call.name, call.input) == ("get_weather", {"city": "Paris"})
    second = claude.messages.create(
        model=HAIKU35, max_tokens=300, tools=[WEATHER],
        messages=[
            {"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Paris"}}'},
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny",
                                          "is_error": True}]},
        ],
    )
    assert second.stop_reason == "end_turn"
    assert second.content[0].text == "You said: Tool result: sunny"
    result = sent(emulator, "sunny")["messages"][2]["content"][0]["toolResult"]
    assert result["toolUseId"] == call.id and result["status"] == "error"


def test_forced_tool_choice(claude, emulator, marker):
    message = claude.messages.create(
        model=HAIKU35, max_tokens=300, tools=[WEATHER], tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": f"weather in Paris {marker}"}],
    )
    assert message.stop_reason == "tool_use"
    assert sent(emulator, marker)["toolConfig"]["toolChoice"] == {"tool": {"name": "get_weather"}}


def test_thinking_signature_round_trip_on_a_tool_turn(claude, emulator, marker):
    thinking = {"type": "enabled", "budget_tokens": 1024}
    ask = {"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Oslo"}}'}
    first = claude.messages.create(model=SONNET37, max_tokens=4000, thinking=thinking, tools=[WEATHER], messages=[ask])
    assert [b.type for b in first.content][0] == "thinking"
    assert first.content[0].signature and first.content[0].thinking
    call = next(b for b in first.content if b.type == "tool_use")
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "cold"}]}
    assistant = {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]}
    second = claude.messages.create(
        model=SONNET37, max_tokens=4000, thinking=thinking, tools=[WEATHER], messages=[ask, assistant, result])
    assert second.content[-1].text == "You said: Tool result: cold"
    reasoning = sent(emulator, "cold")["messages"][1]["content"][0]["reasoningContent"]["reasoningText"]
    assert reasoning["signature"] == first.content[0].signature
    # The emulator (like Bedrock) rejects the tool turn without its thinking block.
    without = {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content if b.type != "thinking"]}
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.create(model=SONNET37, max_tokens=4000, thinking=thinking, tools=[WEATHER], messages=[ask, without, result])
    assert raised.value.body["error"]["type"] == "invalid_request_error"


def test_base64_image(claude, emulator, marker):
    data = base64.b64encode(tiny_png()).decode()
    claude.messages.create(model=HAIKU3, max_tokens=50, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        {"type": "text", "text": f"what is this {marker}"}]}])
    image = sent(emulator, marker)["messages"][0]["content"][0]["image"]
    assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == tiny_png()


def test_url_images_use_the_ssrf_safe_fetcher(claude, emulator, marker):
    with loopback_http(image_handler(tiny_png())) as url:
        content = [{"type": "image", "source": {"type": "url", "url": f"{url}/cat.png"}},
                   {"type": "text", "text": marker}]
        with pytest.raises(anthropic.BadRequestError) as raised:
            claude.messages.create(model=HAIKU3, max_tokens=50, messages=[{"role": "user", "content": content}])
        assert "non-public" in raised.value.body["error"]["message"]
        env = base_env(emulator.url, API_KEY=KEY, IMAGE_FETCH_ALLOW_PRIVATE="true")
        allowed = Gateway(gateway_argv(), env)
        try:
            allowed.wait_for_models()
            with sdk(allowed) as client:
                client.messages.create(model=HAIKU3, max_tokens=50, messages=[{"role": "user", "content": content}])
            image = sent(emulator, marker)["messages"][0]["content"][0]["image"]
            assert base64.b64decode(image["source"]["bytes"]) == tiny_png()
        finally:
            allowed.cleanup()


def test_documents(claude, emulator, marker):
    claude.messages.create(model=HAIKU35, max_tokens=50, messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "the notes"},
         "title": "Meeting notes"},
        {"type": "text", "text": f"summarise {marker}"}]}])
    document = sent(emulator, marker)["messages"][0]["content"][0]["document"]
    assert (document["name"], document["format"]) == ("Meeting notes", "txt")
    assert base64.b64decode(document["source"]["bytes"]) == b"the notes"


def test_count_tokens(claude, emulator, marker):
    counted = claude.messages.count_tokens(
        model=HAIKU35, system="be brief", messages=[{"role": "user", "content": f"one two {marker}"}])
    assert counted.input_tokens == 5
    record = emulator.find(marker, "CountTokens")
    assert record["modelId"] == "anthropic.claude-3-5-haiku-20241022-v1:0", "counted with the foundation id"
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.count_tokens(model=NOVA, messages=[{"role": "user", "content": "x"}])
    assert "CountTokens" in raised.value.body["error"]["message"]


def test_non_claude_models(claude, emulator, marker):
    nova = claude.messages.create(
        model=NOVA, max_tokens=100, system="be brief", thinking={"type": "enabled", "budget_tokens": 2048},
        messages=[{"role": "user", "content": f"hi {marker}"}])
    assert nova.content[0].text == f"You said: hi {marker}"
    assert "thinking" not in json.dumps(sent(emulator, marker)), "Nova gets no Claude thinking field"
    llama = claude.messages.create(
        model=LLAMA, max_tokens=100, tools=[WEATHER],
        messages=[{"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Rome"}}'}])
    assert llama.stop_reason == "tool_use" and llama.content[-1].input == {"city": "Rome"}


def test_claude_model_names_map_to_bedrock_ids(claude, emulator, marker):
    message = claude.messages.create(
        model="claude-3-5-haiku-20241022", max_tokens=50, messages=[{"role": "user", "content": marker}])
    assert message.model == "claude-3-5-haiku-20241022"
    assert "claude-3-5-haiku-20241022" in emulator.find(marker, "Converse")["modelId"]


def test_prefix_and_v1_paths_both_serve(gateway, marker):
    with anthropic.Anthropic(base_url=gateway.url + "/api", api_key=KEY, max_retries=0) as client:
        message = client.messages.create(model=HAIKU35, max_tokens=20, messages=[{"role": "user", "content": marker}])
    assert message.content[0].text.endswith(marker)


def test_error_classes(gateway, claude, marker):
    with sdk(gateway, key="wrong") as bad, pytest.raises(anthropic.AuthenticationError) as raised:
        bad.messages.create(model=HAIKU35, max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert raised.value.body == {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}
    with pytest.raises(anthropic.NotFoundError) as raised:
        claude.messages.create(model="no.such-model-v1:0", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert raised.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError) as raised:
        claude.messages.create(model=HAIKU35, max_tokens=5, messages=[{"role": "assistant", "content": "x"}])
    assert raised.value.body["error"]["type"] == "invalid_request_error"
    with pytest.raises(anthropic.RateLimitError) as raised:
        claude.messages.create(model=HAIKU35, max_tokens=5, messages=[{"role": "user", "content": f"{marker}\n#error throttling"}])
    assert raised.value.body["error"]["type"] == "rate_limit_error"
    assert raised.value.response.headers["retry-after"] == "1"


def test_missing_max_tokens_and_bad_bodies_answer_like_anthropic(gateway):
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=gateway.url, timeout=10) as http:
        missing = http.post("/v1/messages", headers=headers, json={"model": HAIKU35, "messages": [{"role": "user", "content": "x"}]})
        assert missing.status_code == 400
        assert missing.json() == {"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}}
        bad = http.post("/v1/messages", headers=headers, content=b"{not json")
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
        server_tool = http.post("/v1/messages", headers=headers, json={
            "model": HAIKU35, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}],
            "tools": [{"type": "web_search_20250305", "name": "web_search"}]})
        assert server_tool.status_code == 400 and "web_search_20250305" in server_tool.json()["error"]["message"]
        no_key = http.post("/v1/messages", json={"model": HAIKU35, "max_tokens": 5, "messages": []})
        assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "authentication_error"
        wrong_method = http.get("/v1/messages", headers=headers)
        assert wrong_method.status_code == 405 and wrong_method.json()["type"] == "error"


def test_slow_replayed_stream_pings_while_bedrock_answers(emulator, marker):
    """A model that cannot stream with tools is called without streaming: while that call runs,
    the client gets Anthropic `ping` events, then the answer as the usual events."""
    gateway = Gateway(gateway_argv(), base_env(emulator.url, API_KEY=KEY, STREAM_KEEPALIVE_SECONDS="1"))
    try:
        gateway.wait_for_models()
        content = f'{marker}\n#delay 2600\n#tool get_weather {{"city": "Oslo"}}'
        body = {"model": LLAMA, "max_tokens": 100, "tools": [WEATHER], "stream": True,
                "messages": [{"role": "user", "content": content}]}
        headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
        with gateway.http() as http:
            response = http.post("/v1/messages", json=body, headers=headers)
        assert response.status_code == 200
        text = response.text
        with sdk(gateway) as client, client.messages.stream(
            model=LLAMA, max_tokens=100, tools=[WEATHER], messages=[{"role": "user", "content": content}],
        ) as stream:
            final = stream.get_final_message()
    finally:
        gateway.cleanup()
    before_answer = text[: text.index("event: message_start")]
    assert before_answer.count("event: ping") >= 2
    assert text.rstrip().split("\n")[-2] == "event: message_stop"
    assert final.stop_reason == "tool_use" and final.content[-1].input == {"city": "Oslo"}
    assert not emulator.find_all(marker, "ConverseStream")
