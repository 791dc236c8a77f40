"""Authentication: SigV4 verification on/off, Bedrock API keys (Bearer), missing credentials."""

import pytest
from botocore.exceptions import ClientError

from emu_support import NOVA_LITE, http, make_client, user

pytestmark = pytest.mark.timeout(30)


def test_right_secret_passes(verifying_emulator):
    runtime = make_client("bedrock-runtime", verifying_emulator.base_url)
    assert runtime.converse(modelId=NOVA_LITE, messages=user("signed"))["stopReason"] == "end_turn"
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-lite-v1:0"
    assert runtime.converse(modelId=arn, messages=user("signed"))["stopReason"] == "end_turn"
    control = make_client("bedrock", verifying_emulator.base_url)
    assert control.list_inference_profiles(maxResults=3, typeEquals="SYSTEM_DEFINED")["inferenceProfileSummaries"]
    assert control.list_foundation_models(byProvider="Amazon")["modelSummaries"]


def test_wrong_secret_rejected(verifying_emulator):
    runtime = make_client("bedrock-runtime", verifying_emulator.base_url, secret_key="not-the-secret")
    with pytest.raises(ClientError) as raised:
        runtime.converse(modelId=NOVA_LITE, messages=user("x"))
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert raised.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert "signature we calculated does not match" in raised.value.response["Error"]["Message"]


def test_unknown_access_key_rejected(verifying_emulator):
    runtime = make_client("bedrock-runtime", verifying_emulator.base_url, access_key="AKIAOTHER")
    with pytest.raises(ClientError) as raised:
        runtime.converse(modelId=NOVA_LITE, messages=user("x"))
    assert raised.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_any_signature_accepted_without_verification(emulator):
    runtime = make_client("bedrock-runtime", emulator.base_url, access_key="AKIAANY", secret_key="whatever")
    assert runtime.converse(modelId=NOVA_LITE, messages=user("x"))["stopReason"] == "end_turn"


def test_missing_authentication(emulator):
    status, headers, body = http(emulator.base_url, "POST", f"/model/{NOVA_LITE}/converse", {"messages": user("x")})
    assert status == 403
    assert headers["x-amzn-ErrorType"].startswith("MissingAuthenticationTokenException")
    assert body == {"message": "Missing Authentication Token"}


@pytest.mark.parametrize("token, status", [("bedrock-api-key-EXAMPLE", 200), ("bedrock-api-key-WRONG", 403)])
def test_bearer_tokens_with_verification(verifying_emulator, token, status):
    got, _, _ = http(verifying_emulator.base_url, "POST", f"/model/{NOVA_LITE}/converse", {"messages": user("x")}, {"Authorization": f"Bearer {token}"})
    assert got == status


def test_any_bearer_without_verification(emulator):
    got, _, body = http(emulator.base_url, "POST", f"/model/{NOVA_LITE}/converse", {"messages": user("x")}, {"Authorization": "Bearer abc"})
    assert got == 200 and body["stopReason"] == "end_turn"


# botocore sends AWS_BEARER_TOKEN_BEDROCK only over HTTPS, so Bearer is exercised with raw HTTP above.
