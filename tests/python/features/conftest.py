"""Fixtures for the feature suites: one bedrock-emulator and one bedrock-gateway per
module, reusing the gateway suite's launch helpers."""

import pytest

from gateway.support import KEY, Emulator, Gateway, base_env, gateway_argv
from procs import binary, start_server


@pytest.fixture(scope="module")
def emulator():
    with start_server([binary("bedrock-emulator"), "--port", "0"], timeout=30) as server:
        emu = Emulator(server)
        try:
            yield emu
        finally:
            emu.close()


@pytest.fixture(scope="module")
def gateway(emulator):
    gw = Gateway(gateway_argv(), base_env(emulator.url, API_KEY=KEY))
    try:
        gw.wait_for_models()
        yield gw
    finally:
        gw.cleanup()


@pytest.fixture(scope="module")
def client(gateway):
    with gateway.client() as sdk:
        yield sdk
