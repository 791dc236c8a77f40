"""Redis stopped mid-test: the configured fail mode applies at once, and nothing hangs."""

import time

import pytest

from gateway.support import KEY, Gateway, gateway_argv

from .conftest import KEYS_YAML, TEAM_KEYS, teams_env
from .support import RedisServer, chat, write_config


@pytest.fixture
def own_redis():
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


@pytest.mark.parametrize("mode", ["open", "closed"])
def test_redis_stopped_mid_test_applies_the_fail_mode(emulator, own_redis, workdir, marker, mode):  # noqa: F811
    config = write_config(workdir, KEYS_YAML)
    env = teams_env(emulator.url, REDIS_URL=own_redis.url, REDIS_FAIL_MODE=mode, REDIS_TIMEOUT_MS="200")
    gw = Gateway(gateway_argv("--config", config), env)
    try:
        gw.wait_for_models()
        key = TEAM_KEYS["streams" if mode == "open" else "models"]
        assert chat(gw, key, f"{marker} before").status_code == 200
        own_redis.stop()
        for i in range(3):
            response, elapsed = timed(lambda: chat(gw, key, f"{marker} after {i}"))
            assert elapsed < 3, f"a request waited {elapsed:.1f} s on a stopped Redis"
            if mode == "open":
                assert response.status_code == 200, response.text
            else:
                assert response.status_code == 503, response.text
                assert response.headers["retry-after"] == "1"
                assert response.json()["error"]["code"] == "rate_limiter_unavailable"
        # Unlimited keys never wait on Redis for admission.
        assert chat(gw, KEY, f"{marker} unlimited").status_code == 200
        assert "Redis did not answer" in gw.logs()
    finally:
        gw.cleanup()


def test_redis_over_tls_with_auth_as_on_elasticache(emulator, workdir, marker):  # noqa: F811
    server = RedisServer(tls=True, password="elasticache-auth-token-0123")
    try:
        config = write_config(workdir, KEYS_YAML)
        # The test CA is trusted through SSL_CERT_FILE (read by the system-roots loader).
        env = teams_env(emulator.url, REDIS_URL=server.url, REDIS_FAIL_MODE="closed", SSL_CERT_FILE=server.ca_file)
        gw = Gateway(gateway_argv("--config", config), env)
        try:
            gw.wait_for_models()
            statuses = [chat(gw, TEAM_KEYS["rpm"], f"{marker} {i}").status_code for i in range(6)]
            assert statuses == [200] * 5 + [429], gw.logs()[-2000:]
            assert b"gw:{rpm}" in server.command("KEYS", "*")
        finally:
            gw.cleanup()
        wrong = teams_env(emulator.url, REDIS_URL=server.url.replace("0123@", "wrong@"),
                          REDIS_FAIL_MODE="closed", SSL_CERT_FILE=server.ca_file)
        gw = Gateway(gateway_argv("--config", config), wrong)
        try:
            gw.wait_for_models()
            assert chat(gw, TEAM_KEYS["rpm"], marker).status_code == 503
        finally:
            gw.cleanup()
    finally:
        server.stop()
