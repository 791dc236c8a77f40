"""Codex CLI (`codex exec`) offline against the gateway: a custom model provider with
`wire_api = "responses"`, telemetry, update checks and web search off."""

import os
import subprocess
from pathlib import Path

import pytest

from gateway.support import HAIKU35, KEY, SONNET45_GLOBAL
from procs import ROOT

pytestmark = pytest.mark.timeout(180)

CODEX = Path(os.environ.get("CODEX_BIN", ROOT / ".tools" / "codex" / "node_modules" / ".bin" / "codex"))


def codex_runner(gateway, tmp_path, model_settings):
    if not CODEX.exists():
        pytest.fail(f"Codex CLI not found at {CODEX}: scripts/test installs it (or set CODEX_BIN)")
    home = tmp_path / "codex-home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    (home / "config.toml").write_text(
        f"""
{model_settings}
model_provider = "gateway"
web_search = "disabled"
check_for_update_on_startup = false

[model_providers.gateway]
name = "bedrock-gateway"
base_url = "{gateway.api()}"
env_key = "GATEWAY_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[otel]
exporter = "none"
"""
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "CODEX_HOME": str(home)}
    env["GATEWAY_KEY"] = KEY

    def run(prompt: str) -> str:
        argv = [str(CODEX), "exec", "--skip-git-repo-check", "--ephemeral"]
        argv += ["--dangerously-bypass-approvals-and-sandbox", "-C", str(work), prompt]
        done = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=150
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output
        return output

    return run


@pytest.fixture
def codex(gateway, tmp_path):
    return codex_runner(gateway, tmp_path, f'model = "{HAIKU35}"')


@pytest.fixture
def thinking_codex(gateway, tmp_path):
    settings = f'model = "{SONNET45_GLOBAL}"\nmodel_reasoning_effort = "medium"\nmodel_reasoning_summary = "auto"'
    return codex_runner(gateway, tmp_path, settings)


def test_plain_prompt(codex, emulator, marker):
    output = codex(f"say hello {marker}")
    assert f"say hello {marker}" in output.split("You said:")[-1]
    request = emulator.find(marker, "ConverseStream")
    assert request["body"]["toolConfig"]["tools"], "Codex's own tools were offered"


def test_shell_tool_round_trip(codex, emulator, marker):
    prompt = f'run {marker}\n#tool exec_command {{"cmd": "echo {marker}-$((6*7))"}}'
    output = codex(prompt)
    assert "You said: Tool result:" in output
    assert f"{marker}-42" in output, "the shell really ran the command"
    tool_turn = emulator.find(f"{marker}-42", "ConverseStream")["body"]["messages"][-1]["content"]
    assert any("toolResult" in block for block in tool_turn)


def test_thinking_and_tool_use_stay_signed_across_stateless_turns(thinking_codex, emulator, marker):
    """Codex sends `store: false` and replays reasoning items with their `encrypted_content`:
    the tool-result turn must carry Claude's signed thinking back to Bedrock."""
    output = thinking_codex(f'think {marker}\n#tool exec_command {{"cmd": "echo {marker}-$((6*7))"}}')
    assert f"{marker}-42" in output
    first = emulator.find(marker, "ConverseStream")["body"]
    assert first["additionalModelRequestFields"]["thinking"]["type"] in ("enabled", "adaptive")
    tool_turn = emulator.find(f"{marker}-42", "ConverseStream")["body"]["messages"]
    assistant = next(m for m in reversed(tool_turn) if m["role"] == "assistant")["content"]
    thinking = assistant[0]["reasoningContent"]["reasoningText"]
    assert thinking["text"] and thinking["signature"]
    assert any("toolUse" in block for block in assistant)
