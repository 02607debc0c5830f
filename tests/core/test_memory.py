"""The janitor gives memory back in a lull, and only then (on a fake clock, so a loaded
machine cannot change the outcome)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from app.core.cache import LruCache
from app.core.memory import Janitor


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    return now


def test_idle_entries_go_once_the_server_is_quiet(clock):
    cache: LruCache[bytes] = LruCache(10_000, len)
    cache.put("old", b"x" * 100)
    cache.put("fresh", b"y" * 100)
    busy = [clock[0]]
    janitor = Janitor([cache], lambda: busy[0], idle_s=60, lull_s=5)
    clock[0] += 70
    cache.get("fresh")  # in use again: stays
    busy[0] = clock[0]
    janitor.sweep()  # still busy: nothing goes
    assert len(cache) == 2 and cache.nbytes == 200
    clock[0] += 10  # quiet now; "old" unused for 80 s, "fresh" for 10 s
    janitor.sweep()
    assert cache.get("old") is None and cache.get("fresh") is not None and cache.nbytes == 100


def test_drop_idle_keeps_the_byte_count_true(clock):
    cache: LruCache[bytes] = LruCache(1_000, len)
    for i in range(5):
        cache.put(i, b"z" * 10)
    clock[0] += 1
    assert cache.drop_idle(0.5) == 50 and cache.nbytes == 0 and len(cache) == 0


def test_an_entry_read_recently_keeps_the_ones_used_after_it(clock):
    cache: LruCache[bytes] = LruCache(1_000, len)
    cache.put("a", b"1" * 10)
    cache.put("b", b"2" * 10)
    clock[0] += 100
    cache.get("a")  # now most recent; "b" is the idle one
    assert cache.drop_idle(50) == 10 and cache.get("a") is not None and cache.get("b") is None


def test_idle_photos_go_down_to_a_quarter_of_the_store(clock):
    from app.images.store import MemoryImageStore

    store = MemoryImageStore(max_bytes=8 * 30_000)
    ids = [store.put(np.full((100, 100, 3), k, np.uint8)).id for k in range(8)]  # 30 kB each
    clock[0] += 100
    store.get(ids[0])  # in use: stays, whatever its age
    assert store.drop_idle(60) == 6 * 30_000  # a quarter kept: the photo in use, the newest
    assert [store.get(i) is not None for i in ids] == [True] + [False] * 6 + [True]


def test_while_busy_the_heap_is_trimmed_only_when_much_lies_free(clock, monkeypatch):
    from app.core import memory

    trims: list[int] = []
    free = [10 * 2**20]
    monkeypatch.setattr(memory, "trim", lambda: trims.append(free[0]))
    monkeypatch.setattr(memory, "heap_free", lambda: free[0])
    cache: LruCache[bytes] = LruCache(10_000, len)
    cache.put("a", b"x")
    janitor = Janitor([cache], lambda: clock[0], idle_s=0.5, busy_free_bytes=128 * 2**20)
    clock[0] += 1
    janitor.sweep()  # busy (work ended just now), little free: nothing
    assert trims == [] and len(cache) == 1
    free[0] = 400 * 2**20
    janitor.sweep()  # busy, but 400 MB free: trimmed, the cache kept
    assert trims == [400 * 2**20] and len(cache) == 1
