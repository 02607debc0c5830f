"""What benchmarks share: a real server with production malloc settings, percentiles,
memory readings from /proc, and a lean keep-alive HTTP client."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
from collections.abc import Iterator

from tests.support.servers import convlens_server

# DESIGN.md: these two glibc settings keep hot paths from re-faulting fresh pages
# (the Makefile and the Dockerfile set them for real servers too).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824",
              "MALLOC_ARENA_MAX": "2"}


@contextlib.contextmanager
def running_server(env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """A ConvLens server in a subprocess; yields its base URL."""
    with convlens_server({**MALLOC_ENV, **(env or {})}, workers=workers) as base:
        yield base


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, from /proc."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (FileNotFoundError, StopIteration):
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


def server_pid(base: str) -> int:
    """The pid of the server process listening at ``base`` (its uvicorn parent)."""
    port = base.rsplit(":", 1)[1]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if b"app.cli" in cmd and port.encode() in cmd:
                return int(pid)
    raise RuntimeError("cannot find the server process")


class Client:
    """One keep-alive connection with the standard library's client (it costs a fraction of
    httpx's CPU per request, so the figures are the server's, not the client's)."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.http = http.client.HTTPConnection(host, int(port), timeout=30)
        self.http.connect()
        self.http.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def request(self, method: str, path: str, body: bytes | None = None,
                ctype: str = "application/json") -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": ctype} if body is not None else {}
        self.http.request(method, path, body=body, headers=headers)
        r = self.http.getresponse()
        return r.status, dict(r.getheaders()), r.read()

    def post_json(self, path: str, data: object) -> tuple[int, dict[str, str], bytes]:
        return self.request("POST", path, json.dumps(data).encode())

    def upload(self, path: str, data: bytes, name: str = "p.jpg") -> dict:
        body, ctype = multipart(data, name)
        status, _, answer = self.request("POST", path, body, ctype)
        if status != 201:
            raise RuntimeError(f"upload failed: {status} {answer[:200]!r}")
        return json.loads(answer)

    def close(self) -> None:
        self.http.close()


def multipart(data: bytes, name: str = "p.jpg") -> tuple[bytes, str]:
    boundary = "convlensbench"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\""
            "\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"
