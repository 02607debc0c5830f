"""The lecture's experiment: a small CNN trained from scratch beside transfer learning, as a job.

Both are judged on the same held-out photos (``models.transfer.folds`` with the same
seed, by default the seed of the project's last finished training, so the folds are the
ones its classifier's accuracy was measured on): the small network (``models.scratch``)
trains one copy per fold plus one on every photo, epoch by epoch, saving that copy's 16
filters after every epoch so the page can watch them leave the noise they start as; then
the transfer-learned classifier is cross-validated on the same folds, timed the same way.
The result puts the two side by side and reads the difference in one sentence.
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
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.teach.lab_schemas import ScratchModel, ScratchRequest, ScratchResult, TransferModel
from app.teach.pixels import photo_views
from app.teach.schemas import TrainRequest
from app.teach.snapshot import choose, counts, gather, job_key, short_of_photos

KIND = "scratch"
# A job's work in photos through the network: epochs x photos x (folds + 1), an upper
# bound (each fold's network sees the photos its fold does not hold out, the final one
# all of them, every epoch). One photo's forward and backward pass costs about 4 ms of one
# core here, so the most allowed is under a minute of CPU, a few minutes on a machine
# shared four ways: a job queued behind it starts well within the job system's MAX_WAIT_S.
MAX_WORK = 12_000
TIME_LIMIT_S = 420.0  # the most work, with the machine shared four ways
SCRATCH_SHARE = 0.9  # of the job's progress; the transfer side is the rest


def filters_url(project_id: str, job_id: str, epoch: int | str) -> str:
    """Where the 16 filters after an epoch are drawn (``epoch`` may be a template field)."""
    return f"/api/projects/{project_id}/scratch/filters?job={job_id}&epoch={epoch}"


def maps_url(project_id: str, job_id: str, image_id: str) -> str:
    """Where the feature maps on a photo are drawn (``image_id`` may be a template field)."""
    return f"/api/projects/{project_id}/scratch/maps?job={job_id}&image_id={image_id}"


def start(services: Services, project_id: str, req: ScratchRequest, client: Client) -> JobRecord:
    """Queue the from-scratch training of the project's photos as they are now (or join the
    same one); the transfer side uses the settings of the project's last finished training,
    and so does the seed unless ``req`` names one. 422 past ``MAX_WORK``."""
    project = services.projects.read(project_id)
    run = project.run if project.run is not None and project.run.status == "done" else None
    defaults = run or TrainRequest()
    chosen = choose(project)
    _check_work(req.epochs, [len(ids) for ids in chosen["photos"].values()])
    params = {"project": project_id, **chosen, **req.model_dump(),
              "seed": defaults.seed if req.seed is None else req.seed,
              "transfer": {"epochs": defaults.epochs, "augment": defaults.augment}}
    key = job_key(KIND, project_id, params, ("photos", "epochs", "seed", "net", "transfer"))
    job = services.jobs.submit(KIND, params, client=client, key=key)
    with services.projects.edit(project_id) as editing:
        editing.scratch_job = job.id
    return job


def work(epochs: int, per_class: list[int]) -> int:
    """The photos through the network a training makes at most: epochs x photos x
    (folds + 1), the folds as many as ``models.transfer.folds`` makes."""
    from models.transfer import MAX_FOLDS

    folds = min(MAX_FOLDS, min(per_class))
    return epochs * sum(per_class) * (folds + 1)


def _check_work(epochs: int, per_class: list[int]) -> None:
    asked = work(epochs, per_class)
    if asked <= MAX_WORK:
        return
    folds = asked // (epochs * sum(per_class)) - 1
    most = MAX_WORK // work(1, per_class)
    fewer = (f"at most {most} epoch{'s' if most > 1 else ''} for these photos, or fewer photos"
             if most >= 1 else "fewer photos")
    raise InvalidParameter(
        f"epochs: {epochs} epochs of {sum(per_class)} photos with {folds} folds is "
        f"{asked:,} photos through the network "
        f"(epochs x photos x (folds + 1)); a training from scratch does at most "
        f"{MAX_WORK:,} here, so that it ends within minutes: ask for {fewer}.",
        field="epochs", work=asked, max_work=MAX_WORK, max_epochs=max(most, 0))


def conv_name(epoch: int) -> str:
    """The name the first layer after ``epoch`` is kept under, beside the job."""
    return f"conv-{epoch}"


def pack_conv(weight: np.ndarray, bias: np.ndarray) -> bytes:
    """A first layer (weights ``(16, 3, 3, 3)``, biases ``(16,)``) as one ``.npz``."""
    buf = io.BytesIO()
    np.savez(buf, weight=weight, bias=bias)
    return buf.getvalue()


def unpack_conv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of ``pack_conv``."""
    with np.load(io.BytesIO(data), allow_pickle=False) as parts:
        return parts["weight"], parts["bias"]


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The ``scratch`` job: the small network on the folds, then transfer on the same folds."""
    from models import scratch, transfer

    services, project_id = ctx.services, params["project"]
    photos, labels = gather(services.projects, params)
    short_of_photos(counts(params, labels), gone=True)
    n, epochs = len(params["classes"]), params["epochs"]
    parts = transfer.folds(labels, n, params["seed"])
    history: list[dict] = []
    table = scratch.layer_table(n)
    filters: str | None = None  # until epoch 0 is kept
    epoch_now = 0

    def live() -> dict[str, Any]:
        # Copies for the job's record: it must not share the list this job appends to.
        return {"epoch": epoch_now, "epochs": epochs, "folds": len(parts), "layers": table,
                "history": list(history), "filters": filters}

    ctx.progress(0.0, "preparing the photos at 150x150", force=True, **live())
    pairs = np.stack([[scratch.shrink(views[i]) for i in (transfer.PLAIN, transfer.ZOOMED)]
                      for views in (photo_views(services, p) for p in photos)
                      ])  # (N, 2, 150, 150, 3): plain and zoomed

    def on_epoch(stats: Any, weight: np.ndarray, bias: np.ndarray) -> None:
        nonlocal epoch_now, filters
        epoch_now = 0 if stats is None else stats.epoch
        ctx.save_result(conv_name(epoch_now), pack_conv(weight, bias))
        if stats is not None:
            history.append(asdict(stats))
        filters = filters_url(project_id, ctx.id, epoch_now)
        ctx.progress(SCRATCH_SHARE * epoch_now / epochs, f"epoch {epoch_now} of {epochs}",
                     force=True, **live())

    def tick(fraction: float) -> None:
        epoch = min(epochs, int(fraction * epochs) + 1)
        ctx.progress(SCRATCH_SHARE * fraction, f"epoch {epoch} of {epochs}", **live())

    fit = scratch.cross_fit(pairs, labels, n, parts, epochs, params["seed"], on_epoch, tick)
    side = _transfer_side(ctx, [p.views for p in photos], labels, n, params)
    trained = sum(layer["parameters"] for layer in table)
    w0 = np.linalg.norm(fit.filters[0])
    change = [float(np.linalg.norm(w - fit.filters[0]) / w0) for w in fit.filters]
    mine = ScratchModel(
        accuracy=_accuracy(fit.probs, labels), seconds=round(fit.seconds, 3),
        confusion=transfer.confusion_matrix(labels, fit.probs.argmax(1), n).tolist(),
        parameters_trained=trained, dense_share=table[-1]["parameters"] / trained)
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
                   params: dict[str, Any]) -> TransferModel:
    """The transfer-learned classifier on the same folds, its final fit timed too."""
    from models import transfer

    epochs, augment = params["transfer"]["epochs"], params["transfer"]["augment"]
    t0 = time.perf_counter()
    probs = transfer.held_out_probs(
        feats, labels, n, epochs, params["seed"], augment,
        progress=lambda f: ctx.progress(SCRATCH_SHARE + (1 - SCRATCH_SHARE) * f,
                                        "transfer learning on the same folds"))
    transfer.train_classifier(*transfer.stack(feats, labels, np.arange(len(labels)), augment),
                              n, epochs, params["seed"])
    seconds = time.perf_counter() - t0
    model = ctx.services.require_model().model
    frozen = sum(p.numel() for name, p in model.named_parameters()
                 if not name.startswith("classifier."))  # ImageNet's own last layer is not used
    return TransferModel(
        accuracy=_accuracy(probs, labels), seconds=round(seconds, 3),
        confusion=transfer.confusion_matrix(labels, probs.argmax(1), n).tolist(),
        parameters_trained=transfer.FEATURES * n + n, parameters_frozen=frozen,
        epochs=epochs, augment=augment)


def reading(mine: ScratchModel, side: TransferModel, per_class: float, change: float) -> str:
    """One sentence from the numbers: why the pretrained features win, or that they tie.
    ``change``: how far the filters moved from their random start (relative)."""
    ours, theirs = mine.accuracy, side.accuracy
    photos = f"{per_class:.0f}" if per_class == int(per_class) else f"about {per_class:.0f}"
    costs = (f"{mine.parameters_trained:,} weights learned from scratch in "
             f"{mine.seconds:.0f} s against {side.parameters_trained:,} in "
             f"{side.seconds:.1f} s")
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
    """Where a finished from-scratch training is read."""
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
    """A finished from-scratch training of the project (404 unknown, 409 not done)."""
    record = scratch_job(services, project_id, job_id)
    data = services.jobs.finished_result(record.id, KIND, "result")
    return ScratchResult.model_validate(json.loads(data))


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
