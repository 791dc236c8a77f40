"""The gateway in Lambda mode, for every event shape: /health, /models, chat (JSON and
streamed as Bedrock produces it), keys, OpenAI-shaped errors, stages."""

import json

import pytest

from gateway.support import HAIKU35, KEY, assert_error_envelope, new_marker, sse_chat_text, sse_events, user, words
from lambda_events import alb, function_url, http_api_v2, rest_v1
from lambda_support import read_answer

# name → (event builder, answer streamed?)
SHAPES = {
    "rest-v1-stage": (lambda *a, **k: rest_v1(*a, stage="prod", **k), True),
    "http-api-v2": (http_api_v2, False),
    "http-api-v2-stage": (lambda *a, **k: http_api_v2(*a, stage="prod", **k), False),
    "function-url": (function_url, True),
    "alb": (alb, False),
    "alb-multi-value": (lambda *a, **k: alb(*a, multi_value=True, **k), False),
}


@pytest.fixture(params=sorted(SHAPES))
def shape(request):
    return SHAPES[request.param]


def chat_body(text: str, **extra) -> dict:
    return {"model": HAIKU35, "messages": user(text), **extra}


def test_health(function, shape):
    build, streamed = shape
    answer = function.http(build("GET", "/health"))
    assert (answer.status, answer.json()) == (200, {"status": "OK"})
    assert answer.streamed is streamed


def test_models_under_both_prefixes(function, shape):
    build, _ = shape
    for prefix in ("/api/v1", "/v1"):
        answer = function.http(build("GET", f"{prefix}/models", key=KEY))
        assert answer.status == 200, answer.body
        assert HAIKU35 in [m["id"] for m in answer.json()["data"]]


def test_one_model_with_a_colon_in_its_id(function, shape):
    build, _ = shape
    answer = function.http(build("GET", f"/api/v1/models/{HAIKU35}", key=KEY))
    assert (answer.status, answer.json()["id"]) == (200, HAIKU35)


def test_chat_json(function, shape):
    build, streamed = shape
    marker = new_marker()
    answer = function.http(build("POST", "/api/v1/chat/completions", chat_body(f"hello {marker}"), key=KEY))
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["choices"][0]["message"]["content"] == f"You said: hello {marker}"
    assert answer.streamed is streamed


def test_chat_stream_content(function, shape):
    build, _ = shape
    event = build("POST", "/api/v1/chat/completions", chat_body("#words 12", stream=True), key=KEY)
    answer = function.http(event)
    assert answer.status == 200, answer.body
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert sse_chat_text(answer.text) == words(12)


@pytest.mark.parametrize("name", ["rest-v1-stage", "function-url"])
def test_stream_chunks_arrive_while_bedrock_is_still_answering(function, name):
    build, _ = SHAPES[name]
    # 20 events 150 ms apart: about 3 s from the first token to the last.
    body = chat_body("#words 20\n#chunk-delay 150", stream=True)
    raw = function.call(build("POST", "/api/v1/chat/completions", body, key=KEY), timeout=30)
    arrivals = raw.body_arrivals()
    with_content = [at for at, data in arrivals if b'"content":"' in data]
    assert len(with_content) >= 5, f"the body came in {len(arrivals)} pieces: {arrivals[:3]}"
    finished = arrivals[-1][0]
    assert finished - with_content[0] > 1.5, "the first tokens were held back until the answer was complete"
    assert sse_chat_text(read_answer(raw).text) == words(20)


def test_api_key_is_enforced(function, shape):
    build, _ = shape
    for key in (None, "sk-wrong"):
        answer = function.http(build("GET", "/api/v1/models", key=key))
        assert answer.status == 401, answer.body
        assert_error_envelope(answer.json())
    chat = function.http(build("POST", "/api/v1/chat/completions", chat_body("hi"), key="sk-wrong"))
    assert chat.status == 401 and assert_error_envelope(chat.json())


def test_errors_have_the_openai_shape(function, shape):
    build, _ = shape
    bad_json = function.http(build("POST", "/api/v1/chat/completions", "{not json", key=KEY))
    assert bad_json.status == 400 and assert_error_envelope(bad_json.json())
    unknown = function.http(build("GET", "/api/v1/nowhere", key=KEY))
    assert unknown.status == 404 and assert_error_envelope(unknown.json())
    throttled = function.http(build("POST", "/api/v1/chat/completions", chat_body("#error throttling"), key=KEY))
    assert throttled.status == 429 and assert_error_envelope(throttled.json())


def test_an_error_in_the_middle_of_a_stream_ends_it_with_an_error_event(function):
    event = function_url("POST", "/api/v1/chat/completions", chat_body("#stream-error throttling", stream=True), key=KEY)
    answer = function.http(event)
    assert answer.status == 200
    payloads = [json.loads(e) for e in sse_events(answer.text) if e != "[DONE]"]
    assert "error" in payloads[-1], payloads[-1]


def test_an_event_of_no_known_shape_is_reported_and_the_function_goes_on(function):
    answer = function.call({"hello": "world"})
    assert answer.error is not None and answer.error.get("errorMessage"), answer
    assert function.http(function_url("GET", "/health")).status == 200


def test_buffered_mode_buffers_streaming_shapes(start_function):
    gw = start_function(LAMBDA_RESPONSE_MODE="buffered")
    answer = gw.http(rest_v1("GET", "/health"))
    assert (answer.status, answer.streamed) == (200, False)


def test_stream_mode_streams_http_api_events(start_function):
    gw = start_function(LAMBDA_RESPONSE_MODE="stream")
    answer = gw.http(http_api_v2("GET", "/health"))
    assert (answer.status, answer.streamed) == (200, True)


def test_a_stage_named_like_the_route_prefix_is_stripped_once(start_function):
    gw = start_function()
    answer = gw.http(rest_v1("GET", "/api/v1/models", key=KEY, stage="api"))
    assert answer.status == 200, answer.body


def test_lambda_mode_without_the_runtime_variables_fails_clearly(start_function):
    import subprocess

    from gateway.support import base_env
    from procs import binary

    env = base_env(AWS_LAMBDA_RUNTIME_API="127.0.0.1:9", API_KEY=KEY)
    done = subprocess.run([binary("bedrock-gateway")], env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode == 1
    assert "AWS_LAMBDA_FUNCTION_NAME" in done.stderr


def test_sigterm_ends_the_lambda_mode_with_exit_0(start_function):
    import signal

    gw = start_function()
    assert gw.http(function_url("GET", "/health")).status == 200
    gw.proc.send_signal(signal.SIGTERM)
    assert gw.proc.wait(timeout=10) == 0
