"""The shared procs helper: readiness line, early exit, deadline."""

import sys

import pytest

from procs import binary, start_server

pytestmark = pytest.mark.timeout(30)


def test_reads_the_listening_line():
    script = "import sys, time; print('noise'); print('x listening on http://127.0.0.1:9', flush=True); time.sleep(30)"
    with start_server([sys.executable, "-c", script]) as server:
        assert server.base_url == "http://127.0.0.1:9"
        assert server.proc.poll() is None
    assert server.proc.poll() is not None


def test_early_exit_reports_output():
    with pytest.raises(RuntimeError, match="(?s)exited with 3.*boom"):
        start_server([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], timeout=10)


def test_deadline():
    with pytest.raises(RuntimeError, match="timed out"):
        start_server([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)


def test_binary_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("BEDROCK_EMULATOR_BIN", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="BEDROCK_EMULATOR_BIN"):
        binary("bedrock-emulator")
