"""The job system: what a job costs beyond its work, and trainings on one and two workers.

Per-job overhead: an empty job (the ``probe`` kind, zero seconds) submitted, run and seen
done, one at a time, on the embedded queue and on Redis; the floor beside it is what the
store itself costs (a record written and read back). Throughput: four trainings of four
projects submitted at once to web processes that run no jobs, with one and with two
``convlens worker`` processes (the model loaded once in each).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import replace

import httpx

from app.core.settings import Settings
from app.jobs.record import JobRecord
from app.jobs.workers import JobWorkers
from app.main import build_services
from bench.report import figure
from bench.server import percentile, running_server
from tests.support.photos import shape_photo
from tests.support.servers import convlens_worker, redis_server

EMPTY_JOBS = 200
TRAININGS, PER_CLASS, EPOCHS = 4, 8, 60


def _empty_jobs(settings: Settings) -> tuple[list[float], list[float]]:
    """Milliseconds from submit to done for empty jobs, and for a record saved and read."""
    services = build_services(replace(settings, load_model=False))
    jobs = services.jobs
    workers = JobWorkers(jobs, count=1)
    workers.start()
    try:
        overhead = []
        for _ in range(EMPTY_JOBS):
            t0 = time.perf_counter()
            record = jobs.submit("probe", {"seconds": 0}, client="bench")
            while jobs.get(record.id).status not in ("done", "failed"):
                time.sleep(0.0002)
            overhead.append((time.perf_counter() - t0) * 1000)
        store = []
        for k in range(EMPTY_JOBS):
            t0 = time.perf_counter()
            jobs.store.create(JobRecord(id=f"floor{k}", kind="probe", params={}, client="b",
                                        time_limit_s=1.0))
            jobs.store.get(f"floor{k}")
            store.append((time.perf_counter() - t0) * 1000)
        return overhead, store
    finally:
        workers.stop()


def _trainings(base: str) -> float:
    """Seconds from submitting TRAININGS trainings at once to the last one done."""
    with httpx.Client(base_url=base, timeout=60) as http:
        projects = []
        for p in range(TRAININGS):
            pid = http.post("/api/projects").json()["id"]
            for kind in ("disc", "square"):
                cid = http.post(f"/api/projects/{pid}/classes", json={"name": kind}).json()["id"]
                for seed in range(PER_CLASS):
                    http.post(f"/api/projects/{pid}/classes/{cid}/images",
                              files={"file": ("p.jpg", shape_photo(kind, seed + 100 * p, 320, 240,
                                                                  "JPEG"), "image/jpeg")}
                              ).raise_for_status()
            projects.append(pid)
        t0 = time.perf_counter()
        for pid in projects:
            http.post(f"/api/projects/{pid}/train", json={"epochs": EPOCHS}).raise_for_status()
        for pid in projects:
            while http.get(f"/api/projects/{pid}").json()["run"]["status"] not in ("done",
                                                                                    "failed"):
                time.sleep(0.05)
        return time.perf_counter() - t0


def main() -> None:
    overhead, store = _empty_jobs(Settings())
    figure("empty job submit -> done, embedded queue, p50", percentile(overhead, 50), "ms",
           floor=f"record put + get {percentile(store, 50):.3f} ms")
    with redis_server() as url:
        overhead, store = _empty_jobs(replace(Settings(), store_backend="redis", redis_url=url))
    figure("empty job submit -> done, Redis queue, p50", percentile(overhead, 50), "ms",
           floor=f"record put + get {percentile(store, 50):.2f} ms")
    figure("empty job submit -> done, Redis queue, p90", percentile(overhead, 90), "ms")

    seconds = {}
    for count in (1, 2):
        with redis_server() as url:
            env = {"CONVLENS_STORE_BACKEND": "redis", "CONVLENS_REDIS_URL": url,
                   "CONVLENS_LOAD_MODEL": "1"}
            with running_server(env={**env, "CONVLENS_JOBS_IN_PROCESS": "0"}) as base, \
                    contextlib.ExitStack() as stack:
                for _ in range(count):
                    stack.enter_context(convlens_worker(env))
                seconds[count] = _trainings(base)
        figure(f"{TRAININGS} trainings ({PER_CLASS * 2} photos, {EPOCHS} epochs) on {count} "
               f"worker process{'es' if count > 1 else ''}", seconds[count], "s",
               floor=f"one worker {seconds[1]:.1f} s" if count > 1 else "")


if __name__ == "__main__":
    main()
