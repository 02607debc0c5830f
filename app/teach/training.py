"""Training runs: a new classifier trained on a project's photos, as a job.

``start_training`` checks the project and queues a ``train`` job; any worker
runs it (``run_training``), reporting into the job and into the project's run
record, so every web process can show both. Beyond the job bounds the API
answers 503 ``busy`` and the project is left as it was.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.core.errors import Busy, Conflict, InvalidParameter
from app.core.services import Services
from app.jobs.record import Client, JobRecord
from app.jobs.system import Cancelled, JobContext, Kind, Stopping
from app.teach import familiar
from app.teach.calibration import reliability
from app.teach.project import Project, Run
from app.teach.snapshot import gather, job_key, redo_key

MIN_PHOTOS_ADVISED = 5
TRAIN_TIME_LIMIT_S = 300.0  # 500 epochs over 8 classes x 60 photos take well under a minute

Progress = Callable[[float, str], None]


def start_training(services: Services, project_id: str, epochs: int, augment: bool, seed: int,
                   client: Client) -> tuple[Run, JobRecord]:
    """Snapshot the photos, queue the training; the run as the project now shows it and its job.
    Training the same photos with the same settings again joins the job that did it."""
    store = services.projects
    with store.edit(project_id) as project:
        previous = project.run
        if previous and previous.active and _job_active(services, previous):
            raise Conflict("This project is already training; wait for it to finish.")
        run, params = new_run(project, epochs, augment, seed)
        # A job that trained these photos like this is joined only while its classifier
        # is the project's (trained back to earlier settings: train again).
        key = redo_key(services.jobs.store, _key(project_id, params),
                       lambda job: previous is not None and previous.job_id == job.id)
        known = services.jobs.store.live(key)
        if known is not None and previous is not None and previous.job_id == known.id:
            return previous, known  # these photos were trained like this already
        store.save_run(project_id, run)  # saved first: the job may start at once
        try:
            job = services.jobs.submit("train", params, client=client, key=key)
        except Busy:
            store.save_run(project_id, previous)  # the project is left as it was
            raise
        run.job_id = job.id
        store.save_run(project_id, run)
    return run, job


def new_run(project: Project, epochs: int, augment: bool, seed: int, run_id: str | None = None
            ) -> tuple[Run, dict[str, Any]]:
    """A queued run of the project's classes with photos, and the ``train`` job's params."""
    usable = [c for c in project.classes if c.photos]
    if len(usable) < 2:
        raise InvalidParameter("training needs at least two classes with photos",
                               field="classes")
    run = Run(run_id or secrets.token_hex(6), epochs, augment, seed,
              classes=[{"id": c.id, "name": c.name} for c in usable])
    run.warnings = [f"Only {len(c.photos)} photo(s) of {c.name!r}: the accuracy below "
                    f"is unreliable; add at least {MIN_PHOTOS_ADVISED} per class."
                    for c in usable if len(c.photos) < MIN_PHOTOS_ADVISED]
    params = {"project": project.id, "run": run.id, "epochs": epochs, "augment": augment,
              "seed": seed, "classes": run.classes, "warnings": run.warnings,
              "photos": {c.id: list(c.photos) for c in usable}}
    return run, params


def _key(project_id: str, params: dict[str, Any]) -> str:
    return job_key("train", project_id, params, ("epochs", "augment", "seed", "photos"))


def _job_active(services: Services, run: Run) -> bool:
    job = services.jobs.store.get(run.job_id) if run.job_id else None
    return job is not None and job.active


def current_run(services: Services, project: Project) -> Run | None:
    """The project's run as its job says it is: a run whose job ended without saying so
    (its workers stopped, it was cancelled while queued) shows the job's outcome."""
    run = project.run
    if run is None or not run.active:
        return run
    job = services.jobs.store.get(run.job_id) if run.job_id else None
    if job is None:
        run.status, run.error = "failed", "the job training it is gone (its server stopped)"
    elif not job.active:
        run.status = "done" if job.status == "done" else job.status
        run.error = job.error["message"] if job.error else None
    return run


def run_training(ctx: JobContext, params: dict[str, Any]) -> str:
    """The ``train`` job: cross-validated accuracy, then the final classifier."""
    train(ctx.services, params, ctx.progress, ctx.id)
    return f"/api/projects/{params['project']}"


def train(services: Services, params: dict[str, Any], progress: Progress, job_id: str,
          on_done: Callable[[Run], None] | None = None) -> Run:
    """Train the classifier ``params`` describe, reporting into the project's run."""
    from models import transfer

    store, project_id = services.projects, params["project"]
    run = Run(params["run"], params["epochs"], params["augment"], params["seed"],
              job_id=job_id,
              classes=params["classes"], warnings=list(params["warnings"]), status="running")
    t0 = time.perf_counter()
    last = 0.0

    def report(fraction: float, message: str, force: bool = False) -> None:
        nonlocal last
        run.progress = fraction
        progress(fraction, message)  # raises Cancelled or Stopping, or past the time limit
        if force or time.perf_counter() - last > 0.25:
            last = time.perf_counter()
            store.save_run(project_id, run)

    try:
        photos, labels = gather(store, params)
        feats = [p.views for p in photos]
        report(0.0, "starting", force=True)
        k = len(transfer.folds(labels, len(run.classes), run.seed))
        cv_share = k / (k + 1)  # k cross-validation trainings, then the final one

        def cv_progress(done: float) -> None:
            fold = min(k, int(done * k) + 1)
            report(cv_share * done, f"fold {fold} of {k}")

        held = transfer.held_out_probs(feats, labels, len(run.classes), run.epochs, run.seed,
                                       run.augment, progress=cv_progress)
        if held is None:
            run.warnings.append("Every class needs at least 2 photos to estimate accuracy "
                                "on held-out photos.")
            run.confusion = [[0] * len(run.classes) for _ in run.classes]
        else:
            confusion = transfer.confusion_matrix(labels, held.argmax(1), len(run.classes))
            run.accuracy = float(np.trace(confusion) / confusion.sum())
            run.confusion = confusion.tolist()
            run.calibration = reliability(held, labels)
        x, y = transfer.stack(feats, labels, np.arange(len(labels)), run.augment)

        def fit_progress(epoch: int, loss: float) -> None:
            run.losses.append(loss)
            report(cv_share + (1 - cv_share) * epoch / run.epochs,
                   f"final fit, epoch {epoch} of {run.epochs}")

        result = transfer.train_classifier(x, y, len(run.classes), run.epochs, run.seed,
                                           fit_progress)
        index = familiar.build_index(np.stack(feats), labels, [p.image_id for p in photos],
                                     [c["id"] for c in run.classes])
        with store.edit(project_id) as project:
            project.classifier_classes = run.classes
            store.set_classifier(project_id, result.classifier, [c["name"] for c in run.classes])
            store.put_part(project_id, familiar.PART, index)
        if on_done:
            on_done(run)
        run.status, run.progress = "done", 1.0
    except Cancelled:
        run.status = "cancelled"
        raise
    except Stopping:  # handed back to the queue: another worker starts it again
        run.status = "queued"
        raise
    except Exception as exc:
        reason = getattr(exc, "message", type(exc).__name__)
        run.status, run.error = "failed", f"training failed: {reason}"
        raise
    finally:
        run.seconds = round(time.perf_counter() - t0, 3)
        store.save_run(project_id, run)
    return run


KINDS = [Kind("train", run_training, TRAIN_TIME_LIMIT_S)]
