"""Inside the CNN: the model's architecture, predictions, feature maps, pooled maps, Grad-CAM."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from app.cnn import heatmap, receptive, service
from app.cnn.receptive import FieldAs
from app.cnn.receptive_schemas import ReceptiveField, answer_response
from app.cnn.responses import HeatmapViewDep, heatmap_response
from app.cnn.schemas import (
    Attribution,
    ChannelDetail,
    ClassSearch,
    ModelDescription,
    PooledVector,
    Prediction,
    StageStrengths,
    StageSummary,
    StemFilters,
)
from app.http.deps import ServicesDep
from app.http.responses import (
    COMMON_ERRORS,
    bytes_response,
    errors,
    json_response,
    media,
    npy_response,
)
from app.images.deps import StoredImageDep
from app.imaging.encode import encode
from models.stages import DEFAULT_CAM_STAGE

router = APIRouter(prefix="/api", tags=["model"], responses=COMMON_ERRORS)

StageId = Annotated[str, Path(max_length=40, description="stem, stage1..stage7, head, "
                                                         "or a block such as stage4.2")]
Order = Literal["index", "strength"]
ClassQuery = Annotated[str, Query(alias="class", max_length=40,
                                  description="top, a class index 0-999, a class name, "
                                              "or a group such as dog")]
_ON_AN_IMAGE = errors(404, 422)
_PNG = media("image/png")


@router.get("/model", summary="Name, size and the stage table of the CNN")
def describe_model(services: ServicesDep) -> ModelDescription:
    return service.describe(services)


@router.get("/model/classes", responses=errors(422),
            summary="Search the 1000 ImageNet classes and the coarse groups")
def search_classes(q: Annotated[str, Query(max_length=60)] = "") -> ClassSearch:
    return service.search_classes(q)


@router.get("/model/filters/stem", response_class=Response,
            responses={**media("image/png", model=StemFilters), **errors(422)},
            summary="The 32 learned 3x3 RGB filters of the first layer")
def stem_filters(services: ServicesDep,
                 as_: Annotated[Literal["json", "image"], Query(alias="as")] = "json") -> Response:
    if as_ == "image":
        return bytes_response(service.stem_filters_png(services), "png")
    return json_response(service.stem_filters(services))


@router.post("/images/{image_id}/predict", responses=_ON_AN_IMAGE,
             summary="Top-5 classes and coarse groups")
def predict(image: StoredImageDep, services: ServicesDep) -> Prediction:
    return service.predict(services, image)


@router.get("/images/{image_id}/crop", responses={**_PNG, **_ON_AN_IMAGE},
            response_class=Response, summary="The 224x224 centre crop the model actually saw")
def crop(image: StoredImageDep, services: ServicesDep) -> Response:
    return bytes_response(encode(service.analysis(services, image).crop, "png"), "png")


@router.get("/images/{image_id}/stages", responses=_ON_AN_IMAGE,
            summary="Activation strength of every stage")
def stage_strengths(image: StoredImageDep, services: ServicesDep) -> StageStrengths:
    return service.stage_strengths(services, image)


@router.get("/images/{image_id}/stages/{stage}", responses=_ON_AN_IMAGE,
            summary="Per-channel statistics and atlas layout")
def stage(image: StoredImageDep, services: ServicesDep, stage: StageId,
          order: Order = "index") -> StageSummary:
    return service.stage_summary(services, image, stage, order)


@router.get("/images/{image_id}/stages/{stage}/atlas", responses={**_PNG, **_ON_AN_IMAGE},
            response_class=Response, summary="Every channel of a stage tiled in one PNG")
def atlas(image: StoredImageDep, services: ServicesDep, stage: StageId,
          order: Order = "index") -> Response:
    return bytes_response(service.atlas_png(services, image, stage, order), "png")


@router.get("/images/{image_id}/stages/{stage}/channels/{channel}",
            responses={**media("image/png", "application/x-npy", model=ChannelDetail),
                       **_ON_AN_IMAGE},
            response_class=Response, summary="One feature map: values, pooled maps, picture")
def channel(image: StoredImageDep, services: ServicesDep, stage: StageId,
            channel: int,
            as_: Annotated[Literal["json", "image", "npy"], Query(alias="as")] = "json"
            ) -> Response:
    if as_ == "npy":
        return npy_response(service.channel_map(services, image, stage, channel),
                            f"{stage}-{channel}")
    if as_ == "image":
        return bytes_response(service.channel_png(services, image, stage, channel), "png")
    return json_response(service.channel_detail(services, image, stage, channel))


@router.get("/images/{image_id}/pooled", responses=_ON_AN_IMAGE,
            summary="The global-average-pooled feature vector")
def pooled(image: StoredImageDep, services: ServicesDep) -> PooledVector:
    return service.pooled_vector(services, image)


@router.get("/images/{image_id}/gradcam",
            responses={**media("image/png", "application/x-npy"), **_ON_AN_IMAGE},
            response_class=Response, summary="Where the model looks for a class, at a stage")
def gradcam(image: StoredImageDep, services: ServicesDep, view: HeatmapViewDep,
            target: ClassQuery = "top") -> Response:
    resolved = heatmap.resolve_target(services, image, target)
    cam = heatmap.gradcam(services, image, resolved, view.stage)
    return heatmap_response(services, image, cam, view)


@router.get("/images/{image_id}/attribution", responses=_ON_AN_IMAGE,
            summary="Channels that drive a class most")
def attribution(image: StoredImageDep, services: ServicesDep, target: ClassQuery = "top",
                stage: Annotated[str, Query(max_length=40)] = DEFAULT_CAM_STAGE) -> Attribution:
    resolved = heatmap.resolve_target(services, image, target)
    return heatmap.attribution(services, image, resolved, stage)


# --- Receptive field (the hierarchy lesson) ---
@router.get("/images/{image_id}/stages/{stage}/receptive-field",
            responses={**media("image/png", "application/x-npy", model=ReceptiveField),
                       **_ON_AN_IMAGE},
            response_class=Response,
            summary="Where one unit looks: its theoretical box and its effective field")
def receptive_field(image: StoredImageDep, services: ServicesDep, stage: StageId,
                    x: Annotated[int, Query(ge=0, le=10_000, description="the unit's column")],
                    y: Annotated[int, Query(ge=0, le=10_000, description="the unit's row")],
                    channel: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                    as_: Annotated[FieldAs, Query(alias="as")] = "json") -> Response:
    return answer_response(receptive.answer(services, image, stage, x, y, channel, as_))
