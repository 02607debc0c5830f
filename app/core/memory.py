"""Giving memory back after a busy spell: idle cache entries dropped, freed heap returned.

glibc keeps freed memory for reuse (the app runs with a high ``MALLOC_TRIM_THRESHOLD_``
because re-faulting pages on hot paths was measured slow), so after a burst of large
uploads the process stays at its peak. The janitor waits for a lull in CPU work, then
drops derived results nobody used for ``idle_s`` and asks glibc to return free pages
(``malloc_trim``), once per lull.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("convlens")


def _malloc_trim() -> Callable[[], None]:
    """glibc's ``malloc_trim(0)``, or a no-op where there is none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = libc.malloc_trim if libc is not None else None
    except (OSError, AttributeError):
        trim = None
    return (lambda: trim(0)) if trim is not None else (lambda: None)


trim = _malloc_trim()


class Janitor:
    """A daemon thread: every ``every_s``, if no CPU work ran for ``lull_s``, drop the idle
    entries of each cache and, if the process was busy since its last trim, trim the heap."""

    def __init__(self, caches: list, last_used: Callable[[], float], idle_s: float = 60.0,
                 lull_s: float = 5.0, every_s: float = 5.0) -> None:
        self.caches = caches
        self.last_used = last_used
        self.idle_s, self.lull_s, self.every_s = idle_s, lull_s, every_s
        self._stop = threading.Event()
        self._trimmed_at = 0.0

    def start(self) -> None:
        threading.Thread(target=self._loop, name="janitor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> None:
        if time.monotonic() - self.last_used() < self.lull_s:
            return  # busy: the memory is in use, or about to be reused
        freed = sum(cache.drop_idle(self.idle_s) for cache in self.caches)
        if freed or self.last_used() > self._trimmed_at:
            trim()
            self._trimmed_at = time.monotonic()
            log.info("memory: %.0f MiB of idle cache dropped, heap trimmed", freed / 2**20)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.sweep()
            except Exception:  # a janitor never takes the server down
                log.exception("memory janitor failed")
