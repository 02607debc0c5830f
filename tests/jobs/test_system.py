"""The job system on both backends: running, progress, errors, cancelling, bounds, sharing,
and taking back a job whose worker vanished."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.errors import Busy, Conflict, InvalidParameter, NotFound
from app.core.gate import JobGate
from app.jobs import system
from app.jobs.record import MAX_CLIENTS, Client, JobRecord
from app.jobs.store import MemoryJobs, RedisJobs
from app.jobs.system import Jobs, Kind
from app.jobs.workers import JobWorkers
from tests.support.gate import hold_slot
from tests.support.servers import redis_server


def wait_until(check, seconds: float = 30.0):
    """The first truthy value of ``check()``; generous, because the machine may be busy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


gate = threading.Event()  # the "blocked" kind waits on it


def _count(ctx, params):
    for i in range(params["n"]):
        ctx.progress(i / params["n"], f"step {i + 1} of {params['n']}", force=True, step=i + 1)
    return f"/result/{params['n']}"


def _blocked(ctx, params):
    while not gate.wait(0.01):
        ctx.progress(0.5, "waiting for the test")


release = threading.Event()  # the "quiet" kind reports once, when it is set


def _quiet(ctx, params):
    release.wait(30)
    ctx.progress(0.5, "released", force=True)


def _refuse(ctx, params):
    raise InvalidParameter("epochs: must be positive", field="epochs")


def _crash(ctx, params):
    raise ZeroDivisionError


KINDS = [Kind("count", _count, 30), Kind("blocked", _blocked, 30),
         Kind("refuse", _refuse, 30), Kind("crash", _crash, 30), Kind("slow", _blocked, 0.2),
         Kind("quiet", _quiet, 60)]


@pytest.fixture(params=["memory", "redis"])
def jobs(request):
    from huey import MemoryHuey, RedisHuey

    gate.clear()
    release.clear()

    def build(store, queue):
        j = Jobs(store, queue, max_queued=3, max_per_client=2)
        for kind in KINDS:
            j.register(kind)
        return j

    if request.param == "memory":
        yield build(MemoryJobs(ttl_s=60), MemoryHuey("test", results=False))
    else:
        with redis_server() as url:
            yield build(RedisJobs(url, ttl_s=60),
                        RedisHuey("test", url=url, results=False, blocking=True, read_timeout=1))
    gate.set()


@pytest.fixture
def running(jobs):
    workers = JobWorkers(jobs, count=1)
    workers.start()
    yield jobs
    gate.set()
    workers.stop()


def finished(jobs, job_id: str) -> JobRecord:
    return wait_until(lambda: (r := jobs.get(job_id)) and not r.active and r)


def run_to_end(jobs, job_id: str) -> JobRecord:
    """A fresh worker runs the queued job ``job_id`` to its end: its final record."""
    workers = JobWorkers(jobs, count=1)
    workers.start()
    try:
        return finished(jobs, job_id)
    finally:
        workers.stop()


def test_a_job_runs_reports_progress_and_links_its_result(running):
    record = running.submit("count", {"n": 5}, client="a")
    assert record.status == "queued" and record.message == "waiting for a worker"
    done = finished(running, record.id)
    assert done.status == "done" and done.progress == 1.0
    assert done.result == "/result/5" and done.extra == {"step": 5} and done.attempts == 1
    assert done.started_at >= done.queued_at and done.finished_at >= done.started_at


def test_a_refused_job_fails_with_its_envelope_and_a_crash_says_so_plainly(running):
    refused = finished(running, running.submit("refuse", {}, client="a").id)
    assert refused.status == "failed"
    assert refused.error == {"status": 422, "code": "invalid_parameter",
                             "message": "epochs: must be positive",
                             "details": {"field": "epochs"}}
    crashed = finished(running, running.submit("crash", {}, client="a").id)
    assert crashed.error["code"] == "internal_error"
    assert "ZeroDivisionError" in crashed.error["message"]


def test_cancelling_stops_a_running_job_at_its_next_report(running):
    record = running.submit("blocked", {}, client="a")
    wait_until(lambda: running.get(record.id).status == "running")
    assert running.cancel(record.id, "a").message == "cancelling..."
    assert finished(running, record.id).status == "cancelled"


def test_a_job_past_its_time_limit_is_failed_not_hung(running):
    record = finished(running, running.submit("slow", {}, client="a").id)
    assert record.status == "failed" and record.error["code"] == "job_time_limit"


def test_identical_requests_share_one_job(running):
    first = running.submit("count", {"n": 3}, client="a", key="same")
    second = running.submit("count", {"n": 3}, client="b", key="same")
    assert second.id == first.id
    finished(running, first.id)
    assert running.submit("count", {"n": 3}, client="c", key="same").id == first.id  # done
    other = running.submit("count", {"n": 3}, client="c", key="other")
    assert other.id != first.id


def test_every_client_that_asked_is_recorded_and_only_a_sole_client_cancels(jobs):
    """Identical requests share one job: a stranger cannot cancel it (404), one of several
    clients cannot cancel it for the others (409, it goes on), its sole client can."""
    shared = jobs.submit("count", {"n": 1}, client="alice", key="same")
    assert jobs.submit("count", {"n": 1}, client="bob", key="same").id == shared.id
    assert jobs.submit("count", {"n": 1}, client="bob", key="same").id == shared.id
    assert jobs.get(shared.id).clients == ["alice", "bob"]
    with pytest.raises(NotFound, match="not asked for by this page"):
        jobs.cancel(shared.id, "mallory")
    for client in ("bob", "alice"):
        with pytest.raises(Conflict, match="1 other page asked for this same work") as refused:
            jobs.cancel(shared.id, client)
        assert refused.value.details == {"others": 1, "status": "queued"}
    assert jobs.get(shared.id).status == "queued" and not jobs.get(shared.id).cancel_requested
    alone = jobs.submit("count", {"n": 2}, client="bob", key="other")
    with pytest.raises(NotFound):
        jobs.cancel(alone.id, "alice")
    assert jobs.cancel(alone.id, "bob").status == "cancelled"
    # Cancelled, the work is queued afresh for whoever asks again, who is its sole client.
    again = jobs.submit("count", {"n": 2}, client="alice", key="other")
    assert again.id != alone.id and again.clients == ["alice"]


def test_a_shared_running_job_goes_on_when_one_client_asks_to_cancel_it(running):
    record = running.submit("blocked", {}, client="alice", key="shared")
    running.submit("blocked", {}, client="bob", key="shared")
    wait_until(lambda: running.get(record.id).status == "running")
    with pytest.raises(Conflict) as refused:
        running.cancel(record.id, "alice")
    assert refused.value.details["status"] == "running"
    gate.set()
    assert finished(running, record.id).status == "done"


def test_past_the_named_clients_a_stranger_is_told_others_wait_too(jobs):
    shared = jobs.submit("count", {"n": 1}, client="c0", key="crowd")
    for i in range(1, MAX_CLIENTS + 5):
        jobs.submit("count", {"n": 1}, client=f"c{i}", key="crowd")
    assert len(jobs.get(shared.id).clients) == MAX_CLIENTS
    with pytest.raises(Conflict):  # c40 joined unnamed: not told it never asked
        jobs.cancel(shared.id, f"c{MAX_CLIENTS + 2}")
    assert jobs.get(shared.id).status == "queued"


def test_bounds_per_client_and_in_all_refuse_before_queueing(jobs):
    """No worker runs here: what is queued stays queued."""
    a1 = jobs.submit("count", {"n": 1}, client="a")
    jobs.submit("count", {"n": 1}, client="a")
    with pytest.raises(Busy, match="You have 2 jobs"):
        jobs.submit("count", {"n": 1}, client="a")
    jobs.submit("count", {"n": 1}, client="b")
    with pytest.raises(Busy, match="3 jobs are waiting"):
        jobs.submit("count", {"n": 1}, client="c")
    assert jobs.cancel(a1.id, "a").status == "cancelled"  # a queued job ends at once
    assert jobs.submit("count", {"n": 1}, client="c").status == "queued"
    assert len(jobs.store.active()) == 3


def test_rotating_client_ids_from_one_address_meet_the_address_bound(jobs):
    """A client id is the page's to choose; its peer address is not: one address gets
    ``max_per_address`` (wider than a client's, here 2 -> 3 for a queue of 6) in all."""
    jobs.max_queued = 6
    jobs.max_per_address = 3
    for i in range(3):
        jobs.submit("count", {"n": 1}, client=Client(f"c:{i}", "10.0.0.7"))
    with pytest.raises(Busy, match="Your network address has 3 jobs"):
        jobs.submit("count", {"n": 1}, client=Client("c:fresh", "10.0.0.7"))
    assert jobs.submit("count", {"n": 1}, client=Client("c:fresh", "10.0.0.8")).status == "queued"
    # Joining identical work adds none: it is not refused.
    jobs.submit("count", {"n": 2}, client=Client("c:a", "10.0.0.9"), key="shared")
    assert jobs.submit("count", {"n": 2}, client=Client("c:b", "10.0.0.7"), key="shared")


def test_the_address_bound_is_wider_than_a_clients_and_half_the_queue():
    from huey import MemoryHuey

    made = Jobs(MemoryJobs(ttl_s=60), MemoryHuey("bounds", results=False), max_queued=16,
                max_per_client=4)
    assert made.max_per_address == 8
    small = Jobs(MemoryJobs(ttl_s=60), MemoryHuey("bounds", results=False), max_queued=2,
                 max_per_client=4)
    assert small.max_per_address == 4


def _slow_to_count(store) -> None:
    """Make ``store.active`` slow, as under load: every request of a burst reads the count
    before any of them has created its job."""
    read = store.active

    def active():
        found = read()
        time.sleep(0.05)
        return found

    store.active = active


def _burst(submitters: list[Jobs], count: int) -> tuple[int, int]:
    """``count`` submissions at once (a barrier), spread over ``submitters``; (queued, busy)."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            submitters[i % len(submitters)].submit("count", {"n": 1}, client=f"c{i}")
            outcomes.append("queued")
        except Busy:
            outcomes.append("busy")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes.count("queued"), outcomes.count("busy")


def test_a_burst_at_once_never_queues_past_the_bound(jobs):
    _slow_to_count(jobs.store)
    assert _burst([jobs], 10) == (3, 7)
    assert sum(1 for r in jobs.store.active() if r.status == "queued") == 3


def test_processes_sharing_redis_never_queue_past_the_bound_together():
    """Two processes' job systems on one Redis (each with its own lock): the store's lock
    makes the check and the create one step across them."""
    from huey import RedisHuey

    with redis_server() as url:
        def process() -> Jobs:
            j = Jobs(RedisJobs(url, ttl_s=60), RedisHuey("test", url=url, results=False),
                     max_queued=3, max_per_client=2)
            j.register(KINDS[0])
            _slow_to_count(j.store)
            return j

        assert _burst([process(), process()], 10) == (3, 7)


def test_a_cancelled_queued_job_never_runs(jobs):
    record = jobs.submit("count", {"n": 2}, client="a")
    jobs.cancel(record.id, "a")
    workers = JobWorkers(jobs, count=1)
    workers.start()
    try:
        later = jobs.submit("count", {"n": 1}, client="a")
        finished(jobs, later.id)  # the queue moved past the cancelled one
    finally:
        workers.stop()
    assert jobs.get(record.id).status == "cancelled" and jobs.get(record.id).attempts == 0


def _as_if_its_worker_vanished(jobs, job_id: str, attempts: int) -> None:
    """Make a job look claimed by a process that stopped renewing its lease long ago."""
    def vanish(r: JobRecord) -> bool:
        r.status, r.worker, r.attempts = "running", "lost-host:1", attempts
        r.started_at = r.heartbeat = time.time() - system.LEASE_S - 1
        return True

    jobs.store.update(job_id, vanish)


def test_a_job_whose_worker_vanished_is_run_again_by_another(jobs):
    record = jobs.submit("count", {"n": 2}, client="a")
    jobs.queue.dequeue()  # the lost worker had taken it off the queue
    _as_if_its_worker_vanished(jobs, record.id, attempts=1)
    jobs.reap()
    requeued = jobs.get(record.id)
    assert requeued.status == "queued" and "worker stopped" in requeued.message
    done = run_to_end(jobs, record.id)
    assert done.status == "done" and done.attempts == 2 and done.worker == system.worker_id()


def test_a_job_that_lost_its_worker_twice_fails_with_a_clear_message(jobs):
    record = jobs.submit("count", {"n": 2}, client="a")
    _as_if_its_worker_vanished(jobs, record.id, attempts=system.MAX_ATTEMPTS)
    jobs.reap()
    failed = jobs.get(record.id)
    assert failed.status == "failed" and "stopped (2 times)" in failed.error["message"]


def test_a_live_worker_keeps_its_lease(running):
    record = running.submit("blocked", {}, client="a")
    wait_until(lambda: running.get(record.id).status == "running")
    running.reap()  # its heartbeat is fresh: nothing to take back
    assert running.get(record.id).status == "running"


def test_unknown_jobs_are_404(jobs):
    with pytest.raises(NotFound):
        jobs.get("nope")
    with pytest.raises(NotFound):
        jobs.cancel("0" * 16, "a")


def _saves(ctx, params):
    ctx.save_result("result.json", b'{"ok": true}')
    return "/somewhere"


def test_a_finished_result_is_served_only_once_done(jobs):
    from app.core.errors import Conflict

    jobs.register(Kind("saves", _saves, 30))
    record = jobs.submit("saves", {}, client="a")
    with pytest.raises(Conflict, match="queued"):
        jobs.finished_result(record.id, "saves", "result.json")
    with pytest.raises(NotFound, match="not a count job"):
        jobs.finished_result(record.id, "count", "result.json")
    workers = JobWorkers(jobs, count=1)
    workers.start()
    try:
        finished(jobs, record.id)
    finally:
        workers.stop()
    assert jobs.finished_result(record.id, "saves", "result.json") == b'{"ok": true}'
    with pytest.raises(NotFound, match="no longer kept"):
        jobs.finished_result(record.id, "saves", "other.json")


def test_work_another_job_did_is_recorded_done_and_found_by_its_key(jobs):
    kept = jobs.record_done("count", {"n": 2}, client="job:x", key="k:1",
                            results={"picture": b"png"}, result="/result/kept",
                            message="done (computed by job x)")
    assert kept.status == "done" and kept.progress == 1.0 and kept.result == "/result/kept"
    assert jobs.store.live("k:1").id == kept.id
    assert jobs.finished_result(kept.id, "count", "picture") == b"png"
    # A key some live job holds stays that job's: nothing is recorded over it.
    assert jobs.record_done("count", {"n": 2}, client="job:y", key="k:1", results={},
                            result="/elsewhere", message="done") is None
    # Asking for the same work again joins the recorded job instead of queueing another.
    assert jobs.submit("count", {"n": 2}, client="a", key="k:1").id == kept.id


cpu = JobGate(max_jobs=1, max_queue=0, timeout_s=0.1)  # the "gated" kind's CPU slots


def _gated(ctx, params):
    with cpu.slot():
        return "/ran"


def test_a_job_waits_for_a_cpu_slot_live_requests_hold_instead_of_failing_busy(running):
    running.register(Kind("gated", _gated, 30))
    holder, release = hold_slot(cpu)
    try:
        record = running.submit("gated", {}, client="a")
        wait_until(lambda: running.get(record.id).status == "running")
        time.sleep(0.6)  # six times the web's wait: a request would have had 503 by now
        assert running.get(record.id).status == "running"
    finally:
        release.set()
        holder.join()
    done = finished(running, record.id)
    assert done.status == "done" and done.result == "/ran"


def test_a_job_waiting_for_a_cpu_slot_can_still_be_cancelled_or_run_out_of_time(running):
    running.register(Kind("gated", _gated, 30))
    running.register(Kind("gated-briefly", _gated, 0.3))
    holder, release = hold_slot(cpu)
    try:
        record = running.submit("gated", {}, client="a")
        wait_until(lambda: running.get(record.id).status == "running")
        running.cancel(record.id, "a")
        assert finished(running, record.id).status == "cancelled"
        late = finished(running, running.submit("gated-briefly", {}, client="a").id)
        assert late.status == "failed" and late.error["code"] == "job_time_limit"
    finally:
        release.set()
        holder.join()


def test_a_stopping_process_hands_its_running_job_back_for_the_next_worker(jobs):
    """Ctrl+C or a deploy stops a process's workers mid-job: the job hands itself back at its
    next report (its start not counted, no lease to wait out), the worker threads end, and
    the next worker runs the job to the end."""
    record = jobs.submit("blocked", {}, client="a")
    first = JobWorkers(jobs, count=1)
    first.start()
    try:
        wait_until(lambda: jobs.get(record.id).status == "running")
    finally:
        first.stop(timeout_s=30)
    assert not any(thread.is_alive() for thread in first._threads)
    back = jobs.get(record.id)
    assert back.status == "queued" and back.attempts == 0 and back.worker is None
    assert back.message == "its server stopped; waiting for another worker"
    gate.set()
    done = run_to_end(jobs, record.id)
    assert done.status == "done" and done.attempts == 1


def test_a_job_cancelled_as_its_process_stops_ends_cancelled_not_queued(jobs):
    """The page asked to cancel and the process stops before the job's next report: at that
    report the stop is seen first, and the job ends cancelled instead of going back to the
    queue to be started and cancelled again."""
    record = jobs.submit("quiet", {}, client="a")
    workers = JobWorkers(jobs, count=1)
    workers.start()
    try:
        wait_until(lambda: jobs.get(record.id).status == "running")
        assert jobs.cancel(record.id, "a").cancel_requested
        jobs.stopping.set()
        release.set()
    finally:
        workers.stop(timeout_s=30)
    ended = jobs.get(record.id)
    assert ended.status == "cancelled" and jobs.queue.dequeue() is None


def test_a_task_taken_while_its_process_stops_goes_back_unclaimed(jobs):
    record = jobs.submit("count", {"n": 1}, client="a")
    jobs.stopping.set()
    task = jobs.queue.dequeue()
    jobs.queue.execute(task)
    again = jobs.get(record.id)  # never claimed: as it was queued, and on the queue again
    assert (again.status, again.message, again.started_at) == ("queued", "waiting for a worker",
                                                               None)
    assert jobs.queue.dequeue() is not None
