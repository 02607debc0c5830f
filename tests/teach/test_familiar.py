"""How familiar a photo is, with the real network: never a warning on the training photos,
always one on classes the project never saw, and rarely one on new photos of the trained
classes (new shapes, the next frames of a webcam burst, each training photo left out); on
varied classes (12 different fish against 12 different tools) the sample photos are still
warned about and held-out fish and tools are not."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.images.store import image_id as content_id
from app.imaging.decode import decode_image
from app.main import create_app
from app.teach import familiar
from tests.conftest import assert_error
from tests.support.photos import shape_photo
from tests.teach.conftest import SAMPLES, burst, model_settings, project_of, upload

DATASET = SAMPLES.parent / "dataset"

UNSEEN = ["vehicle_rocket.jpg", "object_coffee.png", "landscape_picos_de_europa.jpg",
          "cat_chelsea.png"]
AT_MOST = 0.1  # of new photos of the trained classes warned about


def predict(c, pid: str, data: bytes) -> dict:
    return c.post(f"/api/projects/{pid}/predict", json={"image_id": upload(c, data)}).json()


def test_no_warning_on_the_training_photos_themselves(real):
    c, pid, classes, images = real
    for name, ids in images.items():
        for image_id in ids:
            p = c.post(f"/api/projects/{pid}/predict", json={"image_id": image_id}).json()
            assert p["familiar"] is True and p["warning"] is None and p["novelty"] == 0.0
            assert p["nearest"][0] == {"image_id": image_id, "class_id": classes[name],
                                       "similarity": pytest.approx(1.0, abs=1e-4)}
            assert p["similarity"] >= p["threshold"] and len(p["nearest"]) == 3


@pytest.mark.parametrize("photo", UNSEEN)
def test_the_warning_fires_on_classes_the_project_never_saw(real, photo):
    c, pid, _, _ = real
    p = predict(c, pid, (SAMPLES / photo).read_bytes())
    assert p["familiar"] is False and p["novelty"] == 1.0
    assert p["warning"] == "This looks like none of your training photos; the answer is a guess."
    assert p["similarity"] < p["threshold"]
    assert sum(q["prob"] for q in p["probs"]) == pytest.approx(1.0, abs=1e-5)  # still answers


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(model_settings())) as c:
        yield c


def test_new_photos_of_the_trained_shapes_are_familiar(client):
    """Measured on the rule before this one (each photo's nearest classmate, 10th
    percentile): 12 of these 40 new shapes were warned about."""
    c = client
    pid, _, _ = project_of(c, {k: [shape_photo(k, s) for s in range(6)]
                               for k in ("disc", "square")})
    answers = [predict(c, pid, shape_photo(k, s))
               for k in ("disc", "square") for s in range(100, 120)]
    assert sum(not a["familiar"] for a in answers) <= AT_MOST * len(answers)
    for photo in UNSEEN:
        assert predict(c, pid, (SAMPLES / photo).read_bytes())["familiar"] is False


def test_the_next_frames_of_a_webcam_burst_are_familiar(client):
    """Ten frames per class held nearly still (as "hold to record" takes them), then ten
    framed a little differently a moment later. The rule before this one warned about 11
    of these 20 (its threshold, 0.98, was one frame's likeness to the next)."""
    c = client
    photos = {"dog": "dog_german_shepherd.jpg", "panda": "animal_giant_panda.jpg"}
    pid, _, _ = project_of(c, {k: burst(f, 10, 1, scale=0.8, jitter=0.01)
                               for k, f in photos.items()})
    answers = [predict(c, pid, frame) for f in photos.values()
               for frame in burst(f, 10, 99, scale=0.75, jitter=0.08)]
    assert sum(not a["familiar"] for a in answers) <= AT_MOST * len(answers)
    for photo in UNSEEN:
        assert predict(c, pid, (SAMPLES / photo).read_bytes())["familiar"] is False


def test_each_training_photo_left_out_is_familiar_to_the_others(client, real):
    """The index built without one photo judges that photo as it would a new one. The rule
    before this one warned about 2 of the 12 shapes and 2 of the 12 crops."""
    for c, pid in ((client, project_of(client, {k: [shape_photo(k, s) for s in range(6)]
                                                for k in ("disc", "square")})[0]),
                   real[:2]):
        project = c.app.state.services.projects.read(pid)
        ids = [i for cls in project.classes for i in cls.photos]
        labels = np.array([k for k, cls in enumerate(project.classes) for _ in cls.photos])
        views = np.stack([p.views for p in c.app.state.services.projects.photos(pid, ids)])
        warned = 0
        for i in range(len(ids)):
            keep = np.arange(len(ids)) != i
            index = familiar.build_index(views[keep], labels[keep],
                                         [x for j, x in enumerate(ids) if j != i], ["a", "b"])
            warned += not familiar.judge(index, views[i, 0], set())["familiar"]
        assert warned <= AT_MOST * len(ids)


def bundled_from(folder: str) -> list[bytes]:
    """The bundled photos that came from ``folder`` of their source package, in the credits'
    order."""
    import csv

    with (DATASET / "CREDITS.tsv").open(encoding="utf-8", newline="") as f:
        return [(DATASET / r["filename"]).read_bytes() for r in csv.DictReader(f, delimiter="\t")
                if r["original_path"].rsplit("/", 1)[0].endswith(folder)]


def test_varied_classes_still_warn_about_unrelated_photos(client):
    """Twelve different fish against twelve different tools (the first of each in the
    bundled photos). Measured before centring: a threshold of 0.20 (any two photos' cosine
    is about that), 8 of the 9 samples familiar (the astronaut "tool" at 93%). Now, against
    the floor for the project's 24 photos (0.26): all 9 warned about (the nearest, the
    scarlet macaw to the discus fish, 0.25), and 16 of the 20 held-out photos familiar (the
    other four, 0.15-0.26, are fish and tools unlike any of the twelve)."""
    fish, tools = bundled_from("images/fishes"), bundled_from("images/tools")
    assert (len(fish), len(tools)) == (15, 29)
    pid, _, _ = project_of(client, {"fish": fish[:12], "tool": tools[:12]})
    unrelated = [predict(client, pid, p.read_bytes()) for p in sorted(SAMPLES.glob("*.*g"))]
    assert len(unrelated) == 9
    warned = [a for a in unrelated if not a["familiar"]]
    assert len(warned) >= 8, [(a["similarity"], a["threshold"]) for a in unrelated]
    assert all(a["novelty"] == 1.0 and a["warning"] == familiar.WARNING for a in warned)
    held_out = [predict(client, pid, data) for data in fish[12:] + tools[12:]]
    assert len(held_out) == 20
    assert sum(a["familiar"] for a in held_out) >= 15, [a["similarity"] for a in held_out]
    assert held_out[0]["threshold"] == pytest.approx(  # the unrelated photos' floor for 24
        float(familiar.bundled_reference().floor[24]), abs=1e-6)


def test_a_photo_sent_as_a_file_is_answered_without_being_kept(real):
    """Live camera frames: the same answer as for the stored photo, and neither the image
    store nor the shared analysis cache holds anything more afterwards."""
    c, pid, _, _ = real
    services = c.app.state.services
    data = burst("dog_german_shepherd.jpg", 1, 7, scale=0.75, jitter=0.0)[0]
    frame_id = content_id(decode_image(data, services.settings.decode_limits))
    before = (services.images._cache._bytes, services.derived._bytes)
    r = c.post(f"/api/projects/{pid}/predict", files={"file": ("f.jpg", data, "image/png")})
    assert r.status_code == 200
    lean = r.json()
    assert (services.images._cache._bytes, services.derived._bytes) == before
    assert services.images.get(frame_id) is None
    assert services.derived.get(("analysis", frame_id)) is None
    stored = predict(c, pid, data)  # the same photo, uploaded and asked for by id
    assert [p["class_id"] for p in lean["probs"]] == [p["class_id"] for p in stored["probs"]]
    assert np.allclose([p["prob"] for p in lean["probs"]], [p["prob"] for p in stored["probs"]],
                       atol=1e-4)
    assert lean["familiar"] is stored["familiar"] is True
    assert lean["similarity"] == pytest.approx(stored["similarity"], abs=1e-4)
    assert lean["threshold"] == stored["threshold"]
    assert [n["image_id"] for n in lean["nearest"]] == [n["image_id"] for n in stored["nearest"]]
    url = f"/api/projects/{pid}/predict"
    assert_error(c.post(url, files={"file": ("f.png", b"not a photo", "image/png")}), 415,
                 "unsupported_image_type")
    assert_error(c.post(url, files={"file": ("f.png", data[:200], "image/png")}), 422,
                 "invalid_image")
    assert_error(c.post(url, files={"other": ("f.png", data, "image/png")}), 422,
                 "invalid_parameter")
    for size in ((10 << 20) + 1, 11 << 20):  # just over, and past the multipart slack
        assert_error(c.post(url, files={"file": ("f.png", b"\xff" * size)}), 413,
                     "image_too_large")
    empty = c.post("/api/projects").json()["id"]
    assert_error(c.post(f"/api/projects/{empty}/predict",
                        files={"file": ("f.png", data, "image/png")}), 422, "invalid_parameter")
