"""Assemble the ConvLens application: routers, static files, error handlers. No routes here."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import cv2
from fastapi import FastAPI

from app.api import health, images, kernels, model, projects
from app.config import ROOT, Settings
from app.deps import Services
from app.errors import install_error_handlers
from app.jobs import AdmissionLimit
from app.limits import BodyLimit
from app.web import pages
from app.web.assets import Assets, VersionedStaticFiles

log = logging.getLogger("convlens")


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new application with its own store, caches and (once started) model."""
    settings = settings or Settings.from_env()
    # Concurrent requests already use every core; OpenCV's own thread pool on top of
    # them oversubscribed the CPU (measured: fewer edits per second under load).
    cv2.setNumThreads(settings.opencv_threads)
    services = Services.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.gate.reserve_threads()
        if settings.load_model and services.model is None:
            from models.probe import ModelService  # torch is imported only when needed

            services.model = ModelService.load(threads=settings.torch_threads)
            log.info("model loaded")
        yield

    app = FastAPI(title="ConvLens", version="0.1.0", lifespan=lifespan,
                  description="See what a convolution does and what a real CNN sees.")
    app.state.services = services
    app.state.assets = Assets(ROOT / "static")
    install_error_handlers(app)
    app.add_middleware(AdmissionLimit, gate=services.gate)
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes)  # the outer one
    app.include_router(health.router)
    app.include_router(images.router)
    app.include_router(kernels.router)
    app.include_router(model.router)
    app.include_router(projects.router)
    app.include_router(pages.router)
    app.mount("/static", VersionedStaticFiles(directory=ROOT / "static"), name="static")
    return app
