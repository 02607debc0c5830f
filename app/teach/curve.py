"""How many photos do you need: the learning curve of a project, as a job.

From the cached features only (no forward pass): for 1, 2, 4, ... photos per class,
train the last layer on that many and judge the photos left out, repeated on random
draws (``models.transfer.learning_curve``). Points stream into the job as each size
finishes; the finished curve is kept with the job.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Any

from app.core.errors import NotFound
from app.core.services import Services
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.teach.lab_schemas import CurveRequest, LearningCurve
from app.teach.snapshot import choose, counts, gather, job_key, short_of_photos

KIND = "learning-curve"
TIME_LIMIT_S = 300.0  # 8 classes x 60 photos, 10 repeats, 300 epochs: well under a minute


def result_url(project_id: str, job_id: str) -> str:
    return f"/api/projects/{project_id}/learning-curve/{job_id}"


def start(services: Services, project_id: str, req: CurveRequest, client: Client) -> JobRecord:
    """Queue the curve of the project's photos as they are now (or join the same one)."""
    params = {"project": project_id, **choose(services.projects.read(project_id)),
              **req.model_dump()}
    key = job_key(KIND, project_id, params, ("photos", "repeats", "epochs", "augment", "seed"))
    return services.jobs.submit(KIND, params, client=client, key=key)


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    from models import transfer

    t0 = time.perf_counter()
    photos, labels = gather(ctx.services.projects, params)
    n = len(params["classes"])
    short_of_photos(counts(params, labels), gone=True)
    sizes = transfer.curve_sizes(labels, n)
    repeats, points = params["repeats"], []

    def live() -> dict[str, Any]:
        # A copy for the job's record: the record must not share the list this job appends to.
        return {"sizes": sizes, "repeats": repeats, "points": list(points)}

    def progress(fraction: float) -> None:
        done = max(1, round(fraction * len(sizes) * repeats))  # trainings finished
        ctx.progress(fraction, f"{sizes[(done - 1) // repeats]} photos per class, repeat "
                               f"{(done - 1) % repeats + 1} of {repeats}", **live())

    def on_point(point: transfer.CurvePoint) -> None:
        points.append(asdict(point))
        ctx.progress(len(points) / len(sizes), f"{point.per_class} photos per class done",
                     force=True, **live())

    transfer.learning_curve([p.views for p in photos], labels, n, sizes, repeats,
                            params["seed"], params["epochs"], params["augment"],
                            progress=progress, on_point=on_point)
    curve = LearningCurve(points=points, chance=1 / n, classes=params["classes"],
                          counts=[int((labels == k).sum()) for k in range(n)], repeats=repeats,
                          epochs=params["epochs"], augment=params["augment"],
                          seed=params["seed"], seconds=round(time.perf_counter() - t0, 3))
    ctx.save_result("curve", curve.model_dump_json().encode())
    return result_url(params["project"], ctx.id)


def finished(services: Services, project_id: str, job_id: str) -> LearningCurve:
    """A finished curve of this project (404 for another project's job, 409 while running)."""
    record = services.jobs.get(job_id)
    if record.kind == KIND and record.params.get("project") != project_id:
        raise NotFound(f"Job {job_id[:40]!r} is not a learning curve of this project.")
    data = services.jobs.finished_result(job_id, KIND, "curve")
    return LearningCurve.model_validate(json.loads(data))


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
