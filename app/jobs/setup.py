"""The job system a process uses, as the settings ask: alone (memory) or shared (Redis)."""

from __future__ import annotations

from app.core.settings import Settings
from app.jobs.store import MemoryJobs, RedisJobs
from app.jobs.system import Jobs


def build_jobs(settings: Settings) -> Jobs:
    """Huey's memory queue and an in-process store when the stores are in memory; Huey on
    the store's Redis (blocking reads) and records in Redis when they are shared."""
    from huey import MemoryHuey, RedisHuey

    if settings.store_backend == "redis":
        queue = RedisHuey("convlens", url=settings.redis_url, results=False, blocking=True,
                          read_timeout=1)
        store = RedisJobs(settings.redis_url, settings.job_ttl_s)
    else:
        if not settings.jobs_in_process:
            raise ValueError("CONVLENS_JOBS_IN_PROCESS=0 needs CONVLENS_STORE_BACKEND=redis: "
                             "with the memory backend no other process can run the jobs")
        queue = MemoryHuey("convlens", results=False)
        store = MemoryJobs(settings.job_ttl_s)
    return Jobs(store, queue, settings.max_jobs_queued, settings.max_jobs_per_client)
