"""Is a map true? Its deletion and insertion curves, and the model-randomisation check, as jobs.

``start`` checks a ``MeasureRequest`` and queues (or joins) a ``faithfulness`` or ``sanity``
job; the job takes the maps it needs through ``app.cnn.saliency.measured_map`` (the panel's
maps, whichever process made them; a slow map it computes is kept in the job store, so the
panel's URL for it then answers 200 in every process), measures them with
``models.faithfulness``, and keeps its typed JSON result beside the record. The job's
``result`` is the URL that serves that JSON: ``/api/saliency/faithfulness/{job_id}`` or
``/api/saliency/sanity/{job_id}``.

Each map's areas come with random maps of its own resolution measured the same way
(``models.saliency_random``), and a verdict against them; the random maps' curves are cached
per photo, target and resolution (the CAM methods of one stage share them). The sanity check
turns each correlation into a verdict (``models.faithfulness.changed``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

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
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from models.saliency_methods import (
    BEATS_RANDOM_MIN,
    BEATS_RANDOM_SD,
    NAMES,
    RANDOM_MAPS,
    RANDOMISED,
    SANITY_THRESHOLD,
    SLOW_METHODS,
    STEPS,
    MapSpec,
    Progress,
)

if TYPE_CHECKING:
    import torch

    from models.efficientnet_lite0 import EfficientNetLite0
    from models.faithfulness import Curves
    from models.saliency_random import Baseline, RandomGrid

FAITHFULNESS_KIND = "faithfulness"
SANITY_KIND = "sanity"
TIME_LIMIT_S = 600.0  # every method with occlusion and Score-CAM: about 40 s under load here


def result_url(kind: str, job_id: str) -> str:
    """Where a finished measuring job's JSON is served (the kind names the routes' paths)."""
    return f"/api/saliency/{kind}/{job_id}"


def start(services: Services, image: StoredImage, req: MeasureRequest, kind: str,
          client: Client) -> JobRecord:
    """Queue the measuring job, or join the one doing the same measurement."""
    target = heatmap.resolve_target(services, image, str(req.target))
    specs = [map_spec(services, m, req.stage, req.k, req.patch, req.stride)
             for m in req.methods]
    params = {"image": image.id, "target": target, "stage": req.stage,
              "specs": [asdict(s) for s in specs]}
    # What the result's verdicts rest on: a result measured under other rules is not joined.
    params.update({"random_maps": RANDOM_MAPS} if kind == FAITHFULNESS_KIND
                  else {"threshold": SANITY_THRESHOLD})
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:24]
    return services.jobs.submit(kind, params, client=client,
                                key=f"{kind}:{model_fingerprint(services)}:{digest}")


def finished(services: Services, kind: str, job_id: str) -> bytes:
    """A finished job's JSON (404 unknown or expired, 409 while it is not done)."""
    return services.jobs.finished_result(job_id, kind, "json")


def _share(ctx: JobContext, i: int, n: int, lo: float, hi: float, message: str) -> Progress:
    """Progress of one part (``lo``..``hi`` of method ``i`` of ``n``) as the whole job's."""
    return lambda f: ctx.progress((i + lo + (hi - lo) * f) / n, message)


def _bounds(*weights: float) -> list[tuple[float, float]]:
    """Consecutive parts of one method's share of the progress, sized by ``weights``."""
    total, edges = sum(weights), [0.0]
    for w in weights:
        edges.append(edges[-1] + w / total)
    return list(zip(edges[:-1], edges[1:], strict=True))


def _baseline_key(image_id: str, target: Target, grid: RandomGrid, n: int) -> tuple:
    return ("saliency-random", image_id, target, grid, n)


def _random_baseline(services: Services, image_id: str, target: Target,
                     net: EfficientNetLite0, x: torch.Tensor, grid: RandomGrid, n: int,
                     progress: Progress) -> Baseline:
    """The random maps' curves at ``grid`` for this photo and target, cached (every CAM method
    of a stage, and a later measurement, uses the same ones)."""
    from models.saliency_random import random_baseline

    return services.derived.get_or_compute(
        _baseline_key(image_id, target, grid, n),
        lambda: random_baseline(net, x, grid, target, n, progress))


def _against_random(c: Curves, base: Baseline) -> dict[str, Any]:
    """The random baseline's fields of a ``MethodCurves``, and the map's verdicts."""
    from models.saliency_random import beats_random, spread

    dels, ins = base.deletion_aucs, base.insertion_aucs
    return {
        "random_map": base.grid.label, "random_seeds": list(range(len(base.runs))),
        "random_deletion": base.deletion, "random_insertion": base.insertion,
        "random_deletion_aucs": dels, "random_insertion_aucs": ins,
        "random_deletion_auc": base.deletion_auc, "random_deletion_auc_sd": spread(dels),
        "random_insertion_auc": base.insertion_auc, "random_insertion_auc_sd": spread(ins),
        "beats_random_deletion": beats_random(c.deletion_auc, dels, lower_is_better=True),
        "beats_random_insertion": beats_random(c.insertion_auc, ins, lower_is_better=False),
    }


def _unpack(ctx: JobContext, params: dict[str, Any]
            ) -> tuple[Services, StoredImage, Target, list[MapSpec]]:
    services = ctx.services
    return (services, lookup_image(services, params["image"]), params["target"],
            [MapSpec(**s) for s in params["specs"]])


def run_faithfulness(ctx: JobContext, params: dict[str, Any]) -> str:
    """Each map, its 21-step deletion and insertion curves (42 forwards), and those of random
    maps of its resolution (42 forwards each, unless already measured)."""
    from models.faithfulness import curves
    from models.preprocess import to_tensor
    from models.saliency_random import grid_for

    services, image, target, specs = _unpack(ctx, params)
    n_random = params["random_maps"]
    net, x = services.require_model().fast, to_tensor(analysis(services, image).crop)
    measured = []
    for i, spec in enumerate(specs):
        name = NAMES[spec.method]
        ctx.progress(i / len(specs), f"{name}: the map", force=True)
        map_work = 4.0 if spec.method in SLOW_METHODS else 0.1  # in units of one map's curves
        found = measured_map(ctx, image, target, spec,
                             _share(ctx, i, len(specs), 0, 0.05, f"{name}: the map"))
        grid = grid_for(spec, found)
        known = services.derived.get(_baseline_key(image.id, target, grid, n_random))
        _, (lo, mid), (_, hi) = _bounds(map_work, 1.0, 0.0 if known else float(n_random))
        # Ranked as drawn: occlusion's grid spread to pixels (its upsampling is the identity).
        c = curves(net, x, shown_map(spec, found), target,
                   _share(ctx, i, len(specs), lo, mid, f"{name}: deleting and inserting pixels"))
        base = _random_baseline(services, image.id, target, net, x, grid, n_random, _share(
            ctx, i, len(specs), mid, hi, f"{name}: {n_random} random maps ({grid.label})"))
        measured.append(MethodCurves(
            method=spec.method, name=name, deletion=c.deletion, insertion=c.insertion,
            deletion_auc=c.deletion_auc, insertion_auc=c.insertion_auc,
            map=map_url(image.id, target, spec), map_max=float(found.max()),
            **_against_random(c, base)))
    first = measured[0]
    result = FaithfulnessResult(
        image_id=image.id, target=target, label=label_of(target), stage=params["stage"],
        steps=STEPS, probability=first.deletion[0], grey_probability=first.deletion[-1],
        random_maps=n_random, beats_random_sd=BEATS_RANDOM_SD,
        beats_random_min=BEATS_RANDOM_MIN, methods=measured)
    ctx.save_result("json", result.model_dump_json().encode())
    return result_url(FAITHFULNESS_KIND, ctx.id)


def run_sanity(ctx: JobContext, params: dict[str, Any]) -> str:
    """Each map again on a copy of the network with its last stages randomised, and the rank
    correlation of the two (the shared network is never touched)."""
    import torch

    from models import saliency as numerics
    from models.faithfulness import changed, randomised_copy, rank_correlation
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
                                   changes=changed(rho), note=note,
                                   randomised_map=f"{result_url(SANITY_KIND, ctx.id)}"
                                                  f"/maps/{spec.method}"))
    result = SanityResult(image_id=image.id, target=target, label=label_of(target),
                          stage=params["stage"], randomised=list(RANDOMISED),
                          threshold=params["threshold"], methods=scores)
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
