"""Is this heatmap true? Several attribution methods side by side, each measured.

``GET /api/images/{id}/saliency`` answers a map (200) or, for the slow methods, the job
computing it (202; the finished job's ``result`` is the map's URL, which then answers 200).
``POST .../faithfulness`` and ``POST .../sanity`` start measuring jobs; the finished job's
``result`` is ``GET /api/saliency/faithfulness/{job_id}`` (or ``.../sanity/{job_id}``), which
answers the typed JSON.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.cnn import heatmap, saliency, saliency_measures
from app.cnn.responses import HeatmapViewDep
from app.cnn.router import ClassQuery
from app.cnn.saliency_schemas import (
    FaithfulnessResult,
    MeasureAccepted,
    MeasureRequest,
    Method,
    SaliencyAccepted,
    SaliencyCatalogue,
    SanityResult,
)
from app.http.deps import ClientDep, ServicesDep
from app.http.responses import COMMON_ERRORS, bytes_response, errors, media
from app.images.deps import StoredImageDep
from app.jobs.schemas import JobInfo
from models.saliency_methods import K_MAX, PATCH_DEFAULT, RANDOMISED, STRIDE_DEFAULT

router = APIRouter(prefix="/api", tags=["saliency"], responses=COMMON_ERRORS)

JobId = Annotated[str, Path(max_length=40)]
_RESULT = errors(404, 409, 422)
_STARTED = {202: {"model": SaliencyAccepted,
                  "description": "A slow method: the job computing the map (follow it, then "
                                 "GET this URL again)"}}


@router.get("/saliency/methods", summary="The attribution methods and their settings")
def methods() -> SaliencyCatalogue:
    return saliency.catalogue(list(RANDOMISED))


@router.get("/images/{image_id}/saliency", response_class=Response,
            responses={**media("image/png", "application/x-npy"), **_STARTED,
                       **errors(404, 422)},
            summary="One method's map for a class at a stage (202 with a job for slow ones)")
def saliency_map(image: StoredImageDep, services: ServicesDep, client: ClientDep,
                 view: HeatmapViewDep, method: Method = "gradcam",
                 target: ClassQuery = "top",
                 k: Annotated[int | None, Query(ge=1, le=K_MAX, description=(
                     "Score-CAM: channels used (default 32, or all of a stage with fewer)"))
                 ] = None,
                 patch: Annotated[int, Query(ge=1, le=224, description="occlusion: the grey "
                                             "square's side in 224-pixel units")] = PATCH_DEFAULT,
                 stride: Annotated[int, Query(ge=1, le=224, description="occlusion: its step"
                                              )] = STRIDE_DEFAULT) -> Response:
    resolved = heatmap.resolve_target(services, image, target)
    spec = saliency.map_spec(services, method, view.stage, k, patch, stride)
    found = saliency.map_or_job(services, image, resolved, spec, client)
    return saliency.map_response(services, image, spec, found, view)


@router.post("/images/{image_id}/faithfulness", status_code=202,
             responses=errors(400, 404, 422),
             summary="Deletion and insertion curves of each method's map (a job)")
def start_faithfulness(image: StoredImageDep, services: ServicesDep, client: ClientDep,
                       body: MeasureRequest | None = None) -> MeasureAccepted:
    job = saliency_measures.start(services, image, body or MeasureRequest(),
                                  saliency_measures.FAITHFULNESS_KIND, client)
    return MeasureAccepted(job=JobInfo.of(job))


@router.get("/saliency/faithfulness/{job_id}", responses=_RESULT,
            summary="A finished faithfulness job's curves and areas")
def faithfulness(job_id: JobId, services: ServicesDep) -> FaithfulnessResult:
    return FaithfulnessResult.model_validate_json(
        saliency_measures.finished(services, saliency_measures.FAITHFULNESS_KIND, job_id))


@router.post("/images/{image_id}/sanity", status_code=202, responses=errors(400, 404, 422),
             summary="Each map's rank correlation with the map of a partly randomised model "
                     "(a job)")
def start_sanity(image: StoredImageDep, services: ServicesDep, client: ClientDep,
                 body: MeasureRequest | None = None) -> MeasureAccepted:
    job = saliency_measures.start(services, image, body or MeasureRequest(),
                                  saliency_measures.SANITY_KIND, client)
    return MeasureAccepted(job=JobInfo.of(job))


@router.get("/saliency/sanity/{job_id}", responses=_RESULT,
            summary="A finished sanity check's rank correlations")
def sanity(job_id: JobId, services: ServicesDep) -> SanityResult:
    return SanityResult.model_validate_json(
        saliency_measures.finished(services, saliency_measures.SANITY_KIND, job_id))


@router.get("/saliency/sanity/{job_id}/maps/{method}", response_class=Response,
            responses={**media("image/png"), **_RESULT},
            summary="The randomised model's map of one method (a heatmap)")
def randomised_map(job_id: JobId, method: Method, services: ServicesDep) -> Response:
    return bytes_response(saliency_measures.randomised_picture(services, job_id, method), "png")
