"""Jobs over HTTP, on both backends: who may cancel a job (DELETE /api/jobs/{id})."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import assert_error
from tests.support.servers import redis_server


def page(name: str) -> dict[str, str]:
    """The header a page sends: its own random id."""
    return {"X-ConvLens-Client": name}


@pytest.fixture(params=["memory", "redis"])
def idle(request, settings):
    """An app that runs no job: what is queued stays queued."""
    quiet = replace(settings, job_workers=0)
    if request.param == "memory":
        with TestClient(create_app(quiet)) as c:
            yield c
        return
    with redis_server() as url, TestClient(create_app(
            replace(quiet, store_backend="redis", redis_url=url))) as c:
        yield c


def test_a_job_is_cancelled_only_by_its_sole_client(idle):
    jobs = idle.app.state.services.jobs
    shared = jobs.submit("probe", {"seconds": 1}, client="c:alice", key="probe:shared")
    assert jobs.submit("probe", {"seconds": 1}, client="c:bob", key="probe:shared").id == shared.id
    url = f"/api/jobs/{shared.id}"
    err = assert_error(idle.delete(url, headers=page("mallory")), 404, "not_found")
    assert "only the pages that asked for a job may cancel it" in err["message"]
    err = assert_error(idle.delete(url, headers=page("bob")), 409, "conflict")
    assert "goes on for them" in err["message"]
    assert err["details"] == {"others": 1, "status": "queued"}
    assert idle.get(url).json()["status"] == "queued"  # still there for alice and bob
    alone = jobs.submit("probe", {"seconds": 1}, client="c:carol")
    cancelled = idle.delete(f"/api/jobs/{alone.id}", headers=page("carol"))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_rotating_the_client_header_meets_the_bound_of_the_address(settings, random_model):
    """Seven pages' ids from one address against a queue of 12: six jobs (half the queue),
    then 503 naming the address, where the header alone let one address fill the queue."""
    quiet = replace(settings, job_workers=0, max_jobs_queued=12)
    with TestClient(create_app(quiet, model=random_model)) as c:
        started = [c.post("/api/lessons/how-many-images", json={"seed": i},
                          headers=page(f"rotating{i}")) for i in range(6)]
        assert [r.status_code for r in started] == [202] * 6
        refused = c.post("/api/lessons/how-many-images", json={"seed": 6},
                         headers=page("rotating6"))
        err = assert_error(refused, 503, "busy")
        assert "Your network address has 6 jobs" in err["message"]
        # Cancelling one (by the page that asked) makes room again.
        first = started[0].json()["job"]["url"]
        assert c.delete(first, headers=page("rotating0")).json()["status"] == "cancelled"
        again = c.post("/api/lessons/how-many-images", json={"seed": 6},
                       headers=page("rotating6"))
        assert again.status_code == 202


@pytest.mark.parametrize("path", [
    "/api/lessons/spurious", "/api/lessons/how-many-images",
    "/api/projects/{pid}/train", "/api/projects/{pid}/learning-curve",
    "/api/projects/{pid}/scratch", "/api/stages/stem/channels/0/visualization",
    "/api/images/{image}/faithfulness", "/api/images/{image}/sanity"])
def test_a_job_whose_body_is_optional_refuses_a_null_one(client, image_id, path):
    """No body or a JSON object: ``null`` is neither (FastAPI read it as no body)."""
    pid = client.post("/api/projects").json()["id"]
    url = path.format(pid=pid, image=image_id)
    r = client.post(url, content=b"null", headers={"content-type": "application/json"})
    err = assert_error(r, 422, "invalid_parameter")
    assert err["details"]["field"] == "body" and "not null" in err["message"]
