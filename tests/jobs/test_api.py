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
