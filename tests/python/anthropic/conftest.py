"""Fixtures for the Anthropic-face suites: one emulator and one gateway per session, and the
official `anthropic` SDK pointed at the gateway (which serves `/v1/messages`)."""

import anthropic
import pytest

from gateway.support import DEFAULT_MODEL, KEY, Emulator, Gateway, base_env, gateway_argv, new_marker
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
    gw = Gateway(gateway_argv(), base_env(emulator.url, API_KEY=KEY, DEFAULT_MODEL=DEFAULT_MODEL))
    try:
        gw.wait_for_models()
        yield gw
    finally:
        gw.cleanup()


def sdk(gateway, key=KEY, **kwargs) -> anthropic.Anthropic:
    """The SDK as applications use it: base URL without `/v1`, key sent as `x-api-key`."""
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=30.0, **kwargs)


@pytest.fixture(scope="session")
def claude(gateway):
    with sdk(gateway) as client:
        yield client


@pytest.fixture
def marker():
    return new_marker()
