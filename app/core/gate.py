"""A bounded gate for CPU-bound work: a few slots at once, a short queue, then 503.

Handlers are plain ``def`` functions that FastAPI runs in its threadpool;
OpenCV and torch release the GIL, so both cores work. Without a gate a burst
of requests would all start at once and every one of them would be slow; with
it, the excess is told to come back (``Retry-After``) instead of piling up.

Two layers, one policy. ``app.http.admission`` counts API requests in flight
on the event loop and refuses the one past ``capacity`` before it takes a
thread: otherwise anyio's thread limiter (40 by default) queued the excess
without bound and without a timeout (measured: 120 concurrent edits, no 503,
the slowest answered after 7 s). Inside a thread, ``JobGate.slot`` lets
``max_jobs`` run and makes the rest wait at most ``timeout_s``.

A job (``app.jobs``) takes the same slots through the same services, but it is
bounded already by the job workers, and 503 is a web answer: refused there, a
queued job failed whenever live traffic filled the gate. Inside ``patient(check)``
(the job system wraps each job's run in it) a slot is waited for as long as it
takes, outside the web queue's bound, calling ``check`` every ``PATIENT_WAKE_S`` so
the job can still be cancelled or stopped at its time limit while it waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import anyio.to_thread

from app.core.errors import Busy

BUSY_MESSAGE = "The server is busy; please retry in a moment."
PATIENT_WAKE_S = 0.5  # how often a patient waiter calls its check (cancelled? out of time?)

# Set by ``patient``: the check a job's waits call (it raises to stop waiting), else None.
_patience: ContextVar[Callable[[], None] | None] = ContextVar("gate_patience", default=None)


@contextmanager
def patient(check: Callable[[], None]) -> Iterator[None]:
    """Within the block (this thread's context), ``JobGate.slot`` waits for a free slot
    without the web's queue bound or timeout, calling ``check`` between waits; an error
    ``check`` raises ends the wait."""
    token = _patience.set(check)
    try:
        yield
    finally:
        _patience.reset(token)


class JobGate:
    """At most ``max_jobs`` running, at most ``max_queue`` waiting, each waiting ``timeout_s``."""

    def __init__(self, max_jobs: int, max_queue: int, timeout_s: float) -> None:
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._lock = threading.Lock()
        self._waiting = 0
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.capacity = max_jobs + max_queue  # requests admitted at once (app.http.admission)
        self.in_flight = 0  # admitted and not yet answered: touched on the event loop only
        self.last_used = time.monotonic()  # when CPU work last ended (the janitor waits for a lull)

    def admit(self) -> bool:
        """Count one more request in flight, unless ``capacity`` already are. Call on the
        event loop, before the request takes a thread; ``leave`` when it is answered."""
        if self.in_flight >= self.capacity:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1

    @property
    def waiting(self) -> int:
        """How many callers wait for a slot right now."""
        return self._waiting

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one job slot for the duration of the block, or raise ``Busy`` (inside
        ``patient``: wait for one, however long)."""
        check = _patience.get()
        if check is not None:
            while not self._slots.acquire(timeout=PATIENT_WAKE_S):
                check()
        elif not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.max_queue:
                    raise Busy(BUSY_MESSAGE)
                self._waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self.timeout_s)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise Busy(BUSY_MESSAGE)
        try:
            yield
        finally:
            self._slots.release()
            self.last_used = time.monotonic()

    def reserve_threads(self) -> None:
        """Give the threadpool a thread for every request the gate admits, so an admitted
        request waits in ``slot`` (bounded in time), never in anyio's queue (unbounded).
        Call on the event loop (the limiter belongs to it), e.g. in the lifespan."""
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, self.capacity + 8)
