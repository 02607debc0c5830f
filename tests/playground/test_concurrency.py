"""Concurrent requests for different images never see each other's results."""

from __future__ import annotations

import io
import threading

import numpy as np

from tests.support.photos import make_image


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


def test_a_burst_past_the_queue_is_told_to_retry_not_piled_up():
    """A real server with room for 1 job + 2 waiting, hit by 24 slow edits at once: every
    answer is a 200 or a 503 ``busy`` envelope with Retry-After, and it still serves."""
    import httpx

    from tests.conftest import assert_error
    from tests.support.servers import convlens_server

    slow = {"kernel": [[[1.0] * 15] * 15] * 3, "channels": "rgb", "dilation": 4}
    with convlens_server({"CONVLENS_MAX_JOBS": "1", "CONVLENS_MAX_QUEUE": "2"}) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        photo = make_image(1024, 768, pattern="noise")
        image_id = http.post("/api/images", files={"file": ("n.png", photo)}).json()["id"]
        answers: list[httpx.Response] = []
        start = threading.Barrier(24)

        def edit() -> None:
            start.wait()
            answers.append(http.post(f"/api/images/{image_id}/convolve?format=png", json=slow))

        threads = [threading.Thread(target=edit) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in answers)
        assert set(statuses) == {200, 503}, statuses
        for r in answers:
            if r.status_code == 503:
                assert_error(r, 503, "busy")
                assert int(r.headers["Retry-After"]) >= 1
        assert http.post(f"/api/images/{image_id}/convolve", json={"kernel": [[1]]}
                         ).status_code == 200
