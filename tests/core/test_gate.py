"""The job gate: a few CPU jobs at once, a short bounded wait, then 503 busy."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.core.errors import Busy
from app.core.gate import JobGate, patient
from app.main import create_app
from tests.conftest import assert_error
from tests.support.gate import hold_slot


def test_a_job_waits_for_a_free_slot_then_runs():
    gate = JobGate(max_jobs=1, max_queue=1, timeout_s=5)
    holding, release, ran = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with gate.slot():
            holding.set()
            release.wait(5)

    def second() -> None:
        with gate.slot():
            ran.set()

    t1 = threading.Thread(target=first)
    t1.start()
    holding.wait(5)
    t2 = threading.Thread(target=second)
    t2.start()
    assert not ran.wait(0.2)  # queued behind the running job
    release.set()
    assert ran.wait(5)
    t1.join()
    t2.join()


def test_a_full_queue_and_a_long_wait_are_both_busy():
    gate = JobGate(max_jobs=1, max_queue=1, timeout_s=0.3)
    holding, release = threading.Event(), threading.Event()
    outcomes: list[str] = []

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(5)

    def wait_in_queue() -> None:
        try:
            with gate.slot():
                outcomes.append("ran")
        except Busy:
            outcomes.append("timed out")

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    queued = threading.Thread(target=wait_in_queue)
    queued.start()
    # The queue (one place) fills up while that one waits: the next is refused at once.
    for _ in range(200):
        if gate.waiting == 1:
            break
        threading.Event().wait(0.01)
    with pytest.raises(Busy), gate.slot():
        pass
    queued.join()  # its 0.3 s ran out while the holder still held the slot
    release.set()
    holder.join()
    assert outcomes == ["timed out"]
    with gate.slot():  # everything was released
        pass



def test_a_job_waits_for_a_slot_past_the_web_timeout_where_a_request_is_busy():
    """Live requests holding every slot: a web caller gets 503 after ``timeout_s``; a job
    (inside ``patient``) waits, checking in meanwhile, and runs once a slot frees."""
    gate = JobGate(max_jobs=1, max_queue=0, timeout_s=0.2)
    holder, release = hold_slot(gate)
    checks: list[float] = []
    ran = threading.Event()

    def job() -> None:
        with patient(lambda: checks.append(time.monotonic())), gate.slot():
            ran.set()

    waiter = threading.Thread(target=job)
    waiter.start()
    with pytest.raises(Busy), gate.slot():  # the web's queue holds none: refused at once
        pass
    assert not ran.wait(1.2)  # six times the web's timeout, and still waiting
    assert len(checks) >= 1  # it woke to check it was not cancelled
    release.set()
    assert ran.wait(5)
    waiter.join()
    holder.join()
    with gate.slot():  # every slot was given back
        pass


def test_a_patient_wait_ends_when_its_check_raises():
    """A job cancelled (or out of time) while it waits stops waiting, holding nothing."""
    gate = JobGate(max_jobs=1, max_queue=1, timeout_s=0.2)
    holder, release = hold_slot(gate)
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise TimeoutError("stopped")

    with pytest.raises(TimeoutError), patient(check), gate.slot():
        raise AssertionError("the slot was never free")
    assert len(calls) == 2
    release.set()
    holder.join()
    with gate.slot():
        pass


def test_requests_past_the_gate_capacity_get_503_busy_at_once(settings):
    """Two slots in all (1 job + 1 waiting): a third request in flight is refused before
    it takes a thread, and the health check is never gated."""
    app = create_app(replace(settings, max_jobs=1, max_queue=1))
    arrived = threading.Semaphore(0)
    release = threading.Event()

    def slow() -> dict:
        arrived.release()
        release.wait(10)
        return {"ok": True}

    app.add_api_route("/api/test-slow", slow)
    with TestClient(app) as client:
        answers: list[int] = []
        threads = [threading.Thread(target=lambda: answers.append(
            client.get("/api/test-slow").status_code)) for _ in range(2)]
        for t in threads:
            t.start()
        assert arrived.acquire(timeout=10) and arrived.acquire(timeout=10)
        err = assert_error(client.get("/api/test-slow"), 503, "busy")
        assert "retry" in err["message"]
        refused = client.post("/api/samples/dog_german_shepherd/image")
        assert_error(refused, 503, "busy")
        assert refused.headers["Retry-After"] == "1"
        assert client.get("/api/health").status_code == 200
        assert client.get("/").status_code == 200  # the page is not an API call
        release.set()
        for t in threads:
            t.join()
        assert answers == [200, 200]
        assert client.post("/api/samples/dog_german_shepherd/image").status_code == 201


def test_the_threadpool_has_a_thread_for_every_admitted_request(settings):
    import anyio.to_thread

    app = create_app(replace(settings, max_jobs=4, max_queue=100))

    async def tokens() -> dict:
        return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

    app.add_api_route("/api/test-tokens", tokens)
    with TestClient(app) as client:
        assert client.get("/api/test-tokens").json()["tokens"] >= 104
