"""What the channels API takes and answers: visualisation requests, top patches, the bundle."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from app.core.schema import Box, Strict
from app.jobs.schemas import JobAccepted

# Each limit and default once: the routes, the job and the page read them from here.
SIZE_DEFAULT, SIZE_MIN, SIZE_MAX = 128, 64, 256
STEPS_DEFAULT, STEPS_MIN, STEPS_MAX = 256, 8, 512
SEED_MAX = 2**31 - 1
K_DEFAULT, K_MAX = 9, 25
USER_IMAGES_MAX = 16


class VisualizationRequest(Strict):
    """How to optimise the picture; the defaults finish within 15 s at any stage on one core."""

    size: int = Field(SIZE_DEFAULT, ge=SIZE_MIN, le=SIZE_MAX,
                      description="the picture's side in pixels")
    steps: int = Field(STEPS_DEFAULT, ge=STEPS_MIN, le=STEPS_MAX,
                       description="optimisation steps (the cost grows with them)")
    seed: int = Field(0, ge=0, le=SEED_MAX, description="the random start and views")


class VisualizationAccepted(JobAccepted):
    """The job optimising the picture. While it runs, ``job.extra`` holds ``objective`` (the
    channel's mean value before its ReLU6 on the latest step's view), ``step`` and
    ``preview`` (the URL of the latest picture, renewed every second); once done,
    ``job.result`` is the finished picture's URL."""


class Unit(BaseModel):
    row: int
    col: int


class TopPatch(BaseModel):
    """Where a channel fires hardest in one photo: the unit, its receptive field, its value."""

    image_id: str = Field(description="a stored image: every /api/images/{image_id} route "
                                      "works on it")
    source: Literal["bundled", "user"]
    box: Box = Field(description="the unit's receptive field in the 224x224 crop the model "
                                 "saw (GET /api/images/{image_id}/crop), clipped at its borders")
    activation: float = Field(description="the channel's value at that unit, as the analysis "
                                          "of the photo reports it (after the ReLU6 at stem "
                                          "and head)")
    credit: str | None = Field(description="author, licence and changes of a bundled photo")
    subject: str | None
    licence: str | None
    unit: Unit = Field(description="the unit's row and column in the stage's map")


class DatasetInfo(BaseModel):
    """The bundled photos searched for top patches, and whether their maxima are indexed."""

    photos: int
    ready: bool = Field(description="the per-channel maxima are computed (else POST "
                                    "/api/channels/dataset/index, or ask for top patches)")
    licences: dict[str, int] = Field(description="licence -> number of photos")
    credits: str = Field(description="URL of the credits file (TSV)")
    source: str = Field(description="the Debian package they come from")
