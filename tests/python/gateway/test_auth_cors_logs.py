"""Authentication, CORS, request ids, and what the logs may (not) contain."""

import json
import re

import pytest

from .support import HAIKU35, KEY, KEY2, assert_serving, user, wait_until

pytestmark = pytest.mark.timeout(60)

AUTH = {"Authorization": f"Bearer {KEY}"}
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


def allowed_headers(response) -> set[str]:
    return {h.strip().lower() for h in response.headers.get("access-control-allow-headers", "").split(",") if h.strip()}


# --------------------------------------------------------------------------- auth


def test_health_needs_no_key(http):
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}


@pytest.mark.parametrize("path", ["/api/v1/models", "/v1/models", f"/api/v1/models/{HAIKU35}"])
def test_api_needs_a_key(http, path):
    response = http.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert http.get(path, headers=AUTH).status_code == 200


# --------------------------------------------------------------------------- CORS


def test_preflight_default_allows_any_origin_without_credentials(http):
    response = http.options("/api/v1/chat/completions", headers={"Origin": "https://any.example", **PREFLIGHT})
    assert 200 <= response.status_code < 300
    assert response.headers.get("access-control-allow-origin") == "*"
    assert response.headers.get("access-control-allow-credentials") != "true"
    methods = {m.strip().upper() for m in response.headers.get("access-control-allow-methods", "").split(",")}
    assert "POST" in methods
    assert allowed_headers(response), "some request headers are allowed"


def test_preflight_default_allows_the_authorization_header(http):
    """Browsers never let `*` cover `Authorization` (Fetch spec: CORS non-wildcard
    request-header name), so it must be listed (or the request headers mirrored)."""
    response = http.options("/api/v1/chat/completions", headers={"Origin": "https://any.example", **PREFLIGHT})
    assert {"authorization", "content-type"} <= allowed_headers(response), response.headers


def test_cors_on_actual_responses(http):
    response = http.get("/api/v1/models", headers={"Origin": "https://any.example", **AUTH})
    assert response.status_code == 200
    assert response.headers.get("access-control-allow-origin") == "*"
    assert "x-request-id" in response.headers.get("access-control-expose-headers", "").lower()
    assert response.headers.get("access-control-allow-credentials") != "true"


def test_allowed_origins_list(start_gateway):
    gw = start_gateway(ALLOWED_ORIGINS="https://app.example, https://other-app.example")
    with gw.http() as http:
        response = http.options(
            "/api/v1/chat/completions", headers={"Origin": "https://app.example", **PREFLIGHT}
        )
        assert 200 <= response.status_code < 300
        assert response.headers.get("access-control-allow-origin") == "https://app.example"
        assert response.headers.get("access-control-allow-credentials") == "true"
        assert {"authorization", "content-type"} <= allowed_headers(response)
        assert "origin" in response.headers.get("vary", "").lower()

        response = http.get("/api/v1/models", headers={"Origin": "https://other-app.example", **AUTH})
        assert response.headers.get("access-control-allow-origin") == "https://other-app.example"
        assert response.headers.get("access-control-allow-credentials") == "true"

        response = http.options("/api/v1/chat/completions", headers={"Origin": "https://evil.example", **PREFLIGHT})
        assert response.headers.get("access-control-allow-origin") is None
        response = http.get("/api/v1/models", headers={"Origin": "https://evil.example", **AUTH})
        assert response.status_code == 200  # CORS is enforced by browsers, not the server
        assert response.headers.get("access-control-allow-origin") is None


# --------------------------------------------------------------------------- request ids


def test_responses_carry_a_request_id(http, client):
    ids = []
    for response in (
        http.get("/health"),
        http.get("/api/v1/models", headers=AUTH),
        http.get("/api/v1/models"),
        http.post("/api/v1/chat/completions", json={"model": HAIKU35, "messages": user("hi")}, headers=AUTH),
    ):
        request_id = response.headers.get("x-request-id")
        assert request_id and re.fullmatch(r"[0-9a-f]{24}", request_id), request_id
        ids.append(request_id)
    assert len(set(ids)) == len(ids)
    raw = client.chat.completions.with_raw_response.create(model=HAIKU35, messages=user("hi"))
    assert raw.headers.get("x-request-id")
    assert raw.parse().choices[0].message.content == "You said: hi"


def test_client_request_id_is_kept(http):
    response = http.get("/health", headers={"x-request-id": "my-trace-123"})
    assert response.headers.get("x-request-id") == "my-trace-123"


# --------------------------------------------------------------------------- logs


def wait_for_log(gw, predicate, what):
    return wait_until(lambda: [r for r in gw.log_records() if predicate(r)], timeout=10, message=what)


def test_logs_hold_no_keys_and_no_prompts(gateway, client, http, marker):
    prompt = f"my very private prompt {marker}"
    response = client.chat.completions.create(model=HAIKU35, messages=user(prompt))
    assert response.choices[0].message.content == f"You said: {prompt}"
    list(client.chat.completions.create(model=HAIKU35, messages=user(f"{prompt} streamed"), stream=True))
    with gateway.client(key=KEY2) as sdk:
        assert_serving(sdk)
    wrong_key = f"sk-wrong-{marker}"
    assert http.get("/api/v1/models", headers={"Authorization": f"Bearer {wrong_key}"}).status_code == 401
    request_id = getattr(response, "_request_id", None)
    access = wait_for_log(
        gateway,
        lambda r: r.get("message") == "request" and r.get("route") == "/api/v1/chat/completions" and r.get("status") == 200,
        "an access-log line for the chat request",
    )
    assert all(r.get("request_id") for r in access)
    if request_id:
        assert any(r.get("request_id") == request_id for r in access)
    wait_for_log(gateway, lambda r: r.get("status") == 401, "an access-log line for the 401")
    logs = gateway.logs()
    assert marker not in logs
    assert "private prompt" not in logs
    assert "You said" not in logs
    for key in (KEY, KEY2, wrong_key):
        assert key not in logs
    for line in logs.splitlines():
        if line.strip():
            json.loads(line)  # LOG_FORMAT=json: every line is a JSON object


@pytest.mark.parametrize(
    "shape",
    ["messages-as-string", "tool-calls-as-string", "role-as-prompt", "content-as-number-with-prompt-name"],
)
def test_rejected_bodies_do_not_leak_prompts_into_logs(gateway, http, marker, shape):
    """ParseError promises messages "never containing request content"; the access log
    records them, so a malformed body must not put prompt text into the logs."""
    prompt = f"confidential text {marker}"
    body = {
        "messages-as-string": {"model": HAIKU35, "messages": prompt},
        "tool-calls-as-string": {"model": HAIKU35, "messages": [{"role": "assistant", "tool_calls": prompt}]},
        "role-as-prompt": {"model": HAIKU35, "messages": [{"role": prompt, "content": "hi"}]},
        "content-as-number-with-prompt-name": {"model": HAIKU35, "messages": [{"role": "user", "content": 7, "name": prompt}]},
    }[shape]
    response = http.post("/api/v1/chat/completions", json=body, headers=AUTH)
    assert response.status_code == 400
    request_id = response.headers["x-request-id"]
    wait_for_log(gateway, lambda r: r.get("request_id") == request_id, "the access-log line of the 400")
    leaked = [line for line in gateway.logs().splitlines() if marker in line]
    assert not leaked, leaked


def test_debug_logs_prompts(start_gateway, marker):
    gw = start_gateway(DEBUG="true")
    prompt = f"debug-visible prompt {marker}"
    with gw.client() as sdk:
        sdk.chat.completions.create(model=HAIKU35, messages=user(prompt))
    wait_until(lambda: marker in gw.logs(), timeout=10, message="the prompt in the DEBUG logs")
    assert KEY not in gw.logs()
