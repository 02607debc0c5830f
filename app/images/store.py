"""Bounded, content-addressed storage of images.

Images are immutable and named by a hash of their pixels, so any worker can
serve any id and every cache in front of the store stays coherent by
construction. Two backends: in-process memory (the default) and Redis (shared
by several workers or hosts). Derived results (float inputs, analyses) are
recomputable and stay in the per-process ``app.core.cache.LruCache``.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Protocol

import numpy as np

from app.core import redis as shared_redis
from app.core.cache import LruCache
from app.images.schemas import ImageInfo

_HEADER = struct.Struct("<II")  # height, width of a stored (H, W, 3) uint8 image


def image_id(rgb_u8: np.ndarray) -> str:
    """The content hash that names an ``(H, W, 3) uint8`` image: 32 hex digits."""
    h = hashlib.sha256(_HEADER.pack(*rgb_u8.shape[:2]))
    h.update(np.ascontiguousarray(rgb_u8).data)
    return h.hexdigest()[:32]


def is_image_id(text: str) -> bool:
    """True for strings shaped like an id, so junk never reaches a backend."""
    return len(text) == 32 and all(c in "0123456789abcdef" for c in text)


class ImageStore(Protocol):
    """Where working-size images live, by content id."""

    def put(self, rgb_u8: np.ndarray) -> ImageInfo: ...

    def get(self, key: str) -> np.ndarray | None: ...

    def peek(self, key: str) -> np.ndarray | None:
        """The image if it is in this process already (no I/O), else None."""
        ...

    def drop_idle(self, idle_s: float) -> int:
        """Give back the memory of images unused for ``idle_s`` (the janitor, in a lull)."""
        ...


def _frozen(rgb_u8: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(rgb_u8, dtype=np.uint8)
    arr.flags.writeable = False  # shared between requests: nobody may draw on it
    return arr


class MemoryImageStore:
    """Images in this process, least recently used evicted past ``max_bytes``; in a lull the
    ones unused for a while go too, down to a quarter of ``max_bytes`` (the most recent
    photos stay; a page whose photo went sends it again, as after any eviction)."""

    def __init__(self, max_bytes: int) -> None:
        self._cache: LruCache[np.ndarray] = LruCache(max_bytes)
        self._keep_bytes = max_bytes // 4

    def drop_idle(self, idle_s: float) -> int:
        return self._cache.drop_idle(idle_s, self._keep_bytes)

    def put(self, rgb_u8: np.ndarray) -> ImageInfo:
        return self.remember(image_id(rgb_u8), rgb_u8)

    def remember(self, key: str, rgb_u8: np.ndarray) -> ImageInfo:
        """Keep an image whose id is already known (hashing 3 MB costs ~2 ms)."""
        if self._cache.get(key) is None:
            self._cache.put(key, _frozen(rgb_u8))
        return ImageInfo(id=key, width=rgb_u8.shape[1], height=rgb_u8.shape[0])

    def get(self, key: str) -> np.ndarray | None:
        return self._cache.get(key) if is_image_id(key) else None

    peek = get  # everything is local


class RedisImageStore:
    """Images in Redis, shared by every worker; a small local LRU keeps hot ones decoded.

    Redis itself is the bound: run it with ``maxmemory`` and ``allkeys-lru``
    (the README shows how); each key also expires ``ttl_s`` after its last use.
    """

    def __init__(self, url: str, ttl_s: int, local_bytes: int) -> None:
        self._redis = shared_redis.client(url)
        self._ttl = ttl_s
        self._local = MemoryImageStore(local_bytes)

    def put(self, rgb_u8: np.ndarray) -> ImageInfo:
        record = self._local.put(rgb_u8)
        payload = _HEADER.pack(record.height, record.width) + rgb_u8.tobytes()
        with shared_redis.reachable("image store"):
            self._redis.set(self._key(record.id), payload, ex=self._ttl)
        return record

    def get(self, key: str) -> np.ndarray | None:
        if not is_image_id(key):
            return None
        local = self._local.get(key)
        if local is not None:
            return local
        with shared_redis.reachable("image store"):
            payload = self._redis.getex(self._key(key), ex=self._ttl)
        if payload is None:
            return None
        h, w = _HEADER.unpack_from(payload)
        rgb = np.frombuffer(payload, dtype=np.uint8, offset=_HEADER.size).reshape(h, w, 3)
        self._local.remember(key, rgb)
        return rgb

    def peek(self, key: str) -> np.ndarray | None:
        return self._local.get(key)

    def drop_idle(self, idle_s: float) -> int:
        return self._local.drop_idle(idle_s)  # Redis keeps every image: this is a copy

    @staticmethod
    def _key(key: str) -> str:
        return f"convlens:image:{key}"
