"""Assemble the ConvLens application: services, routers, static files, error handlers. No routes."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import cv2
from fastapi import FastAPI

from app import page
from app.cnn import channels_router, patches, saliency_measures, saliency_router, visualize
from app.cnn import router as cnn
from app.cnn import saliency as saliency_maps
from app.core.cache import LruCache
from app.core.gate import JobGate
from app.core.memory import Janitor
from app.core.services import Services
from app.core.settings import ROOT, Settings
from app.http import health
from app.http.admission import AdmissionLimit
from app.http.assets import Assets, VersionedStaticFiles
from app.http.errors import install_error_handlers
from app.http.limits import BodyLimit
from app.images import router as images
from app.images.store import MemoryImageStore, RedisImageStore
from app.jobs import probe
from app.jobs import router as jobs
from app.jobs.setup import build_jobs
from app.jobs.workers import JobWorkers
from app.lessons import learning as learning_lesson
from app.lessons import router as lessons
from app.lessons import spurious as spurious_lesson
from app.lessons import translation as translation_lesson
from app.playground import router as playground
from app.teach import demo, training
from app.teach import kinds as teach_kinds
from app.teach import router as teach
from app.teach.store import MemoryProjects, RedisProjects

if TYPE_CHECKING:
    from models.service import ModelService

log = logging.getLogger("convlens")


# Every kind of job any process may run; a `convlens worker` registers the same.
JOB_KINDS = [*training.KINDS, *demo.KINDS, *probe.KINDS, *visualize.KINDS, *patches.KINDS]
JOB_KINDS += [*saliency_maps.KINDS, *saliency_measures.KINDS]  # saliency (issue 15)
JOB_KINDS += [*translation_lesson.KINDS, *spurious_lesson.KINDS,  # lessons (issue 13)
              *learning_lesson.KINDS]
JOB_KINDS += teach_kinds.KINDS  # teach: learning curve, from scratch, ONNX (issue 14)


def build_services(settings: Settings) -> Services:
    """Wire the store backend, caches and job system that ``settings`` ask for (the web
    process and a ``convlens worker`` build the same)."""
    if settings.store_backend == "redis":
        images_store = RedisImageStore(settings.redis_url, settings.redis_ttl_s,
                                       settings.image_cache_bytes // 4)
        projects = RedisProjects(settings.redis_url, settings.redis_ttl_s)
    elif settings.store_backend == "memory":
        images_store = MemoryImageStore(settings.image_cache_bytes)
        projects = MemoryProjects()
    else:
        raise ValueError(f"CONVLENS_STORE_BACKEND must be memory or redis, "
                         f"not {settings.store_backend!r}")
    job_system = build_jobs(settings)
    for kind in JOB_KINDS:
        job_system.register(kind)
    services = Services(settings=settings, images=images_store, projects=projects,
                        derived=LruCache(settings.analysis_cache_bytes),
                        gate=JobGate(settings.max_jobs, settings.max_queue,
                                     settings.queue_timeout_s),
                        jobs=job_system)
    job_system.services = services  # what the jobs this process runs work with
    return services


def load_model(services: Services) -> None:
    """The packaged CNN, once per process (web or worker), unless one is set already."""
    if services.settings.load_model and services.model is None:
        from models.service import ModelService  # torch is imported only when needed

        # As many forwards at once as the cores can run: more only hold more memory.
        cores = max(1, (os.cpu_count() or 1) // services.settings.torch_threads)
        services.model = ModelService.load(threads=services.settings.torch_threads,
                                           workers=min(services.settings.max_jobs, cores))
        log.info("model loaded")


def create_app(settings: Settings | None = None, model: ModelService | None = None) -> FastAPI:
    """A new application with its own stores and caches. The CNN is ``model`` when given
    (tests pass a small one), else the packaged weights, loaded when the app starts."""
    settings = settings or Settings.from_env()
    # Concurrent requests already use every core; OpenCV's own thread pool on top of
    # them oversubscribed the CPU (measured: fewer edits per second under load).
    cv2.setNumThreads(settings.opencv_threads)
    services = build_services(settings)
    services.model = model

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.gate.reserve_threads()
        load_model(services)
        # Every process reaps lost jobs; it runs them too unless CONVLENS_JOBS_IN_PROCESS=0.
        workers = JobWorkers(services.jobs, settings.job_workers, settings.jobs_in_process)
        workers.start()
        janitor = Janitor([services.derived, services.images], lambda: services.gate.last_used,
                          idle_s=settings.cache_idle_s)
        janitor.start()
        try:
            yield
        finally:
            janitor.stop()
            workers.stop()

    app = FastAPI(title="ConvLens", version="0.1.0", lifespan=lifespan,
                  description="See what a convolution does and what a real CNN sees.")
    app.state.services = services
    app.state.assets = Assets(ROOT / "static")
    install_error_handlers(app)
    app.add_middleware(AdmissionLimit, gate=services.gate)
    app.add_middleware(BodyLimit, max_upload_bytes=settings.max_upload_bytes)  # the outer one
    for feature in (health, images, playground, cnn, channels_router, teach, jobs, page,
                    saliency_router, lessons):
        app.include_router(feature.router)
    app.mount("/static", VersionedStaticFiles(directory=ROOT / "static"), name="static")
    return app
