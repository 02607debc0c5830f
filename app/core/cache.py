"""A bounded, thread-safe cache of recomputable results, sized by the bytes it holds."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, is_dataclass
from typing import Any, Generic, TypeVar

import numpy as np

V = TypeVar("V")


def nbytes(value: Any) -> int:
    """Approximate size of a cached value: arrays and bytes count, containers recurse."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return sum(nbytes(v) for v in value.values()) + 64
    if isinstance(value, list | tuple):
        return sum(nbytes(v) for v in value) + 64
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    if is_dataclass(value):  # e.g. a CNN analysis: the arrays it holds
        return sum(nbytes(getattr(value, f.name)) for f in fields(value)) + 64
    return 64


class LruCache(Generic[V]):
    """A thread-safe LRU cache bounded by the total size of its values in bytes."""

    def __init__(self, max_bytes: int, sizeof: Callable[[V], int] = nbytes) -> None:
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._used: dict[Hashable, float] = {}  # key -> when last read or written
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}  # keys being computed now

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            self._used[key] = time.monotonic()
            return item[0]

    def put(self, key: Hashable, value: V) -> None:
        size = self._sizeof(value)
        if size > self.max_bytes:
            return  # would evict everything and still not fit
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._used[key] = time.monotonic()
            self._bytes += size
            while self._bytes > self.max_bytes:
                gone, (_, evicted) = self._items.popitem(last=False)
                self._used.pop(gone, None)
                self._bytes -= evicted

    def drop_idle(self, idle_s: float, keep_bytes: int = 0) -> int:
        """Forget entries nobody used for ``idle_s`` seconds, least recently used first, while
        more than ``keep_bytes`` are held; the bytes freed. A busy hour leaves the cache full;
        a quiet spell gives its memory back (``app.core.memory``)."""
        cutoff = time.monotonic() - idle_s
        freed = 0
        with self._lock:
            # Least recently used first: stop at the first entry still in use.
            for key in list(self._items):
                if self._used.get(key, 0) > cutoff or self._bytes - freed <= keep_bytes:
                    break
                freed += self._items.pop(key)[1]
                self._used.pop(key, None)
            self._bytes -= freed
        return freed

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()`` stored. Requests racing for the same key wait
        for the one computing it (a Grad-CAM picture and its channel list for one stage
        arrive together and need one backward pass, not two); other keys never wait."""
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            lock = self._computing.setdefault(key, threading.Lock())
        with lock:
            try:
                value = self.get(key)
                if value is None:
                    value = compute()
                    self.put(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)
