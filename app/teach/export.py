"""The whole classifier (backbone + new last layer) as one file: ONNX (a job) or TorchScript.

torch.onnx's exporter takes 10-20 s on one core here, so ``GET .../export?format=onnx``
answers the file once it is made for the current classifier, and until then 202 with the
``export-onnx`` job making it (started by the first such GET, joined by the next: its key
is the classifier's weights and class names). A project keeps one exported file, beside
its other parts in the project store (13.5 MB for EfficientNet-Lite0): an export of a
retrained classifier replaces it, and it goes when the project does. The failure of the
last export of the current classifier is told to the next GET, once; the GET after that
tries again.

The TorchScript file takes 1.3 s and 19 MB to build: the first GET builds it (the project's
edit lock makes the requests at once wait for that one build) and the project keeps it
the same way, one file keyed by the classifier's fingerprint. Kept files are served as
views of the stored bytes, never copied per download.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import suppress
from typing import Any

from app.core.errors import Busy, Conflict
from app.core.services import Services
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.teach.projects import trained_classifier
from app.teach.snapshot import redo_key
from app.teach.store import ProjectStore

KIND = "export-onnx"
TIME_LIMIT_S = 300.0
PART = "onnx"  # the project's exported file, after the fingerprint of the classifier it holds
TORCHSCRIPT_PART = "torchscript"  # the same for the TorchScript file
FINGERPRINT_CHARS = 24
RETRY_AFTER_S = 5  # the exporter takes 10-20 s


def _current(store: ProjectStore, project_id: str) -> tuple[Any, list[str], str]:
    """The trained classifier, its class names and their fingerprint (422 before training)."""
    classifier, classes = trained_classifier(store, project_id)
    names = [c["name"] for c in classes]
    h = hashlib.sha256(json.dumps(names).encode())
    for tensor in (classifier.weight, classifier.bias):
        h.update(tensor.detach().numpy().tobytes())
    return classifier, names, h.hexdigest()[:FINGERPRINT_CHARS]


def file_url(project_id: str) -> str:
    return f"/api/projects/{project_id}/export?format=onnx"


def _kept(store: ProjectStore, project_id: str, fingerprint: str, part: str = PART
          ) -> memoryview | None:
    """The file kept as ``part`` if it is the current classifier's (a view: no copy)."""
    data = store.part(project_id, part)
    if data is None or data[:FINGERPRINT_CHARS] != fingerprint.encode():
        return None  # none yet, or the file of a classifier since retrained
    return memoryview(data)[FINGERPRINT_CHARS:]


def torchscript(services: Services, project_id: str) -> memoryview | bytes:
    """The TorchScript file of the current classifier: kept, or built now and kept (served
    without being kept when the projects' memory is full of projects in use)."""
    from models.export import export_torchscript

    store = services.projects
    data = _kept(store, project_id, _current(store, project_id)[2], TORCHSCRIPT_PART)
    if data is not None:
        return data
    with store.edit(project_id):  # one build per project: requests meanwhile wait for it
        classifier, names, fingerprint = _current(store, project_id)
        data = _kept(store, project_id, fingerprint, TORCHSCRIPT_PART)
        if data is not None:
            return data
        model = services.require_model()
        with services.gate.slot():
            built = export_torchscript(model.model, classifier, names)
        with suppress(Busy):  # no room to keep it: this download gets it all the same
            store.put_part(project_id, TORCHSCRIPT_PART, fingerprint.encode() + built)
        return built


def onnx_or_job(services: Services, project_id: str, client: Client
                ) -> memoryview | JobRecord:
    """The ONNX file of the current classifier, or the job exporting it (started now, or
    the one already doing it); 409 once with the reason when its last export failed."""
    store = services.projects
    _, _, fingerprint = _current(store, project_id)
    data = _kept(store, project_id, fingerprint)
    if data is not None:
        return data
    _tell_failure(services, project_id, fingerprint)
    # A job done yet no file: another classifier's export replaced it since (a retraining
    # that came back to the same weights): export again.
    key = redo_key(services.jobs.store, f"{KIND}:{project_id}:{fingerprint}",
                   lambda job: False)
    job = services.jobs.submit(KIND, {"project": project_id, "fingerprint": fingerprint},
                               client=client, key=key)
    with store.edit(project_id) as project:
        project.export_job = job.id
    return job


def _tell_failure(services: Services, project_id: str, fingerprint: str) -> None:
    """409 with the reason the last export of this classifier failed, once."""
    store = services.projects
    job_id = store.read(project_id).export_job
    record = services.jobs.store.get(job_id) if job_id else None
    if (record is None or record.kind != KIND or record.status != "failed"
            or record.params.get("fingerprint") != fingerprint):
        return
    with store.edit(project_id) as project:
        project.export_job = None
    reason = record.error["message"] if record.error else record.message
    raise Conflict(f"The ONNX export of this classifier failed: {reason} Ask again to try "
                   "once more.", status="failed", job=record.id)


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The ``export-onnx`` job: export, then keep the file as the project's one export."""
    from models.export import export_onnx

    services, project_id = ctx.services, params["project"]
    classifier, names, fingerprint = _current(services.projects, project_id)
    if fingerprint != params["fingerprint"]:
        raise Conflict("The classifier was retrained after this export was asked for; "
                       "export again.")
    ctx.progress(0.1, "exporting the backbone and the classifier to ONNX", force=True)
    data = export_onnx(services.require_model().model, classifier, names)
    ctx.progress(0.95, "keeping the file", force=True)  # cancelled meanwhile: keep nothing
    services.projects.put_part(project_id, PART, fingerprint.encode() + data)
    return file_url(project_id)


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
