"""Helpers shared by the gateway suite: launching gateways with a clean environment,
reading the emulator's inspection endpoints, building SDK clients."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import boto3
import httpx
import openai

from procs import LISTENING, binary, terminate

KEY = "sk-gw-test-primary-4b7e19c2"
KEY2 = "sk-gw-test-second-90d1aa37"

HAIKU35 = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
HAIKU3 = "anthropic.claude-3-haiku-20240307-v1:0"
LLAMA = "meta.llama3-1-8b-instruct-v1:0"
SONNET45_GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
APP_PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123xyz789"
DEFAULT_MODEL = HAIKU35

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

START_TIMEOUT_S = 30.0
HEX_ID = re.compile(r"^chatcmpl-[0-9a-f]{24,}$")

_VOCABULARY = [
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
    "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango",
]


def words(n: int) -> str:
    """The text the emulator's `#words n` produces."""
    return " ".join(_VOCABULARY[(i * 7 + i // 20) % len(_VOCABULARY)] for i in range(n))


def new_marker() -> str:
    return f"mk{uuid.uuid4().hex[:16]}"


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Polls `predicate` until it returns a truthy value or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} (last value: {last!r})")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- emulator


class Emulator:
    """The session's bedrock-emulator and its /_emulator/ inspection endpoints."""

    def __init__(self, server):
        self.server = server
        self.url = server.base_url
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def requests(self) -> list[dict]:
        response = self.http.get("/_emulator/requests")
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict:
        response = self.http.get("/_emulator/stats")
        response.raise_for_status()
        return response.json()

    def wait_streams_closed(self, timeout: float = 10) -> dict:
        """The stats once no upstream stream is open (after a client went away)."""
        return wait_until(
            lambda: (s := self.stats())["open_streams"] == 0 and s,
            timeout=timeout,
            message="the emulator's open_streams to return to 0 after the client went away",
        )

    def find(self, marker: str, operation: str | None = None) -> dict:
        """The latest recorded request whose body contains `marker` (and of `operation`)."""
        matches = self.find_all(marker, operation)
        assert matches, f"the emulator received no {operation or ''} request containing {marker!r}"
        return matches[-1]

    def find_all(self, marker: str, operation: str | None = None) -> list[dict]:
        found = []
        for record in self.requests():
            if operation and record["operation"] != operation:
                continue
            if record["body"] is not None and marker in json.dumps(record["body"]):
                found.append(record)
        return found

    def close(self):
        self.http.close()


# --------------------------------------------------------------------------- gateway


def base_env(emulator_url: str | None = None, **overrides) -> dict:
    """A clean environment (nothing of the developer's AWS setup leaks in)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        "LOG_FORMAT": "json",
    }
    if emulator_url:
        env.update(
            {
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator_url,
                "AWS_ENDPOINT_URL_BEDROCK": emulator_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_REGION": "us-east-1",
                "API_KEY": KEY,
            }
        )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


class Gateway:
    """A running bedrock-gateway: stdout lines are pumped, stderr (the logs) goes to a file."""

    def __init__(self, argv: list[str], env: dict, timeout: float = START_TIMEOUT_S):
        self.env = env
        self.argv = argv
        self._log_file = tempfile.NamedTemporaryFile(prefix="gateway-", suffix=".log", delete=False)
        self.log_path = Path(self._log_file.name)
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log_file,
            env=env,
            text=True,
            bufsize=1,
        )
        self.stdout: list[str] = []
        self._changed = threading.Condition()
        self._pump = threading.Thread(target=self._read_stdout, daemon=True)
        self._pump.start()
        try:
            line = self.wait_for_stdout(LISTENING, timeout)
        except BaseException:
            self.stop()
            raise
        self.url = LISTENING.search(line).group(1)

    def _read_stdout(self):
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.stdout.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_stdout(self, pattern: re.Pattern, timeout: float) -> str:
        """The first stdout line matching `pattern`, waiting at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.stdout:
                    if pattern.search(line):
                        return line
                if self.proc.poll() is not None and not self._pump.is_alive():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(min(remaining, 0.2))
        state = f"exited with {self.proc.returncode}" if self.proc.poll() is not None else "is still running"
        raise RuntimeError(
            f"bedrock-gateway {state} without printing {pattern.pattern!r} within {timeout}s\n"
            f"stdout:\n" + "\n".join(self.stdout) + "\nstderr:\n" + self.logs()
        )

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_records(self) -> list[dict]:
        records = []
        for line in self.logs().splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    pass
        return records

    def api(self, prefix: str = "/api/v1") -> str:
        return self.url + prefix

    def client(self, key: str | None = KEY, prefix: str = "/api/v1", timeout: float = 30.0, **kwargs) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.api(prefix), api_key=key, max_retries=0, timeout=timeout, **kwargs)

    def http(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def wait_for_models(self, key: str = KEY, timeout: float = 20.0) -> list[str]:
        """Waits until background discovery has listed the catalogue (`/v1` is always served)."""

        def listed():
            try:
                response = httpx.get(self.url + "/v1/models", headers={"Authorization": f"Bearer {key}"}, timeout=5)
            except httpx.HTTPError:
                return None
            if response.status_code != 200:
                return None
            return [m["id"] for m in response.json()["data"]]

        return wait_until(listed, timeout, interval=0.1, message="the gateway's model list")

    def stop(self, timeout: float = 10.0) -> int | None:
        terminate(self.proc, timeout)
        self._pump.join(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._log_file.close()
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        try:
            self.log_path.unlink()
        except FileNotFoundError:
            pass


@contextlib.contextmanager
def running_gateway(env: dict, *args: str):
    """A gateway started with `env` and serving models; always stopped."""
    gw = Gateway(gateway_argv(*args), env)
    try:
        gw.wait_for_models()
        yield gw
    finally:
        gw.cleanup()


def gateway_argv(*args: str) -> list[str]:
    return [binary("bedrock-gateway"), "--port", "0", *args]


def run_gateway(args: list[str], env: dict, timeout: float = 30.0) -> subprocess.CompletedProcess:
    """Runs the gateway to completion (for --check-config and start-up failures)."""
    return subprocess.run(
        [binary("bedrock-gateway"), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# --------------------------------------------------------------------------- assertions


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def assert_serving(client: openai.OpenAI, model: str = HAIKU35):
    """A normal request still succeeds (the server survived whatever came before)."""
    marker = new_marker()
    response = client.chat.completions.create(model=model, messages=user(f"still there {marker}"))
    assert response.choices[0].message.content == f"You said: still there {marker}"


def assert_error_envelope(body: dict) -> dict:
    """The OpenAI error shape: {"error": {"message", "type", "param", "code"}}."""
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"message", "type", "param", "code"} <= set(error), error
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["type"], str) and error["type"]
    return error


def sse_events(body: str) -> list[str]:
    """The `data:` payloads of an SSE body, in order (comments skipped)."""
    events = []
    for block in body.split("\n\n"):
        data = [line[len("data:"):].lstrip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            events.append("\n".join(data))
    return events


def sse_chat_text(body: str) -> str:
    """The answer text of a raw streamed chat body, which must end with `[DONE]`."""
    events = sse_events(body)
    assert events and events[-1] == "[DONE]", events[-3:]
    chunks = [json.loads(e) for e in events[:-1]]
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])


class Moto:
    """`moto` in server mode on a loopback port (STS, SSM, Secrets Manager, DynamoDB…)."""

    def __init__(self):
        self.log = tempfile.TemporaryFile()
        self.proc = None
        self.url = None
        for _attempt in range(3):  # a free port can be taken between probing and binding
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            url = f"http://127.0.0.1:{port}"
            if self._wait_ready(proc, url):
                self.proc, self.url = proc, url
                return
            terminate(proc)
        self.log.seek(0)
        raise RuntimeError("moto_server did not start:\n" + self.log.read().decode(errors="replace"))

    @staticmethod
    def _wait_ready(proc, url, timeout=30.0) -> bool:
        def ready():
            if proc.poll() is not None:
                return "exited"
            try:
                httpx.get(url + "/moto-api/", timeout=2)
                return "up"
            except httpx.HTTPError:
                return None

        try:
            return wait_until(ready, timeout, interval=0.1, message="moto_server") == "up"
        except AssertionError:
            return False

    def client(self, service):
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def stop(self):
        if self.proc:
            terminate(self.proc)
        self.log.close()
