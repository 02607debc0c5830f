"""Projects in this process's memory, within a count and a byte budget.

Each photo keeps its features (20 KiB), thumbnail (about 3 KiB) and pixels (JPEG crops,
10-20 KiB), and a trained project its familiarity index and perhaps an exported ONNX file
(13.5 MB): a project of 8 x 60 photos with an export holds about 35 MB. Past
``max_projects`` or ``max_bytes`` the least recently used projects are dropped, but never
one used in the last ``RECENT_S`` (so never one a job works on) nor the one being
written: when only such projects are held, a new project or photo is refused (503 busy).
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.core.errors import Busy
from app.teach.project import Photo, Project, Run, missing

MAX_PROJECTS = 32
MAX_BYTES = 512 << 20  # 15 projects of the largest kind, hundreds of usual ones
# A project used this recently is never dropped to make room. Every job on a project reads
# it when asked for and again when it starts; it waits for a worker at most 10 minutes
# (``app.jobs.system.MAX_WAIT_S``) and runs at most its kind's limit (10 minutes at most)
# plus a lease, so a project with a live job was always used more recently than this. It
# is also a pause long enough for a person collecting photos.
RECENT_S = 15 * 60.0


@dataclass
class _Held:
    """One project in memory: its description, run, photos and classifier, and its lock."""

    project: Project
    photos: dict[str, Photo] = field(default_factory=dict)
    classifier: Any = None
    parts: dict[str, bytes] = field(default_factory=dict)
    nbytes: int = 0  # of its photos and parts
    used: float = 0.0  # the store's clock at its last use
    # Re-entrant: an edit may read or write the project's photos, run and classifier.
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemoryProjects:
    """The projects of this process: at most ``max_projects`` holding at most ``max_bytes``
    of photos and parts, the least recently used dropped to make room unless used in the
    last ``recent_s`` (``clock`` says when: seconds, monotonic)."""

    def __init__(self, max_projects: int = MAX_PROJECTS, max_bytes: int = MAX_BYTES,
                 recent_s: float = RECENT_S, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._held: OrderedDict[str, _Held] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self.max_projects = max_projects
        self.max_bytes = max_bytes
        self.recent_s = recent_s
        self.clock = clock

    def _get(self, project_id: str) -> _Held:
        with self._lock:
            held = self._held.get(project_id)
            if held is None:
                raise missing(project_id)
            held.used = self.clock()
            self._held.move_to_end(project_id)
            return held

    def _droppable(self, keep: str | None = None) -> list[str]:
        """Projects unused for ``recent_s`` (never ``keep``), least recently used first;
        call with ``_lock`` held."""
        cutoff = self.clock() - self.recent_s
        return [pid for pid, h in self._held.items() if h.used < cutoff and pid != keep]

    def _resize(self, project_id: str, held: _Held, delta: int) -> None:
        """Count ``delta`` bytes more in ``held``: past the budget, drop projects unused
        for ``recent_s`` (never this one) to make room, or refuse (503) if that is not
        enough, before anything is written."""
        with self._lock:
            total = sum(h.nbytes for h in self._held.values()) + delta
            if delta > 0 and total > self.max_bytes:
                droppable = self._droppable(keep=project_id)
                if total - sum(self._held[pid].nbytes for pid in droppable) > self.max_bytes:
                    raise Busy(f"The memory kept for projects ({self.max_bytes >> 20} MiB) is "
                               f"full of projects used in the last {self._minutes} minutes; "
                               "try again in a few minutes, or remove photos you no longer "
                               "need.", max_bytes=self.max_bytes)
                for pid in droppable:
                    if total <= self.max_bytes:
                        break
                    total -= self._held.pop(pid).nbytes
            held.nbytes += delta

    @property
    def _minutes(self) -> str:
        return f"{self.recent_s / 60:g}"

    def nbytes(self) -> int:
        """Bytes of photos and parts held (an operator's gauge)."""
        with self._lock:
            return sum(h.nbytes for h in self._held.values())

    def create(self) -> Project:
        """A new project; to make room, the least recently used one unused for ``recent_s``
        goes, and when every held project was used more recently, 503 ``busy``."""
        project = Project(secrets.token_hex(8))
        with self._lock:
            if len(self._held) >= self.max_projects:
                droppable = self._droppable()
                if not droppable:
                    raise Busy(f"The server holds as many projects as it may "
                               f"({self.max_projects}), all used in the last {self._minutes} "
                               f"minutes; try again in a few minutes (a project unused for "
                               f"{self._minutes} minutes makes room).",
                               max_projects=self.max_projects)
                del self._held[droppable[0]]
            self._held[project.id] = _Held(copy.deepcopy(project), used=self.clock())
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
            self._resize(project_id, held, photo.nbytes - (before.nbytes if before else 0))
            held.photos[photo.image_id] = photo

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
                    self._resize(project_id, held, -gone.nbytes)

    def classifier(self, project_id: str) -> Any:
        return self._get(project_id).classifier

    def set_classifier(self, project_id: str, classifier: Any, names: list[str]) -> None:
        self._get(project_id).classifier = classifier

    def put_part(self, project_id: str, name: str, data: bytes | None) -> None:
        held = self._get(project_id)
        with held.lock:
            self._resize(project_id, held, len(data or b"") - len(held.parts.get(name, b"")))
            held.parts.pop(name, None)
            if data is not None:
                held.parts[name] = data

    def part(self, project_id: str, name: str) -> bytes | None:
        held = self._get(project_id)
        with held.lock:
            return held.parts.get(name)

    def count(self) -> int:
        with self._lock:
            return len(self._held)
