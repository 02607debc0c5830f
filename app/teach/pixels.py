"""A project photo's own pixels: the two crops the model sees, kept beside its features.

Features are enough to train the new last layer, but a network trained from scratch,
the augmented views a user looks at and that network's feature maps need pixels. The
upload itself lives in the image store, which may evict it; so each photo keeps one
JPEG (quality 85) of its plain and its tighter crop stacked, at the small network's
150x150 (300x150: 13 KiB for the dog sample, 26 KiB for pure noise, JPEG's worst case;
the 224x224 crops at quality 90 took 39 and 82 KiB), in whichever project store serves
the project. The
mirrored views are flips of those two, so all four of ``models.transfer.views`` come back
from it, at 150x150.
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
CROPS_QUALITY = 85


def pack_crops(views_u8: list[np.ndarray]) -> bytes:
    """The plain and tighter crops of ``models.transfer.views``, shrunk to the small
    network's input, as one JPEG."""
    from models.scratch import shrink
    from models.transfer import PLAIN, ZOOMED

    pair = [shrink(views_u8[i]) for i in (PLAIN, ZOOMED)]  # 2 x (150, 150, 3)
    return encode(np.concatenate(pair, axis=0), "jpeg", quality=CROPS_QUALITY)  # (300, 150, 3)


def photo_views(services: Services, photo: Photo) -> list[np.ndarray]:
    """The four ``(S, S, 3) uint8`` views of a kept photo (S = 150; 224 for photos kept
    before), in ``models.transfer.views``' order; 404 for a photo added before pixels were
    kept."""
    from models.transfer import views_of

    if photo.crops is None:
        raise NotFound("This photo was added before its pixels were kept; remove it and add "
                       "it again.", image_id=photo.image_id)
    both = decode_image(photo.crops, services.settings.decode_limits)  # (2S, S, 3)
    side = both.shape[1]
    return views_of(both[:side], both[side:])


def views_strip(services: Services, project_id: str, image_id: str) -> bytes:
    """A PNG strip of the views a photo contributes to training, left to right."""
    views = photo_views(services, find_photo(services.projects, project_id, image_id))
    return encode(tile(views, cols=len(views), gap=STRIP_GAP, background=255), "png")
