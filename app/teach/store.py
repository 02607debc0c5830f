"""Where transfer-learning projects live: in this process, or in Redis for every worker.

A project is a small description (its classes, the image ids of their photos, the
classes of its trained classifier), the latest training run, and bulkier parts kept
beside it by id: each photo's frozen-backbone features, thumbnail and pixels, the
trained classifier, and named parts derived from it (the training photos' features for
telling how familiar a new photo is, the exported ONNX file). Both stores offer the same
calls (``ProjectStore``):

- ``read`` a copy of the description and run (404 for an unknown project);
- ``edit`` it exclusively (a lock per project; saved when the block ends);
- ``save_run`` a run's progress (only the thread training it writes a run);
- photos, trained classifiers and named parts by id.

``MemoryProjects`` (``app.teach.memory_store``) is the default: a few dozen projects
within a byte budget, least recently used dropped unless used in the last 15 minutes
(then new ones are refused); ``RedisProjects``
(``app.teach.redis_store``) lets any worker or host serve any project call, and one
worker's training be watched from another.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from app.teach.memory_store import MemoryProjects
from app.teach.project import Photo, Project, Run
from app.teach.redis_store import RedisProjects

__all__ = ["MemoryProjects", "ProjectStore", "RedisProjects"]  # the stores, where main finds them


class ProjectStore(Protocol):
    def create(self) -> Project: ...

    def read(self, project_id: str) -> Project: ...

    def edit(self, project_id: str) -> AbstractContextManager[Project]: ...

    def save_run(self, project_id: str, run: Run | None) -> None:
        """Replace the project's run (None: it has none)."""
        ...

    def put_photo(self, project_id: str, photo: Photo) -> None: ...

    def photos(self, project_id: str, image_ids: list[str]) -> list[Photo | None]: ...

    def drop_photos(self, project_id: str, image_ids: list[str]) -> None: ...

    def classifier(self, project_id: str) -> Any: ...

    def set_classifier(self, project_id: str, classifier: Any, names: list[str]) -> None: ...

    def put_part(self, project_id: str, name: str, data: bytes | None) -> None:
        """Keep (or with None, forget) bytes beside the project under ``name``."""
        ...

    def part(self, project_id: str, name: str) -> bytes | None: ...

    def count(self) -> int:
        """How many projects are held (an operator's gauge; tests check nothing is left)."""
        ...

