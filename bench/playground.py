"""Kernel-edit round trip on a 512x512 photo: over HTTP versus the same work in-process."""

from __future__ import annotations

import io
import time

import cv2
import httpx
import numpy as np

from app.core.settings import ROOT, Settings
from app.imaging.convolve import ConvSpec, convolve, prepare_input
from app.imaging.decode import decode_image
from app.imaging.encode import encode, to_display
from bench.server import percentile, running_server

ROUNDS = 300
LIMITS = Settings().decode_limits


def _photo_512() -> bytes:
    rgb = decode_image((ROOT / "static/samples/dog_german_shepherd.jpg").read_bytes(), LIMITS)
    small = cv2.resize(rgb, (512, 512), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".png", small[:, :, ::-1])
    return buf.tobytes()


def _kernels() -> list[list[list[float]]]:
    """Distinct kernels, as a student typing into one cell would produce."""
    return [[[-1, 0, 1], [-2, 0, v / 10], [-1, 0, 1]] for v in range(ROUNDS)]


def _in_process(png: bytes, fmt: str) -> list[float]:
    x = prepare_input(decode_image(png, LIMITS), "gray")
    times = []
    for k in _kernels():
        t0 = time.perf_counter()
        result = convolve(x, ConvSpec(np.asarray(k, np.float32)))
        encode(to_display(result.values, "diverging"), fmt)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def _over_http(base: str, png: bytes, fmt: str) -> list[float]:
    with httpx.Client(base_url=base, timeout=10) as http:
        image_id = http.post("/api/images", files={"file": ("p.png", io.BytesIO(png))}).json()["id"]
        times = []
        for k in _kernels():
            t0 = time.perf_counter()
            r = http.post(f"/api/images/{image_id}/convolve?format={fmt}", json={"kernel": k})
            r.raise_for_status()
            times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    png = _photo_512()
    print(f"kernel edit, 512x512 photo, 3x3 kernel, grayscale, diverging display, "
          f"{ROUNDS} distinct edits, one client, keep-alive")
    with running_server(env={"CONVLENS_LOAD_MODEL": "0"}) as base:
        for fmt in ("jpeg", "png"):
            local = _in_process(png, fmt)
            http = _over_http(base, png, fmt)
            ratio = percentile(http, 50) / percentile(local, 50)
            print(f"  {fmt:4}  in-process p50 {percentile(local, 50):6.2f} ms   "
                  f"HTTP p50 {percentile(http, 50):6.2f} ms  p90 {percentile(http, 90):6.2f} ms  "
                  f"ratio {ratio:4.1f}x")


if __name__ == "__main__":
    main()
