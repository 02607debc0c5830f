"""A kernel edit, one client: over HTTP, the same work in-process, and the floors beside them.

The target case is an RGB photo of 512x512 with a 3x3 kernel and the JPEG live frame; the
1024x768 working size and a 15x15 kernel are printed too. Floors, measured in the same run:
one ``filter2D`` on the 3-channel float image, one affine map to uint8, one 4:2:0 JPEG
(the least any edit can cost), and a bare FastAPI app returning a ready JPEG (the least
the request path can cost).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time

import cv2
import numpy as np

from app.core.settings import ROOT, Settings
from app.imaging.convolve import convolve, prepare_input
from app.imaging.decode import decode_image
from app.imaging.encode import display_range, encode, to_display
from app.playground.schemas import ConvRequest
from app.playground.service import LIVE_JPEG_QUALITY, conv_summary
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
    x = prepare_input(rgb, "rgb")

    def edit(i: int) -> None:
        request = ConvRequest(kernel=kernels[i], channels="rgb")
        result = convolve(x, request.to_spec())
        limits = display_range(result.values, "diverging")
        conv_summary(result, request, limits)
        encode(to_display(result.values, "diverging", limits), "jpeg", quality=LIVE_JPEG_QUALITY)

    return _timed(edit)


def _floor(rgb: np.ndarray, size: int) -> float:
    x = rgb.astype(np.float32)
    k = np.ones((size, size), np.float32) / size**2
    out = cv2.filter2D(x, cv2.CV_32F, k)
    return sum(percentile(_timed(fn, 200), 50) for fn in (
        lambda i: cv2.filter2D(x, cv2.CV_32F, k),
        lambda i: cv2.convertScaleAbs(out, alpha=0.5, beta=127.5),
        lambda i: cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, LIVE_JPEG_QUALITY])))


def _over_http(client: Client, image_id: str, kernels: list) -> list[float]:
    def edit(i: int) -> None:
        status, _, _ = client.post_json(f"/api/images/{image_id}/convolve",
                                        {"kernel": kernels[i], "channels": "rgb"})
        if status != 200:
            raise RuntimeError(f"edit failed: {status}")

    return _timed(edit)


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
            client = Client(base)  # a fresh connection: an idle one is closed after 5 s
            image_id = client.upload("/api/images", cv2.imencode(".png", rgb[:, :, ::-1])[1]
                                     .tobytes(), "p.png")["id"]
            http = _over_http(client, image_id, kernels)
            client.close()
            figure(f"edit {label}: in-process (convolve+display+stats+encode) p50",
                   percentile(local, 50), "ms", 2.0 if target else None,
                   floor=f"{work:.2f} ms (filter2D + affine map + JPEG)")
            figure(f"edit {label}: over HTTP p50", percentile(http, 50), "ms",
                   3.0 if target else None,
                   floor=f"{work + bare_p50:.2f} ms (work floor + a bare FastAPI JPEG, "
                         f"{bare_p50:.2f} ms)")
            figure(f"edit {label}: over HTTP p99", percentile(http, 99), "ms",
                   5.0 if target else None)


if __name__ == "__main__":
    main()
