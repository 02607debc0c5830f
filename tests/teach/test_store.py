"""What a project holds in memory: small pixels per photo, and a byte budget over all."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.core.errors import Busy, NotFound
from app.teach.memory_store import RECENT_S, MemoryProjects
from app.teach.pixels import pack_crops
from app.teach.project import Photo
from models.transfer import views
from tests.teach.conftest import SAMPLES


def test_a_photos_pixels_are_kept_small_even_for_noise():
    """Pure noise is JPEG's worst case: the two 224x224 crops at quality 90 took 82 KiB."""
    rng = np.random.default_rng(0)
    for rgb in (rng.integers(0, 256, (320, 256, 3), dtype=np.uint8),
                np.asarray(Image.open(SAMPLES / "dog_german_shepherd.jpg").convert("RGB"))):
        data = pack_crops(views(rgb))
        assert len(data) <= 32 << 10
        assert Image.open(io.BytesIO(data)).size == (150, 300)


def photo(image_id: str, size: int) -> Photo:
    return Photo(image_id, np.zeros((4, 1280), np.float32), b"t" * 100, b"c" * size)


class Clock:
    """A store's clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += seconds


def test_past_the_byte_budget_the_least_recently_used_projects_go_but_not_recent_ones():
    per = photo("x", 0).nbytes  # features and thumbnail: 20,580 bytes
    clock = Clock()
    store = MemoryProjects(max_projects=10, max_bytes=10 * per + 10_000, clock=clock)
    old, used, new = store.create().id, store.create().id, store.create().id
    for i in range(4):
        store.put_photo(old, photo(f"o{i}", 1000))
        store.put_photo(used, photo(f"u{i}", 1000))
    assert store.nbytes() == 8 * (per + 1000)
    clock.wait(RECENT_S + 1)
    store.read(old)  # used again: now `used` is the least recently used, and unused long
    for i in range(3):
        store.put_photo(new, photo(f"n{i}", 1000))
    assert store.count() == 2 and store.nbytes() == 7 * (per + 1000)
    assert store.photos(old, ["o0"])[0] is not None  # kept; `used` went
    store.put_part(new, "onnx", b"a" * 5000)
    store.put_part(new, "onnx", b"b" * 3000)  # an export replaces the one before
    store.drop_photos(new, ["n0"])
    assert store.nbytes() == 6 * (per + 1000) + 3000
    # `old` was used a moment ago: it is not dropped to make room, the write is refused.
    with pytest.raises(Busy, match="full of projects used in the last 15 minutes"):
        store.put_part(new, "onnx", b"z" * (10 * per))
    assert store.part(new, "onnx") == b"b" * 3000 and store.nbytes() == 6 * (per + 1000) + 3000
    clock.wait(RECENT_S + 1)
    store.read(new)
    store.put_part(new, "onnx", b"z" * (5 * per))  # `old` unused long enough: it goes
    assert store.count() == 1 and store.part(new, "onnx") == b"z" * (5 * per)
    with pytest.raises(Busy):  # the project written is never dropped for itself
        store.put_part(new, "onnx", b"z" * (10 * per))


def test_a_burst_of_new_projects_drops_none_used_recently_and_is_then_refused():
    clock = Clock()
    store = MemoryProjects(max_projects=4, clock=clock)
    first = [store.create().id for _ in range(4)]
    with pytest.raises(Busy, match=r"as many projects as it may \(4\), all used in the last 15"):
        store.create()
    clock.wait(RECENT_S + 1)
    store.read(first[1])  # one of them is used again
    made = [store.create().id for _ in range(3)]  # the three unused ones go, oldest first
    with pytest.raises(Busy):
        store.create()
    assert store.count() == 4
    assert store.read(first[1]).id == first[1]
    for gone in (first[0], first[2], first[3]):
        with pytest.raises(NotFound):
            store.read(gone)
    assert all(store.read(pid).id == pid for pid in made)


def test_a_project_with_a_live_job_is_always_recent():
    """The window rests on this: a job on a project reads it when asked for and when it
    starts, waits for a worker at most MAX_WAIT_S and runs at most its limit (plus a lease
    and a reaper's round), each less than RECENT_S."""
    from app.jobs import system, workers
    from app.main import JOB_KINDS

    slack = system.LEASE_S + workers.REAP_EVERY_S
    assert system.MAX_WAIT_S + slack < RECENT_S
    assert max(kind.time_limit_s for kind in JOB_KINDS) + slack < RECENT_S
