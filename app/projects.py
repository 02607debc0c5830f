"""Transfer-learning projects: classes of photos, background training runs, predictions.

A project lives in this process's memory (bounded: a few dozen projects, LRU),
and keeps each photo's frozen-backbone features, so an image evicted from the
store never breaks training. Training runs in one background thread at a
time, with a short queue; beyond it the API answers 503 ``busy``.
"""

from __future__ import annotations

import secrets
import threading
import time
import unicodedata
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from app.errors import Busy, Conflict, InvalidParameter, NotFound
from app.imaging.encode import encode

MAX_PROJECTS = 32
MAX_CLASSES = 8
MAX_PHOTOS_PER_CLASS = 60
MIN_PHOTOS_ADVISED = 5
MAX_PENDING_RUNS = 4  # trainings queued or running, in all projects
_QUEUE_FULL = "Several trainings are already queued; try again in a few seconds."


@dataclass
class Photo:
    image_id: str
    views: np.ndarray  # (4, 1280) float32: plain, mirrored, tighter, tighter mirrored
    thumb: bytes  # small JPEG for the class list


@dataclass
class ProjectClass:
    id: str
    name: str
    photos: OrderedDict[str, Photo] = field(default_factory=OrderedDict)


@dataclass
class Run:
    id: str
    epochs: int
    augment: bool
    seed: int
    status: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    losses: list[float] = field(default_factory=list)
    accuracy: float | None = None
    confusion: list[list[int]] = field(default_factory=list)
    classes: list[dict] = field(default_factory=list)  # [{id, name}] in head order
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float | None = None
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        # Copies: the training thread appends to the lists while a request reads them.
        return {k: (list(v) if isinstance(v, list) else v) for k, v in (
            (k, getattr(self, k)) for k in (
                "id", "status", "progress", "losses", "accuracy", "confusion", "classes",
                "warnings", "error", "seconds", "epochs", "augment", "seed", "extra"))}


@dataclass
class Project:
    id: str
    classes: OrderedDict[str, ProjectClass] = field(default_factory=OrderedDict)
    run: Run | None = None
    head: object = None  # torch.nn.Linear once trained or imported
    head_classes: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def class_(self, class_id: str) -> ProjectClass:
        found = self.classes.get(class_id)
        if found is None:
            raise NotFound(f"Project {self.id} has no class {class_id[:40]!r}.")
        return found

    def as_dict(self) -> dict:
        with self.lock:
            return {"id": self.id,
                    "classes": [{"id": c.id, "name": c.name, "count": len(c.photos),
                                 "images": list(c.photos)} for c in self.classes.values()],
                    "trained": self.head is not None, "head_classes": self.head_classes,
                    "run": self.run.as_dict() if self.run else None}


class ProjectStore:
    """The projects of this process and the one-thread training queue."""

    def __init__(self) -> None:
        self._projects: OrderedDict[str, Project] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="train")
        self._pending = 0

    def create(self) -> Project:
        project = Project(secrets.token_hex(8))
        with self._lock:
            self._projects[project.id] = project
            while len(self._projects) > MAX_PROJECTS:
                self._projects.popitem(last=False)
        return project

    def get(self, project_id: str) -> Project:
        with self._lock:
            project = self._projects.get(project_id)
            if project is None:
                raise NotFound(f"There is no project {project_id[:40]!r} (projects live in "
                               "the memory of one server process: a restart drops them, and "
                               "other worker processes do not see them).")
            self._projects.move_to_end(project_id)
            return project

    def discard(self, project_id: str) -> None:
        """Forget a project (one whose creation failed half-way)."""
        with self._lock:
            self._projects.pop(project_id, None)

    def check_room(self) -> None:
        """503 ``busy`` now if a training could not be queued (before costly preparation)."""
        with self._lock:
            if self._pending >= MAX_PENDING_RUNS:
                raise Busy(_QUEUE_FULL)

    def submit(self, job, *args) -> None:
        """Queue ``job(*args)`` on the training thread, or 503 when the queue is full."""
        with self._lock:
            if self._pending >= MAX_PENDING_RUNS:
                raise Busy(_QUEUE_FULL)
            self._pending += 1

        def run() -> None:
            try:
                job(*args)
            finally:
                with self._lock:
                    self._pending -= 1

        self._pool.submit(run)


def clean_class_name(name: str, field: str = "name") -> str:
    """The name as shown: stripped; 422 if nothing visible is left or it hides characters
    (control, zero-width, direction overrides: Unicode category C)."""
    name = name.strip()
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidParameter("a class name may not contain control or invisible characters",
                               field=field)
    if not name:
        raise InvalidParameter("a class needs a name, not only spaces", field=field)
    return name


def _new_class(project: Project, name: str) -> ProjectClass:
    """Add a class; the caller holds ``project.lock``."""
    if len(project.classes) >= MAX_CLASSES:
        raise InvalidParameter(f"a project has at most {MAX_CLASSES} classes", field="name")
    if any(c.name.lower() == name.lower() for c in project.classes.values()):
        raise Conflict(f"There is already a class called {name!r}.", field="name")
    cls = ProjectClass(secrets.token_hex(4), name)
    project.classes[cls.id] = cls
    return cls


def add_class(project: Project, name: str) -> ProjectClass:
    name = clean_class_name(name)
    with project.lock:
        return _new_class(project, name)


def install_head(project: Project, head: object, names: list[str]) -> None:
    """Give an empty project a loaded head and its classes, all or nothing."""
    cleaned = [clean_class_name(n, field="file") for n in names]
    if len(cleaned) > MAX_CLASSES:
        raise InvalidParameter(f"this head has {len(cleaned)} classes; a project holds at "
                               f"most {MAX_CLASSES}", field="file")
    if len({n.lower() for n in cleaned}) < len(cleaned):
        raise InvalidParameter("this head file names a class twice", field="file")
    with project.lock:
        if project.classes:
            raise InvalidParameter("import a head into a new, empty project", field="project")
        classes = [_new_class(project, n) for n in cleaned]
        project.head = head
        project.head_classes = [{"id": c.id, "name": c.name} for c in classes]


def thumbnail(crop_u8: np.ndarray, side: int = 96) -> bytes:
    """A small JPEG of the crop the model saw, for the class list."""
    small = cv2.resize(crop_u8, (side, side), interpolation=cv2.INTER_AREA)
    return encode(small, "jpeg", quality=85)


def add_photo(project: Project, class_id: str, photo: Photo) -> None:
    with project.lock:
        cls = project.class_(class_id)
        if photo.image_id not in cls.photos and len(cls.photos) >= MAX_PHOTOS_PER_CLASS:
            raise InvalidParameter(f"a class holds at most {MAX_PHOTOS_PER_CLASS} photos",
                                   field="file")
        cls.photos[photo.image_id] = photo


def remove_photo(project: Project, class_id: str, image_id: str) -> None:
    with project.lock:
        if project.class_(class_id).photos.pop(image_id, None) is None:
            raise NotFound(f"That class has no photo {image_id[:40]!r}.")


def remove_class(project: Project, class_id: str) -> None:
    with project.lock:
        project.class_(class_id)
        del project.classes[class_id]


def start_run(store: ProjectStore, project: Project, epochs: int, augment: bool, seed: int,
              on_done=None) -> Run:
    """Snapshot the photos, queue the training, and return the queued run."""
    with project.lock:
        usable = [c for c in project.classes.values() if c.photos]
        if len(usable) < 2:
            raise InvalidParameter("training needs at least two classes with photos",
                                   field="classes")
        if project.run and project.run.status in ("queued", "running"):
            raise Conflict("This project is already training; wait for it to finish.")
        feats = [p.views for c in usable for p in c.photos.values()]
        labels = np.array([k for k, c in enumerate(usable) for _ in c.photos])
        run = Run(secrets.token_hex(6), epochs, augment, seed,
                  classes=[{"id": c.id, "name": c.name} for c in usable])
        run.warnings = [f"Only {len(c.photos)} photo(s) of {c.name!r}: the accuracy below is "
                        f"unreliable; add at least {MIN_PHOTOS_ADVISED} per class."
                        for c in usable if len(c.photos) < MIN_PHOTOS_ADVISED]
        previous, project.run = project.run, run
    try:
        store.submit(_train, project, run, feats, labels, on_done)
    except Busy:
        with project.lock:  # not queued: the project must not look as if it were training
            project.run = previous
        raise
    return run


def _train(project: Project, run: Run, feats: list[np.ndarray], labels: np.ndarray,
           on_done) -> None:
    from models import transfer

    t0 = time.perf_counter()
    run.status = "running"
    n = len(run.classes)
    k = len(transfer.folds(labels, run.seed))
    cv_share = k / (k + 1)  # k cross-validation trainings, then the final one
    try:
        run.accuracy, run.confusion = transfer.cross_validate(
            feats, labels, n, run.epochs, run.seed, run.augment,
            progress=lambda done: setattr(run, "progress", cv_share * done))
        if run.accuracy is None:
            run.warnings.append("Every class needs at least 2 photos to estimate accuracy "
                                "on held-out photos.")
        x, y = transfer.stack(feats, labels, np.arange(len(labels)), run.augment)

        def progress(epoch: int, loss: float) -> None:
            run.progress = cv_share + (1 - cv_share) * epoch / run.epochs
            run.losses.append(loss)

        result = transfer.train_head(x, y, n, run.epochs, run.seed, progress)
        with project.lock:
            project.head, project.head_classes = result.head, run.classes
        if on_done:
            on_done(project, run)
        run.status, run.progress = "done", 1.0
    except Exception as exc:  # a failed run is reported in the project, not lost
        run.status, run.error = "failed", f"training failed: {type(exc).__name__}"
    finally:
        run.seconds = round(time.perf_counter() - t0, 3)
