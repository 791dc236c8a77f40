"""Fixtures for the Anthropic-face suites: the gateway suite's emulator and gateway (one of
each per session), and the official `anthropic` SDK pointed at the gateway."""

import pytest

from gateway.conftest import emulator, gateway, marker  # noqa: F401  (shared fixtures)
from anthropic_sdk import sdk


@pytest.fixture(scope="session")
def claude(gateway):  # noqa: F811
    with sdk(gateway) as client:
        yield client
