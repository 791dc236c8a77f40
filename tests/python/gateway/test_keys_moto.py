"""API keys loaded from AWS (SSM Parameter Store and Secrets Manager, served by moto),
while Bedrock stays at the emulator."""

import json
import uuid

import openai
import pytest

from .support import HAIKU35, KEY, base_env, run_gateway, user

pytestmark = pytest.mark.timeout(90)




@pytest.fixture(scope="module")
def aws_keys(moto):
    """Creates the parameter and secrets once; returns their names/ARNs."""
    suffix = uuid.uuid4().hex[:8]
    ssm = moto.client("ssm")
    secrets = moto.client("secretsmanager")
    param = f"/gateway/test/api-keys-{suffix}"
    ssm.put_parameter(Name=param, Value="k-ssm-1, k-ssm-2", Type="SecureString")
    single = secrets.create_secret(Name=f"gateway/single-{suffix}", SecretString=json.dumps({"api_key": "k-secret"}))
    several = secrets.create_secret(
        Name=f"gateway/several-{suffix}", SecretString=json.dumps({"api_keys": ["k-list-a", "k-list-b"]})
    )
    useless = secrets.create_secret(Name=f"gateway/useless-{suffix}", SecretString=json.dumps({"other": "x"}))
    return {
        "param": param,
        "single_arn": single["ARN"],
        "several_name": several["Name"],
        "useless_name": useless["Name"],
        "missing": f"gateway/does-not-exist-{suffix}",
    }


def aws_env(moto, **overrides):
    env = {
        "API_KEY": None,
        "AWS_ENDPOINT_URL_SSM": moto.url,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto.url,
    }
    env.update(overrides)
    return env


def accepts(gw, key) -> bool:
    with gw.client(key=key) as sdk:
        try:
            sdk.models.list()
            return True
        except openai.AuthenticationError:
            return False


def test_keys_from_ssm_parameter(start_gateway, moto, aws_keys, marker):
    gw = start_gateway(wait_key="k-ssm-1", **aws_env(moto, API_KEY_PARAM_NAME=aws_keys["param"]))
    assert accepts(gw, "k-ssm-1")
    assert accepts(gw, "k-ssm-2")
    for wrong in ("k-ssm-1, k-ssm-2", "k-ssm", KEY, "k-secret"):
        assert not accepts(gw, wrong), wrong
    with gw.client(key="k-ssm-2") as sdk:
        response = sdk.chat.completions.create(model=HAIKU35, messages=user(marker))
    assert response.choices[0].message.content == f"You said: {marker}"
    assert "k-ssm-1" not in gw.logs()


def test_key_from_secret_arn(start_gateway, moto, aws_keys):
    gw = start_gateway(wait_key="k-secret", **aws_env(moto, API_KEY_SECRET_ARN=aws_keys["single_arn"]))
    assert accepts(gw, "k-secret")
    assert not accepts(gw, "k-secret-2")
    assert not accepts(gw, KEY)


def test_key_list_from_secret_name(start_gateway, moto, aws_keys):
    gw = start_gateway(wait_key="k-list-a", **aws_env(moto, API_KEY_SECRET_ARN=aws_keys["several_name"]))
    assert accepts(gw, "k-list-a")
    assert accepts(gw, "k-list-b")
    assert not accepts(gw, "k-list-c")


def test_all_key_sources_combine(start_gateway, moto, aws_keys):
    gw = start_gateway(
        **aws_env(
            moto,
            API_KEY=KEY,
            API_KEY_SECRET_ARN=aws_keys["single_arn"],
            API_KEY_PARAM_NAME=aws_keys["param"],
        )
    )
    for key in (KEY, "k-secret", "k-ssm-1", "k-ssm-2"):
        assert accepts(gw, key), key
    assert not accepts(gw, "k-list-a")


def test_check_config_loads_the_keys(emulator, moto, aws_keys):
    env = base_env(emulator.url, **aws_env(moto, API_KEY_SECRET_ARN=aws_keys["single_arn"]))
    result = run_gateway(["--check-config"], env)
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


@pytest.mark.parametrize("args", [["--port", "0"], ["--check-config"]])
def test_missing_secret_stops_the_gateway(emulator, moto, aws_keys, args):
    env = base_env(emulator.url, **aws_env(moto, API_KEY_SECRET_ARN=aws_keys["missing"]))
    result = run_gateway(args, env)
    assert result.returncode != 0
    assert "listening on" not in result.stdout
    assert "configuration OK" not in result.stdout
    assert aws_keys["missing"] in result.stderr, result.stderr
    assert "secret" in result.stderr


def test_missing_parameter_stops_the_gateway(emulator, moto):
    name = f"/gateway/missing-{uuid.uuid4().hex[:8]}"
    env = base_env(emulator.url, **aws_env(moto, API_KEY_PARAM_NAME=name))
    result = run_gateway(["--port", "0"], env)
    assert result.returncode != 0
    assert "listening on" not in result.stdout
    assert name in result.stderr, result.stderr
    assert "parameter" in result.stderr


def test_secret_without_key_fields_stops_the_gateway(emulator, moto, aws_keys):
    env = base_env(emulator.url, **aws_env(moto, API_KEY_SECRET_ARN=aws_keys["useless_name"]))
    result = run_gateway(["--port", "0"], env)
    assert result.returncode != 0
    assert aws_keys["useless_name"] in result.stderr
    assert "api_key" in result.stderr
