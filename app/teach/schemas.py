"""Teach it's request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.core.schema import Strict
from app.jobs.schemas import JobAccepted
from app.teach.project import Project, Run


class ClassCreate(Strict):
    # Blank or invisible names are refused by ``app.teach.projects.clean_class_name`` (one rule for
    # names typed here and names read from an uploaded head file).
    name: Annotated[str, Field(min_length=1, max_length=40)]


Seed = Annotated[StrictInt, Field(ge=0, le=2**31 - 1)]


class TrainRequest(Strict):
    epochs: Annotated[StrictInt, Field(ge=1, le=500)] = 100
    augment: StrictBool = True
    seed: Seed = 0


class ImageRef(Strict):
    image_id: Annotated[str, Field(min_length=1, max_length=64)]


class ProjectRef(BaseModel):
    id: str


class ClassRef(BaseModel):
    id: str
    name: str


class ClassInfo(ClassRef):
    count: int
    images: list[str] = Field(description="image ids of the class's photos, in the order added")


class ReliabilityBin(BaseModel):
    low: float
    high: float
    count: int
    confidence: float = Field(description="mean confidence of the answers in the bin")
    accuracy: float = Field(description="share of them that were right")


class Calibration(BaseModel):
    ece: float = Field(description="expected calibration error: the count-weighted mean gap "
                                   "between confidence and accuracy over the bins")
    held_out: int
    mean_confidence: float
    accuracy: float
    bins: list[ReliabilityBin] = Field(description="empty bins left out")
    note: str = Field(description="what a confidence of 100% does and does not mean")


class RunInfo(BaseModel):
    """The latest training run of a project, as it progresses."""

    id: str
    epochs: int
    augment: bool
    seed: int
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: float = Field(ge=0, le=1)
    losses: list[float]
    accuracy: float | None = Field(description="cross-validated, on held-out photos")
    confusion: list[list[int]] = Field(description="rows: true class, columns: predicted")
    classes: list[ClassRef] = Field(description="in the classifier's order")
    warnings: list[str]
    error: str | None
    seconds: float | None
    extra: dict[str, Any] = Field(description="what a lesson adds (the spurious-feature scores)")
    job_id: str | None = Field(description="the job training it: GET /api/jobs/{job_id}")
    calibration: Calibration | None = Field(None, description="from the held-out folds")


class ProjectInfo(BaseModel):
    id: str
    classes: list[ClassInfo]
    trained: bool
    head_classes: list[ClassRef] = Field(description="the trained classifier's classes, in order")
    run: RunInfo | None
    scratch_job: str | None = Field(None, description="the latest from-scratch training's job "
                                                      "(its result: GET .../scratch)")

    @classmethod
    def of(cls, project: Project, run: Run | None) -> ProjectInfo:
        """``run``: the project's run as its job says it is (``training.current_run``)."""
        return cls(id=project.id, trained=bool(project.classifier_classes),
                   classes=[{"id": c.id, "name": c.name, "count": len(c.photos),
                             "images": list(c.photos)} for c in project.classes],
                   head_classes=project.classifier_classes,
                   run=run.as_dict() if run else None, scratch_job=project.scratch_job)


class AddedImage(BaseModel):
    image_id: str


class TrainStarted(JobAccepted):
    run_id: str


class LessonStarted(JobAccepted):
    id: str = Field(description="the lesson's project, filled by the job")
    run_id: str


class ClassProb(BaseModel):
    class_id: str
    name: str
    prob: float


class Neighbour(BaseModel):
    image_id: str
    class_id: str
    similarity: float = Field(description=(
        "cosine of the frozen pooled features, centred as ``ClassProbs.similarity``"))


class ClassProbs(BaseModel):
    probs: list[ClassProb] = Field(description="most likely first")
    novelty: float | None = Field(None, ge=0, le=1, description=(
        "how unfamiliar the photo is (0-1, higher: less): the share of training photos "
        "whose typical similarity to their class is higher than this photo's similarity "
        "to its nearest training photo, and 1 when that is below ``unrelated``; null "
        "without training photos to compare with"))
    familiar: bool | None = Field(None, description="similarity >= threshold")
    similarity: float | None = Field(None, description=(
        "to the nearest training photo: cosine of the pooled features after subtracting "
        "the bundled photos' mean (unrelated photos score about 0)"))
    threshold: float | None = Field(None, description=(
        "below this similarity a photo counts as unfamiliar: the higher of ``typical`` "
        "and ``unrelated``"))
    typical: float | None = Field(None, description=(
        "what is typical within the classes: the 5th percentile of the training photos' "
        "similarities to their class (each the lower of its similarity to its 5th most "
        "similar classmate and to its own zoomed view)"))
    unrelated: float | None = Field(None, description=(
        "what unrelated photos reach: the similarity 19 in 20 of the bundled photos stay "
        "below against the nearest of as many photos of other subjects as the classifier "
        "has training photos; null for a classifier trained before it was kept"))
    nearest: list[Neighbour] = Field(default_factory=list, description="most similar first")
    warning: str | None = Field(None, description="said when the photo is unfamiliar")
