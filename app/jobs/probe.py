"""The queue's own probe: a job that only waits, reporting progress as real jobs do.

Not reachable over HTTP; the benchmark submits it to time the queue itself (an
empty job, queued to done) and the fault tests to have a job that is surely
running when its worker is killed.
"""

from __future__ import annotations

import time
from typing import Any

from app.jobs.system import JobContext, Kind

PROBE_MAX_S = 60.0


def run_probe(ctx: JobContext, params: dict[str, Any]) -> None:
    seconds = min(float(params.get("seconds", 0.0)), PROBE_MAX_S)
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ctx.progress(1 - left / seconds if seconds else 1.0, f"{left:.1f} s to go")
        time.sleep(min(0.05, left))


KINDS = [Kind("probe", run_probe, PROBE_MAX_S + 5)]
