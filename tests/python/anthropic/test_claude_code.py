"""Claude Code (`claude -p`, npm `@anthropic-ai/claude-code`, installed by scripts/test into
.tools/claude) against the gateway's Messages face, offline: telemetry, updates, error
reports and other non-essential traffic off; every request goes to the gateway."""

import os
import subprocess
from pathlib import Path

import pytest

from gateway.support import KEY, words

ROOT = Path(__file__).resolve().parents[3]
CLAUDE = Path(os.environ.get("CLAUDE_CODE_BIN", ROOT / ".tools/claude/node_modules/.bin/claude"))
RUN_TIMEOUT_S = 90
# Claude Code's own default model names may be newer than the emulator's catalogue: name
# Anthropic models the gateway maps onto Bedrock ids.
MODEL = "claude-sonnet-4-5-20250929"
SMALL_MODEL = "claude-3-5-haiku-20241022"


def claude(gateway, workdir: Path, *args: str) -> subprocess.CompletedProcess:
    if not CLAUDE.exists():
        pytest.fail(f"Claude Code is not installed at {CLAUDE}: run scripts/test (or its install_claude_code step)")
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_API_KEY": KEY,
        "ANTHROPIC_MODEL": MODEL,
        "ANTHROPIC_SMALL_FAST_MODEL": SMALL_MODEL,
        "ANTHROPIC_DEFAULT_HAIKU_MODEL": SMALL_MODEL,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "DISABLE_BUG_COMMAND": "1",
    }
    return subprocess.run(
        [str(CLAUDE), "-p", *args], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
    )


def test_plain_prompt(gateway, emulator, tmp_path, marker):
    done = claude(gateway, tmp_path, f"{marker}\n#words 4")
    assert done.returncode == 0, done.stderr + done.stdout
    assert done.stdout.strip() == words(4)
    record = emulator.find(marker, "ConverseStream")
    assert "claude-sonnet-4-5-20250929" in record["modelId"]


def test_bash_tool_round_trip(gateway, emulator, tmp_path, marker):
    command = f'{{"command": "echo {marker} > out.txt", "description": "write a file"}}'
    done = claude(gateway, tmp_path, f"#tool Bash {command}", "--allowedTools", "Bash")
    assert done.returncode == 0, done.stderr + done.stdout
    assert (tmp_path / "out.txt").read_text().strip() == marker, "Claude Code ran the Bash tool"
    assert "Tool result" in done.stdout, done.stdout
    turns = emulator.find(marker, "ConverseStream")["body"]["messages"]
    assert any("toolResult" in block for turn in turns for block in turn["content"])
