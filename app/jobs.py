"""A bounded gate for CPU-bound work: a few jobs at once, a short queue, then 503.

Handlers are plain ``def`` functions that FastAPI runs in its threadpool;
OpenCV and torch release the GIL, so both cores work. Without a gate a burst
of requests would all start at once and every one of them would be slow; with
it, the excess is told to come back (``Retry-After``) instead of piling up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.errors import Busy


class JobGate:
    """At most ``max_jobs`` running, at most ``max_queue`` waiting, each waiting ``timeout_s``."""

    def __init__(self, max_jobs: int, max_queue: int, timeout_s: float) -> None:
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._lock = threading.Lock()
        self._waiting = 0
        self.max_queue = max_queue
        self.timeout_s = timeout_s

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one job slot for the duration of the block, or raise ``Busy``."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.max_queue:
                    raise Busy("The server is busy; please retry in a moment.")
                self._waiting += 1
            try:
                acquired = self._slots.acquire(timeout=self.timeout_s)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not acquired:
                raise Busy("The server is busy; please retry in a moment.")
        try:
            yield
        finally:
            self._slots.release()
