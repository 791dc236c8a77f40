"""Fixtures for the hardening suite: the gateway suite's emulator (its fault table cleared
after every test) and gateways with short limits and timeouts, so faults show quickly."""

import pytest

from gateway.conftest import emulator, marker, start_gateway  # noqa: F401  (shared fixtures)
from gateway.support import DEFAULT_MODEL, KEY, base_env, running_gateway

from .hardening_support import Faults

# Short enough that a stalled stream fails within a test; the first event may take longer.
STALL_SECONDS = 2
KEEPALIVE_SECONDS = 1


@pytest.fixture
def faults(emulator):  # noqa: F811
    """The session emulator's fault table; cleared afterwards, whatever happened."""
    table = Faults(emulator)
    table.clear()
    try:
        yield table
    finally:
        table.clear()


@pytest.fixture(scope="module")
def hardened(emulator):  # noqa: F811
    """A gateway with a 2 s mid-stream stall timeout, 1 s keep-alives and /metrics."""
    env = base_env(
        emulator.url,
        API_KEY=KEY,
        DEFAULT_MODEL=DEFAULT_MODEL,
        STREAM_STALL_TIMEOUT_SECONDS=STALL_SECONDS,
        STREAM_KEEPALIVE_SECONDS=KEEPALIVE_SECONDS,
        METRICS_ON_MAIN_LISTENER="true",
    )
    with running_gateway(env) as gw:
        yield gw


@pytest.fixture(scope="module")
def client(hardened):
    with hardened.client() as sdk:
        yield sdk
