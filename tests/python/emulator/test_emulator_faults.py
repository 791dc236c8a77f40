"""Per-model faults: `--fail-model MODEL=KIND[:COUNT]` (and BEDROCK_EMULATOR_FAIL_MODELS),
`/_emulator/faults` at run time, and the stream faults of the script, seen through boto3."""

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from emu_support import ACCESS_KEY, NOVA_LITE, REGION, SECRET_KEY, http, user
from procs import binary, start_server

NOVA_MICRO = "amazon.nova-micro-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
TITAN_V2 = "amazon.titan-embed-text-v2:0"


def single_try_runtime(base_url):
    """A runtime client that never retries (each call is one HTTP call, as faults count them)."""
    config = Config(retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=20, connect_timeout=5)
    return boto3.client("bedrock-runtime", region_name=REGION, endpoint_url=base_url,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, config=config)


@pytest.fixture
def runtime(emulator):
    return single_try_runtime(emulator.base_url)


def error_code(call) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call()
    return caught.value.response["Error"]["Code"]


def converse(runtime, model, text="hi"):
    return runtime.converse(modelId=model, messages=user(text))


def test_flags_fail_the_named_models():
    argv = [binary("bedrock-emulator"), "--port", "0", "--fail-model", f"{NOVA_LITE}=unavailable:2",
            "--fail-model", f"{TITAN_V2}=throttling,{NOVA_MICRO}=input-too-long", "--deny-model", NOVA_PRO]
    with start_server(argv) as server:
        runtime = single_try_runtime(server.base_url)
        # A burst: the first two calls fail, then the model answers.
        assert error_code(lambda: converse(runtime, NOVA_LITE)) == "ServiceUnavailableException"
        assert error_code(lambda: runtime.converse_stream(modelId=NOVA_LITE, messages=user("x"))) == (
            "ServiceUnavailableException"
        )
        assert converse(runtime, NOVA_LITE)["stopReason"] == "end_turn"
        # Uncounted: every call, every runtime operation.
        for _ in range(2):
            assert error_code(lambda: runtime.invoke_model(modelId=TITAN_V2, body=b'{"inputText": "a"}')) == (
                "ThrottlingException"
            )
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            converse(runtime, NOVA_MICRO)
        assert caught.value.response["Error"] == {
            "Code": "ValidationException", "Message": "Input is too long for requested model."
        }
        assert error_code(lambda: converse(runtime, NOVA_PRO)) == "AccessDeniedException"
        status, _, body = http(server.base_url, "GET", "/_emulator/faults")
        assert status == 200
        kinds = {f["model"]: (f["kind"], f["remaining"]) for f in body["faults"]}
        assert kinds == {
            TITAN_V2: ("throttling", None),
            NOVA_MICRO: ("input-too-long", None),
            NOVA_PRO: ("access-denied", None),
        }


def test_the_environment_variable_fails_the_named_models():
    env = {"BEDROCK_EMULATOR_FAIL_MODELS": f"{NOVA_MICRO}=input-too-long,{NOVA_LITE}=quota:1"}
    with start_server([binary("bedrock-emulator"), "--port", "0"], env=env) as server:
        runtime = single_try_runtime(server.base_url)
        assert error_code(lambda: converse(runtime, NOVA_MICRO)) == "ValidationException"
        assert error_code(lambda: converse(runtime, NOVA_LITE)) == "ServiceQuotaExceededException"
        assert converse(runtime, NOVA_LITE)["stopReason"] == "end_turn"


def test_a_bad_fail_model_flag_stops_the_emulator_with_a_message():
    with pytest.raises(RuntimeError, match="unknown error kind"):
        start_server([binary("bedrock-emulator"), "--port", "0", "--fail-model", "m=sometimes"], timeout=10)


def test_faults_are_added_and_cleared_at_run_time(emulator, runtime):
    url = emulator.base_url
    try:
        status, _, body = http(url, "POST", "/_emulator/faults", {"model": NOVA_LITE, "kind": "internal", "count": 1})
        assert status == 200 and body["faults"] == [{"model": NOVA_LITE, "kind": "internal", "remaining": 1}]
        status, _, body = http(url, "POST", "/_emulator/faults", {"spec": f"{NOVA_MICRO}=model-timeout"})
        assert status == 200 and len(body["faults"]) == 2
        status, _, body = http(url, "POST", "/_emulator/faults", {"model": NOVA_LITE, "kind": "bogus"})
        assert status == 400 and "unknown error kind" in body["message"]
        assert error_code(lambda: converse(runtime, NOVA_LITE)) == "InternalServerException"
        assert converse(runtime, NOVA_LITE)["stopReason"] == "end_turn"
        assert error_code(lambda: converse(runtime, NOVA_MICRO)) == "ModelTimeoutException"
    finally:
        status, _, body = http(url, "DELETE", "/_emulator/faults")
    assert status == 200 and body == {"faults": []}
    assert converse(runtime, NOVA_MICRO)["stopReason"] == "end_turn"


def stream_events(runtime, text):
    """The events of a ConverseStream until it fails: (event names, the error)."""
    names = []
    # botocore raises ChecksumMismatch, struct.error or urllib3's ProtocolError, by fault.
    with pytest.raises(Exception) as caught:  # noqa: B017
        for event in runtime.converse_stream(modelId=NOVA_LITE, messages=user(text))["stream"]:
            names.extend(event)
    return names, caught.value


@pytest.mark.parametrize("directive", ["#corrupt-frame 2", "#malformed-frame 2", "#reset-after 2"])
def test_broken_stream_frames_fail_the_sdk_after_the_frames_before_them(runtime, emulator, directive):
    names, _ = stream_events(runtime, f"hi\n#words 9\n{directive}")
    expected = ["messageStart"] if directive != "#reset-after 2" else ["messageStart", "contentBlockDelta"]
    assert names == expected
