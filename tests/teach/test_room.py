"""Room for projects in one process: a burst of new projects (or lessons) never drops a
project a job works on or a person used recently; once only such projects are held, new
ones are refused with 503 busy instead."""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.teach.memory_store import MAX_PROJECTS, RECENT_S
from tests.conftest import assert_error
from tests.teach.test_store import Clock


@pytest.fixture
def quiet(settings, random_model):
    """Projects in memory; jobs are queued (two at most) but none runs."""
    app = create_app(replace(settings, job_workers=0, max_jobs_queued=2), model=random_model)
    with TestClient(app) as c:
        yield c


def test_a_burst_of_new_projects_spares_one_with_a_job_and_one_in_use(quiet):
    c = quiet
    lesson = c.post("/api/projects/demo").json()  # a project whose lesson job is queued
    in_use = c.post("/api/projects").json()["id"]
    c.get(f"/api/projects/{in_use}")
    answers = [c.post("/api/projects") for _ in range(MAX_PROJECTS + 8)]
    assert [r.status_code for r in answers].count(201) == MAX_PROJECTS - 2
    err = assert_error(answers[-1], 503, "busy")
    assert "try again in a few minutes" in err["message"]
    assert c.get(f"/api/projects/{lesson['id']}").status_code == 200
    assert c.get(lesson["job"]["url"]).json()["status"] == "queued"
    assert c.get(f"/api/projects/{in_use}").status_code == 200


def test_a_lesson_refused_as_busy_drops_no_project(quiet):
    """Even projects unused long enough to make room stay when the lesson is refused."""
    c = quiet
    store = c.app.state.services.projects
    store.clock = clock = Clock()
    for seed in range(2):  # the job queue is full
        assert c.post("/api/lessons/how-many-images", json={"seed": seed}).status_code == 202
    made = [c.post("/api/projects").json()["id"] for _ in range(MAX_PROJECTS)]
    clock.wait(RECENT_S + 1)  # none used since: any may go to make room
    assert_error(c.post("/api/projects/demo"), 503, "busy")
    assert store.count() == MAX_PROJECTS
    assert [store.read(pid).id for pid in made] == made
