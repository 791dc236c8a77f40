"""Every face is instrumented at the shared points (the access-log middleware, the Bedrock
calls, the SSE pump): the Anthropic Messages stream, the Responses API and embeddings are
counted with their own route, model and tokens, with no per-face code."""

import anthropic
import openai
import pytest

from gateway.support import HAIKU35, KEY, user, wait_until

from .scrape import delta, scrape

TITAN_V2 = "amazon.titan-embed-text-v2:0"


def settled(observed, before, requests):
    """The scrape once `requests` more requests were reported (bodies end just after clients read them)."""
    return wait_until(
        lambda: (s := scrape(observed.metrics_url))
        and delta(before, s, "gateway_request_duration_seconds_count") >= requests
        and s,
        timeout=15,
        message=f"{requests} requests to be reported",
    )


def test_anthropic_messages_stream(observed):
    before = scrape(observed.metrics_url)
    with anthropic.Anthropic(base_url=observed.url, api_key=KEY, max_retries=0, timeout=30) as claude:
        with claude.messages.stream(
            model=HAIKU35, max_tokens=300, messages=[{"role": "user", "content": "faces\n#words 9"}]
        ) as stream:
            final = stream.get_final_message()
    after = settled(observed, before, 1)
    assert delta(before, after, "gateway_requests_total", route="/v1/messages", model=HAIKU35, status_class="2xx") == 1
    assert delta(before, after, "gateway_tokens_total", model=HAIKU35, type="output") == final.usage.output_tokens
    assert delta(before, after, "gateway_tokens_total", model=HAIKU35, type="input") == final.usage.input_tokens
    assert delta(before, after, "gateway_time_to_first_token_seconds_count", model=HAIKU35) == 1


def test_responses_api(observed):
    before = scrape(observed.metrics_url)
    with observed.client() as client:
        response = client.responses.create(model=HAIKU35, input="faces responses\n#words 4")
    after = settled(observed, before, 1)
    route = "/api/v1/responses"
    assert delta(before, after, "gateway_requests_total", route=route, model=HAIKU35, status_class="2xx") == 1
    assert delta(before, after, "gateway_tokens_total", model=HAIKU35, type="input") == response.usage.input_tokens
    assert delta(before, after, "gateway_tokens_total", model=HAIKU35, type="output") == response.usage.output_tokens


def test_embeddings_count_input_tokens_and_invoke_model_calls(observed):
    before = scrape(observed.metrics_url)
    with observed.client() as client:
        result = client.embeddings.create(model=TITAN_V2, input="faces embeddings")
    after = settled(observed, before, 1)
    route = "/api/v1/embeddings"
    assert delta(before, after, "gateway_requests_total", route=route, model=TITAN_V2, status_class="2xx") == 1
    assert result.usage.prompt_tokens > 0
    assert delta(before, after, "gateway_tokens_total", model=TITAN_V2, type="input") == result.usage.prompt_tokens
    assert delta(before, after, "gateway_bedrock_call_duration_seconds_count", operation="InvokeModel") == 1


def test_requests_without_a_key_are_counted_without_a_model_or_key_name(observed):
    before = scrape(observed.metrics_url)
    with observed.client(key="sk-wrong") as client, pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model=HAIKU35, messages=user("no key"))
    after = settled(observed, before, 1)
    labels = {"route": "/api/v1/chat/completions", "model": "none", "api_key": "none", "status_class": "4xx"}
    assert delta(before, after, "gateway_requests_total", **labels) == 1
    assert "sk-wrong" not in after.text
