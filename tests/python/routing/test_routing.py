"""The native configuration file against the emulator: names listed and served on every face,
per-model region, access and parameters, load shared between targets, fallbacks before the
first byte, and SIGHUP reloads under load."""

import os
import signal
import threading
import time

import anthropic
import httpx
import openai
import pytest
from pytest import approx

from gateway.support import HAIKU35, KEY, wait_until

from .conftest import chat, signed_with

SONNET_V2 = "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
ROLE = "arn:aws:iam::123456789012:role/bedrock-gateway"

NAMES = f"""
models:
  - name: fast
    model: {HAIKU35}
    defaults: {{temperature: 0.3, max_tokens: 300, stop: ["END"]}}
    additional_model_request_fields: {{top_k: 7}}
  - name: eu-fast
    model: {HAIKU3}
    region: eu-west-1
  - name: hidden
    model: {HAIKU3}
    listed: false
  - name: keyed
    model: {HAIKU3}
    access: {{api_key: "${{TEST_BEDROCK_API_KEY}}"}}
"""


@pytest.fixture(scope="module")
def names_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("routing") / "names.yaml"
    path.write_text(NAMES)
    return str(path)


@pytest.fixture
def named(start_gateway, names_file):
    gw = start_gateway(CONFIG_FILE=names_file, TEST_BEDROCK_API_KEY="bedrock-api-key-EXAMPLE")
    return gw, gw.client()


def test_names_are_listed_first_and_unlisted_ones_still_served(named):
    gw, client = named
    ids = [m.id for m in client.models.list()]
    assert ids[:3] == ["fast", "eu-fast", "keyed"]
    assert "hidden" not in ids and HAIKU35 in ids  # Bedrock ids are still listed by default
    assert chat(client, "hidden", "hi").model == "hidden"
    assert client.models.retrieve("fast").id == "fast"


def test_defaults_apply_under_the_request_and_fixed_fields_always(named, emulator, marker):
    _, client = named
    answer = chat(client, "fast", marker + " a")
    assert answer.model == "fast"
    sent = emulator.find(marker + " a", "Converse")["body"]
    assert sent["inferenceConfig"].pop("stopSequences") == ["END"]
    assert sent["inferenceConfig"] == approx({"temperature": 0.3, "maxTokens": 300})
    assert sent["additionalModelRequestFields"] == {"top_k": 7}
    chat(client, "fast", marker + " b", temperature=0.9, max_tokens=50, stop=["STOP"])
    sent = emulator.find(marker + " b", "Converse")["body"]
    assert sent["inferenceConfig"].pop("stopSequences") == ["STOP"]
    assert sent["inferenceConfig"] == approx({"temperature": 0.9, "maxTokens": 50})


def post_chat(gw, model: str, text: str = "hi") -> httpx.Response:
    """A raw chat request, for the routing headers."""
    return httpx.post(
        gw.api() + "/chat/completions",
        headers={"Authorization": f"Bearer {KEY}"},
        json={"model": model, "messages": [{"role": "user", "content": text}]},
        timeout=30,
    )


def test_the_target_header_names_region_and_model(named):
    gw, _ = named
    response = post_chat(gw, "eu-fast")
    assert response.status_code == 200
    assert response.headers["x-gateway-target"] == f"eu-west-1/{HAIKU3}"
    assert response.headers["x-gateway-attempts"] == "1"
    assert response.json()["model"] == "eu-fast"


def test_a_model_in_another_region_is_signed_for_it(named, emulator, marker):
    _, client = named
    chat(client, "eu-fast", marker)
    assert signed_with(emulator.find(marker, "Converse")) == ("AKIDEXAMPLE", "eu-west-1")


def test_a_bedrock_api_key_is_sent_as_bearer(named, emulator, marker):
    _, client = named
    chat(client, "keyed", marker + " json")
    chat(client, "keyed", marker + " stream", stream=True).close()
    for call in ("json", "stream"):
        record = wait_until(lambda: emulator.find_all(f"{marker} {call}"), 10, message="the keyed call")[-1]
        assert record["headers"]["authorization"] == "Bearer bedrock-api-key-EXAMPLE"


def test_the_global_bedrock_api_key_setting(start_gateway, emulator, marker):
    gw = start_gateway(AWS_BEARER_TOKEN_BEDROCK="bedrock-api-key-EXAMPLE")
    chat(gw.client(), HAIKU35, marker)
    assert emulator.find(marker, "Converse")["headers"]["authorization"] == "Bearer bedrock-api-key-EXAMPLE"


def test_the_other_faces_serve_names(named, emulator, marker):
    gw, client = named
    response = client.responses.create(model="fast", input=marker + " responses")
    assert response.model == "fast" and response.output_text
    with anthropic.Anthropic(api_key=KEY, base_url=gw.api().removesuffix("/v1")) as claude:
        message = claude.messages.create(model="eu-fast", max_tokens=50, messages=[{"role": "user", "content": marker}])
    assert message.model == "eu-fast"
    assert signed_with(emulator.find(marker, "Converse"))[1] == "eu-west-1"


def test_bedrock_ids_can_be_hidden(routed):
    gw = routed(f"router: {{expose_bedrock_models: false}}\nmodels:\n  - name: only\n    model: {HAIKU35}\n", )
    client = gw.client()
    assert [m.id for m in client.models.list()] == ["only"]
    with pytest.raises(openai.NotFoundError):
        chat(client, HAIKU35, "hi")
    assert chat(client, "only", "hi").model == "only"


def test_assumed_role_with_external_id(routed, emulator, moto, marker):
    text = f"""
models:
  - name: assumed
    model: {HAIKU35}
    access: {{role_arn: "{ROLE}", session_name: team-a, external_id: x-123, sts_endpoint: "{moto.url}"}}
"""
    client = routed(text).client()
    chat(client, "assumed", marker + " 1")
    chat(client, "assumed", marker + " 2")
    first, second = (signed_with(emulator.find(f"{marker} {i}", "Converse"))[0] for i in (1, 2))
    assert first.startswith("ASIA") and first == second  # assumed once, cached for the next call


def test_web_identity_token_file(routed, emulator, moto, marker, tmp_path):
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl\n")
    text = f"""
models:
  - name: federated
    model: {HAIKU35}
    access: {{role_arn: "{ROLE}", web_identity_token_file: "{token}", sts_endpoint: "{moto.url}"}}
"""
    client = routed(text).client()
    chat(client, "federated", marker)
    assert signed_with(emulator.find(marker, "Converse"))[0].startswith("ASIA")


def load_spread_config(strategy: str) -> str:
    return f"""
router: {{strategy: {strategy}}}
models:
  - name: spread
    model: {HAIKU35}
  - name: spread
    model: {HAIKU3}
"""


def test_round_robin_spreads_evenly(routed, emulator, marker):
    client = routed(load_spread_config("round_robin")).client()
    for i in range(10):
        chat(client, "spread", f"{marker} {i}")
    models = [r["modelId"] for r in emulator.find_all(marker, "Converse")]
    assert sorted(models.count(m) for m in (HAIKU35, HAIKU3)) == [5, 5]


def test_least_in_flight_avoids_the_busy_target(routed, emulator, marker):
    gw = routed(load_spread_config("least_in_flight"))
    client = gw.client()
    # A slow request holds one target; the next requests go to the other one.
    slow = threading.Thread(target=lambda: chat(client, "spread", f"{marker} slow\n#delay 3000"))
    slow.start()
    try:
        first = wait_until(lambda: emulator.find_all(f"{marker} slow"), 10, message="the slow call")[-1]["modelId"]
        for i in range(3):
            chat(client, "spread", f"{marker} {i}")
        others = {emulator.find(f"{marker} {i}", "Converse")["modelId"] for i in range(3)}
        assert others == {HAIKU35, HAIKU3} - {first}
    finally:
        slow.join(timeout=30)


FALLBACK = f"""
router: {{max_attempts: 3}}
models:
  - name: primary
    model: {HAIKU35}
    fallbacks: [secondary]
  - name: secondary
    model: {HAIKU3}
"""


@pytest.fixture
def throttled(own_emulator, start_gateway, config_path):
    """A gateway whose `primary` target's model is throttled by its emulator."""
    emu = own_emulator("--throttle-model", HAIKU35)
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url)
    return gw, emu


def test_fallback_after_throttling(throttled):
    gw, emu = throttled
    response = post_chat(gw, "primary")
    assert response.status_code == 200
    assert response.json()["model"] == "secondary"
    assert response.headers["x-gateway-attempts"] == "2"
    assert response.headers["x-gateway-target"].endswith(HAIKU3)
    assert [r["modelId"] for r in emu.requests() if r["operation"] == "Converse"][-2:] == [HAIKU35, HAIKU3]


def test_fallback_before_a_stream_starts(throttled):
    gw, emu = throttled
    chunks = list(chat(gw.client(), "primary", "hi", stream=True))
    assert {c.model for c in chunks} == {"secondary"}
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert emu.stats()["by_operation"].get("ConverseStream", 0) >= 2


def test_fallbacks_stop_at_the_attempt_budget(own_emulator, start_gateway, config_path):
    emu = own_emulator("--throttle-model", f"{HAIKU35},{HAIKU3}")
    text = FALLBACK.replace("max_attempts: 3", "max_attempts: 1")
    gw = start_gateway(CONFIG_FILE=config_path(text), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url)
    with pytest.raises(openai.RateLimitError):
        chat(gw.client(), "primary", "hi")
    # The SDK's own retries stay on the target; the budget of one target keeps HAIKU3 out.
    assert {r["modelId"] for r in emu.requests() if r["operation"] == "Converse"} == {HAIKU35}


def test_sdk_retries_can_be_turned_off_to_fall_back_at_once(own_emulator, start_gateway, config_path):
    emu = own_emulator("--throttle-model", HAIKU35)
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url, AWS_MAX_ATTEMPTS="1")
    assert chat(gw.client(), "primary", "hi").model == "secondary"
    assert [r["modelId"] for r in emu.requests() if r["operation"] == "Converse"] == [HAIKU35, HAIKU3]


def test_a_bad_request_does_not_fall_back(throttled):
    gw, emu = throttled
    before = emu.stats()["requests"]
    with pytest.raises(openai.BadRequestError):
        chat(gw.client(), "primary", "hi", temperature=5)
    assert emu.stats()["requests"] == before


RELOAD_A = f"models:\n  - name: live\n    model: {HAIKU35}\n"
RELOAD_B = f"models:\n  - name: live\n    model: {HAIKU3}\n  - name: added\n    model: {HAIKU3}\n"


def test_sighup_reload_under_load_drops_nothing(start_gateway, config_path, emulator, marker):
    path = config_path(RELOAD_A)
    gw = start_gateway(CONFIG_FILE=path)
    client = gw.client()
    failures, served, stop = [], [], threading.Event()

    def load(worker):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                text = f"{marker} w{worker} {n}" + ("\n#delay 300" if n % 3 == 0 else "")
                if n % 2:
                    served.append(chat(client, "live", text).model)
                else:
                    list(chat(client, "live", text, stream=True))
                    served.append("live")
            except Exception as error:  # noqa: BLE001 (any failure fails the test)
                failures.append(repr(error))

    workers = [threading.Thread(target=load, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    try:
        time.sleep(1)
        with open(path, "w") as f:
            f.write(RELOAD_B)
        os.kill(gw.proc.pid, signal.SIGHUP)
        wait_until(lambda: "added" in [m.id for m in client.models.list()], 10, message="the reloaded names")
        time.sleep(1)
        with open(path, "w") as f:
            f.write("models:\n  - name: broken\n    model: x\n    fallbacks: [nowhere]\n")
        os.kill(gw.proc.pid, signal.SIGHUP)
        wait_until(lambda: "configuration file not reloaded" in gw.logs(), 10, message="the rejected reload")
        time.sleep(0.5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    assert failures == []
    assert len(served) > 20
    ids = [m.id for m in client.models.list()]
    assert "added" in ids and "broken" not in ids  # the invalid file left the good routes in place
    after = [r["modelId"] for r in emulator.find_all(marker, "Converse")][-3:]
    assert after == [HAIKU3] * 3


def test_a_target_that_does_not_start_in_time_falls_back(routed):
    text = f"""
models:
  - name: impatient
    model: {HAIKU35}
    timeout_seconds: 0.5
    fallbacks: [patient]
  - name: patient
    model: {HAIKU3}
"""
    gw = routed(text)
    started = time.monotonic()
    response = post_chat(gw, "impatient", "hi\n#delay 1500")
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "patient"
    assert response.headers["x-gateway-attempts"] == "2"
    assert 2.0 <= time.monotonic() - started < 10


@pytest.mark.parametrize("kind", ["unavailable", "internal", "model-not-ready"])
def test_fallback_after_a_server_error(own_emulator, start_gateway, config_path, kind):
    emu = own_emulator("--fail-model", f"{HAIKU35}={kind}")
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url, AWS_MAX_ATTEMPTS="1")
    response = post_chat(gw, "primary")
    assert response.status_code == 200, response.text
    assert response.json()["model"] == "secondary"
    assert response.headers["x-gateway-attempts"] == "2"


def test_a_model_error_is_not_retried_elsewhere(own_emulator, start_gateway, config_path):
    emu = own_emulator("--fail-model", f"{HAIKU35}=access-denied")
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url)
    assert post_chat(gw, "primary").status_code == 403
    assert {r["modelId"] for r in emu.requests() if r["operation"] == "Converse"} == {HAIKU35}


CONTEXT = f"""
models:
  - name: small
    model: {HAIKU35}
    fallbacks: [other]
    context_window_fallbacks: [large]
  - name: other
    model: {HAIKU3}
  - name: large
    model: {SONNET_V2}
"""


def test_an_input_too_long_goes_to_the_larger_model(own_emulator, start_gateway, config_path):
    emu = own_emulator("--fail-model", f"{HAIKU35}=input-too-long")
    gw = start_gateway(CONFIG_FILE=config_path(CONTEXT), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url)
    chunks = list(chat(gw.client(), "small", "a very long prompt", stream=True))
    assert {c.model for c in chunks} == {"large"}
    called = [r["modelId"] for r in emu.requests() if r["operation"] == "ConverseStream"]
    assert called == [HAIKU35, SONNET_V2]


def test_without_context_fallbacks_an_input_too_long_is_a_client_error(own_emulator, start_gateway, config_path):
    emu = own_emulator("--fail-model", f"{HAIKU35}=input-too-long")
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url)
    response = post_chat(gw, "primary")
    assert response.status_code == 400
    assert "too long" in response.json()["error"]["message"]


def test_fallbacks_are_counted_in_the_metrics(own_emulator, start_gateway, config_path):
    emu = own_emulator("--fail-model", f"{HAIKU35}=unavailable")
    gw = start_gateway(CONFIG_FILE=config_path(FALLBACK), AWS_ENDPOINT_URL_BEDROCK_RUNTIME=emu.url,
                       AWS_ENDPOINT_URL_BEDROCK=emu.url, AWS_MAX_ATTEMPTS="1", METRICS_ON_MAIN_LISTENER="true")
    assert post_chat(gw, "primary").status_code == 200
    metrics = httpx.get(gw.api().removesuffix("/api/v1") + "/metrics", timeout=10).text
    assert 'gateway_routing_fallbacks_total{kind="service_unavailable"} 1' in metrics
    access = [r for r in gw.log_records() if r.get("fields", {}).get("message") == "request"
              or r.get("message") == "request"]
    assert any((r.get("fields") or r).get("attempts") == 2 for r in access)


def test_a_runtime_endpoint_override_reaches_another_endpoint(own_emulator, routed, emulator, marker):
    other = own_emulator()
    text = f"models:\n  - name: elsewhere\n    model: {HAIKU35}\n    endpoint: {other.url}\n"
    client = routed(text).client()
    assert chat(client, "elsewhere", marker).model == "elsewhere"
    assert other.find(marker, "Converse")["modelId"] == HAIKU35
    assert emulator.find_all(marker) == []  # the gateway's default endpoint saw nothing


def test_a_keys_allow_list_covers_the_names(routed):
    text = f"""
models:
  - name: team-fast
    model: {HAIKU35}
  - name: other
    model: {HAIKU3}
keys:
  - name: team
    key: os.environ/TEAM_KEY
    models: ["team-*"]
"""
    gw = routed(text, TEAM_KEY="sk-team-key-0123456789", API_KEY=None, wait_models=False)
    client = gw.client(key="sk-team-key-0123456789")
    wait_until(lambda: client.models.list().data, 20, message="the model list")
    assert [m.id for m in client.models.list()] == ["team-fast"]
    assert chat(client, "team-fast", "hi").model == "team-fast"
    with pytest.raises(openai.PermissionDeniedError):
        chat(client, "other", "hi")
