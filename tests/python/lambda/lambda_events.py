"""Lambda events as API Gateway REST (v1), HTTP API (v2), Function URLs (v2) and ALB send
them (shapes from the AWS documentation), for one HTTP request."""

from __future__ import annotations

import base64
import json
import time

ACCOUNT = "123456789012"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gw/6d0ecf831eec9f09"


def _body(body) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    if isinstance(body, bytes):
        return base64.b64encode(body).decode(), True
    return (body if isinstance(body, str) else json.dumps(body)), False


def _headers(key: str | None, body, host: str) -> dict[str, str]:
    headers = {"host": host, "user-agent": "pytest", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.9"}
    if body is not None:
        headers["content-type"] = "application/json"
    if key is not None:
        headers["authorization"] = f"Bearer {key}"
    return headers


def rest_v1(method: str, path: str, body=None, key: str | None = None, stage: str = "prod") -> dict:
    """API Gateway REST proxy integration: `path` without the stage, the stage in the context."""
    host = "abc123.execute-api.us-east-1.amazonaws.com"
    headers = _headers(key, body, host)
    text, is_b64 = _body(body)
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "resourceId": "us4z18",
            "stage": stage,
            "requestId": "41b45ea3-70b5-11e6-b7bd-69b5aaebc7d9",
            "requestTimeEpoch": int(time.time() * 1000),
            "identity": {"sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "resourcePath": "/{proxy+}",
            "path": f"/{stage}{path}",
            "httpMethod": method,
            "apiId": "abc123",
            "domainName": host,
        },
        "body": text,
        "isBase64Encoded": is_b64,
    }


def _v2(method: str, raw_path: str, body, key, host: str, stage: str) -> dict:
    path, _, query = raw_path.partition("?")
    text, is_b64 = _body(body)
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": _headers(key, body, host),
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": host.split(".")[0],
            "domainName": host,
            "domainPrefix": host.split(".")[0],
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "pytest"},
            "requestId": "MIZRNhJtIAMEMDw=",
            "routeKey": "$default",
            "stage": stage,
            "time": "03/Dec/2026:11:45:34 +0000",
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": is_b64,
    }
    if text is not None:
        event["body"] = text
    return event


def http_api_v2(method: str, path: str, body=None, key: str | None = None, stage: str = "$default") -> dict:
    """HTTP API (payload 2.0): a named stage is part of `rawPath`."""
    raw = path if stage == "$default" else f"/{stage}{path}"
    return _v2(method, raw, body, key, "api123.execute-api.us-east-1.amazonaws.com", stage)


def function_url(method: str, path: str, body=None, key: str | None = None) -> dict:
    return _v2(method, path, body, key, "abcdefghij.lambda-url.us-east-1.on.aws", "$default")


def alb(method: str, path: str, body=None, key: str | None = None, multi_value: bool = False) -> dict:
    headers = _headers(key, body, "gw-123.us-east-1.elb.amazonaws.com")
    text, is_b64 = _body(body)
    event = {
        "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP}},
        "httpMethod": method,
        "path": path,
        "body": text or "",
        "isBase64Encoded": is_b64,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        event["multiValueQueryStringParameters"] = {}
    else:
        event["headers"] = headers
        event["queryStringParameters"] = {}
    return event
