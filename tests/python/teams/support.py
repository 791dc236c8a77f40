"""A real redis-server for the keys-for-teams suite, and helpers to configure gateways with keys."""

from __future__ import annotations

import hashlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from gateway.support import free_port, wait_until
from procs import terminate

ADMIN_KEY = "sk-admin-teams-0123456789abcdef"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class RedisServer:
    """`redis-server` on a loopback port with its own temporary directory (no persistence);
    stopped by PID, even when a test fails. With `tls`, it speaks only TLS (a certificate of a
    CA made for the run, in `ca_file`); with `password`, it requires AUTH, as ElastiCache can."""

    def __init__(self, tls: bool = False, password: str | None = None):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server not found: scripts/test installs it (apt-get install redis-server)")
        self.dir = tempfile.TemporaryDirectory(prefix="teams-redis-")
        self.log = Path(self.dir.name) / "redis.log"
        self.tls, self.password, self.proc = tls, password, None
        extra = self._tls_args() if tls else []
        extra += ["--requirepass", password] if password else []
        for _attempt in range(3):  # a free port can be taken between probing and binding
            self.port = free_port()
            ports = ["--port", "0", "--tls-port", str(self.port)] if tls else ["--port", str(self.port)]
            argv = [binary, "--bind", "127.0.0.1", *ports, "--dir", self.dir.name,
                    "--save", "", "--appendonly", "no", "--logfile", str(self.log), *extra]
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            if self._ready(proc):
                self.proc = proc
                return
            terminate(proc)
        raise RuntimeError("redis-server did not start:\n" + self.log.read_text(errors="replace"))

    def _tls_args(self) -> list[str]:
        """A CA and a server certificate for 127.0.0.1 and localhost, made with openssl."""
        d = Path(self.dir.name)
        self.ca_file = str(d / "ca.crt")
        run = lambda *argv: subprocess.run(argv, check=True, capture_output=True, cwd=d)  # noqa: E731
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "1", "-subj", "/CN=gateway-test-ca")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=localhost")
        (d / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.crt", "-days", "1", "-extfile", "san.cnf")
        return ["--tls-cert-file", str(d / "server.crt"), "--tls-key-file", str(d / "server.key"),
                "--tls-ca-cert-file", self.ca_file, "--tls-auth-clients", "no"]

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        auth = f":{self.password}@" if self.password else ""
        return f"{scheme}://{auth}127.0.0.1:{self.port}/0"

    def command(self, *args: str) -> bytes:
        """One command in RESP (after AUTH when needed), its raw reply (enough for PING)."""
        commands = ([("AUTH", self.password)] if self.password else []) + [args]
        payload = "".join(f"*{len(c)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in c) for c in commands)
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as raw:
            sock = ssl.create_default_context(cafile=self.ca_file).wrap_socket(raw, server_hostname="localhost") if self.tls else raw
            sock.sendall(payload.encode())
            reply = b""
            while reply.count(b"\r\n") < len(commands):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
            return reply.split(b"\r\n", len(commands) - 1)[-1]

    def _ready(self, proc, timeout: float = 10.0) -> bool:
        def up():
            if proc.poll() is not None:
                return "exited"
            try:
                return "up" if self.command("PING").startswith(b"+PONG") else None
            except OSError:
                return None

        try:
            return wait_until(up, timeout, interval=0.05, message="redis-server") == "up"
        except AssertionError:
            return False

    def stop(self):
        if self.proc:
            terminate(self.proc)
        self.dir.cleanup()


def write_config(directory: str, yaml_text: str) -> str:
    path = Path(directory) / f"gateway-{time.monotonic_ns()}.yaml"
    path.write_text(yaml_text)
    return str(path)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def chat(gw, key: str, text: str, model: str | None = None, **fields) -> httpx.Response:
    """One chat completion through `gw` with `key` (raw, so headers can be read)."""
    from gateway.support import HAIKU35

    body = {"model": model or HAIKU35, "messages": [{"role": "user", "content": text}], **fields}
    return httpx.post(gw.api() + "/chat/completions", json=body, headers=bearer(key), timeout=30)


def usage_rows(gw, key_name: str | None = None) -> list[dict]:
    params = {"key": key_name} if key_name else {}
    response = httpx.get(gw.url + "/admin/usage", headers=bearer(ADMIN_KEY), params=params, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def wait_settled(gw, key_name: str, requests: int, timeout: float = 10.0) -> list[dict]:
    """The key's usage rows once `requests` requests have been settled."""
    return wait_until(
        lambda: (rows := usage_rows(gw, key_name)) and sum(r["requests"] for r in rows) >= requests and rows,
        timeout,
        message=f"{requests} settled requests of key {key_name}",
    )
