"""What Teach's API tests with the real network share: settings, a trained project, photos
made from the bundled samples (crops, webcam-like bursts), waiting for a job."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.settings import Settings
from app.main import create_app
from tests.support.photos import encoded

SAMPLES = Path(__file__).resolve().parents[2] / "static" / "samples"


def model_settings(**changes) -> Settings:
    return replace(Settings.from_env(), load_model=True, **changes)


def wait_for(client, job: dict, timeout_s: float = 300) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = client.get(job["url"]).json()
        if record["status"] not in ("queued", "running"):
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job['kind']} did not finish")


def project_of(c, photos: dict[str, list[bytes]], epochs: int = 40, seed: int = 0
               ) -> tuple[str, dict, dict]:
    """A trained project: class name -> encoded photos; its id, class ids and image ids."""
    pid = c.post("/api/projects").json()["id"]
    classes, images = {}, {}
    for name, files in photos.items():
        classes[name] = c.post(f"/api/projects/{pid}/classes", json={"name": name}).json()["id"]
        images[name] = []
        for data in files:
            r = c.post(f"/api/projects/{pid}/classes/{classes[name]}/images",
                       files={"file": ("p.png", data, "image/png")})
            assert r.status_code == 201, r.text
            images[name].append(r.json()["image_id"])
    job = c.post(f"/api/projects/{pid}/train", json={"epochs": epochs, "seed": seed}
                 ).json()["job"]
    assert wait_for(c, job)["status"] == "done"
    return pid, classes, images


def png(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def upload(c, data: bytes) -> str:
    return c.post("/api/images", files={"file": ("p.png", data, "image/png")}).json()["id"]


def sample(name: str) -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / name).convert("RGB"))


def sample_crops(name: str, count: int, seed: int | None = None) -> list[bytes]:
    """Crops of one bundled photo at random places and scales, some mirrored: the
    German-shepherd-against-panda project of the issue."""
    rgb = sample(name)
    rng = np.random.default_rng(len(name) if seed is None else seed)
    h, w = rgb.shape[:2]
    out = []
    for _ in range(count):
        s = rng.uniform(0.55, 0.9)
        ch, cw = int(h * s), int(w * s)
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = rgb[y:y + ch, x:x + cw]
        out.append(encoded(np.ascontiguousarray(crop[:, ::-1] if rng.random() < 0.5 else crop)))
    return out


def burst(name: str, count: int, seed: int, scale: float, jitter: float) -> list[bytes]:
    """Webcam-like frames of one bundled photo: the view ``scale`` of the photo (give or
    take ``jitter``), moved up to 8 px, with sensor noise."""
    rgb = sample(name)
    h, w = rgb.shape[:2]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        s = scale + rng.uniform(-jitter, jitter)
        ch, cw = int(h * s), int(w * s)
        y = (h - ch) // 2 + int(rng.integers(-8, 9))
        x = (w - cw) // 2 + int(rng.integers(-8, 9))
        frame = rgb[max(0, y):y + ch, max(0, x):x + cw].astype(np.int16)
        out.append(encoded(np.clip(frame + rng.normal(0, 3, frame.shape), 0, 255).astype(np.uint8)))
    return out


@pytest.fixture(scope="module")
def real():
    """Crops of the German shepherd photo against crops of the panda photo, trained."""
    with TestClient(create_app(model_settings())) as c:
        pid, classes, images = project_of(c, {"dog": sample_crops("dog_german_shepherd.jpg", 6),
                                              "panda": sample_crops("animal_giant_panda.jpg", 6)})
        yield c, pid, classes, images
