"""A project photo's own pixels: the two crops the model sees, kept beside its features.

Features are enough to train the new last layer, but a network trained from scratch,
the augmented views a user looks at and that network's feature maps need pixels. The
upload itself lives in the image store, which may evict it; so each photo keeps one
JPEG (quality 90) of its plain and its tighter 224x224 crop stacked (448x224, about
25 KB), in whichever project store serves the project. The mirrored views are flips of
those two, so all four of ``models.transfer.views`` come back from it.
"""

from __future__ import annotations

import numpy as np

from app.core.errors import NotFound
from app.core.services import Services
from app.imaging.decode import decode_image
from app.imaging.encode import encode, tile
from app.teach.project import Photo
from app.teach.projects import find_photo

STRIP_GAP = 8
CROPS_QUALITY = 90


def pack_crops(views_u8: list[np.ndarray]) -> bytes:
    """The plain and tighter crops of ``models.transfer.views`` as one JPEG."""
    return encode(np.concatenate([views_u8[0], views_u8[2]], axis=0), "jpeg",
                  quality=CROPS_QUALITY)  # (448, 224, 3)


def photo_views(services: Services, photo: Photo) -> list[np.ndarray]:
    """The four ``(224, 224, 3) uint8`` views of a kept photo, in ``models.transfer.views``'
    order; 404 for a photo added before pixels were kept."""
    from models.transfer import views_of

    if photo.crops is None:
        raise NotFound("This photo was added before its pixels were kept; remove it and add "
                       "it again.", image_id=photo.image_id)
    both = decode_image(photo.crops, services.settings.decode_limits)  # (448, 224, 3)
    side = both.shape[1]
    return views_of(both[:side], both[side:])


def views_strip(services: Services, project_id: str, image_id: str) -> bytes:
    """A PNG strip of the views a photo contributes to training, left to right."""
    views = photo_views(services, find_photo(services.projects, project_id, image_id))
    return encode(tile(views, cols=len(views), gap=STRIP_GAP, background=255), "png")
