"""The spurious-feature lesson: a project whose photos confound the object with its background.

Discs are always on the mountains photo and squares always on the rocket photo (a rocket
on its launch pad at dusk: the samples hold no photo of plain sky); trained on
those, a classifier is scored on test photos with the same and with swapped
backgrounds, and shows that it learned the background. Building it (drawing and
embedding 72 photos, training, scoring) takes seconds: it is a ``lesson`` job.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.imaging.composite import scene
from app.imaging.decode import decode_image
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.teach.project import Run
from app.teach.projects import add_class
from app.teach.service import add_image, predict
from app.teach.training import new_run, train

# The spurious-feature lesson: discs always on the mountains, squares always on the rocket photo.
DEMO_BACKGROUNDS = {"mountains": "landscape_picos_de_europa.jpg", "rocket": "vehicle_rocket.jpg"}
DEMO_TRAIN, DEMO_TEST = 12, 6
PAIRING = {"disc": "mountains", "square": "rocket"}
SWAPPED = {"disc": "rocket", "square": "mountains"}
LESSON_TIME_LIMIT_S = 180.0
LESSON_EPOCHS = 100


def start_lesson(services: Services, client: Client) -> tuple[str, str, JobRecord]:
    """An empty project for the lesson and the job that fills, trains and scores it:
    the project id, the run id it will have, and the job. The project is made only once
    the job bounds let the lesson in, so a lesson refused as busy changes no project."""
    run_id = secrets.token_hex(6)
    job = services.jobs.submit("lesson", {"run": run_id}, client=client,
                               prepare=lambda: {"project": services.projects.create().id})
    project_id = job.params["project"]
    # The run to come, so the project says what it is waiting for from the start.
    services.projects.save_run(project_id, Run(run_id, LESSON_EPOCHS, True, 0, job_id=job.id))
    return project_id, run_id, job


def run_lesson(ctx: JobContext, params: dict[str, Any]) -> str:
    services, project_id = ctx.services, params["project"]
    services.require_model()  # fail at once, not after drawing the photos
    samples = services.settings.samples_dir
    limits = services.settings.decode_limits
    bg = {k: decode_image((samples / f).read_bytes(), limits) for k, f in DEMO_BACKGROUNDS.items()}
    total = len(PAIRING) * DEMO_TRAIN
    ids = {}
    for shape, where in PAIRING.items():
        cls = add_class(services.projects, project_id, shape)
        ids[shape] = cls.id
        for seed in range(DEMO_TRAIN):
            done = len(ids) * DEMO_TRAIN - DEMO_TRAIN + seed
            ctx.progress(0.45 * done / total, f"drawing and embedding photo {done + 1} of {total}")
            record = services.images.put(scene(bg[where], shape, seed))
            add_image(services, project_id, cls.id, lookup_image(services, record.id))
    tests = [{"image_id": services.images.put(scene(bg[where], shape, seed)).id, "truth": shape,
              "background": where, "setting": setting}
             for setting, backgrounds in (("same", PAIRING), ("swapped", SWAPPED))
             for shape, where in backgrounds.items()
             for seed in range(1000, 1000 + DEMO_TEST)]

    def score(run: Run) -> None:
        ctx.progress(0.95, "scoring the test photos", force=True)
        run.extra = _scores(services, project_id, tests, ids)

    project = services.projects.read(project_id)
    _, train_params = new_run(project, epochs=LESSON_EPOCHS, augment=True, seed=0,
                              run_id=params["run"])
    train(services, train_params,
          lambda fraction, message: ctx.progress(0.45 + 0.5 * fraction, message), ctx.id,
          on_done=score)
    return f"/api/projects/{project_id}"


def _scores(services: Services, project_id: str, tests: list[dict], ids: dict[str, str]
            ) -> dict[str, Any]:
    results: dict[str, list[bool]] = {"same": [], "swapped": []}
    examples = []
    for t in tests:
        image = services.images.get(t["image_id"])
        if image is None:
            continue  # evicted meanwhile: score what is left
        best = predict(services, project_id, StoredImage(t["image_id"], image)).probs[0]
        results[t["setting"]].append(best.name == t["truth"])
        examples.append({**t, "predicted": best.name, "prob": best.prob})
    return {
        "lesson": "Training discs were always on the mountains and squares always on the "
                  "rocket photo. Swap the backgrounds and see what the classifier really "
                  "learned.",
        "same_background_accuracy": float(np.mean(results["same"])),
        "swapped_background_accuracy": float(np.mean(results["swapped"])),
        "examples": examples, "classes": ids}


KINDS = [Kind("lesson", run_lesson, LESSON_TIME_LIMIT_S)]
