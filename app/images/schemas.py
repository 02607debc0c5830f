"""What the images API answers: a stored image's id and size, and the bundled samples."""

from __future__ import annotations

from pydantic import BaseModel, Field, computed_field


class ImageInfo(BaseModel):
    """A stored image: use ``id`` in every later call."""

    id: str = Field(description="content hash of the pixels: 32 hex digits")
    width: int
    height: int


class SampleInfo(BaseModel):
    """A built-in photo and the credit its licence asks for."""

    id: str = Field(description="the file name without extension: a stable id for links")
    file: str = Field(exclude=True)  # under static/samples/
    title: str
    licence: str
    credit: str
    source: str
    changes: str

    @computed_field
    @property
    def url(self) -> str:
        return f"/static/samples/{self.file}"
