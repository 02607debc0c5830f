"""Where the model looks: Grad-CAM and channel attribution for a class or a group.

Targets are a class index, a group (``dog``), or a name that names one class.
Grad-CAM needs gradients, so one backward pass runs per (image, target,
earliest stage asked), resumed from the cached forward pass; it yields the
maps of that stage and every later one, cached together.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import cv2
import numpy as np

from app.cnn.schemas import Attribution
from app.cnn.service import analysis
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage
from app.imaging.encode import colormap, encode
from models import labels
from models.stages import STAGE_IDS

if TYPE_CHECKING:
    from models.service import Explanation

Target = int | str  # a class index, or a group name from ``models.labels.GROUPS``
EXCERPT = 12  # characters of a number an error repeats: never the whole of a huge one


def parse_target(raw: str) -> Target:
    """A class index 0-999, a group such as ``dog``, or a class name that names one class
    (``tabby``, ``German shepherd``); 422 otherwise, with candidates when it is ambiguous."""
    text = raw.strip().lower()
    allowed = (f"class must be 0-{len(labels.NAMES) - 1}, a class name, or a group "
               f"({', '.join(labels.GROUPS)})")
    if re.fullmatch(r"-?[0-9]+", text):  # ASCII digits: str.isdigit() also takes "²"
        index = int(text)
        if not 0 <= index < len(labels.NAMES):
            shown = text if len(text) <= EXCERPT else f"{text[:EXCERPT]}... ({len(text)} digits)"
            raise InvalidParameter(f"{allowed}, not {shown}", field="class")
        return index
    if text in labels.GROUPS:
        return text
    hits = labels.find(text) if text else []
    if len(hits) == 1:
        return hits[0]
    if hits:
        named = ", ".join(f"{labels.NAMES[i]} (#{i})" for i in hits[:4])
        raise InvalidParameter(f"{raw.strip()[:40]!r} fits {len(hits)} classes, e.g. {named}: "
                               "type more of the name, or the number", field="class",
                               candidates=hits[:20])
    raise InvalidParameter(f"{allowed}; no class is called {raw.strip()[:40]!r}", field="class")


def check_cam_stage(stage: str) -> None:
    """404 unless Grad-CAM can be computed at ``stage`` (a stage id, not a block)."""
    if stage not in STAGE_IDS:
        raise NotFound(f"Grad-CAM is available for {', '.join(STAGE_IDS)}; not {stage[:40]!r}.")


def explanation(services: Services, image: StoredImage, target: Target, stage: str
                ) -> Explanation:
    """Grad-CAM and channel scores at ``stage`` and later stages,
    resumed from the cached forward pass and cached per (image, target, stage)."""
    check_cam_stage(stage)
    model, a = services.require_model(), analysis(services, image)
    # An explanation started at an earlier stage already holds this one.
    for earlier in STAGE_IDS[:STAGE_IDS.index(stage)]:
        cached = services.derived.get(("explain", image.id, target, earlier))
        if cached is not None:
            return cached

    def run():
        with services.gate.slot():
            return model.explain(a.activations, target, stage)

    return services.derived.get_or_compute(("explain", image.id, target, stage), run)


def gradcam(services: Services, image: StoredImage, target: Target, stage: str) -> np.ndarray:
    """The raw ReLU'd Grad-CAM ``(h, w)`` of one stage."""
    return explanation(services, image, target, stage).cams[stage]


def heatmap_png(cam: np.ndarray, crop: np.ndarray | None, opacity: float,
                hi: float | None = None) -> bytes:
    """The map upsampled to the crop, coloured from 0 to ``hi`` (default: its peak),
    optionally blended over it."""
    size = (224, 224) if crop is None else (crop.shape[1], crop.shape[0])
    up = cv2.resize(cam, size, interpolation=cv2.INTER_LINEAR)
    top = float(up.max()) if hi is None else hi
    colour = colormap(up, "jet", lo=0.0, hi=max(top, 1e-12))
    if crop is None:
        return encode(colour, "png")
    blend = cv2.addWeighted(crop, 1.0 - opacity, colour, opacity, 0)
    return encode(blend, "png")


def resolve_target(services: Services, image: StoredImage, raw: str) -> Target:
    """``top`` means the image's top-1 class; otherwise see ``parse_target``."""
    if raw.strip().lower() == "top":
        return int(analysis(services, image).top5[0][0])
    return parse_target(raw)


def attribution(services: Services, image: StoredImage, target: Target, stage: str
                ) -> Attribution:
    """Channels of ``stage`` ranked by gradient x activation for ``target``."""
    scores = explanation(services, image, target, stage).channel_scores[stage]
    top = np.argsort(-scores, kind="stable")[:10]
    return Attribution(stage=stage, target=target,
                       channels=[{"index": int(i), "score": float(scores[i])} for i in top])
