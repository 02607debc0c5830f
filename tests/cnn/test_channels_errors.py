"""The channels routes' contract with a random-weight model: bad input answers a clear 4xx,
and finished pictures are kept on disk for the next process."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app
from tests.conftest import assert_error


@pytest.fixture
def make_client(random_model, tmp_path):
    def make(**changes):
        settings = replace(Settings.from_env(), load_model=False,
                           channels_cache_dir=tmp_path / "cache", **changes)
        return TestClient(create_app(settings, model=random_model))
    return make


def finish(c, job: dict) -> dict:
    deadline = time.monotonic() + 300
    while job["status"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
        job = c.get(job["url"]).json()
    return job


def test_bad_stage_channel_and_settings_name_the_problem(make_client):
    with make_client(job_workers=0) as c:
        assert_error(c.post("/api/stages/stage9/channels/0/visualization"), 404, "not_found")
        assert_error(c.post("/api/stages/stage4.2/channels/0/visualization"), 404, "not_found")
        err = assert_error(c.post("/api/stages/stem/channels/32/visualization"), 404, "not_found")
        assert "0-31" in err["message"]
        for body in ({"size": 1000}, {"steps": 0}, {"seed": -1}, {"size": "big"}, {"zoom": 2}):
            err = assert_error(c.post("/api/stages/stem/channels/0/visualization", json=body),
                               422, "invalid_parameter")
        assert_error(c.get("/api/stages/stem/channels/0/visualization?size=20"), 422,
                     "invalid_parameter")
        assert_error(c.get("/api/stages/head/channels/1280/top-patches"), 404, "not_found")
        assert_error(c.get("/api/stages/stem/channels/0/top-patches?k=0"), 422,
                     "invalid_parameter")
        assert_error(c.get("/api/channels/visualizations/nojob/preview"), 404, "not_found")


def test_nothing_is_served_before_it_is_made_and_409_while_it_runs(make_client):
    with make_client(job_workers=0) as c:  # jobs are queued, never run
        url = "/api/stages/stem/channels/1/visualization"
        err = assert_error(c.get(url), 404, "not_found")
        assert "POST" in err["message"]
        job = c.post(url, json={"steps": 8}).json()["job"]
        assert job["status"] == "queued"
        assert_error(c.get(url + "?steps=8"), 409, "conflict")
        assert_error(c.get(f"/api/channels/visualizations/{job['id']}/preview"), 404,
                     "not_found")
        err = assert_error(c.get("/api/stages/stem/channels/1/top-patches"), 409, "conflict")
        index_job = c.get(err["details"]["job"]).json()
        assert index_job["kind"] == "channel-index"  # the first use started the indexing
        assert c.get("/api/channels/dataset").json() | {"licences": None} == {
            "photos": 200, "ready": False, "licences": None,
            "credits": "/static/dataset/CREDITS.tsv", "source": "gcompris-qt-data 3.1-2"}


def test_a_finished_picture_is_kept_on_disk_for_the_next_process(make_client):
    with make_client() as c:
        job = c.post("/api/stages/stem/channels/2/visualization",
                     json={"steps": 8, "size": 64}).json()["job"]
        job = finish(c, job)
        assert job["status"] == "done" and job["extra"]["preview_step"] == 8
        first = c.get(job["result"]).content
        assert c.get(f"/api/channels/visualizations/{job['id']}/preview").content == first
        assert_error(c.get(f"/api/channels/visualizations/{job['id'][::-1]}/preview"), 404,
                     "not_found")
    with make_client(job_workers=0) as c:  # a new process: no job, the disk has it
        assert c.get(job["result"]).content == first
