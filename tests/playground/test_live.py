"""The playground's live connection: edits over one WebSocket, answered as the HTTP route
answers them (the same picture, the same summary), errors in the same envelope."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.http.limits import MAX_JSON_BYTES
from app.main import create_app

SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
LIVE = "/api/playground/live"


def frame(ws) -> tuple[dict, bytes]:
    """A live answer: its text message (JSON) and the picture after it."""
    head = json.loads(ws.receive_text())
    assert "error" not in head, head
    return head, ws.receive_bytes()


def assert_envelope(text: str, status: int, code: str) -> dict:
    body = json.loads(text)
    assert set(body) == {"error"}
    err = body["error"]
    assert (err["status"], err["code"]) == (status, code), err
    assert isinstance(err["message"], str) and len(err["message"]) > 10
    assert isinstance(err["details"], dict)
    return err


@pytest.mark.parametrize("body", [
    {"kernel": SOBEL_X},
    {"kernel": SOBEL_X, "channels": "rgb", "bias": 12.5, "display": "abs"},
    {"kernel": [SOBEL_X, SOBEL_X, SOBEL_X], "channels": "rgb", "stride": 2, "relu": True},
    {"kernel": [[1, 2], [3, 4]], "padding": "valid", "pool": {"kind": "max", "size": 2,
                                                              "stride": 2}},
])
@pytest.mark.parametrize("fmt", ["jpeg", "png"])
def test_a_live_frame_is_what_the_http_route_answers(client, image_id, body, fmt):
    http = client.post(f"/api/images/{image_id}/convolve?format={fmt}", json=body)
    assert http.status_code == 200
    with client.websocket_connect(LIVE) as ws:
        ws.send_text(json.dumps({**body, "image": image_id, "format": fmt}))
        head, picture = frame(ws)
    assert head == {"format": fmt, "summary": json.loads(http.headers["x-conv-summary"])}
    assert picture == http.content
    assert Image.open(io.BytesIO(picture)).format == {"jpeg": "JPEG", "png": "PNG"}[fmt]


def test_answers_come_in_order_and_errors_leave_the_connection_open(client, image_id):
    with client.websocket_connect(LIVE) as ws:
        for bias in (0, 50, -50):
            ws.send_text(json.dumps({"kernel": [[1]], "bias": bias, "image": image_id}))
        means = [frame(ws)[0]["summary"]["stats"]["mean"] for _ in range(3)]
        assert means[1] == pytest.approx(means[0] + 50, abs=1e-3)
        assert means[2] == pytest.approx(means[0] - 50, abs=1e-3)
        ws.send_text("{not json")
        assert "not valid JSON" in assert_envelope(ws.receive_text(), 400, "invalid_json")[
            "message"]
        ws.send_text(json.dumps({"kernel": [[1, 2], [3]], "image": image_id}))
        err = assert_envelope(ws.receive_text(), 422, "invalid_kernel")
        assert err["details"]["field"] == "kernel"  # named as over HTTP, not "spec.kernel"
        ws.send_text(json.dumps({"kernel": [[1]], "stride": 99, "image": image_id}))
        assert assert_envelope(ws.receive_text(), 422, "invalid_parameter")["details"][
            "field"] == "stride"
        ws.send_text(json.dumps({"kernel": [[1]], "image": "0" * 32}))
        assert_envelope(ws.receive_text(), 404, "image_not_found")
        ws.send_text(json.dumps({"kernel": [[1]]}))  # which image?
        assert_envelope(ws.receive_text(), 422, "invalid_parameter")
        ws.send_text(json.dumps({"kernel": [[1]], "image": image_id, "extra": 1}))
        assert_envelope(ws.receive_text(), 422, "invalid_parameter")
        ws.send_text(json.dumps({"kernel": [[1]], "image": image_id, "pad": "x" * MAX_JSON_BYTES}))
        assert_envelope(ws.receive_text(), 413, "request_too_large")
        ws.send_bytes(json.dumps({"kernel": [[1]], "image": image_id}).encode())
        assert frame(ws)[1]  # a binary message is read like a text one


def test_a_full_gate_answers_busy_on_the_live_connection_too(settings):
    app = create_app(replace(settings, max_jobs=1, max_queue=0))
    with TestClient(app) as client:
        photo = client.get("/api/samples").json()[0]["id"]
        image = client.post(f"/api/samples/{photo}/image").json()["id"]
        with client.websocket_connect(LIVE) as ws, app.state.services.gate.slot():
            ws.send_text(json.dumps({"kernel": [[1]], "image": image}))
            assert "retry" in assert_envelope(ws.receive_text(), 503, "busy")["message"]
        with client.websocket_connect(LIVE) as ws:  # the slot is free again
            ws.send_text(json.dumps({"kernel": [[1]], "image": image}))
            assert frame(ws)[0]["summary"]["output"]["channels"] == 1


@pytest.mark.parametrize(("drawn_scale", "size"), [(None, (64, 48)), (1.0, (64, 48)),
                                                   (0.6, (64, 48)), (0.5, (32, 24)),
                                                   (0.2, (16, 12))])
def test_a_frame_drawn_at_half_size_or_less_comes_halved(client, image_id, drawn_scale, size):
    with client.websocket_connect(LIVE) as ws:
        ws.send_text(json.dumps({"kernel": SOBEL_X, "channels": "rgb", "image": image_id,
                                 "drawn_scale": drawn_scale}))
        head, picture = frame(ws)
    assert Image.open(io.BytesIO(picture)).size == size
    assert head["summary"]["output"] == {"height": 48, "width": 64, "channels": 3}
    ws_bad = {"kernel": SOBEL_X, "image": image_id, "drawn_scale": 0}
    with client.websocket_connect(LIVE) as ws:
        ws.send_text(json.dumps(ws_bad))
        assert_envelope(ws.receive_text(), 422, "invalid_parameter")


def test_a_live_edit_past_the_admission_limit_is_busy_before_it_takes_a_thread(settings):
    app = create_app(replace(settings, max_jobs=1, max_queue=1))
    with TestClient(app) as client:
        photo = client.get("/api/samples").json()[0]["id"]
        image = client.post(f"/api/samples/{photo}/image").json()["id"]
        gate = app.state.services.gate
        with client.websocket_connect(LIVE) as ws:
            gate.in_flight = gate.capacity  # as if two HTTP requests were being answered
            ws.send_text(json.dumps({"kernel": [[1]], "image": image}))
            assert_envelope(ws.receive_text(), 503, "busy")
            gate.in_flight = 0
            ws.send_text(json.dumps({"kernel": [[1]], "image": image}))
            assert frame(ws)[1]
        assert gate.in_flight == 0  # every admitted edit left again
