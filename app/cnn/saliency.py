"""Several explanations of one decision: the maps of each attribution method, at a stage.

Fast methods (Grad-CAM, Grad-CAM++, Layer-CAM, the input gradient) are computed in the
request, from the cached forward pass, and cached per (image, target, method, settings).
Slow ones (Score-CAM, occlusion) are ``saliency-map`` jobs: the map's URL answers 202 with
the job until it is done, then 200 from this process's cache or the job's stored result,
in any process. A measuring job that computes a slow map keeps it the same way
(``measured_map``). Grad-CAM is ``app.cnn.heatmap``'s (one backward serves every later
stage); the numerics are ``models.saliency``, imported only where a map is computed.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import numpy as np

from app.cnn import heatmap
from app.cnn.heatmap import Target
from app.cnn.saliency_schemas import OCCLUSION, MethodInfo, SaliencyCatalogue
from app.cnn.service import analysis
from app.cnn.visualize import model_fingerprint
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.imaging.encode import encode_npy
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from models import labels
from models.saliency_methods import (
    BEATS_RANDOM_MIN,
    BEATS_RANDOM_SD,
    CAM_METHODS,
    K_CHOICES,
    K_DEFAULT,
    K_MAX,
    METHODS,
    NAMES,
    OCCLUSION_STRIDES,
    PATCH_DEFAULT,
    RANDOM_MAPS,
    SANITY_THRESHOLD,
    SLOW_METHODS,
    STAGED_METHODS,
    STEPS,
    STRIDE_DEFAULT,
    SUMMARIES,
    MapSpec,
    Progress,
)
from models.stages import STAGE_IDS

if TYPE_CHECKING:
    from models.saliency import AlphaRange

MAP_KIND = "saliency-map"
MAP_TIME_LIMIT_S = 180.0  # occlusion's 169 forwards took 6-7 s here with the CPU shared


def catalogue(randomised: list[str]) -> SaliencyCatalogue:
    """The methods and the settings the page offers (``GET /api/saliency/methods``)."""
    return SaliencyCatalogue(
        methods=[MethodInfo(id=m, name=NAMES[m], summary=SUMMARIES[m], slow=m in SLOW_METHODS,
                            staged=m in STAGED_METHODS) for m in METHODS],
        stages=STAGE_IDS, k_choices=list(K_CHOICES), k_default=K_DEFAULT, k_max=K_MAX,
        occlusion=OCCLUSION, patch_default=PATCH_DEFAULT, stride_default=STRIDE_DEFAULT,
        steps=STEPS, randomised=randomised, random_maps=RANDOM_MAPS,
        beats_random_sd=BEATS_RANDOM_SD, beats_random_min=BEATS_RANDOM_MIN,
        sanity_threshold=SANITY_THRESHOLD)


def label_of(target: Target) -> str:
    return target if isinstance(target, str) else labels.NAMES[target]


def map_spec(services: Services, method: str, stage: str, k: int | None, patch: int,
             stride: int) -> MapSpec:
    """A checked, canonical ``MapSpec``; only the settings ``method`` uses are checked: 404
    for a stage a staged method does not know, 422 for a ``k`` over the stage's channels or a
    patch and stride that do not tile the view. No ``k`` means ``K_DEFAULT`` or all the
    stage's channels when it has fewer."""
    if method in STAGED_METHODS and stage not in STAGE_IDS:
        raise NotFound(f"{NAMES[method]} is made from a stage's maps: {', '.join(STAGE_IDS)}; "
                       f"not {stage[:40]!r}.")
    if method == "scorecam":
        channels = next(int(r["out_shape"][0]) for r in services.require_model().stage_table()
                        if r["id"] == stage)
        k = min(K_DEFAULT, channels) if k is None else k
        if k > channels:
            raise InvalidParameter(f"k: {stage} has {channels} channels; Score-CAM can use at "
                                   f"most {channels} there, not {k}.", field="k",
                                   channels=channels)
    if method == "occlusion":
        if patch not in OCCLUSION_STRIDES:
            raise InvalidParameter(f"patch: occlusion patches are {', '.join(OCCLUSION)} pixels "
                                   f"(of the 224-pixel view), not {patch}.", field="patch",
                                   allowed=OCCLUSION)
        if stride not in OCCLUSION_STRIDES[patch]:
            steps = ", ".join(str(s) for s in OCCLUSION_STRIDES[patch])
            raise InvalidParameter(f"stride: a {patch}-pixel patch slides by {steps} pixels "
                                   f"(so it tiles the view exactly), not {stride}.",
                                   field="stride", allowed=OCCLUSION)
    return MapSpec(method, stage, K_DEFAULT if k is None else k, patch, stride).canonical()


def map_url(image_id: str, target: Target, spec: MapSpec) -> str:
    """The URL that serves this map (its settings only)."""
    query: dict[str, Any] = {"method": spec.method, "class": target}
    if spec.method in STAGED_METHODS:
        query["stage"] = spec.stage
    if spec.method == "scorecam":
        query["k"] = spec.k
    if spec.method == "occlusion":
        query.update(patch=spec.patch, stride=spec.stride)
    return f"/api/images/{image_id}/saliency?{urlencode(query)}"


def _cache_key(image_id: str, target: Target, spec: MapSpec) -> tuple:
    return ("saliency", image_id, target, spec)


def _job_key(services: Services, image_id: str, target: Target, spec: MapSpec) -> str:
    return (f"saliency:{model_fingerprint(services)}:{image_id}:{target}:{spec.method}:"
            f"{spec.stage}:{spec.k}:{spec.patch}:{spec.stride}")


@dataclass(frozen=True)
class StageCams:
    """Grad-CAM++ and Layer-CAM of one stage (one backward pass gives both), with how far
    the stage's maps break Grad-CAM++'s assumption."""

    maps: dict[str, np.ndarray]  # method -> (h, w)
    alpha: AlphaRange


def stage_cams(services: Services, image: StoredImage, target: Target, stage: str
               ) -> StageCams:
    """``StageCams`` of ``stage``, resumed from the cached forward pass, cached."""
    def run() -> StageCams:
        import torch

        from models import saliency as numerics

        maps = torch.from_numpy(analysis(services, image).activations[stage])  # (C, h, w)
        with services.gate.slot():
            a, g = numerics.stage_gradient(services.require_model().fast, stage, maps, target)
            return StageCams(numerics.cam_maps(a, g), numerics.alpha_range(a, g))

    return services.derived.get_or_compute(("saliency-cams", image.id, target, stage), run)


def compute_map(services: Services, image: StoredImage, target: Target, spec: MapSpec,
                progress: Progress | None = None) -> np.ndarray:
    """The map at its native resolution, computed here (a job calls this for the slow
    methods) and cached; ``progress(fraction)`` hears of the slow methods' forwards."""
    if spec.method == "gradcam":
        return heatmap.gradcam(services, image, target, spec.stage)
    if spec.method in CAM_METHODS:
        return stage_cams(services, image, target, spec.stage).maps[spec.method]

    def run() -> np.ndarray:
        import torch

        from models import saliency as numerics
        from models.preprocess import to_tensor

        a = analysis(services, image)
        maps = torch.from_numpy(a.activations[spec.stage]) if spec.stage else None  # (C, h, w)
        x = to_tensor(a.crop)  # (1, 3, 224, 224)
        if spec.method in SLOW_METHODS:  # in a job: bounded by the job workers, not the gate
            return numerics.compute(services.require_model().fast, spec, x, maps, target,
                                    progress)
        with services.gate.slot():
            return numerics.compute(services.require_model().fast, spec, x, maps, target)

    return services.derived.get_or_compute(_cache_key(image.id, target, spec), run)


def kept_map(services: Services, image_id: str, target: Target, spec: MapSpec
             ) -> np.ndarray | None:
    """A slow map already made: in this process's cache, or in the job store (a finished
    ``saliency-map`` job's result, whichever process ran it)."""
    key = _cache_key(image_id, target, spec)
    cached = services.derived.get(key)
    if cached is not None:
        return cached
    job = services.jobs.store.live(_job_key(services, image_id, target, spec))
    done = job is not None and job.status == "done"
    data = services.jobs.store.result(job.id, "map") if done else None
    if data is None:
        return None
    found = np.load(io.BytesIO(data), allow_pickle=False)
    services.derived.put(key, found)
    return found


def map_or_job(services: Services, image: StoredImage, target: Target, spec: MapSpec,
               client: Client) -> np.ndarray | JobRecord:
    """The map if it is ready (fast methods always are), else the job computing it
    (started now, or the one already doing it)."""
    if spec.method not in SLOW_METHODS:
        return compute_map(services, image, target, spec)
    found = kept_map(services, image.id, target, spec)
    if found is not None:
        return found
    job_key = _job_key(services, image.id, target, spec)
    job = services.jobs.store.live(job_key)
    if job is not None and job.status == "done":  # done, but its result has expired
        raise NotFound("This map is no longer kept; ask again in a while to recompute it.")
    params = {"image": image.id, "target": target, "spec": asdict(spec)}
    return services.jobs.submit(MAP_KIND, params, client=client, key=job_key)


def measured_map(ctx: JobContext, image: StoredImage, target: Target, spec: MapSpec,
                 progress: Progress | None = None) -> np.ndarray:
    """A map a measuring job needs: a slow one already made anywhere (``kept_map``), else
    computed here. A slow map computed here is kept in the job store as a finished
    ``saliency-map`` job of its own, so its URL answers 200 in every process."""
    services = ctx.services
    if spec.method not in SLOW_METHODS:
        return compute_map(services, image, target, spec, progress)
    found = kept_map(services, image.id, target, spec)
    if found is None:
        found = compute_map(services, image, target, spec, progress)
        _keep(ctx, image.id, target, spec, found)
    return found


def _keep(ctx: JobContext, image_id: str, target: Target, spec: MapSpec,
          found: np.ndarray) -> None:
    """Record ``found`` as a finished ``saliency-map`` job, so the map's URL answers 200 in
    every process, not only in the one whose cache holds it."""
    ctx.services.jobs.record_done(
        MAP_KIND, {"image": image_id, "target": target, "spec": asdict(spec)},
        client=f"job:{ctx.id}", key=_job_key(ctx.services, image_id, target, spec),
        results={"map": encode_npy(found)}, result=map_url(image_id, target, spec),
        message=f"done (computed by job {ctx.id})")


def run_map(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job computing one slow map; keeps it as ``.npy`` beside the record."""
    services = ctx.services
    image = lookup_image(services, params["image"])
    spec = MapSpec(**params["spec"])
    target = params["target"]
    name = NAMES[spec.method]
    found = compute_map(services, image, target, spec,
                        progress=lambda f: ctx.progress(f, f"{name}: {f:.0%} of the forwards"))
    ctx.save_result("map", encode_npy(found))
    return map_url(image.id, target, spec)


KINDS = [Kind(MAP_KIND, run_map, MAP_TIME_LIMIT_S)]
