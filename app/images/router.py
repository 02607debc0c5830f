"""Uploading images, loading samples, and reading stored images back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile

from app.http.deps import ServicesDep
from app.http.responses import COMMON_ERRORS, bytes_response, errors, media
from app.images.deps import StoredImageDep
from app.images.samples import load_samples
from app.images.schemas import ImageInfo, SampleInfo
from app.images.service import ingest, ingest_sample
from app.imaging.encode import ImageFormat, encode

router = APIRouter(prefix="/api", tags=["images"], responses=COMMON_ERRORS)

UPLOAD_LIMIT_NOTE = "JPEG, PNG, WebP, BMP or GIF; the byte limit is CONVLENS_MAX_UPLOAD_BYTES."


@router.post("/images", status_code=201, responses=errors(400, 415, 422),
             summary="Upload a photo", description=UPLOAD_LIMIT_NOTE)
def upload_image(services: ServicesDep,
                 file: Annotated[UploadFile, File(description=UPLOAD_LIMIT_NOTE)]) -> ImageInfo:
    return ingest(services, file.file.read(services.settings.max_upload_bytes + 1))


@router.get("/images/{image_id}", summary="A stored image, as uploaded at working size",
            responses={**media("image/png", "image/jpeg", "image/webp", "image/bmp"),
                       **errors(404, 422)}, response_class=Response)
def get_image(image: StoredImageDep, services: ServicesDep,
              format: ImageFormat = "png") -> Response:
    content = services.derived.get_or_compute(
        ("encoded", image.id, format), lambda: encode(image.rgb, format))
    return bytes_response(content, format)


@router.get("/samples", summary="The built-in photos")
def list_samples(services: ServicesDep) -> list[SampleInfo]:
    return list(load_samples(services.settings.samples_dir))


@router.post("/samples/{sample_id}/image", status_code=201, responses=errors(404, 422),
             summary="Load a built-in photo as a stored image, without uploading it")
def load_sample(sample_id: str, services: ServicesDep) -> ImageInfo:
    return ingest_sample(services, sample_id)
