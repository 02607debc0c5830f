"""Is a map true? Its deletion and insertion curves, and the model-randomisation check, as jobs.

``start`` checks a ``MeasureRequest`` and queues (or joins) a ``faithfulness`` or ``sanity``
job; the job takes the maps it needs through ``app.cnn.saliency.measured_map`` (the panel's
maps, whichever process made them; a slow map it computes is kept in the job store, so the
panel's URL for it then answers 200 in every process), measures them with
``models.faithfulness``, and keeps its typed JSON result beside the record. The job's
``result`` is the URL that serves that JSON: ``/api/saliency/faithfulness/{job_id}`` or
``/api/saliency/sanity/{job_id}``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from app.cnn import heatmap
from app.cnn.heatmap import Target
from app.cnn.saliency import label_of, map_spec, map_url, measured_map
from app.cnn.saliency_pictures import map_png, shown_map
from app.cnn.saliency_schemas import (
    FaithfulnessResult,
    MeasureRequest,
    MethodCurves,
    MethodSanity,
    SanityResult,
)
from app.cnn.service import analysis
from app.cnn.visualize import model_fingerprint
from app.core.errors import NotFound
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.jobs.record import JobRecord
from app.jobs.system import JobContext, Kind
from models.saliency_methods import NAMES, RANDOMISED, SLOW_METHODS, STEPS, MapSpec, Progress

FAITHFULNESS_KIND = "faithfulness"
SANITY_KIND = "sanity"
TIME_LIMIT_S = 600.0  # every method with occlusion and Score-CAM: about 40 s under load here


def result_url(kind: str, job_id: str) -> str:
    """Where a finished measuring job's JSON is served (the kind names the routes' paths)."""
    return f"/api/saliency/{kind}/{job_id}"


def start(services: Services, image: StoredImage, req: MeasureRequest, kind: str,
          client: str) -> JobRecord:
    """Queue the measuring job, or join the one doing the same measurement."""
    target = heatmap.resolve_target(services, image, str(req.target))
    specs = [map_spec(services, m, req.stage, req.k, req.patch, req.stride)
             for m in req.methods]
    params = {"image": image.id, "target": target, "stage": req.stage,
              "specs": [asdict(s) for s in specs]}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return services.jobs.submit(kind, params, client=client,
                                key=f"{kind}:{model_fingerprint(services)}:{digest}")


def finished(services: Services, kind: str, job_id: str) -> bytes:
    """A finished job's JSON (404 unknown or expired, 409 while it is not done)."""
    return services.jobs.finished_result(job_id, kind, "json")


def _share(ctx: JobContext, i: int, n: int, lo: float, hi: float, message: str) -> Progress:
    """Progress of one part (``lo``..``hi`` of method ``i`` of ``n``) as the whole job's."""
    return lambda f: ctx.progress((i + lo + (hi - lo) * f) / n, message)


def _unpack(ctx: JobContext, params: dict[str, Any]
            ) -> tuple[Services, StoredImage, Target, list[MapSpec]]:
    services = ctx.services
    return (services, lookup_image(services, params["image"]), params["target"],
            [MapSpec(**s) for s in params["specs"]])


def run_faithfulness(ctx: JobContext, params: dict[str, Any]) -> str:
    """Each map, then its 21-step deletion and insertion curves (42 forwards)."""
    from models.faithfulness import curves
    from models.preprocess import to_tensor

    services, image, target, specs = _unpack(ctx, params)
    net, x = services.require_model().fast, to_tensor(analysis(services, image).crop)
    measured = []
    for i, spec in enumerate(specs):
        name = NAMES[spec.method]
        ctx.progress(i / len(specs), f"{name}: the map", force=True)
        split = 0.6 if spec.method in SLOW_METHODS else 0.1  # the map's share of the work
        found = measured_map(ctx, image, target, spec,
                             _share(ctx, i, len(specs), 0, split, f"{name}: the map"))
        # Ranked as drawn: occlusion's grid spread to pixels (its upsampling is the identity).
        c = curves(net, x, shown_map(spec, found), target,
                   _share(ctx, i, len(specs), split, 1, f"{name}: deleting and inserting pixels"))
        measured.append(MethodCurves(
            method=spec.method, name=name, deletion=c.deletion, insertion=c.insertion,
            deletion_auc=c.deletion_auc, insertion_auc=c.insertion_auc,
            map=map_url(image.id, target, spec), map_max=float(found.max())))
    first = measured[0]
    result = FaithfulnessResult(
        image_id=image.id, target=target, label=label_of(target), stage=params["stage"],
        steps=STEPS, probability=first.deletion[0], grey_probability=first.deletion[-1],
        methods=measured)
    ctx.save_result("json", result.model_dump_json().encode())
    return result_url(FAITHFULNESS_KIND, ctx.id)


def run_sanity(ctx: JobContext, params: dict[str, Any]) -> str:
    """Each map again on a copy of the network with its last stages randomised, and the rank
    correlation of the two (the shared network is never touched)."""
    import torch

    from models import saliency as numerics
    from models.faithfulness import randomised_copy, rank_correlation
    from models.preprocess import to_tensor

    services, image, target, specs = _unpack(ctx, params)
    model = services.require_model()
    x = to_tensor(analysis(services, image).crop)  # (1, 3, 224, 224)
    twin = randomised_copy(model.fast)
    with torch.inference_mode():
        _, acts = twin.forward_stages(x.contiguous(memory_format=torch.channels_last),
                                      parts=False)  # id -> (1, C, h, w)
    scores = []
    for i, spec in enumerate(specs):
        name = NAMES[spec.method]
        ctx.progress(i / len(specs), f"{name}: the map", force=True)
        original = measured_map(ctx, image, target, spec,
                                _share(ctx, i, len(specs), 0, 0.5, f"{name}: the map"))
        maps = acts[spec.stage][0].clone() if spec.stage else None  # (C, h, w)
        random = numerics.compute(twin, spec, x, maps, target,
                                  _share(ctx, i, len(specs), 0.5, 1,
                                         f"{name}: the randomised model's map"))
        ctx.save_result(f"random-{spec.method}", map_png(spec, random))
        rho = rank_correlation(original, random)
        note = None if rho is not None else (
            "One of the two maps is constant (often all zero after the ReLU), so there is "
            "no order to compare.")
        scores.append(MethodSanity(method=spec.method, name=name, rank_correlation=rho,
                                   note=note, randomised_map=f"{result_url(SANITY_KIND, ctx.id)}"
                                                             f"/maps/{spec.method}"))
    result = SanityResult(image_id=image.id, target=target, label=label_of(target),
                          stage=params["stage"], randomised=list(RANDOMISED), methods=scores)
    ctx.save_result("json", result.model_dump_json().encode())
    return result_url(SANITY_KIND, ctx.id)


def randomised_picture(services: Services, job_id: str, method: str) -> bytes:
    """The randomised model's map of ``method`` from a finished sanity job (a heatmap PNG)."""
    result = SanityResult.model_validate_json(finished(services, SANITY_KIND, job_id))
    if method not in {m.method for m in result.methods}:
        raise NotFound(f"That sanity check did not look at {method[:40]!r}; it looked at "
                       f"{', '.join(m.method for m in result.methods)}.")
    return services.jobs.finished_result(job_id, SANITY_KIND, f"random-{method}")


KINDS = [Kind(FAITHFULNESS_KIND, run_faithfulness, TIME_LIMIT_S),
         Kind(SANITY_KIND, run_sanity, TIME_LIMIT_S)]
