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
