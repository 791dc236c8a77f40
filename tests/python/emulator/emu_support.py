"""Helpers and constants for the emulator suite (imported by name, unlike conftest)."""

import json
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
US_SONNET_45 = f"us.{SONNET_45}"
NOVA_LITE = "amazon.nova-lite-v1:0"


def make_client(service, base_url, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **kwargs):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=base_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}, read_timeout=20, connect_timeout=5, **kwargs),
    )


def http(base_url, method, path, body=None, headers=None):
    """Raw HTTP request; returns (status, headers (case-insensitive), parsed JSON or raw bytes)."""
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    request = urllib.request.Request(base_url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, head, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, head, raw = error.code, error.headers, error.read()
    try:
        return status, head, json.loads(raw)
    except ValueError:
        return status, head, raw


def user(text, *extra):
    return [{"role": "user", "content": [{"text": text}, *extra]}]
