"""Training runs: a new classifier trained on a project's photos, in the background.

Training runs in one background thread per process, with a short queue;
beyond it the API answers 503 ``busy`` and the project is left as it was. A
run reports its progress into the project store, so any worker can show it.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from app.core.errors import Busy, Conflict, InvalidParameter
from app.teach.project import Run
from app.teach.store import ProjectStore

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

        result = transfer.train_classifier(x, y, n, run.epochs, run.seed, progress)
        with store.edit(project_id) as project:
            project.classifier_classes = run.classes
            store.set_classifier(project_id, result.classifier, [c["name"] for c in run.classes])
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
