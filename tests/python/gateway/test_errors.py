"""Errors as the SDK sees them (exception classes, status, OpenAI envelope), errors in the
middle of a stream, body limits — and the server keeps serving after each."""

import json

import openai
import pytest

from .support import HAIKU35, KEY, assert_error_envelope, assert_serving, sse_events, user

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": f"Bearer {KEY}"}


def test_malformed_json_is_a_400_envelope(http, client):
    response = http.post(
        "/api/v1/chat/completions",
        content=b'{"model": "x", "messages": [',
        headers={**AUTH, "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = assert_error_envelope(response.json())
    assert error["type"] == "invalid_request_error"
    assert error["param"] is None
    assert "JSON" in error["message"]
    assert_serving(client)


@pytest.mark.parametrize(
    "body, param",
    [
        ({"model": HAIKU35, "messages": [{"role": "user", "content": 42}]}, "messages[0].content"),
        ({"model": HAIKU35, "messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": True}]}, "messages[1].content"),
        ({"model": HAIKU35, "messages": [{"role": "user", "content": "hi"}], "max_tokens": "ten"}, "max_tokens"),
        ({"model": HAIKU35, "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
    ],
)
def test_wrong_field_type_names_the_param(http, client, body, param):
    response = http.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 400
    error = assert_error_envelope(response.json())
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert "line" not in error["message"]
    assert_serving(client)


def test_invalid_request_through_the_sdk(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU35, messages=user("x"), n=2)
    assert raised.value.status_code == 400
    assert raised.value.param == "n"
    assert raised.value.type == "invalid_request_error"
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=HAIKU35, messages=[{"role": "assistant", "content": "first"}])
    assert raised.value.param == "messages[0].role"
    assert_serving(client)


def test_unknown_model_is_not_found(client, emulator):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="acme.nonexistent-model-v9:0", messages=user("hi"))
    error = raised.value
    assert error.status_code == 404
    assert error.code == "model_not_found"
    assert error.param == "model"
    assert "acme.nonexistent-model-v9:0" in error.message
    assert_serving(client)


def test_wrong_api_key_is_401(gateway):
    with gateway.client(key="sk-not-a-valid-key") as sdk, pytest.raises(openai.AuthenticationError) as raised:
        sdk.chat.completions.create(model=HAIKU35, messages=user("hi"))
    assert raised.value.status_code == 401
    assert raised.value.code == "invalid_api_key"
    assert raised.value.response.headers.get("www-authenticate") == "Bearer"
    with gateway.client(key="sk-not-a-valid-key") as sdk, pytest.raises(openai.AuthenticationError):
        sdk.models.list()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {KEY}"}, {"x-api-key": "wrong"}, {"Authorization": KEY}],
)
def test_missing_or_malformed_key_is_401(http, headers):
    response = http.post("/api/v1/chat/completions", json={"model": HAIKU35, "messages": user("hi")}, headers=headers)
    assert response.status_code == 401
    error = assert_error_envelope(response.json())
    assert error["code"] == "invalid_api_key"


@pytest.mark.parametrize("header", ["x-api-key", "api-key"])
def test_alternative_key_headers_are_accepted(http, marker, header):
    response = http.post(
        "/api/v1/chat/completions", json={"model": HAIKU35, "messages": user(marker)}, headers={header: KEY}
    )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == f"You said: {marker}"
    assert http.get("/v1/models", headers={header: KEY}).status_code == 200


def test_bearer_scheme_is_case_insensitive(http):
    assert http.get("/api/v1/models", headers={"Authorization": f"bearer {KEY}"}).status_code == 200


@pytest.mark.parametrize(
    "kind, exception, status, error_type, code, retry_after",
    [
        ("throttling", openai.RateLimitError, 429, "rate_limit_error", "rate_limit_exceeded", True),
        ("validation", openai.BadRequestError, 400, "invalid_request_error", "validation_error", False),
        ("access-denied", openai.PermissionDeniedError, 403, "permission_error", "access_denied", False),
        ("model-timeout", openai.InternalServerError, 504, "api_error", "model_timeout", False),
        ("unavailable", openai.InternalServerError, 503, "api_error", "service_unavailable", True),
        ("not-found", openai.NotFoundError, 404, "not_found_error", "model_not_found", False),
        ("model-error", openai.InternalServerError, 502, "api_error", "model_error", False),
        ("quota", openai.RateLimitError, 429, "rate_limit_error", "quota_exceeded", True),
    ],
)
def test_bedrock_errors_map_to_sdk_exceptions(client, kind, exception, status, error_type, code, retry_after):
    with pytest.raises(exception) as raised:
        client.chat.completions.create(model=HAIKU35, messages=user(f"hi\n#error {kind}"))
    error = raised.value
    assert error.status_code == status
    assert error.type == error_type
    assert error.code == code
    assert error.message
    headers = error.response.headers
    if retry_after:
        assert headers.get("retry-after") == "1"
    else:
        assert "retry-after" not in headers
    assert_serving(client)


def test_error_before_a_stream_starts_is_an_http_error(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=HAIKU35, messages=user("hi\n#error throttling"), stream=True)
    assert raised.value.status_code == 429
    assert raised.value.response.headers.get("retry-after") == "1"
    assert_serving(client)


def test_stream_error_midway_raises_after_first_content(client, marker):
    stream = client.chat.completions.create(
        model=HAIKU35, messages=user(f"hello {marker}\n#stream-error throttling"), stream=True
    )
    received = []
    with pytest.raises(openai.APIError) as raised:
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                received.append(chunk.choices[0].delta.content)
    assert received, "content arrived before the error"
    assert "".join(received) == f"You said: hello {marker}"[: len("".join(received))]
    assert not isinstance(raised.value, openai.APIStatusError)
    assert raised.value.message
    assert isinstance(raised.value.body, dict) and raised.value.body.get("message")
    assert_serving(client)


def test_stream_error_midway_raw_body(http, client, marker):
    body = {"model": HAIKU35, "messages": user(f"hello {marker}\n#stream-error throttling"), "stream": True}
    response = http.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200
    assert "[DONE]" not in response.text
    events = sse_events(response.text)
    parsed = [json.loads(e) for e in events]
    assert parsed[0]["choices"][0]["delta"]["role"] == "assistant"
    assert any(p.get("choices") and p["choices"][0]["delta"].get("content") for p in parsed[:-1])
    assert set(parsed[-1]) == {"error"}
    error = assert_error_envelope(parsed[-1])
    assert "finish_reason" not in json.dumps(parsed[-1])
    assert not any(p.get("choices") and p["choices"][0].get("finish_reason") for p in parsed), "no finish after error"
    assert error["message"]
    assert_serving(client)


@pytest.mark.parametrize(
    "kind, error_type, code",
    [
        ("throttling", "rate_limit_error", "rate_limit_exceeded"),
        ("validation", "invalid_request_error", "validation_error"),
    ],
)
def test_stream_error_midway_is_classified_like_http_errors(http, kind, error_type, code):
    """In-stream Bedrock exceptions go through the same table as HTTP ones (upstream_error.rs)."""
    body = {"model": HAIKU35, "messages": user(f"hello\n#stream-error {kind}"), "stream": True}
    response = http.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 200
    error = assert_error_envelope(json.loads(sse_events(response.text)[-1]))
    assert (error["type"], error["code"]) == (error_type, code), error


def test_request_body_over_the_limit_is_413(start_gateway, marker):
    gw = start_gateway(MAX_REQUEST_BODY_BYTES="2048")
    with gw.client() as sdk:
        with pytest.raises(openai.APIStatusError) as raised:
            sdk.chat.completions.create(model=HAIKU35, messages=user("x" * 5000))
        assert raised.value.status_code == 413
        assert raised.value.code == "request_too_large"
        assert raised.value.type == "invalid_request_error"
        assert "2048" in raised.value.message
        # A body just under the limit is fine, and the server keeps serving.
        response = sdk.chat.completions.create(model=HAIKU35, messages=user(f"{marker} " + "y" * 1500))
        assert response.choices[0].message.content.startswith(f"You said: {marker}")
    with gw.http() as raw:
        response = raw.post(
            "/api/v1/chat/completions",
            content=b'{"messages":[{"role":"user","content":"' + b"z" * 4000 + b'"}]}',
            headers={**AUTH, "content-type": "application/json"},
        )
        assert response.status_code == 413
        assert assert_error_envelope(response.json())["code"] == "request_too_large"
    with gw.client() as sdk:
        assert_serving(sdk)


def test_unknown_route_and_wrong_method(http):
    response = http.get("/api/v1/nothing-here", headers=AUTH)
    assert response.status_code == 404
    assert assert_error_envelope(response.json())["code"] == "unknown_url"
    response = http.get("/api/v1/chat/completions", headers=AUTH)
    assert response.status_code == 405
    assert assert_error_envelope(response.json())["code"] == "method_not_allowed"


def test_unknown_model_when_streaming_is_an_http_404(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.chat.completions.create(model="acme.nonexistent-model-v9:0", messages=user("hi"), stream=True)
    assert raised.value.code == "model_not_found"


def test_embedding_model_is_not_a_chat_model(client):
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model="cohere.embed-english-v3", messages=user("hi"))
    assert raised.value.param == "model"
