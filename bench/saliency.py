"""Is this heatmap true? Each attribution method's time at stage7 and stage3, the faithfulness
job for all six methods, and the Layer-CAM against Grad-CAM comparison the page states.

Over HTTP on a real server with one keep-alive client, on the dog photo already analysed:
each method's map for a class not explained before (the fast ones answer 200; the slow ones
are jobs, timed from the first GET to the 200 after the job), then the faithfulness job for
all six methods (their maps included), from POST to its result. In-process beside them: the
same map with plain calls, and the forwards it needs alone (batches of 8 on the
channels-last copy). Last, in-process: the deletion and insertion areas of Grad-CAM and
Layer-CAM at every stage on the nine sample photos, each for its top class (the figures
behind the page's sentence on early stages).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from statistics import mean

import numpy as np
import torch
from PIL import Image

from app.core.settings import ROOT
from bench.report import figure
from bench.server import Client, percentile, running_server
from models import saliency as numerics
from models.faithfulness import curves
from models.preprocess import to_model_input
from models.saliency_methods import METHODS, NAMES, SLOW_METHODS, STAGED_METHODS, MapSpec
from models.service import ModelService
from models.stages import STAGE_IDS

FAST_ROUNDS = 5
FAST_TARGET_MS = 100.0  # a fast map appears with the others, without a visible wait
SLOW_TARGET_S = {"scorecam": 2.0, "occlusion": 10.0}  # k=32; a 32 px square every 16 px
FAITHFULNESS_TARGET_S = 30.0
DOG = ROOT / "static/samples/dog_german_shepherd.jpg"
ENDED = {"done", "failed", "cancelled"}


def _forwards(method: str) -> int:
    """Forwards a slow map needs beyond the cached analysis (occlusion: one unoccluded)."""
    return {"scorecam": MapSpec("scorecam").k, "occlusion": 13 * 13 + 1}[method]


class _Plain:
    """The same maps with plain calls in this process, on the photo the server has."""

    def __init__(self, service: ModelService, rgb: np.ndarray) -> None:
        self.service = service
        self.a = service.analyse(rgb)
        _, self.x = to_model_input(rgb)  # (1, 3, 224, 224)

    def map_seconds(self, method: str, stage: str, target: int) -> float:
        maps = torch.from_numpy(self.a.activations[stage])
        t0 = time.perf_counter()
        numerics.compute(self.service.fast, MapSpec(method, stage), self.x, maps, target)
        return time.perf_counter() - t0

    def forwards_seconds(self, n: int) -> float:
        """``n`` forwards of the view alone, in the maps' batches: a slow map's floor."""
        t0 = time.perf_counter()
        numerics.probabilities(self.service.fast,
                               lambda lo, hi: self.x.expand(hi - lo, -1, -1, -1), n, 235)
        return time.perf_counter() - t0

    def curves_seconds(self) -> float:
        cam = self.service.explain(self.a.activations, 235, "stage7").cams["stage7"]
        t0 = time.perf_counter()
        curves(self.service.fast, self.x, cam, 235)
        return time.perf_counter() - t0


def _follow(c: Client, job: dict) -> dict:
    while job["status"] not in ENDED:
        time.sleep(0.05)
        _, _, body = c.request("GET", job["url"])
        job = json.loads(body)
    if job["status"] != "done":
        raise RuntimeError(f"job {job['kind']} ended {job['status']}: {job['message']}")
    return job


def _map_seconds(c: Client, image_id: str, method: str, stage: str, target: int) -> float:
    query = f"method={method}&class={target}&as=npy"
    if method in STAGED_METHODS:
        query += f"&stage={stage}"
    path = f"/api/images/{image_id}/saliency?{query}"
    t0 = time.perf_counter()
    status, _, body = c.request("GET", path)
    if status == 202:
        _follow(c, json.loads(body)["job"])
        status, _, body = c.request("GET", path)
    if status != 200:
        raise RuntimeError(f"{path}: {status} {body[:200]!r}")
    return time.perf_counter() - t0


def _maps_and_faithfulness(plain: _Plain) -> None:
    """Each map over HTTP, its plain-call floor measured right beside it (the CPU is shared:
    a floor taken minutes apart would compare two different loads)."""
    with running_server(env={"CONVLENS_LOAD_MODEL": "1"}) as base:
        c = Client(base)
        _, _, body = c.request("POST", "/api/samples/dog_german_shepherd/image")
        image_id = json.loads(body)["id"]
        c.request("POST", f"/api/images/{image_id}/predict")  # analysed: maps start from it
        in_process = 0.0
        for stage in ("stage7", "stage3"):
            for k, method in enumerate(METHODS):
                name = NAMES[method]
                # A fresh connection: the plain calls between requests can outlast keep-alive.
                c.close()
                c = Client(base)
                # Classes this photo was not explained for: each map is computed, not cached.
                first = 500 + 20 * k + (0 if stage == "stage7" else 10)
                if method in SLOW_METHODS:
                    took = _map_seconds(c, image_id, method, stage, first)
                    floor = plain.map_seconds(method, stage, first)
                    alone = plain.forwards_seconds(_forwards(method))
                    in_process += floor if stage == "stage7" else 0.0
                    figure(f"{name} map at {stage}, photo analysed, new class (a job)", took,
                           "s", target=SLOW_TARGET_S[method],
                           floor=f"plain calls {floor:.1f} s; its {_forwards(method)} forwards "
                                 f"alone {alone:.1f} s")
                    continue
                took, floor = [], []
                for r in range(FAST_ROUNDS):
                    took.append(1000 * _map_seconds(c, image_id, method, stage, first + r))
                    floor.append(1000 * plain.map_seconds(method, stage, first + r))
                in_process += percentile(floor, 50) / 1000 if stage == "stage7" else 0.0
                figure(f"{name} map at {stage}, photo analysed, new class, p50",
                       percentile(took, 50), "ms", target=FAST_TARGET_MS,
                       floor=f"plain calls {percentile(floor, 50):.0f} ms")
        c.close()
        c = Client(base)
        t0 = time.perf_counter()
        _, _, body = c.post_json(f"/api/images/{image_id}/faithfulness",
                                 {"class": "700", "stage": "stage7"})
        job = _follow(c, json.loads(body)["job"])
        _, _, body = c.request("GET", job["result"])
        faithful = time.perf_counter() - t0
        c.close()
    result = json.loads(body)
    # Each map's curves, and as many random maps' curves per resolution the maps have.
    n_curves = len(result["methods"]) + result["random_maps"] * len(
        {m["random_map"] for m in result["methods"]})
    each = min(plain.curves_seconds() for _ in range(3))
    figure(f"faithfulness job, all six methods at stage7 (maps + {n_curves} x 42 forwards, "
           "random maps' included)", faithful, "s", target=FAITHFULNESS_TARGET_S,
           floor=f"maps {in_process:.1f} s + {n_curves} x curves {each:.1f} s = "
                 f"{in_process + n_curves * each:.1f} s")


def _early_stages(service: ModelService) -> None:
    """Grad-CAM against Layer-CAM: the mean difference of each area over the nine samples,
    and on how many of them Grad-CAM is all zero (the page states it for the stem)."""
    rows: dict[str, list[tuple[float, float, float, float]]] = {s: [] for s in STAGE_IDS[:-1]}
    zero = dict.fromkeys(rows, 0)
    for path in sorted(Path(ROOT / "static/samples").glob("*.*")):
        if path.suffix not in (".jpg", ".png"):
            continue
        rgb = np.asarray(Image.open(path).convert("RGB"))
        a = service.analyse(rgb)
        _, x = to_model_input(rgb)
        target = int(a.top5[0][0])
        for stage in rows:
            found = numerics.cam_maps(*numerics.stage_gradient(
                service.fast, stage, torch.from_numpy(a.activations[stage]), target))
            zero[stage] += float(found["gradcam"].max()) == 0.0
            g = curves(service.fast, x, found["gradcam"], target)
            lc = curves(service.fast, x, found["layercam"], target)
            rows[stage].append((g.deletion_auc, lc.deletion_auc, g.insertion_auc, lc.insertion_auc))
    for stage, r in rows.items():
        lower = sum(lc < g for g, lc, _, _ in r)
        higher = sum(lc > g for _, _, g, lc in r)
        figure(f"Layer-CAM - Grad-CAM deletion area, {stage}, mean of {len(r)} samples "
               f"(Layer-CAM lower on {lower})", mean(lc - g for g, lc, _, _ in r), "")
        figure(f"Layer-CAM - Grad-CAM insertion area, {stage}, mean of {len(r)} samples "
               f"(Layer-CAM higher on {higher})", mean(lc - g for _, _, g, lc in r), "")
        figure(f"samples whose Grad-CAM is all zero at {stage}", zero[stage], f"of {len(r)}")


def main() -> None:
    service = ModelService.load(threads=1)  # as the server runs it
    _maps_and_faithfulness(_Plain(service, np.asarray(Image.open(DOG).convert("RGB"))))
    _early_stages(service)


if __name__ == "__main__":
    main()
