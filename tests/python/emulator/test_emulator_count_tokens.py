"""CountTokens through boto3: Claude models by bare foundation id (or its ARN), Converse and
InvokeModel inputs; profiles, other providers and unknown ids fail as on Bedrock."""

import json

import pytest
from botocore.exceptions import ClientError

from emu_support import user

HAIKU = "anthropic.claude-3-5-haiku-20241022-v1:0"


def test_converse_input(runtime):
    out = runtime.count_tokens(modelId=HAIKU, input={"converse": {
        "system": [{"text": "be brief"}], "messages": user("one two three")}})
    assert out["inputTokens"] == 5
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"
    assert runtime.count_tokens(modelId=arn, input={"converse": {"messages": user("x")}})["inputTokens"] == 1


def test_invoke_model_input(runtime):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5,
                       "messages": [{"role": "user", "content": "a b c"}]})
    assert runtime.count_tokens(modelId=HAIKU, input={"invokeModel": {"body": body}})["inputTokens"] == 3


@pytest.mark.parametrize(("model_id", "code"), [
    (f"us.{HAIKU}", "ValidationException"),
    ("amazon.nova-lite-v1:0", "ValidationException"),
    ("no.such-model-v1:0", "ResourceNotFoundException"),
])
def test_unsupported_models(runtime, model_id, code):
    with pytest.raises(ClientError) as raised:
        runtime.count_tokens(modelId=model_id, input={"converse": {"messages": user("x")}})
    assert raised.value.response["Error"]["Code"] == code


def test_converse_input_is_validated(runtime):
    with pytest.raises(ClientError) as raised:
        runtime.count_tokens(modelId=HAIKU, input={"converse": {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}})
    assert raised.value.response["Error"]["Code"] == "ValidationException"
