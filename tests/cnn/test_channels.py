"""What a channel looks for, over HTTP with the real model: the visualisation beats every
bundled photo when analysed as an upload, two channels' pictures differ, and every top
patch is exactly the analysis's value at a unit whose box is its receptive field."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.cnn.dataset import load_bundle
from app.core.settings import Settings
from app.main import create_app
from models.receptive import fields

ENDED = {"done", "failed", "cancelled"}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    settings = replace(Settings.from_env(), load_model=True,
                       channels_cache_dir=tmp_path_factory.mktemp("channels"))
    with TestClient(create_app(settings)) as c:
        yield c


def follow(c, job: dict, seconds: float = 600) -> dict:
    deadline = time.monotonic() + seconds
    while job["status"] not in ENDED:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = c.get(job["url"]).json()
    return job


def upload(c, data: bytes, name: str = "p.png") -> str:
    r = c.post("/api/images", files={"file": (name, data)})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def channel_means(c, image_id: str, stage: str) -> np.ndarray:
    """The analysis path's per-channel means of a stage (what the CNN tab shows)."""
    r = c.get(f"/api/images/{image_id}/stages/{stage}")
    assert r.status_code == 200, r.text
    return np.array([ch["mean"] for ch in r.json()["channels"]])


@pytest.fixture(scope="module")
def bundle_means(api) -> dict[str, np.ndarray]:
    """Every bundled photo uploaded as a user would, and analysed: stage -> (200, C)."""
    directory = Settings().dataset_dir
    ids = [upload(api, (directory / p.file).read_bytes(), p.file) for p in load_bundle(directory)]
    assert len(ids) == 200
    return {s: np.stack([channel_means(api, i, s) for i in ids])
            for s in ("stage2", "stage4", "stage5", "head")}


@pytest.fixture(scope="module")
def pictures(api) -> dict[tuple[str, int], bytes]:
    """Default visualisations (size 128, 256 steps), made once for the module."""
    made = {}
    for stage, c in [("stage2", 0), ("stage4", 0), ("stage5", 10), ("stage5", 11), ("head", 0)]:
        r = api.post(f"/api/stages/{stage}/channels/{c}/visualization", json={})
        assert r.status_code == 202, r.text
        job = follow(api, r.json()["job"])
        assert job["status"] == "done", job
        assert isinstance(job["extra"]["objective"], float)  # progress carried the objective
        assert job["extra"]["preview"].endswith("/preview")
        assert job["result"] == (f"/api/stages/{stage}/channels/{c}/visualization"
                                 "?size=128&steps=256&seed=0")
        got = api.get(job["result"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert api.get(job["extra"]["preview"]).content == got.content  # the last preview
        made[(stage, c)] = got.content
    return made


@pytest.mark.parametrize("stage,c", [("stage2", 0), ("stage4", 0), ("stage5", 10), ("head", 0)])
def test_a_visualisation_excites_its_channel_more_than_any_bundled_photo(
        api, pictures, bundle_means, stage, c):
    picture = Image.open(io.BytesIO(pictures[(stage, c)]))
    assert picture.size == (128, 128)
    mean = channel_means(api, upload(api, pictures[(stage, c)]), stage)[c]
    best = bundle_means[stage][:, c].max()
    assert mean > best, (stage, c, mean, best)


def test_two_channels_visualisations_differ(api, pictures):
    a, b = pictures[("stage5", 10)], pictures[("stage5", 11)]
    pa = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"), dtype=float)
    pb = np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=float)
    assert np.abs(pa - pb).mean() > 20  # grey levels: not the same picture
    # And each is what its own channel wants: it excites its channel more than the other does.
    ma = channel_means(api, upload(api, a), "stage5")
    mb = channel_means(api, upload(api, b), "stage5")
    assert ma[10] > mb[10] and mb[11] > ma[11], (ma[[10, 11]], mb[[10, 11]])


def test_the_same_request_is_the_same_job_and_the_picture_is_kept(api, pictures):
    r = api.post("/api/stages/stage2/channels/0/visualization",
                 json={"size": 128, "steps": 256, "seed": 0})
    assert r.json()["job"]["status"] == "done"  # joined the finished job: nothing recomputed
    cached = api.get("/api/stages/stage2/channels/0/visualization")
    assert cached.content == pictures[("stage2", 0)]


def _index(api) -> None:
    r = api.get("/api/stages/stem/channels/0/top-patches")
    if r.status_code == 409:  # first use: the index job was started; follow it
        job = api.get(r.json()["error"]["details"]["job"]).json()
        assert follow(api, job)["status"] == "done"
    assert api.get("/api/channels/dataset").json()["ready"] is True


@pytest.mark.parametrize("stage,c", [("stem", 3), ("stage2", 5), ("stage3", 7), ("stage4", 30),
                                     ("head", 5)])
def test_each_top_patch_is_the_analysis_value_at_its_unit(api, stage, c):
    _index(api)
    patches = api.get(f"/api/stages/{stage}/channels/{c}/top-patches?k=9").json()
    assert len(patches) == 9
    values = [p["activation"] for p in patches]
    assert values == sorted(values, reverse=True)
    f = fields()[stage]
    for p in patches:
        assert p["source"] == "bundled" and p["licence"] in p["credit"]
        r = api.get(f"/api/images/{p['image_id']}/stages/{stage}/channels/{c}?as=npy")
        m = np.load(io.BytesIO(r.content))  # (h, w): the photo analysed as an upload
        row, col = p["unit"]["row"], p["unit"]["col"]
        assert m[row, col] == pytest.approx(p["activation"], rel=1e-6, abs=1e-6)
        assert m.max() == pytest.approx(p["activation"], rel=1e-6, abs=1e-6)  # its peak
        box = p["box"]
        x0, y0 = col * f.stride - f.offset, row * f.stride - f.offset
        assert (box["x0"], box["y0"]) == (max(x0, 0), max(y0, 0))
        assert (box["x1"], box["y1"]) == (min(x0 + f.size, 224) - 1, min(y0 + f.size, 224) - 1)
        if x0 >= 0 and y0 >= 0 and x0 + f.size <= 224 and y0 + f.size <= 224:
            assert box["x1"] - box["x0"] + 1 == f.size == box["y1"] - box["y0"] + 1
    # Nine distinct places (a photo may hold several of them only at different units).
    assert len({(p["image_id"], p["unit"]["row"], p["unit"]["col"]) for p in patches}) == 9


def test_top_patches_include_the_users_photo_and_tile_as_a_picture(api, pictures):
    _index(api)
    mine = upload(api, pictures[("stage4", 0)])
    patches = api.get("/api/stages/stage4/channels/0/top-patches",
                      params={"k": 5, "image_id": [mine]}).json()
    assert patches[0]["image_id"] == mine and patches[0]["source"] == "user"
    assert patches[0]["credit"] is None
    assert [p["source"] for p in patches[1:]] == ["bundled"] * 4
    tiled = api.get("/api/stages/stage4/channels/0/top-patches",
                    params={"k": 5, "image_id": [mine], "as": "image"})
    assert tiled.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(tiled.content)).size == (5 * 72 + 4 * 2, 72)
