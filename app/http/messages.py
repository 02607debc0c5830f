"""Requests as WebSocket messages: each JSON text validated as an HTTP body would be, each
answered with one message, in order, errors in the one envelope.

A connection that carries many requests saves what every HTTP request pays again: the
request line and headers parsed, the route matched, dependencies solved, a response built.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from app.core.errors import AppError, Busy
from app.core.gate import BUSY_MESSAGE, JobGate
from app.http.errors import envelope, invalid_json, validation_error
from app.http.limits import MAX_JSON_BYTES, json_too_large

log = logging.getLogger("convlens")

M = TypeVar("M", bound=BaseModel)
UNEXPECTED = "Something went wrong on our side; please retry."


def parse_message(model: type[M], data: str | bytes) -> M:
    """``data`` as ``model``, or the ``AppError`` the same JSON body gets over HTTP: 413 past
    the JSON limit, 400 ``invalid_json``, 422 naming the field."""
    if len(data) > MAX_JSON_BYTES:
        raise json_too_large()
    # The schema does not describe WebSocket messages: name the fields one carries instead.
    fields = "with the fields " + ", ".join(model.model_fields)
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise invalid_json(f"{exc.msg} at character {exc.pos}", fields) from None
    except (RecursionError, ValueError):
        raise invalid_json("nested too deeply, a number too long, or not UTF-8", fields) from None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise validation_error(RequestValidationError(exc.errors(include_url=False))) from None


async def answer_each(websocket: WebSocket, model: type[M],
                      work: Callable[[M], list[str | bytes]], gate: JobGate) -> None:
    """Accept ``websocket``, then answer every message until the client leaves: with the
    messages ``work`` makes of it, text or binary, in order (it runs in the threadpool: it
    is CPU work, bounded by the job gate inside), or with the error envelope as one text
    message. One message is worked on at a time per connection, so a connection never
    holds more than one job slot; a message arriving while ``gate.capacity`` requests are
    in flight (HTTP or live) is answered 503 ``busy`` before it takes a thread."""
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            data = message.get("text")
            if not gate.admit():
                await websocket.send_text(json.dumps(envelope(Busy(BUSY_MESSAGE))))
                continue
            try:
                request = parse_message(model, data if data is not None else
                                        message.get("bytes") or b"")
                answers = await run_in_threadpool(work, request)
            except AppError as exc:
                await websocket.send_text(json.dumps(envelope(exc)))
                continue
            except Exception:
                log.exception("unhandled error on WebSocket %s", websocket.url.path)
                await websocket.send_text(json.dumps(envelope(AppError(UNEXPECTED))))
                continue
            finally:
                gate.leave()
            for answer in answers:
                if isinstance(answer, bytes):
                    await websocket.send_bytes(answer)
                else:
                    await websocket.send_text(answer)
    except WebSocketDisconnect:
        return
