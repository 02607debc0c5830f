"""The one error vocabulary of ConvLens: every failure reported on purpose is an ``AppError``.

Each class carries its HTTP status and its stable ``code``; the web layer
(``app.http.errors``) turns any of them into the one JSON envelope. Domain code
(decoding, convolution, training) raises these directly, so a refused upload
or an impossible kernel has one name from where it is found to where the
client reads it. The front end branches on ``code``; ``message`` is for people.
"""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    """Base of every error the API reports on purpose (500 ``internal_error`` if raised bare)."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(AppError):
    """A request malformed below the level of its fields (e.g. a broken multipart body)."""

    status, code = 400, "bad_request"


class InvalidJson(AppError):
    status, code = 400, "invalid_json"


class NotFound(AppError):
    status, code = 404, "not_found"


class ImageNotFound(AppError):
    status, code = 404, "image_not_found"


class MethodNotAllowed(AppError):
    status, code = 405, "method_not_allowed"


class Conflict(AppError):
    status, code = 409, "conflict"


class ImageTooLarge(AppError):
    """An image too big to accept: in bytes, in declared pixels, or in one side."""

    status, code = 413, "image_too_large"


class RequestTooLarge(AppError):
    status, code = 413, "request_too_large"


class UnsupportedImageType(AppError):
    status, code = 415, "unsupported_image_type"


class InvalidImage(AppError):
    """Bytes that claim to be an image but cannot be used: truncated, corrupt, absurd shape."""

    status, code = 422, "invalid_image"


class InvalidParameter(AppError):
    status, code = 422, "invalid_parameter"


class InvalidKernel(InvalidParameter):
    status, code = 422, "invalid_kernel"


class Busy(AppError):
    status, code = 503, "busy"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}


class ModelUnavailable(AppError):
    status, code = 503, "model_unavailable"


class StoreUnavailable(AppError):
    status, code = 503, "store_unavailable"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "5"}


def invalid(field: str, problem: str, errors: list[dict] | None = None) -> InvalidParameter:
    """The error for one bad input ``field``: ``invalid_kernel`` when it is part of the kernel,
    ``invalid_parameter`` otherwise; the message names the field as the client wrote it.
    ``errors`` lists every problem found (default: just this one)."""
    cls = InvalidKernel if field.startswith("kernel") else InvalidParameter
    return cls(f"{field}: {problem}", field=field,
               errors=errors if errors is not None else [{"field": field, "problem": problem}])
