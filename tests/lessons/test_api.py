"""The lessons over HTTP: the list, the translation curve and its map, the receptive field,
with the real model; their errors; jobs that never start, for the 202 and 409 answers."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import assert_error
from tests.support.photos import make_image

IDS = ["dot-product", "edges", "translation", "learned-filters", "hierarchy",
       "parameter-sharing", "pooling", "output-size", "relu", "dog-maps", "transfer",
       "spurious", "how-many-images"]


@pytest.fixture(scope="module")
def real():
    settings = replace(Settings.from_env(), load_model=True)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def cat(real) -> str:
    """The cat sample: 451 x 300, so the view moves 80 px sideways and 16 px up or down."""
    return real.post("/api/samples/cat_chelsea/image").json()["id"]


@pytest.fixture
def idle(random_model):
    """An app whose jobs are accepted but never run (no job workers)."""
    settings = replace(Settings.from_env(), load_model=False, job_workers=0)
    with TestClient(create_app(settings, model=random_model)) as c:
        yield c


def finish(c: TestClient, job: dict, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = c.get(job["url"]).json()
        if record["status"] not in ("queued", "running"):
            assert record["status"] == "done", record
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job['id']} did not finish")


def test_the_lessons_in_teaching_order_with_their_links(client):
    lessons = client.get("/api/lessons").json()["lessons"]
    assert [lesson["id"] for lesson in lessons] == IDS
    for i, lesson in enumerate(lessons):
        assert lesson["url"] == f"/#lesson={lesson['id']}"
        assert lesson["title"] and lesson["try"] and lesson["instrument"]
        assert lesson["summary"].endswith(".") and lesson["summary"].count(". ") == 0
        assert 2 <= lesson["text"].count(". ") + 1 <= 4  # two or three sentences
        assert lesson["previous"] == (IDS[i - 1] if i else None)
        assert lesson["next"] == (IDS[i + 1] if i + 1 < len(IDS) else None)
    one = client.get("/api/lessons/translation").json()
    assert one == lessons[2]
    assert "stride" in one["text"]


def test_an_unknown_lesson_is_404(client):
    err = assert_error(client.get("/api/lessons/convolution"), 404, "not_found")
    assert err["details"]["lessons"] == IDS


def test_translation_curve_is_a_job_then_the_same_url_answers(real, cat):
    url = f"/api/images/{cat}/translation?stage=stem&max_shift=32&step=1&axis=y"
    started = real.get(url)
    assert started.status_code == 202
    job = finish(real, started.json()["job"])
    # The job is the work, cut to what the photo allows: its result is that curve's URL.
    assert job["kind"] == "translation"
    assert job["result"] == url.replace("max_shift=32", "max_shift=16")
    curve = real.get(url)
    assert curve.status_code == 200
    c = curve.json()
    assert c["covered"] == {"min_shift": -16, "max_shift": 16}  # the photo allows no more
    assert c["limits"] == c["covered"] and c["requested"] == {"max_shift": 32, "step": 1}
    assert [r["shift"] for r in c["rows"]] == list(range(-16, 17))
    assert c["stride"] == 2 and c["map_side"] == 112
    # Shift 0 is /predict's forward pass: the same numbers, exactly.
    top = real.post(f"/api/images/{cat}/predict").json()["top"][0]
    row0 = c["rows"][16]
    assert row0["shift"] == 0 and row0["map_similarity"] == pytest.approx(1.0, abs=1e-9)
    assert (row0["top_index"], row0["top_prob"]) == (top["index"], top["prob"])
    assert row0["prob_of_unshifted_top"] == top["prob"]
    assert c["unshifted_top"] == {"index": top["index"], "label": top["label"],
                                  "prob": top["prob"]}
    # The stem has stride 2: even shifts move the map exactly, odd ones do not.
    even = [r["map_similarity"] for r in c["rows"] if r["shift"] % 2 == 0]
    odd = [r["map_similarity"] for r in c["rows"] if r["shift"] % 2]
    assert all(r["aligned"] == (r["shift"] % 2 == 0) for r in c["rows"])
    assert min(even) >= 0.99 and min(even) > max(odd)
    assert c["top_changes"] == [r["shift"] for r in c["rows"] if r["top_index"] != top["index"]]
    again = real.get(url)
    assert again.status_code == 200 and again.json() == c


def test_a_curve_says_how_far_the_view_can_go_and_shares_work_cut_to_the_photo(real, cat):
    url = f"/api/images/{cat}/translation?stage=stage2&axis=x&max_shift=8&step=4"
    started = real.get(url)
    assert started.status_code == 202
    finish(real, started.json()["job"])
    c = real.get(url).json()
    assert c["covered"] == {"min_shift": -8, "max_shift": 8}
    # 451 x 300 shown at 385 x 256: the window starts 80 px in and ends 81 px short.
    assert c["limits"] == {"min_shift": -80, "max_shift": 81}
    # Along y the photo allows 16 px each way: 20 and 64 ask for the same shifts as 16.
    along_y = f"/api/images/{cat}/translation?stage=stage2&max_shift={{}}&step=4&axis=y"
    started = real.get(along_y.format(20))
    assert started.status_code == 202
    assert finish(real, started.json()["job"])["result"] == along_y.format(16)
    curves = {m: real.get(along_y.format(m)) for m in (16, 20, 64)}
    assert all(r.status_code == 200 for r in curves.values())
    rows = [r.json()["rows"] for r in curves.values()]
    assert rows[0] == rows[1] == rows[2] and [r["shift"] for r in rows[0]] == list(
        range(-16, 17, 4))
    assert [r.json()["requested"]["max_shift"] for r in curves.values()] == [16, 20, 64]


def test_translation_map_moves_with_the_view(real, cat):
    base = f"/api/images/{cat}/translation/map?stage=stem&axis=x&channel=5&as=npy"
    at0 = np.load(io.BytesIO(real.get(base + "&shift=0").content))
    stage = np.load(io.BytesIO(real.get(f"/api/images/{cat}/stages/stem/channels/5?as=npy")
                               .content))
    np.testing.assert_array_equal(at0, stage)  # the analysis's own map
    at6 = np.load(io.BytesIO(real.get(base + "&shift=6").content))
    np.testing.assert_allclose(at6[:, 1:-4], at0[:, 4:-1], atol=1e-4)  # 3 units, inside
    picture = real.get(f"/api/images/{cat}/translation/map?stage=stage3&axis=y&shift=-8")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    lo, hi = (float(v) for v in picture.headers["X-Map-Range"].split(","))
    assert lo < hi
    crop = real.get(f"/api/images/{cat}/translation/crop?shift=0")
    assert crop.content == real.get(f"/api/images/{cat}/crop").content


def test_receptive_field_box_follows_the_stage_table(real, cat):
    table = {r["id"]: r for r in real.get("/api/model").json()["stages"]}
    for stage, x, y in (("stem", 50, 60), ("stage2", 25, 30), ("stage3", 14, 10),
                        ("stage4", 7, 7)):
        rf = real.get(f"/api/images/{cat}/stages/{stage}/receptive-field?x={x}&y={y}").json()
        size = table[stage]["receptive_field"]
        assert rf["field_size"] == size and rf["stride"] == table[stage]["stride"]
        box = rf["crop_box"]
        assert box["x1"] - box["x0"] + 1 == size and box["y1"] - box["y0"] + 1 == size
        # In the photo (451 x 300 shown at 385 x 256) it is the same box, enlarged, and
        # widened to whole photo pixels (a part of a pixel at each end at most).
        assert rf["photo"] == {"width": 451, "height": 300}
        assert 0 <= rf["x1"] - rf["x0"] + 1 - size * 451 / 385 < 2
        assert 0 <= rf["y1"] - rf["y0"] + 1 - size * 300 / 256 < 2
        seen = rf["seen"]
        assert seen["x0"] <= rf["x0"] and rf["x1"] <= seen["x1"]
        grad = np.load(io.BytesIO(real.get(
            f"/api/images/{cat}/stages/{stage}/receptive-field?x={x}&y={y}&as=npy").content))
        ys, xs = np.nonzero(grad)
        assert grad.shape == (224, 224) and len(xs) > 0
        assert box["x0"] <= xs.min() and xs.max() <= box["x1"]
        assert box["y0"] <= ys.min() and ys.max() <= box["y1"]
    picture = real.get(rf["effective"])
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert rf["channel"] is None and "channel" not in rf["effective"]


def test_receptive_field_json_carries_the_channel_into_the_effective_field(real, cat):
    base = f"/api/images/{cat}/stages/stage2/receptive-field?x=20&y=30"
    rf = real.get(base + "&channel=5").json()
    assert rf["channel"] == 5
    assert rf["effective"] == base + "&channel=5&as=image"
    one = np.load(io.BytesIO(real.get(base + "&channel=5&as=npy").content))
    every = np.load(io.BytesIO(real.get(base + "&as=npy").content))
    assert not np.allclose(one, every)  # one channel's field is not all channels' field
    drawn = real.get(rf["effective"])
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/png"
    assert drawn.content != real.get(base + "&as=image").content


@pytest.mark.parametrize("url,status,code", [
    ("/translation?stage=stage9", 404, "not_found"),
    ("/translation?stage=stage4.2", 404, "not_found"),
    ("/translation?max_shift=0", 422, "invalid_parameter"),
    ("/translation?max_shift=65", 422, "invalid_parameter"),
    ("/translation?step=17", 422, "invalid_parameter"),
    ("/translation?axis=z", 422, "invalid_parameter"),
    ("/translation/map?shift=17&axis=y", 422, "invalid_parameter"),
    ("/translation/map?shift=-81", 422, "invalid_parameter"),
    ("/translation/map?channel=32", 404, "not_found"),
    ("/translation/map?stage=nope", 404, "not_found"),
    ("/translation/map?as=json", 422, "invalid_parameter"),
    ("/translation/crop?shift=82", 422, "invalid_parameter"),
    ("/stages/stage9/receptive-field?x=0&y=0", 404, "not_found"),
    ("/stages/stem/receptive-field?x=112&y=0", 422, "invalid_parameter"),
    ("/stages/head/receptive-field?x=0&y=7", 422, "invalid_parameter"),
    ("/stages/stem/receptive-field?x=-1&y=0", 422, "invalid_parameter"),
    ("/stages/stem/receptive-field?x=0", 422, "invalid_parameter"),
    ("/stages/stem/receptive-field?x=0&y=0&channel=32&as=npy", 404, "not_found"),
    ("/stages/stem/receptive-field?x=0&y=0&channel=32", 404, "not_found"),
    ("/stages/stem/receptive-field?x=0&y=0&as=svg", 422, "invalid_parameter"),
])
def test_lesson_errors(real, cat, url, status, code):
    assert_error(real.get(f"/api/images/{cat}{url}"), status, code)


def test_a_shift_outside_the_photo_says_the_range(real, cat):
    err = assert_error(real.get(f"/api/images/{cat}/translation/map?shift=40&axis=y"), 422,
                       "invalid_parameter")
    assert err["details"] == {"field": "shift", "min_shift": -16, "max_shift": 16}


@pytest.mark.parametrize("path", ["/translation", "/translation/map",
                                  "/stages/stem/receptive-field?x=0&y=0"])
def test_an_unknown_image_is_404(real, path):
    assert_error(real.get(f"/api/images/{'0' * 32}{path}"), 404, "image_not_found")


@pytest.mark.parametrize("method,path", [
    ("get", "/api/images/{image}/translation"), ("get", "/api/images/{image}/translation/map"),
    ("get", "/api/images/{image}/stages/stem/receptive-field?x=0&y=0&as=npy"),
    ("post", "/api/lessons/spurious"), ("post", "/api/lessons/how-many-images")])
def test_without_the_model_the_answer_is_503(client, image_id, method, path):
    response = getattr(client, method)(path.format(image=image_id))
    assert_error(response, 503, "model_unavailable")


def test_jobs_not_done_answer_202_and_409(idle):
    image = idle.post("/api/images", files={"file": ("g.png", make_image(300, 260))}).json()
    url = f"/api/images/{image['id']}/translation?max_shift=3"
    first, second = idle.get(url), idle.get(url)
    assert first.status_code == second.status_code == 202
    assert first.json()["job"]["id"] == second.json()["job"]["id"]  # one job for both
    assert first.json()["job"]["status"] == "queued"
    # 300 x 260 allows 16 px up and down: asking for more is the same work.
    along_y = f"/api/images/{image['id']}/translation?axis=y&max_shift="
    other = {"X-ConvLens-Client": "anotherpage"}  # keeps the first page's job bound free
    jobs = {m: idle.get(along_y + str(m), headers=other).json()["job"]["id"]
            for m in (8, 16, 17, 64)}
    assert jobs[16] == jobs[17] == jobs[64] != jobs[8]
    for kind in ("spurious", "how-many-images"):
        a, b = idle.post(f"/api/lessons/{kind}"), idle.post(f"/api/lessons/{kind}")
        assert a.status_code == 202 and a.json()["job"]["id"] == b.json()["job"]["id"]
        err = assert_error(idle.get(f"/api/lessons/{kind}/{a.json()['job']['id']}"), 409,
                           "conflict")
        assert err["details"]["status"] == "queued"
        assert_error(idle.get(f"/api/lessons/{kind}/{'f' * 16}"), 404, "not_found")
    other = idle.post("/api/lessons/spurious").json()["job"]["id"]
    assert_error(idle.get(f"/api/lessons/how-many-images/{other}"), 404, "not_found")
    assert_error(idle.post("/api/lessons/how-many-images", json={"repeats": 0}), 422,
                 "invalid_parameter")
    assert_error(idle.post("/api/lessons/how-many-images", json={"size": 3}), 422,
                 "invalid_parameter")


@pytest.mark.parametrize("kind", ["spurious", "how-many-images"])
def test_a_lesson_job_refuses_a_body_it_does_not_understand(idle, kind):
    url = f"/api/lessons/{kind}"
    err = assert_error(idle.post(url, json={"x": 1}), 422, "invalid_parameter")
    assert err["details"]["field"] == "x"
    assert_error(idle.post(url, json=[1]), 422, "invalid_parameter")
    assert_error(idle.post(url, content=b"{bad", headers={"content-type": "application/json"}),
                 400, "invalid_json")
    assert idle.post(url, json={}).status_code == 202
