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
from pydantic import BaseModel

from app.cnn import heatmap, saliency, saliency_measures, saliency_pictures
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
from app.http.deps import ClientDep, NoNullBody, ServicesDep
from app.http.responses import COMMON_ERRORS, bytes_response, errors, media
from app.images.deps import StoredImageDep
from app.jobs.schemas import JobInfo
from models.preprocess import CROP
from models.saliency_methods import K_DEFAULT, K_MAX, PATCH_DEFAULT, RANDOMISED, STRIDE_DEFAULT

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
                     f"Score-CAM: channels used (default {K_DEFAULT}, or all of a stage with "
                     "fewer)"))] = None,
                 patch: Annotated[int, Query(ge=1, le=CROP, description="occlusion: the grey "
                                             "square's side in 224-pixel units")] = PATCH_DEFAULT,
                 stride: Annotated[int, Query(ge=1, le=CROP, description="occlusion: its step"
                                              )] = STRIDE_DEFAULT) -> Response:
    resolved = heatmap.resolve_target(services, image, target)
    spec = saliency.map_spec(services, method, view.stage, k, patch, stride)
    found = saliency.map_or_job(services, image, resolved, spec, client)
    return saliency_pictures.map_response(services, image, resolved, spec, found, view)


def _measuring(kind: str, result: type[BaseModel], what: str, summary: str) -> None:
    """The two routes of one measuring job: POST starts it, GET reads its typed result."""
    def start(image: StoredImageDep, services: ServicesDep, client: ClientDep,
              body: MeasureRequest | None = None) -> MeasureAccepted:
        job = saliency_measures.start(services, image, body or MeasureRequest(), kind, client)
        return MeasureAccepted(job=JobInfo.of(job))

    def finished(job_id: JobId, services: ServicesDep) -> BaseModel:
        return result.model_validate_json(saliency_measures.finished(services, kind, job_id))

    router.add_api_route(f"/images/{{image_id}}/{kind}", start, methods=["POST"],
                         status_code=202, response_model=MeasureAccepted,
                         responses=errors(400, 404, 422), summary=f"{summary} (a job)",
                         name=f"start_{kind}", dependencies=[NoNullBody])
    router.add_api_route(f"/saliency/{kind}/{{job_id}}", finished, methods=["GET"],
                         response_model=result, responses=_RESULT,
                         summary=f"A finished {what}", name=kind)


_measuring(saliency_measures.FAITHFULNESS_KIND, FaithfulnessResult,
           "faithfulness job's curves and areas",
           "Deletion and insertion curves of each method's map")
_measuring(saliency_measures.SANITY_KIND, SanityResult, "sanity check's rank correlations",
           "Each map's rank correlation with the map of a partly randomised model")


@router.get("/saliency/sanity/{job_id}/maps/{method}", response_class=Response,
            responses={**media("image/png"), **_RESULT},
            summary="The randomised model's map of one method (a heatmap)")
def randomised_map(job_id: JobId, method: Method, services: ServicesDep) -> Response:
    return bytes_response(saliency_measures.randomised_picture(services, job_id, method), "png")
