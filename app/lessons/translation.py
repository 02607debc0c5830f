"""The translation lesson: slide the model's view over the photo, watch the map and the class.

The curve (one forward pass per shift, seconds in all) is a ``translation`` job whose
result is read back at the same URL that asked for it; the map of one shifted view (one
forward pass up to a stage) is answered at once, for a slider. Shift 0 is always the
cached analysis itself, so its numbers are /predict's exactly. The numerics are
``models.translation``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from app.cnn.service import analysis
from app.cnn.visualize import model_fingerprint
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.jobs.record import JobRecord
from app.jobs.system import JobContext, Kind
from app.lessons.schemas import TranslationCurve
from models import labels
from models.preprocess import resize_shorter
from models.receptive import fields
from models.stages import STAGE_IDS
from models.translation import Axis, map_similarity, shift_limits, shift_list, shifted_view

KIND = "translation"
VERSION = 1  # of the computation: bump to leave results of an older one behind
TIME_LIMIT_S = 180.0  # 129 views (max_shift 64) take about 15 s on a loaded core
MAX_SHIFT = 64
MAX_STEP = 16
METHOD = ("Cosine between the stage's map of the shifted view and the unshifted view's map "
          "moved by shift / stride units, over the positions both cover, all channels. At "
          "multiples of the stride (aligned) the comparison is exact; between them the "
          "unshifted map is moved by a fraction of a unit, interpolating linearly between "
          "neighbouring positions. Units near an edge see padding in one view and photo in "
          "the other.")


@dataclass(frozen=True)
class CurveRequest:
    stage: str
    axis: Axis
    max_shift: int
    step: int


def check_stage(stage: str) -> None:
    """404 unless ``stage`` is one of the network's stages (blocks are not offered)."""
    if stage not in STAGE_IDS:
        raise NotFound(f"The translation lesson works at {', '.join(STAGE_IDS)}; "
                       f"there is no stage {stage[:40]!r}.")


def curve_url(image_id: str, req: CurveRequest) -> str:
    return (f"/api/images/{image_id}/translation?stage={req.stage}&max_shift={req.max_shift}"
            f"&step={req.step}&axis={req.axis}")


def _key(services: Services, image_id: str, req: CurveRequest) -> str:
    return (f"translation:{VERSION}:{model_fingerprint(services)}:{image_id}:{req.stage}:"
            f"{req.axis}:{req.max_shift}:{req.step}")


def curve_or_job(services: Services, image: StoredImage, req: CurveRequest, client: str
                 ) -> TranslationCurve | JobRecord:
    """The finished curve, or the job computing it (started, or joined, here)."""
    check_stage(req.stage)
    key = _key(services, image.id, req)
    cached = services.derived.get(("translation", key))
    if cached is not None:
        return cached
    job = services.jobs.store.live(key)
    if job is not None and job.status == "done":
        data = services.jobs.store.result(job.id, "curve")
        if data is not None:
            curve = TranslationCurve.model_validate_json(data)
            services.derived.put(("translation", key), curve)
            return curve
        key = None  # the record outlived its result: compute it again, unshared
    return services.jobs.submit(KIND, {"image": image.id, **asdict(req)}, client=client,
                                key=key)


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: every shift's forward pass, then the curve kept beside the record."""
    services = ctx.services
    req = CurveRequest(params["stage"], params["axis"], params["max_shift"], params["step"])
    image = lookup_image(services, params["image"])
    curve = compute_curve(services, image, req, ctx.progress)
    ctx.save_result("curve", curve.model_dump_json().encode())
    return curve_url(image.id, req)


def compute_curve(services: Services, image: StoredImage, req: CurveRequest, progress: Any
                  ) -> TranslationCurve:
    """Top class, its probability and the map's similarity at every shift the photo allows."""
    from models.translation import views_forward  # torch only where the work is

    model = services.require_model()
    a = analysis(services, image)  # shift 0: /predict's own forward pass
    resized = resize_shorter(image.rgb)
    limits = shift_limits(resized.shape[:2], req.axis)
    shifts = shift_list(limits, req.max_shift, req.step)
    stride = fields()[req.stage].stride
    ref = a.activations[req.stage]  # (C, h, w)
    top0 = int(a.probs.argmax())
    rows = {0: _row(0, a.probs, top0, map_similarity(ref, ref, 0.0, req.axis), stride)}
    others = [s for s in shifts if s != 0]
    views = [shifted_view(resized, s, req.axis) for s in others]
    done = 0
    for probs, maps in views_forward(model.fast, views, req.stage):
        for p, m in zip(probs, maps, strict=True):
            s = others[done]
            rows[s] = _row(s, p, top0, map_similarity(m, ref, s / stride, req.axis), stride)
            done += 1
        progress(done / max(len(others), 1), f"view {done} of {len(others)}")
    ordered = [rows[s] for s in shifts]
    return TranslationCurve(
        stage=req.stage, axis=req.axis, stride=stride, map_side=int(ref.shape[1]),
        requested={"max_shift": req.max_shift, "step": req.step},
        covered={"min_shift": shifts[0], "max_shift": shifts[-1]},
        unshifted_top={"index": top0, "label": labels.NAMES[top0],
                       "prob": float(a.probs[top0])},
        rows=ordered, top_changes=[r["shift"] for r in ordered if r["top_index"] != top0],
        similarity_method=METHOD)


def _row(shift: int, probs: np.ndarray, top0: int, similarity: float, stride: int) -> dict:
    top = int(probs.argmax())
    return {"shift": shift, "top_index": top, "top_label": labels.NAMES[top],
            "top_prob": float(probs[top]), "prob_of_unshifted_top": float(probs[top0]),
            "map_similarity": similarity, "aligned": shift % stride == 0}


def _resized(services: Services, image: StoredImage) -> np.ndarray:
    return services.derived.get_or_compute(("resized", image.id),
                                           lambda: resize_shorter(image.rgb))


def view(services: Services, image: StoredImage, shift: int, axis: Axis) -> np.ndarray:
    """``(224, 224, 3) uint8``: the model's view moved by ``shift`` (422 past the photo)."""
    resized = _resized(services, image)
    lo, hi = shift_limits(resized.shape[:2], axis)
    if not lo <= shift <= hi:
        raise InvalidParameter(f"shift: this photo lets the view move from {lo} to {hi} "
                               f"pixels along {axis}, not {shift}", field="shift",
                               min_shift=lo, max_shift=hi)
    return shifted_view(resized, shift, axis)


def moving_map(services: Services, image: StoredImage, stage: str, shift: int, axis: Axis,
               channel: int | None) -> tuple[np.ndarray, tuple[float, float]]:
    """One shifted view's map at ``stage``, ``(h, w)``: a channel, or the mean over channels;
    and the value range of the unshifted view's same map, to draw every shift on one scale."""
    from models.translation import view_map

    check_stage(stage)
    model = services.require_model()
    ref = analysis(services, image).activations[stage]  # (C, h, w)
    if channel is not None and not 0 <= channel < ref.shape[0]:
        raise NotFound(f"{stage} has channels 0-{ref.shape[0] - 1}; there is no {channel}.")
    crop = view(services, image, shift, axis)

    def reduce(maps: np.ndarray) -> np.ndarray:
        return maps.mean(axis=0) if channel is None else maps[channel]

    def compute() -> np.ndarray:
        if shift == 0:
            return reduce(ref)
        with services.gate.slot():
            return reduce(view_map(model.fast, crop, stage))

    values = services.derived.get_or_compute(
        ("translation-map", image.id, stage, axis, shift, channel), compute)
    base = reduce(ref)
    return values, (float(base.min()), float(base.max()))


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
