"""What coding agents (Cline, Roo Code…) send, through the openai package: Anthropic-style
`cache_control` on any message's parts, and system prompts to models that reject them."""

import openai
import pytest


pytestmark = pytest.mark.timeout(60)

SONNET37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"
CACHE_POINT = {"cachePoint": {"type": "default"}}


def marked(text):
    return {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}


def sent(emulator, marker, operation="Converse"):
    return emulator.find(marker, operation)["body"]


def test_cache_control_on_a_system_part_becomes_a_system_cache_point(client, emulator, marker):
    messages = [
        {"role": "system", "content": [marked("You are Cline, a long system prompt."), {"type": "text", "text": "Mode: act"}]},
        {"role": "user", "content": f"{marker}\n#usage cacheRead=1200 cacheWrite=0"},
    ]
    usage = client.chat.completions.create(model=SONNET37, messages=messages).usage
    system = sent(emulator, marker)["system"]
    assert system == [{"text": "You are Cline, a long system prompt."}, CACHE_POINT, {"text": "Mode: act"}]
    assert usage.prompt_tokens_details.cached_tokens == 1200


def test_cache_control_on_developer_assistant_and_tool_messages(client, emulator, marker):
    tool_call = {"id": "call_1", "type": "function", "function": {"name": "read_file", "arguments": "{\"path\":\"a\"}"}}
    messages = [
        {"role": "developer", "content": [marked("rules")]},
        {"role": "user", "content": "read a"},
        {"role": "assistant", "content": [marked("Reading it.")], "tool_calls": [tool_call]},
        {"role": "tool", "tool_call_id": "call_1", "content": [marked("file body")]},
        {"role": "user", "content": marker},
    ]
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    client.chat.completions.create(model=SONNET37, messages=messages, tools=tools)
    body = sent(emulator, marker)
    assert body["system"] == [{"text": "rules"}, CACHE_POINT]
    assistant = body["messages"][1]["content"]
    assert assistant[0] == {"text": "Reading it."} and assistant[1] == CACHE_POINT and "toolUse" in assistant[2]
    tool_turn = body["messages"][2]["content"]
    assert "toolResult" in tool_turn[0] and tool_turn[1] == CACHE_POINT
    points = sum(block == CACHE_POINT for m in body["messages"] for block in m["content"]) + body["system"].count(CACHE_POINT)
    assert points <= 4


def test_cache_control_is_dropped_for_models_without_prompt_caching(client, emulator, marker):
    llama = "meta.llama3-1-8b-instruct-v1:0"
    client.chat.completions.create(model=llama, messages=[{"role": "system", "content": [marked("rules")]},
                                                          {"role": "user", "content": marker}])
    body = sent(emulator, marker)
    assert body["system"] == [{"text": "rules"}]


@pytest.mark.parametrize("model", [
    "mistral.mistral-7b-instruct-v0:2",
    "mistral.mixtral-8x7b-instruct-v0:1",
    "amazon.titan-text-express-v1",
])
@pytest.mark.parametrize("stream", [False, True])
def test_system_prompts_fold_into_the_first_user_turn_where_unsupported(client, emulator, marker, model, stream):
    messages = [{"role": "system", "content": "Answer in French."}, {"role": "user", "content": marker}]
    reply = client.chat.completions.create(model=model, messages=messages, stream=stream)
    if stream:
        text = "".join(c.choices[0].delta.content or "" for c in reply if c.choices)
    else:
        text = reply.choices[0].message.content
    assert marker in text
    body = sent(emulator, marker, "ConverseStream" if stream else "Converse")
    assert "system" not in body or body["system"] == []
    assert body["messages"][0]["content"][0] == {"text": "Answer in French."}


def test_documents_to_a_model_without_document_chat_are_a_clear_400(client, marker):
    pdf = {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQK"}}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="us.amazon.nova-micro-v1:0",
                                       messages=[{"role": "user", "content": [{"type": "text", "text": marker}, pdf]}])
    error = caught.value.body
    assert "documents" in error["message"] and error["param"] == "messages[0].content[1]"
