"""The gateway suite's fixtures (one emulator, one gateway with two keys, extra gateways on
demand), reused as they are."""

from gateway.conftest import client, emulator, gateway, http, marker, moto, start_gateway  # noqa: F401
