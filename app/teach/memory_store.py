"""Projects in this process's memory, within a count and a byte budget.

Each photo keeps its features (20 KiB), thumbnail (about 3 KiB) and pixels (JPEG crops,
10-20 KiB), and a trained project its familiarity index and perhaps an exported ONNX file
(13.5 MB): a project of 8 x 60 photos with an export holds about 35 MB. Past
``max_projects`` or ``max_bytes`` the least recently used projects are dropped (never the
one being written).
"""

from __future__ import annotations

import copy
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.teach.project import Photo, Project, Run, missing

MAX_PROJECTS = 32
MAX_BYTES = 512 << 20  # 15 projects of the largest kind, hundreds of usual ones


@dataclass
class _Held:
    """One project in memory: its description, run, photos and classifier, and its lock."""

    project: Project
    photos: dict[str, Photo] = field(default_factory=dict)
    classifier: Any = None
    parts: dict[str, bytes] = field(default_factory=dict)
    nbytes: int = 0  # of its photos and parts
    # Re-entrant: an edit may read or write the project's photos, run and classifier.
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemoryProjects:
    """The projects of this process: at most ``max_projects`` holding at most ``max_bytes``
    of photos and parts, least recently used dropped."""

    def __init__(self, max_projects: int = MAX_PROJECTS, max_bytes: int = MAX_BYTES) -> None:
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()
        self.max_projects = max_projects
        self.max_bytes = max_bytes

    def _get(self, project_id: str) -> _Held:
        with self._lock:
            held = self._held.get(project_id)
            if held is None:
                raise missing(project_id)
            self._held.move_to_end(project_id)
            return held

    def _grew(self, project_id: str, held: _Held, delta: int) -> None:
        """Count ``delta`` bytes more in ``held`` (its lock held), then drop the least
        recently used other projects while past the budget."""
        held.nbytes += delta
        if delta <= 0:
            return
        with self._lock:
            total = sum(h.nbytes for h in self._held.values())
            for other in list(self._held):
                if total <= self.max_bytes:
                    break
                if other != project_id:
                    total -= self._held.pop(other).nbytes

    def nbytes(self) -> int:
        """Bytes of photos and parts held (an operator's gauge)."""
        with self._lock:
            return sum(h.nbytes for h in self._held.values())

    def create(self) -> Project:
        project = Project(secrets.token_hex(8))
        with self._lock:
            self._held[project.id] = _Held(copy.deepcopy(project))
            while len(self._held) > self.max_projects:
                self._held.popitem(last=False)
        return project

    def read(self, project_id: str) -> Project:
        held = self._get(project_id)
        with held.lock:
            return copy.deepcopy(held.project)

    @contextmanager
    def edit(self, project_id: str) -> Iterator[Project]:
        held = self._get(project_id)
        with held.lock:
            project = copy.deepcopy(held.project)
            yield project
            held.project.classes = project.classes  # the run is saved by save_run only
            held.project.classifier_classes = project.classifier_classes
            held.project.scratch_job = project.scratch_job
            held.project.export_job = project.export_job

    def save_run(self, project_id: str, run: Run | None) -> None:
        held = self._get(project_id)
        with held.lock:
            held.project.run = copy.deepcopy(run)

    def put_photo(self, project_id: str, photo: Photo) -> None:
        held = self._get(project_id)
        with held.lock:
            before = held.photos.get(photo.image_id)
            held.photos[photo.image_id] = photo
            self._grew(project_id, held, photo.nbytes - (before.nbytes if before else 0))

    def photos(self, project_id: str, image_ids: list[str]) -> list[Photo | None]:
        held = self._get(project_id)
        with held.lock:
            return [held.photos.get(i) for i in image_ids]

    def drop_photos(self, project_id: str, image_ids: list[str]) -> None:
        held = self._get(project_id)
        with held.lock:
            for i in image_ids:
                gone = held.photos.pop(i, None)
                if gone is not None:
                    self._grew(project_id, held, -gone.nbytes)

    def classifier(self, project_id: str) -> Any:
        return self._get(project_id).classifier

    def set_classifier(self, project_id: str, classifier: Any, names: list[str]) -> None:
        self._get(project_id).classifier = classifier

    def put_part(self, project_id: str, name: str, data: bytes | None) -> None:
        held = self._get(project_id)
        with held.lock:
            before = len(held.parts.pop(name, b""))
            if data is not None:
                held.parts[name] = data
            self._grew(project_id, held, len(data or b"") - before)

    def part(self, project_id: str, name: str) -> bytes | None:
        held = self._get(project_id)
        with held.lock:
            return held.parts.get(name)

    def discard(self, project_id: str) -> None:
        with self._lock:
            self._held.pop(project_id, None)

    def count(self) -> int:
        with self._lock:
            return len(self._held)
