"""Teach it's request and response models."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt

from app.core.schema import Strict


class ClassCreate(Strict):
    # Blank or invisible names are refused by ``app.teach.projects.clean_class_name`` (one rule for
    # names typed here and names read from an uploaded head file).
    name: Annotated[str, Field(min_length=1, max_length=40)]


class TrainRequest(Strict):
    epochs: Annotated[StrictInt, Field(ge=1, le=500)] = 100
    augment: StrictBool = True
    seed: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] = 0


class ImageRef(Strict):
    image_id: Annotated[str, Field(min_length=1, max_length=64)]
