"""What the saliency API takes and answers: maps of several methods, their faithfulness
curves and their sanity check. The choices and limits come from ``models.saliency_methods``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, field_validator

from app.core.schema import Strict
from app.jobs.schemas import JobAccepted
from models import labels
from models.preprocess import CROP
from models.saliency_methods import (
    K_DEFAULT,
    K_MAX,
    METHODS,
    OCCLUSION_STRIDES,
    PATCH_DEFAULT,
    STEPS,
    STRIDE_DEFAULT,
)
from models.stages import DEFAULT_CAM_STAGE, STAGE_IDS

Method = Literal[METHODS]  # the tuple is the enum, written once
Stage = Literal[tuple(STAGE_IDS)]
POINTS = STEPS + 1
# Occlusion's patch sides and the strides each may slide by, as the API states them (the
# catalogue's ``occlusion``, and the ``allowed`` of a refused pair).
OCCLUSION = {str(patch): list(strides) for patch, strides in OCCLUSION_STRIDES.items()}


class MethodInfo(BaseModel):
    id: str
    name: str
    summary: str = Field(description="what the map shows, in one line")
    slow: bool = Field(description="computed as a job: GET answers 202 until it is done")
    staged: bool = Field(description="made from a stage's maps (else from the pixels)")


class SaliencyCatalogue(BaseModel):
    """Every method, and the settings a page may offer for them."""

    methods: list[MethodInfo]
    stages: list[str]
    k_choices: list[int] = Field(description="Score-CAM: channels used (any 1..k_max works)")
    k_default: int
    k_max: int
    occlusion: dict[str, list[int]] = Field(description="patch side -> the strides it may "
                                                        "slide by, in 224-pixel units")
    patch_default: int
    stride_default: int
    steps: int = Field(description="deletion and insertion steps (5% of the pixels each)")
    randomised: list[str] = Field(description="the layers the sanity check randomises")
    random_maps: int = Field(description="random maps each faithfulness area is compared with")
    beats_random_sd: float = Field(description="standard deviations a map must beat them by")
    beats_random_min: float = Field(description="the least area it must beat them by")
    sanity_threshold: float = Field(description="the rank correlation from which a map "
                                                "barely changed")


class SaliencyAccepted(JobAccepted):
    """A slow map (Score-CAM, occlusion) being computed. Follow the job; once it is done,
    ``job.result`` is the map's URL (an overlay; add ``&as=heatmap`` or ``&as=npy``), and
    the URL asked for answers 200 too."""


ClassIndex = Annotated[StrictInt, Field(ge=0, le=len(labels.NAMES) - 1)]  # not a boolean


class MeasureRequest(Strict):
    """Which maps to measure: a target, a stage, the methods and their settings. Numbers are
    JSON numbers (``true`` or ``"16"`` is refused, never read as 1 or 16)."""

    target: ClassIndex | Annotated[str, Field(max_length=40)] = Field(
        "top", alias="class", description="top, a class index 0-999 (a number or a string), "
                                          "a class name, or a group")
    stage: Stage = Field(DEFAULT_CAM_STAGE,
                         description="the stage of the CAM methods and Score-CAM")
    methods: list[Method] = Field(default_factory=lambda: list(METHODS), min_length=1,
                                  max_length=len(METHODS))
    k: Annotated[StrictInt, Field(ge=1, le=K_MAX)] | None = Field(
        None, description=f"Score-CAM's channels (default {K_DEFAULT}, or all of a stage "
                          "with fewer)")
    patch: Annotated[StrictInt, Field(ge=1, le=CROP)] = Field(
        PATCH_DEFAULT, description="occlusion's square side")
    stride: Annotated[StrictInt, Field(ge=1, le=CROP)] = Field(
        STRIDE_DEFAULT, description="occlusion's step")

    @field_validator("methods")
    @classmethod
    def _each_once(cls, methods: list[str]) -> list[str]:
        if len(set(methods)) != len(methods):
            raise ValueError("name each method once")
        return methods


class MeasureAccepted(JobAccepted):
    """The measuring job; once done, ``job.result`` is the URL of its typed JSON result
    (GET it: 409 while the job runs, 404 once it is no longer kept)."""


class MethodCurves(BaseModel):
    method: str
    name: str
    deletion: list[float] = Field(min_length=POINTS, max_length=POINTS,
                                  description="probability after removing 0%, 5%, ... 100%")
    insertion: list[float] = Field(min_length=POINTS, max_length=POINTS,
                                   description="probability after revealing 0%, 5%, ... 100%")
    deletion_auc: float = Field(description="mean of deletion: lower is more faithful")
    insertion_auc: float = Field(description="mean of insertion: higher is more faithful")
    map: str = Field(description="URL of the map that was measured")
    map_max: float = Field(description="the map's peak (an all-zero map ranks the pixels by "
                                       "index only)")
    # Saliency: the random baseline of the map's own resolution, and the verdicts against it.
    random_map: str = Field(description="the random maps' resolution (the method's own)")
    random_seeds: list[int] = Field(description="the random maps' seeds (NumPy default_rng)")
    random_deletion: list[float] = Field(min_length=POINTS, max_length=POINTS,
                                         description="the random maps' mean deletion curve")
    random_insertion: list[float] = Field(min_length=POINTS, max_length=POINTS,
                                          description="the random maps' mean insertion curve")
    random_deletion_aucs: list[float] = Field(description="each random map's deletion area")
    random_insertion_aucs: list[float] = Field(description="each random map's insertion area")
    random_deletion_auc: float = Field(description="the random maps' mean deletion area")
    random_deletion_auc_sd: float = Field(description="their sample standard deviation")
    random_insertion_auc: float = Field(description="the random maps' mean insertion area")
    random_insertion_auc_sd: float = Field(description="their sample standard deviation")
    beats_random_deletion: bool = Field(description="deletion_auc below the random mean by "
                                                    "more than the result's margin")
    beats_random_insertion: bool = Field(description="insertion_auc above the random mean by "
                                                     "more than the result's margin")


class FaithfulnessResult(BaseModel):
    """Deletion and insertion curves of each map, with the protocol's end points."""

    image_id: str
    target: int | str = Field(description="a class index or a group name")
    label: str
    stage: str
    steps: int
    probability: float = Field(description="the target's probability on the photo")
    grey_probability: float = Field(description="its probability on the all-grey image")
    random_maps: int = Field(description="random maps measured per resolution")
    beats_random_sd: float = Field(description="beating random maps takes an area better than "
                                               "their mean by this many standard deviations")
    beats_random_min: float = Field(description="... and by at least this much")
    methods: list[MethodCurves]


class MethodSanity(BaseModel):
    method: str
    name: str
    rank_correlation: float | None = Field(
        description="Spearman's rank correlation of the map with the same map after the "
                    "randomisation (null when either map is constant)")
    changes: bool | None = Field(description="the verdict: the correlation is below the "
                                             "result's threshold (negative ones too), so the "
                                             "map changed; null with no correlation")
    note: str | None = None
    randomised_map: str = Field(description="URL of the randomised model's map (a heatmap)")


class SanityResult(BaseModel):
    """How much each map changes when the last stages' weights are random."""

    image_id: str
    target: int | str
    label: str
    stage: str
    randomised: list[str]
    threshold: float = Field(description="a correlation this high or higher barely changed")
    methods: list[MethodSanity]
