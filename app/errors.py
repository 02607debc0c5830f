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


class NotFound(AppError):
    status, code = 404, "not_found"


class ImageNotFound(AppError):
    status, code = 404, "image_not_found"


class ImageTooLarge(AppError):
    status, code = 413, "image_too_large"


class RequestTooLarge(AppError):
    status, code = 413, "request_too_large"


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


def error_response(exc: AppError) -> JSONResponse:
    """The envelope response for ``exc`` (also for code that runs outside the handlers)."""
    return _respond(exc.status, exc.code, exc.message, exc.details, exc.headers or None)


_HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed",
               413: "request_too_large"}
_DECODE_CODES = {
    "too_large": (413, "image_too_large"),
    "unsupported": (415, "unsupported_image_type"),
    "corrupt": (422, "invalid_image"),
}
_INVALID_IMAGE = (422, "invalid_image")  # any other DecodeError kind

# Pydantic names the branch of a union (``int``, ``list[...]``, ``function-after[...]``)
# in an error's location; the client never wrote those, so they are left out.
_UNION_TAGS = {"int", "float", "str", "bool", "none", "list", "dict", "literal"}
_TAG_PREFIXES = ("constrained-", "function-", "lax-or-strict", "json-or-python", "tagged-union")
# When a value fits no branch of a union, these say only "not this branch"; a more
# specific problem (not finite, out of range) is the one worth reporting first.
_BRANCH_MISMATCH = {"int_type", "int_from_float", "float_type", "list_type", "dict_type",
                    "model_type", "literal_error", "string_type", "bool_type", "none_required"}
_MAX_FIELD = 80  # characters of a field path: extra keys are client-chosen and unbounded


def _field_path(loc: tuple) -> str:
    # Drop FastAPI's "body"/"query" prefix so the field reads as the client wrote it.
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    parts = [p for p in parts if not ("[" in p or "(" in p or p.lower() in _UNION_TAGS
                                      or p.startswith(_TAG_PREFIXES))]
    return _short_text(".".join(parts) or "request", _MAX_FIELD)


def _short_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short(value: Any, limit: int = 60) -> str:
    """A bounded rendering of an input value: errors never echo a whole request back."""
    if isinstance(value, str | bytes) and len(value) > limit:
        value = value[:limit]  # repr of a huge string costs as much memory again
    try:
        text = repr(value)
    except RecursionError:  # deeply nested JSON
        text = f"<{type(value).__name__}>"
    return _short_text(text, limit)


class BodyTooLarge(StarletteHTTPException):
    """A request body over its limit (``app.limits``): raised while the body streams in,
    which FastAPI's body parser lets through as an HTTP exception."""

    def __init__(self, code: str, limit: int, slack: int = 0, what: str = "request") -> None:
        super().__init__(413, f"The {what} is larger than the {_size(limit)} it may be.")
        self.code = code
        self.limit = limit
        self.hard_limit = limit + slack  # what is enforced: the limit plus framing

    def response(self, close: bool = False) -> JSONResponse:
        """The envelope; ``close`` when the rest of the body will not be read."""
        return _respond(413, self.code, self.detail, {"max_bytes": self.limit},
                        {"connection": "close"} if close else None)


def _size(n: int) -> str:
    return f"{n / 2**20:g} MiB" if n >= 2**20 else f"{n / 2**10:g} KiB"


_FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _invalid_json(reason: str) -> JSONResponse:
    return _respond(400, "invalid_json", f"The request body is not valid JSON ({reason}); "
                    'send an object such as {"kernel": [[0, 1, 0], [1, -4, 1], [0, 1, 0]]}.')


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one envelope."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)


    @app.exception_handler(DecodeError)
    async def _decode_error(_: Request, exc: DecodeError) -> JSONResponse:
        status, code = _DECODE_CODES.get(exc.kind, _INVALID_IMAGE)
        return _respond(status, code, exc.message, exc.details)

    @app.exception_handler(ConvParamError)
    async def _conv_param(_: Request, exc: ConvParamError) -> JSONResponse:
        code = "invalid_kernel" if exc.field.startswith("kernel") else "invalid_parameter"
        return _respond(422, code, f"{exc.field}: {exc.message}",
                        {"errors": [{"field": exc.field, "problem": exc.message}]})

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if errors and errors[0].get("type") == "json_invalid":
            # Pydantic reports a syntax error at "field" <character offset>: say what it is.
            reason = str((errors[0].get("ctx") or {}).get("error", "not JSON"))
            where = [p for p in errors[0].get("loc", ()) if isinstance(p, int)]
            at = f" at character {where[0]}" if where else ""
            return _invalid_json(f"{_short_text(reason, 80)}{at}")
        problems = []
        for err in errors[:10]:
            field = _field_path(tuple(err.get("loc", ())))
            item = {"field": field, "problem": err.get("msg", "invalid")}
            if "input" in err and err.get("type") != "missing":
                item["got"] = _short(err["input"])
            item["type"] = err.get("type", "")
            problems.append(item)
        specific = [p for p in problems if p["type"] not in _BRANCH_MISMATCH]
        first = (specific or problems or [{"field": "request", "problem": "invalid"}])[0]
        for item in problems:
            item.pop("type", None)
        kernel_problem = first["field"].startswith("kernel")
        code = "invalid_kernel" if kernel_problem else "invalid_parameter"
        message = f"{first['field']}: {_short_text(str(first['problem']), 200)}"
        return _respond(422, code, message, {"errors": problems})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyTooLarge):
            return exc.response(close=True)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        elif (exc.status_code == 400 and message == _FASTAPI_BODY_ERROR
              and "json" in request.headers.get("content-type", "")):
            # FastAPI's answer when the JSON parser itself raised (not a syntax error).
            return _invalid_json("nested too deeply, a number too long, or not UTF-8")
        message = _short_text(message, 300)
        return _respond(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the cause for the operator; never echo internals to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(500, "internal_error", "Something went wrong on our side; please retry.")
