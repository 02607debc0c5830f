"""Property-based fuzzing of every operation from the app's own OpenAPI schema: no 5xx, and
every answer is one the schema declares (status, media type, body shape)."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.core.settings import Settings
from app.main import create_app
from tests.support.photos import make_image

CONTRACT = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="session")
def fuzzed_app(random_model):
    """The app under fuzzing, with a random-weight CNN: plumbing, not numbers. Jobs are
    accepted (202) but none runs: this checks the HTTP contract, and hundreds of fuzzed
    lessons must not keep the CPU busy for the rest of the suite."""
    settings = replace(Settings.from_env(), load_model=False, job_workers=0,
                       max_jobs_queued=100_000, max_jobs_per_client=100_000)
    app = create_app(settings, model=random_model)
    with TestClient(app):  # runs the lifespan
        yield app


@pytest.fixture(scope="session")
def real_ids(fuzzed_app) -> dict[str, str]:
    """Ids that exist, so fuzzed requests also reach the code behind the 404s."""
    with TestClient(fuzzed_app) as c:
        image = c.post("/api/images", files={"file": ("f.png", make_image(40, 30))}).json()["id"]
        pid = c.post("/api/projects").json()["id"]
        cid = c.post(f"/api/projects/{pid}/classes", json={"name": "a"}).json()["id"]
    return {"image_id": image, "pid": pid, "cid": cid}


@pytest.fixture(scope="session")
def api_schema(fuzzed_app):
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)


schema = schemathesis.pytest.from_fixture("api_schema")


def _no_constants(name: str) -> None:
    raise AssertionError(f"{name} in a JSON response")


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case, real_ids):
    params = case.path_parameters or {}
    if zlib.crc32(repr(case.body).encode() + repr(case.query).encode()) % 3:
        for name in params.keys() & real_ids.keys():  # real ids reach the code behind the 404
            params[name] = real_ids[name]
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.path_parameters,
                                        case.query, response.text[:300])
    case.validate_response(response, checks=CONTRACT)
    ctype = (response.headers.get("content-type") or [""])[0]
    if ctype.startswith("application/json"):
        body = json.loads(response.text, parse_constant=_no_constants)  # finite JSON only
        if response.status_code >= 400:
            assert set(body) == {"error"} and body["error"]["status"] == response.status_code


def test_the_schema_declares_the_envelope_not_fastapis_detail(fuzzed_app):
    spec = fuzzed_app.openapi()
    text = json.dumps(spec)
    assert "HTTPValidationError" not in text and '"detail"' not in text
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            declared = op["responses"]
            assert {"500", "413"} <= declared.keys(), (method, path)
            ok = next(code for code in declared if code.startswith("2"))
            assert declared[ok].get("content") or ok == "204", (method, path)
            for code, answer in declared.items():
                if code[0] in "45":
                    ref = answer["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorEnvelope"), (method, path, code)
