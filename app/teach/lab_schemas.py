"""Request and response models of Teach's experiments: the learning curve, the network
trained from scratch, and how familiar a photo is."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from app.core.schema import Strict
from app.teach.schemas import ClassRef, Seed

MAX_SCRATCH_EPOCHS = 30
MAX_CURVE_REPEATS = 10
MAX_CURVE_EPOCHS = 300


class CurveRequest(Strict):
    repeats: Annotated[StrictInt, Field(ge=1, le=MAX_CURVE_REPEATS)] = 5
    epochs: Annotated[StrictInt, Field(ge=1, le=MAX_CURVE_EPOCHS)] = 100
    augment: StrictBool = True
    seed: Seed = 0


class CurvePoint(BaseModel):
    per_class: int = Field(description="photos of each class trained on")
    accuracy: float = Field(description="mean over repeats of the class-balanced accuracy on "
                                        "held-out photos")
    spread: float = Field(description="standard deviation over repeats")
    low: float = Field(description="the worst repeat")
    high: float = Field(description="the best repeat")


class LearningCurve(BaseModel):
    points: list[CurvePoint]
    chance: float = Field(description="the accuracy of guessing: 1 / classes")
    classes: list[ClassRef]
    counts: list[int] = Field(description="photos of each class, in ``classes`` order")
    repeats: int
    epochs: int
    augment: bool
    seed: int
    seconds: float


class ScratchRequest(Strict):
    epochs: Annotated[StrictInt, Field(ge=1, le=MAX_SCRATCH_EPOCHS)] = 20
    seed: Seed | None = Field(None, description=(
        "the folds' seed; default: the seed of the project's last finished training, so the "
        "small network is held out the same photos as the project's classifier was"))
    net: Literal["lecture"] = "lecture"


class Layer(BaseModel):
    name: str
    kind: str
    output_shape: list[int]
    parameters: int
    formula: str = Field(description="how ``parameters`` is counted ('' for none)")


class EpochRow(BaseModel):
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float


class ScratchSide(BaseModel):
    accuracy: float = Field(description="on the held-out photos of the folds")
    confusion: list[list[int]] = Field(description="rows: true class, columns: predicted")
    seconds: float = Field(description="training time: every fold and the final fit")
    parameters_trained: int


class ScratchModel(ScratchSide):
    dense_share: float = Field(description="share of the trained parameters in the dense layer")


class TransferModel(ScratchSide):
    parameters_frozen: int = Field(description="the pretrained backbone's, not trained here")
    epochs: int
    augment: bool


class ScratchResult(BaseModel):
    net: str
    epochs: int
    seed: int
    folds: int
    held_out: int = Field(description="photos judged, each by the networks that never saw it")
    classes: list[ClassRef]
    layers: list[Layer]
    history: list[EpochRow]
    filter_change: list[float] = Field(description="per epoch: |W_e - W_0| / |W_0| of the "
                                                   "first-layer filters")
    scratch: ScratchModel
    transfer: TransferModel
    reading: str = Field(description="why the pretrained features win (or tie), from the numbers")
    filters: str = Field(description="URL template of the filters after an epoch")
    maps: str = Field(description="URL template of the feature maps on a photo")
