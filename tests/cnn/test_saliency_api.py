"""The saliency routes' contract with a random-weight model: every method answers, slow ones
as a job whose result link then answers 200, measuring jobs answer typed JSON, and bad input
gets a clear 4xx. The numbers themselves are tested on the real model (tests/models)."""

from __future__ import annotations

import io
import re
import statistics
import time
from dataclasses import replace

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from PIL import Image

from app.cnn.service import analysis
from app.core.settings import Settings
from app.images.service import lookup_image
from app.imaging.encode import colormap
from app.main import create_app
from models.preprocess import to_tensor
from models.stages import STAGE_IDS
from tests.conftest import assert_error
from tests.support.occlusion import spread_over_squares
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
    assert (cat["random_maps"], cat["beats_random_sd"], cat["beats_random_min"],
            cat["sanity_threshold"]) == (8, 2.0, 0.01, 0.5)


@pytest.mark.parametrize("method,stage,shape", [
    ("gradcam", "stage7", (7, 7)), ("gradcampp", "stage3", (28, 28)),
    ("layercam", "stem", (112, 112)), ("gradient", "stage7", (224, 224))])
def test_fast_methods_answer_at_once(api, image, method, stage, shape):
    url = f"/api/images/{image}/saliency?method={method}&class=235&stage={stage}"
    raw = npy(api.get(url + "&as=npy"))
    assert raw.shape == shape
    for as_ in ("overlay", "heatmap"):
        r = api.get(f"{url}&as={as_}")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(r.content)).size == (224, 224)
        assert float(r.headers["X-Saliency-Max"]) == pytest.approx(float(raw.max()), rel=1e-5)


def test_grad_cam_pp_at_a_signed_stage_says_how_often_alpha_leaves_its_range(api, image):
    """Grad-CAM++'s alpha 1 / (2 + sum(A) g) is in [0, 1/2] only for maps that are never
    negative: at stage3 (a linear projection, signed) the map carries the share measured for
    this photo, checked here against the formula on a plain forward; at the head (ReLU6)
    there is nothing to say, and Layer-CAM has no alpha."""
    url = f"/api/images/{image}/saliency?method=gradcampp&class=235&as=heatmap&stage="
    note = api.get(url + "stage3").headers.get("X-Saliency-Note", "")
    found = re.search(r"leaves \[0, 1/2\] at (\d+)% of the positions with a positive gradient "
                      r"\((\d+) of (\d+)\)", note)
    assert found and "stage3" in note, note
    services = api.app.state.services
    crop = analysis(services, lookup_image(services, image)).crop
    inp = to_tensor(crop).requires_grad_(True)  # (1, 3, 224, 224)
    logits, acts = services.require_model().model.forward_stages(inp, parts=False)
    (grad,) = torch.autograd.grad(logits[0, 235], acts["stage3"])
    a, g = acts["stage3"][0].detach().double().numpy(), grad[0].double().numpy()
    alphas = np.concatenate([1 / (2 + a_k.sum() * g_k[g_k > 0]) for a_k, g_k in zip(a, g,
                                                                                     strict=True)])
    share = float(((alphas < 0) | (alphas > 0.5)).mean())
    assert share > 0.05  # signed maps: a real share, so the check below can fail
    outside, positions = int(found[2]), int(found[3])
    assert int(found[1]) == round(100 * outside / positions)
    assert positions == pytest.approx(alphas.size, rel=1e-3)
    assert outside / positions == pytest.approx(share, abs=0.01)
    assert "X-Saliency-Note" not in api.get(url + "head").headers
    layercam = url.replace("gradcampp", "layercam") + "stage3"
    assert "X-Saliency-Note" not in api.get(layercam).headers


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
        check_random_baseline(api, result, m)
    labels = [m["random_map"] for m in result["methods"]]
    assert labels == ["7\u00d77 grid", "7\u00d77 grid",
                      "4\u00d74 occlusion grid (56 px squares every 56 px)", "224\u00d7224 pixels"]
    again = api.post(f"/api/images/{image}/faithfulness", json=body).json()["job"]
    assert again["status"] == "done"  # the identical request joined the finished job


def check_random_baseline(c, result: dict, m: dict) -> None:
    """A method's random baseline: seeded maps of the measured map's own resolution, their
    mean curves and areas, and the verdicts the areas give by the result's rule."""
    assert result["random_maps"] == 8 and m["random_seeds"] == list(range(8))
    grid = npy(c.get(m["map"] + "&as=npy")).shape  # the map's native resolution
    assert m["random_map"].startswith(f"{grid[0]}\u00d7{grid[1]} "), (m["random_map"], grid)
    for kind in ("deletion", "insertion"):
        aucs = m[f"random_{kind}_aucs"]
        assert len(aucs) == 8 and len(m[f"random_{kind}"]) == 21
        assert m[f"random_{kind}_auc"] == pytest.approx(statistics.fmean(aucs))
        assert m[f"random_{kind}_auc"] == pytest.approx(np.mean(m[f"random_{kind}"]))
        assert m[f"random_{kind}_auc_sd"] == pytest.approx(statistics.stdev(aucs))
        assert m[f"random_{kind}"][0] == pytest.approx(m[kind][0], abs=1e-6)  # same ends
        assert m[f"random_{kind}"][-1] == pytest.approx(m[kind][-1], abs=1e-6)
        margin = max(result["beats_random_sd"] * statistics.stdev(aucs),
                     result["beats_random_min"])
        mean, area = statistics.fmean(aucs), m[f"{kind}_auc"]
        beats = area < mean - margin if kind == "deletion" else area > mean + margin
        assert m[f"beats_random_{kind}"] is beats, (m["method"], kind)


def test_sanity_job_answers_a_correlation_per_method(api, image):
    result = measure(api, image, "sanity", {"class": "dog", "stage": "stage6",
                                            "methods": ["gradcam", "gradient"]})
    assert result["randomised"] == ["stage6", "stage7", "head", "classifier"]
    assert result["threshold"] == 0.5
    for m in result["methods"]:
        rho = m["rank_correlation"]
        assert m["changes"] is (None if rho is None else rho < result["threshold"])
        original = npy(api.get(f"/api/images/{image}/saliency?method={m['method']}&class=dog"
                               "&stage=stage6&as=npy"))
        if np.ptp(original) == 0:  # a constant map has no order: no number, and a reason
            assert rho is None and m["note"], m
        else:
            assert rho is not None and m["note"] is None, m
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
    ({"class": 1000}, 422, "invalid_parameter"),
    ({"class": True}, 422, "invalid_parameter"),
    ({"class": 235.5}, 422, "invalid_parameter"),
    ({"stage": "stage9"}, 422, "invalid_parameter"),
    ({"stage": "STAGE7", "methods": ["occlusion"]}, 422, "invalid_parameter"),
    ({"k": 500}, 422, "invalid_parameter"),
    ({"patch": 33}, 422, "invalid_parameter"),
    ({"colour": "red"}, 422, "invalid_parameter"),
])
def test_bad_measure_requests_name_the_problem(api, image, body, status, code):
    for kind in ("faithfulness", "sanity"):
        assert_error(api.post(f"/api/images/{image}/{kind}", json=body), status, code)


def test_a_class_may_be_a_json_number(api, image):
    """``{"class": 235}`` is the class ``"235"`` is: the same measurement, one job."""
    as_number = api.post(f"/api/images/{image}/faithfulness",
                         json={"class": 235, "methods": ["gradient"]})
    assert as_number.status_code == 202, as_number.text
    as_text = api.post(f"/api/images/{image}/faithfulness",
                       json={"class": "235", "methods": ["gradient"]})
    assert as_number.json()["job"]["id"] == as_text.json()["job"]["id"]
    assert follow(api, as_number.json()["job"])["status"] == "done"


def test_the_measure_request_states_its_stages_and_class_types(api):
    schema = api.get("/openapi.json").json()["components"]["schemas"]["MeasureRequest"]
    assert schema["properties"]["stage"]["enum"] == STAGE_IDS
    assert {t.get("type") for t in schema["properties"]["class"]["anyOf"]} == {"integer",
                                                                               "string"}


def test_the_stage_is_checked_only_for_the_methods_that_use_it(api, image):
    base = f"/api/images/{image}/saliency?class=235&as=npy"
    assert npy(api.get(f"{base}&method=gradient&stage=bogus")).shape == (224, 224)
    err = assert_error(api.get(f"{base}&method=layercam&stage=bogus"), 404, "not_found")
    assert "Layer-CAM" in err["message"] and "Grad-CAM is" not in err["message"]
    measured = api.post(f"/api/images/{image}/faithfulness",
                        json={"stage": "head", "methods": ["gradient"]})
    assert measured.status_code == 202, measured.text


def test_settings_a_method_ignores_do_not_make_another_map(make_client):
    """Canonical specs: occlusion asked with any stage or k is one job; another stride is
    another map."""
    with make_client(job_workers=0) as c:  # jobs wait in the queue: their ids compare
        image = upload(c)
        base = f"/api/images/{image}/saliency?method=occlusion&patch=56&class=235"
        first = c.get(f"{base}&stride=28&stage=stage3&k=8").json()["job"]
        assert c.get(f"{base}&stride=28&stage=head").json()["job"]["id"] == first["id"]
        assert c.get(f"{base}&stride=28&as=npy").json()["job"]["id"] == first["id"]
        assert c.get(f"{base}&stride=56").json()["job"]["id"] != first["id"]
        score = f"/api/images/{image}/saliency?method=scorecam&stage=stage6&class=235"
        eight = c.get(f"{score}&k=8&patch=16&stride=16").json()["job"]
        assert c.get(f"{score}&k=8").json()["job"]["id"] == eight["id"]
        assert c.get(f"{score}&k=16").json()["job"]["id"] != eight["id"]


def test_slow_maps_a_measuring_job_computed_are_kept_for_every_process(make_client):
    """What another process sees (its cache never had the maps): the faithfulness job's slow
    maps answer 200 from the job store, not a new job."""
    with make_client() as c:
        image = upload(c)
        result = measure(c, image, "faithfulness", {
            "class": 235, "stage": "stage6", "methods": ["occlusion", "scorecam"], "k": 4,
            "patch": 56, "stride": 56})
        c.app.state.services.derived.drop_idle(-1)  # forget every derived result
        for m in result["methods"]:
            assert m["map"].startswith(f"/api/images/{image}/saliency?")
            r = c.get(m["map"] + "&as=npy")
            assert r.status_code == 200, (m["method"], r.status_code, r.text[:200])
            assert float(npy(r).max()) == pytest.approx(m["map_max"], rel=1e-6)


@pytest.fixture(scope="module")
def dog_api():
    """The trained model (whose maps are not flat, unlike the random one's) and the dog."""
    from models.service import ModelService

    settings = replace(Settings.from_env(), load_model=False)
    with TestClient(create_app(settings, model=ModelService.load(threads=1))) as c:
        r = c.post("/api/samples/dog_german_shepherd/image")
        assert r.status_code in (200, 201), r.text
        yield c, r.json()["id"]


def test_occlusion_is_drawn_and_ranked_pixel_by_pixel(dog_api, monkeypatch):
    """The picture colours each pixel by the mean drop of the patches that covered it (not a
    bilinear blur of the grid, which misplaces cells when the stride is under the patch), and
    deletion and insertion rank that per-pixel map."""
    from models import faithfulness

    measured = []
    real_curves = faithfulness.curves

    def spy(net, x, saliency, target, progress=None):
        measured.append(saliency)
        return real_curves(net, x, saliency, target, progress)

    monkeypatch.setattr(faithfulness, "curves", spy)
    c, image = dog_api
    url = f"/api/images/{image}/saliency?method=occlusion&patch=56&stride=28&class=235"
    assert follow(c, c.get(url).json()["job"])["status"] == "done"
    grid = npy(c.get(url + "&as=npy"))
    assert grid.shape == (7, 7) and grid.max() > 0.01
    want = spread_over_squares(grid, 56, 28).astype(np.float32)  # (224, 224)
    picture = np.asarray(Image.open(io.BytesIO(c.get(url + "&as=heatmap").content)))
    assert np.array_equal(picture, colormap(want, "jet", lo=0.0, hi=float(want.max())))
    measure(c, image, "faithfulness", {"class": 235, "methods": ["occlusion"], "patch": 56,
                                       "stride": 28})
    assert len(measured) == 1
    np.testing.assert_allclose(measured[0], want, rtol=0, atol=1e-7)


def test_the_sanity_check_maps_the_randomised_copys_own_activations(dog_api):
    """The randomised model's Grad-CAM at stage7 resumes from the copy's own stage7 maps
    (stage6 and stage7 are random there), not the trained network's."""
    from app.cnn.saliency_pictures import map_png
    from models import saliency as numerics
    from models.faithfulness import randomised_copy
    from models.saliency_methods import MapSpec

    c, image = dog_api
    result = measure(c, image, "sanity", {"class": 235, "stage": "stage7",
                                          "methods": ["gradcam"]})
    services = c.app.state.services
    a = analysis(services, lookup_image(services, image))
    x = to_tensor(a.crop)  # (1, 3, 224, 224)
    twin = randomised_copy(services.require_model().fast)
    with torch.inference_mode():
        _, acts = twin.forward_stages(x.contiguous(memory_format=torch.channels_last),
                                      parts=False)
    spec = MapSpec("gradcam", "stage7")
    own = numerics.compute(twin, spec, x, acts["stage7"][0].clone(), 235)  # (7, 7)
    trained = numerics.compute(twin, spec, x, torch.from_numpy(a.activations["stage7"]), 235)
    assert own.max() > 0 and np.abs(own - trained).max() > 0.1 * own.max()  # they differ
    got = c.get(result["methods"][0]["randomised_map"])
    assert got.status_code == 200
    assert got.content == map_png(spec, own)
    assert got.content != map_png(spec, trained)


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
