"""What the receptive-field route answers (the hierarchy lesson draws it)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.schema import Box


class PhotoSize(BaseModel):
    width: int
    height: int


class ReceptiveField(BaseModel):
    """Where one unit of a stage looks: its theoretical field in the photo and the crop."""

    stage: str
    x: int = Field(description="the unit's column in the stage's map")
    y: int = Field(description="the unit's row")
    map_side: int
    stride: int = Field(description="crop pixels between neighbouring units")
    field_size: int = Field(description="the theoretical field's side in crop pixels (the "
                                        "stage table's receptive field)")
    x0: int = Field(description="the box in the photo's pixels, inclusive")
    y0: int
    x1: int
    y1: int
    crop_box: Box = Field(description="the box in the 224x224 crop, clipped to it")
    seen: Box = Field(description="the part of the photo the model saw (the centre crop)")
    photo: PhotoSize
    scale: float = Field(description="photo pixels per crop pixel")
    effective: str = Field(description="URL of the effective field drawn over the crop")
