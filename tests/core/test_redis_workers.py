"""Several server processes sharing one Redis: any worker serves any image id."""

from __future__ import annotations

import io
import time

import httpx
import pytest

from tests.conftest import assert_error
from tests.support.photos import make_image
from tests.support.servers import convlens_server, redis_server

pytestmark = pytest.mark.redis


def test_image_uploaded_to_one_server_is_usable_on_another():
    with redis_server() as url:
        env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": url}
        with convlens_server(env) as a, convlens_server(env) as b:
            data = make_image(50, 40, pattern="noise")
            up = httpx.post(a + "/api/images", files={"file": ("n.png", io.BytesIO(data))})
            assert up.status_code == 201
            image_id = up.json()["id"]
            r = httpx.post(f"{b}/api/images/{image_id}/convolve?as=json",
                           json={"kernel": [[1, 0, -1]]})
            assert r.status_code == 200
            assert r.json()["output"]["width"] == 50
            assert httpx.get(f"{b}/api/images/{image_id}").content == \
                httpx.get(f"{a}/api/images/{image_id}").content


def test_uvicorn_workers_share_the_store():
    with redis_server() as url:
        env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": url}
        with convlens_server(env, workers=2) as base:
            data = make_image(30, 30, pattern="noise")
            image_id = httpx.post(base + "/api/images",
                                  files={"file": ("n.png", io.BytesIO(data))}).json()["id"]
            # New connections are spread over the workers by the kernel; on one keep-alive
            # connection, the health check names the worker that also runs the edit.
            served: set[int] = set()
            for _ in range(200):
                with httpx.Client(base_url=base) as conn:
                    worker = conn.get("/api/health").json()["worker"]
                    r = conn.post(f"/api/images/{image_id}/convolve?as=json",
                                  json={"kernel": [[1]]})
                    assert r.status_code == 200
                    served.add(worker)
                if len(served) == 2:
                    break
            assert len(served) == 2, "one worker answered every connection"


def test_unreachable_redis_is_503_not_500():
    with convlens_server({"CONVLENS_STORE_BACKEND": "redis",
                          "CONVLENS_REDIS_URL": "redis://127.0.0.1:1/0"}) as base:
        r = httpx.post(base + "/api/images",
                       files={"file": ("n.png", io.BytesIO(make_image(8, 8)))})
        assert_error(r, 503, "store_unavailable")


def test_a_project_is_served_by_every_server_sharing_redis():
    """Teach-tab calls may land on any worker: a project made, trained and used across two
    server processes behaves as one."""
    with redis_server() as url:
        env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": url,
               "CONVLENS_LOAD_MODEL": "1"}
        with convlens_server(env) as a, convlens_server(env) as b, \
                httpx.Client(base_url=a, timeout=30) as on_a, \
                httpx.Client(base_url=b, timeout=30) as on_b:
            pid = on_a.post("/api/projects").json()["id"]
            classes = {}
            for name, samples in (("animal", ["dog_german_shepherd", "cat_chelsea"]),
                                  ("thing", ["object_coffee", "object_baseball"])):
                classes[name] = on_b.post(f"/api/projects/{pid}/classes",
                                          json={"name": name}).json()["id"]
                for k, sample in enumerate(samples):
                    image_id = on_a.post(f"/api/samples/{sample}/image").json()["id"]
                    serve = on_a if k % 2 else on_b  # photos added through both servers
                    r = serve.post(f"/api/projects/{pid}/classes/{classes[name]}/images",
                                   json={"image_id": image_id})
                    assert r.status_code == 201, r.text
            assert on_a.post(f"/api/projects/{pid}/train", json={"epochs": 30}
                             ).status_code == 202
            run = {}
            for _ in range(300):  # the run trains in server A; B watches it
                run = on_b.get(f"/api/projects/{pid}").json()["run"]
                if run["status"] in ("done", "failed"):
                    break
                time.sleep(0.1)
            assert run["status"] == "done", run
            assert [c["count"] for c in on_b.get(f"/api/projects/{pid}").json()["classes"]] \
                == [2, 2]
            dog = on_b.post("/api/samples/dog_german_shepherd/image").json()["id"]
            probs = on_b.post(f"/api/projects/{pid}/predict", json={"image_id": dog}).json()
            assert probs["probs"][0]["name"] == "animal"
            cam = on_a.get(f"/api/projects/{pid}/gradcam",
                           params={"image_id": dog, "class_id": classes["animal"]})
            assert cam.status_code == 200 and cam.headers["content-type"] == "image/png"
            thumb = on_a.get(f"/api/projects/{pid}/images/{dog}/thumb")
            assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
