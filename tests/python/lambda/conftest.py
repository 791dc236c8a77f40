"""Fixtures: one bedrock-emulator per session and gateways in Lambda mode, each polling its
own fake Runtime API (every process is stopped at teardown, even on failure)."""

import pytest

from gateway.conftest import emulator  # noqa: F401  (the gateway suite's session emulator)
from lambda_support import LambdaGateway


@pytest.fixture(scope="module")
def function(emulator):
    """A gateway in Lambda mode with the default settings, shared by a module."""
    gw = LambdaGateway(emulator.url)
    try:
        gw.wait_for_models()
        yield gw
    finally:
        gw.cleanup()


@pytest.fixture
def start_function(emulator):
    started = []

    def start(**overrides):
        gw = LambdaGateway(emulator.url, **overrides)
        started.append(gw)
        return gw

    yield start
    for gw in started:
        gw.cleanup()
