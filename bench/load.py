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

from bench.report import figure
from bench.server import multipart, percentile, rss_mib, running_server, server_pid
from tests.support.photos import noisy_gradient
from tests.support.servers import redis_server

USERS = int(os.environ.get("BENCH_USERS", "32"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
MAX_REQUESTS = 50_000
SIDE = 512


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


async def _photo(host: str, port: int, n: int) -> tuple[_Connection, str]:
    """User ``n``'s own photo, uploaded: the connection it went over and its id."""
    conn = _Connection(host, port)
    body, ctype = multipart(noisy_gradient(SIDE, n))
    _, answer = await conn.request("POST", "/api/images", body, ctype)
    return conn, json.loads(answer)["id"]


def _edit(step: int) -> list[list[int]]:
    """The kernel of a user's ``step``-th edit: Sobel x with its centre dragged."""
    return [[-1, 0, 1], [-2, (step % 7) - 3, 2], [-1, 0, 1]]


async def _user(host: str, port: int, n: int, stop: float, stats: dict) -> None:
    conn, image_id = await _photo(host, port, n)
    step = 0
    while time.monotonic() < stop and stats["count"] < MAX_REQUESTS:
        step += 1
        if stats["model"] and step % 10 == 0:
            target = (n * 97 + step // 10) % 1000  # new for this photo: computed, not cached
            kind, path = "analysis", f"/api/images/{image_id}/gradcam?class={target}&as=heatmap"
            payload = b""
        else:
            kind, path = "edit", f"/api/images/{image_id}/convolve"
            payload = json.dumps({"kernel": _edit(step), "channels": "rgb"}).encode()
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


async def _ws_user(host: str, port: int, n: int, stop: float, stats: dict) -> None:
    """The same edits as ``_user`` makes, on one live WebSocket (as the page sends them)."""
    from websockets.asyncio.client import connect

    _, image_id = await _photo(host, port, n)
    step = 0
    async with connect(f"ws://{host}:{port}/api/playground/live", compression=None) as ws:
        while time.monotonic() < stop and stats["count"] < MAX_REQUESTS:
            step += 1
            t0 = time.perf_counter()
            await ws.send(json.dumps({"kernel": _edit(step), "channels": "rgb",
                                      "image": image_id}))
            head = await ws.recv()
            ok = '"summary"' in head and isinstance(await ws.recv(), bytes)
            stats["lat"]["edit"].append((time.perf_counter() - t0) * 1000)
            stats["count"] += 1
            if not ok:
                stats["errors"] += 1


async def _run(base: str, pid: int, user=None) -> dict:
    host, port = base.removeprefix("http://").split(":")
    health = httpx.get(base + "/api/health").json()
    stats = {"count": 0, "errors": 0, "statuses": {}, "lat": {"edit": [], "analysis": []},
             "model": health["model_loaded"]}
    peak = 0.0

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_mib(pid))
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    start = time.monotonic()
    await asyncio.gather(*[(user or _user)(host, int(port), n, start + SECONDS, stats)
                           for n in range(USERS)])
    stats["elapsed"] = time.monotonic() - start
    stats["peak"] = peak
    watcher.cancel()
    return stats


def _report(label: str, stats: dict, targets: bool) -> None:
    """Figures for one run; the edit targets apply to the edits-only runs."""
    elapsed = stats["elapsed"]
    edits = stats["lat"]["edit"]
    figure(f"{label}: edits/s", len(edits) / elapsed, "/s", target=600 if targets else None,
           better="higher")
    figure(f"{label}: edit p99 (p50 {percentile(edits, 50):.0f} ms)", percentile(edits, 99), "ms",
           target=150 if targets else None)
    figure(f"{label}: errors", stats["errors"], "", target=0 if targets else None)
    if stats["lat"]["analysis"]:
        analyses = stats["lat"]["analysis"]
        figure(f"{label}: Grad-CAM analyses/s (p99 {percentile(analyses, 99):.0f} ms)",
               len(analyses) / elapsed, "/s")
    figure(f"{label}: peak server RSS", stats["peak"], "MiB")


def main() -> None:
    print(f"{USERS} keep-alive connections on loopback, {SECONDS:g} s each run, RGB 512x512 "
          "3x3 edits (and, with the model, a Grad-CAM for a new class every tenth step)")
    for model in ("0", "1"):
        what = "edits" if model == "0" else "edits + Grad-CAM"
        with running_server(env={"CONVLENS_LOAD_MODEL": model}) as base:
            _report(f"{USERS} conns, one worker, {what}",
                    asyncio.run(_run(base, server_pid(base))), model == "0")
            if model == "0":  # the page's own transport, on the same server
                _report(f"{USERS} WebSockets, one worker, edits",
                        asyncio.run(_run(base, server_pid(base), _ws_user)), True)
        with redis_server() as url, running_server(
                env={"CONVLENS_LOAD_MODEL": model, "CONVLENS_STORE_BACKEND": "redis",
                     "CONVLENS_REDIS_URL": url}, workers=2) as base:
            _report(f"{USERS} conns, two workers + Redis, {what}",
                    asyncio.run(_run(base, server_pid(base))), False)


if __name__ == "__main__":
    main()
