"""Legacy `POST /completions` through the official `openai` SDK."""

import openai
import pytest

from gateway.support import HAIKU35, KEY


@pytest.fixture(scope="module")
def client(gateway):
    with openai.OpenAI(base_url=gateway.api(), api_key=KEY, max_retries=0, timeout=30) as sdk:
        yield sdk


def test_completion_json(client, emulator, marker):
    completion = client.completions.create(model=HAIKU35, prompt=f"Say {marker}", max_tokens=50, temperature=0.25, stop=["\n\n"])
    assert completion.object == "text_completion" and completion.id.startswith("cmpl-")
    assert completion.choices[0].text == f"You said: Say {marker}"
    assert completion.choices[0].finish_reason == "stop" and completion.choices[0].index == 0
    assert completion.usage.completion_tokens > 0
    body = emulator.find(marker, "Converse")["body"]
    assert body["inferenceConfig"] == {"maxTokens": 50, "temperature": 0.25, "stopSequences": ["\n\n"]}


def test_default_max_tokens_is_16_like_openai(client, emulator, marker):
    completion = client.completions.create(model=HAIKU35, prompt=f"{marker}\n#words 40")
    assert completion.choices[0].finish_reason == "length"
    assert emulator.find(marker, "Converse")["body"]["inferenceConfig"]["maxTokens"] == 16


def test_several_prompts_get_one_choice_each_in_order(client, marker):
    completion = client.completions.create(model=HAIKU35, prompt=[f"a {marker}", f"b {marker}", f"c {marker}"], max_tokens=20)
    assert [c.text for c in completion.choices] == [f"You said: {p} {marker}" for p in "abc"]
    assert [c.index for c in completion.choices] == [0, 1, 2]


def test_completion_stream(client, marker):
    chunks = list(client.completions.create(
        model=HAIKU35, prompt=f"{marker}\n#words 9", max_tokens=100, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert len(text.split()) == 9
    assert all(c.object == "text_completion" for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens == 9


@pytest.mark.parametrize(
    ("extra", "param"),
    [({"echo": True}, "echo"), ({"best_of": 2}, "best_of"), ({"suffix": "end"}, "suffix"),
     ({"logprobs": 3}, "logprobs"), ({"n": 2}, "n")],
)
def test_unsupported_options_are_clear_400s(client, extra, param):
    with pytest.raises(openai.BadRequestError) as raised:
        client.completions.create(model=HAIKU35, prompt="x", **extra)
    assert raised.value.param == param


def test_token_prompts_and_streamed_lists_are_refused(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.completions.create(model=HAIKU35, prompt=[1, 2, 3])
    assert raised.value.param == "prompt"
    with pytest.raises(openai.BadRequestError):
        client.completions.create(model=HAIKU35, prompt=["a", "b"], stream=True)
