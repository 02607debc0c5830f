"""The threads that run jobs: in a web process (the default), or a ``convlens worker``.

Each process that runs jobs has ``count`` threads taking tasks from the Huey
queue, one thread renewing the leases of the jobs it runs, and one reaping the
jobs whose worker vanished. The model and stores are the process's own
(``Jobs.services``), built once when it starts, never once per job.
"""

from __future__ import annotations

import logging
import threading

from app.jobs.system import HEARTBEAT_S, Jobs

log = logging.getLogger("convlens.jobs")

IDLE_WAIT_S = 0.02  # the longest an idle worker waits before polling again (Redis blocks)
REAP_EVERY_S = 2.0


class JobWorkers:
    """Start with ``start()``, stop with ``stop()``; threads are daemons, so a process that
    exits mid-job leaves its jobs to another worker's reaper."""

    def __init__(self, jobs: Jobs, count: int, run_jobs: bool = True) -> None:
        self.jobs = jobs
        self.count = count if run_jobs else 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        self.jobs.stopping.clear()
        loops = [(self._work, f"job-worker-{i}") for i in range(self.count)]
        loops += [(self._every(HEARTBEAT_S, self.jobs.beat), "job-heartbeat"),
                  (self._every(REAP_EVERY_S, self.jobs.reap), "job-reaper")]
        for target, name in loops:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Ask every thread to stop. A job in progress hands itself back to the queue at its
        next progress report or check (``Jobs.stopping``); one that reports too rarely to
        do so within ``timeout_s`` is left to its lease, which lapses once the process has
        exited, and another worker's reaper takes it."""
        self._stop.set()
        self.jobs.stopping.set()
        self.jobs.queued_here.set()  # idle workers wake and see the stop
        for thread in self._threads:
            thread.join(timeout_s)

    def _work(self) -> None:
        queue = self.jobs.queue
        while not self._stop.is_set():
            try:
                task = queue.dequeue()  # Redis: blocks up to its read timeout
                if task is None:
                    # A task queued after the clear sets it again, so none waits a full poll.
                    self.jobs.queued_here.wait(IDLE_WAIT_S)
                    self.jobs.queued_here.clear()
                    continue
                queue.execute(task)
            except Exception:  # a worker thread never dies of one bad task or a Redis blip
                log.exception("job worker: task failed outside its job")
                self._stop.wait(1.0)

    def _every(self, seconds: float, action):
        def loop() -> None:
            while not self._stop.wait(seconds):
                try:
                    action()
                except Exception:
                    log.exception("job system: %s failed", getattr(action, "__name__", action))
        return loop
