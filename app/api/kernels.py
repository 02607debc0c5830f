"""The kernel playground: presets, convolving a stored image, explaining one output pixel."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.responses import Format, image_response, npy_response
from app.deps import ServicesDep, StoredImageDep
from app.imaging.encode import display_range, to_display
from app.imaging.presets import PRESETS
from app.playground import conv_summary, explain_pixel, run_convolution
from app.schemas import ConvRequest, InspectRequest

router = APIRouter(prefix="/api", tags=["kernels"])

As = Literal["image", "json", "npy"]
_IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}, "application/x-npy": {}},
                "description": "The display image, or JSON / .npy with ?as="}}


@router.get("/kernels/presets", summary="Named kernels a student can start from")
def list_presets() -> dict[str, dict]:
    return PRESETS


@router.post("/images/{image_id}/convolve", responses=_IMAGE, response_class=Response,
             summary="Convolve a stored image with a kernel")
def convolve_image(image: StoredImageDep, services: ServicesDep, spec: ConvRequest,
                   fmt: Annotated[Format, Query(alias="format")] = "jpeg",
                   as_: Annotated[As, Query(alias="as")] = "image") -> Response:
    """The display image (JPEG by default: fastest to encode), or ``?as=json|npy``."""
    result = run_convolution(services, image, spec.to_spec())
    limits = display_range(result.values, spec.display)
    summary = json.dumps(conv_summary(result, spec, limits))
    if as_ == "json":
        return Response(summary, media_type="application/json")
    if as_ == "npy":
        return npy_response(result.values, f"convlens-{image.id[:8]}")
    response = image_response(to_display(result.values, spec.display, limits), fmt,
                              filename="convlens-output" if fmt == "png" else None)
    # One round trip per edit: the numbers the UI shows ride along with the picture.
    response.headers["X-Conv-Summary"] = summary
    return response


@router.post("/images/{image_id}/inspect", summary="The dot product behind one output pixel")
def inspect(image: StoredImageDep, services: ServicesDep, spec: InspectRequest) -> dict:
    return explain_pixel(services, image, spec)
