"""The one job system: every computation that takes seconds is a job of a registered kind.

A request submits a job (``submit``) and answers 202 at once; a worker runs it
(``execute``), in a thread of a web process or in a ``convlens worker`` process
on any host. The queue between them is Huey's (memory when alone, Redis for
several processes); what Huey does not do, this module adds on top of it:

- a record per job (``app.jobs.store``): status, progress, a message, the
  error envelope on failure, where the result is;
- identical requests share one job (a ``key``) while it is queued, running or done;
- bounds: jobs waiting per client and in all (503 ``busy`` beyond), a time limit
  per kind, cancellation at the next progress report;
- leases: a running job's worker renews its heartbeat; a job whose worker
  vanished (SIGKILL, a lost host) is queued again by any process's reaper, and
  failed with a clear message after ``MAX_ATTEMPTS`` starts.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.errors import AppError, Busy, Conflict, NotFound
from app.core.gate import patient
from app.jobs.record import MAX_CLIENTS, REUSABLE, Client, JobRecord
from app.jobs.store import JobStore

log = logging.getLogger("convlens.jobs")

LEASE_S = 10.0  # a running job whose heartbeat is older than this has lost its worker
HEARTBEAT_S = 2.0  # how often a worker renews the leases of the jobs it runs
MAX_ATTEMPTS = 2  # a job is started at most this often (once more after a lost worker)
MAX_WAIT_S = 600.0  # a job queued this long is failed (its queue entry was lost)
PROGRESS_EVERY_S = 0.25  # progress is written at most this often (a Redis write each)


def worker_id() -> str:
    """This process, as a job's record names its worker (host and process id)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Cancelled(Exception):
    """Raised inside a job at a progress report after ``DELETE /api/jobs/{id}``."""


class Stopping(Exception):
    """Raised inside a job at a progress report or check once its process is stopping: the
    job goes back to the queue for another worker (``Jobs.execute``)."""


class TimeLimitExceeded(AppError):
    status, code = 500, "job_time_limit"


@dataclass(frozen=True)
class Kind:
    """One kind of job: the function that does the work, and its time limit.

    ``run(ctx, params)`` returns the URL of its result (or None when the job's own
    record is the result); it reports progress through ``ctx`` and may raise any
    ``AppError`` to fail with that error's envelope."""

    name: str
    run: Callable[[JobContext, dict[str, Any]], str | None]
    time_limit_s: float


class JobContext:
    """What a running job sees: the services of its process and a way to report progress."""

    def __init__(self, jobs: Jobs, record: JobRecord, services: Any) -> None:
        self.jobs = jobs
        self.id = record.id
        self.services = services
        self._deadline = time.monotonic() + record.time_limit_s
        self._limit = record.time_limit_s
        self._last_write = 0.0

    def progress(self, fraction: float, message: str | None = None, force: bool = False,
                 **extra: Any) -> None:
        """Report how far the job is (0-1) and what it is doing ("fold 3 of 5"); raises
        ``Cancelled`` if the job was cancelled, and fails it past its time limit. Writes at
        most every ``PROGRESS_EVERY_S`` unless ``force``."""
        self._within_limit()
        if self.jobs.stopping.is_set():
            raise Stopping
        now = time.monotonic()
        if not force and now - self._last_write < PROGRESS_EVERY_S:
            return
        self._last_write = now

        def report(r: JobRecord) -> bool:
            r.progress = max(0.0, min(1.0, float(fraction)))
            r.message = message if message is not None else r.message
            r.extra.update(extra)
            r.heartbeat = time.time()
            return r.status == "running" and r.worker == worker_id()

        record = self.jobs.store.update(self.id, report)
        if record is None or record.cancel_requested or record.worker != worker_id():
            raise Cancelled

    def check(self) -> None:
        """What ``progress`` checks, without reporting: raises ``Cancelled`` if the job was
        cancelled (or taken from this worker), fails it past its time limit. Called while
        the job waits for a CPU slot (``app.core.gate.patient``)."""
        self._within_limit()
        if self.jobs.stopping.is_set():
            raise Stopping
        record = self.jobs.store.get(self.id)
        if record is None or record.cancel_requested or record.worker != worker_id():
            raise Cancelled

    def _within_limit(self) -> None:
        if time.monotonic() > self._deadline:
            raise TimeLimitExceeded(f"The job took longer than its limit of {self._limit:g} s "
                                    "and was stopped.", limit_s=self._limit)

    def save_result(self, name: str, data: bytes) -> None:
        """Keep bytes of the outcome beside the record (same lifetime), e.g. a picture."""
        self.jobs.store.put_result(self.id, name, data)


class Jobs:
    """Submit, inspect, cancel and run jobs; ``queue`` is a Huey instance shared by the
    processes that submit and the ones that run."""

    def __init__(self, store: JobStore, queue: Any, max_queued: int, max_per_client: int
                 ) -> None:
        self.store = store
        self.queue = queue
        self.max_queued = max_queued
        self.max_per_client = max_per_client
        # Queued or running jobs asked for from one peer address, whatever client ids it
        # sends: wider than a client's (a classroom behind one NAT is many pages), and half
        # the queue, so one address never fills it for everyone else.
        self.max_per_address = max(max_per_client, max_queued // 2)
        self.kinds: dict[str, Kind] = {}
        self.services: Any = None  # set by the process that runs jobs (web or worker)
        self.running_here: set[str] = set()  # the jobs this process runs (it renews them)
        self._lock = threading.Lock()
        # Held from the bound checks to the new record (with the store's own exclusive
        # section, which spans processes on Redis), so bursts cannot pass a bound together.
        self._admitting = threading.Lock()
        # One Huey task runs every kind: its only argument is the job id, the rest is in
        # the record, so a job queued again after a lost worker runs exactly as asked.
        self._run_job = queue.task(name="convlens.run_job")(self.execute)
        # Set when this process queues a task: its own idle workers look at once instead of
        # at their next poll (measured: an empty job's submit-to-done fell from 21 ms).
        self.queued_here = threading.Event()
        # Set while this process stops (``JobWorkers.stop``): its running jobs hand
        # themselves back at their next report instead of holding the exit up, or running
        # torch while the interpreter shuts down.
        self.stopping = threading.Event()

    def _task(self, job_id: str) -> None:
        self._run_job(job_id)
        self.queued_here.set()

    def register(self, kind: Kind) -> None:
        self.kinds[kind.name] = kind

    def submit(self, kind: str, params: dict[str, Any], *, client: Client | str,
               key: str | None = None,
               prepare: Callable[[], dict[str, Any]] | None = None) -> JobRecord:
        """Queue a job, or join the live one doing identical work (same ``key``: ``client``
        is then recorded among its clients); 503 ``busy`` past the bounds, before anything
        is queued. A plain string ``client`` is the server's own (no peer address).
        ``prepare`` runs once the bounds let a new job in, before it is queued: what it
        returns is added to ``params``, and an error it raises refuses the job."""
        who = client if isinstance(client, Client) else Client(client)
        spec = self.kinds[kind]
        if key is not None:
            existing = self.store.live(key)
            joined = self._join(existing, who.id) if existing is not None else None
            if joined is not None:
                return joined
        with self._admitting, self.store.exclusive():
            self._check_bounds(who)
            extra = prepare() if prepare is not None else {}
            record = JobRecord(id=secrets.token_hex(8), kind=kind, params={**params, **extra},
                               client=who.id, address=who.address,
                               time_limit_s=spec.time_limit_s, key=key)
            stored = self.store.create(record)
        if stored.id != record.id:  # another request queued the same work meanwhile
            return self._join(stored, who.id) or stored
        self._task(record.id)
        return stored

    def _check_bounds(self, who: Client) -> None:
        """503 ``busy`` when the queue, the client or its address has as many jobs as allowed."""
        active = self.store.active()
        queued = sum(1 for r in active if r.status == "queued")
        if queued >= self.max_queued:
            raise Busy(f"{queued} jobs are waiting already; try again in a moment.")
        if sum(1 for r in active if r.client == who.id) >= self.max_per_client:
            raise Busy(f"You have {self.max_per_client} jobs queued or running; wait for one "
                       "to finish (or cancel one) first.")
        if who.address is not None and sum(
                1 for r in active if r.address == who.address) >= self.max_per_address:
            raise Busy(f"Your network address has {self.max_per_address} jobs queued or "
                       "running, the most one address may have (a classroom behind one "
                       "router shares it); wait for one to finish first.")

    def _join(self, record: JobRecord, client: str) -> JobRecord | None:
        """``record`` with ``client`` among the clients that asked for it; None when it
        stopped being reusable meanwhile (cancelled or failed: queue the work again)."""
        def join(r: JobRecord) -> bool:
            if not r.active or client in r.clients or len(r.clients) >= MAX_CLIENTS:
                return False
            r.clients.append(client)
            return True

        joined = self.store.update(record.id, join)
        return joined if joined is not None and joined.status in REUSABLE else None

    def record_done(self, kind: str, params: dict[str, Any], *, client: str, key: str,
                    results: dict[str, bytes], result: str, message: str) -> JobRecord | None:
        """Record work another job already did as a finished ``kind`` job under ``key`` (its
        bytes saved first), so lookups by key find it in every process; None when a live job
        holds the key already (that job keeps its own outcome)."""
        if self.store.live(key) is not None:
            return None
        now = time.time()
        record = JobRecord(id=secrets.token_hex(8), kind=kind, params=params, client=client,
                           time_limit_s=self.kinds[kind].time_limit_s, key=key,
                           status="running", message=message, queued_at=now, started_at=now,
                           heartbeat=now, attempts=1, worker=worker_id())
        # Created running, so no lookup sees it done before its bytes are saved.
        if self.store.create(record).id != record.id:
            return None  # another process recorded one meanwhile
        for name, data in results.items():
            self.store.put_result(record.id, name, data)

        def finish(r: JobRecord) -> bool:
            _finish(r, "done", message)
            r.result = result
            return True

        return self.store.update(record.id, finish)

    def get(self, job_id: str) -> JobRecord:
        record = self.store.get(job_id)
        if record is None:
            raise NotFound(f"There is no job {job_id[:40]!r} (finished jobs are kept for a "
                           "while, not for ever).")
        return record

    def finished_result(self, job_id: str, kind: str, name: str) -> bytes:
        """What a ``kind`` job saved as ``name`` once done: 404 for an unknown job (or another
        kind's), 409 ``conflict`` while it is not done (saying its status), 404 once expired."""
        record = self.get(job_id)
        if record.kind != kind:
            raise NotFound(f"Job {job_id[:40]!r} is not a {kind} job.")
        if record.status != "done":
            raise Conflict(f"That job is {record.status}, not done"
                           + (f": {record.error['message']}" if record.error else "") + ".",
                           status=record.status)
        data = self.store.result(job_id, name)
        if data is None:
            raise NotFound("That job's result is no longer kept; run it again.")
        return data

    def cancel(self, job_id: str, client: str) -> JobRecord:
        """Cancel a queued job at once, a running one at its next progress report, when
        ``client`` is the only one that asked for it: 404 for a client that did not ask for
        it, 409 ``conflict`` while other clients wait for it too (it goes on for them)."""
        others: int | None = None  # None: not among its clients

        def request(r: JobRecord) -> bool:
            nonlocal others
            if client in r.clients:
                others = len(r.clients) - 1
            else:  # a stranger, or one of the unnamed past MAX_CLIENTS
                others = len(r.clients) if len(r.clients) >= MAX_CLIENTS else None
            if others is None or (others and r.active):
                return False
            if r.status == "queued":
                _finish(r, "cancelled", "cancelled before it started")
                return True
            if r.status == "running" and not r.cancel_requested:
                r.cancel_requested = True
                r.message = "cancelling..."
                return True
            return False

        record = self.store.update(job_id, request)
        if record is None:
            raise NotFound(f"There is no job {job_id[:40]!r}.")
        if others is None:
            raise NotFound(f"Job {job_id[:40]!r} was not asked for by this page: only the "
                           "pages that asked for a job may cancel it.")
        if others and record.active:
            raise Conflict(f"{others} other page{'s' if others > 1 else ''} asked for this "
                           "same work, so the job goes on for them: it was not "
                           "cancelled.", others=others, status=record.status)
        return record

    def execute(self, job_id: str) -> None:
        """Run one job in this process (called by Huey in a worker thread)."""
        if self.stopping.is_set():
            # Taken off the queue while this process stops (a worker thread still waiting
            # on Redis): put it back unclaimed for another process.
            self._task(job_id)
            return
        record = self.store.update(job_id, _claim)
        if record is None or record.status != "running" or record.worker != worker_id():
            return  # cancelled, taken by another worker, or expired meanwhile
        kind = self.kinds.get(record.kind)
        ctx = JobContext(self, record, self.services)
        with self._lock:
            self.running_here.add(job_id)
        try:
            if kind is None:
                raise AppError(f"This worker does not know jobs of kind {record.kind!r}.")
            # Bounded by the job workers already: its CPU slots are waited for, not refused.
            with patient(ctx.check):
                result = kind.run(ctx, record.params)
        except Cancelled:
            self._end(job_id, "cancelled", "cancelled")
        except Stopping:
            self._hand_back(job_id)
        except AppError as exc:
            self._end(job_id, "failed", exc.message, error=_envelope(exc))
        except Exception as exc:  # reported in the record, never lost
            log.error("job %s (%s) failed:\n%s", job_id, record.kind, traceback.format_exc())
            error = AppError(f"The job failed on the server's side ({type(exc).__name__}); "
                             "please retry.")
            self._end(job_id, "failed", error.message, error=_envelope(error))
        else:
            self._end(job_id, "done", "done", result=result)
        finally:
            with self._lock:
                self.running_here.discard(job_id)

    def _end(self, job_id: str, status: str, message: str, error: dict | None = None,
             result: str | None = None) -> None:
        def end(r: JobRecord) -> bool:
            if r.worker != worker_id() or not r.active:
                return False  # taken back by a reaper meanwhile: its new run decides
            _finish(r, status, message)
            r.error, r.result = error, result
            return True

        self.store.update(job_id, end)

    def _hand_back(self, job_id: str) -> None:
        """Queue a job this stopping process was running again at once, its start not
        counted against ``MAX_ATTEMPTS`` (a clean stop is not a lost worker); another worker
        takes it without waiting for the lease to lapse."""
        requeued = False

        def back(r: JobRecord) -> bool:
            nonlocal requeued
            requeued = False  # an update may run this more than once: the last run counts
            if r.worker != worker_id() or r.status != "running":
                return False  # taken back by a reaper meanwhile: it queued the job itself
            if r.cancel_requested:  # asked to stop by its page too: it ends here
                _finish(r, "cancelled", "cancelled")
                return True
            r.status, r.worker, r.queued_at = "queued", None, time.time()
            r.attempts = max(0, r.attempts - 1)
            r.message = "its server stopped; waiting for another worker"
            requeued = True
            return True

        self.store.update(job_id, back)
        if requeued:
            self._task(job_id)

    def beat(self) -> None:
        """Renew the leases of the jobs this process runs."""
        with self._lock:
            mine = list(self.running_here)
        for job_id in mine:
            self.store.update(job_id, _renew)

    def reap(self) -> None:
        """Take back running jobs whose worker stopped renewing its lease (queue them again,
        or fail them after ``MAX_ATTEMPTS`` starts), and fail jobs past their time limit or
        queued for too long. Safe to run in every process at once."""
        now = time.time()
        for record in self.store.active():
            requeued = False

            def take_back(r: JobRecord) -> bool:
                nonlocal requeued
                requeued = False  # an update may run this more than once: the last run counts
                changed = _take_back(r, now)
                requeued = changed and r.status == "queued"
                return changed

            self.store.update(record.id, take_back)
            if requeued:
                self._task(record.id)


def _claim(r: JobRecord) -> bool:
    if r.status != "queued":
        return False
    r.status, r.worker, r.attempts = "running", worker_id(), r.attempts + 1
    r.started_at = r.heartbeat = time.time()
    r.message = "started" if r.attempts == 1 else "started again (its first worker stopped)"
    return True


def _renew(r: JobRecord) -> bool:
    if r.status != "running" or r.worker != worker_id():
        return False
    r.heartbeat = time.time()
    return True


def _take_back(r: JobRecord, now: float) -> bool:
    if r.status == "queued" and now - r.queued_at > MAX_WAIT_S:
        _finish(r, "failed", "no worker took this job in time")
        r.error = _envelope(Busy("No worker took this job in time; try again."))
        return True
    if r.status != "running":
        return False
    if r.started_at is not None and now - r.started_at > r.time_limit_s + LEASE_S:
        error = TimeLimitExceeded(f"The job took longer than its limit of {r.time_limit_s:g} s.")
        _finish(r, "failed", error.message)
        r.error = _envelope(error)
        return True
    if r.heartbeat is not None and now - r.heartbeat <= LEASE_S:
        return False
    if r.attempts >= MAX_ATTEMPTS:
        error = AppError(f"The worker running this job stopped ({r.attempts} times); "
                         "it was not finished.")
        _finish(r, "failed", error.message)
        r.error = _envelope(error)
        return True
    r.status, r.worker, r.queued_at = "queued", None, now
    r.message = "its worker stopped; waiting for another"
    return True


def _finish(r: JobRecord, status: str, message: str) -> None:
    r.status, r.message, r.finished_at = status, message, time.time()
    if status == "done":
        r.progress = 1.0


def _envelope(exc: AppError) -> dict[str, Any]:
    return {"status": exc.status, "code": exc.code, "message": exc.message,
            "details": exc.details}
