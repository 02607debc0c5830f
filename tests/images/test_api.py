"""Uploading, reading back and loading samples through HTTP."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from tests.conftest import assert_error
from tests.support.photos import make_image


def test_upload_returns_id_and_size(client):
    r = client.post("/api/images", files={"file": ("x.png", make_image(40, 30), "image/png")})
    assert r.status_code == 201
    body = r.json()
    assert (body["width"], body["height"]) == (40, 30)
    assert len(body["id"]) == 32


def test_same_pixels_get_the_same_id_whatever_the_name(client):
    data = make_image(20, 10)
    a = client.post("/api/images", files={"file": ("a.png", data, "image/png")}).json()
    b = client.post("/api/images", files={"file": ("b.bin", data, "text/plain")}).json()
    assert a["id"] == b["id"]


def test_large_photo_is_downsized_to_the_working_size(client):
    r = client.post("/api/images", files={"file": ("big.jpg", make_image(2000, 500, "JPEG"),
                                                   "image/jpeg")})
    assert r.status_code == 201
    assert (r.json()["width"], r.json()["height"]) == (1024, 256)


def test_stored_image_reads_back_as_png(client):
    data = make_image(16, 8, pattern="noise")
    image_id = client.post("/api/images", files={"file": ("n.png", data, "image/png")}).json()["id"]
    r = client.get(f"/api/images/{image_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    got = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGB"))
    np.testing.assert_array_equal(got, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))


def test_samples_are_listed_with_credits_and_loadable(client):
    samples = client.get("/api/samples").json()
    ids = {s["id"] for s in samples}
    assert "dog_german_shepherd" in ids and len(samples) >= 5
    assert all(s["credit"] and s["licence"] for s in samples)
    r = client.post("/api/samples/dog_german_shepherd/image")
    assert r.status_code == 201
    assert client.get(f"/api/images/{r.json()['id']}").status_code == 200
    assert client.get(samples[0]["url"]).status_code == 200


def test_unknown_sample_is_404(client):
    assert_error(client.post("/api/samples/nope/image"), 404, "not_found")


def test_unknown_image_is_404(client):
    assert_error(client.get("/api/images/" + "0" * 32), 404, "image_not_found")


def test_text_file_is_415(client):
    r = client.post("/api/images", files={"file": ("a.png", b"hello, not a picture", "image/png")})
    assert_error(r, 415, "unsupported_image_type")


def test_truncated_png_is_422(client):
    data = make_image(64, 64, pattern="noise")
    r = client.post("/api/images", files={"file": ("t.png", data[: len(data) // 2], "image/png")})
    assert_error(r, 422, "invalid_image")


def test_upload_over_the_byte_limit_is_413(client):
    limit = client.app.state.services.settings.max_upload_bytes
    r = client.post("/api/images", files={"file": ("big.png", b"\x89PNG" + b"0" * limit,
                                                   "image/png")})
    assert_error(r, 413, "image_too_large")


def test_missing_file_field_is_422(client):
    assert_error(client.post("/api/images", data={"nope": "1"}), 422, "invalid_parameter")


def test_health_answers_get_and_head(client):
    assert client.get("/api/health").json()["status"] == "ok"
    head = client.head("/api/health")
    assert head.status_code == 200 and head.content == b""
