"""Teach the CNN your own classes: projects, classes, photos, training, prediction, export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from app.cnn.responses import HeatmapViewDep, heatmap_response
from app.core.errors import InvalidParameter
from app.core.services import Services
from app.http.deps import ClientDep, NoNullBody, ServicesDep
from app.http.responses import COMMON_ERRORS, errors, media
from app.images.deps import stored_image
from app.images.service import ingest, lookup_image
from app.jobs.record import JobRecord
from app.jobs.schemas import JobAccepted, JobInfo
from app.teach import demo, lab_router, projects, service, training
from app.teach.deps import Id
from app.teach.export import RETRY_AFTER_S
from app.teach.schemas import (
    AddedImage,
    ClassCreate,
    ClassProbs,
    ClassRef,
    ImageRef,
    LessonStarted,
    ProjectInfo,
    ProjectRef,
    TrainRequest,
    TrainStarted,
)

router = APIRouter(prefix="/api/projects", tags=["projects"], responses=COMMON_ERRORS)

_IN_A_PROJECT = errors(404, 422)
_WITH_A_BODY = errors(400, 404, 409, 422)


@router.post("", status_code=201, summary="A new, empty project")
def create_project(services: ServicesDep) -> ProjectRef:
    return ProjectRef(id=services.projects.create().id)


@router.post("/demo", status_code=202, responses=errors(422),
             summary="The spurious-feature lesson: a project a job builds from generated photos")
def create_demo(services: ServicesDep, client: ClientDep) -> LessonStarted:
    project_id, run_id, job = demo.start_lesson(services, client)
    return LessonStarted(job=JobInfo.of(job), id=project_id, run_id=run_id)


@router.get("/{pid}", responses=_IN_A_PROJECT,
            summary="Classes with photo counts, and the latest training run")
def get_project(pid: Id, services: ServicesDep) -> ProjectInfo:
    return _info(services, pid)


def _info(services: Services, pid: str) -> ProjectInfo:
    project = services.projects.read(pid)
    return ProjectInfo.of(project, training.current_run(services, project))


@router.post("/{pid}/classes", status_code=201, responses=_WITH_A_BODY, summary="Add a class")
def create_class(pid: Id, body: ClassCreate, services: ServicesDep) -> ClassRef:
    cls = projects.add_class(services.projects, pid, body.name)
    return ClassRef(id=cls.id, name=cls.name)


@router.delete("/{pid}/classes/{cid}", status_code=204, response_class=Response,
               responses=_IN_A_PROJECT)
def delete_class(pid: Id, cid: Id, services: ServicesDep) -> Response:
    projects.remove_class(services.projects, pid, cid)
    return Response(status_code=204)


async def _photo_sent(request: Request, services: Services) -> bytes | str:
    """The photo a request sends: a multipart ``file``'s bytes, or JSON ``{"image_id"}``'s
    id of a stored image."""
    ctype = request.headers.get("content-type", "")
    if ctype.startswith("multipart/"):
        form = await request.form(max_files=1, max_fields=2)
        upload = form.get("file")
        if not isinstance(upload, StarletteUpload):
            raise InvalidParameter("send the photo as the multipart field 'file'", field="file")
        return await upload.read(services.settings.max_upload_bytes + 1)
    if ctype.startswith("application/json"):
        try:
            return ImageRef.model_validate_json(await request.body()).image_id
        except ValueError:
            raise InvalidParameter("send JSON {\"image_id\": \"...\"} or a multipart 'file'",
                                   field="image_id") from None
    raise InvalidParameter("send a multipart 'file' or JSON {\"image_id\"}", field="body")


_PHOTO_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}},
    "application/json": {"schema": ImageRef.model_json_schema()}}}}


@router.post("/{pid}/classes/{cid}/images", status_code=201, openapi_extra=_PHOTO_BODY,
             responses=errors(400, 404, 409, 415, 422),
             summary="Add a photo: multipart 'file', or JSON {image_id} of a stored image")
async def add_image(pid: Id, cid: Id, request: Request, services: ServicesDep) -> AddedImage:
    await run_in_threadpool(lambda: services.projects.read(pid).class_(cid))  # 404s first
    sent = await _photo_sent(request, services)
    field = "file" if isinstance(sent, bytes) else "image_id"
    if isinstance(sent, bytes):
        sent = (await run_in_threadpool(ingest, services, sent)).id
    image = await stored_image(sent, services)
    await run_in_threadpool(service.add_image, services, pid, cid, image, field)
    return AddedImage(image_id=image.id)


@router.delete("/{pid}/classes/{cid}/images/{image_id}", status_code=204,
               response_class=Response, responses=_IN_A_PROJECT)
def remove_image(pid: Id, cid: Id, image_id: Id, services: ServicesDep) -> Response:
    projects.remove_photo(services.projects, pid, cid, image_id)
    return Response(status_code=204)


@router.get("/{pid}/images/{image_id}/thumb", response_class=Response,
            responses={**media("image/jpeg"), **_IN_A_PROJECT}, summary="A photo's thumbnail")
def thumbnail(pid: Id, image_id: Id, services: ServicesDep) -> Response:
    return Response(projects.thumb(services.projects, pid, image_id), media_type="image/jpeg")


@router.post("/{pid}/train", status_code=202, responses=_WITH_A_BODY,
             dependencies=[NoNullBody],
             summary="Train a new classifier: a job (follow it at GET /api/jobs/{id})")
def train(pid: Id, services: ServicesDep, client: ClientDep,
          body: TrainRequest | None = None) -> TrainStarted:
    body = body or TrainRequest()
    run, job = training.start_training(services, pid, body.epochs, body.augment, body.seed,
                                       client)
    return TrainStarted(job=JobInfo.of(job), run_id=run.id)


@router.post("/{pid}/predict", openapi_extra=_PHOTO_BODY, responses=errors(400, 404, 415, 422),
             summary="The new classifier's class probabilities, and how familiar the photo "
                     "looks: JSON {image_id} of a stored image, or a multipart 'file' that is "
                     "neither stored nor cached (live camera frames)")
async def predict(pid: Id, request: Request, services: ServicesDep) -> ClassProbs:
    sent = await _photo_sent(request, services)
    if isinstance(sent, bytes):
        return await run_in_threadpool(service.predict_file, services, pid, sent)
    image = await run_in_threadpool(lookup_image, services, sent)
    return await run_in_threadpool(service.predict, services, pid, image)


@router.get("/{pid}/gradcam", response_class=Response,
            responses={**media("image/png", "application/x-npy"), **_IN_A_PROJECT},
            summary="Where the new classifier looks: Grad-CAM overlay (or ?as=npy)")
def gradcam(pid: Id, services: ServicesDep,
            image_id: Annotated[str, Query(max_length=64)],
            class_id: Annotated[str, Query(max_length=40)], view: HeatmapViewDep) -> Response:
    image = lookup_image(services, image_id)
    cam = service.gradcam(services, pid, image, class_id, view.stage)
    return heatmap_response(services, image, cam, view)


_EXPORTING = {202: {"model": JobAccepted, "description": (
    "ONNX only: not exported yet for the current classifier; the job exporting it (follow "
    "it, then GET this URL again)")}}


@router.get("/{pid}/export", response_class=Response,
            responses={**media("application/octet-stream"), **_EXPORTING,
                       **errors(404, 409, 422)},
            summary="The trained classifier (a small 'head' file), or backbone + classifier as one "
                    "TorchScript file, or as one ONNX file (202 with the job exporting it first)")
def export(pid: Id, services: ServicesDep, client: ClientDep,
           format: Literal["head", "torchscript", "onnx"] = "head") -> Response:
    data = service.export(services, pid, format, client)
    if isinstance(data, JobRecord):
        return JSONResponse(JobAccepted(job=JobInfo.of(data)).model_dump(mode="json"),
                            status_code=202, headers={"Retry-After": str(RETRY_AFTER_S),
                                                      "Cache-Control": "no-store"})
    name = f"convlens-{pid}.onnx" if format == "onnx" else f"convlens-{pid}-{format}.pt"
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{pid}/head", status_code=201, responses=errors(400, 404, 422),
             summary="Load a saved classifier (head file) into an empty project")
def import_classifier(pid: Id, file: UploadFile, services: ServicesDep) -> ProjectInfo:
    service.import_classifier(services, pid, file.file.read(service.CLASSIFIER_FILE_MAX_BYTES + 1))
    return _info(services, pid)


router.include_router(lab_router.router)  # the experiments: curve, scratch, views
