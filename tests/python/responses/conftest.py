"""Fixtures of the Responses API suite: one emulator and one gateway (two keys) per session."""

import pytest

from gateway.support import DEFAULT_MODEL, KEY, KEY2, Emulator, Gateway, base_env, gateway_argv, new_marker
from procs import binary, start_server


@pytest.fixture(scope="session")
def emulator():
    with start_server([binary("bedrock-emulator"), "--port", "0"], timeout=30) as server:
        emu = Emulator(server)
        try:
            yield emu
        finally:
            emu.close()


@pytest.fixture(scope="session")
def gateway(emulator):
    env = base_env(emulator.url, API_KEY=f"{KEY},{KEY2}", DEFAULT_MODEL=DEFAULT_MODEL)
    gw = Gateway(gateway_argv(), env)
    try:
        gw.wait_for_models()
        yield gw
    finally:
        gw.cleanup()


@pytest.fixture(scope="session")
def client(gateway):
    with gateway.client() as sdk:
        yield sdk


@pytest.fixture
def marker():
    return new_marker()
