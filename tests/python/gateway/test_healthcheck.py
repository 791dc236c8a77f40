"""`bedrock-gateway healthcheck`: exit 0 when /health answers 200 on 127.0.0.1:$PORT, else 1."""

import subprocess
from urllib.parse import urlparse

from procs import QuietHandler, loopback_http

from .support import base_env, free_port, run_gateway


def healthcheck(port) -> subprocess.CompletedProcess:
    return run_gateway(["healthcheck"], base_env(PORT=port, HOST="0.0.0.0"), timeout=20)


def test_a_serving_gateway_is_healthy(gateway):
    done = healthcheck(urlparse(gateway.url).port)
    assert done.returncode == 0, done.stderr


def test_nothing_listening_is_unhealthy():
    done = healthcheck(free_port())
    assert done.returncode == 1
    assert "/health" in done.stderr


def test_a_non_200_answer_is_unhealthy():
    class Unavailable(QuietHandler):
        def do_GET(self):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with loopback_http(Unavailable) as url:
        done = healthcheck(urlparse(url).port)
    assert done.returncode == 1
    assert "503" in done.stderr


def test_an_invalid_port_is_unhealthy_with_a_message():
    done = healthcheck("eighty")
    assert done.returncode == 1
    assert "PORT" in done.stderr
