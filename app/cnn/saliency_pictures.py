"""How a map is drawn and answered: the picture (occlusion spread to pixels, the input
gradient's colours capped), its peak, and the note its numbers need beside them."""

from __future__ import annotations

import numpy as np
from fastapi import Response
from fastapi.responses import JSONResponse

from app.cnn import heatmap
from app.cnn.heatmap import Target
from app.cnn.responses import HeatmapView, map_picture
from app.cnn.saliency import stage_cams
from app.cnn.saliency_schemas import SaliencyAccepted
from app.core.services import Services
from app.images.service import StoredImage
from app.jobs.record import JobRecord
from app.jobs.schemas import JobInfo
from models.saliency_methods import MapSpec

GRADIENT_DISPLAY_PERCENTILE = 99.0  # the input gradient is spiky: its colours top out here


def shown_map(spec: MapSpec, found: np.ndarray) -> np.ndarray:
    """What a picture of the map draws: occlusion's grid spread to pixels as Captum does
    (so a cell colours exactly the pixels its patch covered), other maps as they are."""
    if spec.method != "occlusion":
        return found
    from models.saliency import occlusion_pixels

    return occlusion_pixels(found, spec.patch, spec.stride)  # (224, 224)


def display_top(spec: MapSpec, found: np.ndarray) -> float | None:
    """Where a map's colours top out: its peak, except the spiky input gradient's."""
    if spec.method == "gradient":
        return float(np.percentile(found, GRADIENT_DISPLAY_PERCENTILE))
    return None


def map_png(spec: MapSpec, found: np.ndarray) -> bytes:
    """The map as a heatmap PNG (no photo under it), drawn as its URL draws it."""
    return heatmap.heatmap_png(shown_map(spec, found), None, 1.0, display_top(spec, found))


def map_note(services: Services, image: StoredImage, target: Target, spec: MapSpec
             ) -> str | None:
    """What a map's numbers need said beside it (plain ASCII: it travels in a header).
    Grad-CAM++ at a stage whose maps take negative values: its closed-form alpha assumes
    they do not, and how often it leaves [0, 1/2] here."""
    if spec.method != "gradcampp":
        return None
    r = stage_cams(services, image, target, spec.stage).alpha
    if not r.signed:
        return None
    largest = f"{r.largest:.3g}" if r.largest < 1000 else f"{r.largest:.0f}"
    return (f"{spec.stage}'s maps are signed (no ReLU after its last layer), but Grad-CAM++'s "
            f"alpha assumes they are not: on this photo it leaves [0, 1/2] at {r.share:.0%} of "
            f"the positions with a positive gradient ({r.outside} of {r.positions}), up to "
            f"{largest}.")


def map_response(services: Services, image: StoredImage, target: Target, spec: MapSpec,
                 found: np.ndarray | JobRecord, view: HeatmapView) -> Response:
    """202 with the job, or the map as ``.npy`` (its native grid), a heatmap, or blended over
    the crop; ``X-Saliency-Max`` is the map's peak (0 or less: nothing to show), and
    ``X-Saliency-Note`` says what its numbers need said (``map_note``)."""
    if isinstance(found, JobRecord):
        body = SaliencyAccepted(job=JobInfo.of(found))
        return JSONResponse(body.model_dump(mode="json"), status_code=202,
                            headers={"Cache-Control": "no-store"})
    response = map_picture(services, image, found, view,
                           name=f"{spec.method}-{spec.stage or 'view'}",
                           peak_header="X-Saliency-Max", shown=shown_map(spec, found),
                           top=display_top(spec, found))
    note = map_note(services, image, target, spec)
    if note is not None:
        response.headers["X-Saliency-Note"] = note
    return response
