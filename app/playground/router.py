"""The kernel playground: presets, convolving a stored image, explaining one output pixel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, WebSocket

from app.http.deps import ServicesDep
from app.http.messages import answer_each
from app.http.responses import COMMON_ERRORS, bytes_response, errors, media, npy_file_response
from app.images.deps import StoredImageDep
from app.imaging.encode import ImageFormat
from app.imaging.presets import PRESETS
from app.playground.schemas import (
    ConvRequest,
    ConvSummary,
    InspectRequest,
    LiveEdit,
    PixelExplanation,
    Preset,
)
from app.playground.service import OutputKind, explain_pixel, live_frame, render

router = APIRouter(prefix="/api", tags=["kernels"], responses=COMMON_ERRORS)

_ON_AN_IMAGE = errors(400, 404, 422)
_IMAGE = media("image/jpeg", "image/png", "image/webp", "image/bmp", "application/x-npy",
               model=ConvSummary,
               description="The display image (numbers in X-Conv-Summary), or with ?as= the "
                           "summary as JSON or the raw float32 values as .npy")


@router.get("/kernels/presets", summary="Named kernels a student can start from")
def list_presets() -> dict[str, Preset]:
    return PRESETS


@router.post("/images/{image_id}/convolve", responses={**_IMAGE, **_ON_AN_IMAGE},
             response_class=Response, summary="Convolve a stored image with a kernel")
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


@router.post("/images/{image_id}/inspect", responses=_ON_AN_IMAGE,
             summary="The dot product behind one output pixel")
def inspect(image: StoredImageDep, services: ServicesDep, spec: InspectRequest
            ) -> PixelExplanation:
    return explain_pixel(services, image, spec)


@router.websocket("/playground/live")
async def live_edits(websocket: WebSocket) -> None:
    """Edits in, pictures out, on one connection: each text message is a ``LiveEdit`` (the
    convolve body plus ``image``, ``format`` and ``drawn_scale``), answered in order by a
    text message with the summary and a binary one with the picture (``live_frame``), or by
    the error envelope as text. The page falls back to ``POST /api/images/{id}/convolve``
    where WebSockets do not get through."""
    services = websocket.app.state.services
    await answer_each(websocket, LiveEdit, lambda edit: live_frame(services, edit),
                      services.gate)
