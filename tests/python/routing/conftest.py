"""Fixtures for the routing suite: the gateway suite's emulator, moto and gateway factory,
and gateways started with a configuration file."""

import pathlib
import re

import pytest

from gateway.conftest import emulator, marker, moto, start_gateway  # noqa: F401  (shared fixtures)
from gateway.support import KEY, Emulator
from procs import binary, start_server

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "litellm"
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/bedrock/aws4_request")


@pytest.fixture
def config_path(tmp_path):
    """`config_path(text)`: writes a configuration file and returns its path."""
    counter = iter(range(1000))

    def write(text: str) -> str:
        path = tmp_path / f"config-{next(counter)}.yaml"
        path.write_text(text)
        return str(path)

    return write


@pytest.fixture
def routed(start_gateway, config_path):  # noqa: F811
    """`routed(yaml, **env)`: a gateway against the session emulator with this file."""

    def start(text: str, **env):
        return start_gateway(CONFIG_FILE=config_path(text), **env)

    return start


@pytest.fixture
def own_emulator():
    """`own_emulator(*flags)`: an emulator of the test's own (e.g. with failing models)."""
    started = []

    def start(*flags):
        server = start_server([binary("bedrock-emulator"), "--port", "0", *flags], timeout=30)
        started.append(server)
        return Emulator(server)

    yield start
    for server in started:
        server.stop()


def signed_with(record: dict) -> tuple[str, str]:
    """The access key id and region a recorded request was signed with."""
    match = CREDENTIAL.search(record["headers"].get("authorization", ""))
    assert match, f"not a SigV4 request: {record['headers'].get('authorization', '')[:40]!r}"
    return match.group(1), match.group(2)


def chat(client, model: str, text: str, **kwargs):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], **kwargs)


__all__ = ["FIXTURES", "KEY", "chat", "signed_with"]
