"""What a channel looks for: feature visualisation (a job) and top image patches."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.cnn import patches, visualize
from app.cnn.channels_schemas import (
    K_DEFAULT,
    K_MAX,
    SEED_MAX,
    SIZE_DEFAULT,
    SIZE_MAX,
    SIZE_MIN,
    STEPS_DEFAULT,
    STEPS_MAX,
    STEPS_MIN,
    USER_IMAGES_MAX,
    DatasetInfo,
    TopPatch,
    VisualizationAccepted,
    VisualizationRequest,
)
from app.cnn.dataset import load_bundle
from app.http.deps import ClientDep, NoNullBody, ServicesDep
from app.http.responses import COMMON_ERRORS, bytes_response, errors, media
from app.jobs.schemas import JobAccepted, JobInfo

router = APIRouter(prefix="/api", tags=["channels"], responses=COMMON_ERRORS)

Stage = Annotated[str, Path(max_length=40, description="stem, stage1..stage7 or head")]
Channel = Annotated[int, Path(ge=0, le=100_000, description="the channel's index in the stage")]
_PNG = media("image/png")


@router.post("/stages/{stage}/channels/{c}/visualization", status_code=202,
             responses=errors(400, 404, 422), dependencies=[NoNullBody],
             summary="Optimise a picture that excites one channel (a job)")
def start_visualization(stage: Stage, c: Channel, services: ServicesDep, client: ClientDep,
                        body: VisualizationRequest | None = None) -> VisualizationAccepted:
    job = visualize.start(services, stage, c, body or VisualizationRequest(), client)
    return VisualizationAccepted(job=JobInfo.of(job))


@router.get("/stages/{stage}/channels/{c}/visualization", response_class=Response,
            responses={**_PNG, **errors(404, 409, 422)},
            summary="The finished picture (404 until a POST made it, 409 while it runs)")
def visualization(stage: Stage, c: Channel, services: ServicesDep,
                  size: Annotated[int, Query(ge=SIZE_MIN, le=SIZE_MAX)] = SIZE_DEFAULT,
                  steps: Annotated[int, Query(ge=STEPS_MIN, le=STEPS_MAX)] = STEPS_DEFAULT,
                  seed: Annotated[int, Query(ge=0, le=SEED_MAX)] = 0) -> Response:
    req = VisualizationRequest(size=size, steps=steps, seed=seed)
    return bytes_response(visualize.finished_picture(services, stage, c, req), "png")


@router.get("/channels/visualizations/{job_id}/preview", response_class=Response,
            responses={**_PNG, **errors(404, 422)},
            summary="The latest picture of a running (or finished) visualisation job")
def visualization_preview(job_id: Annotated[str, Path(max_length=40)],
                          services: ServicesDep) -> Response:
    # It changes while the job runs: never cached (the finished picture's URL is).
    return Response(visualize.preview(services, job_id), media_type="image/png",
                    headers={"Cache-Control": "no-store"})


@router.get("/stages/{stage}/channels/{c}/top-patches", response_class=Response,
            responses={**media("image/png", model=list[TopPatch]), **errors(404, 409, 422)},
            summary="Where the channel fires most, over the bundled photos and yours")
def top_patches(stage: Stage, c: Channel, services: ServicesDep, client: ClientDep,
                k: Annotated[int, Query(ge=1, le=K_MAX)] = K_DEFAULT,
                image_id: Annotated[list[str], Query(
                    max_length=USER_IMAGES_MAX,
                    description="your photos to search too (stored image ids)")] = [],  # noqa: B006
                as_: Annotated[Literal["json", "image"], Query(alias="as")] = "json"
                ) -> Response:
    found = patches.top_patches(services, stage, c, k, [i[:64] for i in image_id], client)
    if as_ == "image":
        return Response(patches.patches_png(found), media_type="image/png")
    return Response("[" + ",".join(f.patch.model_dump_json() for f in found) + "]",
                    media_type="application/json")


@router.get("/channels/dataset", summary="The bundled photos and whether they are indexed")
def dataset(services: ServicesDep) -> DatasetInfo:
    photos = load_bundle(services.settings.dataset_dir)
    ready = services.model is not None and patches.stored_index(services) is not None
    return DatasetInfo(photos=len(photos), ready=ready,
                       licences=dict(Counter(p.licence for p in photos)),
                       credits="/static/dataset/CREDITS.tsv",
                       source=photos[0].source if photos else "")


@router.post("/channels/dataset/index", status_code=202, responses=errors(422),
             summary="Index the bundled photos' per-channel maxima (a job, once)")
def index_dataset(services: ServicesDep, client: ClientDep) -> JobAccepted:
    services.require_model()
    return JobAccepted(job=JobInfo.of(patches.start_index(services, client)))
