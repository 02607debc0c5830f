"""The content-addressed store and the byte-bounded LRU cache."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.cache import LruCache
from app.images.store import MemoryImageStore, RedisImageStore, image_id
from tests.support.servers import redis_server


def _img(seed: int, side: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)


def test_lru_stays_within_its_byte_bound_and_evicts_the_oldest():
    cache: LruCache[bytes] = LruCache(100, len)
    for i in range(10):
        cache.put(i, b"x" * 30)
    assert cache.nbytes <= 100 and len(cache) == 3
    assert cache.get(0) is None and cache.get(9) is not None


def test_lru_keeps_recently_read_entries():
    cache: LruCache[bytes] = LruCache(90, len)
    for i in range(3):
        cache.put(i, b"x" * 30)
    cache.get(0)  # 0 is now the most recent; 1 goes first
    cache.put(3, b"x" * 30)
    assert cache.get(0) is not None and cache.get(1) is None


def test_value_larger_than_the_cache_is_not_kept():
    cache: LruCache[bytes] = LruCache(10, len)
    cache.put("big", b"x" * 11)
    assert cache.get("big") is None and cache.nbytes == 0


def test_ids_follow_content_and_shape():
    a = _img(1)
    assert image_id(a) == image_id(a.copy())
    assert image_id(a) != image_id(_img(2))
    assert image_id(np.zeros((2, 6, 3), np.uint8)) != image_id(np.zeros((6, 2, 3), np.uint8))


def test_memory_store_returns_read_only_images_and_evicts():
    store = MemoryImageStore(max_bytes=3 * 8 * 8 * 3)
    ids = [store.put(_img(i)).id for i in range(5)]
    got = store.get(ids[-1])
    assert got is not None and not got.flags.writeable
    with pytest.raises(ValueError):
        got[0, 0, 0] = 1
    assert store.get(ids[0]) is None  # evicted: the API answers 404 image_not_found
    assert store.get("../../etc/passwd") is None


@pytest.mark.redis
def test_redis_store_shares_images_between_instances():
    with redis_server() as url:
        a = RedisImageStore(url, ttl_s=60, local_bytes=1 << 20)
        b = RedisImageStore(url, ttl_s=60, local_bytes=1 << 20)
        img = _img(3, side=17)
        record = a.put(img)
        np.testing.assert_array_equal(b.get(record.id), img)
        assert b.get("0" * 32) is None


def test_racing_requests_for_one_key_compute_it_once():
    import threading

    cache: LruCache[bytes] = LruCache(1000, len)
    calls = []
    started = threading.Event()
    release = threading.Event()

    def compute() -> bytes:
        calls.append(1)
        started.set()
        release.wait(10)
        return b"value"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute)))
               for _ in range(4)]
    threads[0].start()
    started.wait(10)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert results == [b"value"] * 4 and len(calls) == 1
    assert cache.get_or_compute("other", lambda: b"x") == b"x"  # other keys never waited
