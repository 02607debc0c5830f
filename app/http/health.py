"""Liveness for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

import os

from fastapi import APIRouter

from app.http.deps import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Is this worker up, and is its model loaded?")
def health(services: ServicesDep) -> dict:
    # The process id tells an operator (and a test) which worker process answered.
    return {"status": "ok", "model_loaded": services.model is not None,
            "store": services.settings.store_backend, "worker": os.getpid()}


# Some load balancers probe with HEAD; it is the same check without a body.
router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
