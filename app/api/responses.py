"""Responses shared by every router: pictures, NumPy arrays, Grad-CAM views, cache headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from fastapi import Depends, Query, Response

from app import inspector
from app.deps import Services, StoredImage
from app.imaging.encode import MEDIA_TYPES, encode_npy

# Every URL that serves derived data names its inputs (content id + parameters),
# so a response never changes: let browsers and proxies keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}

Format = Literal["png", "jpeg", "webp", "bmp"]
HeatmapAs = Literal["overlay", "heatmap", "npy"]


def bytes_response(content: bytes, fmt: Format, filename: str | None = None) -> Response:
    """Already-encoded image bytes; ``filename`` makes it a download."""
    headers = dict(IMMUTABLE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{_ext(fmt)}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


def npy_file_response(content: bytes, filename: str) -> Response:
    """An encoded ``.npy`` file, as a download."""
    headers = dict(IMMUTABLE)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.npy"'
    return Response(content, media_type="application/x-npy", headers=headers)


def npy_response(values: np.ndarray, filename: str) -> Response:
    """Raw float32 values as a downloadable ``.npy`` file."""
    return npy_file_response(encode_npy(values), filename)


@dataclass(frozen=True)
class HeatmapView:
    """How a Grad-CAM map is asked for: at which stage, in which form."""

    stage: str
    as_: HeatmapAs
    opacity: float


async def heatmap_view(stage: Annotated[str, Query(max_length=40)] = "stage7",
                       as_: Annotated[HeatmapAs, Query(alias="as")] = "overlay",
                       opacity: Annotated[float, Query(ge=0, le=1, allow_inf_nan=False)] = 0.5
                       ) -> HeatmapView:
    return HeatmapView(stage, as_, opacity)


HeatmapViewDep = Annotated[HeatmapView, Depends(heatmap_view)]


def heatmap_response(services: Services, image: StoredImage, cam: np.ndarray,
                     view: HeatmapView) -> Response:
    """A raw Grad-CAM map ``(h, w)`` as ``.npy``, a heatmap, or blended over the crop."""
    if view.as_ == "npy":
        return npy_response(cam, f"gradcam-{view.stage}")
    crop = inspector.analysis(services, image).crop if view.as_ == "overlay" else None
    response = bytes_response(inspector.heatmap_png(cam, crop, view.opacity), "png")
    # An all-zero map (common at early stages: the ReLU removes it) draws as a flat
    # colour; the peak lets the page say so instead of showing "evidence" that is not there.
    response.headers["X-Gradcam-Max"] = f"{float(cam.max()):.6g}"
    return response


def _ext(fmt: Format) -> str:
    return "jpg" if fmt == "jpeg" else fmt
