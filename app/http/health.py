"""Liveness for load balancers and the Docker HEALTHCHECK."""

from __future__ import annotations

import os
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.http.deps import ServicesDep
from app.http.responses import errors

router = APIRouter(prefix="/api", tags=["health"], responses=errors(413, 500))


class Health(BaseModel):
    status: Literal["ok"]
    model_loaded: bool
    store: str = Field(description="where images and projects live: memory or redis")
    worker: int = Field(description="the answering process's id")


@router.get("/health", summary="Is this worker up, and is its model loaded?")
def health(services: ServicesDep) -> Health:
    # The process id tells an operator (and a test) which worker process answered.
    return Health(status="ok", model_loaded=services.model is not None,
                  store=services.settings.store_backend, worker=os.getpid())


# Some load balancers probe with HEAD; it is the same check without a body.
router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
