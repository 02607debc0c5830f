"""How a heatmap is asked for and answered over HTTP: the CNN tab's and Teach's routes share it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from fastapi import Depends, Query, Response

from app.cnn.heatmap import heatmap_png
from app.cnn.service import analysis
from app.core.services import Services
from app.http.responses import bytes_response, npy_response
from app.images.service import StoredImage
from models.stages import DEFAULT_CAM_STAGE

HeatmapAs = Literal["overlay", "heatmap", "npy"]


@dataclass(frozen=True)
class HeatmapView:
    """How a Grad-CAM map is asked for: at which stage, in which form."""

    stage: str
    as_: HeatmapAs
    opacity: float


async def heatmap_view(stage: Annotated[str, Query(max_length=40)] = DEFAULT_CAM_STAGE,
                       as_: Annotated[HeatmapAs, Query(alias="as")] = "overlay",
                       opacity: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.5
                       ) -> HeatmapView:
    return HeatmapView(stage, as_, opacity)


HeatmapViewDep = Annotated[HeatmapView, Depends(heatmap_view)]


def heatmap_response(services: Services, image: StoredImage, cam: np.ndarray,
                     view: HeatmapView) -> Response:
    """A raw Grad-CAM map ``(h, w)`` as ``.npy``, a heatmap, or blended over the crop."""
    return map_picture(services, image, cam, view, name=f"gradcam-{view.stage}",
                       peak_header="X-Gradcam-Max")


def map_picture(services: Services, image: StoredImage, raw: np.ndarray, view: HeatmapView,
                *, name: str, peak_header: str, shown: np.ndarray | None = None,
                top: float | None = None) -> Response:
    """One attribution map: ``raw`` (its native grid) as ``.npy`` named ``name``, or ``shown``
    (default ``raw``) upsampled to the crop and coloured from 0 to ``top`` (default: its
    peak), as a heatmap or blended over the crop. ``peak_header`` carries ``raw``'s peak."""
    if view.as_ == "npy":
        return npy_response(raw, name)
    crop = analysis(services, image).crop if view.as_ == "overlay" else None
    picture = raw if shown is None else shown
    response = bytes_response(heatmap_png(picture, crop, view.opacity, top), "png")
    # An all-zero map (common at early stages: the ReLU removes it) draws as a flat
    # colour; the peak lets the page say so instead of showing "evidence" that is not there.
    response.headers[peak_header] = f"{float(raw.max()):.6g}"
    return response
