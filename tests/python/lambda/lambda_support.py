"""The gateway in Lambda mode, driven through a fake Runtime API, and a reader that turns
any answer (streamed or buffered, of any event shape) into status, headers and body."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from procs import binary, terminate

from fake_runtime_api import Answer, FakeRuntimeApi
from gateway.support import KEY, base_env, wait_until

READY = re.compile(r"serving the Lambda Runtime API at (\S+)")
LAMBDA_ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "bedrock-gateway",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bedrock-gateway",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/12/03/[$LATEST]0123456789abcdef",
}


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    streamed: bool

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def read_answer(answer: Answer) -> HttpAnswer:
    """The HTTP response inside a Runtime API answer."""
    assert answer.error is None, f"the function reported an error: {answer.error}"
    if answer.streamed:
        prelude, body = answer.prelude_and_body()
        headers = {k.lower(): v for k, v in prelude.get("headers", {}).items()}
        return HttpAnswer(prelude["statusCode"], headers, body, True)
    payload = answer.buffered_json()
    headers = {k.lower(): v for k, v in (payload.get("headers") or {}).items()}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers[name.lower()] = ", ".join(values)
    raw = payload.get("body") or ""
    body = base64.b64decode(raw) if payload.get("isBase64Encoded") else raw.encode()
    return HttpAnswer(payload["statusCode"], headers, body, False)


class LambdaGateway:
    """`bedrock-gateway` started as Lambda starts it, polling its own FakeRuntimeApi."""

    def __init__(self, emulator_url: str, timeout: float = 30.0, **overrides):
        self.api = FakeRuntimeApi()
        env = base_env(emulator_url, AWS_LAMBDA_RUNTIME_API=self.api.address, **LAMBDA_ENV)
        env.update({k: str(v) for k, v in overrides.items() if v is not None})
        self._log = tempfile.NamedTemporaryFile(prefix="lambda-gw-", suffix=".log", delete=False)
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            [binary("bedrock-gateway")], stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT, env=env
        )
        try:
            self.api.wait_for_next_call(timeout)
        except BaseException:
            self.cleanup()
            raise

    def call(self, event: dict, timeout: float = 20.0) -> Answer:
        return self.api.invoke(event).result(timeout)

    def http(self, event: dict, timeout: float = 20.0) -> HttpAnswer:
        return read_answer(self.call(event, timeout))

    def wait_for_models(self, timeout: float = 20.0):
        from lambda_events import function_url

        def listed():
            answer = self.http(function_url("GET", "/v1/models", key=KEY))
            return answer.status == 200 and answer.json()["data"]

        return wait_until(listed, timeout, interval=0.1, message="the model list in Lambda mode")

    def output(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def cleanup(self) -> int | None:
        code = terminate(self.proc, 10)
        self.api.close()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)
        return code
