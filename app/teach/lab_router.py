"""Teach's experiments over HTTP: the learning curve, the network trained from scratch and the
augmented views of a photo (mounted under ``/api/projects``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.http.deps import ClientDep, NoNullBody, ServicesDep
from app.http.responses import errors, media
from app.jobs.schemas import JobAccepted, JobInfo
from app.teach import curve, pixels, scratch, scratch_pictures
from app.teach.deps import Id
from app.teach.lab_schemas import (
    MAX_SCRATCH_EPOCHS,
    CurveRequest,
    LearningCurve,
    ScratchRequest,
    ScratchResult,
)

router = APIRouter()

JobId = Annotated[str | None, Query(max_length=40, description="default: the latest")]
Epoch = Annotated[int | None, Query(ge=0, le=MAX_SCRATCH_EPOCHS)]
_STARTS_A_JOB = errors(400, 404, 422)
_A_RESULT = errors(404, 409, 422)
_PNG = media("image/png")


@router.post("/{pid}/learning-curve", status_code=202, responses=_STARTS_A_JOB,
             dependencies=[NoNullBody],
             summary="Accuracy on held-out photos against photos per class: a job")
def learning_curve(pid: Id, services: ServicesDep, client: ClientDep,
                   body: CurveRequest | None = None) -> JobAccepted:
    job = curve.start(services, pid, body or CurveRequest(), client)
    return JobAccepted(job=JobInfo.of(job))


@router.get("/{pid}/learning-curve/{job_id}", responses=_A_RESULT,
            summary="A finished learning curve")
def learning_curve_result(pid: Id, job_id: Id, services: ServicesDep) -> LearningCurve:
    return curve.finished(services, pid, job_id)


@router.post("/{pid}/scratch", status_code=202, responses=_STARTS_A_JOB,
             dependencies=[NoNullBody],
             summary="Train the lecture's small CNN from scratch beside transfer learning: a job")
def train_scratch(pid: Id, services: ServicesDep, client: ClientDep,
                  body: ScratchRequest | None = None) -> JobAccepted:
    job = scratch.start(services, pid, body or ScratchRequest(), client)
    return JobAccepted(job=JobInfo.of(job))


@router.get("/{pid}/scratch/filters", response_class=Response,
            responses={**_PNG, **_A_RESULT},
            summary="The 16 first-layer filters after an epoch (0: the random start), or "
                    "what training changed in them since (show=change)")
def scratch_filters(pid: Id, services: ServicesDep, epoch: Epoch = None,
                    job: JobId = None, show: Literal["weights", "change"] = "weights"
                    ) -> Response:
    if show == "change":
        weight = scratch_pictures.change_since_start(services, pid, job, epoch)
    else:
        weight, _ = scratch_pictures.first_layer(services, pid, job, epoch)
    return Response(scratch_pictures.filters_png(weight), media_type="image/png")


@router.get("/{pid}/scratch/maps", response_class=Response,
            responses={**_PNG, **_A_RESULT},
            summary="The 16 feature maps of the network trained from scratch on a photo")
def scratch_maps(pid: Id, services: ServicesDep,
                 image_id: Annotated[str, Query(min_length=1, max_length=64)],
                 epoch: Epoch = None, job: JobId = None) -> Response:
    weight, bias = scratch_pictures.first_layer(services, pid, job, epoch)
    crop = scratch_pictures.photo_pixels(services, pid, image_id)
    return Response(scratch_pictures.maps_png(weight, bias, crop), media_type="image/png")


@router.get("/{pid}/scratch", responses=_A_RESULT,
            summary="The project's latest from-scratch training, side by side with transfer")
def scratch_latest(pid: Id, services: ServicesDep) -> ScratchResult:
    return scratch.finished(services, pid, None)


@router.get("/{pid}/scratch/{job_id}", responses=_A_RESULT,
            summary="A finished from-scratch training, side by side with transfer")
def scratch_result(pid: Id, job_id: Id, services: ServicesDep) -> ScratchResult:
    return scratch.finished(services, pid, job_id)


@router.get("/{pid}/images/{image_id}/views", response_class=Response,
            responses={**_PNG, **errors(404, 422)},
            summary="The views a photo contributes: plain, mirrored, zoomed, zoomed mirrored")
def photo_views(pid: Id, image_id: Id, services: ServicesDep) -> Response:
    return Response(pixels.views_strip(services, pid, image_id), media_type="image/png")

