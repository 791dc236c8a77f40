"""scripts/package-lambda rejects what it cannot build before installing or compiling
anything (the cross build itself takes minutes: a documented manual step, see README)."""

import subprocess

from procs import ROOT

SCRIPT = ROOT / "scripts" / "package-lambda"


def test_an_unknown_architecture_is_refused_at_once():
    done = subprocess.run([str(SCRIPT), "arm64", "mips"], capture_output=True, text=True, timeout=10, cwd=ROOT)
    assert done.returncode == 1
    assert "unknown architecture 'mips'" in done.stderr
    assert "Compiling" not in done.stderr

