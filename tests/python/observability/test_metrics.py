"""`/metrics` after a known mix of traffic: every counter moves by exactly what was sent,
histograms have buckets and counts, and no label carries a key or prompt text."""

import hashlib
import json
import math

import httpx
import openai
import pytest

from gateway.support import HAIKU35, KEY, KEY2, user, wait_until

from .scrape import delta, scrape

ROUTE = "/api/v1/chat/completions"
CHATS = 3
STREAMS = 2


def key_label(key: str) -> str:
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:8]


def chat(client, marker, i):
    response = client.chat.completions.create(model=HAIKU35, messages=user(f"{marker} chat {i}\n#words 5"))
    return response.usage.prompt_tokens, response.usage.completion_tokens


def stream(client, marker, i):
    chunks = client.chat.completions.create(
        model=HAIKU35,
        messages=user(f"{marker} stream {i}\n#words 7"),
        stream=True,
        stream_options={"include_usage": True},
    )
    usage = [c.usage for c in chunks if c.usage]
    assert len(usage) == 1
    return usage[0].prompt_tokens, usage[0].completion_tokens


DISCONNECTED = "{marker} gone\n#chunk-delay 100\n#words 200"


def disconnect_mid_stream(client, marker):
    """Reads until the first content, then hangs up while the model is still talking; the
    estimate a stream cut before Bedrock's usage counts (docs/keys.md): a quarter of the
    prompt's and of the streamed text's characters, at least the content read."""
    text = DISCONNECTED.format(marker=marker)
    chunks = client.chat.completions.create(model=HAIKU35, messages=user(text), stream=True)
    try:
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                return math.ceil(len(text) / 4), math.ceil(len(chunk.choices[0].delta.content) / 4)
    finally:
        chunks.close()
    raise AssertionError("the stream ended without content")


def fail(client, marker, kind, status):
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=HAIKU35, messages=user(f"{marker}\n#error {kind}"))
    assert caught.value.status_code == status


@pytest.fixture(scope="module")
def traffic(observed, emulator):
    """Scrapes, sends the mix, waits for the disconnected stream to be reported, scrapes again."""
    marker = "mkmetricsmix"
    before = scrape(observed.metrics_url)
    with observed.client(key=KEY2) as client:
        tokens = [chat(client, marker, i) for i in range(CHATS)]
        tokens += [stream(client, marker, i) for i in range(STREAMS)]
        estimated = disconnect_mid_stream(client, marker)
        fail(client, marker, "validation", 400)
        fail(client, marker, "throttling", 429)
    # Requests are reported when their bodies end, which can be just after the client read them.
    wait_until(
        lambda: delta(before, scrape(observed.metrics_url), "gateway_request_duration_seconds_count") >= CHATS + STREAMS + 3,
        timeout=15,
        message="every request (the disconnected stream included) to be reported",
    )
    return before, scrape(observed.metrics_url), tokens, marker, estimated


def test_requests_are_counted_by_route_model_status_class_and_key_name(traffic):
    before, after, _, _, _ = traffic
    labels = {"route": ROUTE, "model": HAIKU35, "api_key": key_label(KEY2)}
    assert delta(before, after, "gateway_requests_total", status_class="2xx", **labels) == CHATS + STREAMS + 1
    assert delta(before, after, "gateway_requests_total", status_class="4xx", **labels) == 2
    assert delta(before, after, "gateway_requests_total", api_key=key_label(KEY)) == 0


def test_tokens_match_the_usage_the_clients_were_told(traffic):
    before, after, tokens, _, (dropped_in, dropped_out) = traffic
    told_in, told_out = sum(t[0] for t in tokens), sum(t[1] for t in tokens)
    assert delta(before, after, "gateway_tokens_total", model=HAIKU35, type="input") == told_in + dropped_in
    # The dropped stream's output counts what the gateway received before the client left.
    output = delta(before, after, "gateway_tokens_total", model=HAIKU35, type="output")
    assert told_out + dropped_out <= output <= told_out + 3 * dropped_out


def test_upstream_errors_streams_and_disconnects(traffic):
    before, after, _, _, _ = traffic
    assert delta(before, after, "gateway_upstream_errors_total", kind="rate_limit_exceeded") == 1
    assert delta(before, after, "gateway_upstream_errors_total", kind="validation_error") == 1
    assert delta(before, after, "gateway_client_disconnects_total") == 1
    assert after.value("gateway_open_streams") == 0


def test_histograms_have_buckets_and_counts(traffic):
    before, after, _, _, _ = traffic
    requests = CHATS + STREAMS + 3
    assert delta(before, after, "gateway_request_duration_seconds_count", model=HAIKU35) == requests
    assert delta(before, after, "gateway_request_duration_seconds_bucket", model=HAIKU35, le="+Inf") == requests
    assert delta(before, after, "gateway_time_to_first_token_seconds_count", model=HAIKU35) == STREAMS + 1
    assert delta(before, after, "gateway_time_to_first_token_seconds_sum", model=HAIKU35) > 0
    buckets = [s for s in after.samples if s.name == "gateway_time_to_first_token_seconds_bucket"]
    assert len({s.labels["le"] for s in buckets}) > 5
    assert delta(before, after, "gateway_bedrock_call_duration_seconds_count", operation="Converse") == CHATS + 2
    assert delta(before, after, "gateway_bedrock_call_duration_seconds_count", operation="ConverseStream") == STREAMS + 1


def test_no_label_carries_a_key_or_prompt_text(traffic):
    _, after, _, marker, _ = traffic
    for value in after.label_values():
        assert KEY not in value and KEY2 not in value and marker not in value, value
    assert marker not in after.text and "sk-gw-test" not in after.text


def test_catalogue_and_build_info(traffic):
    _, after, _, _, _ = traffic
    assert after.value("gateway_build_info") == 1
    assert [s.labels["version"] for s in after.samples if s.name == "gateway_build_info"]
    assert 0 <= after.value("gateway_model_catalog_age_seconds") < 300
    assert "gateway_model_catalog_refresh_failures" in after.families
    assert after.value("gateway_model_catalog_refresh_failures_total") == 0


def test_unknown_models_fold_into_one_label(observed):
    with observed.client() as client, pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="arn:aws:bedrock:us-east-1:123456789012:custom-model/x1", messages=user("hi"))
    after = scrape(observed.metrics_url)
    models = {s.labels.get("model") for s in after.samples if s.name == "gateway_requests_total"}
    assert "other" in models
    assert not any(m and m.startswith("arn:") for m in models)


def test_openmetrics_on_request(observed):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    response = httpx.get(observed.metrics_url + "/metrics", headers={"Accept": "application/openmetrics-text"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    names = {f.name for f in text_string_to_metric_families(response.text)}
    assert {"gateway_requests", "gateway_open_streams", "gateway_build_info"} <= names


def test_the_metrics_listener_needs_no_key_and_the_main_listener_hides_metrics(observed):
    assert httpx.get(observed.metrics_url + "/metrics").status_code == 200
    assert httpx.get(observed.metrics_url + "/v1/models").status_code == 404
    hidden = httpx.get(observed.url + "/metrics")
    assert hidden.status_code == 404
    assert "gateway_requests" not in hidden.text


def test_metrics_on_the_main_listener_when_enabled(start_gateway):
    gw = start_gateway(METRICS_ON_MAIN_LISTENER="true")
    response = httpx.get(gw.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert "# TYPE gateway_requests_total counter" in response.text
    assert not any("Metrics:" in line for line in gw.stdout)


def test_emf_lines_are_valid_embedded_metric_format(observed, traffic):
    documents = [json.loads(line) for line in observed.stdout if line.startswith("{")]
    assert len(documents) >= CHATS + STREAMS + 3
    for doc in documents:
        meta = doc["_aws"]
        assert isinstance(meta["Timestamp"], int)
        (directive,) = meta["CloudWatchMetrics"]
        assert directive["Namespace"] == "GatewayTests"
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(doc[d], str) for d in dimension_set)
        for metric in directive["Metrics"]:
            assert isinstance(doc[metric["Name"]], (int, float)), metric
            assert metric["Unit"] in {"Count", "Milliseconds"}
    throttled = [d for d in documents if d.get("Throttles") == 1]
    assert len(throttled) == 1 and throttled[0]["Errors"] == 1 and throttled[0]["Model"] == HAIKU35
    streamed = [d for d in documents if "TimeToFirstToken" in d]
    assert len(streamed) >= STREAMS + 1
    assert not any(traffic[3] in json.dumps(d) for d in documents)


def test_the_access_log_line_of_a_stream_has_its_outcome(observed, traffic):
    _, _, tokens, marker, _ = traffic
    lines = [r for r in observed.log_records() if r.get("message") == "request" and r.get("route") == ROUTE]
    streamed = [r for r in lines if r.get("ttft_ms") is not None and r.get("completed") is True]
    assert len(streamed) >= STREAMS
    last = streamed[-1]
    assert last["model"] == HAIKU35 and last["api_key"] == key_label(KEY2)
    assert (last["tokens_in"], last["tokens_out"]) == tokens[-1]
    assert last["finish_reason"] == "end_turn" and last["status"] == 200
    assert 0 < last["ttft_ms"] <= last["latency_ms"] and last["upstream_ms"] > 0
    assert any(r.get("completed") is False for r in lines)
    failed = [r for r in observed.log_records() if r.get("message") == "request failed" and r.get("status") == 429]
    assert failed and failed[-1]["api_key"] == key_label(KEY2) and failed[-1]["model"] == HAIKU35
    assert marker not in observed.logs() and KEY2 not in observed.logs()
