"""The official `anthropic` SDK pointed at a gateway, as applications configure it."""

import anthropic

from gateway.support import KEY


def sdk(gateway, key=KEY, **kwargs) -> anthropic.Anthropic:
    """The SDK as applications use it: base URL without `/v1`, key sent as `x-api-key`."""
    return anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0, timeout=30.0, **kwargs)
