"""LiteLLM `config.yaml` files load as they are: every Bedrock example of LiteLLM's proxy
documentation (tests/fixtures/litellm) passes `--check-config`, is listed and served against
the emulator, with the credentials, region, parameters and model ids it names."""

import openai
import pytest
from pytest import approx

from gateway.support import base_env, run_gateway

from .conftest import FIXTURES, chat, signed_with

CUSTOM = {
    "CUSTOM_AWS_ACCESS_KEY_ID": "AKIACUSTOMEXAMPLE",
    "CUSTOM_AWS_SECRET_ACCESS_KEY": "custom-secret",
    "CUSTOM_AWS_REGION_NAME": "eu-west-3",
}
PROFILE = """[profile dev-profile]
aws_access_key_id = AKIAPROFILEEXAMPLE
aws_secret_access_key = profile-secret
"""


def fixture(name: str) -> str:
    return str(FIXTURES / name)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.yaml")))
def test_every_example_passes_check_config(name):
    result = run_gateway(["--check-config", "--config", fixture(name)], base_env(API_KEY="k", AWS_REGION="us-east-1", **CUSTOM))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "configuration OK" in result.stdout
    assert "warning" not in result.stdout


def test_all_eleven_examples_are_there():
    assert len(list(FIXTURES.glob("*.yaml"))) == 11


def served(start_gateway, name, **env):
    gw = start_gateway(CONFIG_FILE=fixture(name), **env)
    return gw, gw.client()


def test_credentials_and_region_from_environment_references(start_gateway, emulator, marker):
    gw, client = served(start_gateway, "01-env-credentials.yaml", **CUSTOM)
    assert "bedrock-claude" in [m.id for m in client.models.list()]
    answer = chat(client, "bedrock-claude", marker)
    assert answer.model == "bedrock-claude"
    record = emulator.find(marker, "Converse")
    assert record["modelId"] == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert signed_with(record) == ("AKIACUSTOMEXAMPLE", "eu-west-3")


def test_file_defaults_apply_and_the_request_wins(start_gateway, emulator, marker):
    _, client = served(start_gateway, "02-temperature-top-p.yaml")
    chat(client, "bedrock-claude", marker + " a")
    # Converse carries floats as f32.
    assert emulator.find(marker + " a", "Converse")["body"]["inferenceConfig"] == approx({"temperature": 0.2, "topP": 0.8})
    chat(client, "bedrock-claude", marker + " b", temperature=0.7, top_p=1)
    assert emulator.find(marker + " b", "Converse")["body"]["inferenceConfig"] == approx({"temperature": 0.7, "topP": 1.0})


def test_provider_specific_params_are_sent_to_the_model(start_gateway, emulator, marker):
    _, client = served(start_gateway, "03-provider-specific.yaml")
    chat(client, "bedrock-claude", marker)
    assert emulator.find(marker, "Converse")["body"]["additionalModelRequestFields"] == {"top_k": 1}


def test_empty_credentials_use_the_default_chain(start_gateway, emulator, marker):
    _, client = served(start_gateway, "04-static-credentials.yaml")
    chat(client, "bedrock-claude", marker)
    assert signed_with(emulator.find(marker, "Converse")) == ("AKIDEXAMPLE", "us-east-1")


@pytest.mark.parametrize("name", ["05-profile-from-environment.yaml", "06-profile-name.yaml"])
def test_profiles(start_gateway, emulator, marker, tmp_path, name):
    config = tmp_path / "aws-config"
    config.write_text(PROFILE)
    env = {"AWS_CONFIG_FILE": str(config)}
    if name.startswith("05"):  # the default chain reads AWS_PROFILE once no keys are in the environment
        env.update(AWS_PROFILE="dev-profile", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    _, client = served(start_gateway, name, **env)
    chat(client, "bedrock-claude", marker)
    assert signed_with(emulator.find(marker, "Converse"))[0] == "AKIAPROFILEEXAMPLE"


@pytest.mark.parametrize("name", ["07-sts-role.yaml", "08-sts-role-with-keys.yaml"])
def test_assumed_roles(start_gateway, emulator, moto, marker, name):
    _, client = served(start_gateway, name, AWS_ENDPOINT_URL_STS=moto.url, **CUSTOM)
    chat(client, "bedrock-claude", marker)
    record = emulator.find(marker, "Converse")
    access_key, region = signed_with(record)
    assert access_key.startswith("ASIA"), access_key  # temporary credentials from STS (moto)
    assert region == "us-east-1"
    assert record["headers"].get("x-amz-security-token")
    assert record["body"]["inferenceConfig"] == approx({"maxTokens": 10, "temperature": 0.1})


def test_provisioned_throughput_arn_is_called(start_gateway, emulator, marker):
    _, client = served(start_gateway, "09-provisioned-throughput.yaml")
    answer = chat(client, "bedrock-claude", marker)
    assert answer.model == "bedrock-claude"
    assert emulator.find(marker, "Converse")["modelId"].endswith(":provisioned-model/prov123")


def test_embeddings_alias(start_gateway, emulator):
    _, client = served(start_gateway, "10-embeddings.yaml")
    result = client.embeddings.create(model="bedrock-titan-embeddings", input="The food was delicious")
    assert result.model == "bedrock-titan-embeddings"
    assert len(result.data[0].embedding) > 0
    assert emulator.requests()[-1]["modelId"] == "amazon.titan-embed-text-v1"


def test_retired_image_model_is_named_as_not_found(start_gateway):
    # Stable Diffusion XL v0 is no longer in Bedrock's model list: the alias routes to it and
    # the gateway says which model is missing.
    _, client = served(start_gateway, "11-image-generation.yaml")
    assert "bedrock-stability" in [m.id for m in client.models.list()]
    with pytest.raises(openai.NotFoundError) as raised:
        client.images.generate(model="bedrock-stability", prompt="A cute baby sea otter")
    assert "stability.stable-diffusion-xl-v0" in raised.value.message


MIXED = """
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY}
  - model_name: claude
    litellm_params: {model: bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0, rpm: 100}
router_settings:
  num_retries: 2
general_settings:
  master_key: sk-1234
"""


def test_other_providers_and_unused_settings_are_reported(config_path, start_gateway):
    path = config_path(MIXED)
    result = run_gateway(["--check-config", "--config", path], base_env(API_KEY="k", AWS_REGION="us-east-1"))
    assert result.returncode == 0, result.stderr
    for expected in [
        "warning: model_list[0] (gpt-4o): `openai/gpt-4o` is not a Bedrock model; skipped",
        "warning: model_list[1] (claude): litellm_params.rpm is LiteLLM bookkeeping; not used",
        "warning: router_settings.num_retries: not used by this gateway",
        "warning: general_settings.master_key: not used by this gateway",
    ]:
        assert expected in result.stdout
    gw = start_gateway(CONFIG_FILE=path)
    logged = [r.get("fields", r).get("warning") for r in gw.log_records()]
    assert "router_settings.num_retries: not used by this gateway" in logged
    assert "gpt-4o" not in [m.id for m in gw.client().models.list()]


def test_an_invalid_file_stops_the_start_with_its_place(config_path):
    path = config_path("model_list:\n  - model_name: c\n    litellm_params:\n      model: bedrock/x\n      temperature: hot\n")
    result = run_gateway(["--config", path], base_env(API_KEY="k", AWS_REGION="us-east-1"))
    assert result.returncode == 2
    assert f"config file {path}: model_list[0] (c): litellm_params.temperature must be a number, got `hot`" in result.stderr
