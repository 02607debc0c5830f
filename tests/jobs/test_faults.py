"""Faults with real processes: a worker killed mid-job, Redis restarted under a project."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import replace

import httpx
import pytest

from app.core.settings import Settings
from app.jobs import system
from app.main import build_services
from tests.support.photos import shape_photo
from tests.support.servers import RedisProcess, convlens_server, convlens_worker, redis_server

pytestmark = pytest.mark.redis


def _follow(http: httpx.Client, job_id: str, until, seconds: float = 90.0) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}").json()
        if until(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there in {seconds:g} s: {job}")


def test_a_job_whose_worker_is_killed_is_finished_by_another():
    """Two web processes that run no jobs, two workers; the one running the job gets SIGKILL.
    Its lease lapses (LEASE_S) and a reaper queues the job again for the other worker."""
    with redis_server() as url:
        env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": url,
               "CONVLENS_JOBS_IN_PROCESS": "0"}
        with convlens_server(env) as a, convlens_server(env) as b, \
                convlens_worker(env) as w1, convlens_worker(env) as w2, \
                httpx.Client(base_url=a, timeout=10) as on_a, \
                httpx.Client(base_url=b, timeout=10) as on_b:
            # Submitted as a web process would, through the shared queue.
            jobs = build_services(replace(Settings.from_env(), store_backend="redis",
                                          redis_url=url, load_model=False)).jobs
            record = jobs.submit("probe", {"seconds": 4}, client="test")
            running = _follow(on_a, record.id, lambda j: j["status"] == "running")
            assert running["attempts"] == 1
            worker_pid = int(jobs.get(record.id).worker.rsplit(":", 1)[1])
            assert worker_pid in (w1.pid, w2.pid)
            os.kill(worker_pid, signal.SIGKILL)
            killed_at = time.monotonic()
            done = _follow(on_b, record.id, lambda j: j["status"] in ("done", "failed"))
            took = time.monotonic() - killed_at
            assert done["status"] == "done" and done["attempts"] == 2, done
            survivor = w2.pid if worker_pid == w1.pid else w1.pid
            assert jobs.get(record.id).worker.endswith(f":{survivor}")
            # Bounded: the lease, a reaper round, the job's own 4 s, and slack for a busy box.
            assert took < system.LEASE_S + 60


def test_a_redis_restart_keeps_a_trained_project(tmp_path):
    """With Redis's append-only file on (the README's setting), a project and its trained
    classifier are still there after Redis restarts."""
    redis = RedisProcess(tmp_path)
    redis.start()
    try:
        env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": redis.url,
               "CONVLENS_LOAD_MODEL": "1"}
        with convlens_server(env) as base, httpx.Client(base_url=base, timeout=60) as http:
            pid = http.post("/api/projects").json()["id"]
            for kind in ("disc", "square"):
                cid = http.post(f"/api/projects/{pid}/classes", json={"name": kind}).json()["id"]
                for seed in range(3):
                    r = http.post(f"/api/projects/{pid}/classes/{cid}/images",
                                  files={"file": ("p.png", shape_photo(kind, seed), "image/png")})
                    assert r.status_code == 201, r.text
            job = http.post(f"/api/projects/{pid}/train", json={"epochs": 20}).json()["job"]
            assert _follow(http, job["id"], lambda j: j["status"] not in ("queued", "running")
                           )["status"] == "done"
            before = http.get(f"/api/projects/{pid}").json()
            probe = http.post("/api/images", files={"file": (
                "n.png", shape_photo("disc", 50), "image/png")}).json()["id"]
            answer = http.post(f"/api/projects/{pid}/predict", json={"image_id": probe}).json()
            redis.restart()
            after = http.get(f"/api/projects/{pid}").json()
            assert after == before and after["trained"]
            again = http.post(f"/api/projects/{pid}/predict", json={"image_id": probe}).json()
            assert again == answer
    finally:
        redis.stop()
