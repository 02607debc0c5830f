"""The whole classifier (backbone + new last layer) as one ONNX file, exported as a job.

torch.onnx's exporter takes 10-20 s on one core here, so the file is made by an
``export-onnx`` job and kept with it; the job's key is the classifier's weights and
class names, so asking again for an unchanged classifier joins the job that made it,
and a retrained one needs a new export.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.core.errors import Conflict, NotFound
from app.core.services import Services
from app.jobs.record import JobRecord
from app.jobs.system import JobContext, Kind

KIND = "export-onnx"
TIME_LIMIT_S = 300.0


def _fingerprint(classifier: Any, names: list[str]) -> str:
    h = hashlib.sha256(json.dumps(names).encode())
    for tensor in (classifier.weight, classifier.bias):
        h.update(tensor.detach().numpy().tobytes())
    return h.hexdigest()[:24]


def _current(services: Services, project_id: str) -> tuple[Any, list[str], str]:
    from app.teach.service import trained_classifier

    classifier, classes = trained_classifier(services, project_id)
    names = [c["name"] for c in classes]
    return classifier, names, f"{KIND}:{project_id}:{_fingerprint(classifier, names)}"


def file_url(project_id: str) -> str:
    return f"/api/projects/{project_id}/export?format=onnx"


def start(services: Services, project_id: str, client: str) -> JobRecord:
    """Queue the export of the current classifier (or join the job that did it)."""
    _, _, key = _current(services, project_id)
    return services.jobs.submit(KIND, {"project": project_id, "key": key}, client=client,
                                key=key)


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    from models.export import export_onnx

    services, project_id = ctx.services, params["project"]
    classifier, names, key = _current(services, project_id)
    if key != params["key"]:
        raise Conflict("The classifier was retrained after this export was asked for; "
                       "export again.")
    ctx.progress(0.1, "exporting the backbone and the classifier to ONNX", force=True)
    data = export_onnx(services.require_model().model, classifier, names)
    ctx.save_result("onnx", data)
    return file_url(project_id)


def onnx_file(services: Services, project_id: str) -> bytes:
    """The exported file of the current classifier: 404 before a POST asked for it, 409
    while its job runs."""
    _, _, key = _current(services, project_id)
    record = services.jobs.store.live(key)
    if record is None:
        raise NotFound("Not exported yet (or no longer kept): POST to this URL to export the "
                       "current classifier, then GET it when the job is done.")
    return services.jobs.finished_result(record.id, KIND, "onnx")


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
