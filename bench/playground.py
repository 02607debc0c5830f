"""A kernel edit, one client: over HTTP, over the live WebSocket, the same work in-process,
and the floors beside them.

The target case is an RGB photo of 512x512 with a 3x3 kernel and the JPEG live frame; the
1024x768 working size and a 15x15 kernel are printed too. In-process is the server's own
``render`` (convolve, display, statistics, summary, encode, under the job gate). HTTP and
WebSocket edits alternate, one of each in turn, so both see the same machine. Floors,
measured in the same run: one ``filter2D`` on the 3-channel float image, one affine map to
uint8, one 4:2:0 JPEG (the least any edit can cost), and a bare FastAPI app returning a
ready JPEG (the least the request path can cost).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from dataclasses import replace

import cv2
import numpy as np
from websockets.sync.client import connect

from app.core.settings import ROOT, Settings
from app.images.service import StoredImage
from app.imaging.decode import decode_image
from app.main import build_services
from app.playground.schemas import ConvRequest
from app.playground.service import LIVE_JPEG_QUALITY, render
from bench.report import figure
from bench.server import Client, percentile, running_server
from tests.support.servers import _wait, free_port

ROUNDS = 400
SOBEL = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def _photo(side: tuple[int, int]) -> np.ndarray:
    rgb = decode_image((ROOT / "static/samples/dog_german_shepherd.jpg").read_bytes(),
                       Settings().decode_limits)
    return np.ascontiguousarray(cv2.resize(rgb, side, interpolation=cv2.INTER_AREA))


def _kernels(size: int) -> list[list[list[float]]]:
    """Distinct kernels, as a student dragging one cell's value would produce."""
    base = np.full((size, size), 1.0 / (size * size)) if size > 3 else np.array(SOBEL, float)
    out = []
    for v in range(ROUNDS):
        k = base.copy()
        k[size // 2, size // 2] += v / 100
        out.append(k.tolist())
    return out


def _timed(fn, rounds: int = ROUNDS) -> list[float]:
    times = []
    for i in range(rounds):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    return times[rounds // 10:]  # the first tenth warms caches up


def _in_process(rgb: np.ndarray, kernels: list) -> list[float]:
    """The server's work per edit, called as the route calls it."""
    services = build_services(replace(Settings(), load_model=False))
    image = StoredImage(services.images.put(rgb).id, rgb)

    def edit(i: int) -> None:
        render(services, image, ConvRequest(kernel=kernels[i], channels="rgb"), "image", "jpeg")

    return _timed(edit)


def _floor(rgb: np.ndarray, size: int) -> float:
    x = rgb.astype(np.float32)
    k = np.ones((size, size), np.float32) / size**2
    out = cv2.filter2D(x, cv2.CV_32F, k)
    return sum(percentile(_timed(fn, 200), 50) for fn in (
        lambda i: cv2.filter2D(x, cv2.CV_32F, k),
        lambda i: cv2.convertScaleAbs(out, alpha=0.5, beta=127.5),
        lambda i: cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, LIVE_JPEG_QUALITY])))


def _http_and_ws(base: str, image_id: str, kernels: list, drawn_scale: float | None = None
                 ) -> tuple[list[float], list[float]]:
    """One edit over HTTP, then the same over the WebSocket, in turn (``drawn_scale`` as the
    page sends it: None is a full-size frame, as over HTTP)."""
    client = Client(base)  # a fresh connection: an idle one is closed after 5 s
    http, ws_times = [], []
    with connect(base.replace("http://", "ws://") + "/api/playground/live",
                 compression=None) as ws:
        for i, kernel in enumerate(kernels):
            body = {"kernel": kernel, "channels": "rgb"}
            t0 = time.perf_counter()
            status, _, _ = client.post_json(f"/api/images/{image_id}/convolve", body)
            t1 = time.perf_counter()
            ws.send(json.dumps({**body, "image": image_id, "drawn_scale": drawn_scale}))
            head, picture = ws.recv(), ws.recv()  # the summary, then the picture
            t2 = time.perf_counter()
            if status != 200 or not isinstance(picture, bytes):
                raise RuntimeError(f"edit failed: {status} {head[:200]!r}")
            if i >= len(kernels) // 10:  # the first tenth warms caches up
                http.append((t1 - t0) * 1000)
                ws_times.append((t2 - t1) * 1000)
    client.close()
    return http, ws_times


@contextlib.contextmanager
def _bare_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.bare:app", "--port",
                             str(port), "--log-level", "warning"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: Client(base).request("POST", "/edit", b"{}")[0] == 200, "the bare app")
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    print(f"kernel edits, one client, keep-alive, {ROUNDS} distinct edits each, RGB, diverging")
    with _bare_server() as bare:
        client = Client(bare)
        bare_p50 = percentile(_timed(lambda i: client.request("POST", "/edit", b"{}")), 50)
        client.close()
    with running_server(env={"CONVLENS_LOAD_MODEL": "0"}) as base:
        for label, side, ksize, target in (("512x512, 3x3", (512, 512), 3, True),
                                           ("1024x768, 3x3", (1024, 768), 3, False),
                                           ("512x512, 15x15", (512, 512), 15, False)):
            rgb = _photo(side)
            kernels = _kernels(ksize)
            work = _floor(rgb, ksize)
            local = _in_process(rgb, kernels)
            client = Client(base)
            image_id = client.upload("/api/images", cv2.imencode(".png", rgb[:, :, ::-1])[1]
                                     .tobytes(), "p.png")["id"]
            client.close()
            http, ws = _http_and_ws(base, image_id, kernels)
            in_process = percentile(local, 50)
            figure(f"edit {label}: in-process (convolve+display+stats+encode) p50",
                   in_process, "ms", 2.0 if target else None,
                   floor=f"{work:.2f} ms (filter2D + affine map + JPEG)")
            figure(f"edit {label}: over HTTP p50", percentile(http, 50), "ms",
                   3.0 if target else None,
                   floor=f"{work + bare_p50:.2f} ms (work floor + a bare FastAPI JPEG, "
                         f"{bare_p50:.2f} ms)")
            figure(f"edit {label}: over HTTP p99", percentile(http, 99), "ms",
                   5.0 if target else None)
            figure(f"edit {label}: over the WebSocket p50", percentile(ws, 50), "ms",
                   floor=f"in-process {in_process:.2f} ms")
            figure(f"edit {label}: over the WebSocket p99", percentile(ws, 99), "ms")
            if side == (1024, 768):  # as the page asks while the output is drawn at fit
                _, halved = _http_and_ws(base, image_id, kernels, drawn_scale=0.46)
                figure(f"edit {label}: over the WebSocket, drawn at 46% (a halved frame) p50",
                       percentile(halved, 50), "ms", floor=f"in-process {in_process:.2f} ms "
                                                           "(full frame)")


if __name__ == "__main__":
    main()
