"""Every hostile upload gets its 4xx and envelope, and the server keeps serving."""

from __future__ import annotations

import io
import json
import socket
import time

import httpx
import pytest

from tests.badinputs import corpus
from tests.conftest import assert_error, make_image
from tests.support.servers import convlens_server

CASES = corpus()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_upload_is_refused_with_its_code(client, case):
    r = client.post("/api/images", files={"file": ("photo.png", case.data, "image/png")})
    err = assert_error(r, case.status, case.code)
    assert len(json.dumps(err)) < 2000  # never the upload echoed back


def test_server_still_serves_after_the_whole_corpus(client):
    for case in CASES:
        client.post("/api/images", files={"file": ("x", case.data)})
    r = client.post("/api/images", files={"file": ("ok.png", make_image(10, 10), "image/png")})
    assert r.status_code == 201


@pytest.mark.parametrize("body", [
    {"kernel": "1" * 1_000_000},
    {"kernel": [[1] * 200_000]},
    {"kernel": [[[1, 2], [3, 4]]] * 5000},
])
def test_huge_parameters_are_not_echoed(client, image_id, body):
    r = client.post(f"/api/images/{image_id}/convolve", json=body)
    assert r.status_code == 422
    assert len(r.content) < 4000


@pytest.mark.parametrize("raw", [b"[]", b"null", b"1", b'"x"', b'{"kernel": [[1]], "x": 1e309}',
                                 b"\xff\xfe", b'{"kernel": [[1]], "bias": 1e400}'])
def test_odd_json_is_a_4xx(client, image_id, raw):
    r = client.post(f"/api/images/{image_id}/convolve", content=raw,
                    headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and "error" in r.json()


def test_too_large_upload_without_content_length_is_cut_off():
    """A chunked upload past the limit is refused while it streams, not after."""
    with convlens_server({"CONVLENS_MAX_UPLOAD_BYTES": str(256 * 1024)}) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /api/images HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                         b"Content-Type: multipart/form-data; boundary=b\r\n\r\n")
            part = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
                    b"Content-Type: image/png\r\n\r\n")
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part))
            start = time.monotonic()
            chunk = b"x" * 65536
            answered = b""
            try:
                for _ in range(200):  # would be 12.8 MB; the server must stop us early
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sock.settimeout(0.01)
                    try:
                        answered += sock.recv(4096)
                    except TimeoutError:
                        continue
                    if answered:
                        break
            except (BrokenPipeError, ConnectionResetError):
                pass
            sock.settimeout(5)
            while not answered.endswith(b"}"):  # the JSON envelope closes the response
                more = sock.recv(4096)
                if not more:
                    break
                answered += more
        assert answered.startswith(b"HTTP/1.1 413"), answered[:300]
        assert b"image_too_large" in answered
        assert time.monotonic() - start < 10
        assert httpx.get(base + "/api/health").status_code == 200


def test_fuzzed_kernel_values_never_5xx(client, image_id):
    rng = __import__("random").Random(5)
    for _ in range(200):
        h, w = rng.randint(1, 16), rng.randint(1, 16)
        kernel = [[rng.choice([0, 1, -1, 999.9, -1000, 1e-30, 0.5]) for _ in range(w)]
                  for _ in range(h)]
        body = {"kernel": kernel, "stride": rng.randint(1, 8), "dilation": rng.randint(1, 4),
                "padding": rng.choice(["same", "valid", 0, 5, 64]),
                "pool": rng.choice([None, {"kind": "avg", "size": rng.randint(1, 8),
                                           "stride": rng.randint(1, 8)}])}
        r = client.post(f"/api/images/{image_id}/convolve?as=json", json=body)
        assert r.status_code in (200, 422), r.text[:300]
        if r.status_code == 200:
            json.loads(r.text)  # finite JSON: the stdlib parser rejects nothing, so check:
            assert "NaN" not in r.text and "Infinity" not in r.text


def test_image_bytes_with_a_lying_name_are_judged_by_content(client):
    data = io.BytesIO()
    __import__("PIL.Image").Image.new("RGB", (5, 5)).save(data, "GIF")
    r = client.post("/api/images", files={"file": ("evil.svg", data.getvalue(), "image/svg+xml")})
    assert r.status_code == 201
