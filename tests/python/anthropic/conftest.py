"""Fixtures for the Anthropic-face suites: the gateway suite's emulator and gateway (one of
each per session), and the official `anthropic` SDK pointed at the gateway."""

import anthropic
import pytest

from gateway.conftest import emulator, gateway, marker  # noqa: F401  (shared fixtures)
from gateway.support import KEY


def sdk(gateway, key=KEY, **kwargs) -> anthropic.Anthropic:  # noqa: F811
    """The SDK as applications use it: base URL without `/v1`, key sent as `x-api-key`."""
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=30.0, **kwargs)


@pytest.fixture(scope="session")
def claude(gateway):  # noqa: F811
    with sdk(gateway) as client:
        yield client
