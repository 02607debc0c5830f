"""The kernel playground: presets, convolving a stored image, explaining one output pixel."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.api.responses import Format, image_response, npy_response
from app.deps import ServicesDep, StoredImageDep
from app.playground import conv_summary, explain_pixel, run_convolution
from app.imaging.encode import to_display
from app.imaging.convolve import PRESETS
from app.schemas import ConvQuery, ConvRequest, InspectRequest

router = APIRouter(prefix="/api", tags=["kernels"])

As = Literal["image", "json", "npy"]
_IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}, "application/x-npy": {}},
                "description": "The display image, or JSON / .npy with ?as="}}


@router.get("/kernels/presets", summary="Named kernels a student can start from")
def list_presets() -> dict[str, dict]:
    return PRESETS


def _respond(image: StoredImageDep, services: ServicesDep, spec: ConvRequest, fmt: Format,
             as_: As) -> Response:
    result = run_convolution(services, image, spec)
    if as_ == "json":
        return Response(conv_summary(result).model_dump_json(), media_type="application/json")
    if as_ == "npy":
        return npy_response(result.values, f"convlens-{image.id[:8]}")
    response = image_response(to_display(result.values, spec.display), fmt,
                              filename="convlens-output" if fmt == "png" else None)
    # One round trip per edit: the numbers the UI shows ride along with the picture.
    response.headers["X-Conv-Summary"] = conv_summary(result).model_dump_json()
    return response


@router.post("/images/{image_id}/convolve", responses=_IMAGE, response_class=Response,
             summary="Convolve a stored image with a kernel")
def convolve_post(image: StoredImageDep, services: ServicesDep, spec: ConvRequest,
                  format: Format = "jpeg",
                  as_: Annotated[As, Query(alias="as")] = "image") -> Response:
    return _respond(image, services, spec, format, as_)


@router.get("/images/{image_id}/convolve", responses=_IMAGE, response_class=Response,
            summary="The same, with parameters in the query string (cacheable, <img src>)")
def convolve_get(image: StoredImageDep, services: ServicesDep,
                 query: Annotated[ConvQuery, Depends()], format: Format = "jpeg",
                 as_: Annotated[As, Query(alias="as")] = "image") -> Response:
    return _respond(image, services, query.to_request(), format, as_)


@router.post("/images/{image_id}/inspect", summary="The dot product behind one output pixel")
def inspect(image: StoredImageDep, services: ServicesDep, spec: InspectRequest) -> dict:
    return explain_pixel(services, image, spec)
