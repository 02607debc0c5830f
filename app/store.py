"""Bounded, content-addressed storage of images, and a bounded cache of derived results.

Images are immutable and named by a hash of their pixels, so any worker can
serve any id and every cache in front of the store stays coherent by
construction. Two backends: in-process memory (the default) and Redis (shared
by several workers or hosts). Derived results (float inputs, analyses) are
recomputable and stay in a per-process ``LruCache``.
"""

from __future__ import annotations

import hashlib
import struct
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import numpy as np

from app.errors import StoreUnavailable

V = TypeVar("V")

_HEADER = struct.Struct("<II")  # height, width of a stored (H, W, 3) uint8 image


def image_id(rgb_u8: np.ndarray) -> str:
    """The content hash that names an ``(H, W, 3) uint8`` image: 32 hex digits."""
    h = hashlib.sha256(_HEADER.pack(*rgb_u8.shape[:2]))
    h.update(np.ascontiguousarray(rgb_u8).data)
    return h.hexdigest()[:32]


def is_image_id(text: str) -> bool:
    """True for strings shaped like an id, so junk never reaches a backend."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


class LruCache(Generic[V]):
    """A thread-safe LRU cache bounded by the total size of its values in bytes."""

    def __init__(self, max_bytes: int, sizeof: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self._sizeof = sizeof
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
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
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value, or ``compute()`` stored. Two racing threads may both compute;
        both get a correct value, which is cheaper than holding a lock over CPU work."""
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class ImageRecord:
    """What a client needs to know about a stored image."""

    id: str
    width: int
    height: int


class ImageStore(Protocol):
    """Where working-size images live, by content id."""

    def put(self, rgb_u8: np.ndarray) -> ImageRecord: ...

    def get(self, key: str) -> np.ndarray | None: ...

    def peek(self, key: str) -> np.ndarray | None:
        """The image if it is in this process already (no I/O), else None."""
        ...


def _frozen(rgb_u8: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(rgb_u8, dtype=np.uint8)
    arr.flags.writeable = False  # shared between requests: nobody may draw on it
    return arr


class MemoryImageStore:
    """Images in this process, least recently used evicted past ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self._cache: LruCache[np.ndarray] = LruCache(max_bytes, lambda a: a.nbytes)

    def put(self, rgb_u8: np.ndarray) -> ImageRecord:
        return self.remember(image_id(rgb_u8), rgb_u8)

    def remember(self, key: str, rgb_u8: np.ndarray) -> ImageRecord:
        """Keep an image whose id is already known (hashing 3 MB costs ~2 ms)."""
        if self._cache.get(key) is None:
            self._cache.put(key, _frozen(rgb_u8))
        return ImageRecord(key, rgb_u8.shape[1], rgb_u8.shape[0])

    def get(self, key: str) -> np.ndarray | None:
        return self._cache.get(key) if is_image_id(key) else None

    peek = get  # everything is local


class RedisImageStore:
    """Images in Redis, shared by every worker; a small local LRU keeps hot ones decoded.

    Redis itself is the bound: run it with ``maxmemory`` and ``allkeys-lru``
    (the README shows how); each key also expires ``ttl_s`` after its last use.
    """

    def __init__(self, url: str, ttl_s: int, local_bytes: int) -> None:
        import redis  # only needed when this backend is chosen

        self._redis = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._errors = redis.RedisError
        self._ttl = ttl_s
        self._local = MemoryImageStore(local_bytes)

    def put(self, rgb_u8: np.ndarray) -> ImageRecord:
        record = self._local.put(rgb_u8)
        payload = _HEADER.pack(record.height, record.width) + rgb_u8.tobytes()
        with self._unavailable_as_503():
            self._redis.set(self._key(record.id), payload, ex=self._ttl)
        return record

    def get(self, key: str) -> np.ndarray | None:
        if not is_image_id(key):
            return None
        local = self._local.get(key)
        if local is not None:
            return local
        with self._unavailable_as_503():
            payload = self._redis.getex(self._key(key), ex=self._ttl)
        if payload is None:
            return None
        h, w = _HEADER.unpack_from(payload)
        rgb = np.frombuffer(payload, dtype=np.uint8, offset=_HEADER.size).reshape(h, w, 3)
        self._local.remember(key, rgb)
        return rgb

    def peek(self, key: str) -> np.ndarray | None:
        return self._local.get(key)

    @contextmanager
    def _unavailable_as_503(self) -> Iterator[None]:
        try:
            yield
        except self._errors as exc:
            raise StoreUnavailable("The shared image store is unreachable; try again shortly.",
                                   reason=type(exc).__name__) from None

    @staticmethod
    def _key(key: str) -> str:
        return f"convlens:image:{key}"
