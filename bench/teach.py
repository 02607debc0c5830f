"""Transfer learning over HTTP: 2 classes x 25 generated photos, added and trained."""

from __future__ import annotations

import time

import httpx

from bench.server import percentile, running_server
from tests.support.photos import shape_photo

PER_CLASS = 25


def main() -> None:
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
        t0 = time.perf_counter()
        http.post(f"/api/projects/{pid}/train", json={"epochs": 100}).raise_for_status()
        while (run := http.get(f"/api/projects/{pid}").json()["run"])["status"] not in (
                "done", "failed"):
            time.sleep(0.05)
        train = time.perf_counter() - t0
        total = time.perf_counter() - start
    print(f"2 classes x {PER_CLASS} generated 640x480 JPEGs, 100 epochs, augmentation on")
    print(f"  add one photo (upload, decode, 4 views embedded)  p50 "
          f"{percentile(adds, 50):6.1f} ms  max {max(adds):6.1f} ms")
    print(f"  train (5-fold CV + final head), until status done   {train:6.2f} s "
          f"(server-side {run['seconds']} s), CV accuracy {run['accuracy']:.2f}")
    print(f"  end to end, from empty project to trained head      {total:6.2f} s")


if __name__ == "__main__":
    main()
