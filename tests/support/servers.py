"""Real processes for tests: a redis-server and ConvLens servers on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not start within {seconds:g} s")


class RedisProcess:
    """A redis-server on a free loopback port; with ``directory`` it keeps an append-only
    file there, so ``restart()`` comes back with the data (as the README advises)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed; `make test` installs it with apt-get")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = directory
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        persist = (["--appendonly", "yes", "--dir", str(self.directory)] if self.directory
                   else ["--appendonly", "no", "--save", ""])
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", *persist,
             "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        _wait(lambda: redis.Redis.from_url(self.url).ping(), "redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()  # SIGTERM: Redis writes its append-only file, then exits
            self.proc.wait(10)
            self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextlib.contextmanager
def redis_server(directory: Path | None = None) -> Iterator[str]:
    """A throwaway redis-server (no persistence unless ``directory``); yields its URL."""
    server = RedisProcess(directory)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@contextlib.contextmanager
def convlens_worker(env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """A ``convlens worker`` process (model off unless ``env`` turns it on); yields it once
    it says it is ready, so a test may kill it."""
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                            env={**os.environ, "CONVLENS_LOAD_MODEL": "0", **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in proc.stderr:  # logging goes to stderr
            if "worker ready" in line:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not start within 60 s")
        else:
            raise RuntimeError(f"the worker exited with {proc.wait()}")
        # Keep reading what it logs, so a full pipe never blocks it.
        threading.Thread(target=proc.stderr.read, daemon=True).start()
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def convlens_server(env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """A ConvLens server in a subprocess (model off unless ``env`` turns it on); yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT, env={**os.environ, "CONVLENS_LOAD_MODEL": "0", **(env or {})},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(base + "/api/health", timeout=1).status_code == 200,
              "the ConvLens server")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
