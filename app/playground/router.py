"""The kernel playground: presets, convolving a stored image, explaining one output pixel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.http.deps import ServicesDep
from app.http.responses import bytes_response, npy_file_response
from app.images.deps import StoredImageDep
from app.imaging.encode import ImageFormat
from app.imaging.presets import PRESETS
from app.playground.schemas import ConvRequest, InspectRequest
from app.playground.service import OutputKind, explain_pixel, render

router = APIRouter(prefix="/api", tags=["kernels"])

_IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}, "application/x-npy": {}},
                "description": "The display image, or JSON / .npy with ?as="}}


@router.get("/kernels/presets", summary="Named kernels a student can start from")
def list_presets() -> dict[str, dict]:
    return PRESETS


@router.post("/images/{image_id}/convolve", responses=_IMAGE, response_class=Response,
             summary="Convolve a stored image with a kernel")
def convolve_image(image: StoredImageDep, services: ServicesDep, spec: ConvRequest,
                   fmt: Annotated[ImageFormat, Query(alias="format")] = "jpeg",
                   as_: Annotated[OutputKind, Query(alias="as")] = "image") -> Response:
    """The display image (JPEG by default: fastest to encode), or ``?as=json|npy``."""
    out = render(services, image, spec, as_, fmt)
    name = f"convlens-{image.id[:8]}"  # the same name for the picture and its values
    if as_ == "json":
        return Response(out.body, media_type="application/json")
    if as_ == "npy":
        return npy_file_response(out.body, name)
    response = bytes_response(out.body, fmt, filename=name if fmt == "png" else None)
    # One round trip per edit: the numbers the UI shows ride along with the picture.
    response.headers["X-Conv-Summary"] = out.summary
    return response


@router.post("/images/{image_id}/inspect", summary="The dot product behind one output pixel")
def inspect(image: StoredImageDep, services: ServicesDep, spec: InspectRequest) -> dict:
    return explain_pixel(services, image, spec)
