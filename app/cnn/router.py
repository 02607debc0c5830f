"""Inside the CNN: the model's architecture, predictions, feature maps, pooled maps, Grad-CAM."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from app.cnn import heatmap, service
from app.cnn.responses import HeatmapViewDep, heatmap_response
from app.http.deps import ServicesDep
from app.http.responses import bytes_response, npy_response
from app.images.deps import StoredImageDep
from app.imaging.encode import encode
from models.stages import DEFAULT_CAM_STAGE

router = APIRouter(prefix="/api", tags=["model"])

StageId = Annotated[str, Path(max_length=40, description="stem, stage1..stage7, head, "
                                                         "or a block such as stage4.2")]
Order = Literal["index", "strength"]
_PNG = {200: {"content": {"image/png": {}, "application/x-npy": {}, "application/json": {}}}}


@router.get("/model", summary="Name, size and the stage table of the CNN")
def describe_model(services: ServicesDep) -> dict:
    return service.describe(services)


@router.get("/model/classes", summary="Search the 1000 ImageNet classes and the coarse groups")
def search_classes(q: Annotated[str, Query(max_length=60)] = "") -> dict:
    return service.search_classes(q)


@router.get("/model/filters/stem", responses=_PNG, response_class=Response,
            summary="The 32 learned 3x3 RGB filters of the first layer")
def stem_filters(services: ServicesDep,
                 as_: Annotated[Literal["json", "image"], Query(alias="as")] = "json") -> Response:
    if as_ == "image":
        return bytes_response(service.stem_filters_png(services), "png")
    return JSONResponse(service.stem_filters(services))


@router.post("/images/{image_id}/predict", summary="Top-5 classes and coarse groups")
def predict(image: StoredImageDep, services: ServicesDep) -> dict:
    return service.predict(services, image)


@router.get("/images/{image_id}/crop", responses=_PNG, response_class=Response,
            summary="The 224x224 centre crop the model actually saw")
def crop(image: StoredImageDep, services: ServicesDep) -> Response:
    return bytes_response(encode(service.analysis(services, image).crop, "png"), "png")


@router.get("/images/{image_id}/stages", summary="Activation strength of every stage")
def stage_strengths(image: StoredImageDep, services: ServicesDep) -> dict:
    return service.stage_strengths(services, image)


@router.get("/images/{image_id}/stages/{stage}", summary="Per-channel statistics and atlas layout")
def stage(image: StoredImageDep, services: ServicesDep, stage: StageId,
          order: Order = "index") -> dict:
    return service.stage_summary(services, image, stage, order)


@router.get("/images/{image_id}/stages/{stage}/atlas", responses=_PNG, response_class=Response,
            summary="Every channel of a stage tiled in one PNG")
def atlas(image: StoredImageDep, services: ServicesDep, stage: StageId,
          order: Order = "index") -> Response:
    return bytes_response(service.atlas_png(services, image, stage, order), "png")


@router.get("/images/{image_id}/stages/{stage}/channels/{channel}", responses=_PNG,
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
    return JSONResponse(service.channel_detail(services, image, stage, channel))


@router.get("/images/{image_id}/pooled", summary="The global-average-pooled feature vector")
def pooled(image: StoredImageDep, services: ServicesDep) -> dict:
    return service.pooled_vector(services, image)


@router.get("/images/{image_id}/gradcam", responses=_PNG, response_class=Response,
            summary="Where the model looks for a class, at a stage")
def gradcam(image: StoredImageDep, services: ServicesDep,
            view: HeatmapViewDep,
            target: Annotated[str, Query(alias="class", max_length=40,
                                         description="class index 0-999 or a group: dog")] = "top",
            ) -> Response:
    resolved = heatmap.resolve_target(services, image, target)
    cam = heatmap.gradcam(services, image, resolved, view.stage)
    return heatmap_response(services, image, cam, view)


@router.get("/images/{image_id}/attribution", summary="Channels that drive a class most")
def attribution(image: StoredImageDep, services: ServicesDep,
                target: Annotated[str, Query(alias="class", max_length=40)] = "top",
                stage: Annotated[str, Query(max_length=40)] = DEFAULT_CAM_STAGE) -> dict:
    resolved = heatmap.resolve_target(services, image, target)
    return heatmap.attribution(services, image, resolved, stage)
