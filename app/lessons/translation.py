"""The translation lesson: slide the model's view over the photo, watch the map and the class.

The curve (one forward pass per shift, seconds in all) is a ``translation`` job whose
result is read back at the URL that asked for it; the map of one shifted view (one forward
pass up to a stage) is answered at once, for a slider. Shift 0 is always the cached
analysis itself, so its numbers are /predict's exactly. The numerics are
``models.translation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from app.cnn.receptive import check_stage
from app.cnn.receptive_schemas import Picture
from app.cnn.service import analysis
from app.cnn.visualize import model_fingerprint
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.imaging.encode import colormap, encode, encode_npy
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.lessons.schemas import ClassOf, Requested, ShiftRange, ShiftRow, TranslationCurve
from models import labels
from models.preprocess import resize_shorter, resized_size
from models.receptive import fields
from models.translation import (
    Axis,
    map_similarity,
    shift_limits,
    shift_list,
    shifted_view,
    view_map,
    views_forward,
)

KIND = "translation"
VERSION = 2  # of the computation: bump to leave results of an older one behind
TIME_LIMIT_S = 180.0  # 129 views (max_shift 64) take about 15 s on a loaded core
MAX_SHIFT = 64
MAX_STEP = 16
METHOD = ("Cosine between the stage's map of the shifted view and the unshifted view's map "
          "moved by shift / stride units, over the positions both cover, all channels. At "
          "multiples of the stride (aligned) the comparison is exact; between them the "
          "unshifted map is moved by a fraction of a unit, interpolating linearly between "
          "neighbouring positions. Units near an edge see padding in one view and photo in "
          "the other.")
Progress = Callable[[float, str], None]  # fraction done (0-1), what is being done


@dataclass(frozen=True)
class CurveRequest:
    stage: str
    axis: Axis
    max_shift: int
    step: int


def limits_of(image: StoredImage, axis: Axis) -> tuple[int, int]:
    """The most the view can move each way along ``axis`` and stay in the photo."""
    return shift_limits(resized_size(*image.rgb.shape[:2]), axis)


def reach(image: StoredImage, req: CurveRequest) -> CurveRequest:
    """The request as the work it asks for: ``max_shift`` cut to the farther of the photo's
    limits (at least 16: the view has 16 px of photo on each side at least), so requests
    that differ only beyond what the photo allows share one curve."""
    lo, hi = limits_of(image, req.axis)
    return replace(req, max_shift=min(req.max_shift, max(-lo, hi)))


def curve_url(image_id: str, req: CurveRequest) -> str:
    return (f"/api/images/{image_id}/translation?stage={req.stage}&max_shift={req.max_shift}"
            f"&step={req.step}&axis={req.axis}")


def curve_or_job(services: Services, image: StoredImage, req: CurveRequest, client: Client
                 ) -> TranslationCurve | JobRecord:
    """The finished curve (as ``req`` asked for it), or the job computing it (started, or
    joined, here). The curve lives beside its job's record; a record whose result has just
    expired (Redis lets the result go a moment before the record) is answered as it is,
    and its result URL starts the work again once the record is gone too."""
    check_stage(req.stage)
    work = reach(image, req)
    key = (f"translation:{VERSION}:{model_fingerprint(services)}:{image.id}:{work.stage}:"
           f"{work.axis}:{work.max_shift}:{work.step}")
    job = services.jobs.store.live(key)
    data = services.jobs.store.result(job.id, "curve") if job and job.status == "done" else None
    if data is not None:
        curve = TranslationCurve.model_validate_json(data)
        return curve.model_copy(update={"requested": Requested(max_shift=req.max_shift,
                                                               step=req.step)})
    return services.jobs.submit(KIND, {"image": image.id, **asdict(work)}, client=client,
                                key=key)


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: every shift's forward pass, then the curve kept beside the record."""
    services = ctx.services
    req = CurveRequest(params["stage"], params["axis"], params["max_shift"], params["step"])
    image = lookup_image(services, params["image"])
    curve = compute_curve(services, image, req, ctx.progress)
    ctx.save_result("curve", curve.model_dump_json().encode())
    return curve_url(image.id, req)


def compute_curve(services: Services, image: StoredImage, req: CurveRequest,
                  progress: Progress) -> TranslationCurve:
    """Top class, its probability and the map's similarity at every shift the photo allows."""
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
        requested=Requested(max_shift=req.max_shift, step=req.step),
        covered=ShiftRange(min_shift=shifts[0], max_shift=shifts[-1]),
        limits=ShiftRange(min_shift=limits[0], max_shift=limits[1]),
        unshifted_top=ClassOf(index=top0, label=labels.NAMES[top0],
                              prob=float(a.probs[top0])),
        rows=ordered, top_changes=[r.shift for r in ordered if r.top_index != top0],
        similarity_method=METHOD)


def _row(shift: int, probs: np.ndarray, top0: int, similarity: float, stride: int
         ) -> ShiftRow:
    top = int(probs.argmax())
    return ShiftRow(shift=shift, top_index=top, top_label=labels.NAMES[top],
                    top_prob=float(probs[top]), prob_of_unshifted_top=float(probs[top0]),
                    map_similarity=similarity, aligned=shift % stride == 0)


def view(services: Services, image: StoredImage, shift: int, axis: Axis) -> np.ndarray:
    """``(224, 224, 3) uint8``: the model's view moved by ``shift`` (422 past the photo)."""
    lo, hi = limits_of(image, axis)
    if not lo <= shift <= hi:
        raise InvalidParameter(f"shift: this photo lets the view move from {lo} to {hi} "
                               f"pixels along {axis}, not {shift}", field="shift",
                               min_shift=lo, max_shift=hi)
    resized = services.derived.get_or_compute(("resized", image.id),
                                              lambda: resize_shorter(image.rgb))
    return shifted_view(resized, shift, axis)


def view_picture(services: Services, image: StoredImage, shift: int, axis: Axis) -> Picture:
    """The shifted view as a PNG (at shift 0, byte for byte the crop /crop answers)."""
    return Picture(encode(view(services, image, shift, axis), "png"), "png",
                   f"translation-view-{axis}{shift}")


def moving_map(services: Services, image: StoredImage, stage: str, shift: int, axis: Axis,
               channel: int | None) -> tuple[np.ndarray, tuple[float, float]]:
    """One shifted view's map at ``stage``, ``(h, w)``: a channel, or the mean over channels;
    and the value range of the unshifted view's same map, to draw every shift on one scale."""
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


def map_picture(services: Services, image: StoredImage, stage: str, shift: int, axis: Axis,
                channel: int | None, as_: Literal["image", "npy"]) -> Picture:
    """The shifted view's map as raw values (``npy``) or coloured with viridis on the
    unshifted map's scale (``image``), that scale in ``X-Map-Range`` either way."""
    values, (lo, hi) = moving_map(services, image, stage, shift, axis, channel)
    headers = {"X-Map-Range": f"{lo:.6g},{hi:.6g}"}
    if as_ == "npy":
        return Picture(encode_npy(values), "npy", f"translation-{stage}-{axis}{shift}", headers)
    return Picture(encode(colormap(values, "viridis", lo, hi), "png"), "png",
                   f"translation-{stage}-{axis}{shift}", headers)


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
