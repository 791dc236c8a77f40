"""The keys section at start-up: clear errors, --check-config, a single node in memory."""

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
