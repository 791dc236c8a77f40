"""Fixtures for the observability suite: the gateway suite's emulator and a gateway of its
own with the metrics listener and EMF on (so no other suite's traffic moves its counters)."""

import re

import pytest

from gateway.conftest import emulator, marker, start_gateway  # noqa: F401  (shared fixtures)
from gateway.support import DEFAULT_MODEL, KEY, KEY2, Gateway, base_env, running_gateway

METRICS_LINE = re.compile(r"Metrics: (http://\S+)/metrics")


def metrics_url(gw: Gateway) -> str:
    """The separate metrics listener's base URL, as the gateway printed it."""
    return METRICS_LINE.search(gw.wait_for_stdout(METRICS_LINE, 10)).group(1)


@pytest.fixture(scope="module")
def observed(emulator):  # noqa: F811
    env = base_env(
        emulator.url,
        API_KEY=f"{KEY},{KEY2}",
        DEFAULT_MODEL=DEFAULT_MODEL,
        METRICS_ADDR="127.0.0.1:0",
        METRICS_EMF="true",
        METRICS_EMF_NAMESPACE="GatewayTests",
    )
    with running_gateway(env) as gw:
        gw.metrics_url = metrics_url(gw)
        yield gw
