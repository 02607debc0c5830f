"""The saliency routes' contract with a random-weight model: every method answers, slow ones
as a job whose result link then answers 200, measuring jobs answer typed JSON, and bad input
gets a clear 4xx. The numbers themselves are tested on the real model (tests/models)."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import assert_error
from tests.support.photos import make_image

ENDED = {"done", "failed", "cancelled"}


@pytest.fixture(scope="module")
def make_client(random_model):
    def make(**changes) -> TestClient:
        settings = replace(Settings.from_env(), load_model=False, **changes)
        return TestClient(create_app(settings, model=random_model))
    return make


@pytest.fixture(scope="module")
def api(make_client):
    with make_client() as c:
        yield c


def upload(c) -> str:
    r = c.post("/api/images", files={"file": ("g.png", make_image(64, 48, pattern="noise"))})
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture(scope="module")
def image(api) -> str:
    return upload(api)


def follow(c, job: dict) -> dict:
    deadline = time.monotonic() + 300
    while job["status"] not in ENDED:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = c.get(job["url"]).json()
    return job


def npy(response) -> np.ndarray:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/x-npy"
    return np.load(io.BytesIO(response.content))


def test_the_catalogue_lists_every_method_and_setting(api):
    cat = api.get("/api/saliency/methods").json()
    assert [m["id"] for m in cat["methods"]] == ["gradcam", "gradcampp", "layercam", "scorecam",
                                                 "occlusion", "gradient"]
    assert {m["id"] for m in cat["methods"] if m["slow"]} == {"scorecam", "occlusion"}
    assert cat["occlusion"]["32"] == [16, 32] and cat["steps"] == 20
    assert cat["randomised"][-1] == "classifier"


@pytest.mark.parametrize("method,stage,shape", [
    ("gradcam", "stage7", (7, 7)), ("gradcampp", "stage3", (28, 28)),
    ("layercam", "stem", (112, 112)), ("gradient", "stage7", (224, 224))])
def test_fast_methods_answer_at_once(api, image, method, stage, shape):
    url = f"/api/images/{image}/saliency?method={method}&class=235&stage={stage}"
    assert npy(api.get(url + "&as=npy")).shape == shape
    for as_ in ("overlay", "heatmap"):
        r = api.get(f"{url}&as={as_}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(r.content)).size == (224, 224)
        assert float(r.headers["X-Saliency-Max"]) >= 0


def test_gradcam_here_is_the_gradcam_route(api, image):
    mine = npy(api.get(f"/api/images/{image}/saliency?method=gradcam&class=dog&stage=stage5"
                       "&as=npy"))
    theirs = npy(api.get(f"/api/images/{image}/gradcam?class=dog&stage=stage5&as=npy"))
    assert np.array_equal(mine, theirs)


@pytest.mark.parametrize("query,shape", [("method=occlusion&patch=56&stride=56", (4, 4)),
                                         ("method=scorecam&k=4&stage=stage6", (7, 7))])
def test_a_slow_method_is_a_job_then_the_same_url_answers(api, query, shape):
    image = upload(api)  # a photo of its own: nothing cached yet
    url = f"/api/images/{image}/saliency?{query}&class=235"
    first = api.get(url + "&as=npy")
    assert first.status_code == 202, first.text
    assert first.headers["cache-control"] == "no-store"
    job = first.json()["job"]
    again = api.get(url + "&as=heatmap")  # another view of the same map: the same job
    assert again.status_code in (200, 202)
    if again.status_code == 202:
        assert again.json()["job"]["id"] == job["id"]
    done = follow(api, job)
    assert done["status"] == "done", done
    assert done["kind"] == "saliency-map"
    assert done["result"].startswith(f"/api/images/{image}/saliency?method=")
    linked = api.get(done["result"])
    assert linked.status_code == 200 and linked.headers["content-type"] == "image/png"
    assert npy(api.get(url + "&as=npy")).shape == shape


def test_a_finished_slow_map_is_read_from_its_job_once_the_cache_forgot_it(make_client):
    """What another process sees (its cache never had the map): 200 from the job's stored
    result, not a new job."""
    with make_client() as c:
        image = upload(c)
        url = f"/api/images/{image}/saliency?method=occlusion&patch=56&stride=56&class=3&as=npy"
        assert follow(c, c.get(url).json()["job"])["status"] == "done"
        want = npy(c.get(url))
        c.app.state.services.derived.drop_idle(-1)  # forget every derived result
        assert np.array_equal(npy(c.get(url)), want)


def measure(c, image: str, kind: str, body: dict) -> dict:
    r = c.post(f"/api/images/{image}/{kind}", json=body)
    assert r.status_code == 202, r.text
    job = follow(c, r.json()["job"])
    assert job["status"] == "done", job
    assert job["result"] == f"/api/saliency/{kind}/{job['id']}"
    got = c.get(job["result"])
    assert got.status_code == 200, got.text
    return got.json()


def test_faithfulness_job_answers_curves_for_each_method(api, image):
    body = {"class": "235", "stage": "stage7",
            "methods": ["gradcam", "layercam", "occlusion", "gradient"], "patch": 56,
            "stride": 56}
    result = measure(api, image, "faithfulness", body)
    assert [m["method"] for m in result["methods"]] == body["methods"]
    assert result["target"] == 235 and result["stage"] == "stage7" and result["steps"] == 20
    for m in result["methods"]:
        assert len(m["deletion"]) == len(m["insertion"]) == 21
        assert m["deletion_auc"] == pytest.approx(np.mean(m["deletion"]))
        assert m["insertion_auc"] == pytest.approx(np.mean(m["insertion"]))
        assert m["deletion"][0] == pytest.approx(result["probability"], abs=1e-6)
        assert m["deletion"][-1] == pytest.approx(result["grey_probability"], abs=1e-6)
        assert m["insertion"][0] == pytest.approx(result["grey_probability"], abs=1e-6)
        assert api.get(m["map"]).status_code == 200  # the measured map, slow ones included
    again = api.post(f"/api/images/{image}/faithfulness", json=body).json()["job"]
    assert again["status"] == "done"  # the identical request joined the finished job


def test_sanity_job_answers_a_correlation_per_method(api, image):
    result = measure(api, image, "sanity", {"class": "dog", "stage": "stage6",
                                            "methods": ["gradcam", "gradient"]})
    assert result["randomised"] == ["stage6", "stage7", "head", "classifier"]
    for m in result["methods"]:
        rho = m["rank_correlation"]
        assert (rho is None and m["note"]) or -1 <= rho <= 1
        picture = api.get(m["randomised_map"])
        assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"


@pytest.mark.parametrize("query,status,code", [
    ("method=nope", 422, "invalid_parameter"),
    ("class=1000", 422, "invalid_parameter"),
    ("class=unicorn", 422, "invalid_parameter"),
    ("stage=stage9", 404, "not_found"),
    ("stage=stage4.2", 404, "not_found"),
    ("method=scorecam&k=0", 422, "invalid_parameter"),
    ("method=scorecam&k=129", 422, "invalid_parameter"),
    ("method=scorecam&k=20&stage=stage1", 422, "invalid_parameter"),  # stage1 has 16 channels
    ("method=occlusion&patch=20", 422, "invalid_parameter"),
    ("method=occlusion&patch=32&stride=8", 422, "invalid_parameter"),
    ("method=occlusion&patch=300", 422, "invalid_parameter"),
    ("as=jpeg", 422, "invalid_parameter"),
    ("opacity=2", 422, "invalid_parameter"),
])
def test_bad_map_requests_name_the_problem(api, image, query, status, code):
    err = assert_error(api.get(f"/api/images/{image}/saliency?{query}"), status, code)
    if "k=20" in query:
        assert "16 channels" in err["message"]
    if "stride=8" in query:
        assert "16, 32" in err["message"]


@pytest.mark.parametrize("body,status,code", [
    ({"methods": []}, 422, "invalid_parameter"),
    ({"methods": ["nope"]}, 422, "invalid_parameter"),
    ({"methods": ["gradcam", "gradcam"]}, 422, "invalid_parameter"),
    ({"class": "unicorn"}, 422, "invalid_parameter"),
    ({"stage": "stage9"}, 404, "not_found"),
    ({"k": 500}, 422, "invalid_parameter"),
    ({"patch": 33}, 422, "invalid_parameter"),
    ({"colour": "red"}, 422, "invalid_parameter"),
])
def test_bad_measure_requests_name_the_problem(api, image, body, status, code):
    for kind in ("faithfulness", "sanity"):
        assert_error(api.post(f"/api/images/{image}/{kind}", json=body), status, code)


def test_unparseable_body_and_unknown_image(api):
    r = api.post("/api/images/nothere/faithfulness", json={})
    assert_error(r, 404, "image_not_found")
    assert_error(api.get("/api/images/nothere/saliency"), 404, "image_not_found")
    image = upload(api)
    r = api.post(f"/api/images/{image}/sanity", content=b"{not json",
                 headers={"content-type": "application/json"})
    assert_error(r, 400, "invalid_json")


def test_results_are_404_unknown_409_running_and_404_for_another_kind(make_client):
    with make_client(job_workers=0) as c:  # jobs are queued, never run
        image = upload(c)
        assert_error(c.get("/api/saliency/faithfulness/nojob"), 404, "not_found")
        job = c.post(f"/api/images/{image}/faithfulness", json={"methods": ["gradcam"]}
                     ).json()["job"]
        assert job["status"] == "queued"
        err = assert_error(c.get(f"/api/saliency/faithfulness/{job['id']}"), 409, "conflict")
        assert err["details"]["status"] == "queued"
        assert_error(c.get(f"/api/saliency/sanity/{job['id']}"), 404, "not_found")
        assert_error(c.get(f"/api/saliency/sanity/{job['id']}/maps/gradcam"), 404, "not_found")
        assert_error(c.get(f"/api/saliency/sanity/{job['id']}/maps/nope"), 422,
                     "invalid_parameter")


def test_a_sanity_map_of_a_method_not_measured_is_404(api, image):
    r = api.post(f"/api/images/{image}/sanity", json={"methods": ["layercam"]})
    job = follow(api, r.json()["job"])
    err = assert_error(api.get(f"/api/saliency/sanity/{job['id']}/maps/gradcam"), 404,
                       "not_found")
    assert "layercam" in err["message"]


def test_without_the_model_the_answer_is_503(client, image_id):
    assert_error(client.get(f"/api/images/{image_id}/saliency"), 503, "model_unavailable")
    assert_error(client.post(f"/api/images/{image_id}/faithfulness", json={}), 503,
                 "model_unavailable")
