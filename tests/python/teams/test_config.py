"""The keys section at start-up: clear errors, --check-config, a single node in memory, a key
read from Secrets Manager (moto)."""

import json
import uuid

from gateway.support import Gateway, base_env, gateway_argv, run_gateway

from .conftest import KEYS_YAML, TEAM_KEYS, teams_env
from .support import chat, write_config


def test_check_config_names_the_bad_field(workdir, emulator):  # noqa: F811
    config = write_config(workdir, "keys:\n  - name: a\n    key: os.environ/TEAM_A\n    requests_per_minute: 0\n")
    result = run_gateway(["--check-config", "--config", config], base_env(emulator.url, TEAM_A="sk-a"))
    assert result.returncode == 2
    assert "keys[0].requests_per_minute: must be at least 1" in result.stderr, result.stderr
    plain = write_config(workdir, "keys:\n  - name: a\n    key: sk-plain-in-the-file\n")
    result = run_gateway(["--check-config", "--config", plain], base_env(emulator.url))
    assert result.returncode == 2 and "plain keys do not belong in the file" in result.stderr
    assert "sk-plain-in-the-file" not in result.stderr
    good = write_config(workdir, KEYS_YAML)
    result = run_gateway(["--check-config", "--config", good], teams_env(emulator.url, REDIS_URL="redis://127.0.0.1:1"))
    assert result.returncode == 0, result.stderr
    result = run_gateway(["--check-config", "--config", good], teams_env(emulator.url, REDIS_URL="http://nowhere"))
    assert result.returncode == 2 and "REDIS_URL" in result.stderr


def test_a_single_node_keeps_limits_in_memory_and_file_keys_suffice(workdir, emulator, marker):  # noqa: F811
    config = write_config(workdir, KEYS_YAML)
    env = teams_env(emulator.url, API_KEY=None)
    gw = Gateway(gateway_argv("--config", config), env)
    try:
        gw.wait_for_models(key=TEAM_KEYS["usage"])
        statuses = [chat(gw, TEAM_KEYS["rpm"], f"{marker} {i}").status_code for i in range(6)]
        assert statuses == [200] * 5 + [429]
        assert chat(gw, "sk-gw-test-primary-4b7e19c2", marker).status_code == 401
    finally:
        gw.cleanup()


def test_a_key_from_secrets_manager(workdir, emulator, moto, marker):  # noqa: F811
    name = f"gateway/team-{uuid.uuid4().hex[:8]}"
    moto.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps({"api_key": "sk-team-from-secret"}))
    yaml = f"keys:\n  - name: vault\n    key_secret: {name}\n    requests_per_minute: 1\n"
    env = teams_env(emulator.url, API_KEY=None, AWS_ENDPOINT_URL_SECRETS_MANAGER=moto.url)
    gw = Gateway(gateway_argv("--config", write_config(workdir, yaml)), env)
    try:
        gw.wait_for_models(key="sk-team-from-secret")
        assert [chat(gw, "sk-team-from-secret", marker).status_code for _ in range(2)] == [200, 429]
    finally:
        gw.cleanup()
    missing = write_config(workdir, "keys:\n  - name: vault\n    key_secret: gateway/none\n")
    result = run_gateway(["--check-config", "--config", missing], env)
    assert result.returncode == 2 and "keys[0] (vault): could not read API key secret gateway/none" in result.stderr


def test_doctor_reports_the_keys_of_the_file(workdir, emulator, moto):  # noqa: F811
    env = teams_env(emulator.url, API_KEY=None, AWS_ENDPOINT_URL_STS=moto.url)
    good = write_config(workdir, KEYS_YAML)
    result = run_gateway(["doctor", "--config", good], env, timeout=30)
    assert "API keys of the configuration file: 8 key(s) declared" in result.stdout, result.stdout + result.stderr
    assert "none configured" not in result.stdout
    bad = write_config(workdir, "keys:\n  - name: a\n    key_sha256: nope\n")
    result = run_gateway(["doctor", "--config", bad], env, timeout=30)
    assert result.returncode == 1
    assert "keys[0].key_sha256: must be 64 hexadecimal digits" in result.stdout, result.stdout
