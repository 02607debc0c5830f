"""CNN inspector timings over HTTP: a new 1024 px upload analysed, atlases, Grad-CAM."""

from __future__ import annotations

import io
import time

import httpx
import numpy as np
from PIL import Image

from app.core.settings import ROOT
from bench.server import percentile, running_server

ROUNDS = 15


def _variants() -> list[bytes]:
    """The dog photo at 1024 px, nudged per round so every upload is a new image id."""
    base = np.asarray(Image.open(ROOT / "static/samples/dog_german_shepherd.jpg").convert("RGB"))
    out = []
    for k in range(ROUNDS):
        arr = base.copy()
        arr[0, 0] = (k, k, k)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=92)
        out.append(buf.getvalue())
    return out


def _ms(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    photos = _variants()
    full, atlas_first, atlas_cached, cam_first, cam7, cam_all = [], [], [], [], [], []
    with running_server(env={"CONVLENS_LOAD_MODEL": "1"}) as base, \
            httpx.Client(base_url=base, timeout=60) as http:
        for data in photos:
            ids = []

            def analyse(data=data, ids=ids) -> None:
                r = http.post("/api/images", files={"file": ("d.jpg", data, "image/jpeg")})
                ids.append(r.json()["id"])
                http.post(f"/api/images/{ids[0]}/predict").raise_for_status()
                http.get(f"/api/images/{ids[0]}/stages").raise_for_status()

            full.append(_ms(analyse))
            url = f"/api/images/{ids[0]}"
            atlas_first.append(_ms(lambda url=url: http.get(url + "/stages/stem/atlas")))
            atlas_cached.append(_ms(lambda url=url: http.get(url + "/stages/stem/atlas")))
            cam7.append(_ms(lambda url=url: http.get(url + "/gradcam?class=235&stage=stage7")))
            cam_first.append(_ms(lambda url=url: http.get(url + "/gradcam?class=dog&stage=stage4")))
            cam_all.append(_ms(lambda url=url: [http.get(url + f"/gradcam?class=1&stage={s}")
                                                for s in ["stem", "stage1", "stage2", "stage3",
                                                          "stage4", "stage5", "stage6", "stage7",
                                                          "head"]]))
    print(f"{ROUNDS} new 1024x768 JPEG uploads of the dog, one client, HTTP (p50 / max)")
    for name, values in [
        ("upload + decode + forward + top-5 + all stage statistics", full),
        ("stem atlas (32 maps of 112x112), first time", atlas_first),
        ("stem atlas from cache", atlas_cached),
        ("Grad-CAM stage7 overlay PNG", cam7),
        ("Grad-CAM stage4 (dog group) overlay PNG", cam_first),
        ("Grad-CAM at all 9 stages (one backward from stem)", cam_all),
    ]:
        print(f"  {name:58} {percentile(values, 50):7.1f} ms  {max(values):7.1f} ms")


if __name__ == "__main__":
    main()
