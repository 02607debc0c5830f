"""A bounded load test on loopback: N users editing kernels (and asking for analyses).

Each simulated user loops: edit a kernel on its own photo, and every tenth step
ask for a CNN analysis of it (when the server has its model): a Grad-CAM for a
class it has not asked for before, so every analysis runs the network's backward
pass (a repeated /predict would be answered from the cache). The run is bounded
in time and in requests. It prints throughput, latency percentiles, errors and
the server's peak resident memory; it asserts nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

import httpx

from bench.server import percentile, running_server
from tests.support.photos import noisy_gradient
from tests.support.servers import redis_server

USERS = int(os.environ.get("BENCH_USERS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
MAX_REQUESTS = 50_000
SIDE = 512


def _rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, from /proc (KiB)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{p}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
        except (FileNotFoundError, StopIteration):
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except FileNotFoundError:
        return []


class _Connection:
    """One keep-alive HTTP/1.1 connection with a minimal client.

    httpx spent more CPU per request than the server on this 2-core box, so
    the load generator speaks HTTP itself: write a request, read the headers,
    read Content-Length bytes.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"",
                      content_type: str = "application/json") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "convlensbench"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    return body + data + f"\r\n--{boundary}--\r\n".encode(), \
        f"multipart/form-data; boundary={boundary}"


async def _user(host: str, port: int, n: int, stop: float, stats: dict) -> None:
    conn = _Connection(host, port)
    body, ctype = _multipart(noisy_gradient(SIDE, n))
    _, answer = await conn.request("POST", "/api/images", body, ctype)
    image_id = json.loads(answer)["id"]
    step = 0
    while time.monotonic() < stop and stats["count"] < MAX_REQUESTS:
        step += 1
        if stats["model"] and step % 10 == 0:
            target = (n * 97 + step // 10) % 1000  # new for this photo: computed, not cached
            kind, path = "analysis", f"/api/images/{image_id}/gradcam?class={target}&as=heatmap"
            payload = b""
        else:
            kernel = [[-1, 0, 1], [-2, (step % 7) - 3, 2], [-1, 0, 1]]
            kind, path = "edit", f"/api/images/{image_id}/convolve"
            payload = json.dumps({"kernel": kernel}).encode()
        t0 = time.perf_counter()
        try:
            status, _ = await conn.request("GET" if kind == "analysis" else "POST", path,
                                           payload)
        except (OSError, asyncio.IncompleteReadError):
            status, conn = 0, _Connection(host, port)
        stats["lat"][kind].append((time.perf_counter() - t0) * 1000)
        stats["count"] += 1
        if status != 200:
            stats["errors"] += 1
            stats["statuses"][status] = stats["statuses"].get(status, 0) + 1


async def _run(base: str, pid: int) -> None:
    host, port = base.removeprefix("http://").split(":")
    health = httpx.get(base + "/api/health").json()
    stats = {"count": 0, "errors": 0, "statuses": {}, "lat": {"edit": [], "analysis": []},
             "model": health["model_loaded"]}
    peak = 0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, _rss_kib(pid))
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    start = time.monotonic()
    await asyncio.gather(*[_user(host, int(port), n, start + SECONDS, stats)
                           for n in range(USERS)])
    elapsed = time.monotonic() - start
    watcher.cancel()
    print(f"{USERS} users, {elapsed:.1f} s, {stats['count']} requests, "
          f"{stats['errors']} errors {stats['statuses'] or ''}, "
          f"peak server RSS {peak / 1024:.0f} MiB")
    for kind, lat in stats["lat"].items():
        if lat:
            print(f"  {kind:8} {len(lat) / elapsed:7.1f}/s  p50 {percentile(lat, 50):6.1f} ms  "
                  f"p99 {percentile(lat, 99):6.1f} ms")


def main() -> None:
    for model in ("1", "0"):
        what = "edits + Grad-CAM analyses" if model == "1" else "edits only (no model)"
        print(f"-- one worker, in-memory store, {what}")
        with running_server(env={"CONVLENS_LOAD_MODEL": model}) as base:
            asyncio.run(_run(base, _server_pid(base)))
        print(f"-- two uvicorn workers sharing a Redis store, {what}")
        with redis_server() as url, running_server(
                env={"CONVLENS_LOAD_MODEL": model, "CONVLENS_STORE_BACKEND": "redis",
                     "CONVLENS_REDIS_URL": url}, workers=2) as base:
            asyncio.run(_run(base, _server_pid(base)))


def _server_pid(base: str) -> int:
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


if __name__ == "__main__":
    main()
