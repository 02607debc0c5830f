"""The one JSON envelope every failure leaves in, and the handlers that enforce it.

Every error is
``{"error": {"status": int, "code": str, "message": str, "details": {...}}}``:
an ``AppError`` (``app.core.errors``) as it is, and FastAPI's and Starlette's
own failures (validation, unknown paths, bodies over the limit) translated
into the same classes first, so one vocabulary covers them all.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import (
    AppError,
    BadRequest,
    InvalidJson,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    invalid,
)

log = logging.getLogger("convlens")


def envelope(exc: AppError) -> dict[str, Any]:
    """The one error body: ``{"error": {"status", "code", "message", "details"}}``."""
    return {"error": {"status": exc.status, "code": exc.code, "message": exc.message,
                      "details": exc.details}}


def error_response(exc: AppError, headers: dict[str, str] | None = None) -> JSONResponse:
    """The envelope response for ``exc`` (also for code that runs outside the handlers)."""
    return JSONResponse(envelope(exc), status_code=exc.status,
                        headers={**exc.headers, **(headers or {})} or None)


class BodyTooLarge(StarletteHTTPException):
    """Carries a 413 ``AppError`` out of FastAPI's body parser, which lets only HTTP exceptions
    through (``app.http.limits`` raises it while a body streams in)."""

    def __init__(self, error: AppError, hard_limit: int) -> None:
        super().__init__(error.status, error.message)
        self.error = error
        self.hard_limit = hard_limit  # what is enforced: the limit plus framing


# Starlette's own HTTP errors, by status, as the API's classes (any other is a bad request).
_HTTP_ERRORS: dict[int, type[AppError]] = {404: NotFound, 405: MethodNotAllowed,
                                           413: RequestTooLarge}

# Pydantic names the branch of a union (``int``, ``list[...]``, ``function-after[...]``)
# in an error's location; the client never wrote those, so they are left out.
_UNION_TAGS = {"int", "float", "str", "bool", "none", "list", "dict", "literal"}
_TAG_PREFIXES = ("constrained-", "function-", "lax-or-strict", "json-or-python", "tagged-union")
# When a value fits no branch of a union, these say only "not this branch"; a more
# specific problem (not finite, out of range) is the one worth reporting first.
_BRANCH_MISMATCH = {"int_type", "int_from_float", "float_type", "list_type", "dict_type",
                    "model_type", "literal_error", "string_type", "bool_type", "none_required"}
_MAX_FIELD = 80  # characters of a field path: extra keys are client-chosen and unbounded
_FASTAPI_BODY_ERROR = "There was an error parsing the body"


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


ROUTE_FIELDS = "with this route's fields (each route's are in /openapi.json, drawn at /docs)"


def invalid_json(reason: str, fields: str = ROUTE_FIELDS) -> InvalidJson:
    """400 ``invalid_json``: what broke (``reason``) and what to send instead. Every JSON
    route shares it, so by default it points at the schema rather than naming fields (/docs
    draws it but loads its page from a CDN; /openapi.json is always served)."""
    return InvalidJson(f"The request body is not valid JSON ({reason}); send one JSON object "
                       f"{fields}.")


def validation_error(exc: RequestValidationError) -> AppError:
    """FastAPI's validation failure as the API's own error: 400 ``invalid_json`` for a body
    that is not JSON, else 422 naming the most specific bad field first."""
    errors = exc.errors()
    if errors and errors[0].get("type") == "json_invalid":
        # Pydantic reports a syntax error at "field" <character offset>: say what it is.
        reason = str((errors[0].get("ctx") or {}).get("error", "not JSON"))
        where = [p for p in errors[0].get("loc", ()) if isinstance(p, int)]
        at = f" at character {where[0]}" if where else ""
        return invalid_json(f"{_short_text(reason, 80)}{at}")
    problems = []
    for err in errors[:10]:
        item = {"field": _field_path(tuple(err.get("loc", ()))),
                "problem": err.get("msg", "invalid")}
        if "input" in err and err.get("type") != "missing":
            item["got"] = _short(err["input"])
        item["type"] = err.get("type", "")
        problems.append(item)
    specific = [p for p in problems if p["type"] not in _BRANCH_MISMATCH]
    first = (specific or problems or [{"field": "request", "problem": "invalid"}])[0]
    for item in problems:
        item.pop("type", None)
    return invalid(first["field"], _short_text(str(first["problem"]), 200), errors=problems)


def _http_error(request: Request, exc: StarletteHTTPException) -> AppError:
    if isinstance(exc, BodyTooLarge):
        return exc.error
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if (exc.status_code == 400 and message == _FASTAPI_BODY_ERROR
            and "json" in request.headers.get("content-type", "")):
        # FastAPI's answer when the JSON parser itself raised (not a syntax error).
        return invalid_json("nested too deeply, a number too long, or not UTF-8")
    if exc.status_code == 404 and message == "Not Found":
        message = "There is nothing at this address."
    return _HTTP_ERRORS.get(exc.status_code, BadRequest)(_short_text(message, 300))


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through the one envelope."""

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # A body cut off while it streams: the rest of it will not be read.
        close = {"connection": "close"} if isinstance(exc, BodyTooLarge) else {}
        return error_response(_http_error(request, exc),
                              {**(getattr(exc, "headers", None) or {}), **close})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the cause for the operator; never echo internals to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(AppError("Something went wrong on our side; please retry."))
