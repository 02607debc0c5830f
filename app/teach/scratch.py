"""The lecture's experiment: a small CNN trained from scratch beside transfer learning, as a job.

Both are judged on the same held-out photos (``models.transfer.folds`` with the same
seed): the small network (``models.scratch``) trains one copy per fold plus one on every
photo, epoch by epoch, saving that copy's 16 filters after every epoch so the page can
watch them leave the noise they start as; then the transfer-learned classifier is
cross-validated on the same folds, timed the same way. The result puts the two side by
side and reads the difference in one sentence.
"""

from __future__ import annotations

import io
import json
import time
from dataclasses import asdict
from typing import Any

import numpy as np

from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.jobs.record import JobRecord
from app.jobs.system import JobContext, Kind
from app.teach.lab_schemas import ScratchRequest, ScratchResult
from app.teach.pixels import photo_views
from app.teach.snapshot import choose, gather, job_key

KIND = "scratch"
TIME_LIMIT_S = 900.0  # the most work (8 x 60 photos, 30 epochs) takes a few minutes here
MIN_PHOTOS = 2  # every class needs a photo to hold out
TRANSFER_EPOCHS, TRANSFER_AUGMENT = 100, True  # when the project has not been trained yet
SCRATCH_SHARE = 0.9  # of the job's progress; the transfer side is the rest


def filters_url(project_id: str, job_id: str, epoch: int | str) -> str:
    return f"/api/projects/{project_id}/scratch/filters?job={job_id}&epoch={epoch}"


def maps_url(project_id: str, job_id: str, image_id: str) -> str:
    return f"/api/projects/{project_id}/scratch/maps?job={job_id}&image_id={image_id}"


def start(services: Services, project_id: str, req: ScratchRequest, client: str) -> JobRecord:
    """Queue the from-scratch training of the project's photos as they are now (or join the
    same one); the transfer side uses the settings of the project's last finished training."""
    project = services.projects.read(project_id)
    run = project.run
    trained = run is not None and run.status == "done"
    params = {"project": project_id, **choose(project, MIN_PHOTOS), **req.model_dump(),
              "transfer": {"epochs": run.epochs if trained else TRANSFER_EPOCHS,
                           "augment": run.augment if trained else TRANSFER_AUGMENT}}
    key = job_key(KIND, project_id, params, ("photos", "epochs", "seed", "net", "transfer"))
    job = services.jobs.submit(KIND, params, client=client, key=key)
    with services.projects.edit(project_id) as editing:
        editing.scratch_job = job.id
    return job


def conv_name(epoch: int) -> str:
    return f"conv-{epoch}"


def pack_conv(weight: np.ndarray, bias: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, weight=weight, bias=bias)
    return buf.getvalue()


def unpack_conv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as parts:
        return parts["weight"], parts["bias"]


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The ``scratch`` job: the small network on the folds, then transfer on the same folds."""
    from models import scratch, transfer

    services, project_id = ctx.services, params["project"]
    photos, labels = gather(services.projects, params)
    parts = transfer.folds(labels, len(params["classes"]), params["seed"])
    if not parts:
        raise InvalidParameter("Some photos of this project are gone (it expired meanwhile): "
                               "a class has fewer than two left.", field="photos")
    n, epochs = len(params["classes"]), params["epochs"]
    history: list[dict] = []
    table = scratch.layer_table(n)
    live: dict[str, Any] = {"epoch": 0, "epochs": epochs, "folds": len(parts),
                            "layers": table, "history": history,
                            "filters": None}  # until epoch 0 is kept
    ctx.progress(0.0, "preparing the photos at 150x150", force=True, **live)
    pairs = np.stack([[scratch.shrink(views[i]) for i in (transfer.PLAIN, transfer.ZOOMED)]
                      for views in (photo_views(services, p) for p in photos)
                      ])  # (N, 2, 150, 150, 3): plain and zoomed

    def on_epoch(stats: Any, weight: np.ndarray, bias: np.ndarray) -> None:
        epoch = 0 if stats is None else stats.epoch
        ctx.save_result(conv_name(epoch), pack_conv(weight, bias))
        if stats is not None:
            history.append(asdict(stats))
        live.update(epoch=epoch, filters=filters_url(project_id, ctx.id, epoch))
        ctx.progress(SCRATCH_SHARE * epoch / epochs, f"epoch {epoch} of {epochs}", force=True,
                     **live)

    def tick(fraction: float) -> None:
        epoch = min(epochs, int(fraction * epochs) + 1)
        ctx.progress(SCRATCH_SHARE * fraction, f"epoch {epoch} of {epochs}", **live)

    fit = scratch.cross_fit(pairs, labels, n, parts, epochs, params["seed"], on_epoch, tick)
    side = _transfer_side(ctx, [p.views for p in photos], labels, n, params)
    trained = sum(layer["parameters"] for layer in table)
    w0 = np.linalg.norm(fit.filters[0])
    change = [float(np.linalg.norm(w - fit.filters[0]) / w0) for w in fit.filters]
    mine = {"accuracy": _accuracy(fit.probs, labels), "seconds": round(fit.seconds, 3),
            "confusion": transfer.confusion_matrix(labels, fit.probs.argmax(1), n).tolist(),
            "parameters_trained": trained, "dense_share": table[-1]["parameters"] / trained}
    result = ScratchResult(
        net=params["net"], epochs=epochs, seed=params["seed"], folds=len(parts),
        held_out=len(labels), classes=params["classes"], layers=table, history=history,
        filter_change=change, scratch=mine, transfer=side,
        reading=reading(mine, side, len(labels) / n, change[-1]),
        filters=filters_url(project_id, ctx.id, "{epoch}"),
        maps=maps_url(project_id, ctx.id, "{image_id}"))
    ctx.save_result("result", result.model_dump_json().encode())
    return result_url(project_id, ctx.id)


def _accuracy(probs: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(probs.argmax(1) == labels))


def _transfer_side(ctx: JobContext, feats: list[np.ndarray], labels: np.ndarray, n: int,
                   params: dict[str, Any]) -> dict[str, Any]:
    """The transfer-learned classifier on the same folds, its final fit timed too."""
    from models import transfer

    epochs, augment, seed = params["transfer"]["epochs"], params["transfer"]["augment"], \
        params["seed"]
    t0 = time.perf_counter()
    probs = transfer.held_out_probs(
        feats, labels, n, epochs, seed, augment,
        progress=lambda f: ctx.progress(SCRATCH_SHARE + (1 - SCRATCH_SHARE) * f,
                                        "transfer learning on the same folds"))
    transfer.train_classifier(*transfer.stack(feats, labels, np.arange(len(labels)), augment),
                              n, epochs, seed)
    seconds = time.perf_counter() - t0
    model = ctx.services.require_model().model
    frozen = sum(p.numel() for name, p in model.named_parameters()
                 if not name.startswith("classifier."))  # ImageNet's own last layer is not used
    return {"accuracy": _accuracy(probs, labels), "seconds": round(seconds, 3),
            "confusion": transfer.confusion_matrix(labels, probs.argmax(1), n).tolist(),
            "parameters_trained": transfer.FEATURES * n + n, "parameters_frozen": frozen,
            "epochs": epochs, "augment": augment}


def reading(mine: dict[str, Any], side: dict[str, Any], per_class: float, change: float
            ) -> str:
    """One sentence from the numbers: why the pretrained features win, or that they tie.
    ``change``: how far the filters moved from their random start (relative)."""
    ours, theirs = mine["accuracy"], side["accuracy"]
    photos = f"{per_class:.0f}" if per_class == int(per_class) else f"about {per_class:.0f}"
    costs = (f"{mine['parameters_trained']:,} weights learned from scratch in "
             f"{mine['seconds']:.0f} s against {side['parameters_trained']:,} in "
             f"{side['seconds']:.1f} s")
    if theirs - ours >= 0.1:
        return (f"With {photos} photos per class, the pretrained features reach {theirs:.0%} on "
                f"held-out photos and the network from scratch {ours:.0%} ({costs}): filters "
                "learned from a million ImageNet photos already describe yours, while a few "
                "photos are far too few to learn filters and a dense layer from nothing (its "
                f"16 filters moved {change:.0%} from their random start).")
    if ours - theirs >= 0.1:
        return (f"Here the network from scratch does better ({ours:.0%} against {theirs:.0%} "
                f"with {photos} photos per class; {costs}): whatever tells these classes apart "
                "is something ImageNet's features do not describe well.")
    return (f"Both reach about {(ours + theirs) / 2:.0%} on held-out photos with {photos} "
            f"photos per class: these classes are easy enough for 16 small filters (a colour or "
            f"a plain shape may tell them apart), but it took {costs}.")


def result_url(project_id: str, job_id: str) -> str:
    return f"/api/projects/{project_id}/scratch/{job_id}"


def scratch_job(services: Services, project_id: str, job_id: str | None) -> JobRecord:
    """The project's scratch job named ``job_id`` (default: its latest); 404 otherwise."""
    job_id = job_id or services.projects.read(project_id).scratch_job
    if job_id is None:
        raise NotFound("This project has not trained the network from scratch yet: POST "
                       f"/api/projects/{project_id[:40]}/scratch first.")
    record = services.jobs.get(job_id)
    if record.kind != KIND or record.params.get("project") != project_id:
        raise NotFound(f"Job {job_id[:40]!r} is not a from-scratch training of this project.")
    return record


def finished(services: Services, project_id: str, job_id: str | None) -> ScratchResult:
    record = scratch_job(services, project_id, job_id)
    data = services.jobs.finished_result(record.id, KIND, "result")
    return ScratchResult.model_validate(json.loads(data))


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
