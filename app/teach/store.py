"""Where transfer-learning projects live: in this process, or in Redis for every worker.

A project is a small description (its classes, the image ids of their photos, the
classes of its trained classifier), the latest training run, and bulkier parts kept
beside it by id: each photo's frozen-backbone features and thumbnail, and the
trained classifier. Both stores offer the same calls:

- ``read`` a copy of the description and run (404 for an unknown project);
- ``edit`` it exclusively (a lock per project; saved when the block ends);
- ``save_run`` a run's progress (only the thread training it writes a run);
- photos and trained classifiers by id, and named parts derived from a training (the
  training photos' features for telling how familiar a new photo is).

``MemoryProjects`` is the default (a few dozen projects, least recently used
dropped); ``RedisProjects`` lets any worker or host serve any project call, and
one worker's training be watched from another.
"""

from __future__ import annotations

import copy
import io
import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from app.core import redis as shared_redis
from app.core.errors import NotFound
from app.teach.project import Photo, Project, ProjectClass, Run


def _not_found(project_id: str) -> NotFound:
    return NotFound(f"There is no project {project_id[:40]!r} (it may have expired: "
                    "projects are kept for a while after their last use).")


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

    def discard(self, project_id: str) -> None: ...

    def count(self) -> int:
        """How many projects are held (an operator's gauge; tests check nothing is left)."""
        ...


@dataclass
class _Held:
    """One project in memory: its description, run, photos and classifier, and its lock."""

    project: Project
    photos: dict[str, Photo] = field(default_factory=dict)
    classifier: Any = None
    parts: dict[str, bytes] = field(default_factory=dict)
    # Re-entrant: an edit may read or write the project's photos, run and classifier.
    lock: threading.RLock = field(default_factory=threading.RLock)


class MemoryProjects:
    """The projects of this process: at most ``max_projects``, least recently used dropped."""

    def __init__(self, max_projects: int = 32) -> None:
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()
        self.max_projects = max_projects

    def _get(self, project_id: str) -> _Held:
        with self._lock:
            held = self._held.get(project_id)
            if held is None:
                raise _not_found(project_id)
            self._held.move_to_end(project_id)
            return held

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
            held.photos[photo.image_id] = photo

    def photos(self, project_id: str, image_ids: list[str]) -> list[Photo | None]:
        held = self._get(project_id)
        with held.lock:
            return [held.photos.get(i) for i in image_ids]

    def drop_photos(self, project_id: str, image_ids: list[str]) -> None:
        held = self._get(project_id)
        with held.lock:
            for i in image_ids:
                held.photos.pop(i, None)

    def classifier(self, project_id: str) -> Any:
        return self._get(project_id).classifier

    def set_classifier(self, project_id: str, classifier: Any, names: list[str]) -> None:
        self._get(project_id).classifier = classifier

    def put_part(self, project_id: str, name: str, data: bytes | None) -> None:
        held = self._get(project_id)
        with held.lock:
            if data is None:
                held.parts.pop(name, None)
            else:
                held.parts[name] = data

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


class RedisProjects:
    """Projects in Redis, shared by every worker; each key expires ``ttl_s`` after its last
    use. Keys: ``convlens:project:<id>`` (description), ``...:run``, ``...:classifier``,
    ``...:photo:<image id>``, ``...:part:<name>``. An edit holds a Redis lock on the project."""

    def __init__(self, url: str, ttl_s: int) -> None:
        self._redis = shared_redis.client(url)
        self._ttl = ttl_s

    @staticmethod
    def _key(project_id: str, part: str = "") -> str:
        return f"convlens:project:{project_id}" + (f":{part}" if part else "")

    def _load(self, project_id: str) -> Project:
        if not (len(project_id) <= 40 and project_id.isalnum() and project_id.isascii()):
            raise _not_found(project_id)
        with shared_redis.reachable("project store"):
            meta, run = self._redis.getex(self._key(project_id), ex=self._ttl), \
                self._redis.getex(self._key(project_id, "run"), ex=self._ttl)
        if meta is None:
            raise _not_found(project_id)
        data = json.loads(meta)
        project = Project(data["id"], [ProjectClass(**c) for c in data["classes"]],
                          data["classifier_classes"], scratch_job=data.get("scratch_job"),
                          export_job=data.get("export_job"))
        project.run = Run(**json.loads(run)) if run else None
        return project

    def _save(self, project: Project) -> None:
        meta = {"id": project.id, "classes": [asdict(c) for c in project.classes],
                "classifier_classes": project.classifier_classes,
                "scratch_job": project.scratch_job, "export_job": project.export_job}
        with shared_redis.reachable("project store"):
            self._redis.set(self._key(project.id), json.dumps(meta), ex=self._ttl)

    def create(self) -> Project:
        project = Project(secrets.token_hex(8))
        self._save(project)
        return project

    def read(self, project_id: str) -> Project:
        return self._load(project_id)

    @contextmanager
    def edit(self, project_id: str) -> Iterator[Project]:
        self._load(project_id)  # 404 before waiting for a lock
        lock = self._redis.lock(self._key(project_id, "lock"), timeout=30, blocking_timeout=10)
        with shared_redis.reachable("project store"), lock:
            project = self._load(project_id)
            yield project
            self._save(project)

    def save_run(self, project_id: str, run: Run | None) -> None:
        with shared_redis.reachable("project store"):
            if run is None:
                self._redis.delete(self._key(project_id, "run"))
            else:
                self._redis.set(self._key(project_id, "run"), json.dumps(asdict(run)),
                                ex=self._ttl)

    def put_photo(self, project_id: str, photo: Photo) -> None:
        buf = io.BytesIO()
        crops = {} if photo.crops is None else {"crops": np.frombuffer(photo.crops, np.uint8)}
        np.savez(buf, views=photo.views, thumb=np.frombuffer(photo.thumb, np.uint8), **crops)
        with shared_redis.reachable("project store"):
            self._redis.set(self._key(project_id, f"photo:{photo.image_id}"), buf.getvalue(),
                            ex=self._ttl)

    def photos(self, project_id: str, image_ids: list[str]) -> list[Photo | None]:
        if not image_ids:
            return []
        keys = [self._key(project_id, f"photo:{i}") for i in image_ids]
        with shared_redis.reachable("project store"):
            blobs = self._redis.mget(keys)
            pipe = self._redis.pipeline()
            for k in keys:
                pipe.expire(k, self._ttl)
            pipe.execute()
        out: list[Photo | None] = []
        for image_id, blob in zip(image_ids, blobs, strict=True):
            if blob is None:
                out.append(None)  # expired or evicted on its own: the caller skips it
                continue
            with np.load(io.BytesIO(blob), allow_pickle=False) as parts:
                crops = parts["crops"].tobytes() if "crops" in parts.files else None
                out.append(Photo(image_id, parts["views"], parts["thumb"].tobytes(), crops))
        return out

    def drop_photos(self, project_id: str, image_ids: list[str]) -> None:
        if image_ids:
            with shared_redis.reachable("project store"):
                self._redis.delete(*[self._key(project_id, f"photo:{i}") for i in image_ids])

    def classifier(self, project_id: str) -> Any:
        from models.export import load_classifier

        with shared_redis.reachable("project store"):
            data = self._redis.getex(self._key(project_id, "classifier"), ex=self._ttl)
        return None if data is None else load_classifier(data)[0]

    def set_classifier(self, project_id: str, classifier: Any, names: list[str]) -> None:
        from models.export import save_classifier

        with shared_redis.reachable("project store"):
            self._redis.set(self._key(project_id, "classifier"),
                            save_classifier(classifier, names), ex=self._ttl)

    def put_part(self, project_id: str, name: str, data: bytes | None) -> None:
        with shared_redis.reachable("project store"):
            if data is None:
                self._redis.delete(self._key(project_id, f"part:{name}"))
            else:
                self._redis.set(self._key(project_id, f"part:{name}"), data, ex=self._ttl)

    def part(self, project_id: str, name: str) -> bytes | None:
        with shared_redis.reachable("project store"):
            return self._redis.getex(self._key(project_id, f"part:{name}"), ex=self._ttl)

    def discard(self, project_id: str) -> None:
        with shared_redis.reachable("project store"):
            keys = list(self._redis.scan_iter(match=self._key(project_id) + "*", count=500))
            if keys:
                self._redis.delete(*keys)

    def count(self) -> int:
        with shared_redis.reachable("project store"):
            return sum(1 for k in self._redis.scan_iter(match=self._key("*"), count=500)
                       if k.count(b":") == 2)  # the descriptions, not their parts
