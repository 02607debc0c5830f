"""Teach's experiments over HTTP with the real network: the learning curve, the CNN trained
from scratch beside transfer learning, the views a photo contributes, how familiar a photo
is, calibration and the ONNX export."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.errors import InvalidParameter
from app.core.settings import Settings
from app.imaging.decode import decode_image
from app.main import create_app
from app.teach import curve, scratch
from app.teach.snapshot import choose
from models import transfer
from models.scratch import shrink
from tests.conftest import assert_error
from tests.support.photos import make_image, shape_photo
from tests.support.servers import redis_server
from tests.teach.conftest import model_settings, png, project_of, wait_for

PER_CLASS = 6
SEED = 3  # the lab's training seed: the from-scratch side by side uses it unless told another


@pytest.fixture(scope="module", params=["memory", "redis"])
def lab(request):
    """Discs against squares, trained, on both project stores (the pixels each photo keeps
    travel through Redis as well as memory)."""
    shapes = {k: [shape_photo(k, s) for s in range(PER_CLASS)] for k in ("disc", "square")}
    if request.param == "memory":
        with TestClient(create_app(model_settings())) as c:
            yield (c, *project_of(c, shapes, seed=SEED))
        return
    with redis_server() as url, TestClient(create_app(model_settings(
            store_backend="redis", redis_url=url))) as c:
        yield (c, *project_of(c, shapes, seed=SEED))


def smooth(rgb: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), 2)


def test_learning_curve_is_a_job_whose_points_stream_in(lab):
    c, pid, _, _ = lab
    started = c.post(f"/api/projects/{pid}/learning-curve", json={"repeats": 3, "epochs": 30})
    assert started.status_code == 202 and started.json()["job"]["kind"] == "learning-curve"
    done = wait_for(c, started.json()["job"])
    assert done["status"] == "done", done
    curve = c.get(done["result"]).json()
    assert [p["per_class"] for p in curve["points"]] == [1, 2, 4, 5] == done["extra"]["sizes"]
    assert curve["points"] == done["extra"]["points"]
    assert curve["points"][-1]["accuracy"] >= 0.9 and curve["chance"] == 0.5
    assert curve["counts"] == [PER_CLASS, PER_CLASS] and curve["repeats"] == 3
    assert all(p["low"] <= p["accuracy"] <= p["high"] and p["spread"] >= 0
               for p in curve["points"])
    again = c.post(f"/api/projects/{pid}/learning-curve", json={"repeats": 3, "epochs": 30})
    assert again.json()["job"]["id"] == done["id"]  # the same photos and settings: one job


def test_from_scratch_beside_transfer_on_the_same_held_out_photos(lab):
    c, pid, _, images = lab
    started = c.post(f"/api/projects/{pid}/scratch", json={"epochs": 3})  # seed: as trained
    assert started.status_code == 202 and started.json()["job"]["kind"] == "scratch"
    done = wait_for(c, started.json()["job"])
    assert done["status"] == "done", done
    result = c.get(done["result"]).json()
    assert c.get(f"/api/projects/{pid}/scratch").json() == result  # the latest
    assert c.get(f"/api/projects/{pid}").json()["scratch_job"] == done["id"]
    assert done["extra"]["layers"] == result["layers"]  # the table, from the job's start
    layers = {row["name"]: row["parameters"] for row in result["layers"]}
    assert layers["conv"] == 448 and layers["dense"] == 74 * 74 * 16 * 2 + 2
    mine, theirs = result["scratch"], result["transfer"]
    assert mine["parameters_trained"] == 448 + 74 * 74 * 16 * 2 + 2
    assert mine["dense_share"] > 0.99 and theirs["parameters_trained"] == 1280 * 2 + 2
    assert theirs["parameters_frozen"] == 4_652_008 - 1_281_000  # ImageNet's head not counted
    # Both judged on every photo once, by models whose fold held it out: chance is 0.5.
    assert result["held_out"] == 2 * PER_CLASS and result["folds"] == 5
    assert np.sum(mine["confusion"]) == np.sum(theirs["confusion"]) == 2 * PER_CLASS
    # 10 or more of 12 right: a guesser's chance is 2% (binomial, p = 1/2).
    assert mine["accuracy"] >= 10 / 12 and theirs["accuracy"] >= 10 / 12
    # The same folds as the project's training: the transfer side is its cross-validation.
    run = c.get(f"/api/projects/{pid}").json()["run"]
    assert result["seed"] == SEED == run["seed"]
    assert theirs["accuracy"] == run["accuracy"] and theirs["confusion"] == run["confusion"]
    assert (theirs["epochs"], theirs["augment"]) == (run["epochs"], run["augment"])
    assert [row["epoch"] for row in result["history"]] == [1, 2, 3] == [
        row["epoch"] for row in done["extra"]["history"]]
    assert result["filter_change"][0] == 0 and result["filter_change"][-1] > 0
    assert f"{theirs['accuracy']:.0%}"[:2] in result["reading"]
    start, end = (c.get(f"/api/projects/{pid}/scratch/filters?epoch={e}") for e in (0, 3))
    assert start.headers["content-type"] == "image/png"
    assert png(start.content).shape == (252, 252, 3)
    assert not np.array_equal(png(start.content), png(end.content))  # the filters were learned
    unchanged = png(c.get(f"/api/projects/{pid}/scratch/filters?epoch=0&show=change").content)
    assert set(map(tuple, unchanged.reshape(-1, 3))) == {(127, 127, 127), (255, 255, 255)}
    moved = png(c.get(f"/api/projects/{pid}/scratch/filters?epoch=3&show=change").content)
    assert np.abs(moved.astype(int) - 127).max() > 100  # the largest change in full colour
    assert png(c.get(result["filters"].format(epoch=3)).content).tolist() == png(
        end.content).tolist()
    maps = c.get(result["maps"].format(image_id=images["disc"][0]))
    assert maps.status_code == 200 and png(maps.content).shape == (604, 604, 3)
    assert_error(c.get(f"/api/projects/{pid}/scratch/filters?epoch=31"), 422, "invalid_parameter")
    assert_error(c.get(f"/api/projects/{pid}/scratch/filters?epoch=4"), 422, "invalid_parameter")
    assert_error(c.get(f"/api/projects/{pid}/scratch/maps?image_id={'0' * 32}"), 404,
                 "image_not_found")


class Recorder:
    """A job context that keeps what a job reports, to see whether it changes afterwards."""

    def __init__(self, services) -> None:
        self.services, self.id, self.kept = services, "recorded", {}
        self.reports: list[tuple[dict, dict]] = []

    def progress(self, fraction, message=None, force=False, **extra) -> None:
        sizes = {k: len(v) for k, v in extra.items() if isinstance(v, list)}
        self.reports.append((extra, sizes))

    def save_result(self, name: str, data: bytes) -> None:
        self.kept[name] = data


def test_a_jobs_live_figures_are_copies_not_its_own_lists(lab):
    """The in-memory job store keeps what a report gives it: a list the job appends to
    afterwards would change the record without the store's lock."""
    c, pid, _, _ = lab
    services = c.app.state.services
    project = services.projects.read(pid)
    for kind, body in ((curve, {"repeats": 1, "epochs": 5, "augment": False, "seed": 0}),
                       (scratch, {"epochs": 2, "seed": 0, "net": "lecture",
                                  "transfer": {"epochs": 5, "augment": False}})):
        ctx = Recorder(services)
        kind.run(ctx, {"project": pid, **choose(project), **body})
        grown = [(k, n, len(extra[k])) for extra, sizes in ctx.reports
                 for k, n in sizes.items() if len(extra[k]) != n]
        assert not grown and len(ctx.reports) > 2


def test_a_job_whose_class_lost_its_photos_meanwhile_names_it(lab):
    """The photos a job was asked for may expire before it runs: a class left with none is
    refused by name, not dropped (folds counted only the classes present)."""
    c, pid, _, _ = lab
    services = c.app.state.services
    chosen = choose(services.projects.read(pid))
    gone = chosen["classes"][1]
    chosen["photos"][gone["id"]] = ["0" * 32, "1" * 32]  # ids no longer kept
    for kind, body in ((curve, {"repeats": 1, "epochs": 5, "augment": False, "seed": 0}),
                       (scratch, {"epochs": 1, "seed": 0, "net": "lecture",
                                  "transfer": {"epochs": 5, "augment": False}})):
        with pytest.raises(InvalidParameter) as refused:
            kind.run(Recorder(services), {"project": pid, **chosen, **body})
        assert refused.value.message.startswith(f"{gone['name']!r} has no photos: some photos")
        assert refused.value.details["classes"] == [gone["name"]]


def test_the_views_strip_shows_what_models_transfer_views_makes(lab):
    c, pid, _, images = lab
    r = c.get(f"/api/projects/{pid}/images/{images['square'][2]}/views")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    strip = png(r.content).astype(int)
    assert strip.shape == (150, 4 * 150 + 3 * 8, 3)  # kept at the small network's size
    original = decode_image(shape_photo("square", 2), Settings.from_env().decode_limits)
    views = [smooth(shrink(v)) for v in transfer.views(original)]
    for k in range(4):
        shown = smooth(strip[:, k * (150 + 8):k * (150 + 8) + 150])
        # The same view up to the JPEG the pixels are kept in (the photo's grain is pure
        # noise, JPEG's worst case: compared smoothed), and unlike the other views.
        assert [np.abs(shown - v).mean() < 3 for v in views] == [j == k for j in range(4)]
    assert_error(c.get(f"/api/projects/{pid}/images/{'0' * 32}/views"), 404, "not_found")


def test_calibration_comes_with_the_run(lab):
    c, pid, _, _ = lab
    calib = c.get(f"/api/projects/{pid}").json()["run"]["calibration"]
    assert calib["held_out"] == 2 * PER_CLASS == sum(b["count"] for b in calib["bins"])
    assert 0 <= calib["ece"] <= 1 and "100%" in calib["note"]


def test_experiments_refuse_what_they_cannot_do(real):
    c, trained, _, _ = real
    pid = c.post("/api/projects").json()["id"]
    a = c.post(f"/api/projects/{pid}/classes", json={"name": "a"}).json()["id"]
    c.post(f"/api/projects/{pid}/classes", json={"name": "b"})
    c.post(f"/api/projects/{pid}/classes/{a}/images",
           files={"file": ("p.png", shape_photo("disc", 1), "image/png")})
    for path in ("learning-curve", "scratch"):
        err = assert_error(c.post(f"/api/projects/{pid}/{path}"), 422, "invalid_parameter")
        assert "two classes" in err["message"]
    b = c.get(f"/api/projects/{pid}").json()["classes"][1]["id"]
    for seed in (2, 3):
        c.post(f"/api/projects/{pid}/classes/{b}/images",
               files={"file": ("p.png", shape_photo("square", seed), "image/png")})
    for path in ("learning-curve", "scratch"):  # the class short of photos is named
        err = assert_error(c.post(f"/api/projects/{pid}/{path}"), 422, "invalid_parameter")
        assert err["message"].startswith("'a' has only 1 photo: every class needs at least 2")
        assert err["details"]["classes"] == ["a"]
    assert_error(c.get(f"/api/projects/{pid}/export?format=onnx"), 422, "invalid_parameter")
    assert_error(c.get(f"/api/projects/{pid}/scratch"), 404, "not_found")
    assert_error(c.get(f"/api/projects/{pid}/scratch/filters?epoch=0"), 404, "not_found")
    for body in ({"epochs": 31}, {"epochs": 0}, {"net": "resnet"}, {"seed": -1},
                 {"epochs": "5"}, {"extra": 1}):
        assert_error(c.post(f"/api/projects/{trained}/scratch", json=body), 422,
                     "invalid_parameter")
    for body in ({"repeats": 0}, {"repeats": 11}, {"epochs": 301}, {"augment": "yes"}):
        assert_error(c.post(f"/api/projects/{trained}/learning-curve", json=body), 422,
                     "invalid_parameter")
    curve = c.post(f"/api/projects/{trained}/learning-curve", json={"repeats": 1}).json()["job"]
    assert_error(c.get(f"/api/projects/{pid}/learning-curve/{curve['id']}"), 404, "not_found")
    assert_error(c.get(f"/api/projects/{pid}/scratch/{curve['id']}"), 404, "not_found")
    assert_error(c.get(f"/api/projects/nope/learning-curve/{curve['id']}"), 404, "not_found")
    wait_for(c, curve)


@pytest.fixture
def idle():
    """An app that queues jobs and runs none: a job's waiting states can be seen."""
    with TestClient(create_app(model_settings(job_workers=0))) as c:
        yield c


def test_a_queued_training_answers_conflict_and_cancels(idle):
    c = idle
    pid = c.post("/api/projects").json()["id"]
    for name in ("disc", "square"):
        cid = c.post(f"/api/projects/{pid}/classes", json={"name": name}).json()["id"]
        for seed in range(2):
            c.post(f"/api/projects/{pid}/classes/{cid}/images",
                   files={"file": ("p.png", shape_photo(name, seed), "image/png")})
    job = c.post(f"/api/projects/{pid}/scratch").json()["job"]
    assert job["status"] == "queued"
    err = assert_error(c.get(f"/api/projects/{pid}/scratch"), 409, "conflict")
    assert err["details"]["status"] == "queued"
    err = assert_error(c.get(f"/api/projects/{pid}/scratch/filters?epoch=0"), 404, "not_found")
    assert "not trained yet" in err["message"]
    assert c.delete(job["url"]).json()["status"] == "cancelled"
    curve = c.post(f"/api/projects/{pid}/learning-curve").json()["job"]
    assert_error(c.get(f"/api/projects/{pid}/learning-curve/{curve['id']}"), 409, "conflict")
    assert c.delete(curve["url"]).json()["status"] == "cancelled"


def test_a_training_from_scratch_past_its_work_limit_is_refused(idle):
    """35 photos of each class with 5 folds: 420 photos through the network an epoch, so 28
    epochs is the most within MAX_WORK (12,000); 29 is refused, saying what to ask for."""
    c = idle
    pid = c.post("/api/projects").json()["id"]
    for name, pattern in (("a", "noise"), ("b", "gradient")):
        cid = c.post(f"/api/projects/{pid}/classes", json={"name": name}).json()["id"]
        for k in range(35):
            r = c.post(f"/api/projects/{pid}/classes/{cid}/images",
                       files={"file": ("p.png", make_image(40 + k, 30, pattern=pattern),
                                       "image/png")})
            assert r.status_code == 201
    err = assert_error(c.post(f"/api/projects/{pid}/scratch", json={"epochs": 29}), 422,
                       "invalid_parameter")
    assert err["details"]["field"] == "epochs" and err["details"]["max_epochs"] == 28
    assert "12,180 photos through the network" in err["message"]
    assert "at most 28 epochs" in err["message"]
    job = c.post(f"/api/projects/{pid}/scratch", json={"epochs": 28}).json()["job"]
    assert job["status"] == "queued"
    assert c.delete(job["url"]).json()["status"] == "cancelled"


def test_a_running_training_from_scratch_stops_when_cancelled(lab):
    c, pid, _, _ = lab
    job = c.post(f"/api/projects/{pid}/scratch", json={"epochs": 30, "seed": 9}).json()["job"]
    deadline = time.monotonic() + 120
    while c.get(job["url"]).json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert c.delete(job["url"]).json()["status"] in ("running", "cancelled")
    ended = wait_for(c, job, timeout_s=60)
    assert ended["status"] == "cancelled" and ended["extra"]["epoch"] < 30
    assert_error(c.get(f"/api/projects/{pid}/scratch"), 409, "conflict")
    assert_error(c.get(f"/api/projects/{pid}/scratch/filters?epoch=30"), 404, "not_found")
