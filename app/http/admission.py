"""Admission: refuse an API request past the gate's capacity before it takes a thread."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.errors import Busy
from app.core.gate import BUSY_MESSAGE, JobGate
from app.http.errors import error_response

# Requests that never queue behind CPU work: a load balancer's health check must
# still be answered while the server is saturated.
UNGATED_PATHS = frozenset({"/api/health"})


class AdmissionLimit:
    """ASGI middleware: 503 ``busy`` for an API request arriving while ``gate.capacity``
    others are in flight (live WebSocket edits count too: ``app.http.messages``). The
    counter is touched only on the event loop: no lock."""

    def __init__(self, app: ASGIApp, gate: JobGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/api/") or path in UNGATED_PATHS:
            await self.app(scope, receive, send)
            return
        if not self.gate.admit():
            await error_response(Busy(BUSY_MESSAGE))(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.gate.leave()
