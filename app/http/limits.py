"""Request body limits, enforced before and while a body arrives.

Multipart uploads (photos, head files) may be as large as the upload limit;
every other body is JSON and at most ``MAX_JSON_BYTES``: a kernel of 15x15x3
numbers is about 20 KB, while an 8 MB body of extra keys took the event loop
6 s to parse and validate, stalling every other request. A body over its limit
gets the 413 envelope at once when its Content-Length says so, and is cut off
as soon as it passes the limit when it streams in without one.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import ImageTooLarge, RequestTooLarge
from app.http.errors import BodyTooLarge, error_response

MAX_JSON_BYTES = 64 * 1024
# Multipart framing around a file is small; this slack keeps a file of exactly the
# upload limit from being refused here before the upload's own clearer check.
MULTIPART_SLACK = 64 * 1024
PHOTO_ROUTES = ("/images", "/predict")  # multipart bodies past the limit: image_too_large


class BodyLimit:
    """Outermost ASGI layer: the limit for this request's body, applied to every byte."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, headers: Headers, path: str) -> BodyTooLarge:
        """The error this request would get past its limit (it carries the limit)."""
        if headers.get("content-type", "").startswith("multipart/"):
            # Photos arrive at .../images (an upload, a class's photo) and .../predict.
            cls = ImageTooLarge if path.endswith(PHOTO_ROUTES) else RequestTooLarge
            return BodyTooLarge(_too_large(cls, "upload", self.max_upload_bytes),
                                self.max_upload_bytes + MULTIPART_SLACK)
        return BodyTooLarge(json_too_large(), MAX_JSON_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        too_large = self.limit_for(headers, scope.get("path", ""))
        length = headers.get("content-length", "").strip()
        if re.fullmatch(r"[0-9]+", length) and int(length) > too_large.hard_limit:
            await error_response(too_large.error, {"connection": "close"})(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > too_large.hard_limit:
                    # FastAPI lets HTTP exceptions out of its body parser: the 413 reaches
                    # the error handlers and leaves as the envelope.
                    raise too_large
            return message

        await self.app(scope, counted, send)


def json_too_large() -> RequestTooLarge:
    """The error for a JSON body (or WebSocket message) past ``MAX_JSON_BYTES``."""
    return _too_large(RequestTooLarge, "JSON request body", MAX_JSON_BYTES)


def _too_large(cls: type[ImageTooLarge | RequestTooLarge], what: str, limit: int
               ) -> ImageTooLarge | RequestTooLarge:
    size = f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit / 2**10:g} KiB"
    return cls(f"The {what} is larger than the {size} it may be.", max_bytes=limit)
