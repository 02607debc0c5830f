"""The CNN tab: a new photo analysed, the forward pass plain and as shipped, Grad-CAM.

Over HTTP with one keep-alive client: a new 1024x768 JPEG uploaded, then predicted and
summarised stage by stage (what the page asks when a photo arrives); Grad-CAM at one stage
once the photo is analysed, and at all nine. In-process beside them: the forward pass on
the reference network, on the channels-last copy the app ships, and on the batch-norm-folded
copy; the decode + forward floor; one backward from the stem.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import numpy as np
import torch
from PIL import Image

from app.core.settings import ROOT, Settings
from app.imaging.decode import decode_image
from bench.report import figure
from bench.server import Client, percentile, running_server
from models.preprocess import to_model_input
from models.service import ModelService
from models.stages import STAGE_IDS

ROUNDS = 20
REPEATS = 30


def _photos() -> list[bytes]:
    """The dog at 1024x768, nudged per round so every upload is a new image id."""
    base = Image.open(ROOT / "static/samples/dog_german_shepherd.jpg").convert("RGB")
    arr = np.asarray(base.resize((1024, 768), Image.BILINEAR)).copy()
    out = []
    for k in range(ROUNDS):
        arr[0, 0] = (k, k, k)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def _p50_ms(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm: first calls allocate
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


def _in_process(photo: bytes) -> dict[str, float]:
    model = ModelService.load(threads=1)  # as the server runs it
    limits = Settings().decode_limits
    rgb = decode_image(photo, limits)
    _, x = to_model_input(rgb)  # (1, 3, 224, 224)
    x_last = x.contiguous(memory_format=torch.channels_last)

    def forward(net: torch.nn.Module, inp: torch.Tensor) -> Callable[[], object]:
        def run() -> object:
            with torch.inference_mode():
                return net(inp)
        return run

    activations = model.analyse(rgb).activations
    return {
        "plain": _p50_ms(forward(model.model, x)),
        "shipped": _p50_ms(forward(model.fast, x_last)),
        "fused": _p50_ms(forward(model.fused, x_last)),
        "decode": _p50_ms(lambda: decode_image(photo, limits)),
        "analyse": _p50_ms(lambda: model.analyse(decode_image(photo, limits))),
        "backward": _p50_ms(lambda: model.explain(activations, 235, "stem")),
    }


def main() -> None:
    photos = _photos()
    floor = _in_process(photos[0])
    figure("forward 224x224, reference network (in-process)", floor["plain"], "ms")
    figure("forward 224x224, channels-last copy as shipped (in-process)", floor["shipped"], "ms",
           floor=f"reference {floor['plain']:.1f} ms")
    figure("forward 224x224, batch norm folded + channels-last (in-process)", floor["fused"],
           "ms", floor=f"reference {floor['plain']:.1f} ms")

    analysed, cam_one, cam_all = [], [], []
    with running_server(env={"CONVLENS_LOAD_MODEL": "1"}) as base:
        c = Client(base)
        for k, data in enumerate(photos):
            t0 = time.perf_counter()
            image_id = c.upload("/api/images", data)["id"]
            for method, path in [("POST", f"/api/images/{image_id}/predict"),
                                 ("GET", f"/api/images/{image_id}/stages")]:
                status, _, body = c.request(method, path)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:200]!r}")
            analysed.append((time.perf_counter() - t0) * 1000)
            # A class this photo has not been explained for: the backward runs, not the cache.
            t0 = time.perf_counter()
            c.request("GET", f"/api/images/{image_id}/gradcam?class={100 + k}&stage=stage4")
            cam_one.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            for stage in STAGE_IDS:
                c.request("GET", f"/api/images/{image_id}/gradcam?class={500 + k}&stage={stage}")
            cam_all.append((time.perf_counter() - t0) * 1000)
        c.close()
    figure("new 1024x768 JPEG: upload + decode + forward + top-5 + stage strengths, p50",
           percentile(analysed, 50), "ms", target=30,
           floor=f"decode {floor['decode']:.1f} + forward {floor['analyse'] - floor['decode']:.1f}"
                 f" = {floor['analyse']:.1f} ms")
    figure("Grad-CAM overlay at one stage, photo analysed, new class, p50",
           percentile(cam_one, 50), "ms", target=20,
           floor=f"one backward from the stem {floor['backward']:.1f} ms")
    figure("Grad-CAM overlays at all nine stages, new class, p50", percentile(cam_all, 50), "ms",
           target=60, floor=f"one backward {floor['backward']:.1f} ms")


if __name__ == "__main__":
    main()
