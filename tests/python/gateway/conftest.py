"""Fixtures: one bedrock-emulator and one bedrock-gateway per session, SDK clients, and a
factory for extra gateways with their own environment (always stopped, even on failure)."""

import pytest

from procs import binary, start_server

from .support import DEFAULT_MODEL, KEY, KEY2, Emulator, Gateway, Moto, base_env, gateway_argv, new_marker, running_gateway


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
    with running_gateway(env) as gw:
        yield gw


@pytest.fixture(scope="session")
def client(gateway):
    with gateway.client() as sdk:
        yield sdk


@pytest.fixture
def http(gateway):
    with gateway.http() as raw:
        yield raw


@pytest.fixture
def start_gateway(emulator):
    """`start_gateway(*args, env_overrides...)`: a gateway against the session emulator.

    Keyword arguments override the environment (None removes a variable); `wait_models`
    (default True) waits for model discovery, authenticating with `wait_key` (default: the
    first API_KEY). Every gateway is stopped at teardown.
    """
    started = []

    def start(*args, wait_models=True, wait_key=None, emulator_env=True, **overrides):
        env = base_env(emulator.url if emulator_env else None, **overrides)
        gw = Gateway(gateway_argv(*args), env)
        started.append(gw)
        if wait_models:
            gw.wait_for_models(key=wait_key or (overrides.get("API_KEY") or KEY).split(",")[0])
        return gw

    yield start
    for gw in started:
        gw.cleanup()


@pytest.fixture
def marker():
    return new_marker()


@pytest.fixture(scope="session")
def moto():
    """One moto server for the session; tests keep apart by unique names."""
    server = Moto()
    try:
        yield server
    finally:
        server.stop()
