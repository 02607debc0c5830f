"""Teach it over HTTP: 2 classes x 25 generated photos added, trained, then the learning
curve and the lecture's CNN trained from scratch (20 epochs) beside transfer learning.

Each job is timed from its POST to its status done, and by the CPU time the server spent
meanwhile (what the wall clock hides when other work shares the cores); the floor beside
the CPU time is the same computation's CPU time called in this process (no server, no job
system): the learning curve on random features of the same shape, and the small CNN's
forward + backward passes the training makes (epochs x photos seen by the five fold
networks and the final one).
"""

from __future__ import annotations

import os
import time

import httpx
import numpy as np

from bench.report import figure
from bench.server import percentile, running_server
from tests.support.photos import shape_photo

PER_CLASS = 25
SCRATCH_EPOCHS = 20
CURVE_REPEATS = 5


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: on a machine others load, the work a job
    did, which its wall-clock time hides."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def _until_done(http: httpx.Client, job: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    while (record := http.get(job["url"]).json())["status"] in ("queued", "running"):
        time.sleep(0.05)
    if record["status"] != "done":
        raise RuntimeError(f"{job['kind']} job {record['status']}: {record['error']}")
    return time.perf_counter() - t0, record


def _curve_floor() -> float:
    """CPU seconds for the same learning curve on random features, in this process."""
    from models import transfer

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], PER_CLASS)
    feats = [rng.random((4, transfer.FEATURES), dtype=np.float32) for _ in y]
    t0 = time.process_time()
    transfer.learning_curve(feats, y, 2, repeats=CURVE_REPEATS, epochs=100)
    return time.process_time() - t0


def _scratch_floor(passes: int) -> float:
    """CPU seconds for ``passes`` images through the small CNN's forward and backward,
    batched as it trains, in this process."""
    import torch
    from torch.nn import functional as F

    from models import scratch

    net = scratch.build(2, 0)
    x = torch.randn(scratch.BATCH, 3, scratch.SIDE, scratch.SIDE).contiguous(
        memory_format=torch.channels_last)
    y = torch.zeros(scratch.BATCH, dtype=torch.long)
    times = []
    for _ in range(5):
        t0 = time.process_time()
        F.cross_entropy(net(x), y).backward()
        times.append(time.process_time() - t0)
    return sorted(times)[2] / scratch.BATCH * passes


def main() -> None:
    import torch

    torch.set_num_threads(1)  # the floors run as the server does (CONVLENS_TORCH_THREADS=1)
    with running_server(env={"CONVLENS_LOAD_MODEL": "1"}) as base, \
            httpx.Client(base_url=base, timeout=60) as http:
        start = time.perf_counter()
        pid = http.post("/api/projects").json()["id"]
        adds = []
        for kind in ("disc", "square"):
            cid = http.post(f"/api/projects/{pid}/classes", json={"name": kind}).json()["id"]
            for seed in range(PER_CLASS):
                data = shape_photo(kind, seed, 640, 480, "JPEG")
                t0 = time.perf_counter()
                http.post(f"/api/projects/{pid}/classes/{cid}/images",
                          files={"file": ("p.jpg", data, "image/jpeg")}).raise_for_status()
                adds.append((time.perf_counter() - t0) * 1000)
        train, record = _until_done(http, http.post(f"/api/projects/{pid}/train",
                                                    json={"epochs": 100}).json()["job"])
        run = http.get(f"/api/projects/{pid}").json()["run"]
        total = time.perf_counter() - start
        server = http.get("/api/health").json()["worker"]
        cpu = _cpu_seconds(server)
        curve_s, record = _until_done(http, http.post(
            f"/api/projects/{pid}/learning-curve", json={"repeats": CURVE_REPEATS}).json()["job"])
        curve_cpu = _cpu_seconds(server) - cpu
        curve = http.get(record["result"]).json()
        cpu = _cpu_seconds(server)
        scratch_s, record = _until_done(http, http.post(
            f"/api/projects/{pid}/scratch", json={"epochs": SCRATCH_EPOCHS}).json()["job"])
        scratch_cpu = _cpu_seconds(server) - cpu
        result = http.get(record["result"]).json()
    photos = 2 * PER_CLASS
    # Per epoch each of the k fold networks sees (k - 1)/k of the photos, the final one all.
    passes = SCRATCH_EPOCHS * ((result["folds"] - 1) * photos + photos)
    print(f"2 classes x {PER_CLASS} generated 640x480 JPEGs")
    figure("teach: add one photo (upload, decode, 4 views embedded) p50", percentile(adds, 50),
           "ms")
    figure(f"teach: train 100 epochs (5-fold CV + final), CV accuracy {run['accuracy']:.2f}",
           train, "s", floor=f"server-side {run['seconds']:.2f} s")
    figure("teach: empty project to trained classifier", total, "s")
    figure(f"teach: learning curve, {len(curve['points'])} sizes x {CURVE_REPEATS} repeats, "
           "POST to done", curve_s, "s", target=5)
    figure("teach: learning curve, the server's CPU time for that job", curve_cpu, "s",
           target=5, floor=f"{_curve_floor():.2f} s CPU in-process on random features")
    figure(f"teach: from scratch, 2 x {PER_CLASS} photos x {SCRATCH_EPOCHS} epochs, POST to done",
           scratch_s, "s", target=30)
    figure("teach: from scratch, the server's CPU time for that job (one torch thread)",
           scratch_cpu, "s", target=30,
           floor=f"{_scratch_floor(passes):.1f} s CPU for its {passes} forward+backward passes")
    figure(f"teach: from scratch, training alone (held-out accuracy "
           f"{result['scratch']['accuracy']:.2f})", result["scratch"]["seconds"], "s")
    figure(f"teach: transfer on the same folds (held-out accuracy "
           f"{result['transfer']['accuracy']:.2f})", result["transfer"]["seconds"], "s")


if __name__ == "__main__":
    main()
