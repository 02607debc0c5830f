"""A bounded gate for CPU-bound work: a few jobs at once, a short queue, then 503.

Handlers are plain ``def`` functions that FastAPI runs in its threadpool;
OpenCV and torch release the GIL, so both cores work. Without a gate a burst
of requests would all start at once and every one of them would be slow; with
it, the excess is told to come back (``Retry-After``) instead of piling up.

Two layers, one policy. ``AdmissionLimit`` counts API requests in flight on the
event loop and refuses the one past ``max_jobs + max_queue`` before it takes a
thread: otherwise anyio's thread limiter (40 by default) queued the excess
without bound and without a timeout (measured: 120 concurrent edits, no 503,
the slowest answered after 7 s). Inside a thread, ``JobGate.slot`` lets
``max_jobs`` run and makes the rest wait at most ``timeout_s``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import Busy, error_response

BUSY_MESSAGE = "The server is busy; please retry in a moment."
# Requests that never queue behind CPU work: a load balancer's health check must
# still be answered while the server is saturated.
UNGATED_PATHS = frozenset({"/api/health"})


class JobGate:
    """At most ``max_jobs`` running, at most ``max_queue`` waiting, each waiting ``timeout_s``."""

    def __init__(self, max_jobs: int, max_queue: int, timeout_s: float) -> None:
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._lock = threading.Lock()
        self._waiting = 0
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.capacity = max_jobs + max_queue  # requests admitted at once (AdmissionLimit)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one job slot for the duration of the block, or raise ``Busy``."""
        if not self._slots.acquire(blocking=False):
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

    def reserve_threads(self) -> None:
        """Give the threadpool a thread for every request the gate admits, so an admitted
        request waits in ``slot`` (bounded in time), never in anyio's queue (unbounded).
        Call on the event loop (the limiter belongs to it), e.g. in the lifespan."""
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, self.capacity + 8)


class AdmissionLimit:
    """ASGI middleware: 503 ``busy`` for an API request arriving while ``gate.capacity``
    others are in flight. The counter is touched only on the event loop: no lock."""

    def __init__(self, app: ASGIApp, gate: JobGate) -> None:
        self.app = app
        self.gate = gate
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path in UNGATED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.gate.capacity:
            await error_response(Busy(BUSY_MESSAGE))(scope, receive, send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
