"""GET /models and /models/{id}: foundation models, inference profiles (ids with `:`),
application profile ARNs (ids with `/`), and chat through profiles."""

import urllib.parse

import openai
import pytest

from .support import APP_PROFILE_ARN, HAIKU3, HAIKU35, KEY, SONNET45_GLOBAL, user

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": f"Bearer {KEY}"}


def test_list_models(client):
    page = client.models.list()
    models = list(page)
    ids = [m.id for m in models]
    assert len(ids) == len(set(ids)), "no duplicates"
    for expected in [
        HAIKU3,
        "amazon.nova-lite-v1:0",
        "meta.llama3-1-8b-instruct-v1:0",
        HAIKU35,
        "us.anthropic.claude-3-haiku-20240307-v1:0",
        "eu.anthropic.claude-3-haiku-20240307-v1:0",
        "apac.anthropic.claude-3-haiku-20240307-v1:0",
        SONNET45_GLOBAL,
        "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        APP_PROFILE_ARN,
    ]:
        assert expected in ids, expected
    # Profile-only foundation ids cannot be invoked on demand, so they are not listed.
    assert "anthropic.claude-sonnet-4-5-20250929-v1:0" not in ids
    for model in models:
        assert model.object == "model"
        assert model.owned_by
        assert isinstance(model.created, int) and model.created > 1_600_000_000
    by_id = {m.id: m for m in models}
    assert by_id[HAIKU3].owned_by == "anthropic"
    assert by_id["amazon.nova-lite-v1:0"].owned_by == "amazon"


def test_list_models_raw(http):
    response = http.get("/v1/models", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert all(set(m) >= {"id", "object", "created", "owned_by"} for m in body["data"])


@pytest.mark.parametrize("model_id", [HAIKU3, HAIKU35, SONNET45_GLOBAL, APP_PROFILE_ARN])
def test_retrieve_model(client, model_id):
    model = client.models.retrieve(model_id)
    assert model.id == model_id
    assert model.object == "model"
    assert model.owned_by == "anthropic"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/models/{APP_PROFILE_ARN}",
        f"/v1/models/{APP_PROFILE_ARN}",
        "/api/v1/models/" + urllib.parse.quote(APP_PROFILE_ARN, safe=""),
        "/api/v1/models/" + urllib.parse.quote(HAIKU35, safe=""),
        f"/api/v1/models/{HAIKU35}",
    ],
)
def test_retrieve_model_raw_paths(http, path):
    response = http.get(path, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["id"] == urllib.parse.unquote(path.split("/models/", 1)[1])


def test_retrieve_unknown_model(client, http):
    with pytest.raises(openai.NotFoundError) as raised:
        client.models.retrieve("acme.unknown-model-v1:0")
    assert raised.value.status_code == 404
    assert raised.value.code == "model_not_found"
    response = http.get("/api/v1/models/arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/nope", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_chat_through_application_profile_arn(client, emulator, marker):
    response = client.chat.completions.create(
        model=APP_PROFILE_ARN, messages=user(marker), temperature=0.5, top_p=0.9
    )
    assert response.model == APP_PROFILE_ARN
    assert response.choices[0].message.content == f"You said: {marker}"
    sent = emulator.find(marker, "Converse")
    assert sent["modelId"] == APP_PROFILE_ARN
    # The ARN resolves to Claude Sonnet 4.5, which rejects temperature and top_p together.
    config = sent["body"]["inferenceConfig"]
    assert config["temperature"] == pytest.approx(0.5)
    assert "topP" not in config


def test_chat_through_global_profile_streaming(client, emulator, marker):
    chunks = list(client.chat.completions.create(model=SONNET45_GLOBAL, messages=user(marker), stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == f"You said: {marker}"
    assert emulator.find(marker, "ConverseStream")["modelId"] == SONNET45_GLOBAL


def test_profiles_can_be_hidden(start_gateway):
    gw = start_gateway(ENABLE_CROSS_REGION_INFERENCE="false", ENABLE_APPLICATION_INFERENCE_PROFILES="false")
    with gw.client() as sdk:
        ids = [m.id for m in sdk.models.list()]
    assert HAIKU3 in ids
    assert not [i for i in ids if i.split(".")[0] in ("us", "eu", "apac", "global")]
    assert not [i for i in ids if i.startswith("arn:")]
