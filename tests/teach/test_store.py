"""What a project holds in memory: small pixels per photo, and a byte budget over all."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from app.teach.memory_store import MemoryProjects
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


def test_past_the_byte_budget_the_least_recently_used_projects_go():
    per = photo("x", 0).nbytes  # features and thumbnail: 20,580 bytes
    store = MemoryProjects(max_projects=10, max_bytes=10 * per + 10_000)
    old, used, new = store.create().id, store.create().id, store.create().id
    for i in range(4):
        store.put_photo(old, photo(f"o{i}", 1000))
        store.put_photo(used, photo(f"u{i}", 1000))
    assert store.nbytes() == 8 * (per + 1000)
    store.read(old)  # used again: now `used` is the least recently used
    for i in range(3):
        store.put_photo(new, photo(f"n{i}", 1000))
    assert store.count() == 2 and store.nbytes() == 7 * (per + 1000)
    assert store.photos(old, ["o0"])[0] is not None  # kept; `used` went
    store.put_part(new, "onnx", b"a" * 5000)
    store.put_part(new, "onnx", b"b" * 3000)  # an export replaces the one before
    store.drop_photos(new, ["n0"])
    assert store.nbytes() == 6 * (per + 1000) + 3000
    store.put_part(new, "onnx", b"z" * (10 * per))  # the project written is never dropped
    assert store.count() == 1 and store.part(new, "onnx") == b"z" * (10 * per)
