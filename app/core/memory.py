"""Giving memory back after a busy spell: idle cache entries dropped, freed heap returned.

glibc keeps freed memory for reuse (the app runs with a high ``MALLOC_TRIM_THRESHOLD_``
because re-faulting pages on hot paths was measured slow), so after a burst of large
uploads the process stays at its peak. The janitor waits for a lull in CPU work, then
drops cached results and photos nobody used for ``idle_s`` and asks glibc to return free
pages (``malloc_trim``), once per lull. While busy it trims only when the heap holds more
than ``busy_free_bytes`` free: under 50 clients uploading large photos, 400-500 MB sat free
between the caches' blocks for the whole burst.
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


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _heap_free() -> Callable[[], int | None]:
    """Bytes glibc holds free in its heap (``mallinfo2``, glibc 2.33+), or None elsewhere."""
    name = ctypes.util.find_library("c")
    try:
        info = ctypes.CDLL(name).mallinfo2 if name else None
    except (OSError, AttributeError):
        info = None
    if info is None:
        return lambda: None
    info.restype = _MallInfo2
    return lambda: int(info().fordblks)


heap_free = _heap_free()


class Janitor:
    """A daemon thread: every ``every_s``, if no CPU work ran for ``lull_s``, drop the idle
    entries of each cache and, if the process was busy since its last trim, trim the heap."""

    def __init__(self, caches: list, last_used: Callable[[], float], idle_s: float = 60.0,
                 lull_s: float = 5.0, every_s: float = 2.0,
                 busy_free_bytes: int = 128 * 2**20) -> None:
        self.caches = caches  # anything with drop_idle(idle_s) -> bytes freed
        self.last_used = last_used
        self.idle_s, self.lull_s, self.every_s = idle_s, lull_s, every_s
        self.busy_free_bytes = busy_free_bytes
        self._stop = threading.Event()
        self._trimmed_at = 0.0

    def start(self) -> None:
        threading.Thread(target=self._loop, name="janitor", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def sweep(self) -> None:
        if time.monotonic() - self.last_used() < self.lull_s:
            # Busy: what the caches hold is in use, and freed blocks are about to be reused,
            # unless far more lies free than the next requests can take.
            free = heap_free()
            if free is not None and free > self.busy_free_bytes:
                trim()
                log.debug("memory: %.0f MiB free in the heap while busy, trimmed", free / 2**20)
            return
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
