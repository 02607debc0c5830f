"""The janitor gives memory back in a lull, and only then (on a fake clock, so a loaded
machine cannot change the outcome)."""

from __future__ import annotations

import time

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
