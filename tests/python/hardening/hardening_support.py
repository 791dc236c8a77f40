"""Helpers of the hardening suite: the emulator's fault table, a process's resident memory,
raw sockets that report when the server closed them."""

from __future__ import annotations

import socket
import time

import httpx


class Faults:
    """`/_emulator/faults` of an emulator."""

    def __init__(self, emulator):
        self.http = emulator.http

    def add(self, body) -> list[dict]:
        response = self.http.post("/_emulator/faults", json=body)
        response.raise_for_status()
        return response.json()["faults"]

    def list(self) -> list[dict]:
        response = self.http.get("/_emulator/faults")
        response.raise_for_status()
        return response.json()["faults"]

    def clear(self) -> None:
        self.http.delete("/_emulator/faults").raise_for_status()


def rss_kib(pid: int) -> int:
    """VmRSS of a process, in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def connect(url: str) -> socket.socket:
    """A TCP connection to an http://host:port URL."""
    host, port = httpx.URL(url).host, httpx.URL(url).port
    return socket.create_connection((host, port), timeout=5)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the peer closed `sock` (EOF or reset), reading and discarding what
    arrives; None when it is still open after `seconds`."""
    start = time.monotonic()
    deadline = start + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return time.monotonic() - start
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


HEALTH_REQUEST = b"GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n"


def read_response_head(sock: socket.socket, timeout: float = 5) -> bytes:
    """Reads until the end of a response (a small one: /health)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data
