"""Where job records and results live: in this process, or in Redis for every host.

Every change of a record is one atomic read-modify-write (``update``), so a
worker claiming a job, a reaper taking it back and a client cancelling it
never overwrite each other. Records and results expire ``ttl_s`` after their
last write; active jobs (queued or running) are also kept in an index.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Protocol

from app.core import redis as shared_redis
from app.jobs.record import REUSABLE, JobRecord

Change = Callable[[JobRecord], bool]  # edits the record in place; False leaves it unchanged


class JobStore(Protocol):
    def create(self, record: JobRecord) -> JobRecord:
        """Save a new record, unless a live job (queued, running or done) has its key:
        then that job is returned instead."""
        ...

    def get(self, job_id: str) -> JobRecord | None: ...

    def live(self, key: str) -> JobRecord | None:
        """The job queued, running or done for ``key``, if any."""
        ...

    def update(self, job_id: str, change: Change) -> JobRecord | None:
        """Apply ``change`` atomically; the record as it is afterwards (None if unknown)."""
        ...

    def active(self) -> list[JobRecord]: ...

    def put_result(self, job_id: str, name: str, data: bytes) -> None: ...

    def result(self, job_id: str, name: str) -> bytes | None: ...

    def exclusive(self) -> AbstractContextManager[None]:
        """Held by a process while it checks the job bounds and creates a record: what other
        processes sharing the store must wait for (the submitting process holds its own
        lock too)."""
        ...


def _reusable(record: JobRecord | None) -> bool:
    return record is not None and record.status in REUSABLE


class MemoryJobs:
    """Jobs of this process: at most ``max_records`` kept, the oldest finished dropped first."""

    def __init__(self, ttl_s: float, max_records: int = 512) -> None:
        self._records: OrderedDict[str, JobRecord] = OrderedDict()
        self._keys: dict[str, str] = {}
        self._results: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._ttl = ttl_s
        self._max = max_records

    def create(self, record: JobRecord) -> JobRecord:
        with self._lock:
            self._expire()
            existing = self._records.get(self._keys.get(record.key, "")) if record.key else None
            if _reusable(existing):
                return _copy(existing)
            self._records[record.id] = _copy(record)
            if record.key:
                self._keys[record.key] = record.id
            return record

    def get(self, job_id: str) -> JobRecord | None:
        with self._lock:
            found = self._records.get(job_id)
            return _copy(found) if found else None

    def live(self, key: str) -> JobRecord | None:
        with self._lock:
            found = self._records.get(self._keys.get(key, ""))
            return _copy(found) if _reusable(found) else None

    def update(self, job_id: str, change: Change) -> JobRecord | None:
        with self._lock:
            found = self._records.get(job_id)
            if found is None:
                return None
            work = _copy(found)
            if change(work):
                self._records[job_id] = work
                self._records.move_to_end(job_id)
                return _copy(work)
            return _copy(found)

    def active(self) -> list[JobRecord]:
        with self._lock:
            return [_copy(r) for r in self._records.values() if r.active]

    def put_result(self, job_id: str, name: str, data: bytes) -> None:
        with self._lock:
            self._results[(job_id, name)] = data

    def result(self, job_id: str, name: str) -> bytes | None:
        with self._lock:
            return self._results.get((job_id, name))

    def exclusive(self) -> AbstractContextManager[None]:
        return nullcontext()  # one process: its own submit lock is enough

    def _expire(self) -> None:
        """Forget finished jobs past their lifetime, and the oldest past the count bound."""
        now = time.time()
        for job_id, r in list(self._records.items()):
            old = r.finished_at is not None and now - r.finished_at > self._ttl
            if old or (len(self._records) > self._max and not r.active):
                self._forget(job_id)

    def _forget(self, job_id: str) -> None:
        record = self._records.pop(job_id)
        if record.key and self._keys.get(record.key) == job_id:
            del self._keys[record.key]
        for k in [k for k in self._results if k[0] == job_id]:
            del self._results[k]


def _copy(record: JobRecord) -> JobRecord:
    return JobRecord.from_json(record.to_json())


class RedisJobs:
    """Jobs in Redis, seen by every web process and worker. Keys: ``convlens:job:<id>`` (the
    record, JSON), ``convlens:jobkey:<key>`` (the job doing that work), ``convlens:jobs:active``
    (a set of ids), ``convlens:jobresult:<id>:<name>`` (bytes)."""

    ACTIVE = "convlens:jobs:active"
    SUBMITTING = "convlens:jobs:submitting"  # the lock held from bound checks to a new record

    def __init__(self, url: str, ttl_s: int) -> None:
        self._redis = shared_redis.client(url)
        self._ttl = ttl_s

    @staticmethod
    def _job(job_id: str) -> str:
        return f"convlens:job:{job_id}"

    def create(self, record: JobRecord) -> JobRecord:
        with shared_redis.reachable("job store"):
            if record.key:
                key = f"convlens:jobkey:{record.key}"
                if not self._redis.set(key, record.id, nx=True, ex=self._ttl):
                    existing = self.get(self._redis.get(key).decode())
                    if _reusable(existing):
                        return existing
                    self._redis.set(key, record.id, ex=self._ttl)  # a failed or expired job
            pipe = self._redis.pipeline()
            pipe.set(self._job(record.id), record.to_json(), ex=self._ttl)
            pipe.sadd(self.ACTIVE, record.id)
            pipe.execute()
        return record

    def get(self, job_id: str) -> JobRecord | None:
        if not (job_id.isascii() and job_id.isalnum() and len(job_id) <= 40):
            return None
        with shared_redis.reachable("job store"):
            data = self._redis.get(self._job(job_id))
        return JobRecord.from_json(data) if data else None

    def live(self, key: str) -> JobRecord | None:
        with shared_redis.reachable("job store"):
            job_id = self._redis.get(f"convlens:jobkey:{key}")
        found = self.get(job_id.decode()) if job_id else None
        return found if _reusable(found) else None

    def update(self, job_id: str, change: Change) -> JobRecord | None:
        import redis

        name = self._job(job_id)
        with shared_redis.reachable("job store"), self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(name)
                    data = pipe.get(name)
                    if data is None:
                        return None
                    record = JobRecord.from_json(data)
                    if not change(record):
                        return record
                    pipe.multi()
                    pipe.set(name, record.to_json(), ex=self._ttl)
                    if record.active:
                        pipe.sadd(self.ACTIVE, job_id)
                    else:
                        pipe.srem(self.ACTIVE, job_id)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue  # someone else changed it meanwhile: read it again

    def active(self) -> list[JobRecord]:
        with shared_redis.reachable("job store"):
            ids = [i.decode() for i in self._redis.smembers(self.ACTIVE)]
            found = self._redis.mget([self._job(i) for i in ids]) if ids else []
            gone = [i for i, data in zip(ids, found, strict=True) if data is None]
            if gone:  # expired records leave the index too
                self._redis.srem(self.ACTIVE, *gone)
        return [r for r in (JobRecord.from_json(d) for d in found if d) if r.active]

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        # Two round trips per new job; it expires on its own if its holder dies holding it.
        lock = self._redis.lock(self.SUBMITTING, timeout=10, blocking_timeout=5, sleep=0.005)
        with shared_redis.reachable("job queue"), lock:
            yield

    def put_result(self, job_id: str, name: str, data: bytes) -> None:
        with shared_redis.reachable("job store"):
            self._redis.set(f"convlens:jobresult:{job_id}:{name}", data, ex=self._ttl)

    def result(self, job_id: str, name: str) -> bytes | None:
        with shared_redis.reachable("job store"):
            return self._redis.get(f"convlens:jobresult:{job_id}:{name}")
