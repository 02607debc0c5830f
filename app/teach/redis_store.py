"""Projects in Redis, shared by every web process and worker; each key expires a while
after its last use (Redis's own memory bound is the operator's ``maxmemory``)."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import numpy as np

from app.core import redis as shared_redis
from app.teach.project import Photo, Project, ProjectClass, Run, missing


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
            raise missing(project_id)
        with shared_redis.reachable("project store"):
            meta, run = self._redis.getex(self._key(project_id), ex=self._ttl), \
                self._redis.getex(self._key(project_id, "run"), ex=self._ttl)
        if meta is None:
            raise missing(project_id)
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

    def count(self) -> int:
        with shared_redis.reachable("project store"):
            return sum(1 for k in self._redis.scan_iter(match=self._key("*"), count=500)
                       if k.count(b":") == 2)  # the descriptions, not their parts
