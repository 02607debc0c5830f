"""The photos a job works on: chosen when it is asked for, read back by the worker.

A job's parameters name the classes and the image ids of their photos at the moment
it was asked for (so a photo added meanwhile does not change a running job), and its
key hashes what makes its result: asking again for the same work joins that job.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from app.core.errors import InvalidParameter
from app.jobs.record import JobRecord
from app.jobs.store import JobStore
from app.teach.project import Photo, Project
from app.teach.store import ProjectStore

REDOS = 8  # done jobs in a row whose work was replaced since: more is a loop, not a user
MIN_PHOTOS = 2  # of every class: one to train on and one to hold out


def choose(project: Project) -> dict[str, Any]:
    """``{"classes": [{id, name}], "photos": {class id: [image ids]}}`` of the classes with
    photos; 422 unless at least two have them and each has ``MIN_PHOTOS``, naming the
    classes short of photos."""
    usable = [c for c in project.classes if c.photos]
    if len(usable) < 2:
        raise InvalidParameter(f"this needs at least two classes with photos ({MIN_PHOTOS} or "
                               "more each) to hold photos out", field="classes")
    short_of_photos({c.name: len(c.photos) for c in usable})
    return {"classes": [{"id": c.id, "name": c.name} for c in usable],
            "photos": {c.id: list(c.photos) for c in usable}}


def short_of_photos(counts: dict[str, int], gone: bool = False) -> None:
    """422 naming the classes (name -> photos) with fewer than ``MIN_PHOTOS``; ``gone``: the
    photos were there when the job was asked for and expired since."""
    short = [name for name, n in counts.items() if n < MIN_PHOTOS]
    if short:
        said = "; ".join(f"{name!r} has {'only ' if counts[name] else ''}{counts[name] or 'no'} "
                         f"photo{'' if counts[name] == 1 else 's'}" for name in short)
        why = ("some photos of this project are gone since (it expired meanwhile)" if gone
               else f"every class needs at least {MIN_PHOTOS}, one to train on and one to "
                    "hold out")
        raise InvalidParameter(f"{said}: {why}. Add photos and try again.", field="classes",
                               classes=short)


def gather(store: ProjectStore, params: dict[str, Any]) -> tuple[list[Photo], np.ndarray]:
    """The chosen photos still kept, in class order, and their class indices ``(N,)``."""
    photos, labels = [], []
    for k, cls in enumerate(params["classes"]):
        kept = [p for p in store.photos(params["project"], params["photos"][cls["id"]])
                if p is not None]
        photos += kept
        labels += [k] * len(kept)
    return photos, np.array(labels, dtype=np.int64)


def counts(params: dict[str, Any], labels: np.ndarray) -> dict[str, int]:
    """Photos gathered of each chosen class, by name."""
    found = np.bincount(labels, minlength=len(params["classes"]))
    return {c["name"]: int(k) for c, k in zip(params["classes"], found, strict=True)}


def job_key(kind: str, project_id: str, params: dict[str, Any], fields: tuple[str, ...]
            ) -> str:
    """The key under which identical work shares one job."""
    same = {k: params[k] for k in fields}
    digest = hashlib.sha256(json.dumps(same, sort_keys=True).encode()).hexdigest()[:24]
    return f"{kind}:{project_id}:{digest}"


def redo_key(jobs: JobStore, key: str, still_there: Callable[[JobRecord], bool]) -> str:
    """The key to submit identical work under: ``key``, unless the job done under it made
    something since replaced (``still_there(job)`` is False: a project's classifier, or its
    one exported file, of a later job), then a key derived from that job, and so on. Every
    request meanwhile derives the same key, so they join one new job."""
    derived = key
    for _ in range(REDOS):
        job = jobs.live(derived)
        if job is None or job.status != "done" or still_there(job):
            break
        derived = f"{key}:{job.id}"
    return derived
