"""Several explanations of one decision: the maps of each attribution method, at a stage.

Fast methods (Grad-CAM, Grad-CAM++, Layer-CAM, the input gradient) are computed in the
request, from the cached forward pass, and cached per (image, target, method, settings).
Slow ones (Score-CAM, occlusion) are ``saliency-map`` jobs: the map's URL answers 202 with
the job until it is done, then 200 from this process's cache or the job's stored result.
Grad-CAM is ``app.cnn.heatmap``'s (one backward serves every later stage); the numerics
are ``models.saliency``, imported only where a map is computed (torch stays out of the
web layer until the model is loaded).
"""

from __future__ import annotations

import io
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

import numpy as np
from fastapi import Response
from fastapi.responses import JSONResponse

from app.cnn import heatmap
from app.cnn.responses import HeatmapView
from app.cnn.saliency_schemas import MethodInfo, SaliencyAccepted, SaliencyCatalogue
from app.cnn.service import analysis
from app.cnn.visualize import model_fingerprint
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.http.responses import bytes_response, npy_response
from app.images.service import StoredImage, lookup_image
from app.imaging.encode import encode_npy
from app.jobs.record import JobRecord
from app.jobs.schemas import JobInfo
from app.jobs.system import JobContext, Kind
from models import labels
from models.saliency_methods import (
    CAM_METHODS,
    K_CHOICES,
    K_DEFAULT,
    K_MAX,
    METHODS,
    NAMES,
    OCCLUSION_STRIDES,
    PATCH_DEFAULT,
    SLOW_METHODS,
    STAGED_METHODS,
    STEPS,
    STRIDE_DEFAULT,
    SUMMARIES,
    MapSpec,
)
from models.stages import STAGE_IDS

MAP_KIND = "saliency-map"
MAP_TIME_LIMIT_S = 180.0  # occlusion's 169 forwards took 6-7 s here with the CPU shared
GRADIENT_DISPLAY_PERCENTILE = 99.0  # the input gradient is spiky: its colours top out here
Target = int | str


def catalogue(randomised: list[str]) -> SaliencyCatalogue:
    """The methods and the settings the page offers (``GET /api/saliency/methods``)."""
    return SaliencyCatalogue(
        methods=[MethodInfo(id=m, name=NAMES[m], summary=SUMMARIES[m], slow=m in SLOW_METHODS,
                            staged=m in STAGED_METHODS) for m in METHODS],
        stages=STAGE_IDS, k_choices=list(K_CHOICES), k_default=K_DEFAULT, k_max=K_MAX,
        occlusion={str(p): list(s) for p, s in OCCLUSION_STRIDES.items()},
        patch_default=PATCH_DEFAULT, stride_default=STRIDE_DEFAULT, steps=STEPS,
        randomised=randomised)


def label_of(target: Target) -> str:
    return target if isinstance(target, str) else labels.NAMES[target]


def map_spec(services: Services, method: str, stage: str, k: int | None, patch: int,
             stride: int) -> MapSpec:
    """A checked, canonical ``MapSpec``: 404 for a stage Grad-CAM does not know, 422 for a
    ``k`` over the stage's channels or a patch and stride that do not tile the view. No ``k``
    means ``K_DEFAULT`` or all the stage's channels when it has fewer."""
    heatmap.check_cam_stage(stage)
    channels = next(int(r["out_shape"][0]) for r in services.require_model().stage_table()
                    if r["id"] == stage)
    if k is None:
        k = min(K_DEFAULT, channels)
    if method == "scorecam" and k > channels:
        raise InvalidParameter(f"k: {stage} has {channels} channels; Score-CAM can use at "
                               f"most {channels} there, not {k}.", field="k", channels=channels)
    if method == "occlusion":
        allowed = {f"{p}": list(s) for p, s in OCCLUSION_STRIDES.items()}
        if patch not in OCCLUSION_STRIDES:
            raise InvalidParameter(f"patch: occlusion patches are {', '.join(allowed)} pixels "
                                   f"(of the 224-pixel view), not {patch}.", field="patch",
                                   allowed=allowed)
        if stride not in OCCLUSION_STRIDES[patch]:
            steps = ", ".join(str(s) for s in OCCLUSION_STRIDES[patch])
            raise InvalidParameter(f"stride: a {patch}-pixel patch slides by {steps} pixels "
                                   f"(so it tiles the view exactly), not {stride}.",
                                   field="stride", allowed=allowed)
    return MapSpec(method, stage, k, patch, stride).canonical()


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


def compute_map(services: Services, image: StoredImage, target: Target, spec: MapSpec,
                progress: Any = None) -> np.ndarray:
    """The map at its native resolution, computed here (a job calls this for the slow
    methods) and cached; ``progress(fraction)`` hears of the slow methods' forwards."""
    if spec.method == "gradcam":
        return heatmap.gradcam(services, image, target, spec.stage)
    key = _cache_key(image.id, target, spec)
    cached = services.derived.get(key)
    if cached is not None:
        return cached
    import torch

    from models import saliency as numerics
    from models.preprocess import to_tensor

    model, a = services.require_model(), analysis(services, image)
    maps = torch.from_numpy(a.activations[spec.stage]) if spec.stage else None  # (C, h, w)

    def run_cams() -> np.ndarray:
        with services.gate.slot():
            found = numerics.cam_maps(*numerics.stage_gradient(model.fast, spec.stage, maps,
                                                               target))
        for method in CAM_METHODS:  # one backward gave all three: keep the other one too
            if method != "gradcam":
                services.derived.put(_cache_key(image.id, target, MapSpec(method, spec.stage)),
                                     found[method])
        return found[spec.method]

    def run() -> np.ndarray:
        if spec.method in SLOW_METHODS:  # in a job: bounded by the job workers, not the gate
            return numerics.compute(model.fast, spec, to_tensor(a.crop), maps, target, progress)
        with services.gate.slot():
            return numerics.compute(model.fast, spec, to_tensor(a.crop), maps, target)

    return services.derived.get_or_compute(key, run_cams if spec.method in CAM_METHODS else run)


def _job_key(services: Services, image_id: str, target: Target, spec: MapSpec) -> str:
    return (f"saliency:{model_fingerprint(services)}:{image_id}:{target}:{spec.method}:"
            f"{spec.stage}:{spec.k}:{spec.patch}:{spec.stride}")


def map_or_job(services: Services, image: StoredImage, target: Target, spec: MapSpec,
               client: str) -> np.ndarray | JobRecord:
    """The map if it is ready (fast methods always are), else the job computing it
    (started now, or the one already doing it)."""
    if spec.method not in SLOW_METHODS:
        return compute_map(services, image, target, spec)
    key = _cache_key(image.id, target, spec)
    cached = services.derived.get(key)
    if cached is not None:
        return cached
    job_key = _job_key(services, image.id, target, spec)
    job = services.jobs.store.live(job_key)
    if job is not None and job.status == "done":
        data = services.jobs.store.result(job.id, "map")
        if data is None:
            raise NotFound("This map is no longer kept; ask again in a while to recompute it.")
        found = np.load(io.BytesIO(data), allow_pickle=False)
        services.derived.put(key, found)
        return found
    params = {"image": image.id, "target": target, "spec": asdict(spec)}
    return services.jobs.submit(MAP_KIND, params, client=client, key=job_key)


def map_response(services: Services, image: StoredImage, spec: MapSpec,
                 found: np.ndarray | JobRecord, view: HeatmapView) -> Response:
    """202 with the job, or the map as ``.npy``, a heatmap, or blended over the crop; the
    picture's ``X-Saliency-Max`` is the map's peak (0: nothing to show)."""
    if isinstance(found, JobRecord):
        body = SaliencyAccepted(job=JobInfo.of(found))
        return JSONResponse(body.model_dump(mode="json"), status_code=202,
                            headers={"Cache-Control": "no-store"})
    if view.as_ == "npy":
        return npy_response(found, f"{spec.method}-{spec.stage or 'view'}")
    crop = analysis(services, image).crop if view.as_ == "overlay" else None
    response = bytes_response(heatmap.heatmap_png(found, crop, view.opacity, display_top(
        spec, found)), "png")
    response.headers["X-Saliency-Max"] = f"{float(found.max()):.6g}"
    return response


def display_top(spec: MapSpec, found: np.ndarray) -> float | None:
    """Where a map's colours top out: its peak, except the spiky input gradient's."""
    if spec.method == "gradient":
        return float(np.percentile(found, GRADIENT_DISPLAY_PERCENTILE))
    return None


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
