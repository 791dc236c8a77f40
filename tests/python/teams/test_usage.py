"""Usage per key, model and day is exact after a mixed workload on two gateways, a stream
the client dropped included (counted as produced: the estimate docs/keys.md describes)."""

import math

import httpx

from gateway.support import HAIKU35, KEY, wait_until

from .conftest import TEAM_KEYS
from .support import bearer, chat, usage_rows
from .test_limits import first_content

COHERE = "cohere.embed-multilingual-v3"


def totals(rows, model):
    row = [r for r in rows if r["model"] == model]
    assert len(row) == 1, rows
    return row[0]


def test_usage_totals_are_exact_after_a_mixed_workload(pair, marker, emulator):
    a, b = pair
    key = TEAM_KEYS["usage"]
    expected = {"requests": 0, "input_tokens": 0, "output_tokens": 0}

    def add(input_tokens, output_tokens):
        expected["requests"] += 1
        expected["input_tokens"] += input_tokens
        expected["output_tokens"] += output_tokens

    plain = chat(a, key, f"{marker} one\n#words 7").json()["usage"]
    add(plain["prompt_tokens"], plain["completion_tokens"])
    stream = b.client(key=key).chat.completions.create(
        model=HAIKU35, messages=[{"role": "user", "content": f"{marker} two\n#words 9"}],
        stream=True, stream_options={"include_usage": True})
    last = [chunk for chunk in stream][-1]
    add(last.usage.prompt_tokens, last.usage.completion_tokens)
    message = httpx.post(b.url + "/v1/messages", headers={"x-api-key": key}, timeout=30,
                         json={"model": HAIKU35, "max_tokens": 50, "messages": [{"role": "user", "content": f"{marker} three"}]})
    add(message.json()["usage"]["input_tokens"], message.json()["usage"]["output_tokens"])
    dropped_text = f"{marker} four\n#chunk-delay 1000\n#words 40"
    body = {"model": HAIKU35, "stream": True, "messages": [{"role": "user", "content": dropped_text}]}
    with httpx.stream("POST", a.api() + "/chat/completions", json=body, headers=bearer(key), timeout=30) as response:
        received = first_content(response.iter_lines())
    emulator.wait_streams_closed()
    add(math.ceil(len(dropped_text) / 4), math.ceil(len(received) / 4))
    embedded = a.client(key=key).embeddings.create(model=COHERE, input=[f"{marker} five six"])
    chat(a, KEY, f"{marker} not this key")  # another key's request

    def settled():
        rows = usage_rows(b, "usage")
        return sum(r["requests"] for r in rows) >= 5 and rows

    rows = wait_until(settled, 10, message="five settled requests")
    haiku = totals(rows, HAIKU35)
    assert {k: haiku[k] for k in expected} == expected, (haiku, expected)
    cohere = totals(rows, COHERE)
    assert (cohere["requests"], cohere["input_tokens"], cohere["output_tokens"]) == (1, embedded.usage.prompt_tokens, 0)
    assert all(r["key"] == "usage" for r in rows)


def test_usage_is_exported_in_the_metrics_by_key_name(emulator, redis, workdir, marker):  # noqa: F811
    from gateway.support import Gateway, gateway_argv

    from .conftest import KEYS_YAML, teams_env
    from .support import write_config
    from observability.conftest import metrics_url

    config = write_config(workdir, KEYS_YAML)
    gw = Gateway(gateway_argv("--config", config), teams_env(emulator.url, METRICS_ADDR="127.0.0.1:0"))
    try:
        gw.wait_for_models()
        url = metrics_url(gw)
        assert chat(gw, TEAM_KEYS["usage"], f"{marker}\n#words 3").status_code == 200
        statuses = [chat(gw, TEAM_KEYS["rpm"], marker).status_code for _ in range(6)]
        assert statuses[-1] == 429

        def exported():
            text = httpx.get(url + "/metrics").text
            return 'gateway_tokens_total{' in text and 'api_key="usage"' in text and text

        text = wait_until(exported, 10, message="the key's name in the metrics")
        lines = text.splitlines()
        tokens = [line for line in lines if line.startswith("gateway_tokens_total{") and 'api_key="usage"' in line]
        assert any('type="output"' in line and line.endswith(" 3") for line in tokens), tokens
        refused = 'gateway_rate_limited_requests_total{api_key="rpm",limit="requests_per_minute"} 1'
        assert refused in lines, [line for line in lines if "rate_limited" in line]
    finally:
        gw.cleanup()
