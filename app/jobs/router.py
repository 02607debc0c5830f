"""Following and cancelling jobs, whatever their kind."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.http.deps import ClientDep, ServicesDep
from app.http.responses import COMMON_ERRORS, errors
from app.jobs.schemas import JobInfo

router = APIRouter(prefix="/api/jobs", tags=["jobs"], responses=COMMON_ERRORS)

JobId = Annotated[str, Path(max_length=40)]


@router.get("/{job_id}", responses=errors(404, 422), summary="A job's status and progress")
def get_job(job_id: JobId, services: ServicesDep) -> JobInfo:
    return JobInfo.of(services.jobs.get(job_id))


@router.delete("/{job_id}", responses=errors(404, 409, 422),
               summary="Cancel a job (a running one stops at its next progress report); "
                       "only a client that asked for it may, and not while other clients "
                       "wait for it too (409: it goes on for them)")
def cancel_job(job_id: JobId, services: ServicesDep, client: ClientDep) -> JobInfo:
    return JobInfo.of(services.jobs.cancel(job_id, client.id))
