"""What the job system knows about one job: its state, progress, lease and outcome.

A record is plain data, stored as JSON (in this process or in Redis), so any
web process can answer ``GET /api/jobs/{id}`` for a job any worker runs.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["queued", "running", "done", "failed", "cancelled"]
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
REUSABLE: frozenset[str] = ACTIVE | {"done"}  # a job identical requests may share
MAX_CLIENTS = 32  # clients named per job: more may join, but are not named


@dataclass(frozen=True)
class Client:
    """Who asks for a job: the page's own id, and the peer address its request came from
    (None for work the server asks for itself: a job's sub-job, tests, benchmarks)."""

    id: str
    address: str | None = None


@dataclass
class JobRecord:
    id: str
    kind: str
    params: dict[str, Any]  # JSON: what the kind's function is called with
    client: str  # who submitted it (the per-client bound counts these)
    time_limit_s: float
    key: str | None = None  # identical requests share one job while it is queued, running or done
    status: Status = "queued"
    progress: float = 0.0  # 0-1
    message: str = "waiting for a worker"
    queued_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    heartbeat: float | None = None  # the running worker's last sign of life (its lease)
    attempts: int = 0  # how many times a worker started it
    worker: str | None = None  # host:pid of the worker running it
    cancel_requested: bool = False
    error: dict[str, Any] | None = None  # the error envelope's body when it failed
    result: str | None = None  # where the outcome is (a URL), once done
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific live figures
    address: str | None = None  # the submitter's peer address (the per-address bound)
    # Every client that asked for it, the submitter first: identical requests join one job,
    # and only a job's sole client may cancel it.
    clients: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.clients:  # a new record (or one written before clients were kept)
            self.clients = [self.client]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | bytes) -> JobRecord:
        return cls(**json.loads(text))
