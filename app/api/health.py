"""Liveness for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


@router.get("/health", summary="Is this worker up, and is its model loaded?")
def health(services: ServicesDep) -> dict:
    return {"status": "ok", "model_loaded": services.model is not None,
            "store": services.settings.store_backend}


# Some load balancers probe with HEAD; it is the same check without a body.
router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
