"""The CNN endpoints over HTTP, with the real model loaded once for the module."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import assert_error


@pytest.fixture(scope="module")
def cnn():
    settings = replace(Settings.from_env(), load_model=True)
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def dog_id(cnn) -> str:
    return cnn.post("/api/samples/dog_german_shepherd/image").json()["id"]


def png(response) -> Image.Image:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_model_description(cnn):
    m = cnn.get("/api/model").json()
    assert m["parameters"] == 4_652_008
    ids = [s["id"] for s in m["stages"]]
    assert ids[:2] == ["stem", "stage1"] and "head" in ids


def test_predict_the_dog(cnn, dog_id):
    p = cnn.post(f"/api/images/{dog_id}/predict").json()
    assert len(p["top"]) == 5
    assert p["top"][0]["index"] == 235 and p["top"][0]["label"] == "German shepherd"
    assert p["groups"]["dog"] > 0.9
    assert png(cnn.get(p["crop"])).size == (224, 224)


def test_stage_statistics_and_atlas(cnn, dog_id):
    s = cnn.get(f"/api/images/{dog_id}/stages/stage2?order=strength").json()
    assert s["shape"] == [24, 56, 56] and len(s["channels"]) == 24
    means = [s["channels"][i]["mean"] for i in s["atlas"]["order"]]
    assert means == sorted(means, reverse=True)
    atlas = png(cnn.get(f"/api/images/{dog_id}/stages/stage2/atlas"))
    cols, rows = s["atlas"]["cols"], s["atlas"]["rows"]
    assert atlas.size == (cols * 57 - 1, rows * 57 - 1)


def test_channel_values_npy_and_pooled(cnn, dog_id):
    raw = np.load(io.BytesIO(cnn.get(f"/api/images/{dog_id}/stages/stage3/channels/5?as=npy")
                             .content))
    assert raw.shape == (28, 28) and raw.dtype == np.float32
    detail = cnn.get(f"/api/images/{dog_id}/stages/stage3/channels/5").json()
    np.testing.assert_allclose(np.asarray(detail["values"]), raw, atol=1e-6)
    want = raw.reshape(14, 2, 14, 2).max(axis=(1, 3))
    np.testing.assert_allclose(np.asarray(detail["max_pool"]), want, atol=1e-6)
    want = raw.reshape(14, 2, 14, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(np.asarray(detail["avg_pool"]), want, atol=1e-5)
    pooled = cnn.get(f"/api/images/{dog_id}/pooled").json()
    assert pooled["length"] == 1280


def test_block_parts_are_reachable(cnn, dog_id):
    s = cnn.get(f"/api/images/{dog_id}/stages/stage4.2.expand").json()
    assert s["shape"] == [480, 14, 14]


def test_gradcam_npy_overlay_and_group(cnn, dog_id):
    cam = np.load(io.BytesIO(cnn.get(f"/api/images/{dog_id}/gradcam?class=235&stage=stage7"
                                     "&as=npy").content))
    assert cam.shape == (7, 7) and cam.min() >= 0 and cam.max() > 0
    assert png(cnn.get(f"/api/images/{dog_id}/gradcam?class=dog&stage=stage6")).size == (224, 224)
    assert png(cnn.get(f"/api/images/{dog_id}/gradcam")).size == (224, 224)  # top class


def test_attribution_and_strengths(cnn, dog_id):
    a = cnn.get(f"/api/images/{dog_id}/attribution?class=235&stage=head").json()
    assert len(a["channels"]) == 10
    scores = [c["score"] for c in a["channels"]]
    assert scores == sorted(scores, reverse=True)
    s = cnn.get(f"/api/images/{dog_id}/stages").json()["stages"]
    assert [r["stage"] for r in s][0] == "stem" and len(s) == 9


def test_stem_filters_json_and_png(cnn):
    f = cnn.get("/api/model/filters/stem").json()
    assert f["shape"] == [32, 3, 3, 3] and len(f["filters"]) == 32
    assert png(cnn.get("/api/model/filters/stem?as=image")).size[0] > 100


@pytest.mark.parametrize("name,index", [("tabby", 281), ("German shepherd", 235),
                                        ("  alsatian ", 235), ("macaw", 88)])
def test_gradcam_for_a_class_named_in_words(cnn, dog_id, name, index):
    by_name = cnn.get(f"/api/images/{dog_id}/gradcam", params={"class": name, "as": "npy"})
    by_index = cnn.get(f"/api/images/{dog_id}/gradcam?class={index}&as=npy")
    assert by_name.status_code == 200
    assert np.array_equal(np.load(io.BytesIO(by_name.content)),
                          np.load(io.BytesIO(by_index.content)))


def test_gradcam_pictures_say_their_peak(cnn, dog_id):
    late = cnn.get(f"/api/images/{dog_id}/gradcam?class=235&stage=stage7")
    cam = np.load(io.BytesIO(cnn.get(f"/api/images/{dog_id}/gradcam?class=235&stage=stage7"
                                     "&as=npy").content))
    assert float(late.headers["X-Gradcam-Max"]) == pytest.approx(float(cam.max()), rel=1e-5)
    assert float(late.headers["X-Gradcam-Max"]) > 0


def test_an_ambiguous_class_name_lists_candidates(cnn, dog_id):
    err = assert_error(cnn.get(f"/api/images/{dog_id}/gradcam?class=terrier"), 422,
                       "invalid_parameter")
    assert "classes" in err["message"] and "#" in err["message"]
    assert len(err["details"]["candidates"]) > 1


def test_class_search(cnn):
    r = cnn.get("/api/model/classes?q=shepherd").json()
    assert any(c["index"] == 235 for c in r["classes"])
    assert cnn.get("/api/model/classes?q=do").json()["groups"] == ["dog"]


@pytest.mark.parametrize("url,status,code", [
    ("/stages/stage9", 404, "not_found"),
    ("/stages/stage2/channels/24", 404, "not_found"),
    ("/stages/stage2/channels/-1", 404, "not_found"),
    ("/stages/stage2/channels/99999999999999999999", 404, "not_found"),
    ("/stages/stage2/channels/two", 422, "invalid_parameter"),
    ("/gradcam?class=1000", 422, "invalid_parameter"),
    ("/gradcam?class=-3", 422, "invalid_parameter"),
    ("/gradcam?class=unicorn", 422, "invalid_parameter"),
    ("/gradcam?class=%C2%B2", 422, "invalid_parameter"),  # "²" is a digit to str.isdigit()
    ("/attribution?class=-%E2%91%A0", 422, "invalid_parameter"),  # "-①"
    ("/gradcam?class=%D9%A3", 422, "invalid_parameter"),  # Arabic-Indic 3 is not class 3
    ("/gradcam?class=235&stage=stage4.2", 404, "not_found"),
    ("/gradcam?opacity=2", 422, "invalid_parameter"),
    ("/gradcam?opacity=nan", 422, "invalid_parameter"),
])
def test_cnn_errors(cnn, dog_id, url, status, code):
    assert_error(cnn.get(f"/api/images/{dog_id}{url}"), status, code)


def test_without_the_model_the_answer_is_503(client, image_id):
    assert_error(client.post(f"/api/images/{image_id}/predict"), 503, "model_unavailable")
