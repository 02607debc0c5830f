"""Responses shared by every router: pictures, NumPy arrays, cache headers."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import Response
from pydantic import BaseModel

from app.core.schema import ErrorEnvelope
from app.imaging.encode import MEDIA_TYPES, ImageFormat, encode_npy

# Every URL that serves derived data names its inputs (content id + parameters),
# so a response never changes: let browsers and proxies keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def bytes_response(content: bytes, fmt: ImageFormat, filename: str | None = None) -> Response:
    """Already-encoded image bytes; ``filename`` makes it a download."""
    headers = dict(IMMUTABLE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{_ext(fmt)}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


def npy_file_response(content: bytes, filename: str) -> Response:
    """An encoded ``.npy`` file, as a download."""
    headers = dict(IMMUTABLE)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.npy"'
    return Response(content, media_type="application/x-npy", headers=headers)


def npy_response(values: np.ndarray, filename: str) -> Response:
    """Raw float32 values as a downloadable ``.npy`` file."""
    return npy_file_response(encode_npy(values), filename)


def _ext(fmt: ImageFormat) -> str:
    return "jpg" if fmt == "jpeg" else fmt


_MEANING = {
    400: "Not valid JSON (invalid_json), or a malformed upload (bad_request)",
    404: "Nothing by that id or name (not_found, image_not_found)",
    409: "Conflicts with the resource's state (conflict)",
    413: "A body, file or image over its limit (request_too_large, image_too_large)",
    415: "Not an image format ConvLens reads (unsupported_image_type)",
    422: "A field out of range or of the wrong type (invalid_parameter, invalid_kernel), "
         "or an unusable image (invalid_image)",
    500: "A fault on the server's side (internal_error)",
    503: "Busy, or the model or a shared store unavailable (busy, model_unavailable, "
         "store_unavailable); retry after Retry-After",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring each status as the error envelope."""
    return {s: {"model": ErrorEnvelope, "description": _MEANING[s]} for s in statuses}


# What any API request may get, whatever the route: a body over its limit, a fault, busy.
COMMON_ERRORS = errors(413, 500, 503)


def media(*types: str, model: type[BaseModel] | None = None, description: str = "OK"
          ) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a 200 that may be any of these media types (and JSON of
    ``model`` when one is given)."""
    answer: dict[str, Any] = {"description": description, "content": {t: {} for t in types}}
    if model is not None:
        answer["model"] = model
    return {200: answer}


def json_response(model: BaseModel) -> Response:
    """A typed answer from a route that may also answer a picture (``response_class=Response``)."""
    return Response(model.model_dump_json(), media_type="application/json")
