"""The one error vocabulary of the API and the handlers that enforce its envelope.

Every failure leaves the server as
``{"error": {"status": int, "code": str, "message": str, "details": {...}}}``.
The front end branches on ``code``; ``message`` is for people.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.imaging.convolve import ConvParamError
from app.imaging.decode import DecodeError

log = logging.getLogger("convlens")


class AppError(Exception):
    """Base of every error the API reports on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(AppError):
    status, code = 400, "bad_request"


class NotFound(AppError):
    status, code = 404, "not_found"


class ImageNotFound(AppError):
    status, code = 404, "image_not_found"


class ImageTooLarge(AppError):
    status, code = 413, "image_too_large"


class UnsupportedImageType(AppError):
    status, code = 415, "unsupported_image_type"


class InvalidImage(AppError):
    status, code = 422, "invalid_image"


class InvalidParameter(AppError):
    status, code = 422, "invalid_parameter"


class InvalidKernel(AppError):
    status, code = 422, "invalid_kernel"


class Busy(AppError):
    status, code = 503, "busy"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "1"}


class Conflict(AppError):
    status, code = 409, "conflict"


class ModelUnavailable(AppError):
    status, code = 503, "model_unavailable"


class StoreUnavailable(AppError):
    status, code = 503, "store_unavailable"
    headers: ClassVar[dict[str, str]] = {"Retry-After": "5"}


def envelope(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    """The JSON body of every error response."""
    return {"error": {"status": status, "code": code, "message": message, "details": details or {}}}


def _respond(status: int, code: str, message: str, details: dict | None = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(envelope(status, code, message, details), status_code=status,
                        headers=headers)


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}
_DECODE_CODES = {
    "too_large": (413, "image_too_large"),
    "unsupported": (415, "unsupported_image_type"),
    "corrupt": (422, "invalid_image"),
}


def _field_path(loc: tuple) -> str:
    # Drop FastAPI's "body"/"query" prefix so the field reads as the client wrote it.
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request"


def _short(value: Any, limit: int = 60) -> str:
    """A bounded rendering of an input value: errors never echo a whole request back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one envelope."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return _respond(exc.status, exc.code, exc.message, exc.details, exc.headers or None)

    @app.exception_handler(DecodeError)
    async def _decode_error(_: Request, exc: DecodeError) -> JSONResponse:
        status, code = _DECODE_CODES[exc.kind]
        return _respond(status, code, exc.message, exc.details)

    @app.exception_handler(ConvParamError)
    async def _conv_param(_: Request, exc: ConvParamError) -> JSONResponse:
        code = "invalid_kernel" if exc.field.startswith("kernel") else "invalid_parameter"
        return _respond(422, code, f"{exc.field}: {exc.message}",
                        {"errors": [{"field": exc.field, "problem": exc.message}]})

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:10]:
            field = _field_path(tuple(err.get("loc", ())))
            item = {"field": field, "problem": err.get("msg", "invalid")}
            if "input" in err and err.get("type") != "missing":
                item["got"] = _short(err["input"])
            problems.append(item)
        first = problems[0] if problems else {"field": "request", "problem": "invalid"}
        kernel_problem = first["field"].startswith("kernel")
        code = "invalid_kernel" if kernel_problem else "invalid_parameter"
        message = f"{first['field']}: {first['problem']}"
        return _respond(422, code, message, {"errors": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        elif exc.status_code == 413:
            # Starlette's body limit fired while the request was still arriving.
            limit_mib = request.app.state.services.settings.max_upload_bytes / 2**20
            if request.headers.get("content-type", "").startswith("multipart/"):
                code = "image_too_large"
            message = f"The request is larger than the {limit_mib:g} MiB upload limit."
        return _respond(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the cause for the operator; never echo internals to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(500, "internal_error", "Something went wrong on our side; please retry.")
