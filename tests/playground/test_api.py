"""The playground endpoints: convolve (image, JSON, .npy), inspect, presets, errors."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import assert_error

SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


def test_presets_include_the_issue_list(client):
    presets = client.get("/api/kernels/presets").json()
    for name in ["identity", "box_blur", "gaussian_3x3", "gaussian_5x5", "sharpen", "sobel_x",
                 "sobel_y", "prewitt_x", "prewitt_y", "scharr_x", "scharr_y", "laplacian_4",
                 "laplacian_8", "emboss", "outline", "horizontal_edge", "vertical_edge"]:
        assert presets[name]["kernel"] and presets[name]["description"]


def test_default_response_is_a_jpeg_with_the_summary(client, image_id):
    r = client.post(f"/api/images/{image_id}/convolve", json={"kernel": SOBEL_X})
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    img = Image.open(io.BytesIO(r.content))
    assert img.size == (64, 48)
    summary = json.loads(r.headers["x-conv-summary"])
    assert summary["output"] == {"height": 48, "width": 64, "channels": 1}
    assert summary["display"]["mode"] == "diverging"


@pytest.mark.parametrize("fmt,media", [("png", "image/png"), ("webp", "image/webp")])
def test_format_can_be_chosen(client, image_id, fmt, media):
    r = client.post(f"/api/images/{image_id}/convolve?format={fmt}", json={"kernel": SOBEL_X})
    assert r.headers["content-type"] == media
    if fmt == "png":
        assert "attachment" in r.headers["content-disposition"]


def test_json_reports_shapes_formula_and_stats(client, image_id):
    body = {"kernel": SOBEL_X, "stride": 2, "padding": "valid",
            "pool": {"kind": "max", "size": 2, "stride": 2}}
    s = client.post(f"/api/images/{image_id}/convolve?as=json", json=body).json()
    assert s["conv"] == {"height": 23, "width": 31}
    assert s["output"]["height"] == 11 and s["output"]["width"] == 15
    assert s["formulas"][0]["text"].endswith("= 23")
    assert s["warnings"]  # 31 and 23 are odd: the pool drops a column and a row
    assert s["stats"]["min"] <= s["stats"]["mean"] <= s["stats"]["max"]


def test_npy_holds_the_raw_float32_values(client, image_id):
    body = {"kernel": [[0, 0, 0], [0, 1, 0], [0, 0, 0]], "channels": "rgb", "bias": 2.5}
    r = client.post(f"/api/images/{image_id}/convolve?as=npy", json=body)
    values = np.load(io.BytesIO(r.content))
    assert values.dtype == np.float32 and values.shape == (48, 64, 3)
    original = np.asarray(Image.open(io.BytesIO(
        client.get(f"/api/images/{image_id}").content)).convert("RGB"), np.float32)
    np.testing.assert_allclose(values, original + 2.5)


def test_inspect_matches_the_npy_value(client, image_id):
    body = {"kernel": SOBEL_X, "bias": 1.0, "relu": True}
    values = np.load(io.BytesIO(
        client.post(f"/api/images/{image_id}/convolve?as=npy", json=body).content))
    info = client.post(f"/api/images/{image_id}/inspect", json={**body, "x": 10, "y": 7}).json()
    total = float(np.sum(info["products"]))
    assert info["sum"][0] == pytest.approx(total, abs=1e-3)
    assert info["relu_value"][0] == pytest.approx(max(total + 1.0, 0), abs=1e-3)
    assert info["relu_value"][0] == pytest.approx(float(values[7, 10]), abs=1e-3)
    assert info["window"] == {"x0": 9, "y0": 6, "x1": 11, "y1": 8}


@pytest.mark.parametrize("kernel", [
    [], [[]], [[1, 2], [3]], [[1, "a"]], [[1, True]], [[None]], "sobel", [[1e309]],
    [[0] * 16], [[5000]], [[[1]], [[1]]],
])
def test_bad_kernels_are_422_invalid_kernel(client, image_id, kernel):
    raw = json.dumps({"kernel": kernel}).replace("Infinity", "1e309")
    r = client.post(f"/api/images/{image_id}/convolve", content=raw,
                    headers={"Content-Type": "application/json"})
    err = assert_error(r, 422, "invalid_kernel")
    assert "kernel" in err["message"]


@pytest.mark.parametrize("raw", ['{"kernel": [[NaN]]}', '{"kernel": [[Infinity]]}',
                                 '{"kernel": [[1]], "bias": NaN}'])
def test_non_finite_numbers_are_refused(client, image_id, raw):
    r = client.post(f"/api/images/{image_id}/convolve", content=raw,
                    headers={"Content-Type": "application/json"})
    assert r.status_code == 422


@pytest.mark.parametrize("change,field", [
    ({"stride": 0}, "stride"), ({"stride": "2"}, "stride"), ({"stride": True}, "stride"),
    ({"dilation": 9}, "dilation"), ({"padding": -1}, "padding"), ({"padding": "full"}, "padding"),
    ({"border": "wrap"}, "border"), ({"channels": "hsv"}, "channels"),
    ({"pool": {"kind": "max", "size": 99}}, "pool.size"), ({"display": "x"}, "display"),
    ({"unknown": 1}, "unknown"), ({"flip": "yes"}, "flip"), ({"relu": 1}, "relu"),
    ({"relu": "false"}, "relu"),
])
def test_bad_parameters_name_their_field(client, image_id, change, field):
    r = client.post(f"/api/images/{image_id}/convolve", json={"kernel": SOBEL_X, **change})
    err = assert_error(r, 422, "invalid_parameter")
    assert field in err["message"]


def test_a_layer_that_leaves_no_output_is_422(client, image_id):
    body = {"kernel": [[1] * 15] * 15, "padding": "valid", "dilation": 4}
    err = assert_error(client.post(f"/api/images/{image_id}/convolve", json=body),
                       422, "invalid_parameter")
    assert "padding" in err["message"]
    body = {"kernel": SOBEL_X, "stride": 8, "pool": {"kind": "max", "size": 8, "stride": 1}}
    assert_error(client.post(f"/api/images/{image_id}/convolve", json=body),
                 422, "invalid_parameter")


def test_inspect_outside_the_output_is_422(client, image_id):
    r = client.post(f"/api/images/{image_id}/inspect", json={"kernel": SOBEL_X, "x": 64, "y": 0})
    err = assert_error(r, 422, "invalid_parameter")
    assert "x" in err["details"].get("field", err["message"])


def test_convolving_an_unknown_image_is_404(client):
    r = client.post("/api/images/" + "f" * 32 + "/convolve", json={"kernel": SOBEL_X})
    assert_error(r, 404, "image_not_found")


def test_malformed_json_is_400_invalid_json(client, image_id):
    r = client.post(f"/api/images/{image_id}/convolve", content=b"{not json",
                    headers={"Content-Type": "application/json"})
    assert "at character 1" in assert_error(r, 400, "invalid_json")["message"]
