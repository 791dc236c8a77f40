"""Start-up: the built-in emulator mode, --check-config, invalid settings, shutdown."""

import re

import openai
import pytest

from .support import HAIKU35, KEY, Gateway, base_env, gateway_argv, run_gateway, user

pytestmark = pytest.mark.timeout(60)

GENERATED_KEY = re.compile(r"API key \(generated for this run\): (sk-local-[0-9a-f]{32})\s*$")
BASE_URL = re.compile(r"OpenAI base URL: (http://127\.0\.0\.1:\d+/api/v1)\s*$")


def test_emulator_mode_prints_a_key_that_works(marker):
    gw = Gateway(gateway_argv("--emulator"), base_env())
    try:
        key = GENERATED_KEY.search(gw.wait_for_stdout(GENERATED_KEY, 10)).group(1)
        base_url = BASE_URL.search(gw.wait_for_stdout(BASE_URL, 10)).group(1)
        assert base_url == gw.url + "/api/v1"
        assert any("built-in emulator" in line for line in gw.stdout), gw.stdout
        gw.wait_for_models(key=key)
        with openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=30) as sdk:
            response = sdk.chat.completions.create(model=HAIKU35, messages=user(f"hi {marker}"))
            assert response.choices[0].message.content == f"You said: hi {marker}"
            chunks = list(sdk.chat.completions.create(model=HAIKU35, messages=user(marker), stream=True))
            assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == f"You said: {marker}"
            assert any(m.id == HAIKU35 for m in sdk.models.list())
        with openai.OpenAI(base_url=base_url, api_key="sk-local-wrong", max_retries=0, timeout=30) as sdk:
            with pytest.raises(openai.AuthenticationError):
                sdk.models.list()
        assert key not in gw.logs()
    finally:
        gw.cleanup()


def test_emulator_mode_generates_a_fresh_key_each_run():
    keys = []
    for _ in range(2):
        gw = Gateway(gateway_argv("--emulator"), base_env())
        try:
            keys.append(GENERATED_KEY.search(gw.wait_for_stdout(GENERATED_KEY, 10)).group(1))
        finally:
            gw.cleanup()
    assert keys[0] != keys[1]


def test_emulator_mode_with_a_configured_key_prints_none():
    gw = Gateway(gateway_argv("--emulator"), base_env(API_KEY=KEY))
    try:
        gw.wait_for_models(key=KEY)
        assert not any("generated for this run" in line for line in gw.stdout)
    finally:
        gw.cleanup()


def test_check_config_ok(emulator):
    result = run_gateway(["--check-config"], base_env(emulator.url))
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout
    assert "listening" not in result.stdout


def test_check_config_without_any_key_fails(emulator):
    result = run_gateway(["--check-config"], base_env(emulator.url, API_KEY=None))
    assert result.returncode != 0
    assert "configuration OK" not in result.stdout
    assert "no API key configured" in result.stderr
    assert "API_KEY" in result.stderr


def test_blank_keys_count_as_no_key(emulator):
    result = run_gateway(["--check-config"], base_env(emulator.url, API_KEY=" , "))
    assert result.returncode != 0
    assert "no API key configured" in result.stderr


def test_serving_without_any_key_refuses_to_start(emulator):
    result = run_gateway(["--port", "0"], base_env(emulator.url, API_KEY=None))
    assert result.returncode != 0
    assert "listening on" not in result.stdout
    assert "no API key configured" in result.stderr


@pytest.mark.parametrize(
    "name, value, mention",
    [
        ("ENABLE_PROMPT_CACHING", "maybe", "ENABLE_PROMPT_CACHING"),
        ("API_ROUTE_PREFIX", "api", "API_ROUTE_PREFIX"),
        ("API_ROUTE_PREFIX", "/", "API_ROUTE_PREFIX"),
        ("ALLOWED_ORIGINS", "*,https://a.example", "ALLOWED_ORIGINS"),
        ("MAX_REQUEST_BODY_BYTES", "10", "MAX_REQUEST_BODY_BYTES"),
        ("DEBUG", "sometimes", "DEBUG"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT"),
        ("PORT", "eighty", "PORT"),
    ],
)
def test_invalid_settings_fail_naming_the_setting(emulator, name, value, mention):
    result = run_gateway(["--check-config"], base_env(emulator.url, **{name: value}))
    assert result.returncode != 0
    assert "configuration OK" not in result.stdout
    assert mention in result.stderr, result.stderr


def test_sigterm_stops_cleanly(emulator):
    gw = Gateway(gateway_argv(), base_env(emulator.url))
    try:
        gw.wait_for_models()
        assert gw.stop() == 0
    finally:
        gw.cleanup()
