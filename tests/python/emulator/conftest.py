"""Fixtures: one emulator per session (plus one verifying SigV4) and boto3 clients."""

import pytest

from emu_support import make_client
from procs import binary, start_server


@pytest.fixture(scope="session")
def emulator():
    with start_server([binary("bedrock-emulator"), "--port", "0"]) as server:
        yield server


@pytest.fixture(scope="session")
def verifying_emulator():
    with start_server([binary("bedrock-emulator"), "--port", "0", "--verify-sigv4"]) as server:
        yield server


@pytest.fixture(scope="session")
def runtime(emulator):
    return make_client("bedrock-runtime", emulator.base_url)


@pytest.fixture(scope="session")
def control(emulator):
    return make_client("bedrock", emulator.base_url)
