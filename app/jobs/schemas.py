"""How a job looks over HTTP: ``GET /api/jobs/{id}`` and every ``202`` that started one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from app.core.schema import ErrorBody
from app.jobs.record import JobRecord, Status


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds")


class JobInfo(BaseModel):
    """A job's state. Poll it until ``status`` is done, failed or cancelled."""

    id: str
    kind: str
    status: Status
    progress: float = Field(ge=0, le=1)
    message: str = Field(description='what it is doing, for people: "fold 3 of 5"')
    queued_at: str = Field(description="ISO 8601, UTC")
    started_at: str | None
    finished_at: str | None
    attempts: int = Field(description="how many times a worker started it (2: its first "
                                      "worker stopped)")
    error: ErrorBody | None = Field(description="the error envelope's body, when it failed")
    result: str | None = Field(description="where the outcome is, once done")
    extra: dict[str, Any] = Field(description="figures of the kind while it runs")
    url: str = Field(description="this job: GET to follow it, DELETE to cancel it")

    @classmethod
    def of(cls, r: JobRecord) -> JobInfo:
        return cls(id=r.id, kind=r.kind, status=r.status, progress=r.progress, message=r.message,
                   queued_at=_iso(r.queued_at), started_at=_iso(r.started_at),
                   finished_at=_iso(r.finished_at), attempts=r.attempts, error=r.error,
                   result=r.result, extra=r.extra, url=f"/api/jobs/{r.id}")


class JobAccepted(BaseModel):
    """The answer to a request that started (or joined) a job."""

    job: JobInfo
