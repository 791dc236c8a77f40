"""Chat completions, complete: reasoning, structured output, pass-through fields, prompt
caching, guardrails, documents, remote images and per-model quirks — each checked on both
sides: what the official openai SDK sees, and what the emulated Bedrock received."""

import base64
import json

import openai
import pytest

from procs import QuietHandler, loopback_http

from .support import HAIKU3, HAIKU35, KEY, SONNET45_GLOBAL, user
from .test_chat import tiny_png

SONNET37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
WEATHER = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def sent(emulator, marker, operation="Converse"):
    return emulator.find(marker, operation)["body"]


# ----------------------------------------------------------------------------- reasoning


def test_reasoning_effort_becomes_a_claude_thinking_budget(client, emulator, marker):
    response = client.chat.completions.create(
        model=SONNET37, messages=user(marker), reasoning_effort="low", temperature=0.2, top_p=0.5, max_tokens=6000
    )
    body = sent(emulator, marker)
    assert body["additionalModelRequestFields"]["thinking"] == {"type": "enabled", "budget_tokens": 2048}
    assert body["inferenceConfig"] == {"maxTokens": 6000}, "temperature/top_p dropped, not forwarded to fail"
    message = response.choices[0].message
    assert message.model_extra["reasoning_content"]
    assert message.model_extra["thinking_blocks"][0]["signature"]


def test_reasoning_effort_none_and_models_without_reasoning(client, emulator, marker):
    client.chat.completions.create(model=SONNET37, messages=user(marker), reasoning_effort="none")
    assert "additionalModelRequestFields" not in sent(emulator, marker)
    client.chat.completions.create(model=HAIKU35, messages=user(marker + " b"), reasoning_effort="high")
    assert "additionalModelRequestFields" not in sent(emulator, marker + " b")


def test_thinking_and_tool_use_over_several_turns(client, emulator, marker):
    """The reference's open bug (#119): thinking blocks must come back with their signatures."""
    first = client.chat.completions.create(
        model=SONNET37,
        messages=user(f"{marker}\n#tool get_weather {{\"city\": \"Paris\"}}"),
        tools=WEATHER,
        reasoning_effort="low",
    )
    assistant = first.choices[0].message
    assert assistant.tool_calls and assistant.model_extra["thinking_blocks"]
    history = [
        {"role": "user", "content": f"{marker} weather?"},
        assistant.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": assistant.tool_calls[0].id, "content": "sunny"},
    ]
    second = client.chat.completions.create(model=SONNET37, messages=history, tools=WEATHER, reasoning_effort="low")
    assert second.choices[0].finish_reason == "stop"
    turn = sent(emulator, f"{marker} weather?")["messages"][1]["content"]
    assert "reasoningContent" in turn[0] and turn[0]["reasoningContent"]["reasoningText"]["signature"]
    # Without the thinking block Bedrock refuses, as the real service does.
    stripped = dict(history[1])
    stripped.pop("thinking_blocks")
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=SONNET37, messages=[history[0], stripped, history[2]], tools=WEATHER,
                                       reasoning_effort="low")


def test_reasoning_streams_as_reasoning_content_or_think_tags(client, marker):
    chunks = list(client.chat.completions.create(model=SONNET45_GLOBAL, messages=user(f"{marker}\n#think"), stream=True))
    reasoning = "".join(c.choices[0].delta.model_extra.get("reasoning_content") or "" for c in chunks if c.choices)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert reasoning and content == f"You said: {marker}"
    signed = [c.choices[0].delta.model_extra["thinking_blocks"] for c in chunks
              if c.choices and c.choices[0].delta.model_extra.get("thinking_blocks")]
    assert signed and signed[0][0]["thinking"] == reasoning
    tagged = list(client.chat.completions.create(model=SONNET45_GLOBAL, messages=user(f"{marker}\n#think"), stream=True,
                                                 extra_body={"reasoning_format": "think_tags"}))
    text = "".join(c.choices[0].delta.content or "" for c in tagged if c.choices)
    assert text == f"<think>{reasoning}</think>You said: {marker}"


def test_think_tags_configured_for_the_gateway(start_gateway, marker):
    gateway = start_gateway(REASONING_FORMAT="think_tags")
    with gateway.client() as client:
        message = client.chat.completions.create(model=SONNET45_GLOBAL, messages=user(f"{marker}\n#think")).choices[0].message
    assert message.content.startswith("<think>") and message.content.endswith(f"</think>You said: {marker}")
    assert "reasoning_content" not in message.model_extra


# ----------------------------------------------------------------------------- structured output


PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
          "required": ["name", "age"]}


@pytest.mark.parametrize("stream", [False, True])
def test_json_schema_response_format(client, emulator, marker, stream):
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": PERSON, "strict": True}}
    prompt = f'{marker}\n#tool person {{"name": "Ada", "age": 36}}'
    response = client.chat.completions.create(model=HAIKU35, messages=user(prompt), response_format=fmt, stream=stream)
    if stream:
        chunks = [c for c in response if c.choices]
        content = "".join(c.choices[0].delta.content or "" for c in chunks)
        finish = chunks[-1].choices[0].finish_reason
        assert not any(c.choices[0].delta.tool_calls for c in chunks)
    else:
        content, finish = response.choices[0].message.content, response.choices[0].finish_reason
        assert response.choices[0].message.tool_calls is None
    assert json.loads(content) == {"name": "Ada", "age": 36}
    assert finish == "stop"
    body = sent(emulator, marker, "ConverseStream" if stream else "Converse")
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "person"}}
    assert body["toolConfig"]["tools"][0]["toolSpec"]["inputSchema"]["json"] == PERSON


def test_json_object_response_format(client, emulator, marker):
    response = client.chat.completions.create(
        model=HAIKU35, messages=user(f'{marker}\n#tool json_response {{"ok": true}}'), response_format={"type": "json_object"}
    )
    assert json.loads(response.choices[0].message.content) == {"ok": True}


def test_langchain_structured_output_and_tools(gateway, emulator, marker):
    from langchain_core.tools import tool
    from langchain_openai import ChatOpenAI
    from pydantic import BaseModel

    class Person(BaseModel):
        name: str
        age: int

    llm = ChatOpenAI(model=HAIKU35, base_url=f"{gateway.url}/v1", api_key=KEY, max_retries=0, timeout=30)
    person = llm.with_structured_output(Person).invoke(f'{marker}\n#tool Person {{"name": "Ada", "age": 36}}')
    assert person == Person(name="Ada", age=36)
    assert sent(emulator, marker)["toolConfig"]["toolChoice"] == {"tool": {"name": "Person"}}

    @tool
    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    ai = llm.bind_tools([get_weather]).invoke(f'{marker} b\n#tool get_weather {{"city": "Paris"}}')
    assert ai.tool_calls[0]["name"] == "get_weather" and ai.tool_calls[0]["args"] == {"city": "Paris"}
    spec = sent(emulator, f"{marker} b")["toolConfig"]["tools"][0]["toolSpec"]
    assert spec["name"] == "get_weather" and spec["description"] == "The weather in a city."


# ----------------------------------------------------------------------------- tools


def test_parallel_tool_calls_stream_with_contiguous_indexes(client, marker):
    prompt = f'{marker}\n#tool get_weather {{"city": "Paris"}}\n#tool get_weather {{"city": "Oslo"}}'
    chunks = [c for c in client.chat.completions.create(model=HAIKU35, messages=user(prompt), tools=WEATHER, stream=True)
              if c.choices]
    calls = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            entry = calls.setdefault(delta.index, {"id": delta.id, "name": delta.function.name, "args": ""})
            entry["args"] += delta.function.arguments or ""
    assert sorted(calls) == [0, 1]
    assert [json.loads(calls[i]["args"])["city"] for i in (0, 1)] == ["Paris", "Oslo"]
    assert all(c["id"] and c["name"] == "get_weather" for c in calls.values())
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_tools_without_description_or_parameters(client, emulator, marker):
    tools = [{"type": "function", "function": {"name": "ping", "description": ""}}]
    client.chat.completions.create(model=HAIKU35, messages=user(marker), tools=tools)
    spec = sent(emulator, marker)["toolConfig"]["tools"][0]["toolSpec"]
    assert "description" not in spec
    assert spec["inputSchema"]["json"] == {"type": "object", "properties": {}}


def test_bad_tool_history_gets_clear_400s(client):
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{not json"}}
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=HAIKU35, tools=WEATHER,
            messages=[{"role": "user", "content": "q"}, {"role": "assistant", "tool_calls": [call]}])
    assert raised.value.param == "messages[1].tool_calls[0].function.arguments"
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model=HAIKU35, messages=[{"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "x", "content": "r"}])
    assert raised.value.param == "messages[1].tool_call_id"
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU35, messages=[{"role": "assistant", "content": "hi"}])
    assert raised.value.param == "messages[0].role"


# ----------------------------------------------------------------------------- pass-through, caching, guardrails


def test_extra_body_at_top_level_and_literal(client, emulator, marker):
    client.chat.completions.create(model=SONNET37, messages=user(marker), extra_body={"top_k": 5, "unknown_field": 1})
    body = sent(emulator, marker)
    assert body["additionalModelRequestFields"] == {"top_k": 5}, "unknown fields are never forwarded"
    client.chat.completions.create(model=SONNET37, messages=user(marker + " b"),
                                   extra_body={"extra_body": {"additionalModelRequestFields": {"top_k": 7}}})
    assert sent(emulator, marker + " b")["additionalModelRequestFields"] == {"top_k": 7}


def test_prompt_caching_per_request_and_cache_control(client, emulator, marker):
    messages = [{"role": "system", "content": "long rules"}, {"role": "user", "content": marker}]
    client.chat.completions.create(model=SONNET37, messages=messages,
                                   extra_body={"prompt_caching": {"system": True, "messages": True}})
    body = sent(emulator, marker)
    assert body["system"][-1] == {"cachePoint": {"type": "default"}}
    assert body["messages"][-1]["content"][-1] == {"cachePoint": {"type": "default"}}
    parts = [{"type": "text", "text": f"{marker} c", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "q"}]
    client.chat.completions.create(model=SONNET37, messages=[{"role": "user", "content": parts}])
    content = sent(emulator, f"{marker} c")["messages"][0]["content"]
    assert content[1] == {"cachePoint": {"type": "default"}} and content[2] == {"text": "q"}


def test_prompt_caching_enabled_by_default_setting(start_gateway, emulator, marker):
    gateway = start_gateway(ENABLE_PROMPT_CACHING="true")
    with gateway.client() as client:
        client.chat.completions.create(model=SONNET37, messages=[{"role": "system", "content": "s"},
                                                                 {"role": "user", "content": marker}])
        system = sent(emulator, marker)["system"]
        usage = client.chat.completions.create(model=SONNET37, messages=user("#usage cacheRead=7 cacheWrite=3")).usage
    assert system[-1] == {"cachePoint": {"type": "default"}}
    assert usage.prompt_tokens_details.cached_tokens == 7
    assert usage.prompt_tokens_details.model_extra["cache_creation_tokens"] == 3


def test_guardrails_configured_and_per_request(start_gateway, client, emulator, marker):
    guard = {"guardrailIdentifier": "gr-123", "guardrailVersion": "2"}
    response = client.chat.completions.create(model=HAIKU35, messages=user(f"{marker}\n#stop guardrail_intervened"),
                                              extra_body={"guardrailConfig": guard})
    assert response.choices[0].finish_reason == "content_filter"
    assert sent(emulator, marker)["guardrailConfig"] == {**guard, "trace": "disabled"}
    gateway = start_gateway(GUARDRAIL_ID="gr-9", GUARDRAIL_VERSION="DRAFT")
    with gateway.client() as configured:
        list(configured.chat.completions.create(model=HAIKU35, messages=user(marker + " s"), stream=True))
    assert sent(emulator, marker + " s", "ConverseStream")["guardrailConfig"]["guardrailIdentifier"] == "gr-9"


# ----------------------------------------------------------------------------- documents and images


def test_pdf_file_part_becomes_a_document(client, emulator, marker):
    pdf = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    part = {"type": "file", "file": {"filename": "Q3 report (final).pdf",
                                     "file_data": "data:application/pdf;base64," + base64.b64encode(pdf).decode()}}
    client.chat.completions.create(model=HAIKU35, messages=[{"role": "user", "content": [{"type": "text", "text": marker}, part]}])
    document = sent(emulator, marker)["messages"][0]["content"][1]["document"]
    assert document["format"] == "pdf" and document["name"] == "Q3 report (final)"
    assert base64.b64decode(document["source"]["bytes"]) == pdf


def image_handler(png):
    """One PNG, one redirect loop and 404s."""

    class Handler(QuietHandler):
        def do_GET(self):
            if self.path == "/cat.png":
                self.send_response(200)
                self.send_header("content-type", "image/png")
                self.send_header("content-length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)
            elif self.path.startswith("/loop"):
                self.send_response(302)
                self.send_header("location", f"/loop{len(self.path)}")
                self.end_headers()
            else:
                self.send_response(404)
                self.end_headers()

    return Handler


@pytest.fixture
def image_server():
    with loopback_http(image_handler(tiny_png())) as url:
        yield url


def image_message(marker, url):
    return [{"role": "user", "content": [{"type": "text", "text": marker}, {"type": "image_url", "image_url": {"url": url}}]}]


def test_remote_images_are_refused_on_private_addresses_by_default(client, image_server, marker):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU3, messages=image_message(marker, f"{image_server}/cat.png"))
    assert raised.value.param == "messages[0].content[1].image_url.url"
    assert "non-public" in raised.value.message
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=HAIKU3, messages=image_message(marker, "http://169.254.169.254/latest/meta-data"))


def test_remote_images_fetched_when_allowed(start_gateway, emulator, image_server, marker):
    gateway = start_gateway(IMAGE_FETCH_ALLOW_PRIVATE="true", IMAGE_FETCH_MAX_BYTES="4096")
    with gateway.client() as client:
        client.chat.completions.create(model=HAIKU3, messages=image_message(marker, f"{image_server}/cat.png"))
        image = sent(emulator, marker)["messages"][0]["content"][1]["image"]
        assert image["format"] == "png" and base64.b64decode(image["source"]["bytes"]) == tiny_png()
        for path, reason in [("/missing.png", "HTTP 404"), ("/loop", "redirect")]:
            with pytest.raises(openai.BadRequestError) as raised:
                client.chat.completions.create(model=HAIKU3, messages=image_message(marker, image_server + path))
            assert reason in raised.value.message
    small = start_gateway(IMAGE_FETCH_ALLOW_PRIVATE="true", IMAGE_FETCH_MAX_BYTES="16")
    with small.client() as client, pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU3, messages=image_message(marker, f"{image_server}/cat.png"))
    assert "larger than 16 bytes" in raised.value.message


# ----------------------------------------------------------------------------- per-model quirks and parameters


def test_temperature_and_top_p_on_claude_45(client, emulator, marker):
    client.chat.completions.create(model=SONNET45_GLOBAL, messages=user(marker), temperature=0.7, top_p=0.9)
    assert sent(emulator, marker)["inferenceConfig"] == {"temperature": pytest.approx(0.7)}


def test_n_above_one_is_rejected_and_ignored_fields_accepted(client, marker):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU35, messages=user(marker), n=2)
    assert raised.value.param == "n"
    response = client.chat.completions.create(
        model=HAIKU35, messages=user(marker), n=1, seed=7, logprobs=True, presence_penalty=0.5, frequency_penalty=0.1,
        user="u-1", parallel_tool_calls=False, store=False, metadata={"k": "v"},
    )
    assert response.choices[0].logprobs is None
    assert response.choices[0].message.content == f"You said: {marker}"
