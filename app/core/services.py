"""The long-lived collaborators every use case may need, built once per app (no HTTP here).

The container only holds them; ``app.main.build_services`` wires the backends
the settings ask for (memory or Redis). Feature packages own the stores' types
(``app.images.store``, ``app.teach.store``); they are named here for the reader
and the type checker only, so ``core`` imports no feature at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.core.cache import LruCache
from app.core.errors import ModelUnavailable
from app.core.gate import JobGate
from app.core.settings import Settings

if TYPE_CHECKING:
    from app.images.store import ImageStore
    from app.jobs.system import Jobs
    from app.teach.store import ProjectStore
    from models.service import ModelService


@dataclass
class Services:
    """One per app, shared by all requests."""

    settings: Settings
    images: ImageStore  # working-size photos by content id (memory or Redis)
    derived: LruCache[Any]  # recomputable results keyed by (kind, image id, ...)
    gate: JobGate  # CPU slots for request work
    projects: ProjectStore  # transfer-learning projects (memory or Redis, like the images)
    jobs: Jobs  # every computation that takes seconds
    model: ModelService | None = None  # set once loaded (the lifespan), never replaced

    def require_model(self) -> ModelService:
        """The loaded CNN, or 503 ``model_unavailable``."""
        if self.model is None:
            raise ModelUnavailable("The CNN is not loaded on this server "
                                   "(CONVLENS_LOAD_MODEL=0).")
        return self.model
