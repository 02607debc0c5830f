"""Concurrent requests for different images never see each other's results."""

from __future__ import annotations

import io
import threading

import numpy as np

from tests.conftest import make_image


def test_parallel_convolutions_of_different_images_stay_apart(client):
    ids = [client.post("/api/images", files={"file": (f"{i}.png", make_image(
        40 + i, 30, pattern="noise"), "image/png")}).json()["id"] for i in range(4)]
    body = {"kernel": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "relu": True,
            "pool": {"kind": "max", "size": 2, "stride": 2}}

    def npy(image_id: str) -> np.ndarray:
        r = client.post(f"/api/images/{image_id}/convolve?as=npy", json=body)
        assert r.status_code == 200
        return np.load(io.BytesIO(r.content))

    solo = {i: npy(i) for i in ids}
    failures: list[str] = []

    def worker(k: int) -> None:
        for round_ in range(25):
            image_id = ids[(k + round_) % len(ids)]
            if not np.array_equal(npy(image_id), solo[image_id]):
                failures.append(image_id)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
