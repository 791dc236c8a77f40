"""The gateway's AWS SDK signs every call for real: against an emulator that verifies SigV4,
the right secret works for every operation (including ARN model ids in the path) and a wrong
one is refused by "Bedrock" and reported as 403."""

import openai
import pytest

from procs import binary, start_server

from .support import APP_PROFILE_ARN, HAIKU35, KEY, Gateway, base_env, gateway_argv, user


@pytest.fixture(scope="module")
def verifying_emulator():
    with start_server([binary("bedrock-emulator"), "--port", "0", "--verify-sigv4"], timeout=30) as server:
        yield server.base_url


def test_signed_calls_pass_verification(verifying_emulator):
    gateway = Gateway(gateway_argv(), base_env(verifying_emulator))
    try:
        gateway.wait_for_models()
        with gateway.client() as client:
            assert client.chat.completions.create(model=HAIKU35, messages=user("hi")).choices[0].message.content
            chunks = list(client.chat.completions.create(model=APP_PROFILE_ARN, messages=user("hi"), stream=True))
            assert chunks[-1].choices[0].finish_reason == "stop"
            assert client.embeddings.create(model="cohere.embed-english-v3", input="hi").data[0].embedding
    finally:
        gateway.cleanup()


def test_a_wrong_secret_is_refused(verifying_emulator):
    env = base_env(verifying_emulator, AWS_SECRET_ACCESS_KEY="not-the-secret")
    gateway = Gateway(gateway_argv(), env)
    try:
        with gateway.client(key=KEY) as client, pytest.raises(openai.PermissionDeniedError) as raised:
            client.chat.completions.create(model="anthropic.claude-3-haiku-20240307-v1:0", messages=user("hi"))
        assert raised.value.status_code == 403
    finally:
        gateway.cleanup()
