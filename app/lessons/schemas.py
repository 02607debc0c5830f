"""What the lessons' API answers: the lesson list and the experiments' numbers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.cnn.channels_schemas import SEED_MAX
from app.core.schema import Strict
from app.teach.lab_schemas import CurvePoint

Instrument = Literal["inspector", "edges", "translation", "stem-filters", "receptive-field",
                     "parameter-count", "pooling", "output-size", "relu", "cnn-maps", "teach",
                     "spurious", "learning-curve"]


class Lesson(BaseModel):
    """One idea, its words and the experiment that shows it on the loaded photo."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="stable id, part of the page's URL")
    title: str
    summary: str = Field(description="the idea in one sentence")
    url: str = Field(description="the page link that opens the lesson")
    text: str = Field(description="the lesson's own words: two or three sentences")
    try_: str = Field(alias="try", description="one thing to try")
    instrument: Instrument = Field(description="which experiment the page shows")
    endpoints: list[str] = Field(description='the API calls it uses, "METHOD /path"')
    needs_model: bool = Field(description="needs the CNN (503 model_unavailable without it)")
    previous: str | None = Field(description="the lesson before, in teaching order")
    next: str | None = Field(description="the lesson after, in teaching order")


class LessonList(BaseModel):
    lessons: list[Lesson] = Field(description="in teaching order")


class ClassOf(BaseModel):
    index: int
    label: str
    prob: float


class ShiftRange(BaseModel):
    min_shift: int
    max_shift: int


class Requested(BaseModel):
    max_shift: int
    step: int


class ShiftRow(BaseModel):
    shift: int = Field(description="pixels of the 224x224 view; positive moves the window "
                                   "right (x) or down (y) over the photo")
    top_index: int
    top_label: str
    top_prob: float
    prob_of_unshifted_top: float
    map_similarity: float = Field(description="cosine between this view's map and the "
                                              "unshifted map moved by shift / stride")
    aligned: bool = Field(description="shift is a multiple of the stage's stride: the "
                                      "comparison is exact")


class TranslationCurve(BaseModel):
    """The prediction and the stage's map as the model's view slides over the photo."""

    stage: str
    axis: Literal["x", "y"]
    stride: int
    map_side: int
    requested: Requested
    covered: ShiftRange = Field(description="the shifts measured: the request's range, "
                                            "clipped to the photo's limits")
    limits: ShiftRange = Field(description="the farthest the view can move each way along "
                                           "the axis (what the map and crop routes accept)")
    unshifted_top: ClassOf
    rows: list[ShiftRow]
    top_changes: list[int] = Field(description="shifts whose top class is not shift 0's")
    similarity_method: str


class SpuriousRequest(Strict):
    """The cure's job takes no parameters: an empty object (or no body) starts it, and any key
    is refused rather than silently ignored."""


class SpuriousPoint(BaseModel):
    mixed_share: float = Field(description="share of each class's training photos placed on "
                                           "the other class's background")
    mixed_photos: int = Field(description="how many of a class's training photos that is")
    accuracy_training_backgrounds: float = Field(description="mean over repeats: test photos "
                                                             "on the backgrounds the classes "
                                                             "were trained on")
    training_low: float = Field(description="the worst repeat on the training backgrounds")
    training_high: float = Field(description="the best repeat on the training backgrounds")
    accuracy_swapped_backgrounds: float = Field(description="mean over repeats: test photos "
                                                            "with the backgrounds swapped")
    swapped_low: float = Field(description="the worst repeat with the backgrounds swapped")
    swapped_high: float = Field(description="the best repeat with the backgrounds swapped")


class SpuriousCurve(BaseModel):
    """The cure for a spurious feature: accuracy on swapped backgrounds as the mix grows."""

    curve: list[SpuriousPoint]
    train_per_class: int
    test_per_class: int
    repeats: int = Field(description="trainings per share, each on its own draw of scenes")
    pooled_scenes: dict[str, int] = Field(description="scenes drawn and embedded once, that "
                                                      "the repeats draw from: own (a shape on "
                                                      "its training background) and other")
    shapes: str
    backgrounds: dict[str, str] = Field(description="shape -> the background photo it is "
                                                    "trained on: mountains or rocket")
    text: str


class HowManyRequest(Strict):
    repeats: Annotated[StrictInt, Field(ge=1, le=10)] = 10  # the lesson's words quote 10
    seed: Annotated[StrictInt, Field(ge=0, le=SEED_MAX)] = 0


class PairCurve(BaseModel):
    name: Literal["coarse", "fine"]
    title: str
    classes: list[str]
    photos: dict[str, list[str]] = Field(description="class -> URLs of its bundled photos")
    points: list[CurvePoint] = Field(description="Teach's learning-curve points")


class LearningCurves(BaseModel):
    """Accuracy against photos per class, for a coarse and a fine pair of classes."""

    pairs: list[PairCurve]
    per_class: int = Field(description="photos of each class in all (trained on or held out)")
    chance: float
    repeats: int
    seed: int
