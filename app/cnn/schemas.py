"""What the CNN tab's API answers: the model, predictions, stages, channels, attribution."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClassScore(BaseModel):
    index: int = Field(description="ImageNet class 0-999")
    label: str
    prob: float


class Prediction(BaseModel):
    """Top-5 classes, the coarse groups' summed probabilities, and the crop the model saw."""

    top: list[ClassScore]
    groups: dict[str, float] = Field(description="group name -> summed probability")
    top_group: str | None = Field(description="the coarse group the top class belongs to, if any")
    crop: str = Field(description="URL of the 224x224 crop")


class BlockInfo(BaseModel):
    id: str = Field(description="e.g. stage4.2")
    parts: list[str] = Field(description="expand, depthwise, project (expand may be absent)")


class StageRow(BaseModel):
    """One row of the architecture table, measured from the model at a 224x224 input."""

    id: str
    params: int
    macs: int
    in_shape: list[int]
    out_shape: list[int]
    kernels: list[int]
    receptive_field: int
    stride: int
    dense_params: int = Field(description="what a dense layer mapping the same input to the "
                                          "same output would need")
    blocks: list[BlockInfo]


class ModelDescription(BaseModel):
    name: str
    dataset: str
    parameters: int
    input: list[int]
    preprocessing: str
    stages: list[StageRow]


class ClassMatch(BaseModel):
    index: int
    label: str


class ClassSearch(BaseModel):
    groups: list[str]
    classes: list[ClassMatch]


class StemFilters(BaseModel):
    shape: list[int]
    layout: str
    filters: list[list[list[list[float]]]]


class ChannelMean(BaseModel):
    index: int
    mean: float


class StageStrength(BaseModel):
    stage: str
    shape: list[int]
    mean: float
    active: float = Field(description="fraction of values above zero")
    top_channels: list[ChannelMean]


class StageStrengths(BaseModel):
    stages: list[StageStrength]


class ChannelStats(BaseModel):
    index: int
    mean: float
    max: float
    active: float


class Strength(BaseModel):
    mean: float
    active: float


class AtlasLayout(BaseModel):
    """Where each channel sits in the tiled image: tile ``k`` shows channel ``order[k]``."""

    cols: int
    rows: int
    tile: list[int] = Field(description="[height, width] of one tile in pixels")
    gap: int
    order: list[int]


class StageSummary(BaseModel):
    stage: str
    shape: list[int]
    strength: Strength
    channels: list[ChannelStats]
    top: list[int] = Field(description="the strongest channels, strongest first")
    atlas: AtlasLayout


class ChannelDetail(BaseModel):
    """One feature map's values, with its 2x2 max- and average-pooled versions."""

    stage: str
    channel: int
    shape: list[int]
    values: list[list[float]]
    gap: float = Field(description="global average: what the classifier would read")
    max_pool: list[list[float]] | None = None
    avg_pool: list[list[float]] | None = None


class FeatureValue(BaseModel):
    index: int
    value: float


class PooledVector(BaseModel):
    length: int
    values: list[float]
    top: list[FeatureValue]


class ChannelScore(BaseModel):
    index: int
    score: float


class Attribution(BaseModel):
    """Channels of a stage ranked by gradient x activation for a target."""

    stage: str
    target: int | str = Field(description="a class index or a group name")
    channels: list[ChannelScore]
