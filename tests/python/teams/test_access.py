"""Model allow-lists (403, /models filtered), disabled and expired keys (401), the admin API."""

import httpx
import openai
import pytest

from gateway.support import HAIKU35, KEY, LLAMA, assert_error_envelope

from .conftest import TEAM_KEYS
from .support import ADMIN_KEY, bearer, chat, sha256


def test_a_model_outside_the_list_is_403_and_not_listed(pair, marker):
    gw = pair[0]
    key = TEAM_KEYS["models"]
    assert chat(gw, key, f"{marker} allowed").status_code == 200
    refused = chat(gw, key, f"{marker} refused", model=LLAMA)
    assert refused.status_code == 403
    error = assert_error_envelope(refused.json())
    assert (error["code"], error["param"]) == ("model_not_allowed", "model")
    assert LLAMA in error["message"]
    with pytest.raises(openai.PermissionDeniedError):
        gw.client(key=key).chat.completions.create(model=LLAMA, messages=[{"role": "user", "content": "x"}])
    listed = [m.id for m in gw.client(key=key).models.list()]
    assert HAIKU35 in listed and LLAMA not in listed
    assert all(m.startswith(("us.anthropic.claude-3-5-haiku", "cohere.")) for m in listed), listed
    assert LLAMA in [m.id for m in gw.client(key=KEY).models.list()]
    assert httpx.get(gw.api() + f"/models/{LLAMA}", headers=bearer(key)).status_code == 404


def test_the_allow_list_holds_on_every_face(pair, marker):
    gw = pair[1]
    key = TEAM_KEYS["models"]
    embeddings = gw.client(key=key).embeddings.create(model="cohere.embed-multilingual-v3", input=[marker])
    assert len(embeddings.data) == 1
    image = httpx.post(gw.api() + "/images/generations", headers=bearer(key), json={"model": "amazon.nova-canvas-v1:0", "prompt": marker})
    assert image.status_code == 403
    # Without a model the face's default is judged: here the default image model, refused.
    assert httpx.post(gw.api() + "/images/generations", headers=bearer(key), json={"prompt": marker}).status_code == 403
    messages = httpx.post(
        gw.url + "/v1/messages",
        headers={"x-api-key": key},
        json={"model": LLAMA, "max_tokens": 10, "messages": [{"role": "user", "content": marker}]},
    )
    assert messages.status_code == 403
    assert messages.json()["type"] == "error" and messages.json()["error"]["type"] == "permission_error"
    responses = httpx.post(gw.api() + "/responses", headers=bearer(key), json={"model": LLAMA, "input": marker})
    assert responses.status_code == 403


@pytest.mark.parametrize("name", ["disabled", "expired"])
def test_disabled_and_expired_keys_are_401_on_both_faces(pair, name):
    gw = pair[0]
    response = chat(gw, TEAM_KEYS[name], "hi")
    assert response.status_code == 401
    assert assert_error_envelope(response.json())["code"] == "invalid_api_key"
    assert name in response.json()["error"]["message"]
    messages = httpx.post(gw.url + "/v1/messages", headers={"x-api-key": TEAM_KEYS[name]},
                          json={"model": HAIKU35, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert messages.status_code == 401 and messages.json()["error"]["type"] == "authentication_error"


def test_the_admin_api_lists_keys_without_secrets_and_needs_the_admin_key(pair):
    gw = pair[1]
    response = httpx.get(gw.url + "/admin/keys", headers=bearer(ADMIN_KEY))
    assert response.status_code == 200
    keys = {k["name"]: k for k in response.json()["data"]}
    assert keys["rpm"]["limits"]["requests_per_minute"] == 5
    assert keys["models"]["metadata"] == {"team": "search", "cost_center": "4711"}
    assert keys["disabled"]["disabled"] is True and keys["expired"]["expires_at"] == "2020-01-01T00:00:00Z"
    assert any(k.get("unlimited") for k in keys.values())
    for secret in [*TEAM_KEYS.values(), KEY, ADMIN_KEY]:
        assert secret not in response.text and sha256(secret) not in response.text
    assert httpx.get(gw.url + "/admin/keys", headers=bearer(TEAM_KEYS["usage"])).status_code == 401
    assert httpx.get(gw.url + "/admin/usage").status_code == 401
    assert httpx.get(gw.api() + "/models", headers=bearer(ADMIN_KEY)).status_code == 401
    bad = httpx.get(gw.url + "/admin/usage", headers=bearer(ADMIN_KEY), params={"from": "yesterday"})
    assert bad.status_code == 400 and assert_error_envelope(bad.json())["param"] == "from"
