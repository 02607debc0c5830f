"""Transfer-learning projects: the rules for classes and photos, and training runs.

The projects themselves live in a ``ProjectStore`` (``app.project_store``): in
this process, or in Redis for every worker. Every change here is one ``edit``
of the store, so it is all or nothing. Each photo keeps its frozen-backbone
features, so an image evicted from the image store never breaks training.
Training runs in one background thread per process, with a short queue;
beyond it the API answers 503 ``busy`` and the project is left as it was.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np

from app.errors import Busy, Conflict, InvalidParameter, NotFound
from app.imaging.encode import encode
from app.project_store import Photo, Project, ProjectClass, ProjectStore, Run

MAX_CLASSES = 8
MAX_PHOTOS_PER_CLASS = 60
MIN_PHOTOS_ADVISED = 5
MAX_PENDING_RUNS = 4  # trainings queued or running in this process, in all projects
_QUEUE_FULL = "Several trainings are already queued; try again in a few seconds."
_PROGRESS_EVERY_S = 0.2  # how often a run reports (a Redis write each time)


class TrainingQueue:
    """One training thread for this process, and a short queue in front of it."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="train")
        self._lock = threading.Lock()
        self._pending = 0

    def check_room(self) -> None:
        """503 ``busy`` now if a training could not be queued (before costly preparation)."""
        with self._lock:
            if self._pending >= MAX_PENDING_RUNS:
                raise Busy(_QUEUE_FULL)

    def submit(self, job: Callable[..., None], *args: object) -> None:
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
        raise InvalidParameter(f"{field}: a class name may not contain control or invisible "
                               "characters", field=field)
    if not name:
        raise InvalidParameter(f"{field}: a class needs a name, not only spaces", field=field)
    return name


def _new_class(project: Project, name: str) -> ProjectClass:
    if len(project.classes) >= MAX_CLASSES:
        raise InvalidParameter(f"a project has at most {MAX_CLASSES} classes", field="name")
    if any(c.name.lower() == name.lower() for c in project.classes):
        raise Conflict(f"There is already a class called {name!r}.", field="name")
    cls = ProjectClass(secrets.token_hex(4), name)
    project.classes.append(cls)
    return cls


def add_class(store: ProjectStore, project_id: str, name: str) -> ProjectClass:
    name = clean_class_name(name)
    with store.edit(project_id) as project:
        return _new_class(project, name)


def install_head(store: ProjectStore, project_id: str, head: object, names: list[str]) -> None:
    """Give an empty project a loaded head and its classes, all or nothing."""
    cleaned = [clean_class_name(n, field="file") for n in names]
    if len(cleaned) > MAX_CLASSES:
        raise InvalidParameter(f"this head has {len(cleaned)} classes; a project holds at "
                               f"most {MAX_CLASSES}", field="file")
    if len({n.lower() for n in cleaned}) < len(cleaned):
        raise InvalidParameter("this head file names a class twice", field="file")
    with store.edit(project_id) as project:
        if project.classes:
            raise InvalidParameter("import a head into a new, empty project", field="project")
        classes = [_new_class(project, n) for n in cleaned]
        project.head_classes = [{"id": c.id, "name": c.name} for c in classes]
        store.set_head(project_id, head, cleaned)


def thumbnail(crop_u8: np.ndarray, side: int = 96) -> bytes:
    """A small JPEG of the crop the model saw, for the class list."""
    small = cv2.resize(crop_u8, (side, side), interpolation=cv2.INTER_AREA)
    return encode(small, "jpeg", quality=85)


def add_photo(store: ProjectStore, project_id: str, class_id: str, photo: Photo) -> None:
    # The data first: a description never names a photo whose features are missing.
    store.put_photo(project_id, photo)
    with store.edit(project_id) as project:
        cls = project.class_(class_id)
        if photo.image_id in cls.photos:
            return
        if len(cls.photos) >= MAX_PHOTOS_PER_CLASS:
            raise InvalidParameter(f"a class holds at most {MAX_PHOTOS_PER_CLASS} photos",
                                   field="file")
        cls.photos.append(photo.image_id)


def _drop_unused(store: ProjectStore, project: Project, image_ids: list[str]) -> None:
    """Forget the data of photos no class of ``project`` names any more."""
    store.drop_photos(project.id, [i for i in image_ids if i not in project.photo_ids()])


def remove_photo(store: ProjectStore, project_id: str, class_id: str, image_id: str) -> None:
    with store.edit(project_id) as project:
        cls = project.class_(class_id)
        if image_id not in cls.photos:
            raise NotFound(f"That class has no photo {image_id[:40]!r}.")
        cls.photos.remove(image_id)
        _drop_unused(store, project, [image_id])


def remove_class(store: ProjectStore, project_id: str, class_id: str) -> None:
    with store.edit(project_id) as project:
        cls = project.class_(class_id)
        project.classes.remove(cls)
        _drop_unused(store, project, cls.photos)


def thumb(store: ProjectStore, project_id: str, image_id: str) -> bytes:
    """The thumbnail of a photo in the project (404 if it has none)."""
    if image_id in store.read(project_id).photo_ids():
        found = store.photos(project_id, [image_id])[0]
        if found is not None:
            return found.thumb
    raise NotFound(f"This project has no photo {image_id[:40]!r}.")


OnDone = Callable[[str, Run], None]


def start_run(store: ProjectStore, queue: TrainingQueue, project_id: str, epochs: int,
              augment: bool, seed: int, on_done: OnDone | None = None) -> Run:
    """Snapshot the photos, queue the training, and return the queued run."""
    with store.edit(project_id) as project:
        if project.run and project.run.active:
            raise Conflict("This project is already training; wait for it to finish.")
        usable = [c for c in project.classes if c.photos]
        if len(usable) < 2:
            raise InvalidParameter("training needs at least two classes with photos",
                                   field="classes")
        found = {c.id: [p for p in store.photos(project_id, c.photos) if p is not None]
                 for c in usable}
        feats = [p.views for c in usable for p in found[c.id]]
        labels = np.array([k for k, c in enumerate(usable) for _ in found[c.id]])
        run = Run(secrets.token_hex(6), epochs, augment, seed,
                  classes=[{"id": c.id, "name": c.name} for c in usable])
        run.warnings = [f"Only {len(found[c.id])} photo(s) of {c.name!r}: the accuracy below "
                        f"is unreliable; add at least {MIN_PHOTOS_ADVISED} per class."
                        for c in usable if len(found[c.id]) < MIN_PHOTOS_ADVISED]
        queue.submit(_train, store, project_id, run, feats, labels, on_done)
        # Saved once queued: a run refused as busy never makes the project look as training.
        store.save_run(project_id, run)
    return run


def _train(store: ProjectStore, project_id: str, run: Run, feats: list[np.ndarray],
           labels: np.ndarray, on_done: OnDone | None) -> None:
    from models import transfer

    t0 = time.perf_counter()
    last_report = 0.0

    def report(force: bool = False) -> None:
        nonlocal last_report
        if force or time.perf_counter() - last_report > _PROGRESS_EVERY_S:
            last_report = time.perf_counter()
            store.save_run(project_id, run)

    run.status = "running"
    report(force=True)
    n = len(run.classes)
    k = len(transfer.folds(labels, run.seed))
    cv_share = k / (k + 1)  # k cross-validation trainings, then the final one
    try:
        def cv_progress(done: float) -> None:
            run.progress = cv_share * done
            report()

        run.accuracy, run.confusion = transfer.cross_validate(
            feats, labels, n, run.epochs, run.seed, run.augment, progress=cv_progress)
        if run.accuracy is None:
            run.warnings.append("Every class needs at least 2 photos to estimate accuracy "
                                "on held-out photos.")
        x, y = transfer.stack(feats, labels, np.arange(len(labels)), run.augment)

        def progress(epoch: int, loss: float) -> None:
            run.progress = cv_share + (1 - cv_share) * epoch / run.epochs
            run.losses.append(loss)
            report()

        result = transfer.train_head(x, y, n, run.epochs, run.seed, progress)
        with store.edit(project_id) as project:
            project.head_classes = run.classes
            store.set_head(project_id, result.head, [c["name"] for c in run.classes])
        if on_done:
            on_done(project_id, run)
        run.status, run.progress = "done", 1.0
    except Exception as exc:  # a failed run is reported in the project, not lost
        run.status, run.error = "failed", f"training failed: {type(exc).__name__}"
    finally:
        run.seconds = round(time.perf_counter() - t0, 3)
        # The project may be gone (expired, discarded, store down): then nobody is told.
        with contextlib.suppress(Exception):
            report(force=True)
