"""Several server processes sharing one Redis: any worker serves any image id."""

from __future__ import annotations

import io

import httpx
import pytest

from tests.conftest import assert_error, make_image
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
