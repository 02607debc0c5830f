"""Lessons: the list, and the experiments the existing endpoints do not cover."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse

from app.cnn.receptive_schemas import answer_response
from app.http.deps import ClientDep, NoNullBody, ServicesDep
from app.http.responses import COMMON_ERRORS, errors, media
from app.images.deps import StoredImageDep
from app.jobs.schemas import JobAccepted, JobInfo
from app.lessons import learning, service, spurious, translation
from app.lessons.schemas import (
    HowManyRequest,
    LearningCurves,
    Lesson,
    LessonList,
    SpuriousCurve,
    SpuriousRequest,
    TranslationCurve,
)
from app.lessons.translation import MAX_SHIFT, MAX_STEP, CurveRequest

router = APIRouter(prefix="/api", tags=["lessons"], responses=COMMON_ERRORS)

Stage = Annotated[str, Query(max_length=40, description="stem, stage1..stage7 or head")]
AxisQuery = Annotated[Literal["x", "y"], Query(description="x moves the view sideways, y "
                                                           "up and down")]
Shift = Annotated[int, Query(ge=-10_000, le=10_000, description="pixels of the 224x224 view")]
JobId = Annotated[str, Path(max_length=40)]
_ON_AN_IMAGE = errors(404, 422)
_PNG = media("image/png")
_STARTED = {202: {"model": JobAccepted, "description": "Not computed yet: the job computing "
                                                       "it (its result is this same URL)"}}


@router.get("/lessons", summary="Every lesson, in teaching order")
def lessons() -> LessonList:
    return service.lesson_list()


@router.get("/lessons/{lesson_id}", responses=errors(404, 422), summary="One lesson")
def lesson(lesson_id: Annotated[str, Path(max_length=40)]) -> Lesson:
    return service.lesson(lesson_id)


@router.get("/images/{image_id}/translation", response_model=TranslationCurve,
            responses={**_STARTED, **_ON_AN_IMAGE},
            summary="Top class and map similarity as the model's view slides over the photo")
def translation_curve(image: StoredImageDep, services: ServicesDep, client: ClientDep,
                      stage: Stage = "stem",
                      max_shift: Annotated[int, Query(ge=1, le=MAX_SHIFT)] = 32,
                      step: Annotated[int, Query(ge=1, le=MAX_STEP)] = 1,
                      axis: AxisQuery = "x") -> TranslationCurve | JSONResponse:
    req = CurveRequest(stage, axis, max_shift, step)
    found = translation.curve_or_job(services, image, req, client)
    if isinstance(found, TranslationCurve):
        return found
    return JSONResponse(JobAccepted(job=JobInfo.of(found)).model_dump(mode="json"),
                        status_code=202)


@router.get("/images/{image_id}/translation/map", response_class=Response,
            responses={**media("image/png", "application/x-npy"), **_ON_AN_IMAGE},
            summary="One shifted view's map at a stage (mean over channels, or one channel)")
def translation_map(image: StoredImageDep, services: ServicesDep, shift: Shift = 0,
                    stage: Stage = "stem", axis: AxisQuery = "x",
                    channel: Annotated[int | None, Query(ge=0, le=100_000)] = None,
                    as_: Annotated[Literal["image", "npy"], Query(alias="as")] = "image"
                    ) -> Response:
    return answer_response(translation.map_picture(services, image, stage, shift, axis,
                                                   channel, as_))


@router.get("/images/{image_id}/translation/crop", response_class=Response,
            responses={**_PNG, **_ON_AN_IMAGE}, summary="The model's 224x224 view, shifted")
def translation_crop(image: StoredImageDep, services: ServicesDep, shift: Shift = 0,
                     axis: AxisQuery = "x") -> Response:
    return answer_response(translation.view_picture(services, image, shift, axis))


@router.post("/lessons/spurious", status_code=202, responses=errors(400, 422),
             dependencies=[NoNullBody],
             summary="The cure for a spurious feature: accuracy as the mixed share grows (a job)")
def start_spurious(services: ServicesDep, client: ClientDep,
                   body: SpuriousRequest | None = None) -> JobAccepted:
    return JobAccepted(job=JobInfo.of(spurious.start(services, client)))


@router.get("/lessons/spurious/{job_id}", responses=errors(404, 409, 422),
            summary="The finished curve of a spurious-lesson job (409 while it runs)")
def spurious_curve(job_id: JobId, services: ServicesDep) -> SpuriousCurve:
    return spurious.finished(services, job_id)


@router.post("/lessons/how-many-images", status_code=202, responses=errors(400, 422),
             dependencies=[NoNullBody],
             summary="Learning curves of a coarse and a fine pair of bundled classes (a job)")
def start_how_many(services: ServicesDep, client: ClientDep,
                   body: HowManyRequest | None = None) -> JobAccepted:
    req = body or HowManyRequest()
    return JobAccepted(job=JobInfo.of(learning.start(services, req.repeats, req.seed, client)))


@router.get("/lessons/how-many-images/{job_id}", responses=errors(404, 409, 422),
            summary="The finished learning curves (409 while the job runs)")
def how_many_curves(job_id: JobId, services: ServicesDep) -> LearningCurves:
    return learning.finished(services, job_id)
