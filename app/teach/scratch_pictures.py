"""Pictures of the network trained from scratch: its 16 filters after an epoch, and its 16
feature maps on a photo. Drawn on request from the first layer the job kept per epoch."""

from __future__ import annotations

import cv2
import numpy as np

from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import lookup_image
from app.imaging.encode import colormap, encode, tile
from app.jobs.record import JobRecord
from app.teach.pixels import photo_views
from app.teach.projects import find_photo
from app.teach.scratch import conv_name, scratch_job, unpack_conv

FILTER_ZOOM = 20  # a 3x3 filter drawn 60x60
GRID = 4  # 16 filters or maps, 4 by 4
GRID_GAP = 4


def first_layer(services: Services, project_id: str, job_id: str | None, epoch: int | None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(16, 3, 3, 3)`` and biases after ``epoch`` (default: the latest trained)."""
    return _kept(services, scratch_job(services, project_id, job_id), epoch)


def change_since_start(services: Services, project_id: str, job_id: str | None,
                       epoch: int | None) -> np.ndarray:
    """What training added to the random start: weights after ``epoch`` minus epoch 0's.
    A few photos move the filters little (often under 10% in 20 epochs); drawn on their
    own scale, the changes show what was learned where the weights alone look unchanged."""
    record = scratch_job(services, project_id, job_id)
    return _kept(services, record, epoch)[0] - _kept(services, record, 0)[0]


def _kept(services: Services, record: JobRecord, epoch: int | None
          ) -> tuple[np.ndarray, np.ndarray]:
    epochs = record.params["epochs"]
    if epoch is None:
        epoch = epochs if record.status == "done" else int(record.extra.get("epoch", 0))
    if not 0 <= epoch <= epochs:
        raise InvalidParameter(f"epoch: this training has epochs 0 (the random start) to "
                               f"{epochs}", field="epoch")
    data = services.jobs.store.result(record.id, conv_name(epoch))
    if data is None:
        raise NotFound(_missing(record, epoch))
    return unpack_conv(data)


def _missing(record: JobRecord, epoch: int) -> str:
    if record.active:
        return f"Epoch {epoch} is not trained yet; the job is {record.status}."
    return (f"Epoch {epoch} was not kept (the job {record.status} before it, or its results "
            "expired); train again.")


def filters_png(weight: np.ndarray) -> bytes:
    """16 RGB 3x3 filters (or their changes) in a 4x4 grid, on one symmetric scale: grey is
    0, full colour the largest value of any filter."""
    peak = float(np.abs(weight).max()) or 1.0
    rgb = np.clip(127.5 + 127.5 * weight / peak, 0, 255).astype(np.uint8)  # (16, 3, 3, 3)
    tiles = [cv2.resize(np.ascontiguousarray(f.transpose(1, 2, 0)), None, fx=FILTER_ZOOM,
                        fy=FILTER_ZOOM, interpolation=cv2.INTER_NEAREST) for f in rgb]
    return encode(tile(tiles, GRID, gap=GRID_GAP, background=255), "png")


def photo_pixels(services: Services, project_id: str, image_id: str) -> np.ndarray:
    """The plain crop of a project photo (kept at 150x150), else of a stored image (224x224)."""
    from models.preprocess import centre_crop
    from models.transfer import PLAIN

    try:
        photo = find_photo(services.projects, project_id, image_id)
        if photo.crops is not None:
            return photo_views(services, photo)[PLAIN]
    except NotFound:
        pass  # not a project photo: any stored image will do
    return centre_crop(lookup_image(services, image_id).rgb)


def maps_png(weight: np.ndarray, bias: np.ndarray, crop_u8: np.ndarray) -> bytes:
    """The 16 feature maps after the ReLU on a crop, 4x4, each coloured to its own maximum
    (a map that is zero everywhere stays dark)."""
    from models import scratch

    maps = scratch.feature_maps(weight, bias, scratch.shrink(crop_u8))  # (16, 148, 148)
    tiles = [colormap(m, "viridis", 0.0, max(float(m.max()), 1e-6)) for m in maps]
    return encode(tile(tiles, GRID, gap=GRID_GAP, background=255), "png")
