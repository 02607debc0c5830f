"""Every hostile upload gets its 4xx and envelope, and the server keeps serving."""

from __future__ import annotations

import io
import json
import socket

import httpx
import pytest

from tests.conftest import assert_error
from tests.support.badinputs import corpus
from tests.support.photos import make_image
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
    {"kernel": "1" * 60_000},
    {"kernel": [[1] * 20_000]},
    {"kernel": [[[1, 2], [3, 4]]] * 3000},
    {"kernel": [[1]], **{f"k{i}": 1 for i in range(5000)}},
])
def test_huge_parameters_are_not_echoed(client, image_id, body):
    r = client.post(f"/api/images/{image_id}/convolve", json=body)
    assert_error(r, 422, "invalid_kernel" if "k0" not in body else "invalid_parameter")
    assert len(r.content) < 4000


@pytest.mark.parametrize("chunked", [False, True])
def test_a_json_body_past_64_kib_is_refused_before_parsing(client, image_id, chunked):
    """8 MB of extra keys took the event loop 6 s to parse; such bodies never get there."""
    body = b'{"kernel": [[1]], ' + b",".join(b'"k%d": 1' % i for i in range(20_000)) + b"}"
    content = (body[i:i + 4096] for i in range(0, len(body), 4096)) if chunked else body
    r = client.post(f"/api/images/{image_id}/convolve", content=content,
                    headers={"Content-Type": "application/json"})
    err = assert_error(r, 413, "request_too_large")
    assert err["details"]["max_bytes"] == 64 * 1024 and "64 KiB" in err["message"]


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


def test_corpus_through_the_project_upload_too(client):
    """Adding a photo to a project decodes with the same checks and codes."""
    pid = client.post("/api/projects").json()["id"]
    cid = client.post(f"/api/projects/{pid}/classes", json={"name": "cats"}).json()["id"]
    for case in CASES:
        r = client.post(f"/api/projects/{pid}/classes/{cid}/images",
                        files={"file": ("cat.jpg", case.data, "image/jpeg")})
        assert_error(r, case.status, case.code)


def test_content_length_over_the_limit_gets_the_envelope(client):
    """Starlette's own limiter answers text/plain; the API promises its JSON envelope."""
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (11 * 2**20)
    err = assert_error(client.post("/api/images", files={"file": ("a.png", big)}),
                       413, "image_too_large")
    assert err["details"]["max_bytes"] == 10 * 2**20
    r = client.post("/api/images/x/convolve", content=b"[" + b"1," * (6 * 2**20) + b"1]",
                    headers={"Content-Type": "application/json"})
    assert_error(r, 413, "request_too_large")


def test_a_file_just_over_the_byte_limit_is_413_with_the_sizes(client):
    data = b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 2**20 - 7)
    err = assert_error(client.post("/api/images", files={"file": ("a.png", data)}),
                       413, "image_too_large")
    assert "10 MiB" in err["message"]
    assert f"{len(data):,} bytes" in err["message"]  # one byte over: the sizes tell apart


@pytest.mark.parametrize("body,field", [
    # Each just under the 64 KiB a JSON body may be (larger ones are refused unread).
    ({"kernel": [[1]], "k" * 60_000: 1}, "kkk"),
    ({"kernel": [[1]], "pool": {"z" * 60_000: 1}}, "pool.zzz"),
    ({"kernel": [["9" * 60_000]]}, "kernel"),
    ({"kernel": [[1]], "border": "w" * 60_000}, "border"),
    ({"kernel": [[1]], "padding": "p" * 60_000}, "padding"),
])
def test_large_names_and_values_are_never_echoed(client, image_id, body, field):
    r = client.post(f"/api/images/{image_id}/convolve", json=body)
    err = assert_error(r, 422, "invalid_kernel" if field == "kernel" else "invalid_parameter")
    assert err["message"].startswith(field)
    assert len(r.content) < 3000


@pytest.mark.parametrize("raw,field", [
    (b'{"kernel": [[1e309]]}', "kernel.0.0"),
    (b'{"kernel": [[-1e309, 1]]}', "kernel.0.0"),
    (b'{"kernel": [[1, 1' + b"0" * 309 + b']]}', "kernel.0.1"),  # an int past any float
    (b'{"kernel": [[1]], "bias": -1' + b"0" * 400 + b"}", "bias"),
    (b'{"kernel": [[1, NaN]]}', "kernel.0.1"),
    (b'{"kernel": [[[1]], [[1]], [[Infinity]]], "channels": "rgb"}', "kernel.2.0.0"),
    (b'{"kernel": [[1]], "bias": -Infinity}', "bias"),
    (b'{"kernel": [[1]], "bias": 1e7}', "bias"),
    (b'{"kernel": [[1]], "bias": true}', "bias"),
    (b'{"kernel": [[1]], "bias": "1"}', "bias"),
    (b'{"kernel": [[1]], "stride": 1.5}', "stride"),
    (b'{"kernel": [[1]], "stride": -3}', "stride"),
    (b'{"kernel": [[1]], "stride": 1e400}', "stride"),
    (b'{"kernel": [[1]], "dilation": 0}', "dilation"),
    (b'{"kernel": [[1]], "padding": 65}', "padding"),
    (b'{"kernel": [[1]], "padding": 2.0}', "padding"),
    (b'{"kernel": [[1]], "pool": {"size": 0}}', "pool.size"),
    (b'{"kernel": [[1]], "pool": {"stride": 9}}', "pool.stride"),
    (b'{"kernel": [[1]], "pool": {"kind": "min"}}', "pool.kind"),
    (b'{"kernel": [[1]], "pool": []}', "pool"),
    (b'{"kernel": [[1]], "relu": [true]}', "relu"),
    (b'{"kernel": [[1]], "display": null}', "display"),
])
def test_abused_parameters_name_the_field_cleanly(client, image_id, raw, field):
    r = client.post(f"/api/images/{image_id}/convolve", content=raw,
                    headers={"Content-Type": "application/json"})
    code = "invalid_kernel" if field.startswith("kernel") else "invalid_parameter"
    err = assert_error(r, 422, code)
    assert err["message"].startswith(field + ":"), err["message"]
    assert "[" not in err["message"].split(":")[0]  # no pydantic union tags in the path
    if any(word in raw for word in (b"e309", b"NaN", b"Infinity", b"0" * 309)):
        assert "finite" in err["message"]


@pytest.mark.parametrize("kernel,words", [
    ([[1] * 16], "16"), ([[1]] * 16, "16"), ([[1001]], "1000"), ([[-1000.5]], "1000"),
    ([[[1, 2]], [[1, 2]], [[1]]], "ragged"), ([[[1]], [[1]], [[1]], [[1]]], "3 slices"),
    ([[]], "non-empty"), ([[1], []], "ragged"),
])
def test_kernel_shape_and_range_messages(client, image_id, kernel, words):
    body = {"kernel": kernel, "channels": "rgb"}
    err = assert_error(client.post(f"/api/images/{image_id}/convolve", json=body),
                       422, "invalid_kernel")
    assert words in err["message"]


@pytest.mark.parametrize("body", [
    {"kernel": [[1] * 15] * 15, "padding": "valid", "stride": 8,
     "pool": {"kind": "max", "size": 8, "stride": 8}},
    {"kernel": [[1] * 15] * 15, "padding": 2, "dilation": 4},
    {"kernel": [[1]], "padding": "valid", "pool": {"size": 8, "stride": 8}, "stride": 8},
])
def test_layers_that_leave_no_output_are_422(client, image_id, body):
    err = assert_error(client.post(f"/api/images/{image_id}/convolve", json=body),
                       422, "invalid_parameter")
    assert "output" in err["message"]


@pytest.mark.parametrize("raw,words", [
    (b"[" * 5000 + b"]" * 5000, "nested"),  # deeper than the JSON parser's recursion limit
    (b'{"kernel": [[1' + b"0" * 5000 + b"]]}", "too long"),  # longer than Python will parse
    (b'{"kernel": [[1]]', "at character 16"),
    (b"kernel=1", "at character 0"),
    (b'{"kernel": [[1]]}\xff', "UTF-8"),
])
def test_unparseable_json_is_400_invalid_json(client, image_id, raw, words):
    r = client.post(f"/api/images/{image_id}/convolve", content=raw,
                    headers={"Content-Type": "application/json"})
    err = assert_error(r, 400, "invalid_json")
    assert words in err["message"] and "/openapi.json" in err["message"]
    assert "kernel" not in err["message"].split(")", 1)[-1]  # the advice names no route's field


@pytest.mark.parametrize("content,ctype", [
    (b"garbage", "multipart/form-data; boundary=zz"),
    (b"garbage", "multipart/form-data"),
    (b"file=abc", "application/x-www-form-urlencoded"),
    (b'{"file": 1}', "application/json"),
    (b"", "image/png"),
])
def test_malformed_upload_requests_are_4xx_envelopes(client, content, ctype):
    r = client.post("/api/images", content=content, headers={"Content-Type": ctype})
    assert 400 <= r.status_code < 500 and set(r.json()) == {"error"}
    assert r.json()["error"]["status"] == r.status_code


def test_every_error_body_is_finite_json(client, image_id):
    strict = {"parse_constant": lambda name: pytest.fail(f"{name} in a response")}
    for body in ({"kernel": [[1]], "bias": 1e6}, {"kernel": [[1000] * 15] * 15, "bias": -1e6},
                 {"kernel": [[1e-300]]}, {"kernel": [[1000, -1000]], "relu": True}):
        r = client.post(f"/api/images/{image_id}/convolve?as=json", json=body)
        assert r.status_code == 200
        json.loads(r.text, **strict)
        r = client.post(f"/api/images/{image_id}/inspect", json={**body, "x": 1, "y": 1})
        json.loads(r.text, **strict)
