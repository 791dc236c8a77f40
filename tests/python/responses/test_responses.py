"""`POST /responses` through the official openai SDK: text, tools, images, structured
output, reasoning round trips, stored state and per-key isolation."""

import base64
import json

import openai
import pydantic
import pytest

from gateway.support import HAIKU35, KEY2, SONNET45_GLOBAL, words

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def converse_body(emulator, marker):
    return emulator.find(marker)["body"]


def test_text_input_and_usage(client, marker):
    response = client.responses.create(model=HAIKU35, input=f"hello {marker}")
    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.output_text == f"You said: hello {marker}"
    assert response.output[0].type == "message" and response.output[0].role == "assistant"
    usage = response.usage
    assert usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.total_tokens == usage.input_tokens + usage.output_tokens
    assert usage.input_tokens_details.cached_tokens == 0
    assert usage.output_tokens_details.reasoning_tokens == 0


def test_instructions_and_message_items(client, emulator, marker):
    response = client.responses.create(
        model=HAIKU35,
        instructions="Be brief.",
        input=[
            {"role": "developer", "content": "Answer in English."},
            {"role": "user", "content": [{"type": "input_text", "text": f"first {marker}"}]},
            {"role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"role": "user", "content": f"second {marker}"},
        ],
        temperature=0.2,
        max_output_tokens=500,
        metadata={"team": "a"},
        user="u-1",
    )
    assert response.output_text == f"You said: second {marker}"
    assert response.metadata == {"team": "a"} and response.max_output_tokens == 500
    body = converse_body(emulator, marker)
    assert [s["text"] for s in body["system"]] == ["Be brief.", "Answer in English."]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]
    assert body["inferenceConfig"]["maxTokens"] == 500
    assert body["inferenceConfig"]["temperature"] == pytest.approx(0.2)


def test_full_tool_loop_stateless(client, emulator, marker):
    first = client.responses.create(
        model=HAIKU35,
        input=[{"role": "user", "content": f'weather? {marker}\n#tool get_weather {{"city": "Paris"}}'}],
        tools=[WEATHER],
        tool_choice="auto",
        store=False,
    )
    calls = [item for item in first.output if item.type == "function_call"]
    assert len(calls) == 1 and calls[0].name == "get_weather"
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    assert calls[0].call_id and calls[0].id.startswith("fc_")
    second = client.responses.create(
        model=HAIKU35,
        input=[
            {"role": "user", "content": f"weather? {marker}"},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": calls[0].call_id, "output": "sunny, 21 C"},
        ],
        tools=[WEATHER],
        store=False,
    )
    assert second.output_text == "You said: Tool result: sunny, 21 C"
    body = converse_body(emulator, "sunny, 21 C")
    assert body["messages"][1]["content"][-1]["toolUse"]["name"] == "get_weather"
    assert body["messages"][2]["content"][0]["toolResult"]["toolUseId"] == calls[0].call_id


def test_tool_loop_with_previous_response_id(client, marker):
    first = client.responses.create(
        model=HAIKU35, input=f'{marker}\n#tool get_weather {{"city": "Oslo"}}', tools=[WEATHER]
    )
    call = next(item for item in first.output if item.type == "function_call")
    second = client.responses.create(
        model=HAIKU35,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": f"snow {marker}"}],
        tools=[WEATHER],
    )
    assert second.previous_response_id == first.id
    assert second.output_text == f"You said: Tool result: snow {marker}"
    third = client.responses.create(model=HAIKU35, previous_response_id=second.id, input=f"thanks {marker}")
    assert third.output_text == f"You said: thanks {marker}"


def test_namespace_tools_are_flattened_and_tool_choice_forces(client, emulator, marker):
    group = {"type": "namespace", "name": "weather", "description": "weather tools", "tools": [WEATHER]}
    response = client.responses.create(
        model=HAIKU35,
        input=f"any {marker}",
        tools=[group],
        tool_choice={"type": "function", "name": "get_weather"},
        parallel_tool_calls=False,
    )
    call = response.output[-1]
    assert call.type == "function_call" and call.name == "get_weather"
    assert call.model_dump().get("namespace") == "weather", "the call names the group of its function"
    body = converse_body(emulator, marker)
    assert [t["toolSpec"]["name"] for t in body["toolConfig"]["tools"]] == ["get_weather"]
    assert body["toolConfig"]["toolChoice"] == {"tool": {"name": "get_weather"}}


@pytest.mark.parametrize("tool", ["web_search", "file_search", "code_interpreter", "computer_use_preview"])
def test_built_in_tools_are_refused_by_name(client, tool):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=HAIKU35, input="hi", tools=[{"type": tool}])
    error = caught.value.body
    assert tool in error["message"]
    assert error["param"] == "tools[0].type"


def test_image_input(client, emulator, marker):
    data_url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    response = client.responses.create(
        model=SONNET45_GLOBAL,
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": f"what is this {marker}"},
                    {"type": "input_image", "image_url": data_url},
                ],
            }
        ],
    )
    assert response.status == "completed"
    content = converse_body(emulator, marker)["messages"][0]["content"]
    assert content[1]["image"]["format"] == "png"


def test_private_image_urls_are_refused(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=SONNET45_GLOBAL,
            input=[{"role": "user", "content": [{"type": "input_image", "image_url": "http://169.254.169.254/x.png"}]}],
        )
    assert "non-public" in caught.value.body["message"]
    assert caught.value.body["param"] == "input[0].content[0].image_url"


class Person(pydantic.BaseModel):
    name: str
    city: str


def test_structured_output_with_parse(client, emulator, marker):
    parsed = client.responses.parse(model=HAIKU35, input=f"who {marker}", text_format=Person)
    assert isinstance(parsed.output_parsed, Person)
    assert parsed.output_parsed.name and parsed.output_parsed.city
    assert [item.type for item in parsed.output] == ["message"]
    body = converse_body(emulator, marker)
    assert "tool" in body["toolConfig"]["toolChoice"]


def test_json_object_format(client, marker):
    response = client.responses.create(
        model=HAIKU35, input=f'{marker}\n#json {{"ok": true}}', text={"format": {"type": "json_object"}}
    )
    assert json.loads(response.output_text) is not None


def test_reasoning_with_encrypted_content_round_trip(client, emulator, marker):
    first = client.responses.create(
        model=SONNET45_GLOBAL,
        input=[{"role": "user", "content": f'{marker}\n#tool get_weather {{"city": "Rome"}}'}],
        tools=[WEATHER],
        reasoning={"effort": "medium", "summary": "auto"},
        include=["reasoning.encrypted_content"],
        store=False,
    )
    kinds = [item.type for item in first.output]
    assert kinds[0] == "reasoning" and kinds[-1] == "function_call", kinds
    reasoning = first.output[0]
    assert reasoning.encrypted_content and reasoning.summary[0].text
    assert 0 < first.usage.output_tokens_details.reasoning_tokens <= first.usage.output_tokens
    request = converse_body(emulator, marker)
    assert request["additionalModelRequestFields"]["thinking"]["type"] in ("enabled", "adaptive")
    call = first.output[-1]
    second_marker = f"{marker}-2"
    client.responses.create(
        model=SONNET45_GLOBAL,
        input=[
            {"role": "user", "content": f"{marker}"},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": second_marker},
        ],
        tools=[WEATHER],
        reasoning={"effort": "medium"},
        include=["reasoning.encrypted_content"],
        store=False,
    )
    assistant = converse_body(emulator, second_marker)["messages"][1]["content"]
    thinking = assistant[0]["reasoningContent"]["reasoningText"]
    assert thinking["text"] == reasoning.content[0].text
    assert thinking["signature"]
    assert "toolUse" in assistant[-1]


def test_encrypted_content_is_not_returned_unless_asked(client, marker):
    response = client.responses.create(model=SONNET45_GLOBAL, input=f"{marker}", reasoning={"effort": "low"})
    reasoning = [item for item in response.output if item.type == "reasoning"]
    assert reasoning and reasoning[0].encrypted_content is None


def test_foreign_encrypted_content_is_a_clear_400(client):
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(
            model=SONNET45_GLOBAL,
            input=[
                {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAA-not-ours"},
                {"role": "user", "content": "hi"},
            ],
        )
    assert caught.value.body["param"] == "input[0].encrypted_content"


def test_max_output_tokens_gives_incomplete(client, marker):
    response = client.responses.create(model=HAIKU35, input=f"{marker}\n#words 40", max_output_tokens=5)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"


def test_pass_through_fields(client, emulator, marker):
    client.responses.create(
        model=HAIKU35,
        input=f"{marker}",
        extra_body={"top_k": 7, "additionalModelRequestFields": {"custom": 1}},
    )
    fields = converse_body(emulator, marker)["additionalModelRequestFields"]
    assert fields["top_k"] == 7 and fields["custom"] == 1


def test_store_retrieve_input_items_delete(client, marker):
    created = client.responses.create(model=HAIKU35, input=f"keep {marker}")
    fetched = client.responses.retrieve(created.id)
    assert fetched.id == created.id and fetched.output_text == created.output_text
    items = list(client.responses.input_items.list(created.id))
    assert len(items) == 1 and items[0].role == "user"
    assert items[0].content[0].text == f"keep {marker}" if not isinstance(items[0].content, str) else True
    deleted = client.responses.delete(created.id)
    assert deleted is None or getattr(deleted, "deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.delete(created.id)


def test_input_items_paging(client, marker):
    created = client.responses.create(
        model=HAIKU35, input=[{"role": "user", "content": f"{marker} {i}"} for i in range(5)]
    )
    page = client.responses.input_items.list(created.id, limit=2, order="asc")
    assert [item.content[0].text if not isinstance(item.content, str) else item.content for item in page.data] == [
        f"{marker} 0",
        f"{marker} 1",
    ]
    assert page.has_more
    everything = list(client.responses.input_items.list(created.id, limit=2))
    assert len(everything) == 5


def test_store_false_keeps_nothing(client, marker):
    created = client.responses.create(model=HAIKU35, input=f"{marker}", store=False)
    assert created.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(created.id)
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model=HAIKU35, input="next", previous_response_id=created.id)
    assert created.id in caught.value.body["message"]


def test_one_key_never_reads_anothers_responses(client, gateway, marker):
    created = client.responses.create(model=HAIKU35, input=f"private {marker}")
    with gateway.client(key=KEY2) as other:
        with pytest.raises(openai.NotFoundError):
            other.responses.retrieve(created.id)
        with pytest.raises(openai.NotFoundError):
            other.responses.delete(created.id)
        with pytest.raises(openai.NotFoundError):
            other.responses.create(model=HAIKU35, input="x", previous_response_id=created.id)
        with pytest.raises(openai.NotFoundError):
            list(other.responses.input_items.list(created.id))
    assert client.responses.retrieve(created.id).output_text == f"You said: private {marker}"


def test_bad_requests_name_the_field(client):
    cases = [
        ({"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
        ({"input": [{"type": "function_call", "name": "f"}]}, "input[0].call_id"),
        ({"input": [{"type": "web_search_call", "id": "ws"}]}, "input[0].type"),
        ({"input": "hi", "max_output_tokens": 0}, "max_output_tokens"),
        ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-1"}]}]}, "input[0].content[0].file_data"),
    ]
    for extra, param in cases:
        with pytest.raises(openai.BadRequestError) as caught:
            client.responses.create(model=HAIKU35, **extra)
        assert caught.value.body["param"] == param, (extra, caught.value.body)
        assert caught.value.body["type"] == "invalid_request_error"


def test_upstream_errors_keep_their_status(client):
    with pytest.raises(openai.RateLimitError):
        client.responses.create(model=HAIKU35, input="#error throttling")
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no.such-model-v1:0", input="hi")


def test_words_answer_exactly(client, marker):
    response = client.responses.create(model=HAIKU35, input=f"{marker}\n#words 12")
    assert response.output_text == words(12)
