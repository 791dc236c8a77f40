"""Every error kind as the modeled boto3 exception with its HTTP status, and validation rules."""

import base64
import json

import pytest
from emu_support import NOVA_LITE, SONNET_45, US_SONNET_45, http, user

pytestmark = pytest.mark.timeout(30)

KINDS = [
    ("throttling", "ThrottlingException", 429),
    ("validation", "ValidationException", 400),
    ("access-denied", "AccessDeniedException", 403),
    ("not-found", "ResourceNotFoundException", 404),
    ("model-timeout", "ModelTimeoutException", 408),
    ("model-error", "ModelErrorException", 424),
    ("model-not-ready", "ModelNotReadyException", 429),
    ("internal", "InternalServerException", 500),
    ("unavailable", "ServiceUnavailableException", 503),
    ("quota", "ServiceQuotaExceededException", 400),
]


@pytest.mark.parametrize("kind, name, status", KINDS)
def test_scripted_errors_on_converse(runtime, kind, name, status):
    with pytest.raises(getattr(runtime.exceptions, name)) as raised:
        runtime.converse(modelId=NOVA_LITE, messages=user(f"#error {kind}"))
    assert raised.value.response["Error"]["Code"] == name
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert raised.value.response["Error"]["Message"]


@pytest.mark.parametrize("kind, name, status", KINDS)
def test_scripted_errors_on_invoke(runtime, kind, name, status):
    body = json.dumps({"inputText": f"#error {kind}"})
    with pytest.raises(getattr(runtime.exceptions, name)) as raised:
        runtime.invoke_model(modelId="amazon.titan-embed-text-v2:0", body=body)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


def test_unknown_model(runtime):
    with pytest.raises(runtime.exceptions.ResourceNotFoundException):
        runtime.converse(modelId="acme.unknown-model-v1:0", messages=user("hi"))


def test_profile_only_model_by_base_id(runtime):
    with pytest.raises(runtime.exceptions.ValidationException, match="on-demand throughput isn.t supported") as raised:
        runtime.converse(modelId=SONNET_45, messages=user("hi"))
    assert "inference profile" in str(raised.value)


def test_embedding_model_on_converse(runtime):
    with pytest.raises(runtime.exceptions.ValidationException):
        runtime.converse(modelId="cohere.embed-english-v3", messages=user("hi"))


def tool_use_turn(tool_id="tooluse_1"):
    return {"role": "assistant", "content": [{"toolUse": {"toolUseId": tool_id, "name": "f", "input": {}}}]}


TOOLS = {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": {"type": "object"}}}}]}
GOOD_IMAGE = base64.b64decode(b"R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

CASES = {
    "empty messages": (NOVA_LITE, {"messages": []}, "must start with a user message"),
    "assistant first": (NOVA_LITE, {"messages": [{"role": "assistant", "content": [{"text": "x"}]}]}, "start with a user message"),
    "roles do not alternate": (NOVA_LITE, {"messages": user("a") + user("b")}, "alternate between user and assistant"),
    "empty content": (NOVA_LITE, {"messages": [{"role": "user", "content": []}]}, "is empty"),
    "blank text": (NOVA_LITE, {"messages": user("   ")}, "messages.0.content.0 is blank"),
    "image bytes are not an image": (NOVA_LITE, {"messages": user("x", {"image": {"format": "png", "source": {"bytes": b"not an image"}}})}, "not a valid png"),
    "image format mismatch": (NOVA_LITE, {"messages": user("x", {"image": {"format": "png", "source": {"bytes": GOOD_IMAGE}}})}, "is gif"),
    "images unsupported": ("amazon.nova-micro-v1:0", {"messages": user("x", {"image": {"format": "gif", "source": {"bytes": GOOD_IMAGE}}})}, "image"),
    "tool result without tool use": (NOVA_LITE, {"messages": [{"role": "user", "content": [{"toolResult": {"toolUseId": "nope", "content": [{"text": "r"}]}}]}], "toolConfig": TOOLS}, "toolUseId nope"),
    "tool use without toolConfig": (NOVA_LITE, {"messages": user("a") + [tool_use_turn()] + [{"role": "user", "content": [{"toolResult": {"toolUseId": "tooluse_1", "content": [{"text": "r"}]}}]}]}, "toolConfig field must be defined"),
    "missing tool result": (NOVA_LITE, {"messages": user("a") + [tool_use_turn()] + user("b"), "toolConfig": TOOLS}, "Expected toolResult blocks"),
    "temperature out of range": (NOVA_LITE, {"messages": user("a"), "inferenceConfig": {"temperature": 1.5}}, "temperature"),
    "top_p out of range": (NOVA_LITE, {"messages": user("a"), "inferenceConfig": {"topP": 2.0}}, "topP"),
    "too many stop sequences": (NOVA_LITE, {"messages": user("a"), "inferenceConfig": {"stopSequences": ["a", "b", "c", "d", "e"]}}, "stopSequences"),
    "blank system": (NOVA_LITE, {"messages": user("a"), "system": [{"text": " "}]}, "system.0 is blank"),
    "system unsupported": ("amazon.titan-text-express-v1", {"messages": user("a"), "system": [{"text": "s"}]}, "doesn't support system messages"),
    "tools unsupported": ("mistral.mistral-7b-instruct-v0:2", {"messages": user("a"), "toolConfig": TOOLS}, "doesn't support tool use"),
    "tool choice unsupported": ("meta.llama3-1-70b-instruct-v1:0", {"messages": user("a"), "toolConfig": {**TOOLS, "toolChoice": {"any": {}}}}, "toolChoice"),
    "bad tool name": (NOVA_LITE, {"messages": user("a"), "toolConfig": {"tools": [{"toolSpec": {"name": "bad name!", "inputSchema": {"json": {}}}}]}}, "toolSpec.name"),
    "schema not an object": (NOVA_LITE, {"messages": user("a"), "toolConfig": {"tools": [{"toolSpec": {"name": "f", "inputSchema": {"json": [1]}}}]}}, "must be a JSON object"),
    "temperature with top_p on 4.5": (US_SONNET_45, {"messages": user("a"), "inferenceConfig": {"temperature": 0.5, "topP": 0.5}}, "cannot both be specified"),
    "thinking budget too small": (US_SONNET_45, {"messages": user("a"), "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 100}}}, "budget_tokens"),
    "thinking budget above max tokens": (US_SONNET_45, {"messages": user("a"), "inferenceConfig": {"maxTokens": 2000}, "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 4000}}}, "max_tokens"),
    "thinking with temperature": (US_SONNET_45, {"messages": user("a"), "inferenceConfig": {"temperature": 0.2}, "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}}, "temperature"),
    "bad directive": (NOVA_LITE, {"messages": user("#words lots")}, "Invalid emulator directive"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_validation(runtime, name):
    model, kwargs, message = CASES[name]
    with pytest.raises(runtime.exceptions.ValidationException, match=message) as raised:
        runtime.converse(modelId=model, **kwargs)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_top_level_field_rejected(emulator):
    status, headers, body = http(
        emulator.base_url,
        "POST",
        f"/model/{NOVA_LITE}/converse",
        {"messages": user("a"), "bogus": 1},
        {"Authorization": "Bearer x", "Content-Type": "application/json"},
    )
    assert status == 400
    assert headers["x-amzn-ErrorType"].startswith("ValidationException:")
    assert "bogus" in body["message"]


def test_error_body_and_headers(emulator):
    status, headers, body = http(emulator.base_url, "POST", "/model/acme.none-v1/converse", {"messages": user("a")}, {"Authorization": "Bearer x"})
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-ErrorType"].split(":")[0] == "ResourceNotFoundException"
    assert set(body) == {"message"}


def test_invalid_json_is_malformed_input(emulator):
    status, _, body = http(emulator.base_url, "POST", f"/model/{NOVA_LITE}/converse", b"{not json", {"Authorization": "Bearer x"})
    assert status == 400 and "Malformed input request" in body["message"]
