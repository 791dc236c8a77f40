"""Fixtures for keys for teams: the gateway suite's emulator, a real redis-server, and two
gateways sharing it with the keys of one configuration file."""

import tempfile

import pytest

from gateway.conftest import emulator, marker, moto, start_gateway  # noqa: F401  (shared fixtures)
from gateway.support import DEFAULT_MODEL, KEY, Gateway, base_env, gateway_argv

from .support import ADMIN_KEY, RedisServer, sha256, write_config

# Each test uses its own keys, so the counts of one never move another's.
TEAM_KEYS = {
    "rpm": "sk-team-rpm-7a1f09c3",
    "tpm": "sk-team-tpm-2b8e4d10",
    "budget": "sk-team-budget-5c3a77e2",
    "models": "sk-team-models-91d0f4b8",
    "disabled": "sk-team-disabled-0e6b2c51",
    "expired": "sk-team-expired-4f8a3d96",
    "usage": "sk-team-usage-6d2e8b07",
    "streams": "sk-team-streams-3c9f1a42",
}

KEYS_YAML = f"""
keys:
  - name: rpm
    key_sha256: {sha256(TEAM_KEYS["rpm"])}
    requests_per_minute: 5
  - name: tpm
    key: os.environ/TEAM_TPM_KEY
    tokens_per_minute: 100
  - name: budget
    key: ${{TEAM_BUDGET_KEY}}
    daily_tokens: 50
  - name: models
    key_sha256: {sha256(TEAM_KEYS["models"])}
    models: ["us.anthropic.claude-3-5-haiku*", "cohere.*"]
    requests_per_minute: 1000
    metadata: {{team: search, cost_center: "4711"}}
  - name: disabled
    key_sha256: {sha256(TEAM_KEYS["disabled"])}
    disabled: true
  - name: expired
    key_sha256: {sha256(TEAM_KEYS["expired"])}
    expires_at: 2020-01-01T00:00:00Z
  - name: usage
    key_sha256: {sha256(TEAM_KEYS["usage"])}
  - name: streams
    key_sha256: {sha256(TEAM_KEYS["streams"])}
    max_concurrent_streams: 1
"""


def teams_env(emulator_url: str, **overrides) -> dict:
    settings = {
        "API_KEY": KEY,
        "DEFAULT_MODEL": DEFAULT_MODEL,
        "ADMIN_API_KEY": ADMIN_KEY,
        "TEAM_TPM_KEY": TEAM_KEYS["tpm"],
        "TEAM_BUDGET_KEY": TEAM_KEYS["budget"],
    }
    settings.update(overrides)
    return base_env(emulator_url, **settings)


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="teams-") as directory:
        yield directory


@pytest.fixture(scope="module")
def redis():
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pair(emulator, redis, workdir):  # noqa: F811
    """Two gateways sharing one Redis and one configuration file."""
    config = write_config(workdir, KEYS_YAML)
    started = []
    try:
        for _ in range(2):
            gw = Gateway(gateway_argv("--config", config), teams_env(emulator.url, REDIS_URL=redis.url))
            started.append(gw)
            gw.wait_for_models()
        yield started
    finally:
        for gw in started:
            gw.cleanup()
