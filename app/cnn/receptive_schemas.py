"""What the receptive-field route answers (the hierarchy lesson draws it), and the encoded
pictures it and the translation lesson's map answer beside their JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from fastapi import Response
from pydantic import BaseModel, Field

from app.core.schema import Box
from app.http.responses import bytes_response, json_response, npy_file_response


class PhotoSize(BaseModel):
    width: int
    height: int


class ReceptiveField(BaseModel):
    """Where one unit of a stage looks: its theoretical field in the photo and the crop."""

    stage: str
    x: int = Field(description="the unit's column in the stage's map")
    y: int = Field(description="the unit's row")
    channel: int | None = Field(description="the one channel the effective field is of, or "
                                            "null for all channels summed")
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
    effective: str = Field(description="URL of the effective field drawn over the crop (of "
                                       "the channel, when one was asked for)")


@dataclass(frozen=True)
class Picture:
    """An answer already encoded: a PNG or a ``.npy`` file, the name a download takes, and
    the headers that describe it."""

    content: bytes
    fmt: Literal["png", "npy"]
    name: str
    headers: dict[str, str] = field(default_factory=dict)


def answer_response(found: BaseModel | Picture) -> Response:
    """A typed JSON answer or an encoded picture, as a response."""
    if isinstance(found, BaseModel):
        return json_response(found)
    response = (npy_file_response(found.content, found.name) if found.fmt == "npy"
                else bytes_response(found.content, "png"))
    response.headers.update(found.headers)
    return response
