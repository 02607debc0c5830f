"""The objects every request may need, built once per app, and typed dependencies on them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.errors import ImageNotFound
from app.imaging.decode import DecodeLimits
from app.jobs import JobGate
from app.project_store import MemoryProjects, ProjectStore, RedisProjects
from app.projects import TrainingQueue
from app.store import ImageStore, LruCache, MemoryImageStore, RedisImageStore


def _nbytes(value: Any) -> int:
    """Approximate size of a cached value: arrays and bytes count, containers recurse."""
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, dict):
        return sum(_nbytes(v) for v in value.values()) + 64
    if isinstance(value, list | tuple):
        return sum(_nbytes(v) for v in value) + 64
    if hasattr(value, "nbytes"):
        return int(value.nbytes)
    if is_dataclass(value):  # e.g. a CNN analysis: the arrays it holds
        return sum(_nbytes(getattr(value, f.name)) for f in fields(value)) + 64
    return 64


@dataclass
class Services:
    """Long-lived collaborators of the web layer: one per app, shared by all requests."""

    settings: Settings
    store: ImageStore
    derived: LruCache[Any]  # recomputable results keyed by (kind, image id, ...)
    gate: JobGate
    projects: ProjectStore  # transfer-learning projects (memory or Redis, like the images)
    model: Any = None  # models.probe.ModelService once loaded
    training: TrainingQueue = field(default_factory=TrainingQueue)  # this process's trainer
    limits: DecodeLimits = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.limits = DecodeLimits(s.max_pixels, s.max_side, s.max_aspect, s.working_side)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """Wire the store backend and caches that ``settings`` asks for."""
        if settings.store_backend == "redis":
            store: ImageStore = RedisImageStore(settings.redis_url, settings.redis_ttl_s,
                                                settings.image_cache_bytes // 4)
            projects: ProjectStore = RedisProjects(settings.redis_url, settings.redis_ttl_s)
        elif settings.store_backend == "memory":
            store = MemoryImageStore(settings.image_cache_bytes)
            projects = MemoryProjects()
        else:
            raise ValueError(f"CONVLENS_STORE_BACKEND must be memory or redis, "
                             f"not {settings.store_backend!r}")
        return cls(settings=settings, store=store, projects=projects,
                   derived=LruCache(settings.analysis_cache_bytes, _nbytes),
                   gate=JobGate(settings.max_jobs, settings.max_queue, settings.queue_timeout_s))


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


@dataclass(frozen=True)
class StoredImage:
    """An image the client named by id: ``rgb`` is ``(H, W, 3) uint8``, read-only."""

    id: str
    rgb: np.ndarray


def lookup_image(services: Services, image_id: str) -> StoredImage:
    """The stored image called ``image_id``, or 404 ``image_not_found`` (may do I/O)."""
    rgb = services.store.get(image_id)
    if rgb is None:
        raise ImageNotFound(
            "This image is no longer stored (it may have been evicted); upload it again.",
            image_id=image_id[:64])
    return StoredImage(image_id, rgb)


async def stored_image(image_id: str, services: ServicesDep) -> StoredImage:
    """Resolve ``{image_id}`` from the path. Async so the common case (the image is in
    this process) costs no threadpool hop; only a remote (Redis) lookup goes to a thread."""
    rgb = services.store.peek(image_id)
    if rgb is not None:
        return StoredImage(image_id, rgb)
    return await run_in_threadpool(lookup_image, services, image_id)


StoredImageDep = Annotated[StoredImage, Depends(stored_image)]
